/* SPDX-License-Identifier: Apache-2.0 */
/* Internal error helpers shared by every layer. */
#ifndef CCGPU_COMMON_ERROR_H
#define CCGPU_COMMON_ERROR_H

#include "ccgpu/status.h"

/*
 * ccg_error_set: records the failure in err (if err is non-NULL and holds no
 * earlier failure) and returns s, so callers write
 * `return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.nonce", "need 32 bytes, have %zu", n);`
 * fmt may be NULL. Never pass secret material.
 */
enum ccg_status ccg_error_set(struct ccg_error *err, enum ccg_status s, const char *where, const char *fmt, ...)
	CCG_PRINTF(4, 5);

#endif
