/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secrets at rest (verifier/kek.h, verifier/secrets.h) on a real SQLite
 * store: the file: KEK is created 0600 and loaded again the same; a key file
 * group/other can read, a directory, a FIFO, a symbolic link, a file of the
 * wrong size or of an unknown scheme are refused, naming the check (the
 * tpm: provider is tested against swtpm in integration/vtee). Wrapping binds the aad (every
 * byte of the wrapped key flipped, another aad, another KEK: refused).
 * Sealed secret rows: round trip, a fresh data key per upload (versions
 * count), and a row edited by the operator (ciphertext or wrapped key byte,
 * version member, moved to another secret) does not decrypt. Suspensions:
 * each party's own, resumed only by it, a malformed row refused.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "verifier/kek.h"
#include "verifier/secrets.h"
#include "verifier/store.h"
#include "pg.h"
#include "testdata.h"

static char *dir;

static int setup(void **state)
{
	(void)state;
	dir = td_tmpdir();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	td_rm_rf(dir);
	free(dir);
	return 0;
}

static char *spec(const char *name)
{
	char *s = NULL;

	assert_true(asprintf(&s, "file:%s/%s", dir, name) > 0);
	return s;
}

static void expect_open(const char *sp, enum ccg_status want, const char *where)
{
	struct ccg_kek *k = NULL;
	struct ccg_error err;

	ccg_error_clear(&err);
	assert_int_equal(ccg_kek_open(sp, NULL, &k, &err), want);
	assert_null(k);
	assert_string_equal(err.where, where);
}

static void test_file_created_and_reloaded(void **state)
{
	char *sp = spec("kek"), path[600];
	struct ccg_kek *a = NULL, *b = NULL;
	struct ccg_error err;
	struct stat st;
	uint8_t dk[32], out[32], w[CCG_KEK_WRAPPED_LEN];
	size_t wl = sizeof(w);

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_kek_open(sp, NULL, &a, &err), CCG_OK);
	snprintf(path, sizeof(path), "%s", sp + 5);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	memset(dk, 0x5a, sizeof(dk));
	assert_int_equal(ccg_kek_wrap(a, dk, (const uint8_t *)"aad", 3, w, &wl, &err), CCG_OK);
	assert_int_equal(wl, CCG_KEK_WRAPPED_LEN);
	/* the same file loaded again is the same key */
	assert_int_equal(ccg_kek_open(sp, NULL, &b, &err), CCG_OK);
	assert_int_equal(ccg_kek_unwrap(b, w, wl, (const uint8_t *)"aad", 3, out, &err), CCG_OK);
	assert_memory_equal(out, dk, 32);
	ccg_kek_free(a);
	ccg_kek_free(b);
	free(sp);
}

static void test_file_refusals(void **state)
{
	char *sp, path[600];
	int fd;

	(void)state;
	/* readable by the group */
	sp = spec("kek-group");
	{
		struct ccg_kek *k = NULL;
		struct ccg_error err;

		assert_int_equal(ccg_kek_open(sp, NULL, &k, &err), CCG_OK);
		ccg_kek_free(k);
	}
	assert_int_equal(chmod(sp + 5, 0640), 0);
	expect_open(sp, CCG_ERR_INVALID_ARG, "kek.mode");
	assert_int_equal(chmod(sp + 5, 0604), 0);
	expect_open(sp, CCG_ERR_INVALID_ARG, "kek.mode");
	assert_int_equal(chmod(sp + 5, 0600), 0);
	/* a symbolic link to a good key file */
	snprintf(path, sizeof(path), "%s/kek-link", dir);
	assert_int_equal(symlink(sp + 5, path), 0);
	free(sp);
	sp = spec("kek-link");
	expect_open(sp, CCG_ERR_INVALID_ARG, "kek.type");
	free(sp);
	/* a directory, a FIFO */
	snprintf(path, sizeof(path), "%s/kek-dir", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	sp = spec("kek-dir");
	expect_open(sp, CCG_ERR_INVALID_ARG, "kek.type");
	free(sp);
	snprintf(path, sizeof(path), "%s/kek-fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	sp = spec("kek-fifo");
	expect_open(sp, CCG_ERR_INVALID_ARG, "kek.type");
	free(sp);
	/* 31 and 33 bytes */
	for (int n = 31; n <= 33; n += 2) {
		uint8_t junk[33] = {0};

		snprintf(path, sizeof(path), "%s/kek-%d", dir, n);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, junk, (size_t)n), n);
		close(fd);
		assert_true(asprintf(&sp, "file:%s", path) > 0);
		expect_open(sp, CCG_ERR_INVALID_ARG, "kek.size");
		free(sp);
	}
	/* schemes and paths */
	expect_open("file:relative/kek", CCG_ERR_INVALID_ARG, "kek");
	expect_open("env:KEK", CCG_ERR_INVALID_ARG, "kek");
	expect_open(NULL, CCG_ERR_INVALID_ARG, "kek");
}

static void test_wrap_binds(void **state)
{
	char *sp = spec("kek-wrap"), *sp2 = spec("kek-other");
	struct ccg_kek *k = NULL, *other = NULL;
	struct ccg_error err;
	uint8_t dk[32], out[32], w[CCG_KEK_WRAPPED_LEN], w2[CCG_KEK_WRAPPED_LEN];
	size_t wl = sizeof(w), wl2 = sizeof(w2);

	(void)state;
	assert_int_equal(ccg_kek_open(sp, NULL, &k, &err), CCG_OK);
	assert_int_equal(ccg_kek_open(sp2, NULL, &other, &err), CCG_OK);
	for (size_t i = 0; i < 32; i++)
		dk[i] = (uint8_t)i;
	assert_int_equal(ccg_kek_wrap(k, dk,
				      (const uint8_t *)"c\0s\0"
						       "1",
				      5, w, &wl, &err),
			 CCG_OK);
	/* fresh IV: wrapping twice gives two texts */
	assert_int_equal(ccg_kek_wrap(k, dk,
				      (const uint8_t *)"c\0s\0"
						       "1",
				      5, w2, &wl2, &err),
			 CCG_OK);
	assert_memory_not_equal(w, w2, wl);
	assert_int_equal(ccg_kek_unwrap(k, w, wl,
					(const uint8_t *)"c\0s\0"
							 "1",
					5, out, &err),
			 CCG_OK);
	assert_memory_equal(out, dk, 32);
	for (size_t i = 0; i < wl; i++) {
		w[i] ^= 0x01;
		ccg_error_clear(&err);
		assert_int_equal(ccg_kek_unwrap(k, w, wl,
						(const uint8_t *)"c\0s\0"
								 "1",
						5, out, &err),
				 CCG_ERR_MAC);
		assert_string_equal(err.where, "kek.unwrap");
		w[i] ^= 0x01;
	}
	ccg_error_clear(&err);
	assert_int_equal(ccg_kek_unwrap(k, w, wl,
					(const uint8_t *)"c\0s\0"
							 "2",
					5, out, &err),
			 CCG_ERR_MAC);
	ccg_error_clear(&err);
	assert_int_equal(ccg_kek_unwrap(other, w, wl,
					(const uint8_t *)"c\0s\0"
							 "1",
					5, out, &err),
			 CCG_ERR_MAC);
	ccg_error_clear(&err);
	assert_int_equal(ccg_kek_unwrap(k, w, wl - 1,
					(const uint8_t *)"c\0s\0"
							 "1",
					5, out, &err),
			 CCG_ERR_MALFORMED);
	ccg_kek_free(k);
	ccg_kek_free(other);
	free(sp);
	free(sp2);
}

/* ---- sealed rows and suspensions on SQLite ---- */

struct fx {
	char url[700];
	struct ccg_store *s;
	struct ccg_kek *k;
};

static void fx_open(struct fx *f, const char *name)
{
	struct ccg_error err;
	char *sp = spec("kek-store");

	snprintf(f->url, sizeof(f->url), "sqlite://%s/%s.sqlite", dir, name);
	assert_int_equal(ccg_store_open(f->url, NULL, &f->s, &err), CCG_OK);
	assert_int_equal(ccg_store_migrate(f->s, NULL, &err), CCG_OK);
	assert_int_equal(ccg_kek_open(sp, NULL, &f->k, &err), CCG_OK);
	free(sp);
}

static void fx_close(struct fx *f)
{
	ccg_store_close(f->s);
	ccg_kek_free(f->k);
}

/* the ids of two versions of contract "llm" (SHA-384 hex of their canonical forms, as verifier/contracts.h keeps them) */
#define ID1 "1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111a1"
#define ID2 "2222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222b2"

static void put_for(struct fx *f, const char *c, const char *s, const char *id, const char *text, int64_t want_version)
{
	struct ccg_store_txn *t = NULL;
	struct ccg_error err;
	int64_t v = 0;

	ccg_error_clear(&err);
	assert_int_equal(ccg_store_begin(f->s, &t, &err), CCG_OK);
	assert_int_equal(ccg_secrets_put(t, f->k, c, s, id, (const uint8_t *)text, strlen(text), "acme", &v, &err),
			 CCG_OK);
	assert_int_equal(ccg_store_commit(t, &err), CCG_OK);
	assert_int_equal(v, want_version);
}

static void put(struct fx *f, const char *c, const char *s, const char *text, int64_t want_version)
{
	put_for(f, c, s, ID1, text, want_version);
}

/* get: the status, and on success the text compared (for the contract version id) */
static enum ccg_status get_for(struct fx *f, const char *c, const char *s, const char *id, const char *want,
			       struct ccg_error *err)
{
	struct ccg_store_txn *t = NULL;
	struct ccg_secret *pt = NULL;
	int64_t v = 0;
	enum ccg_status st;

	ccg_error_clear(err);
	assert_int_equal(ccg_store_begin(f->s, &t, err), CCG_OK);
	st = ccg_secrets_get(t, f->k, c, s, id, &pt, &v, err);
	ccg_store_rollback(t);
	if (st == CCG_OK) {
		assert_non_null(want);
		assert_true(ccg_secret_equal(pt, (const uint8_t *)want, strlen(want)));
	}
	ccg_secret_free(pt);
	return st;
}

static enum ccg_status get(struct fx *f, const char *c, const char *s, const char *want, struct ccg_error *err)
{
	return get_for(f, c, s, ID1, want, err);
}

/* the raw row text of (c, s) as the store holds it */
static char *raw_row(struct fx *f, const char *key)
{
	struct ccg_store_txn *t = NULL;
	struct ccg_error err;
	uint8_t *v = NULL;
	size_t n = 0;

	assert_int_equal(ccg_store_begin(f->s, &t, &err), CCG_OK);
	assert_int_equal(ccg_store_get(t, CCG_SECRETS_TABLE, key, &v, &n, &err), CCG_OK);
	ccg_store_rollback(t);
	return (char *)v;
}

static void put_row(struct fx *f, const char *key, const char *text)
{
	struct ccg_store_txn *t = NULL;
	struct ccg_error err;

	assert_int_equal(ccg_store_begin(f->s, &t, &err), CCG_OK);
	assert_int_equal(ccg_store_put(t, CCG_SECRETS_TABLE, key, (const uint8_t *)text, strlen(text), CCG_STORE_UPSERT,
				       &err),
			 CCG_OK);
	assert_int_equal(ccg_store_commit(t, &err), CCG_OK);
}

/* flips one character of the base64url member m of row (a letter to another letter) */
static char *edit_member(const char *row, const char *m, size_t at)
{
	json_t *j = json_loads(row, 0, NULL);
	char *v = strdup(json_string_value(json_object_get(j, m))), *out;

	assert_true(at < strlen(v));
	v[at] = v[at] == 'A' ? 'B' : 'A';
	json_object_set_new(j, m, json_string(v));
	out = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	free(v);
	return out;
}

static void test_sealed_rows(void **state)
{
	struct fx f;
	struct ccg_error err;
	char *row, *bad, *row1;

	(void)state;
	fx_open(&f, "rows");
	assert_int_equal(get(&f, "llm", "model-key", NULL, &err), CCG_ERR_NOT_FOUND);
	assert_string_equal(err.where, "secret");
	put(&f, "llm", "model-key", "first model key", 1);
	assert_int_equal(get(&f, "llm", "model-key", "first model key", &err), CCG_OK);
	row1 = raw_row(&f, "3:llm/model-key");
	/* the stored row never holds the plaintext */
	assert_null(strstr(row1, "first model key"));
	put(&f, "llm", "model-key", "second model key", 2);
	assert_int_equal(get(&f, "llm", "model-key", "second model key", &err), CCG_OK);
	row = raw_row(&f, "3:llm/model-key");
	/* a fresh data key per upload: another wrapped key */
	{
		json_t *a = json_loads(row1, 0, NULL), *b = json_loads(row, 0, NULL);

		assert_string_not_equal(json_string_value(json_object_get(a, "wrapped_key")),
					json_string_value(json_object_get(b, "wrapped_key")));
		json_decref(a);
		json_decref(b);
	}
	/* the operator edits a byte of the ciphertext, of the wrapped key */
	bad = edit_member(row, "ciphertext", 20);
	put_row(&f, "3:llm/model-key", bad);
	assert_int_equal(get(&f, "llm", "model-key", NULL, &err), CCG_ERR_MAC);
	assert_string_equal(err.where, "secret.ciphertext");
	free(bad);
	bad = edit_member(row, "wrapped_key", 5);
	put_row(&f, "3:llm/model-key", bad);
	assert_int_equal(get(&f, "llm", "model-key", NULL, &err), CCG_ERR_MAC);
	assert_string_equal(err.where, "kek.unwrap");
	free(bad);
	/* the version member changed: the aad no longer matches */
	{
		json_t *j = json_loads(row, 0, NULL);

		json_object_set_new(j, "version", json_integer(3));
		bad = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		put_row(&f, "3:llm/model-key", bad);
		assert_int_equal(get(&f, "llm", "model-key", NULL, &err), CCG_ERR_MAC);
		free(bad);
	}
	/* the row moved to another secret of the same contract */
	put_row(&f, "3:llm/model-key", row);
	put_row(&f, "3:llm/data-key", row);
	assert_int_equal(get(&f, "llm", "data-key", NULL, &err), CCG_ERR_MAC);
	assert_int_equal(get(&f, "llm", "model-key", "second model key", &err), CCG_OK);
	/*
	 * bound to the contract version it was uploaded for (branch releasefast): read for another version
	 * (a new one, or a row the operator replaced) it is refused, named; its contract_id rewritten to the
	 * other version's, it does not decrypt; uploaded again for that version, it does
	 */
	assert_int_equal(get_for(&f, "llm", "model-key", ID2, NULL, &err), CCG_ERR_CONTRACT_MISMATCH);
	assert_string_equal(err.where, "secret.contract_id");
	{
		json_t *j = json_loads(row, 0, NULL);

		json_object_set_new(j, "contract_id", json_string(ID2));
		bad = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		put_row(&f, "3:llm/model-key", bad);
		assert_int_equal(get_for(&f, "llm", "model-key", ID2, NULL, &err), CCG_ERR_MAC);
		assert_int_equal(get(&f, "llm", "model-key", NULL, &err), CCG_ERR_CONTRACT_MISMATCH);
		free(bad);
		put_row(&f, "3:llm/model-key", row);
	}
	put_for(&f, "llm", "model-key", ID2, "third model key", 3);
	assert_int_equal(get_for(&f, "llm", "model-key", ID2, "third model key", &err), CCG_OK);
	assert_int_equal(get(&f, "llm", "model-key", NULL, &err), CCG_ERR_CONTRACT_MISMATCH);
	put_row(&f, "3:llm/model-key", row);
	/* not a contract version id */
	{
		uint8_t aad[CCG_SECRETS_AAD_MAX];
		size_t n = 0;

		ccg_error_clear(&err);
		assert_int_equal(ccg_secrets_aad("llm", "model-key", "abc", 0, aad, sizeof(aad), &n, &err),
				 CCG_ERR_INVALID_ARG);
		assert_string_equal(err.where, "contract_id");
		ccg_error_clear(&err);
		assert_int_equal(ccg_secrets_aad("llm", "model-key", ID1, 0, aad, sizeof(aad), &n, &err), CCG_OK);
		assert_int_equal(n, 3 + 1 + 9 + 1 + 96);
		assert_memory_equal(aad + 14, ID1, 96);
	}
	/* not a row */
	put_row(&f, "3:llm/model-key", "{\"version\":0}");
	assert_int_equal(get(&f, "llm", "model-key", NULL, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "secret.row");
	free(row);
	free(row1);
	fx_close(&f);
}

static void suspend(struct fx *f, const char *secret, const char *party, bool on, enum ccg_status want,
		    const char *want_list)
{
	struct ccg_store_txn *t = NULL;
	struct ccg_error err;
	json_t *by = NULL;
	enum ccg_status st;

	ccg_error_clear(&err);
	assert_int_equal(ccg_store_begin(f->s, &t, &err), CCG_OK);
	st = ccg_suspension_set(t, "llm", secret, party, on, &by, &err);
	assert_int_equal(st, want);
	if (st != CCG_OK) {
		assert_string_equal(err.where, "suspension");
		ccg_store_rollback(t);
		return;
	}
	assert_int_equal(ccg_store_commit(t, &err), CCG_OK);
	{
		char *text = json_dumps(by, JSON_COMPACT);

		assert_string_equal(text, want_list);
		free(text);
	}
	json_decref(by);
}

static void test_suspensions(void **state)
{
	struct fx f;
	struct ccg_store_txn *t = NULL;
	struct ccg_error err;
	json_t *by = NULL;

	(void)state;
	fx_open(&f, "susp");
	suspend(&f, "model-key", "clinic", true, CCG_OK, "[\"clinic\"]");
	suspend(&f, "model-key", "acme", true, CCG_OK, "[\"acme\",\"clinic\"]");
	suspend(&f, "model-key", "acme", true, CCG_OK, "[\"acme\",\"clinic\"]");
	/* only the suspending party resumes */
	suspend(&f, "model-key", "alice", false, CCG_ERR_NOT_FOUND, NULL);
	suspend(&f, "model-key", "clinic", false, CCG_OK, "[\"acme\"]");
	suspend(&f, "model-key", "clinic", false, CCG_ERR_NOT_FOUND, NULL);
	suspend(&f, "model-key", "acme", false, CCG_OK, "[]");
	/* the whole contract is its own row */
	suspend(&f, NULL, "alice", true, CCG_OK, "[\"alice\"]");
	assert_int_equal(ccg_store_begin(f.s, &t, &err), CCG_OK);
	assert_int_equal(ccg_suspension_get(t, "llm", "model-key", &by, &err), CCG_OK);
	assert_int_equal(json_array_size(by), 0);
	json_decref(by);
	assert_int_equal(ccg_suspension_get(t, "llm", NULL, &by, &err), CCG_OK);
	assert_int_equal(json_array_size(by), 1);
	json_decref(by);
	/* an edited row is refused, never read as "not suspended" */
	assert_int_equal(ccg_store_put(t, CCG_SUSPENSION_TABLE, "3:llm/", (const uint8_t *)"[1]", 3, CCG_STORE_UPSERT,
				       &err),
			 CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_suspension_get(t, "llm", NULL, &by, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "suspension.row");
	ccg_store_rollback(t);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_created_and_reloaded),
		cmocka_unit_test(test_file_refusals),
		cmocka_unit_test(test_wrap_binds),
		cmocka_unit_test(test_sealed_rows),
		cmocka_unit_test(test_suspensions),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
