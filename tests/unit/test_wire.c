/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wire/: the refusal status on the wire, the one ERROR-frame writer and
 * reader, and the one request -> answer-or-ERROR helper (ccg_frame_call),
 * driven over a real socketpair whose far end plays the device.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/writer.h"
#include "wire/frame.h"
#include "wire/spdm_codes.h"

/* a status no enumerator has yet, wider than 16 bits: it must cross the wire whole */
#define WIDE_STATUS ((enum ccg_status)0x00012345)

static void test_status_all_32_bits(void **state)
{
	uint8_t b[4];
	struct ccg_writer w;
	struct ccg_cursor c;
	enum ccg_status st = CCG_OK;

	(void)state;
	ccg_writer_init_fixed(&w, b, sizeof(b));
	assert_true(ccg_wire_put_status(&w, WIDE_STATUS));
	assert_int_equal(w.len, 4);
	ccg_cursor_init(&c, b, sizeof(b));
	assert_true(ccg_wire_get_status(&c, &st));
	assert_int_equal(st, WIDE_STATUS);
	assert_int_equal(c.len, 0);
	/* 0 is no refusal; short is no status; a failed get leaves the cursor as it was */
	memset(b, 0, sizeof(b));
	ccg_cursor_init(&c, b, sizeof(b));
	assert_false(ccg_wire_get_status(&c, &st));
	assert_int_equal(c.len, 4);
	ccg_cursor_init(&c, b, 3);
	assert_false(ccg_wire_get_status(&c, &st));
	assert_int_equal(c.len, 3);
}

/* the one ERROR-frame writer and its reader agree on every bit of the status and on the text */
static void test_error_frame_round_trip(void **state)
{
	struct ccg_buf out;
	struct ccg_error e;
	struct ccg_cursor c, text;
	struct ccg_frame f;
	enum ccg_status st = CCG_OK;

	(void)state;
	ccg_buf_init(&out, 0);
	ccg_error_clear(&e);
	(void)ccg_error_set(&e, WIDE_STATUS, "frame.device", "no GPU %u", 9u);
	assert_int_equal(ccg_frame_append_error(&out, 3, &e), CCG_OK);
	ccg_cursor_init(&c, out.data, out.len);
	assert_int_equal(ccg_frame_parse(&c, &f, NULL), CCG_OK);
	assert_int_equal(c.len, 0);
	assert_int_equal(f.type, CCG_FRAME_ERROR);
	assert_int_equal(f.device, 3);
	assert_int_equal(f.session_id, 0);
	assert_true(ccg_frame_error_parse(&f, &st, &text));
	assert_int_equal(st, WIDE_STATUS);
	assert_true(text.len > 0);
	assert_non_null(memmem(text.data, text.len, "frame.device: no GPU 9", 22));
	/* another type is no ERROR frame */
	f.type = CCG_FRAME_INFO;
	assert_false(ccg_frame_error_parse(&f, &st, &text));
	ccg_buf_cleanup(&out);
}

struct pair {
	int host, dev;
	struct ccg_buf buf;
};

static int pair_setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	int sv[2];

	if (p == NULL || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	p->host = sv[0];
	p->dev = sv[1];
	ccg_buf_init(&p->buf, CCG_FRAME_HEADER_LEN + CCG_FRAME_MAX_PAYLOAD);
	*state = p;
	return 0;
}

static int pair_teardown(void **state)
{
	struct pair *p = *state;

	close(p->host);
	if (p->dev >= 0)
		close(p->dev);
	ccg_buf_cleanup(&p->buf);
	free(p);
	return 0;
}

/* the device's answer, queued before the request is sent (the socket holds it) */
static void answer(struct pair *p, uint8_t type, uint16_t device, uint32_t sid, const void *payload, size_t len)
{
	assert_int_equal(ccg_frame_write(p->dev, type, device, sid, payload, len, NULL), CCG_OK);
}

static void answer_error(struct pair *p, uint16_t device, enum ccg_status status)
{
	struct ccg_buf b;
	struct ccg_error e;

	ccg_buf_init(&b, 0);
	ccg_error_clear(&e);
	(void)ccg_error_set(&e, status, "gpusim", "refused");
	assert_int_equal(ccg_frame_append_error(&b, device, &e), CCG_OK);
	assert_int_equal(ccg_frame_send(p->dev, b.data, b.len, NULL), CCG_OK);
	ccg_buf_cleanup(&b);
}

static struct ccg_frame_call call_for(uint8_t type, uint8_t want, uint16_t device, uint32_t sid, bool adopt)
{
	struct ccg_frame_call c = {.type = type, .device = device, .session_id = sid, .pass_fd = -1, .want = want,
				   .where = "test.call", .bad_answer = CCG_ERR_PROTOCOL, .adopt_refusal = adopt};

	return c;
}

static void test_call_answer(void **state)
{
	struct pair *p = *state;
	static const uint8_t nonce[32] = {1, 2, 3};
	struct ccg_frame_call call = call_for(CCG_FRAME_GET_REPORT, CCG_FRAME_REPORT, 2, 0, false);
	struct ccg_frame f, req;
	struct ccg_buf rb;
	struct ccg_error err;

	ccg_buf_init(&rb, 0);
	call.payload = nonce;
	call.len = sizeof(nonce);
	answer(p, CCG_FRAME_REPORT, 2, 0, "report", 6);
	ccg_error_clear(&err);
	assert_int_equal(ccg_frame_call(p->host, &call, &p->buf, &f, &err), CCG_OK);
	assert_int_equal(f.type, CCG_FRAME_REPORT);
	assert_int_equal(f.payload.len, 6);
	assert_memory_equal(f.payload.data, "report", 6);
	/* the request as the device reads it */
	assert_int_equal(ccg_frame_read(p->dev, &rb, &req, NULL), CCG_OK);
	assert_int_equal(req.type, CCG_FRAME_GET_REPORT);
	assert_int_equal(req.device, 2);
	assert_int_equal(req.payload.len, 32);
	assert_memory_equal(req.payload.data, nonce, 32);
	ccg_buf_cleanup(&rb);
}

/* an ERROR frame: the device's own status when adopted, else the caller's bad_answer */
static void test_call_refusal(void **state)
{
	struct pair *p = *state;
	struct ccg_frame_call call = call_for(CCG_FRAME_GET_INFO, CCG_FRAME_INFO, 0, 0, true);
	struct ccg_frame f;
	struct ccg_error err;

	answer_error(p, 0, WIDE_STATUS);
	ccg_error_clear(&err);
	assert_int_equal(ccg_frame_call(p->host, &call, &p->buf, &f, &err), WIDE_STATUS);
	assert_string_equal(err.where, "test.call");
	assert_non_null(strstr(err.detail, "gpusim: refused"));

	call.adopt_refusal = false;
	answer_error(p, 0, CCG_ERR_UNSUPPORTED);
	ccg_error_clear(&err);
	assert_int_equal(ccg_frame_call(p->host, &call, &p->buf, &f, &err), CCG_ERR_PROTOCOL);
	assert_non_null(strstr(err.detail, "status"));

	/* an ERROR frame without a status (short, or 0) is a bad answer even when refusals are adopted */
	call.adopt_refusal = true;
	answer(p, CCG_FRAME_ERROR, 0, 0, "ab", 2);
	assert_int_equal(ccg_frame_call(p->host, &call, &p->buf, &f, NULL), CCG_ERR_PROTOCOL);
	answer(p, CCG_FRAME_ERROR, 0, 0, "\0\0\0\0text", 8);
	assert_int_equal(ccg_frame_call(p->host, &call, &p->buf, &f, NULL), CCG_ERR_PROTOCOL);
}

/* answers that are not the one asked for: another device, type or session */
static void test_call_wrong_answer(void **state)
{
	struct pair *p = *state;
	struct ccg_frame_call call = call_for(CCG_FRAME_SECURED_SPDM, CCG_FRAME_SECURED_SPDM, 1, 0xAABB0001u, true);
	struct ccg_frame f;
	struct ccg_error err;

	call.bad_answer = CCG_ERR_MALFORMED;
	answer(p, CCG_FRAME_SECURED_SPDM, 0, 0xAABB0001u, "x", 1); /* another device */
	ccg_error_clear(&err);
	assert_int_equal(ccg_frame_call(p->host, &call, &p->buf, &f, &err), CCG_ERR_MALFORMED);
	assert_non_null(strstr(err.detail, "device 0"));
	answer_error(p, 0, CCG_ERR_UNSUPPORTED); /* a refusal, but for another device */
	assert_int_equal(ccg_frame_call(p->host, &call, &p->buf, &f, NULL), CCG_ERR_MALFORMED);
	answer(p, CCG_FRAME_SPDM, 1, 0xAABB0001u, "x", 1); /* another type */
	assert_int_equal(ccg_frame_call(p->host, &call, &p->buf, &f, NULL), CCG_ERR_MALFORMED);
	answer(p, CCG_FRAME_SECURED_SPDM, 1, 0xAABB0002u, "x", 1); /* another session */
	assert_int_equal(ccg_frame_call(p->host, &call, &p->buf, &f, NULL), CCG_ERR_MALFORMED);
	answer(p, CCG_FRAME_SECURED_SPDM, 1, 0xAABB0001u, "x", 1);
	assert_int_equal(ccg_frame_call(p->host, &call, &p->buf, &f, NULL), CCG_OK);
}

/* the device gone before it answered: end of stream, as ccg_frame_read says it */
static void test_call_peer_gone(void **state)
{
	struct pair *p = *state;
	struct ccg_frame_call call = call_for(CCG_FRAME_GET_INFO, CCG_FRAME_INFO, 0, 0, true);
	struct ccg_frame f;

	assert_int_equal(shutdown(p->dev, SHUT_WR), 0);
	assert_int_equal(ccg_frame_call(p->host, &call, &p->buf, &f, NULL), CCG_ERR_NOT_FOUND);
	close(p->dev);
	p->dev = -1;
	/* writing to a closed peer: an error, not SIGPIPE */
	assert_int_not_equal(ccg_frame_call(p->host, &call, &p->buf, &f, NULL), CCG_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_all_32_bits),
		cmocka_unit_test(test_error_frame_round_trip),
		cmocka_unit_test_setup_teardown(test_call_answer, pair_setup, pair_teardown),
		cmocka_unit_test_setup_teardown(test_call_refusal, pair_setup, pair_teardown),
		cmocka_unit_test_setup_teardown(test_call_wrong_answer, pair_setup, pair_teardown),
		cmocka_unit_test_setup_teardown(test_call_peer_gone, pair_setup, pair_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
