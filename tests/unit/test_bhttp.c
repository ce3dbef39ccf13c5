/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Binary HTTP (RFC 9292, ohttp/bhttp.c): the four examples of RFC 9292 §5
 * decoded and re-encoded byte for byte (known- and indeterminate-length,
 * a response with informational parts, trailers, padding); every
 * truncation of each example refused except where §3.1/§3.2 allow a
 * message to end; each rule of the strict parser seen refusing the one
 * input that breaks only it; the bounds; and messages built with the API
 * round-tripping through both framings.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "ohttp/bhttp.h"

/* RFC 9292 §5.1, Figure 6 (known-length request) */
static const char rfc_kreq[] =
	"0003474554056874747073000a2f68656c6c6f2e747874406c0a757365722d6167656e74346375726c2f372e31362e33206c6962"
	"6375726c2f372e31362e33204f70656e53534c2f302e392e376c207a6c69622f312e322e3304686f73740f7777772e6578616d70"
	"6c652e636f6d0f6163636570742d6c616e677561676506656e2c206d690000";
/* RFC 9292 §5.1, Figure 7 (the same request, indeterminate-length, 10 bytes of padding) */
static const char rfc_ireq[] =
	"0203474554056874747073000a2f68656c6c6f2e7478740a757365722d6167656e74346375726c2f372e31362e33206c69626375"
	"726c2f372e31362e33204f70656e53534c2f302e392e376c207a6c69622f312e322e3304686f73740f7777772e6578616d706c65"
	"2e636f6d0f6163636570742d6c616e677561676506656e2c206d6900000000000000000000000000";
/* RFC 9292 §5.2, Figure 9 (a response with two informational responses, indeterminate-length) */
static const char rfc_ires[] =
	"0340660772756e6e696e670a22736c65657020313522004067046c696e6b233c2f7374796c652e6373733e3b2072656c3d707265"
	"6c6f61643b2061733d7374796c65046c696e6b243c2f7363726970742e6a733e3b2072656c3d7072656c6f61643b2061733d7363"
	"726970740040c804646174651d4d6f6e2c203237204a756c20323030392031323a32383a353320474d5406736572766572064170"
	"616368650d6c6173742d6d6f6469666965641d5765642c203232204a756c20323030392031393a31353a353620474d5404657461"
	"671422333461613338372d642d3135363865623030220d6163636570742d72616e6765730562797465730e636f6e74656e742d6c"
	"656e67746802353104766172790f4163636570742d456e636f64696e670c636f6e74656e742d747970650a746578742f706c6169"
	"6e003348656c6c6f20576f726c6421204d7920636f6e74656e7420696e636c75646573206120747261696c696e672043524c462e"
	"0d0a0000";
/* RFC 9292 §5.2, Figure 11 (a chunked response with a trailer, known-length) */
static const char rfc_kres[] =
	"0140c8001d5468697320636f6e74656e7420636f6e7461696e732043524c462e0d0a0d07747261696c65720474657874";

static uint8_t *unhex(const char *h, size_t *len)
{
	uint8_t *b = NULL;

	assert_int_equal(ccg_hex_decode(h, strlen(h), 1 << 20, &b, len), CCG_OK);
	return b;
}

static void assert_field(const struct ccg_bhttp_msg *m, unsigned sec, size_t i, const char *name, const char *value)
{
	const char *n;
	const uint8_t *v;
	size_t vl;

	assert_true(ccg_bhttp_msg_field(m, sec, i, &n, &v, &vl));
	assert_string_equal(n, name);
	assert_int_equal(vl, strlen(value));
	assert_memory_equal(v, value, vl);
}

static void assert_encodes_to(const struct ccg_bhttp_msg *m, bool indet, size_t padding, const uint8_t *want,
			      size_t want_len)
{
	uint8_t *enc = NULL;
	size_t n = 0;

	assert_int_equal(ccg_bhttp_encode(m, indet, padding, &enc, &n, NULL), CCG_OK);
	assert_int_equal(n, want_len);
	assert_memory_equal(enc, want, n);
	free(enc);
}

static void check_rfc_request(const struct ccg_bhttp_msg *m)
{
	size_t cl = 99;

	assert_true(ccg_bhttp_msg_is_request(m));
	assert_string_equal(ccg_bhttp_msg_method(m), "GET");
	assert_string_equal(ccg_bhttp_msg_scheme(m), "https");
	assert_string_equal(ccg_bhttp_msg_authority(m), "");
	assert_string_equal(ccg_bhttp_msg_path(m), "/hello.txt");
	assert_int_equal(ccg_bhttp_msg_status(m), 0);
	assert_int_equal(ccg_bhttp_msg_field_count(m, CCG_BHTTP_HEADERS), 3);
	assert_field(m, CCG_BHTTP_HEADERS, 0, "user-agent", "curl/7.16.3 libcurl/7.16.3 OpenSSL/0.9.7l zlib/1.2.3");
	assert_field(m, CCG_BHTTP_HEADERS, 1, "host", "www.example.com");
	assert_field(m, CCG_BHTTP_HEADERS, 2, "accept-language", "en, mi");
	assert_int_equal(ccg_bhttp_msg_field_count(m, CCG_BHTTP_TRAILERS), 0);
	assert_non_null(ccg_bhttp_msg_content(m, &cl));
	assert_int_equal(cl, 0);
}

/* the request built with the API is the RFC's bytes in both framings */
static void test_rfc_request(void **state)
{
	size_t kl, il;
	uint8_t *k = unhex(rfc_kreq, &kl), *i = unhex(rfc_ireq, &il);
	struct ccg_bhttp_msg *m = NULL, *built = NULL;
	const char *ua = "curl/7.16.3 libcurl/7.16.3 OpenSSL/0.9.7l zlib/1.2.3";

	(void)state;
	assert_int_equal(ccg_bhttp_decode(k, kl, &m, NULL), CCG_OK);
	check_rfc_request(m);
	assert_encodes_to(m, false, 0, k, kl);
	assert_encodes_to(m, true, 10, i, il);
	ccg_bhttp_msg_free(m);
	m = NULL;
	assert_int_equal(ccg_bhttp_decode(i, il, &m, NULL), CCG_OK);
	check_rfc_request(m);
	assert_encodes_to(m, false, 0, k, kl);
	ccg_bhttp_msg_free(m);

	assert_int_equal(ccg_bhttp_request_new("GET", "https", "", "/hello.txt", &built, NULL), CCG_OK);
	assert_int_equal(ccg_bhttp_msg_add_field(built, CCG_BHTTP_HEADERS, "user-agent", (const uint8_t *)ua,
						 strlen(ua), NULL),
			 CCG_OK);
	assert_int_equal(ccg_bhttp_msg_add_field(built, CCG_BHTTP_HEADERS, "host", (const uint8_t *)"www.example.com",
						 15, NULL),
			 CCG_OK);
	assert_int_equal(ccg_bhttp_msg_add_field(built, CCG_BHTTP_HEADERS, "accept-language", (const uint8_t *)"en, mi",
						 6, NULL),
			 CCG_OK);
	assert_encodes_to(built, false, 0, k, kl);
	assert_encodes_to(built, true, 10, i, il);
	ccg_bhttp_msg_free(built);
	free(k);
	free(i);
}

static void test_rfc_responses(void **state)
{
	size_t il, kl, cl;
	uint8_t *i = unhex(rfc_ires, &il), *k = unhex(rfc_kres, &kl);
	struct ccg_bhttp_msg *m = NULL;
	const uint8_t *c;

	(void)state;
	assert_int_equal(ccg_bhttp_decode(i, il, &m, NULL), CCG_OK);
	assert_false(ccg_bhttp_msg_is_request(m));
	assert_null(ccg_bhttp_msg_method(m));
	assert_int_equal(ccg_bhttp_msg_informational_count(m), 2);
	assert_int_equal(ccg_bhttp_msg_informational_status(m, 0), 102);
	assert_int_equal(ccg_bhttp_msg_informational_status(m, 1), 103);
	assert_int_equal(ccg_bhttp_msg_field_count(m, CCG_BHTTP_INFORMATIONAL(0)), 1);
	assert_field(m, CCG_BHTTP_INFORMATIONAL(0), 0, "running", "\"sleep 15\"");
	assert_int_equal(ccg_bhttp_msg_field_count(m, CCG_BHTTP_INFORMATIONAL(1)), 2);
	assert_field(m, CCG_BHTTP_INFORMATIONAL(1), 1, "link", "</script.js>; rel=preload; as=script");
	assert_int_equal(ccg_bhttp_msg_status(m), 200);
	assert_int_equal(ccg_bhttp_msg_field_count(m, CCG_BHTTP_HEADERS), 8);
	assert_field(m, CCG_BHTTP_HEADERS, 7, "content-type", "text/plain");
	c = ccg_bhttp_msg_content(m, &cl);
	assert_int_equal(cl, 51);
	assert_memory_equal(c, "Hello World! My content includes a trailing CRLF.\r\n", 51);
	assert_memory_equal(ccg_bhttp_msg_field_value(m, CCG_BHTTP_HEADERS, "content-length", &cl), "51", 2);
	assert_null(ccg_bhttp_msg_field_value(m, CCG_BHTTP_HEADERS, "transfer-encoding", &cl));
	assert_int_equal(ccg_bhttp_msg_field_count(m, CCG_BHTTP_INFORMATIONAL(2)), 0);
	assert_encodes_to(m, true, 0, i, il);
	ccg_bhttp_msg_free(m);
	m = NULL;

	assert_int_equal(ccg_bhttp_decode(k, kl, &m, NULL), CCG_OK);
	assert_int_equal(ccg_bhttp_msg_status(m), 200);
	assert_int_equal(ccg_bhttp_msg_field_count(m, CCG_BHTTP_HEADERS), 0);
	c = ccg_bhttp_msg_content(m, &cl);
	assert_int_equal(cl, 29);
	assert_memory_equal(c, "This content contains CRLF.\r\n", 29);
	assert_int_equal(ccg_bhttp_msg_field_count(m, CCG_BHTTP_TRAILERS), 1);
	assert_field(m, CCG_BHTTP_TRAILERS, 0, "trailer", "text");
	assert_encodes_to(m, false, 0, k, kl);
	ccg_bhttp_msg_free(m);
	free(i);
	free(k);
}

/*
 * Every truncation of each example is refused, except after the control
 * data, after the header section and after the content (and anywhere in the
 * trailing padding): the only places RFC 9292 §3.1/§3.2 let a message end.
 */
static void truncations(const char *hex, size_t ctl, size_t hdr, size_t content, size_t trailers)
{
	size_t len;
	uint8_t *b = unhex(hex, &len);

	for (size_t l = 0; l < len; l++) {
		struct ccg_bhttp_msg *m = NULL;
		struct ccg_error err;
		enum ccg_status st;
		bool allowed = l == ctl || l == hdr || l == content || l >= trailers;
		uint8_t *copy = malloc(l + 1); /* exactly l bytes, so ASan sees any read past them */

		memcpy(copy, b, l);
		ccg_error_clear(&err);
		st = ccg_bhttp_decode(copy, l, &m, &err);
		if (allowed != (st == CCG_OK))
			fail_msg("%zu of %zu bytes: %s (%s: %s)", l, len, ccg_status_name(st), err.where, err.detail);
		if (!allowed) {
			assert_null(m);
			assert_int_not_equal(err.where[0], '\0');
		}
		ccg_bhttp_msg_free(m);
		free(copy);
	}
	free(b);
}

static void test_truncations(void **state)
{
	(void)state;
	truncations(rfc_kreq, 23, 133, 134, 135);
	truncations(rfc_ireq, 23, 132, 133, 134);
	truncations(rfc_ires, 111, 314, 367, 368);
	truncations(rfc_kres, 3, 4, 34, 48);
}

/* decodes hex and expects status st at where */
static void refused(const char *hex, enum ccg_status st, const char *where)
{
	size_t len;
	uint8_t *b = unhex(hex, &len);
	struct ccg_bhttp_msg *m = NULL;
	struct ccg_error err;

	ccg_error_clear(&err);
	if (ccg_bhttp_decode(b, len, &m, &err) != st || strcmp(err.where, where) != 0)
		fail_msg("%s: got %s at %s (%s), want %s at %s", hex, ccg_status_name(err.status), err.where,
			 err.detail, ccg_status_name(st), where);
	assert_null(m);
	free(b);
}

/* each rule of the parser refuses the one input that breaks only it (the valid base first) */
static void test_rules(void **state)
{
	struct ccg_bhttp_msg *m = NULL;

	(void)state;
	/* base: GET https "" / with header "a: b", content "x", trailer "t: u" */
	assert_int_equal(ccg_bhttp_decode((const uint8_t *)"\x00\x03GET\x05https\x00\x01/\x04\x01"
							   "a\x01"
							   "b\x01x\x04\x01t\x01u",
					  26, &m, NULL),
			 CCG_OK);
	ccg_bhttp_msg_free(m);
	refused("04", CCG_ERR_UNSUPPORTED, "bhttp.framing");
	refused("", CCG_ERR_TRUNCATED, "bhttp.framing");
	/* an upper-case field name, a pseudo-field, an empty name, a CR in a value, a space at its end */
	refused("000347455405687474707300012f0401410162", CCG_ERR_MALFORMED, "bhttp.header[0]");
	refused("000347455405687474707300012f04013a0162", CCG_ERR_MALFORMED, "bhttp.header[0]");
	{
		/* a pseudo-field is named as one (":path" where control data belongs) */
		struct ccg_error err;

		ccg_error_clear(&err);
		assert_int_equal(ccg_bhttp_decode((const uint8_t *)"\x00\x03GET\x05https\x00\x01/\x08\x05:path\x01/",
						  23, &m, &err),
				 CCG_ERR_MALFORMED);
		assert_non_null(strstr(err.detail, "pseudo-field"));
	}
	refused("000347455405687474707300012f02000162", CCG_ERR_MALFORMED, "bhttp.header[0]");
	refused("000347455405687474707300012f0501610262"
		"0d",
		CCG_ERR_MALFORMED, "bhttp.header[0]");
	refused("000347455405687474707300012f0501610262"
		"20",
		CCG_ERR_MALFORMED, "bhttp.header[0]");
	/* connection-specific fields (RFC 9113 §8.2.2), and TE other than "trailers" */
	refused("000347455405687474707300012f0d0a636f6e6e656374696f6e0131", CCG_ERR_MALFORMED, "bhttp.header[0]");
	refused("000347455405687474707300012f05027465016100", CCG_ERR_MALFORMED, "bhttp.header[0]");
	assert_int_equal(ccg_bhttp_decode((const uint8_t *)"\x00\x03GET\x05https\x00\x01/\x0c\x02te\x08trailers", 27,
					  &m, NULL),
			 CCG_OK);
	ccg_bhttp_msg_free(m);
	m = NULL;
	/* control data: an empty method, a space in the path, a scheme starting with a digit */
	refused("000005687474707300012f", CCG_ERR_MALFORMED, "bhttp.method");
	refused("000347455405687474707300022f20", CCG_ERR_MALFORMED, "bhttp.path");
	refused("0003474554053168747470", CCG_ERR_MALFORMED, "bhttp.scheme");
	/* statuses: 99 and 600, a 1xx with no final status after it */
	refused("014063", CCG_ERR_MALFORMED, "bhttp.status");
	refused("014258", CCG_ERR_MALFORMED, "bhttp.status");
	refused("01406400", CCG_ERR_TRUNCATED, "bhttp.status");
	/* a section length past the end, and a field line running past its section */
	refused("000347455405687474707300012f09", CCG_ERR_TRUNCATED, "bhttp.header");
	refused("000347455405687474707300012f020161", CCG_ERR_TRUNCATED, "bhttp.header[0].value");
	/* padding must be zero bytes */
	refused("0140c800000000000001", CCG_ERR_TRAILING_DATA, "bhttp.padding");
	/* an indeterminate section without its terminator, content chunks without theirs */
	refused("0340c8016101", CCG_ERR_TRUNCATED, "bhttp.header[0].value");
	refused("0340c8000278", CCG_ERR_TRUNCATED, "bhttp.content.chunk[0]");
	refused("0340c8000178", CCG_ERR_TRUNCATED, "bhttp.content.chunk[1]");
	refused("0340c800017801", CCG_ERR_TRUNCATED, "bhttp.content.chunk[1]");
	/* an indeterminate content of two chunks is their concatenation */
	{
		const uint8_t two[] = {0x03, 0x40, 0xc8, 0x00, 0x01, 'a', 0x02, 'b', 'c', 0x00, 0x00};
		size_t cl;

		assert_int_equal(ccg_bhttp_decode(two, sizeof(two), &m, NULL), CCG_OK);
		assert_memory_equal(ccg_bhttp_msg_content(m, &cl), "abc", 3);
		assert_int_equal(cl, 3);
		ccg_bhttp_msg_free(m);
	}
}

static void test_bounds(void **state)
{
	struct ccg_bhttp_msg *m = NULL;
	struct ccg_error err;
	uint8_t *big = calloc(1, CCG_BHTTP_MAX_MESSAGE + 1), *enc = NULL;
	size_t n = 0;

	(void)state;
	big[0] = 1;
	big[1] = 0x40;
	big[2] = 0xc8;
	ccg_error_clear(&err);
	assert_int_equal(ccg_bhttp_decode(big, CCG_BHTTP_MAX_MESSAGE + 1, &m, &err), CCG_ERR_TOO_LARGE);
	assert_int_equal(ccg_bhttp_decode(big, CCG_BHTTP_MAX_MESSAGE, &m, NULL), CCG_OK); /* padding up to the bound */
	ccg_bhttp_msg_free(m);
	m = NULL;
	/* more field lines than CCG_BHTTP_MAX_FIELDS */
	assert_int_equal(ccg_bhttp_response_new(200, &m, NULL), CCG_OK);
	for (unsigned i = 0; i < CCG_BHTTP_MAX_FIELDS; i++)
		assert_int_equal(ccg_bhttp_msg_add_field(m, CCG_BHTTP_TRAILERS, "x", (const uint8_t *)"1", 1, NULL),
				 CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_bhttp_msg_add_field(m, CCG_BHTTP_TRAILERS, "x", (const uint8_t *)"1", 1, &err),
			 CCG_ERR_TOO_LARGE);
	assert_string_equal(err.where, "bhttp.trailer[128]");
	/* ...and the same refused when decoded */
	assert_int_equal(ccg_bhttp_msg_add_field(m, CCG_BHTTP_HEADERS, "y", NULL, 0, NULL), CCG_OK);
	assert_int_equal(ccg_bhttp_encode(m, false, 0, &enc, &n, NULL), CCG_OK);
	ccg_bhttp_msg_free(m);
	m = NULL;
	assert_int_equal(ccg_bhttp_decode(enc, n, &m, NULL), CCG_OK);
	ccg_bhttp_msg_free(m);
	m = NULL;
	/* the 129th field line, appended to a trailer section now 516 bytes long instead of 512 */
	{
		uint8_t *more = malloc(n + 4);
		size_t tl = 4 * CCG_BHTTP_MAX_FIELDS; /* "01 78 01 31" per line */

		memcpy(more, enc, n);
		/* the trailer section starts after: framing, status (2), header section (1 + 3), content (1) */
		assert_int_equal(more[8], 0x40 | (tl >> 8));
		more[9] = (uint8_t)(tl + 4);
		memcpy(more + n, "\x01x\x01\x31", 4);
		ccg_error_clear(&err);
		assert_int_equal(ccg_bhttp_decode(more, n + 4, &m, &err), CCG_ERR_TOO_LARGE);
		assert_string_equal(err.where, "bhttp.trailer[128]");
		free(more);
	}
	free(enc);
	enc = NULL;
	/* encoding over the bound, a field value over its bound, informational responses over theirs */
	assert_int_equal(ccg_bhttp_response_new(200, &m, NULL), CCG_OK);
	/* 1 + 2 + 1 + 4 + content + 1 bytes: with 7 of padding exactly the bound, with 8 one over */
	assert_int_equal(ccg_bhttp_msg_set_content(m, big, CCG_BHTTP_MAX_MESSAGE - 16, NULL), CCG_OK);
	assert_int_equal(ccg_bhttp_encode(m, false, 7, &enc, &n, NULL), CCG_OK);
	assert_int_equal(n, CCG_BHTTP_MAX_MESSAGE);
	free(enc);
	assert_int_equal(ccg_bhttp_encode(m, false, 8, &enc, &n, NULL), CCG_ERR_TOO_LARGE);
	assert_null(enc);
	assert_int_equal(ccg_bhttp_msg_add_field(m, CCG_BHTTP_HEADERS, "v", big, CCG_BHTTP_MAX_FIELD_LEN + 1, NULL),
			 CCG_ERR_TOO_LARGE);
	for (unsigned i = 0; i < CCG_BHTTP_MAX_INFORMATIONAL; i++)
		assert_int_equal(ccg_bhttp_msg_add_informational(m, 100, NULL), CCG_OK);
	assert_int_equal(ccg_bhttp_msg_add_informational(m, 100, NULL), CCG_ERR_TOO_LARGE);
	ccg_bhttp_msg_free(m);
	free(big);
}

static void test_api(void **state)
{
	struct ccg_bhttp_msg *m = NULL, *d = NULL;
	uint8_t content[300], *enc = NULL;
	size_t n = 0, cl;

	(void)state;
	for (size_t i = 0; i < sizeof(content); i++)
		content[i] = (uint8_t)(i * 7);
	assert_int_equal(ccg_bhttp_response_new(199, &m, NULL), CCG_ERR_MALFORMED);
	assert_int_equal(ccg_bhttp_response_new(600, &m, NULL), CCG_ERR_MALFORMED);
	assert_int_equal(ccg_bhttp_request_new("GET", "https", NULL, "/", &m, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_bhttp_request_new("G T", "https", "", "/", &m, NULL), CCG_ERR_MALFORMED);
	assert_null(m);
	assert_int_equal(ccg_bhttp_request_new("POST", "https", "inference.example", "/v1/complete", &m, NULL), CCG_OK);
	assert_int_equal(ccg_bhttp_msg_add_informational(m, 100, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_bhttp_msg_add_field(m, CCG_BHTTP_INFORMATIONAL(0), "a", NULL, 0, NULL),
			 CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_bhttp_msg_add_field(m, CCG_BHTTP_HEADERS, "content-type",
						 (const uint8_t *)"application/json", 16, NULL),
			 CCG_OK);
	assert_int_equal(ccg_bhttp_msg_set_content(m, content, sizeof(content), NULL), CCG_OK);
	assert_int_equal(ccg_bhttp_msg_add_field(m, CCG_BHTTP_TRAILERS, "x-sum", (const uint8_t *)"42", 2, NULL),
			 CCG_OK);
	for (int indet = 0; indet < 2; indet++) {
		assert_int_equal(ccg_bhttp_encode(m, indet, 3, &enc, &n, NULL), CCG_OK);
		assert_int_equal(ccg_bhttp_decode(enc, n, &d, NULL), CCG_OK);
		assert_string_equal(ccg_bhttp_msg_authority(d), "inference.example");
		assert_string_equal(ccg_bhttp_msg_path(d), "/v1/complete");
		assert_memory_equal(ccg_bhttp_msg_content(d, &cl), content, sizeof(content));
		assert_int_equal(cl, sizeof(content));
		assert_field(d, CCG_BHTTP_TRAILERS, 0, "x-sum", "42");
		assert_false(ccg_bhttp_msg_field(d, CCG_BHTTP_TRAILERS, 1, NULL, NULL, NULL));
		ccg_bhttp_msg_free(d);
		d = NULL;
		free(enc);
	}
	ccg_bhttp_msg_free(m);
}

static void test_varint(void **state)
{
	static const uint64_t v[] = {0, 63, 64, 16383, 16384, (1u << 30) - 1, 1u << 30, CCG_QUIC_VARINT_MAX};
	/* RFC 9000 §A.1's examples */
	static const struct {
		const char *hex;
		uint64_t v;
	} ex[] = {{"c2197c5eff14e88c", 151288809941952652ull},
		  {"9d7f3e7d", 494878333},
		  {"7bbd", 15293},
		  {"25", 37},
		  {"4025", 37}};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t b[8], *e = ccg_quic_varint_put(b, v[i]);
		struct ccg_cursor c;
		uint64_t got;

		ccg_cursor_init(&c, b, (size_t)(e - b));
		assert_true(ccg_quic_varint_get(&c, &got));
		assert_int_equal(got, v[i]);
		assert_int_equal(c.len, 0);
		ccg_cursor_init(&c, b, (size_t)(e - b) - 1);
		assert_false(ccg_quic_varint_get(&c, &got));
		assert_int_equal(c.len, (size_t)(e - b) - 1);
	}
	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		size_t len;
		uint8_t *b = unhex(ex[i].hex, &len);
		struct ccg_cursor c;
		uint64_t got;

		ccg_cursor_init(&c, b, len);
		assert_true(ccg_quic_varint_get(&c, &got));
		assert_int_equal(got, ex[i].v);
		free(b);
	}
}

/*
 * (branch prompt) ccg_bhttp_decode_take: the message's content lies in the
 * taken buffer (no copy) and reads as ccg_bhttp_decode's; freeing the
 * message gives the buffer back to the pool wiped, and the next buffer of
 * that size is the same one, zeros where the prompt was. A failed take
 * leaves the buffer with the caller.
 */
static void test_decode_take_and_pool(void **state)
{
	struct ccg_bhttp_msg *m = NULL, *copy = NULL;
	uint8_t *enc = NULL, *buf, *again, *content = malloc(20000);
	const uint8_t *got;
	size_t n = 0, cap = 0, cap2 = 0, cl = 0, cl2 = 0;

	(void)state;
	for (size_t i = 0; i < 20000; i++)
		content[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(ccg_bhttp_request_new("POST", "https", "a.example", "/", &m, NULL), CCG_OK);
	assert_int_equal(ccg_bhttp_msg_set_content(m, content, 20000, NULL), CCG_OK);
	assert_int_equal(ccg_bhttp_encode(m, false, 0, &enc, &n, NULL), CCG_OK);
	ccg_bhttp_msg_free(m);
	m = NULL;
	buf = ccg_bhttp_buf_get(n, &cap);
	assert_non_null(buf);
	assert_true(cap >= n);
	memcpy(buf, enc, n);
	assert_int_equal(ccg_bhttp_decode(enc, n, &copy, NULL), CCG_OK);
	assert_int_equal(ccg_bhttp_decode_take(buf, n, cap, &m, NULL), CCG_OK);
	got = ccg_bhttp_msg_content(m, &cl);
	assert_int_equal(cl, 20000);
	assert_memory_equal(got, content, 20000);
	assert_true(got > buf && got + cl <= buf + n); /* in place */
	assert_memory_equal(ccg_bhttp_msg_content(copy, &cl2), got, cl);
	ccg_bhttp_msg_free(m);
	/* back in the pool, wiped: the next buffer that size is the same one */
	again = ccg_bhttp_buf_get(n, &cap2);
	assert_ptr_equal(again, buf);
	assert_int_equal(cap2, cap);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(again[i], 0);
	/* a take that fails leaves the buffer to the caller (ASan: no double free) */
	memcpy(again, enc, n);
	again[0] = 0x3F; /* framing indicator 63: unknown */
	m = NULL;
	assert_int_not_equal(ccg_bhttp_decode_take(again, n, cap2, &m, NULL), CCG_OK);
	assert_null(m);
	ccg_bhttp_buf_put(again, cap2, n);
	/* a content replaced after a take: the taken buffer is still freed once, with the message */
	buf = ccg_bhttp_buf_get(n, &cap);
	memcpy(buf, enc, n);
	assert_int_equal(ccg_bhttp_decode_take(buf, n, cap, &m, NULL), CCG_OK);
	assert_int_equal(ccg_bhttp_msg_set_content(m, (const uint8_t *)"x", 1, NULL), CCG_OK);
	ccg_bhttp_msg_free(m);
	ccg_bhttp_msg_free(copy);
	free(enc);
	free(content);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varint),        cmocka_unit_test(test_rfc_request),
		cmocka_unit_test(test_rfc_responses), cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_rules),         cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_api),           cmocka_unit_test(test_decode_take_and_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
