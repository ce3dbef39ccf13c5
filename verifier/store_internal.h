/* SPDX-License-Identifier: Apache-2.0 */
/* The store's back ends (store_sqlite.c, store_pg.c) under the pool in store.c. */
#ifndef CCGPU_VERIFIER_STORE_INTERNAL_H
#define CCGPU_VERIFIER_STORE_INTERNAL_H

#include "verifier/store.h"

/* One back end: every call runs on one connection the pool lends it. */
struct store_ops {
	const char *name;
	/* connect: target is the path after "sqlite://" (SQLite) or the whole URL (PostgreSQL) */
	enum ccg_status (*connect)(const char *target, unsigned busy_ms, void **out, struct ccg_error *err);
	void (*disconnect)(void *conn);
	/* transaction control: "BEGIN"-like, commit, rollback (rollback never fails the caller) */
	enum ccg_status (*begin)(void *conn, struct ccg_error *err);
	/*
	 * begin_serial: a transaction that first waits for the store-wide lock of serial writers (taken by
	 * every caller of ccg_store_begin_serial, on every replica) and whose statements then see what
	 * committed before them
	 */
	enum ccg_status (*begin_serial)(void *conn, struct ccg_error *err);
	/* begin_migration: a transaction whose statements see what committed before them (after the lock) */
	enum ccg_status (*begin_migration)(void *conn, struct ccg_error *err);
	enum ccg_status (*commit)(void *conn, struct ccg_error *err);
	void (*rollback)(void *conn);
	/* schema: the version in force (0: none; the schema_version table is created if absent) inside a transaction */
	enum ccg_status (*schema_version)(void *conn, bool lock, int *out, struct ccg_error *err);
	/* applies migration to version v (1-based) and records it, inside the caller's transaction */
	enum ccg_status (*migrate_to)(void *conn, int v, struct ccg_error *err);
	enum ccg_status (*nonce_put)(void *conn, const uint8_t *nonce, size_t len, int64_t expires,
				     struct ccg_error *err);
	enum ccg_status (*nonce_consume)(void *conn, const uint8_t *nonce, size_t len, int64_t *out_expires,
					 struct ccg_error *err);
	enum ccg_status (*nonce_purge)(void *conn, int64_t now, uint64_t *removed, struct ccg_error *err);
	enum ccg_status (*nonce_count)(void *conn, int64_t now, uint64_t *out, struct ccg_error *err);
	enum ccg_status (*put)(void *conn, const char *table, const char *key, const uint8_t *value, size_t len,
			       enum ccg_store_put_mode mode, struct ccg_error *err);
	enum ccg_status (*get)(void *conn, const char *table, const char *key, uint8_t **out, size_t *out_len,
			       struct ccg_error *err);
	enum ccg_status (*del)(void *conn, const char *table, const char *key, struct ccg_error *err);
	enum ccg_status (*list)(void *conn, const char *table, const char *prefix, size_t max, ccg_store_list_fn fn,
				void *ctx, struct ccg_error *err);
};

extern const struct store_ops ccg_store_sqlite_ops;
extern const struct store_ops ccg_store_pg_ops;

#endif
