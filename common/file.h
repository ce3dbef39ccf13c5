/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CCGPU_COMMON_FILE_H
#define CCGPU_COMMON_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"
#include "ccgpu/util.h" /* the exported declarations of some of these (branch api12) */

/*
 * ccg_file_read: reads a whole file (at most max bytes) into a malloc'd,
 * NUL-terminated buffer. Missing file: CCG_ERR_NOT_FOUND; larger than max:
 * CCG_ERR_TOO_LARGE; other failures CCG_ERR_IO, with the path in err.
 */
CCG_MUST_USE enum ccg_status ccg_file_read(const char *path, size_t max, uint8_t **out, size_t *out_len,
					   struct ccg_error *err);
/* ccg_file_write_atomic: declared in ccgpu/util.h (exported). */
/*
 * ccg_file_write_new: creates path holding data, mode 0600, only if path does
 * not exist: the bytes go whole to a temporary file beside it (fsync'd) that
 * is then link()ed to path, which fails when path exists (CCG_ERR_DUPLICATE:
 * a racing creator won and its complete file is there, never a half-written
 * one); the directory is fsync'd so the new name survives a crash. (branch vtee)
 */
CCG_MUST_USE enum ccg_status ccg_file_write_new(const char *path, const uint8_t *data, size_t len,
						struct ccg_error *err);
/* ccg_mkdir_p: declared in ccgpu/util.h (exported). */

#endif
