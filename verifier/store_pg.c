/* SPDX-License-Identifier: Apache-2.0 */
/* The PostgreSQL back end through libpq: parameterised statements only, SERIALIZABLE transactions. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "verifier/store_internal.h"

/* the advisory lock key migrators take in turn ("ccgpu" in ASCII) */
#define MIGRATE_LOCK "x'6363677075'::bigint"

static const char *const migrations[CCG_STORE_SCHEMA_VERSION] = {
	"CREATE TABLE nonces (nonce BYTEA PRIMARY KEY NOT NULL, expires BIGINT NOT NULL);"
	"CREATE INDEX nonces_expires ON nonces (expires);",
	"CREATE TABLE records (tbl TEXT NOT NULL, key TEXT COLLATE \"C\" NOT NULL, value BYTEA NOT NULL, "
	"PRIMARY KEY (tbl, key));",
};

/* SQLSTATE classes that mean "the database refused this statement", not "the connection broke" */
static enum ccg_status pg_error(PGconn *db, const PGresult *r, const char *where, struct ccg_error *err)
{
	const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(db);
	char clean[200];
	size_t i;

	/* one line: libpq's messages end in newlines */
	for (i = 0; msg != NULL && msg[i] != '\0' && i + 1 < sizeof(clean); i++)
		clean[i] = msg[i] == '\n' ? ' ' : msg[i];
	clean[i] = '\0';
	if (state != NULL && strcmp(state, "23505") == 0)
		return ccg_error_set(err, CCG_ERR_DUPLICATE, where, "postgresql: %s", clean);
	if (state != NULL &&
	    (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0))
		return ccg_error_set(err, CCG_ERR_STORE_CONFLICT, where, "postgresql: %s", clean);
	return ccg_error_set(err, CCG_ERR_STORE, where, "postgresql (%s): %s", state != NULL ? state : "-", clean);
}

static enum ccg_status exec(PGconn *db, const char *sql, const char *where, struct ccg_error *err)
{
	PGresult *r = PQexec(db, sql);
	enum ccg_status st = CCG_OK;
	ExecStatusType s = PQresultStatus(r);

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		st = pg_error(db, r, where, err);
	PQclear(r);
	return st;
}

/*
 * params: n values with their lengths and formats (1: binary); result in
 * binary when binary_result. Returns the result (PQclear it) or NULL with err set.
 */
static PGresult *run(PGconn *db, const char *sql, int n, const char *const *vals, const int *lens, const int *fmts,
		     bool binary_result, const char *where, enum ccg_status *st, struct ccg_error *err)
{
	PGresult *r = PQexecParams(db, sql, n, NULL, vals, lens, fmts, binary_result ? 1 : 0);
	ExecStatusType s = PQresultStatus(r);

	*st = CCG_OK;
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		*st = pg_error(db, r, where, err);
		PQclear(r);
		return NULL;
	}
	return r;
}

static enum ccg_status pq_connect(const char *target, unsigned busy_ms, void **out, struct ccg_error *err)
{
	PGconn *db;
	char sql[160];
	enum ccg_status st;

	*out = NULL;
	db = PQconnectdb(target);
	if (db == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "store.url", NULL);
	if (PQstatus(db) != CONNECTION_OK) {
		/* the message names the host and why, never the password */
		st = pg_error(db, NULL, "store.url", err);
		PQfinish(db);
		return st;
	}
	snprintf(sql, sizeof(sql),
		 "SET lock_timeout = %u; SET statement_timeout = %u; SET client_min_messages = warning", busy_ms,
		 busy_ms * 4);
	if ((st = exec(db, sql, "store.connect", err)) != CCG_OK) {
		PQfinish(db);
		return st;
	}
	*out = db;
	return CCG_OK;
}

static void pq_disconnect(void *conn)
{
	PQfinish(conn);
}

static enum ccg_status pq_begin(void *conn, struct ccg_error *err)
{
	return exec(conn, "BEGIN ISOLATION LEVEL SERIALIZABLE", "store.begin", err);
}

/* the advisory lock serial writers take in turn ("ccgpulog" in ASCII; not the migrators') */
#define SERIAL_LOCK "x'63636770756c6f67'::bigint"

/*
 * The lock first, then READ COMMITTED: each statement takes a new snapshot
 * after the lock is held, so it sees what the previous holder committed
 * (under SERIALIZABLE the snapshot of the lock statement itself would be
 * older than that commit, and the writes would fail serialisation).
 */
static enum ccg_status pq_begin_serial(void *conn, struct ccg_error *err)
{
	enum ccg_status st = exec(conn, "BEGIN ISOLATION LEVEL READ COMMITTED", "store.begin", err);

	return st != CCG_OK ? st : exec(conn, "SELECT pg_advisory_xact_lock(" SERIAL_LOCK ")", "store.begin.lock", err);
}

/*
 * READ COMMITTED: each statement takes a new snapshot, so a migrator that
 * waited for the advisory lock sees the tables its predecessor committed
 * (under SERIALIZABLE it would keep the snapshot of its first statement).
 */
static enum ccg_status pq_begin_migration(void *conn, struct ccg_error *err)
{
	return exec(conn, "BEGIN ISOLATION LEVEL READ COMMITTED", "store.migrate.begin", err);
}

static enum ccg_status pq_commit(void *conn, struct ccg_error *err)
{
	return exec(conn, "COMMIT", "store.commit", err);
}

static void pq_rollback(void *conn)
{
	if (PQtransactionStatus(conn) != PQTRANS_IDLE) {
		PGresult *r = PQexec(conn, "ROLLBACK");

		PQclear(r);
	}
}

static enum ccg_status pq_schema_version(void *conn, bool lock, int *out, struct ccg_error *err)
{
	PGconn *db = conn;
	PGresult *r;
	enum ccg_status st;

	*out = 0;
	/* migrators take turns: CREATE TABLE IF NOT EXISTS is not safe against a concurrent twin */
	if (lock &&
	    (st = exec(db, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")", "store.migrate.lock", err)) != CCG_OK)
		return st;
	if ((st = exec(db,
		       "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY NOT NULL, "
		       "applied BIGINT NOT NULL)",
		       "store.schema_version", err)) != CCG_OK)
		return st;
	r = run(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version", 0, NULL, NULL, NULL, false,
		"store.schema_version", &st, err);
	if (r == NULL)
		return st;
	if (PQntuples(r) == 1)
		*out = atoi(PQgetvalue(r, 0, 0));
	else
		st = ccg_error_set(err, CCG_ERR_STORE, "store.schema_version", "no row");
	PQclear(r);
	return st;
}

static enum ccg_status pq_migrate_to(void *conn, int v, struct ccg_error *err)
{
	char sql[160];
	enum ccg_status st;

	if (v < 1 || v > CCG_STORE_SCHEMA_VERSION)
		return ccg_error_set(err, CCG_ERR_INTERNAL, "store.migrate", "no migration to %d", v);
	if ((st = exec(conn, migrations[v - 1], "store.migrate", err)) != CCG_OK)
		return st;
	snprintf(sql, sizeof(sql),
		 "INSERT INTO schema_version (version, applied) VALUES (%d, extract(epoch from now())::bigint)", v);
	return exec(conn, sql, "store.migrate", err);
}

static enum ccg_status pq_nonce_put(void *conn, const uint8_t *nonce, size_t len, int64_t expires,
				    struct ccg_error *err)
{
	char exp[24];
	const char *vals[2] = {(const char *)nonce, exp};
	int lens[2] = {(int)len, 0}, fmts[2] = {1, 0};
	enum ccg_status st;
	PGresult *r;

	snprintf(exp, sizeof(exp), "%lld", (long long)expires);
	r = run(conn, "INSERT INTO nonces (nonce, expires) VALUES ($1, $2)", 2, vals, lens, fmts, false,
		"store.nonce_put", &st, err);
	PQclear(r);
	return st;
}

static enum ccg_status pq_nonce_consume(void *conn, const uint8_t *nonce, size_t len, int64_t *out_expires,
					struct ccg_error *err)
{
	const char *vals[1] = {(const char *)nonce};
	int lens[1] = {(int)len}, fmts[1] = {1};
	enum ccg_status st;
	PGresult *r;

	/* one statement: of concurrent deleters of the row, exactly one sees it returned */
	r = run(conn, "DELETE FROM nonces WHERE nonce = $1 RETURNING expires", 1, vals, lens, fmts, false,
		"store.nonce_consume", &st, err);
	if (r == NULL)
		return st;
	if (PQntuples(r) == 1)
		*out_expires = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else
		st = ccg_error_set(err, CCG_ERR_NONCE_UNKNOWN, "nonce", "not issued by this verifier, or already used");
	PQclear(r);
	return st;
}

static enum ccg_status pq_nonce_purge(void *conn, int64_t now, uint64_t *removed, struct ccg_error *err)
{
	char t[24];
	const char *vals[1] = {t};
	enum ccg_status st;
	PGresult *r;

	snprintf(t, sizeof(t), "%lld", (long long)now);
	r = run(conn, "DELETE FROM nonces WHERE expires <= $1", 1, vals, NULL, NULL, false, "store.nonce_purge", &st,
		err);
	if (r == NULL)
		return st;
	*removed = strtoull(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return st;
}

static enum ccg_status pq_nonce_count(void *conn, int64_t now, uint64_t *out, struct ccg_error *err)
{
	char t[24];
	const char *vals[1] = {t};
	enum ccg_status st;
	PGresult *r;

	snprintf(t, sizeof(t), "%lld", (long long)now);
	r = run(conn, "SELECT COUNT(*) FROM nonces WHERE expires > $1", 1, vals, NULL, NULL, false, "store.nonce_count",
		&st, err);
	if (r == NULL)
		return st;
	*out = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return st;
}

static enum ccg_status pq_put(void *conn, const char *table, const char *key, const uint8_t *value, size_t len,
			      enum ccg_store_put_mode mode, struct ccg_error *err)
{
	static const char *const sql[] = {
		[CCG_STORE_UPSERT] =
			"INSERT INTO records (tbl, key, value) VALUES ($1, $2, $3) "
			"ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value",
		[CCG_STORE_INSERT] =
			"INSERT INTO records (tbl, key, value) VALUES ($1, $2, $3) "
			"ON CONFLICT (tbl, key) DO NOTHING",
		[CCG_STORE_UPDATE] = "UPDATE records SET value = $3 WHERE tbl = $1 AND key = $2",
	};
	const char *vals[3] = {table, key, (const char *)value};
	int lens[3] = {0, 0, (int)len}, fmts[3] = {0, 0, 1};
	enum ccg_status st;
	PGresult *r;

	r = run(conn, sql[mode], 3, vals, lens, fmts, false, "store.put", &st, err);
	if (r == NULL)
		return st;
	/* no row changed: the key was there (INSERT, without aborting the transaction) or was not (UPDATE) */
	if (mode == CCG_STORE_UPDATE && strcmp(PQcmdTuples(r), "0") == 0)
		st = ccg_error_set(err, CCG_ERR_NOT_FOUND, "store.put", "%s/%s: no such record", table, key);
	else if (mode == CCG_STORE_INSERT && strcmp(PQcmdTuples(r), "0") == 0)
		st = ccg_error_set(err, CCG_ERR_DUPLICATE, "store.put", "%s/%s: exists", table, key);
	PQclear(r);
	return st;
}

static enum ccg_status pq_get(void *conn, const char *table, const char *key, uint8_t **out, size_t *out_len,
			      struct ccg_error *err)
{
	const char *vals[2] = {table, key};
	enum ccg_status st;
	PGresult *r;

	/* binary result: the value comes back as its bytes, not bytea's hex text */
	r = run(conn, "SELECT value FROM records WHERE tbl = $1 AND key = $2", 2, vals, NULL, NULL, true, "store.get",
		&st, err);
	if (r == NULL)
		return st;
	if (PQntuples(r) == 1) {
		size_t n = (size_t)PQgetlength(r, 0, 0);

		*out = malloc(n + 1);
		if (*out == NULL) {
			st = ccg_error_set(err, CCG_ERR_NOMEM, "store.get", NULL);
		} else {
			if (n > 0)
				memcpy(*out, PQgetvalue(r, 0, 0), n);
			(*out)[n] = 0;
			*out_len = n;
		}
	} else {
		st = ccg_error_set(err, CCG_ERR_NOT_FOUND, "store.get", "%s/%s: no such record", table, key);
	}
	PQclear(r);
	return st;
}

static enum ccg_status pq_del(void *conn, const char *table, const char *key, struct ccg_error *err)
{
	const char *vals[2] = {table, key};
	enum ccg_status st;
	PGresult *r;

	r = run(conn, "DELETE FROM records WHERE tbl = $1 AND key = $2", 2, vals, NULL, NULL, false, "store.delete",
		&st, err);
	if (r == NULL)
		return st;
	if (strcmp(PQcmdTuples(r), "0") == 0)
		st = ccg_error_set(err, CCG_ERR_NOT_FOUND, "store.delete", "%s/%s: no such record", table, key);
	PQclear(r);
	return st;
}

static enum ccg_status pq_list(void *conn, const char *table, const char *prefix, size_t max, ccg_store_list_fn fn,
			       void *ctx, struct ccg_error *err)
{
	char lim[24];
	const char *vals[3] = {table, prefix, lim};
	enum ccg_status st;
	PGresult *r;

	snprintf(lim, sizeof(lim), "%lld", max == 0 ? (long long)INT64_MAX : (long long)max);
	r = run(conn,
		"SELECT key FROM records WHERE tbl = $1 AND starts_with(key, $2) ORDER BY key COLLATE \"C\" LIMIT $3",
		3, vals, NULL, NULL, false, "store.list", &st, err);
	if (r == NULL)
		return st;
	for (int i = 0; i < PQntuples(r); i++)
		if (!fn(ctx, PQgetvalue(r, i, 0)))
			break;
	PQclear(r);
	return st;
}

const struct store_ops ccg_store_pg_ops = {
	.name = "postgresql",
	.connect = pq_connect,
	.disconnect = pq_disconnect,
	.begin = pq_begin,
	.begin_serial = pq_begin_serial,
	.begin_migration = pq_begin_migration,
	.commit = pq_commit,
	.rollback = pq_rollback,
	.schema_version = pq_schema_version,
	.migrate_to = pq_migrate_to,
	.nonce_put = pq_nonce_put,
	.nonce_consume = pq_nonce_consume,
	.nonce_purge = pq_nonce_purge,
	.nonce_count = pq_nonce_count,
	.put = pq_put,
	.get = pq_get,
	.del = pq_del,
	.list = pq_list,
};
