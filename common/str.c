/* SPDX-License-Identifier: Apache-2.0 */
#include "common/str.h"

#include <stdlib.h>
#include <string.h>

char *ccg_strdup_opt(const char *s, bool *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*failed = true;
	return d;
}
