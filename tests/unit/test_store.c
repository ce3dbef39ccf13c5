/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verifier's store, the same tests on both back ends: SQLite in a
 * temporary file and a real PostgreSQL server started here (tests/support/pg.sh).
 * Migrations (fresh, again, concurrent, a newer schema refused), nonces
 * (exactly once, expiry at injected times, duplicates, many racing threads on
 * two stores sharing one database), records in transactions (commit,
 * rollback, insert/update/upsert/delete, prefix listing, durability across
 * reopen), and URLs refused with the field named.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/store.h"
#include "pg.h"
#include "testdata.h"

#define NOW 1795305600 /* 2026-11-22T00:00:00Z */

struct backend {
	const char *name;
	char url[600];
	char *dir; /* sqlite: its temp dir */
	int fresh; /* a counter for fresh databases */
};

static struct backend sqlite_be = {.name = "sqlite"};
static struct backend pg_be = {.name = "postgresql"};
static char *pg_url;

/* raw SQL on the database behind a URL, bypassing the store (to plant a newer schema, or wipe) */
static void raw_sql(const struct backend *b, const char *sql)
{
	tp_raw_sql(b->url, sql);
}

/* an empty database for the next test */
static void reset(struct backend *b)
{
	if (strcmp(b->name, "sqlite") == 0) {
		if (b->dir == NULL)
			b->dir = td_tmpdir();
		snprintf(b->url, sizeof(b->url), "sqlite://%s/db%d.sqlite", b->dir, b->fresh++);
	} else {
		snprintf(b->url, sizeof(b->url), "%s", pg_url);
		raw_sql(b, "DROP TABLE IF EXISTS nonces, records, schema_version");
	}
}

static struct ccg_store *open_migrated(const struct backend *b)
{
	struct ccg_store *s = NULL;
	struct ccg_error err;
	int v = 0;

	ccg_error_clear(&err);
	if (ccg_store_open(b->url, NULL, &s, &err) != CCG_OK || ccg_store_migrate(s, &v, &err) != CCG_OK)
		fail_msg("%s: %s: %s", b->name, err.where, err.detail);
	assert_int_equal(v, CCG_STORE_SCHEMA_VERSION);
	assert_string_equal(ccg_store_backend(s), b->name);
	return s;
}

static void nonce_of(uint8_t n[CCG_STORE_NONCE_LEN], unsigned seed)
{
	for (size_t i = 0; i < CCG_STORE_NONCE_LEN; i++)
		n[i] = (uint8_t)(seed * 131u + i * 7u);
}

static void test_migrate(void **state)
{
	struct backend *b = *state;
	struct ccg_store *s;
	struct ccg_error err;
	int v = -1;

	reset(b);
	s = open_migrated(b);
	/* again: nothing to do */
	assert_int_equal(ccg_store_migrate(s, &v, NULL), CCG_OK);
	assert_int_equal(v, CCG_STORE_SCHEMA_VERSION);
	assert_int_equal(ccg_store_schema_version(s, &v, NULL), CCG_OK);
	assert_int_equal(v, CCG_STORE_SCHEMA_VERSION);
	ccg_store_close(s);
	/* a newer build migrated this database: this one refuses it and changes nothing */
	raw_sql(b, "INSERT INTO schema_version (version, applied) VALUES (99, 0)");
	assert_int_equal(ccg_store_open(b->url, NULL, &s, NULL), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_store_migrate(s, &v, &err), CCG_ERR_STORE_SCHEMA);
	assert_string_equal(err.where, "store.schema_version");
	assert_int_equal(ccg_store_schema_version(s, &v, NULL), CCG_OK);
	assert_int_equal(v, 99);
	ccg_store_close(s);
}

struct migrator {
	const char *url;
	enum ccg_status st;
	int v;
};

static void *migrate_thread(void *arg)
{
	struct migrator *m = arg;
	struct ccg_store *s = NULL;

	m->st = ccg_store_open(m->url, NULL, &s, NULL);
	if (m->st == CCG_OK)
		m->st = ccg_store_migrate(s, &m->v, NULL);
	ccg_store_close(s);
	return NULL;
}

/* replicas starting together on a fresh database: each migration applied once, both succeed */
static void test_migrate_concurrent(void **state)
{
	struct backend *b = *state;
	struct migrator m[4];
	pthread_t th[4];
	struct ccg_store *s;
	int v = 0;

	reset(b);
	for (int i = 0; i < 4; i++) {
		m[i] = (struct migrator){.url = b->url};
		assert_int_equal(pthread_create(&th[i], NULL, migrate_thread, &m[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(m[i].st, CCG_OK);
		assert_int_equal(m[i].v, CCG_STORE_SCHEMA_VERSION);
	}
	assert_int_equal(ccg_store_open(b->url, NULL, &s, NULL), CCG_OK);
	assert_int_equal(ccg_store_schema_version(s, &v, NULL), CCG_OK);
	assert_int_equal(v, CCG_STORE_SCHEMA_VERSION);
	ccg_store_close(s);
}

static void test_nonce(void **state)
{
	struct backend *b = *state;
	struct ccg_store *s, *s2;
	uint8_t n[CCG_STORE_NONCE_LEN], m[CCG_STORE_NONCE_LEN];
	struct ccg_error err;
	uint64_t count = 0, removed = 0;

	reset(b);
	s = open_migrated(b);
	nonce_of(n, 1);
	nonce_of(m, 2);
	assert_int_equal(ccg_store_nonce_put(s, n, sizeof(n), NOW + 60, NULL), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_store_nonce_put(s, n, sizeof(n), NOW + 60, &err), CCG_ERR_DUPLICATE);
	assert_int_equal(ccg_store_nonce_count(s, NOW, &count, NULL), CCG_OK);
	assert_int_equal(count, 1);
	/* a nonce never issued */
	ccg_error_clear(&err);
	assert_int_equal(ccg_store_nonce_consume(s, m, sizeof(m), NOW, &err), CCG_ERR_NONCE_UNKNOWN);
	assert_string_equal(err.where, "nonce");
	/* a wrong length is the caller's bug */
	assert_int_equal(ccg_store_nonce_consume(s, n, 16, NOW, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_store_nonce_put(s, n, 31, NOW, NULL), CCG_ERR_INVALID_ARG);
	/* used once, then never again: on this store and on another one over the same database */
	assert_int_equal(ccg_store_nonce_consume(s, n, sizeof(n), NOW + 59, NULL), CCG_OK);
	assert_int_equal(ccg_store_nonce_consume(s, n, sizeof(n), NOW + 59, NULL), CCG_ERR_NONCE_UNKNOWN);
	s2 = open_migrated(b);
	assert_int_equal(ccg_store_nonce_consume(s2, n, sizeof(n), NOW, NULL), CCG_ERR_NONCE_UNKNOWN);
	/* the other store sees what this one issued */
	assert_int_equal(ccg_store_nonce_put(s, m, sizeof(m), NOW + 60, NULL), CCG_OK);
	assert_int_equal(ccg_store_nonce_consume(s2, m, sizeof(m), NOW, NULL), CCG_OK);
	ccg_store_close(s2);
	/* expiry at the injected time: valid one second before, refused at it, and gone afterwards */
	assert_int_equal(ccg_store_nonce_put(s, n, sizeof(n), NOW + 10, NULL), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_store_nonce_consume(s, n, sizeof(n), NOW + 10, &err), CCG_ERR_NONCE_EXPIRED);
	assert_string_equal(err.where, "nonce");
	assert_int_equal(ccg_store_nonce_consume(s, n, sizeof(n), NOW, NULL), CCG_ERR_NONCE_UNKNOWN);
	assert_int_equal(ccg_store_nonce_put(s, n, sizeof(n), NOW + 10, NULL), CCG_OK);
	assert_int_equal(ccg_store_nonce_consume(s, n, sizeof(n), NOW + 9, NULL), CCG_OK);
	/* purge and count at injected times */
	for (unsigned i = 10; i < 20; i++) {
		nonce_of(n, i);
		assert_int_equal(ccg_store_nonce_put(s, n, sizeof(n), NOW + (int64_t)i, NULL), CCG_OK);
	}
	assert_int_equal(ccg_store_nonce_count(s, NOW + 15, &count, NULL), CCG_OK);
	assert_int_equal(count, 4); /* expires 16..19 */
	assert_int_equal(ccg_store_nonce_purge(s, NOW + 15, &removed, NULL), CCG_OK);
	assert_int_equal(removed, 6); /* 10..15 */
	assert_int_equal(ccg_store_nonce_count(s, 0, &count, NULL), CCG_OK);
	assert_int_equal(count, 4);
	nonce_of(n, 19);
	assert_int_equal(ccg_store_nonce_consume(s, n, sizeof(n), NOW + 18, NULL), CCG_OK);
	ccg_store_close(s);
}

#define RACERS 8
#define ROUNDS 25

struct racer {
	struct ccg_store *s;
	const uint8_t *nonce;
	pthread_barrier_t *go;
	_Atomic int *wins;
	int errors;
};

static void *race_thread(void *arg)
{
	struct racer *r = arg;
	enum ccg_status st;

	pthread_barrier_wait(r->go);
	st = ccg_store_nonce_consume(r->s, r->nonce, CCG_STORE_NONCE_LEN, NOW, NULL);
	if (st == CCG_OK)
		atomic_fetch_add(r->wins, 1);
	else if (st != CCG_ERR_NONCE_UNKNOWN)
		r->errors++;
	return NULL;
}

/* many threads on two stores (two replicas' pools) consume one nonce at once: exactly one wins, every round */
static void test_nonce_race(void **state)
{
	struct backend *b = *state;
	struct ccg_store *s[2];
	struct ccg_store_opts o = {.max_conns = RACERS};

	reset(b);
	ccg_store_close(open_migrated(b));
	for (int i = 0; i < 2; i++)
		assert_int_equal(ccg_store_open(b->url, &o, &s[i], NULL), CCG_OK);
	for (unsigned round = 0; round < ROUNDS; round++) {
		uint8_t n[CCG_STORE_NONCE_LEN];
		pthread_barrier_t go;
		pthread_t th[RACERS];
		struct racer r[RACERS];
		_Atomic int wins = 0;

		nonce_of(n, 1000 + round);
		assert_int_equal(ccg_store_nonce_put(s[round % 2], n, sizeof(n), NOW + 60, NULL), CCG_OK);
		pthread_barrier_init(&go, NULL, RACERS);
		for (int i = 0; i < RACERS; i++) {
			r[i] = (struct racer){.s = s[i % 2], .nonce = n, .go = &go, .wins = &wins};
			assert_int_equal(pthread_create(&th[i], NULL, race_thread, &r[i]), 0);
		}
		for (int i = 0; i < RACERS; i++) {
			pthread_join(th[i], NULL);
			assert_int_equal(r[i].errors, 0);
		}
		pthread_barrier_destroy(&go);
		assert_int_equal(atomic_load(&wins), 1);
	}
	ccg_store_close(s[0]);
	ccg_store_close(s[1]);
}

/* serial writers (branch releasefast): each adds one to a counter row, read then written, from two pools */
struct counter {
	struct ccg_store *s;
	pthread_barrier_t *go;
	int n, errors;
};

static void *count_thread(void *arg)
{
	struct counter *c = arg;

	pthread_barrier_wait(c->go);
	for (int i = 0; i < c->n; i++) {
		struct ccg_store_txn *t = NULL;
		uint8_t *v = NULL;
		size_t len = 0;
		char num[24];
		long x = 0;
		enum ccg_status st;

		if ((st = ccg_store_begin_serial(c->s, &t, NULL)) != CCG_OK) {
			c->errors++;
			continue;
		}
		st = ccg_store_get(t, "ctr", "n", &v, &len, NULL);
		if (st == CCG_OK)
			x = strtol((const char *)v, NULL, 10);
		free(v);
		snprintf(num, sizeof(num), "%ld", x + 1);
		if (st == CCG_OK)
			st = ccg_store_put(t, "ctr", "n", (const uint8_t *)num, strlen(num), CCG_STORE_UPDATE, NULL);
		if (st == CCG_OK)
			st = ccg_store_commit(t, NULL);
		else
			ccg_store_rollback(t);
		/* no serialisation failure to retry: a lost update or an error fails the count below */
		if (st != CCG_OK)
			c->errors++;
	}
	return NULL;
}

/*
 * writers that begin with ccg_store_begin_serial on two pools (two replicas) take turns: every
 * read-modify-write of one row commits at its first try and none is lost (at SERIALIZABLE, without
 * the lock, they fail serialisation; at READ COMMITTED without it, they lose updates)
 */
static void test_serial_writers(void **state)
{
	struct backend *b = *state;
	struct ccg_store *s[2];
	struct ccg_store_opts o = {.max_conns = 4};
	struct ccg_store_txn *t = NULL;
	pthread_barrier_t go;
	pthread_t th[4];
	struct counter c[4];
	uint8_t *v = NULL;
	size_t len = 0;

	reset(b);
	ccg_store_close(open_migrated(b));
	for (int i = 0; i < 2; i++)
		assert_int_equal(ccg_store_open(b->url, &o, &s[i], NULL), CCG_OK);
	assert_int_equal(ccg_store_begin(s[0], &t, NULL), CCG_OK);
	assert_int_equal(ccg_store_put(t, "ctr", "n", (const uint8_t *)"0", 1, CCG_STORE_INSERT, NULL), CCG_OK);
	assert_int_equal(ccg_store_commit(t, NULL), CCG_OK);
	pthread_barrier_init(&go, NULL, 4);
	for (int i = 0; i < 4; i++) {
		c[i] = (struct counter){.s = s[i % 2], .go = &go, .n = 25};
		assert_int_equal(pthread_create(&th[i], NULL, count_thread, &c[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(c[i].errors, 0);
	}
	pthread_barrier_destroy(&go);
	assert_int_equal(ccg_store_begin(s[1], &t, NULL), CCG_OK);
	assert_int_equal(ccg_store_get(t, "ctr", "n", &v, &len, NULL), CCG_OK);
	ccg_store_rollback(t);
	assert_string_equal((const char *)v, "100");
	free(v);
	ccg_store_close(s[0]);
	ccg_store_close(s[1]);
}

struct keys {
	char seen[8][64];
	int n;
	int stop_after;
};

static bool collect(void *ctx, const char *key)
{
	struct keys *k = ctx;

	if (k->n < 8)
		snprintf(k->seen[k->n], sizeof(k->seen[0]), "%s", key);
	k->n++;
	return k->stop_after == 0 || k->n < k->stop_after;
}

static void test_records(void **state)
{
	struct backend *b = *state;
	struct ccg_store *s;
	struct ccg_store_txn *t = NULL;
	struct ccg_error err;
	uint8_t *v = NULL, bin[5] = {0, 1, 0xff, 0, 7};
	size_t n = 0;
	struct keys k;

	reset(b);
	s = open_migrated(b);
	assert_int_equal(ccg_store_begin(s, &t, NULL), CCG_OK);
	assert_int_equal(ccg_store_put(t, "contracts", "b/2", bin, sizeof(bin), CCG_STORE_INSERT, NULL), CCG_OK);
	assert_int_equal(ccg_store_put(t, "contracts", "a/1", (const uint8_t *)"one", 3, CCG_STORE_INSERT, NULL),
			 CCG_OK);
	assert_int_equal(ccg_store_put(t, "contracts", "b/1", (const uint8_t *)"", 0, CCG_STORE_UPSERT, NULL), CCG_OK);
	assert_int_equal(ccg_store_put(t, "secrets", "a/1", (const uint8_t *)"other table", 11, CCG_STORE_INSERT, NULL),
			 CCG_OK);
	/* an insert over an existing key is refused, and the transaction goes on */
	ccg_error_clear(&err);
	assert_int_equal(ccg_store_put(t, "contracts", "a/1", (const uint8_t *)"x", 1, CCG_STORE_INSERT, &err),
			 CCG_ERR_DUPLICATE);
	assert_string_equal(err.where, "store.put");
	assert_int_equal(ccg_store_put(t, "contracts", "zz", (const uint8_t *)"x", 1, CCG_STORE_UPDATE, NULL),
			 CCG_ERR_NOT_FOUND);
	assert_int_equal(ccg_store_commit(t, NULL), CCG_OK);

	/* a rolled-back transaction leaves nothing */
	assert_int_equal(ccg_store_begin(s, &t, NULL), CCG_OK);
	assert_int_equal(ccg_store_put(t, "contracts", "a/1", (const uint8_t *)"changed", 7, CCG_STORE_UPDATE, NULL),
			 CCG_OK);
	assert_int_equal(ccg_store_delete(t, "contracts", "b/2", NULL), CCG_OK);
	ccg_store_rollback(t);
	ccg_store_close(s);

	/* reopened: what was committed is there, byte for byte */
	s = open_migrated(b);
	assert_int_equal(ccg_store_begin(s, &t, NULL), CCG_OK);
	assert_int_equal(ccg_store_get(t, "contracts", "a/1", &v, &n, NULL), CCG_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(v, "one", 3);
	free(v);
	assert_int_equal(ccg_store_get(t, "contracts", "b/2", &v, &n, NULL), CCG_OK);
	assert_int_equal(n, sizeof(bin));
	assert_memory_equal(v, bin, sizeof(bin));
	free(v);
	assert_int_equal(ccg_store_get(t, "contracts", "b/1", &v, &n, NULL), CCG_OK);
	assert_int_equal(n, 0);
	free(v);
	ccg_error_clear(&err);
	assert_int_equal(ccg_store_get(t, "contracts", "c", &v, &n, &err), CCG_ERR_NOT_FOUND);
	assert_null(v);
	/* listing: by prefix, in byte order, bounded, stoppable */
	memset(&k, 0, sizeof(k));
	assert_int_equal(ccg_store_list(t, "contracts", "", 0, collect, &k, NULL), CCG_OK);
	assert_int_equal(k.n, 3);
	assert_string_equal(k.seen[0], "a/1");
	assert_string_equal(k.seen[1], "b/1");
	assert_string_equal(k.seen[2], "b/2");
	memset(&k, 0, sizeof(k));
	assert_int_equal(ccg_store_list(t, "contracts", "b/", 0, collect, &k, NULL), CCG_OK);
	assert_int_equal(k.n, 2);
	assert_string_equal(k.seen[0], "b/1");
	memset(&k, 0, sizeof(k));
	assert_int_equal(ccg_store_list(t, "contracts", "", 2, collect, &k, NULL), CCG_OK);
	assert_int_equal(k.n, 2);
	memset(&k, 0, sizeof(k));
	k.stop_after = 1;
	assert_int_equal(ccg_store_list(t, "contracts", "", 0, collect, &k, NULL), CCG_OK);
	assert_int_equal(k.n, 1);
	/* update, delete */
	assert_int_equal(ccg_store_put(t, "contracts", "a/1", (const uint8_t *)"two", 3, CCG_STORE_UPDATE, NULL),
			 CCG_OK);
	assert_int_equal(ccg_store_delete(t, "contracts", "b/1", NULL), CCG_OK);
	assert_int_equal(ccg_store_delete(t, "contracts", "b/1", NULL), CCG_ERR_NOT_FOUND);
	/* names are checked before the database sees them */
	ccg_error_clear(&err);
	assert_int_equal(ccg_store_put(t, "Bad Table", "k", bin, 1, CCG_STORE_UPSERT, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "store.table");
	ccg_error_clear(&err);
	assert_int_equal(ccg_store_put(t, "t", "", bin, 1, CCG_STORE_UPSERT, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "store.key");
	assert_int_equal(ccg_store_commit(t, NULL), CCG_OK);
	assert_int_equal(ccg_store_begin(s, &t, NULL), CCG_OK);
	assert_int_equal(ccg_store_get(t, "contracts", "a/1", &v, &n, NULL), CCG_OK);
	assert_memory_equal(v, "two", 3);
	free(v);
	assert_int_equal(ccg_store_get(t, "contracts", "b/1", &v, &n, NULL), CCG_ERR_NOT_FOUND);
	ccg_store_rollback(t);
	ccg_store_close(s);
}

static void test_urls(void **state)
{
	struct backend *b = *state;
	struct ccg_store *s = NULL;
	struct ccg_error err;

	(void)b;
	ccg_error_clear(&err);
	assert_int_equal(ccg_store_open("mysql://localhost/db", NULL, &s, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "store.url");
	ccg_error_clear(&err);
	assert_int_equal(ccg_store_open("sqlite://relative.db", NULL, &s, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "store.url");
	ccg_error_clear(&err);
	assert_int_equal(ccg_store_open("sqlite:///nonexistent-dir-ccgpu/x/verifier.db", NULL, &s, &err),
			 CCG_ERR_STORE);
	assert_string_equal(err.where, "store.url");
	/* a PostgreSQL socket directory with no server */
	ccg_error_clear(&err);
	assert_int_equal(ccg_store_open("postgresql:///postgres?host=/nonexistent-ccgpu&user=ccgpu&connect_timeout=2",
					NULL, &s, &err),
			 CCG_ERR_STORE);
	assert_string_equal(err.where, "store.url");
	assert_null(s);
}

static int setup_pg(void **state)
{
	(void)state;
	pg_url = tp_pg_start();
	return 0;
}

static int teardown_all(void **state)
{
	(void)state;
	tp_pg_stop();
	free(pg_url);
	if (sqlite_be.dir != NULL) {
		td_rm_rf(sqlite_be.dir);
		free(sqlite_be.dir);
	}
	return 0;
}

#define BOTH(fn) cmocka_unit_test_prestate(fn, &sqlite_be), cmocka_unit_test_prestate(fn, &pg_be)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_migrate),
		BOTH(test_migrate_concurrent),
		BOTH(test_nonce),
		BOTH(test_nonce_race),
		BOTH(test_records),
		BOTH(test_serial_writers),
		cmocka_unit_test_prestate(test_urls, &sqlite_be),
	};

	return cmocka_run_group_tests(tests, setup_pg, teardown_all);
}
