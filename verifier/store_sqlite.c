/* SPDX-License-Identifier: Apache-2.0 */
/* The SQLite back end: one connection per pooled slot, WAL, synchronous=FULL, a busy timeout. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "verifier/store_internal.h"

/* migrations: index v-1 brings the schema from v-1 to v */
static const char *const migrations[CCG_STORE_SCHEMA_VERSION] = {
	"CREATE TABLE nonces (nonce BLOB PRIMARY KEY NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX nonces_expires ON nonces (expires);",
	"CREATE TABLE records (tbl TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, "
	"PRIMARY KEY (tbl, key)) WITHOUT ROWID;",
};

static enum ccg_status db_error(sqlite3 *db, const char *where, int rc, struct ccg_error *err)
{
	if (rc == SQLITE_CONSTRAINT || (rc & 0xff) == SQLITE_CONSTRAINT)
		return ccg_error_set(err, CCG_ERR_DUPLICATE, where, "%s", sqlite3_errmsg(db));
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return ccg_error_set(err, CCG_ERR_STORE_CONFLICT, where, "sqlite: %s", sqlite3_errmsg(db));
	return ccg_error_set(err, CCG_ERR_STORE, where, "sqlite: %s", sqlite3_errmsg(db));
}

static enum ccg_status exec(sqlite3 *db, const char *sql, const char *where, struct ccg_error *err)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? CCG_OK : db_error(db, where, rc, err);
}

static enum ccg_status sq_connect(const char *target, unsigned busy_ms, void **out, struct ccg_error *err)
{
	sqlite3 *db = NULL;
	const char *path = target; /* what follows "sqlite://": an absolute path */
	int rc;
	enum ccg_status st;

	*out = NULL;
	if (path[0] != '/')
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "store.url", "sqlite:///ABSOLUTE/PATH");
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		st = ccg_error_set(err, CCG_ERR_STORE, "store.url", "sqlite: %s: %s", path,
				   db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return st;
	}
	sqlite3_busy_timeout(db, (int)busy_ms);
	if ((st = exec(db, "PRAGMA journal_mode=WAL", "store.sqlite.wal", err)) != CCG_OK ||
	    (st = exec(db, "PRAGMA synchronous=FULL", "store.sqlite.synchronous", err)) != CCG_OK ||
	    (st = exec(db, "PRAGMA foreign_keys=ON", "store.sqlite.foreign_keys", err)) != CCG_OK) {
		sqlite3_close(db);
		return st;
	}
	*out = db;
	return CCG_OK;
}

static void sq_disconnect(void *conn)
{
	sqlite3_close(conn);
}

/* BEGIN IMMEDIATE: the write lock from the start, so two writers never deadlock on an upgrade */
static enum ccg_status sq_begin(void *conn, struct ccg_error *err)
{
	return exec(conn, "BEGIN IMMEDIATE", "store.begin", err);
}

static enum ccg_status sq_commit(void *conn, struct ccg_error *err)
{
	return exec(conn, "COMMIT", "store.commit", err);
}

static void sq_rollback(void *conn)
{
	if (!sqlite3_get_autocommit(conn))
		(void)sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL);
}

static enum ccg_status prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, const char *where,
			       struct ccg_error *err)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);

	return rc == SQLITE_OK ? CCG_OK : db_error(db, where, rc, err);
}

static enum ccg_status sq_schema_version(void *conn, bool lock, int *out, struct ccg_error *err)
{
	sqlite3 *db = conn;
	sqlite3_stmt *q = NULL;
	enum ccg_status st;
	int rc;

	(void)lock; /* BEGIN IMMEDIATE already holds the write lock */
	*out = 0;
	if ((st = exec(db,
		       "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY NOT NULL, "
		       "applied INTEGER NOT NULL)",
		       "store.schema_version", err)) != CCG_OK)
		return st;
	if ((st = prepare(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version", &q, "store.schema_version",
			  err)) != CCG_OK)
		return st;
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(q, 0);
	else
		st = db_error(db, "store.schema_version", rc, err);
	sqlite3_finalize(q);
	return st;
}

static enum ccg_status sq_migrate_to(void *conn, int v, struct ccg_error *err)
{
	sqlite3 *db = conn;
	char sql[128];
	enum ccg_status st;

	if (v < 1 || v > CCG_STORE_SCHEMA_VERSION)
		return ccg_error_set(err, CCG_ERR_INTERNAL, "store.migrate", "no migration to %d", v);
	if ((st = exec(db, migrations[v - 1], "store.migrate", err)) != CCG_OK)
		return st;
	snprintf(sql, sizeof(sql), "INSERT INTO schema_version (version, applied) VALUES (%d, strftime('%%s','now'))",
		 v);
	return exec(db, sql, "store.migrate", err);
}

static enum ccg_status sq_nonce_put(void *conn, const uint8_t *nonce, size_t len, int64_t expires,
				    struct ccg_error *err)
{
	sqlite3 *db = conn;
	sqlite3_stmt *q = NULL;
	enum ccg_status st;
	int rc;

	if ((st = prepare(db, "INSERT INTO nonces (nonce, expires) VALUES (?1, ?2)", &q, "store.nonce_put", err)) !=
	    CCG_OK)
		return st;
	sqlite3_bind_blob(q, 1, nonce, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, expires);
	rc = sqlite3_step(q);
	st = rc == SQLITE_DONE ? CCG_OK : db_error(db, "store.nonce_put", rc, err);
	sqlite3_finalize(q);
	return st;
}

static enum ccg_status sq_nonce_consume(void *conn, const uint8_t *nonce, size_t len, int64_t *out_expires,
					struct ccg_error *err)
{
	sqlite3 *db = conn;
	sqlite3_stmt *q = NULL;
	enum ccg_status st;
	int rc;

	/* one statement: the row is gone for everyone else the moment it is ours */
	if ((st = prepare(db, "DELETE FROM nonces WHERE nonce = ?1 RETURNING expires", &q, "store.nonce_consume",
			  err)) != CCG_OK)
		return st;
	sqlite3_bind_blob(q, 1, nonce, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*out_expires = sqlite3_column_int64(q, 0);
		rc = sqlite3_step(q);
		st = rc == SQLITE_DONE ? CCG_OK : db_error(db, "store.nonce_consume", rc, err);
	} else if (rc == SQLITE_DONE) {
		st = ccg_error_set(err, CCG_ERR_NONCE_UNKNOWN, "nonce", "not issued by this verifier, or already used");
	} else {
		st = db_error(db, "store.nonce_consume", rc, err);
	}
	sqlite3_finalize(q);
	return st;
}

static enum ccg_status sq_nonce_purge(void *conn, int64_t now, uint64_t *removed, struct ccg_error *err)
{
	sqlite3 *db = conn;
	sqlite3_stmt *q = NULL;
	enum ccg_status st;
	int rc;

	if ((st = prepare(db, "DELETE FROM nonces WHERE expires <= ?1", &q, "store.nonce_purge", err)) != CCG_OK)
		return st;
	sqlite3_bind_int64(q, 1, now);
	rc = sqlite3_step(q);
	st = rc == SQLITE_DONE ? CCG_OK : db_error(db, "store.nonce_purge", rc, err);
	if (st == CCG_OK)
		*removed = (uint64_t)sqlite3_changes(db);
	sqlite3_finalize(q);
	return st;
}

static enum ccg_status sq_nonce_count(void *conn, int64_t now, uint64_t *out, struct ccg_error *err)
{
	sqlite3 *db = conn;
	sqlite3_stmt *q = NULL;
	enum ccg_status st;
	int rc;

	if ((st = prepare(db, "SELECT COUNT(*) FROM nonces WHERE expires > ?1", &q, "store.nonce_count", err)) !=
	    CCG_OK)
		return st;
	sqlite3_bind_int64(q, 1, now);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(q, 0);
	else
		st = db_error(db, "store.nonce_count", rc, err);
	sqlite3_finalize(q);
	return st;
}

static enum ccg_status sq_put(void *conn, const char *table, const char *key, const uint8_t *value, size_t len,
			      enum ccg_store_put_mode mode, struct ccg_error *err)
{
	static const char *const sql[] = {
		[CCG_STORE_UPSERT] =
			"INSERT INTO records (tbl, key, value) VALUES (?1, ?2, ?3) "
			"ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value",
		[CCG_STORE_INSERT] =
			"INSERT INTO records (tbl, key, value) VALUES (?1, ?2, ?3) "
			"ON CONFLICT (tbl, key) DO NOTHING",
		[CCG_STORE_UPDATE] = "UPDATE records SET value = ?3 WHERE tbl = ?1 AND key = ?2",
	};
	sqlite3 *db = conn;
	sqlite3_stmt *q = NULL;
	enum ccg_status st;
	int rc;

	if ((st = prepare(db, sql[mode], &q, "store.put", err)) != CCG_OK)
		return st;
	sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, value, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc != SQLITE_DONE)
		st = db_error(db, "store.put", rc, err);
	else if (mode == CCG_STORE_UPDATE && sqlite3_changes(db) == 0)
		st = ccg_error_set(err, CCG_ERR_NOT_FOUND, "store.put", "%s/%s: no such record", table, key);
	else if (mode == CCG_STORE_INSERT && sqlite3_changes(db) == 0)
		st = ccg_error_set(err, CCG_ERR_DUPLICATE, "store.put", "%s/%s: exists", table, key);
	sqlite3_finalize(q);
	return st;
}

static enum ccg_status sq_get(void *conn, const char *table, const char *key, uint8_t **out, size_t *out_len,
			      struct ccg_error *err)
{
	sqlite3 *db = conn;
	sqlite3_stmt *q = NULL;
	enum ccg_status st;
	int rc;

	if ((st = prepare(db, "SELECT value FROM records WHERE tbl = ?1 AND key = ?2", &q, "store.get", err)) != CCG_OK)
		return st;
	sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const void *b = sqlite3_column_blob(q, 0);
		size_t n = (size_t)sqlite3_column_bytes(q, 0);

		*out = malloc(n + 1);
		if (*out == NULL) {
			st = ccg_error_set(err, CCG_ERR_NOMEM, "store.get", NULL);
		} else {
			if (n > 0)
				memcpy(*out, b, n);
			(*out)[n] = 0;
			*out_len = n;
		}
	} else if (rc == SQLITE_DONE) {
		st = ccg_error_set(err, CCG_ERR_NOT_FOUND, "store.get", "%s/%s: no such record", table, key);
	} else {
		st = db_error(db, "store.get", rc, err);
	}
	sqlite3_finalize(q);
	return st;
}

static enum ccg_status sq_del(void *conn, const char *table, const char *key, struct ccg_error *err)
{
	sqlite3 *db = conn;
	sqlite3_stmt *q = NULL;
	enum ccg_status st;
	int rc;

	if ((st = prepare(db, "DELETE FROM records WHERE tbl = ?1 AND key = ?2", &q, "store.delete", err)) != CCG_OK)
		return st;
	sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc != SQLITE_DONE)
		st = db_error(db, "store.delete", rc, err);
	else if (sqlite3_changes(db) == 0)
		st = ccg_error_set(err, CCG_ERR_NOT_FOUND, "store.delete", "%s/%s: no such record", table, key);
	sqlite3_finalize(q);
	return st;
}

static enum ccg_status sq_list(void *conn, const char *table, const char *prefix, size_t max, ccg_store_list_fn fn,
			       void *ctx, struct ccg_error *err)
{
	sqlite3 *db = conn;
	sqlite3_stmt *q = NULL;
	enum ccg_status st;
	int rc;

	if ((st = prepare(db,
			  "SELECT key FROM records WHERE tbl = ?1 AND substr(key, 1, length(?2)) = ?2 "
			  "ORDER BY key LIMIT ?3",
			  &q, "store.list", err)) != CCG_OK)
		return st;
	sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, max == 0 ? -1 : (sqlite3_int64)max);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (!fn(ctx, (const char *)sqlite3_column_text(q, 0))) {
			rc = SQLITE_DONE;
			break;
		}
	if (rc != SQLITE_DONE)
		st = db_error(db, "store.list", rc, err);
	sqlite3_finalize(q);
	return st;
}

const struct store_ops ccg_store_sqlite_ops = {
	.name = "sqlite",
	.connect = sq_connect,
	.disconnect = sq_disconnect,
	.begin = sq_begin,
	.begin_serial = sq_begin,
	.begin_migration = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.schema_version = sq_schema_version,
	.migrate_to = sq_migrate_to,
	.nonce_put = sq_nonce_put,
	.nonce_consume = sq_nonce_consume,
	.nonce_purge = sq_nonce_purge,
	.nonce_count = sq_nonce_count,
	.put = sq_put,
	.get = sq_get,
	.del = sq_del,
	.list = sq_list,
};
