/* SPDX-License-Identifier: Apache-2.0 */
/* Small string helpers. */
#ifndef CCGPU_COMMON_STR_H
#define CCGPU_COMMON_STR_H

#include <stdbool.h>

/*
 * ccg_strdup_opt: strdup(s), or NULL for NULL; sets *failed when the copy
 * could not be made, so several optional strings can be copied and checked once.
 */
char *ccg_strdup_opt(const char *s, bool *failed);

#endif
