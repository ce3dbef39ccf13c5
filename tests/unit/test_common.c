/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/cursor.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/json.h"
#include "common/secret.h"
#include "common/str.h"
#include "common/writer.h"
#include "ccgpu/version.h"
#include "testdata.h"

static void test_cursor_getters(void **state)
{
	static const uint8_t in[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
	struct ccg_cursor c, v;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	(void)state;
	ccg_cursor_init(&c, in, sizeof(in));
	assert_true(ccg_cursor_get_u8(&c, &u8));
	assert_int_equal(u8, 0x01);
	assert_true(ccg_cursor_get_u16le(&c, &u16));
	assert_int_equal(u16, 0x0302);
	assert_true(ccg_cursor_get_u24le(&c, &u32));
	assert_int_equal(u32, 0x060504);
	assert_true(ccg_cursor_get_u16be(&c, &u16));
	assert_int_equal(u16, 0x0708);
	assert_int_equal(c.len, 1);
	/* a failing getter leaves the cursor untouched */
	assert_false(ccg_cursor_get_u16le(&c, &u16));
	assert_false(ccg_cursor_get_u64le(&c, &u64));
	assert_false(ccg_cursor_get_bytes(&c, &v, 2));
	assert_int_equal(c.len, 1);
	assert_ptr_equal(c.data, in + 8);
	assert_true(ccg_cursor_get_bytes(&c, &v, 1));
	assert_int_equal(v.data[0], 0x09);
	assert_int_equal(c.len, 0);
	ccg_cursor_init(&c, in, sizeof(in));
	assert_true(ccg_cursor_get_u32be(&c, &u32));
	assert_int_equal(u32, 0x01020304);
	assert_true(ccg_cursor_get_u32le(&c, &u32));
	assert_int_equal(u32, 0x08070605);
	assert_false(ccg_cursor_skip(&c, 2));
	assert_true(ccg_cursor_skip(&c, 1));
}

/* every width in both byte orders, into a fixed buffer, and read back by the cursor */
static void test_writer_widths(void **state)
{
	static const uint8_t want[] = {
		0xA1,                                           /* u8 */
		0x02, 0x01, 0x01, 0x02,                         /* u16 le, be */
		0x03, 0x02, 0x01, 0x01, 0x02, 0x03,             /* u24 le, be */
		0x04, 0x03, 0x02, 0x01, 0x01, 0x02, 0x03, 0x04, /* u32 le, be */
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* u64 le */
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* u64 be */
		0x00, 0x00, 0x00, 'h',  'i',                    /* zeros, bytes */
	};
	uint8_t out[sizeof(want)], u8 = 0;
	uint16_t u16 = 0;
	uint32_t u32 = 0;
	uint64_t u64 = 0;
	struct ccg_writer w;
	struct ccg_cursor c;
	size_t n = 0;

	(void)state;
	memset(out, 0xEE, sizeof(out));
	ccg_writer_init_fixed(&w, out, sizeof(out));
	assert_true(ccg_writer_put_u8(&w, 0xA1));
	assert_true(ccg_writer_put_u16le(&w, 0x0102));
	assert_true(ccg_writer_put_u16be(&w, 0x0102));
	assert_true(ccg_writer_put_u24le(&w, 0x010203));
	assert_true(ccg_writer_put_u24be(&w, 0x010203));
	assert_true(ccg_writer_put_u32le(&w, 0x01020304));
	assert_true(ccg_writer_put_u32be(&w, 0x01020304));
	assert_true(ccg_writer_put_u64le(&w, 0x0102030405060708ull));
	assert_true(ccg_writer_put_u64be(&w, 0x0102030405060708ull));
	assert_true(ccg_writer_put_zeros(&w, 3));
	assert_true(ccg_writer_put_bytes(&w, "hi", 2));
	assert_true(ccg_writer_put_bytes(&w, NULL, 0));
	assert_int_equal(ccg_writer_finish(&w, &n, "test", NULL), CCG_OK);
	assert_int_equal(n, sizeof(want)); /* exactly full is fine */
	assert_memory_equal(out, want, sizeof(want));

	ccg_cursor_init(&c, out, sizeof(out));
	assert_true(ccg_cursor_get_u8(&c, &u8));
	assert_int_equal(u8, 0xA1);
	assert_true(ccg_cursor_get_u16le(&c, &u16));
	assert_int_equal(u16, 0x0102);
	assert_true(ccg_cursor_get_u16be(&c, &u16));
	assert_int_equal(u16, 0x0102);
	assert_true(ccg_cursor_get_u24le(&c, &u32));
	assert_int_equal(u32, 0x010203);
	assert_true(ccg_cursor_get_u24be(&c, &u32));
	assert_int_equal(u32, 0x010203);
	assert_true(ccg_cursor_get_u32le(&c, &u32));
	assert_int_equal(u32, 0x01020304);
	assert_true(ccg_cursor_get_u32be(&c, &u32));
	assert_int_equal(u32, 0x01020304);
	assert_true(ccg_cursor_get_u64le(&c, &u64));
	assert_true(u64 == 0x0102030405060708ull);
	assert_true(ccg_cursor_get_u64be(&c, &u64));
	assert_true(u64 == 0x0102030405060708ull);
	assert_true(ccg_cursor_skip(&c, 5));
	assert_int_equal(ccg_cursor_finish(&c, "test", NULL), CCG_OK);
	/* the top bits of every width: nothing is cut short */
	ccg_writer_init_fixed(&w, out, sizeof(out));
	assert_true(ccg_writer_put_u16le(&w, 0xFFFE) && ccg_writer_put_u24be(&w, 0xFFFFFE) &&
		    ccg_writer_put_u32le(&w, 0xFEFFFFFFu) && ccg_writer_put_u64be(&w, 0xFEFFFFFFFFFFFFFFull));
	ccg_cursor_init(&c, out, w.len);
	assert_true(ccg_cursor_get_u16le(&c, &u16) && ccg_cursor_get_u24be(&c, &u32));
	assert_int_equal(u16, 0xFFFE);
	assert_int_equal(u32, 0xFFFFFE);
	assert_true(ccg_cursor_get_u32le(&c, &u32) && ccg_cursor_get_u64be(&c, &u64));
	assert_int_equal(u32, 0xFEFFFFFFu);
	assert_true(u64 == 0xFEFFFFFFFFFFFFFFull);
}

/* a fixed buffer refuses what does not fit, writes none of it, and stays failed */
static void test_writer_fixed_overflow(void **state)
{
	uint8_t out[6] = {0};
	struct ccg_writer w;
	struct ccg_error err;
	size_t n = 99;

	(void)state;
	ccg_writer_init_fixed(&w, out, sizeof(out));
	assert_true(ccg_writer_put_u32be(&w, 0x11223344));
	assert_false(ccg_writer_put_u32le(&w, 0x55667788)); /* 2 bytes of room left */
	assert_int_equal(w.len, 4);
	assert_int_equal(out[4], 0);
	assert_int_equal(out[5], 0);
	assert_false(ccg_writer_put_u8(&w, 1)); /* it fits, but the writer has failed */
	assert_int_equal(out[4], 0);
	ccg_error_clear(&err);
	assert_int_equal(ccg_writer_finish(&w, &n, "frame.header", &err), CCG_ERR_TOO_LARGE);
	assert_int_equal(n, 99);
	assert_string_equal(err.where, "frame.header");
	/* each kind of put refuses past the end */
	for (int kind = 0; kind < 6; kind++) {
		bool ok;

		ccg_writer_init_fixed(&w, out, 1);
		ok = kind == 0   ? ccg_writer_put_u16be(&w, 1)
		     : kind == 1 ? ccg_writer_put_u24le(&w, 1)
		     : kind == 2 ? ccg_writer_put_u64le(&w, 1)
		     : kind == 3 ? ccg_writer_put_bytes(&w, "ab", 2)
		     : kind == 4 ? ccg_writer_put_zeros(&w, 2)
				 : ccg_writer_put_u32be(&w, 1);
		assert_false(ok);
		assert_int_equal(ccg_writer_finish(&w, NULL, "x", NULL), CCG_ERR_TOO_LARGE);
	}
	/* a 24-bit field refuses a wider value */
	ccg_writer_init_fixed(&w, out, sizeof(out));
	assert_false(ccg_writer_put_u24le(&w, 0x1000000));
	assert_false(ccg_writer_put_u24be(&w, 0x1000000));
	assert_int_equal(w.len, 0);
	assert_int_equal(ccg_writer_finish(&w, NULL, "x", NULL), CCG_ERR_INVALID_ARG);
	/* a zero-sized buffer takes nothing but an empty put */
	ccg_writer_init_fixed(&w, NULL, 0);
	assert_true(ccg_writer_put_bytes(&w, NULL, 0));
	assert_false(ccg_writer_put_u8(&w, 0));
}

/* a growable writer appends to a ccg_buf and stops at the buffer's maximum */
static void test_writer_growable(void **state)
{
	static const uint8_t want[] = {'a', 0x00, 0x00, 0x00, 0x01, 0x02, 0x00};
	struct ccg_buf b;
	struct ccg_writer w;
	size_t n = 0;

	(void)state;
	ccg_buf_init(&b, 8);
	assert_int_equal(ccg_buf_append_u8(&b, 'a'), CCG_OK);
	ccg_writer_init_buf(&w, &b);
	assert_true(ccg_writer_put_u32be(&w, 1));
	assert_true(ccg_writer_put_u16le(&w, 2));
	assert_int_equal(ccg_writer_finish(&w, &n, "test", NULL), CCG_OK);
	assert_int_equal(n, 6); /* counts what this writer wrote */
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.data, want, sizeof(want));
	assert_false(ccg_writer_put_u16be(&w, 3)); /* 7 + 2 > the maximum of 8 */
	assert_int_equal(b.len, 7);                /* nothing appended */
	assert_false(ccg_writer_put_u8(&w, 3));    /* stays failed */
	assert_int_equal(b.len, 7);
	assert_int_equal(ccg_writer_finish(&w, NULL, "test", NULL), CCG_ERR_TOO_LARGE);
	/* a bigger buffer grows as needed */
	ccg_buf_cleanup(&b);
	ccg_buf_init(&b, 0);
	ccg_writer_init_buf(&w, &b);
	for (int i = 0; i < 1000; i++)
		assert_true(ccg_writer_put_u64le(&w, (uint64_t)i));
	assert_int_equal(ccg_writer_finish(&w, &n, "test", NULL), CCG_OK);
	assert_int_equal(n, 8000);
	assert_int_equal(b.data[7992], 999 & 0xFF);
	assert_int_equal(b.data[7993], 999 >> 8);
	ccg_buf_cleanup(&b);
}

/* finish: a parser's "nothing left over" */
static void test_cursor_finish(void **state)
{
	static const uint8_t in[] = {1, 2, 3};
	struct ccg_cursor c;
	struct ccg_error err;
	uint16_t v = 0;

	(void)state;
	ccg_cursor_init(&c, in, sizeof(in));
	assert_true(ccg_cursor_get_u16be(&c, &v));
	ccg_error_clear(&err);
	assert_int_equal(ccg_cursor_finish(&c, "thing.tail", &err), CCG_ERR_TRAILING_DATA);
	assert_int_equal(err.status, CCG_ERR_TRAILING_DATA);
	assert_string_equal(err.where, "thing.tail");
	assert_non_null(strstr(err.detail, "1 bytes left over"));
	assert_true(ccg_cursor_skip(&c, 1));
	assert_int_equal(ccg_cursor_finish(&c, "thing.tail", NULL), CCG_OK);
	ccg_cursor_init(&c, NULL, 0);
	assert_int_equal(ccg_cursor_finish(&c, "empty", NULL), CCG_OK);
}

static void test_buf_limits(void **state)
{
	struct ccg_buf b;
	uint8_t *p;
	size_t n;

	(void)state;
	ccg_buf_init(&b, 8);
	assert_int_equal(ccg_buf_append_u32le(&b, 0x04030201), CCG_OK);
	assert_int_equal(ccg_buf_append_u24le(&b, 0x070605), CCG_OK);
	assert_int_equal(ccg_buf_append_u16le(&b, 0x0908), CCG_ERR_TOO_LARGE);
	assert_int_equal(ccg_buf_append_u8(&b, 8), CCG_OK);
	assert_int_equal(ccg_buf_append_u8(&b, 9), CCG_ERR_TOO_LARGE);
	assert_int_equal(ccg_buf_append_u24le(&b, 0x1000000), CCG_ERR_INVALID_ARG);
	p = ccg_buf_steal(&b, &n);
	assert_int_equal(n, 8);
	assert_memory_equal(p, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	free(p);
	ccg_buf_cleanup(&b);
}

static void test_hex(void **state)
{
	uint8_t *out;
	size_t n;
	uint8_t fixed[2];
	char enc[7];

	(void)state;
	assert_int_equal(ccg_hex_decode(" 0xA0ff\n", 8, 16, &out, &n), CCG_OK);
	assert_int_equal(n, 2);
	assert_int_equal(out[0], 0xa0);
	assert_int_equal(out[1], 0xff);
	free(out);
	assert_int_equal(ccg_hex_decode("abc", 3, 16, &out, &n), CCG_ERR_ENCODING);
	assert_null(out);
	assert_int_equal(ccg_hex_decode("zz", 2, 16, &out, &n), CCG_ERR_ENCODING);
	assert_int_equal(ccg_hex_decode("0011", 4, 1, &out, &n), CCG_ERR_TOO_LARGE);
	assert_int_equal(ccg_hex_decode_fixed("beef", 4, fixed, 2), CCG_OK);
	assert_int_equal(ccg_hex_decode_fixed("beef00", 6, fixed, 2), CCG_ERR_ENCODING);
	ccg_hex_encode((const uint8_t *)"\x00\xab\xff", 3, enc);
	assert_string_equal(enc, "00abff");
}

/* strict percent-decoding (PCS issuer-chain headers) */
static void test_url_decode(void **state)
{
	static const struct {
		const char *in;
		size_t bad_at;
	} bad[] = {
		{"abc%", 3},
		{"abc%4", 3},
		{"%G1", 0},
		{"a%1G", 1},
		{"x%00y", 1},
		{"a b", 1},
		{"a\nb", 1},
		{"a\x80"
		 "b",
		 1},
		{"\x7f", 0},
		{"%%41", 0},
	};
	uint8_t *out = NULL;
	size_t n = 0, at = 99;
	static const char enc[] = "-----BEGIN%20CERTIFICATE-----%0AMIIC%2b%2F%3D+x";

	(void)state;
	assert_int_equal(ccg_url_decode(enc, strlen(enc), 100, &out, &n, &at), CCG_OK);
	assert_int_equal(n, strlen("-----BEGIN CERTIFICATE-----\nMIIC+/=+x"));
	assert_string_equal((char *)out, "-----BEGIN CERTIFICATE-----\nMIIC+/=+x");
	free(out);
	assert_int_equal(ccg_url_decode("", 0, 10, &out, &n, &at), CCG_OK);
	assert_int_equal(n, 0);
	free(out);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		at = 99;
		if (ccg_url_decode(bad[i].in, strlen(bad[i].in), 100, &out, &n, &at) != CCG_ERR_ENCODING)
			fail_msg("\"%s\" decodes", bad[i].in);
		assert_null(out);
		assert_int_equal(at, bad[i].bad_at);
	}
	assert_int_equal(ccg_url_decode("%41%42%43", 9, 2, &out, &n, &at), CCG_ERR_TOO_LARGE);
	assert_int_equal(ccg_url_decode("%41%42", 6, 2, &out, &n, &at), CCG_OK);
	assert_string_equal((char *)out, "AB");
	free(out);
}

static void test_base64(void **state)
{
	uint8_t *out;
	size_t n;
	char *e;

	(void)state;
	assert_int_equal(ccg_base64_decode("aGVs\nbG8=", 9, 64, &out, &n), CCG_OK);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "hello", 5);
	free(out);
	assert_int_equal(ccg_base64_decode("aGVsbG8", 7, 64, &out, &n), CCG_ERR_ENCODING);
	assert_int_equal(ccg_base64_decode("aGV=bG8=", 8, 64, &out, &n), CCG_ERR_ENCODING);
	assert_int_equal(ccg_base64_decode("a===", 4, 64, &out, &n), CCG_ERR_ENCODING);
	assert_int_equal(ccg_base64_decode("aGVs*G8=", 8, 64, &out, &n), CCG_ERR_ENCODING);
	assert_int_equal(ccg_base64_decode("aGVsbG8=", 8, 4, &out, &n), CCG_ERR_TOO_LARGE);
	/* same bytes, non-zero padding bits: refused */
	assert_int_equal(ccg_base64_decode("aGVsbG9=", 8, 64, &out, &n), CCG_ERR_ENCODING);
	assert_int_equal(ccg_base64_decode("aGVsbA==", 8, 64, &out, &n), CCG_OK);
	assert_int_equal(n, 4);
	free(out);
	assert_int_equal(ccg_base64_decode("aGVsbB==", 8, 64, &out, &n), CCG_ERR_ENCODING);
	assert_int_equal(ccg_base64_decode("", 0, 4, &out, &n), CCG_OK);
	assert_int_equal(n, 0);
	free(out);
	e = ccg_base64_encode_alloc((const uint8_t *)"hello", 5);
	assert_string_equal(e, "aGVsbG8=");
	free(e);
}

static void test_error_first_wins(void **state)
{
	struct ccg_error err;
	char buf[600];

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_error_set(&err, CCG_ERR_TRUNCATED, "spdm.nonce", "need %d", 32), CCG_ERR_TRUNCATED);
	assert_int_equal(ccg_error_set(&err, CCG_ERR_SIGNATURE, "other", NULL), CCG_ERR_SIGNATURE);
	assert_int_equal(err.status, CCG_ERR_TRUNCATED);
	assert_string_equal(err.where, "spdm.nonce");
	assert_string_equal(ccg_error_format(&err, buf, sizeof(buf)), "spdm.nonce: need 32 (input truncated)");
	assert_string_equal(ccg_status_name(CCG_ERR_CERT_ON_HOLD), "ERR_CERT_ON_HOLD");
	assert_string_equal(ccg_status_str((enum ccg_status)9999), "unknown status");
	/* NULL err is allowed everywhere */
	assert_int_equal(ccg_error_set(NULL, CCG_ERR_IO, "x", "y"), CCG_ERR_IO);
}

static void test_secret(void **state)
{
	struct ccg_secret *s;

	(void)state;
	assert_int_equal(ccg_secret_new(0, &s), CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_secret_new(32, &s), CCG_OK);
	for (size_t i = 0; i < 32; i++)
		assert_int_equal(s->data[i], 0);
	memset(s->data, 0x5a, 32);
	assert_true(ccg_secret_equal(s, (const uint8_t *)"ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", 32));
	assert_false(ccg_secret_equal(s, (const uint8_t *)"ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZY", 32));
	assert_false(ccg_secret_equal(s, (const uint8_t *)"ZZ", 2));
	ccg_secret_free(s);
	ccg_secret_free(NULL);
}

/*
 * a freed one-page secret's page comes back to the next one (branch prompt:
 * no mmap/munmap per secret) wiped to zeros and still locked; a forked child
 * does not reuse the parent's pages (its copies are not locked)
 */
static void test_secret_page_reuse(void **state)
{
	struct ccg_secret *a = NULL, *b = NULL;
	uint8_t *page;
	bool locked;
	pid_t pid;
	int status = 0;

	(void)state;
	assert_int_equal(ccg_secret_new(48, &a), CCG_OK);
	memset(a->data, 0xA5, a->map_len);
	page = a->data;
	locked = a->locked;
	ccg_secret_free(a);
	assert_int_equal(ccg_secret_new(32, &b), CCG_OK);
	if (!locked) {
		/* mlock refused here (RLIMIT_MEMLOCK): nothing is kept, nothing to check */
		ccg_secret_free(b);
		skip();
	}
	assert_ptr_equal(b->data, page);
	assert_true(b->locked);
	for (size_t i = 0; i < b->map_len; i++)
		assert_int_equal(b->data[i], 0);
	memset(b->data, 0x5A, b->len);
	ccg_secret_free(b);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ccg_secret *c = NULL;

		_exit(ccg_secret_new(32, &c) == CCG_OK && c->data != page ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the parent still has it */
	assert_int_equal(ccg_secret_new(16, &b), CCG_OK);
	assert_ptr_equal(b->data, page);
	ccg_secret_free(b);
}

static void test_json(void **state)
{
	static const char doc[] = "{\"a\": \"x\", \"b\": true, \"n\": 7}";
	json_t *j;
	const char *s;
	bool b;
	int64_t n;
	struct ccg_error err;

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_json_parse((const uint8_t *)doc, strlen(doc), 1024, "doc", &j, &err), CCG_OK);
	assert_int_equal(ccg_json_get_string(j, "a", &s, "doc", &err), CCG_OK);
	assert_string_equal(s, "x");
	assert_int_equal(ccg_json_get_bool(j, "b", &b, "doc", &err), CCG_OK);
	assert_true(b);
	assert_int_equal(ccg_json_get_int(j, "n", 0, 10, &n, "doc", &err), CCG_OK);
	assert_int_equal(n, 7);
	assert_int_equal(ccg_json_get_int(j, "n", 0, 5, &n, "doc", &err), CCG_ERR_MALFORMED);
	assert_non_null(strstr(err.detail, "\"n\""));
	ccg_error_clear(&err);
	assert_int_equal(ccg_json_get_string(j, "b", &s, "doc", &err), CCG_ERR_MALFORMED);
	assert_int_equal(ccg_json_get_bool(j, "zz", &b, "doc", &err), CCG_ERR_MALFORMED);
	assert_int_equal(ccg_json_set_hex(j, "h", (const uint8_t *)"\x00\xab", 2), CCG_OK);
	assert_string_equal(json_string_value(json_object_get(j, "h")), "00ab");
	json_decref(j);
	assert_int_equal(ccg_json_parse((const uint8_t *)"{\"a\":1,\"a\":2}", 13, 1024, "dup", &j, NULL),
			 CCG_ERR_ENCODING);
	assert_int_equal(ccg_json_parse((const uint8_t *)"{} x", 4, 1024, "trail", &j, NULL), CCG_ERR_ENCODING);
	assert_int_equal(ccg_json_parse((const uint8_t *)"{}", 2, 1, "big", &j, NULL), CCG_ERR_TOO_LARGE);
}

static void test_time(void **state)
{
	int64_t t;
	char iso[21];

	(void)state;
	assert_int_equal(ccg_time_parse_iso("2026-11-11T00:00:00Z", &t), CCG_OK);
	assert_int_equal(t, 1794355200);
	ccg_time_iso(t, iso);
	assert_string_equal(iso, "2026-11-11T00:00:00Z");
	assert_int_equal(ccg_time_parse_iso("1794355200", &t), CCG_OK);
	assert_int_equal(t, 1794355200);
	assert_int_equal(ccg_time_parse_iso("2026-11-11", &t), CCG_ERR_MALFORMED);
	assert_int_equal(ccg_time_parse_iso("", &t), CCG_ERR_MALFORMED);
}

static void test_pem_and_file(void **state)
{
	STACK_OF(X509) *sk = NULL;
	struct ccg_error err;
	uint8_t *data;
	size_t len;
	char cn[128];
	char *dir, path[512];

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_pem_certs_load(td_path("nvidia/hopper-550.90.07/chain.pem"), 10, &sk, &err), CCG_OK);
	assert_int_equal(sk_X509_num(sk), 5);
	assert_string_equal(ccg_x509_cn(sk_X509_value(sk, 0), cn, sizeof(cn)), "GH100 A01 GSP FMC LF");
	sk_X509_pop_free(sk, X509_free);
	assert_int_equal(ccg_pem_certs_load(td_path("nvidia/hopper-550.90.07/chain.pem"), 4, &sk, &err),
			 CCG_ERR_TOO_LARGE);
	ccg_error_clear(&err);
	assert_int_equal(ccg_pem_certs_parse((const uint8_t *)"junk", 4, 4, &sk, &err), CCG_ERR_ENCODING);
	ccg_error_clear(&err);
	assert_int_equal(ccg_file_read("/nonexistent/ccgpu", 10, &data, &len, &err), CCG_ERR_NOT_FOUND);
	assert_string_equal(err.where, "/nonexistent/ccgpu");

	dir = td_tmpdir();
	snprintf(path, sizeof(path), "%s/a/b/f", dir);
	snprintf(cn, sizeof(cn), "%s/a/b", dir);
	assert_int_equal(ccg_mkdir_p(cn, NULL), CCG_OK);
	assert_int_equal(ccg_file_write_atomic(path, (const uint8_t *)"hello", 5, NULL), CCG_OK);
	assert_int_equal(ccg_file_read(path, 5, &data, &len, NULL), CCG_OK);
	assert_int_equal(len, 5);
	assert_string_equal((char *)data, "hello");
	free(data);
	assert_int_equal(ccg_file_read(path, 4, &data, &len, NULL), CCG_ERR_TOO_LARGE);
	td_rm_rf(dir);
	free(dir);
}

static void test_ecdsa_raw(void **state)
{
	EVP_PKEY *key = EVP_EC_gen("P-384");
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[128], raw[96];
	size_t der_len = sizeof(der);
	const unsigned char *p = der;
	ECDSA_SIG *es;
	const BIGNUM *r, *s;
	struct ccg_error err;

	(void)state;
	assert_non_null(key);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(ctx, der, &der_len, (const uint8_t *)"msg", 3), 1);
	es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	assert_non_null(es);
	ECDSA_SIG_get0(es, &r, &s);
	assert_int_equal(BN_bn2binpad(r, raw, 48), 48);
	assert_int_equal(BN_bn2binpad(s, raw + 48, 48), 48);
	ccg_error_clear(&err);
	assert_int_equal(ccg_ecdsa_verify_raw(key, "SHA384", (const uint8_t *)"msg", 3, raw, 96, "t", &err), CCG_OK);
	assert_int_equal(ccg_ecdsa_verify_raw(key, "SHA384", (const uint8_t *)"msh", 3, raw, 96, "t", &err),
			 CCG_ERR_SIGNATURE);
	ccg_error_clear(&err);
	assert_int_equal(ccg_ecdsa_verify_raw(key, "SHA384", (const uint8_t *)"msg", 3, raw, 95, "t", &err),
			 CCG_ERR_SIGNATURE);
	memset(raw, 0, 48); /* r = 0 is out of range */
	assert_int_equal(ccg_ecdsa_verify_raw(key, "SHA384", (const uint8_t *)"msg", 3, raw, 96, "t", NULL),
			 CCG_ERR_SIGNATURE);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
}

static void test_ecdsa_sign_raw(void **state)
{
	EVP_PKEY *key = EVP_EC_gen("P-384");
	uint8_t sig[96];

	(void)state;
	assert_non_null(key);
	assert_int_equal(ccg_ecdsa_sign_raw(key, "SHA384", (const uint8_t *)"msg", 3, sig, sizeof(sig), "t", NULL),
			 CCG_OK);
	assert_int_equal(ccg_ecdsa_verify_raw(key, "SHA384", (const uint8_t *)"msg", 3, sig, sizeof(sig), "t", NULL),
			 CCG_OK);
	sig[5] ^= 1;
	assert_int_equal(ccg_ecdsa_verify_raw(key, "SHA384", (const uint8_t *)"msg", 3, sig, sizeof(sig), "t", NULL),
			 CCG_ERR_SIGNATURE);
	assert_int_equal(ccg_ecdsa_sign_raw(key, "SHA384", (const uint8_t *)"msg", 3, sig, 95, "t", NULL),
			 CCG_ERR_INVALID_ARG);
	/* a buffer too small for the curve's r and s */
	assert_int_equal(ccg_ecdsa_sign_raw(key, "SHA384", (const uint8_t *)"msg", 3, sig, 64, "t", NULL),
			 CCG_ERR_CRYPTO);
	EVP_PKEY_free(key);
}

/* UTF-8 (RFC 3629): what is valid, where the first invalid byte is, cutting and sanitizing */
static void test_utf8(void **state)
{
	static const struct {
		const char *s;
		size_t len, valid;
	} cases[] = {
		{"plain ASCII", 11, 11},
		{"\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80", 9, 9}, /* ä € 😀 */
		{"a\xc3", 2, 1},                                /* cut in two */
		{"a\xc0\x80", 3, 1},                            /* overlong NUL */
		{"a\xe0\x80\xaf", 4, 1},                        /* overlong '/' */
		{"a\xed\xa0\x80", 4, 1},                        /* a surrogate */
		{"a\xf4\x90\x80\x80", 5, 1},                    /* above U+10FFFF */
		{"a\x80", 2, 1},                                /* a lone continuation byte */
		{"a\xff", 2, 1},
		{"\xc3\xa4\xc3", 3, 2},
	};
	char buf[64];
	json_t *j;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (ccg_utf8_valid_prefix(cases[i].s, cases[i].len) != cases[i].valid)
			fail_msg("case %zu: first invalid byte %zu, want %zu", i,
				 ccg_utf8_valid_prefix(cases[i].s, cases[i].len), cases[i].valid);
		assert_int_equal(ccg_utf8_valid(cases[i].s, cases[i].len), cases[i].valid == cases[i].len);
	}
	/* cutting "xää" at 2, 3, 4 bytes keeps whole characters only */
	assert_int_equal(ccg_utf8_cut("x\xc3\xa4\xc3\xa4", 2), 1);
	assert_int_equal(ccg_utf8_cut("x\xc3\xa4\xc3\xa4", 3), 3);
	assert_int_equal(ccg_utf8_cut("x\xc3\xa4\xc3\xa4", 4), 3);
	assert_int_equal(ccg_utf8_cut("x\xc3\xa4\xc3\xa4", 40), 5);
	assert_int_equal(ccg_utf8_cut("\xf0\x9f\x98\x80", 3), 0);
	snprintf(buf, sizeof(buf), "ok \xc3\xa4 bad \xc3 \xed\xa0\x80 end");
	ccg_utf8_sanitize(buf);
	assert_string_equal(buf, "ok \xc3\xa4 bad ? ??? end");
	j = json_string(buf);
	assert_non_null(j);
	json_decref(j);
}

/* an error's where and detail stay valid UTF-8 (they go into JSON claims), whatever they were given */
static void test_error_text_is_utf8(void **state)
{
	struct ccg_error err;
	char long_detail[CCG_ERROR_DETAIL_MAX + 8];
	json_t *j;

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_error_set(&err, CCG_ERR_MALFORMED, "rim.\xc3", "product \"%s\"", "x\xc3\xa4\xc3"),
			 CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "rim.?");
	assert_string_equal(err.detail, "product \"x\xc3\xa4?\"");
	/* a two-byte character cut by the end of the detail buffer */
	memset(long_detail, 'a', sizeof(long_detail));
	long_detail[CCG_ERROR_DETAIL_MAX - 2] = '\xc3';
	long_detail[CCG_ERROR_DETAIL_MAX - 1] = '\xa4';
	long_detail[sizeof(long_detail) - 1] = '\0';
	ccg_error_clear(&err);
	CCG_IGNORE(ccg_error_set(&err, CCG_ERR_MALFORMED, "w", "%s", long_detail));
	assert_true(ccg_utf8_valid(err.detail, strlen(err.detail)));
	j = json_string(err.detail);
	assert_non_null(j);
	json_decref(j);
}

/* the public API's time convention: CCG_TIME_NOW is the current time, a time passes through, negative is refused */
static void test_time_resolve(void **state)
{
	struct ccg_error err;
	int64_t before = (int64_t)time(NULL), t = -1;

	(void)state;
	assert_int_equal(CCG_TIME_NOW, 0);
	assert_int_equal(ccg_time_resolve(CCG_TIME_NOW, "now", &t, NULL), CCG_OK);
	assert_true(t >= before && t <= (int64_t)time(NULL));
	assert_int_equal(ccg_time_resolve(1795305600, "now", &t, NULL), CCG_OK);
	assert_int_equal(t, 1795305600);
	ccg_error_clear(&err);
	assert_int_equal(ccg_time_resolve(-1, "now", &t, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "now");
	assert_int_equal(t, 0);
	/* the names of skipped checks, one per bit */
	assert_string_equal(ccg_check_name(CCG_CHECK_FRESHNESS), "freshness");
	assert_string_equal(ccg_check_name(CCG_CHECK_REVOCATION), "revocation");
	assert_string_equal(ccg_check_name(CCG_CHECK_REFERENCE_VALUES), "reference-values");
	assert_string_equal(ccg_check_name(CCG_CHECK_TCB_STATUS), "tcb-status");
	assert_null(ccg_check_name(CCG_CHECK_FRESHNESS | CCG_CHECK_REVOCATION));
	assert_null(ccg_check_name(0));
}

/* must_use_ok: a must-use call for CCG_IGNORE, counting its calls */
static int must_use_calls;
static CCG_MUST_USE enum ccg_status must_use_ok(void);
static enum ccg_status must_use_ok(void)
{
	must_use_calls++;
	return CCG_ERR_INTERNAL;
}

/* the application helpers of ccgpu/util.h and version.h (issue 12 item 9) */
static void test_app_helpers(void **state)
{
	uint8_t a[32] = {0}, b[32] = {0}, zero[32] = {0};
	char text[32];

	(void)state;
	assert_string_equal(ccg_version(), CCGPU_VERSION);
	snprintf(text, sizeof(text), "%d.%d.%d", CCGPU_VERSION_MAJOR, CCGPU_VERSION_MINOR, CCGPU_VERSION_PATCH);
	assert_string_equal(ccg_version(), text);
	assert_int_equal(CCGPU_VERSION_NUMBER,
			 (CCGPU_VERSION_MAJOR << 16) | (CCGPU_VERSION_MINOR << 8) | CCGPU_VERSION_PATCH);
	assert_int_equal(ccg_nonce_random(a, sizeof(a)), CCG_OK);
	assert_int_equal(ccg_nonce_random(b, sizeof(b)), CCG_OK);
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(ccg_nonce_random(NULL, 32), CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_nonce_random(NULL, 0), CCG_OK);
	CCG_IGNORE(must_use_ok());
	assert_int_equal(must_use_calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cursor_getters),
		cmocka_unit_test(test_writer_widths),
		cmocka_unit_test(test_writer_fixed_overflow),
		cmocka_unit_test(test_writer_growable),
		cmocka_unit_test(test_cursor_finish),
		cmocka_unit_test(test_buf_limits),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_url_decode),
		cmocka_unit_test(test_error_first_wins),
		cmocka_unit_test(test_secret),
		cmocka_unit_test(test_secret_page_reuse),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_pem_and_file),
		cmocka_unit_test(test_ecdsa_raw),
		cmocka_unit_test(test_ecdsa_sign_raw),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_error_text_is_utf8),
		cmocka_unit_test(test_time_resolve),
		cmocka_unit_test(test_app_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
