/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verifier's store: one interface, two back ends chosen by URL.
 *
 *   sqlite:///var/lib/ccgpu/verifier.db   embedded (WAL, synchronous=FULL, busy timeout)
 *   postgresql://user@host/db?…           libpq, shared by several replicas
 *   postgres://…                          the same
 *
 * It holds the challenge nonces (consumed exactly once, on whichever replica
 * uses them) and named tables of records (key → bytes) that later work
 * (contracts, sealed secrets, release log) builds on, with transactions.
 * The schema is versioned: ccg_store_migrate applies the missing migrations
 * in one transaction each and refuses a database whose schema is newer than
 * this build knows (CCG_ERR_STORE_SCHEMA).
 *
 * A store is a small pool of connections: every function is thread-safe; a
 * transaction holds one connection until it is committed or rolled back.
 * Nothing here is trusted more than the database: the daemon never stores a
 * secret in the clear.
 */
#ifndef CCGPU_VERIFIER_STORE_H
#define CCGPU_VERIFIER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

#define CCG_STORE_NONCE_LEN 32
#define CCG_STORE_MAX_KEY 256           /* bytes of a record key */
#define CCG_STORE_MAX_TABLE 64          /* bytes of a table name: [a-z0-9_.-] */
#define CCG_STORE_MAX_VALUE (16u << 20) /* bytes of a record value */
#define CCG_STORE_MAX_CONNS 64
#define CCG_STORE_SCHEMA_VERSION 2 /* the newest schema this build writes */

struct ccg_store;
struct ccg_store_txn;

struct ccg_store_opts {
	unsigned max_conns;       /* connections in the pool (0: 8; at most CCG_STORE_MAX_CONNS) */
	unsigned busy_timeout_ms; /* SQLite busy timeout, PostgreSQL lock_timeout/statement_timeout (0: 5000) */
};

/*
 * ccg_store_open: opens the store named by url (see above) and checks that
 * one connection works; does not migrate. An unknown scheme or a malformed
 * URL is CCG_ERR_INVALID_ARG naming "store.url"; a database that cannot be
 * opened or reached is CCG_ERR_STORE. opts may be NULL.
 */
CCG_MUST_USE enum ccg_status ccg_store_open(const char *url, const struct ccg_store_opts *opts, struct ccg_store **out,
					    struct ccg_error *err);
/* ccg_store_close: closes every connection; no transaction may be open. NULL is allowed. */
void ccg_store_close(struct ccg_store *s);
/* ccg_store_backend: "sqlite" or "postgresql". */
const char *ccg_store_backend(const struct ccg_store *s);

/*
 * ccg_store_migrate: brings the schema to CCG_STORE_SCHEMA_VERSION, each
 * missing migration in its own transaction with the schema_version row
 * (several processes migrating at once serialise on the database's lock).
 * A schema newer than this build: CCG_ERR_STORE_SCHEMA, nothing changed.
 * *out_version (optional) receives the version in force afterwards.
 */
CCG_MUST_USE enum ccg_status ccg_store_migrate(struct ccg_store *s, int *out_version, struct ccg_error *err);
/* ccg_store_schema_version: the version recorded in the database (0: none yet). */
CCG_MUST_USE enum ccg_status ccg_store_schema_version(struct ccg_store *s, int *out, struct ccg_error *err);

/*
 * ccg_store_nonce_put: records a nonce (CCG_STORE_NONCE_LEN bytes) valid
 * until expires (Unix seconds). The row is durable when this returns CCG_OK
 * (SQLite synchronous=FULL, PostgreSQL commit). A nonce already there:
 * CCG_ERR_DUPLICATE.
 */
CCG_MUST_USE enum ccg_status ccg_store_nonce_put(struct ccg_store *s, const uint8_t *nonce, size_t len, int64_t expires,
						 struct ccg_error *err);
/*
 * ccg_store_nonce_consume: uses the nonce up, atomically (one DELETE …
 * RETURNING): of any number of concurrent calls, on any process sharing the
 * database, exactly one gets CCG_OK. Unknown or already used:
 * CCG_ERR_NONCE_UNKNOWN; present but expires <= now: CCG_ERR_NONCE_EXPIRED
 * (and it is gone).
 */
CCG_MUST_USE enum ccg_status ccg_store_nonce_consume(struct ccg_store *s, const uint8_t *nonce, size_t len, int64_t now,
						     struct ccg_error *err);
/* ccg_store_nonce_purge: deletes nonces with expires <= now; *removed (optional) how many. */
CCG_MUST_USE enum ccg_status ccg_store_nonce_purge(struct ccg_store *s, int64_t now, uint64_t *removed,
						   struct ccg_error *err);
/* ccg_store_nonce_count: nonces outstanding (expires > now). */
CCG_MUST_USE enum ccg_status ccg_store_nonce_count(struct ccg_store *s, int64_t now, uint64_t *out,
						   struct ccg_error *err);

/*
 * Records: tables (names of [a-z0-9_.-], at most CCG_STORE_MAX_TABLE bytes)
 * of key (1..CCG_STORE_MAX_KEY bytes) → value (at most CCG_STORE_MAX_VALUE
 * bytes), changed only inside a transaction. ccg_store_begin takes a
 * connection from the pool (waiting for one); commit and rollback give it
 * back and free txn whatever they return. A failed statement leaves the
 * transaction usable only for rollback (commit then refuses, CCG_ERR_STORE).
 * On PostgreSQL transactions run at SERIALIZABLE; a serialisation failure is
 * CCG_ERR_STORE_CONFLICT and the caller may retry the whole transaction.
 */
CCG_MUST_USE enum ccg_status ccg_store_begin(struct ccg_store *s, struct ccg_store_txn **out, struct ccg_error *err);
/*
 * ccg_store_begin_serial (branch releasefast): a transaction that runs alone
 * among the transactions begun this way, on every pool and replica sharing
 * the store: on PostgreSQL it first waits for a transaction-scoped advisory
 * lock and then reads at READ COMMITTED (each statement sees what committed
 * before it, so writers that take turns never fail serialisation); on SQLite
 * it is ccg_store_begin (BEGIN IMMEDIATE already takes the one write lock).
 * For writers that all touch the same rows (the release log's size and
 * nodes): they wait for each other instead of failing and retrying. Every
 * writer of those rows must begin this way.
 */
CCG_MUST_USE enum ccg_status ccg_store_begin_serial(struct ccg_store *s, struct ccg_store_txn **out,
						    struct ccg_error *err);
CCG_MUST_USE enum ccg_status ccg_store_commit(struct ccg_store_txn *t, struct ccg_error *err);
void ccg_store_rollback(struct ccg_store_txn *t);

enum ccg_store_put_mode {
	CCG_STORE_UPSERT = 0, /* insert or replace */
	CCG_STORE_INSERT = 1, /* CCG_ERR_DUPLICATE when the key exists */
	CCG_STORE_UPDATE = 2, /* CCG_ERR_NOT_FOUND when it does not */
};
CCG_MUST_USE enum ccg_status ccg_store_put(struct ccg_store_txn *t, const char *table, const char *key,
					   const uint8_t *value, size_t len, enum ccg_store_put_mode mode,
					   struct ccg_error *err);
/* ccg_store_get: *out malloc'd (NUL-terminated beyond len); CCG_ERR_NOT_FOUND when absent. */
CCG_MUST_USE enum ccg_status ccg_store_get(struct ccg_store_txn *t, const char *table, const char *key, uint8_t **out,
					   size_t *out_len, struct ccg_error *err);
/* ccg_store_delete: CCG_ERR_NOT_FOUND when absent. */
CCG_MUST_USE enum ccg_status ccg_store_delete(struct ccg_store_txn *t, const char *table, const char *key,
					      struct ccg_error *err);
/*
 * ccg_store_list: calls fn for each key of table that starts with prefix
 * ("" for all), in byte order, at most max keys (0: no bound); fn returning
 * false stops early. The key is borrowed for the call.
 */
typedef bool (*ccg_store_list_fn)(void *ctx, const char *key);
CCG_MUST_USE enum ccg_status ccg_store_list(struct ccg_store_txn *t, const char *table, const char *prefix, size_t max,
					    ccg_store_list_fn fn, void *ctx, struct ccg_error *err);

/* Latency of store calls, for /metrics: count and total seconds of every call so far (thread-safe). */
void ccg_store_stats(const struct ccg_store *s, uint64_t *calls, double *seconds);

#endif
