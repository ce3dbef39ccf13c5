/* SPDX-License-Identifier: Apache-2.0 */
/* The application helpers of include/ccgpu/util.h and version.h that are not a module's own. */
#include "ccgpu/util.h"
#include "ccgpu/version.h"
#include "common/crypto.h"

const char *ccg_version(void)
{
	return CCGPU_VERSION;
}

enum ccg_status ccg_nonce_random(uint8_t *out, size_t len)
{
	if (out == NULL && len != 0)
		return CCG_ERR_INVALID_ARG;
	return ccg_random(out, len);
}
