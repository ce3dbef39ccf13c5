/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fetch-with-cache for verification collateral (AMD KDS certificates, Intel
 * PCS TCB info, QE identity, CRLs): cache file → HTTP GET (unless offline),
 * after the RIM store's pattern. The caller validates what it gets and only
 * then stores it in the cache (ccg_collateral_store), so a bad answer is never
 * cached.
 */
#ifndef CCGPU_ATTEST_COLLATERAL_H
#define CCGPU_ATTEST_COLLATERAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

#define CCG_COLLATERAL_MAX_BYTES (256 * 1024)

struct ccg_collateral_src {
	const char *cache_dir; /* NULL: no cache */
	bool offline;          /* never fetch */
	bool refresh;          /* fetch even when cached (the cached copy is stale); stored as usual */
	const char *what;      /* "AMD KDS", "Intel PCS": used in errors */
};

/*
 * ccg_collateral_get: <cache_dir>/<name> when present, else GET url (HTTP 200
 * only). *out_fetched says whether it came from the network. Offline with
 * nothing cached, or HTTP 404: CCG_ERR_NOT_FOUND. name must be a plain file
 * name ([A-Za-z0-9._-]).
 */
CCG_MUST_USE enum ccg_status ccg_collateral_get(const struct ccg_collateral_src *src, const char *name, const char *url,
						const char *accept, uint8_t **out, size_t *out_len, bool *out_fetched,
						struct ccg_error *err);
/*
 * ccg_collateral_get_with_header: ccg_collateral_get that also keeps the
 * first present of the response headers named in headers (NULL-terminated,
 * at most CCG_HTTP_MAX_CAPTURE names) as sent: *out_header (malloc'd) and
 * *out_header_name (one of headers). Both NULL when the answer came from the
 * cache or carried none of them.
 */
CCG_MUST_USE enum ccg_status ccg_collateral_get_with_header(const struct ccg_collateral_src *src, const char *name,
							    const char *url, const char *accept,
							    const char *const *headers, uint8_t **out, size_t *out_len,
							    bool *out_fetched, char **out_header,
							    const char **out_header_name, struct ccg_error *err);
/* ccg_collateral_store: writes bytes to <cache_dir>/<name> atomically (no-op without a cache). */
CCG_MUST_USE enum ccg_status ccg_collateral_store(const struct ccg_collateral_src *src, const char *name,
						  const uint8_t *data, size_t len, struct ccg_error *err);

#endif
