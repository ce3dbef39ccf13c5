/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secret buffers: page-aligned, mlock()ed (not swapped), excluded from core
 * dumps (MADV_DONTDUMP) and wiped with OPENSSL_cleanse on free. Use them for
 * keys, session secrets and released secrets; never for public data.
 */
#ifndef CCGPU_COMMON_SECRET_H
#define CCGPU_COMMON_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

struct ccg_secret {
	uint8_t *data;
	size_t len;
	size_t map_len; /* private */
	bool locked;    /* mlock succeeded */
};

/*
 * ccg_secret_new: zeroed secret of len bytes (1..16 MiB). Free with
 * ccg_secret_free. Thread-safe. A one-page secret may get a page an earlier
 * secret used: wiped to zeros, locked and undumped as a fresh one.
 */
CCG_MUST_USE enum ccg_status ccg_secret_new(size_t len, struct ccg_secret **out);
/*
 * ccg_secret_free: wipes, then unlocks and unmaps, or keeps a locked one-page
 * buffer for reuse (at most 64 pages per process); NULL is allowed. Thread-safe.
 */
void ccg_secret_free(struct ccg_secret *s);
/* ccg_secret_equal: constant-time comparison of the contents (lengths compared openly). */
bool ccg_secret_equal(const struct ccg_secret *a, const uint8_t *b, size_t b_len);

#endif
