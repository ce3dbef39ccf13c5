/* SPDX-License-Identifier: Apache-2.0 */
/* The store: URL → back end, a pool of connections, argument checks, migrations, call statistics. */
#include "verifier/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "verifier/store_internal.h"

struct ccg_store {
	const struct store_ops *ops;
	char *target;
	unsigned busy_ms;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	void *idle[CCG_STORE_MAX_CONNS]; /* connections not lent out */
	size_t n_idle;
	size_t n_open; /* connections in existence */
	size_t max;
	_Atomic uint64_t calls;
	_Atomic uint64_t nanos;
};

struct ccg_store_txn {
	struct ccg_store *s;
	void *conn;
	bool failed;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* lend: an idle connection, a new one while under max, else wait for one */
static enum ccg_status lend(struct ccg_store *s, void **out, struct ccg_error *err)
{
	enum ccg_status st;

	pthread_mutex_lock(&s->mu);
	while (s->n_idle == 0 && s->n_open >= s->max)
		pthread_cond_wait(&s->cv, &s->mu);
	if (s->n_idle > 0) {
		*out = s->idle[--s->n_idle];
		pthread_mutex_unlock(&s->mu);
		return CCG_OK;
	}
	s->n_open++;
	pthread_mutex_unlock(&s->mu);
	st = s->ops->connect(s->target, s->busy_ms, out, err);
	if (st != CCG_OK) {
		pthread_mutex_lock(&s->mu);
		s->n_open--;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
	return st;
}

/* give_back: a connection whose last call failed at the connection level is closed, not pooled */
static void give_back(struct ccg_store *s, void *conn, bool broken)
{
	if (broken)
		s->ops->disconnect(conn);
	pthread_mutex_lock(&s->mu);
	if (broken)
		s->n_open--;
	else
		s->idle[s->n_idle++] = conn;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void account(struct ccg_store *s, uint64_t t0)
{
	atomic_fetch_add(&s->calls, 1);
	atomic_fetch_add(&s->nanos, mono_ns() - t0);
}

/* a store-level failure may mean a dead connection: do not pool it again */
static bool is_broken(enum ccg_status st)
{
	return st == CCG_ERR_STORE;
}

enum ccg_status ccg_store_open(const char *url, const struct ccg_store_opts *opts, struct ccg_store **out,
			       struct ccg_error *err)
{
	struct ccg_store *s = NULL;
	const struct store_ops *ops = NULL;
	const char *target = NULL;
	void *conn = NULL;
	enum ccg_status st;

	*out = NULL;
	if (url == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "store.url", "no URL");
	if (strncmp(url, "sqlite://", 9) == 0) {
		ops = &ccg_store_sqlite_ops;
		target = url + 9;
		if (target[0] != '/' || target[1] == '\0')
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, "store.url",
					     "sqlite:// needs an absolute path (sqlite:///var/lib/ccgpu/verifier.db)");
	} else if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
		ops = &ccg_store_pg_ops;
		target = url;
	} else {
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "store.url", "scheme not sqlite:// or postgresql://");
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->target = strdup(target)) == NULL) {
		free(s);
		return ccg_error_set(err, CCG_ERR_NOMEM, "store", NULL);
	}
	s->ops = ops;
	s->max = opts != NULL && opts->max_conns > 0 ? opts->max_conns : 8;
	if (s->max > CCG_STORE_MAX_CONNS)
		s->max = CCG_STORE_MAX_CONNS;
	s->busy_ms = opts != NULL && opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : 5000;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if ((st = lend(s, &conn, err)) != CCG_OK) {
		ccg_store_close(s);
		return st;
	}
	give_back(s, conn, false);
	*out = s;
	return CCG_OK;
}

void ccg_store_close(struct ccg_store *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n_idle; i++)
		s->ops->disconnect(s->idle[i]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->target);
	free(s);
}

const char *ccg_store_backend(const struct ccg_store *s)
{
	return s->ops->name;
}

void ccg_store_stats(const struct ccg_store *s, uint64_t *calls, double *seconds)
{
	*calls = atomic_load(&((struct ccg_store *)s)->calls);
	*seconds = (double)atomic_load(&((struct ccg_store *)s)->nanos) / 1e9;
}

static enum ccg_status check_nonce(const uint8_t *nonce, size_t len, struct ccg_error *err)
{
	if (nonce == NULL || len != CCG_STORE_NONCE_LEN)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "nonce", "must be %d bytes", CCG_STORE_NONCE_LEN);
	return CCG_OK;
}

enum ccg_status ccg_store_schema_version(struct ccg_store *s, int *out, struct ccg_error *err)
{
	void *conn = NULL;
	enum ccg_status st;
	uint64_t t0 = mono_ns();

	*out = 0;
	if ((st = lend(s, &conn, err)) != CCG_OK)
		return st;
	if ((st = s->ops->begin(conn, err)) == CCG_OK) {
		st = s->ops->schema_version(conn, false, out, err);
		if (st == CCG_OK)
			st = s->ops->commit(conn, err);
		else
			s->ops->rollback(conn);
	}
	give_back(s, conn, is_broken(st));
	account(s, t0);
	return st;
}

enum ccg_status ccg_store_migrate(struct ccg_store *s, int *out_version, struct ccg_error *err)
{
	void *conn = NULL;
	enum ccg_status st;
	int v = 0;

	if ((st = lend(s, &conn, err)) != CCG_OK)
		return st;
	for (;;) {
		if ((st = s->ops->begin_migration(conn, err)) != CCG_OK)
			break;
		/* the lock makes concurrent migrators take turns: the second sees the first's version */
		if ((st = s->ops->schema_version(conn, true, &v, err)) != CCG_OK) {
			s->ops->rollback(conn);
			break;
		}
		if (v > CCG_STORE_SCHEMA_VERSION) {
			s->ops->rollback(conn);
			st = ccg_error_set(err, CCG_ERR_STORE_SCHEMA, "store.schema_version",
					   "the database is at version %d, this build knows up to %d", v,
					   CCG_STORE_SCHEMA_VERSION);
			break;
		}
		if (v == CCG_STORE_SCHEMA_VERSION) {
			st = s->ops->commit(conn, err);
			break;
		}
		if ((st = s->ops->migrate_to(conn, v + 1, err)) != CCG_OK) {
			s->ops->rollback(conn);
			break;
		}
		if ((st = s->ops->commit(conn, err)) != CCG_OK)
			break;
	}
	give_back(s, conn, is_broken(st));
	if (st == CCG_OK && out_version != NULL)
		*out_version = v;
	return st;
}

/* one autocommitted call on a lent connection */
#define ONE_CALL(s, err, call) \
	do { \
		void *conn_ = NULL; \
		uint64_t t0_ = mono_ns(); \
		if ((st = lend((s), &conn_, (err))) != CCG_OK) \
			return st; \
		st = (call); \
		give_back((s), conn_, is_broken(st)); \
		account((s), t0_); \
	} while (0)

enum ccg_status ccg_store_nonce_put(struct ccg_store *s, const uint8_t *nonce, size_t len, int64_t expires,
				    struct ccg_error *err)
{
	enum ccg_status st;

	if ((st = check_nonce(nonce, len, err)) != CCG_OK)
		return st;
	ONE_CALL(s, err, s->ops->nonce_put(conn_, nonce, len, expires, err));
	return st;
}

enum ccg_status ccg_store_nonce_consume(struct ccg_store *s, const uint8_t *nonce, size_t len, int64_t now,
					struct ccg_error *err)
{
	enum ccg_status st;
	int64_t expires = 0;

	if ((st = check_nonce(nonce, len, err)) != CCG_OK)
		return st;
	ONE_CALL(s, err, s->ops->nonce_consume(conn_, nonce, len, &expires, err));
	if (st != CCG_OK)
		return st;
	if (expires <= now)
		return ccg_error_set(err, CCG_ERR_NONCE_EXPIRED, "nonce", "expired %lld s ago",
				     (long long)(now - expires));
	return CCG_OK;
}

enum ccg_status ccg_store_nonce_purge(struct ccg_store *s, int64_t now, uint64_t *removed, struct ccg_error *err)
{
	enum ccg_status st;
	uint64_t n = 0;

	ONE_CALL(s, err, s->ops->nonce_purge(conn_, now, &n, err));
	if (removed != NULL)
		*removed = n;
	return st;
}

enum ccg_status ccg_store_nonce_count(struct ccg_store *s, int64_t now, uint64_t *out, struct ccg_error *err)
{
	enum ccg_status st;

	*out = 0;
	ONE_CALL(s, err, s->ops->nonce_count(conn_, now, out, err));
	return st;
}

static enum ccg_status begin_with(struct ccg_store *s, bool serial, struct ccg_store_txn **out, struct ccg_error *err)
{
	struct ccg_store_txn *t;
	enum ccg_status st;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "store.begin", NULL);
	t->s = s;
	if ((st = lend(s, &t->conn, err)) != CCG_OK) {
		free(t);
		return st;
	}
	if ((st = (serial ? s->ops->begin_serial : s->ops->begin)(t->conn, err)) != CCG_OK) {
		if (serial)
			s->ops->rollback(t->conn); /* BEGIN may have run before the lock failed */
		give_back(s, t->conn, is_broken(st));
		free(t);
		return st;
	}
	*out = t;
	return CCG_OK;
}

enum ccg_status ccg_store_begin(struct ccg_store *s, struct ccg_store_txn **out, struct ccg_error *err)
{
	return begin_with(s, false, out, err);
}

enum ccg_status ccg_store_begin_serial(struct ccg_store *s, struct ccg_store_txn **out, struct ccg_error *err)
{
	return begin_with(s, true, out, err);
}

enum ccg_status ccg_store_commit(struct ccg_store_txn *t, struct ccg_error *err)
{
	enum ccg_status st;
	uint64_t t0 = mono_ns();

	if (t->failed) {
		t->s->ops->rollback(t->conn);
		st = ccg_error_set(err, CCG_ERR_STORE, "store.commit", "a statement of this transaction failed");
		give_back(t->s, t->conn, false);
	} else {
		st = t->s->ops->commit(t->conn, err);
		if (st != CCG_OK)
			t->s->ops->rollback(t->conn);
		give_back(t->s, t->conn, is_broken(st));
	}
	account(t->s, t0);
	free(t);
	return st;
}

void ccg_store_rollback(struct ccg_store_txn *t)
{
	if (t == NULL)
		return;
	t->s->ops->rollback(t->conn);
	give_back(t->s, t->conn, false);
	free(t);
}

static enum ccg_status check_name(const char *table, const char *key, bool key_prefix, struct ccg_error *err)
{
	size_t n = table != NULL ? strlen(table) : 0;

	if (n == 0 || n > CCG_STORE_MAX_TABLE)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "store.table", "1 to %d bytes", CCG_STORE_MAX_TABLE);
	for (size_t i = 0; i < n; i++) {
		char c = table[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, "store.table", "byte %zu is not [a-z0-9_.-]", i);
	}
	n = key != NULL ? strlen(key) : 0;
	if ((!key_prefix && n == 0) || n > CCG_STORE_MAX_KEY || key == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "store.key", "1 to %d bytes", CCG_STORE_MAX_KEY);
	return CCG_OK;
}

/* a call inside a transaction: a failure poisons it (only rollback remains) */
static enum ccg_status txn_done(struct ccg_store_txn *t, enum ccg_status st, uint64_t t0)
{
	if (st != CCG_OK && st != CCG_ERR_NOT_FOUND && st != CCG_ERR_DUPLICATE)
		t->failed = true;
	account(t->s, t0);
	return st;
}

enum ccg_status ccg_store_put(struct ccg_store_txn *t, const char *table, const char *key, const uint8_t *value,
			      size_t len, enum ccg_store_put_mode mode, struct ccg_error *err)
{
	enum ccg_status st;
	uint64_t t0 = mono_ns();

	if ((st = check_name(table, key, false, err)) != CCG_OK)
		return st;
	if (len > CCG_STORE_MAX_VALUE || (value == NULL && len > 0))
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "store.value", "%zu bytes, at most %u", len,
				     CCG_STORE_MAX_VALUE);
	if (mode != CCG_STORE_UPSERT && mode != CCG_STORE_INSERT && mode != CCG_STORE_UPDATE)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "store.mode", "unknown put mode %d", (int)mode);
	return txn_done(
		t, t->s->ops->put(t->conn, table, key, value != NULL ? value : (const uint8_t *)"", len, mode, err),
		t0);
}

enum ccg_status ccg_store_get(struct ccg_store_txn *t, const char *table, const char *key, uint8_t **out,
			      size_t *out_len, struct ccg_error *err)
{
	enum ccg_status st;
	uint64_t t0 = mono_ns();

	*out = NULL;
	*out_len = 0;
	if ((st = check_name(table, key, false, err)) != CCG_OK)
		return st;
	return txn_done(t, t->s->ops->get(t->conn, table, key, out, out_len, err), t0);
}

enum ccg_status ccg_store_delete(struct ccg_store_txn *t, const char *table, const char *key, struct ccg_error *err)
{
	enum ccg_status st;
	uint64_t t0 = mono_ns();

	if ((st = check_name(table, key, false, err)) != CCG_OK)
		return st;
	return txn_done(t, t->s->ops->del(t->conn, table, key, err), t0);
}

enum ccg_status ccg_store_list(struct ccg_store_txn *t, const char *table, const char *prefix, size_t max,
			       ccg_store_list_fn fn, void *ctx, struct ccg_error *err)
{
	enum ccg_status st;
	uint64_t t0 = mono_ns();

	if ((st = check_name(table, prefix, true, err)) != CCG_OK)
		return st;
	return txn_done(t, t->s->ops->list(t->conn, table, prefix, max, fn, ctx, err), t0);
}
