/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The channel end to end with the ccgpu-gpusim binary in its own process,
 * through the shipped libccgpu and its public header only: an SPDM session
 * over the UNIX socket, then 1 GiB host -> device and back through the
 * encrypted bounce buffers (64 MiB of device memory at a time), bit-exact by
 * SHA-256 of both streams; and the shipped library's sender refusing to seal
 * past the key's usage limit (it has no switch to go past it: issue 12
 * item 5). Usage: test-channel GPUSIM
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ccgpu/channel.h"
#include "testdata.h"

#define PIECE (64u << 20)
#define TOTAL (1ull << 30)

static const char *gpusim;
static char *dir;
static char sock[512], root[600];
static pid_t server = -1;

static int run(char *const argv[])
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void fill(uint8_t *p, size_t n, uint64_t *x)
{
	uint64_t s = *x;

	for (size_t i = 0; i + 8 <= n; i += 8) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		memcpy(p + i, &s, 8);
	}
	*x = s;
}

static void session_open(struct ccg_session **s)
{
	struct ccg_session_opts so = {0};
	struct ccg_error e;
	char buf[600];

	so.socket_path = sock;
	so.root_file = root;
	ccg_error_clear(&e);
	if (ccg_session_open(&so, s, &e) != CCG_OK)
		fail_msg("%s", ccg_error_format(&e, buf, sizeof(buf)));
}

static void test_one_gib_round_trip(void **state)
{
	struct ccg_channel_opts co = {.slots = 64, .slot_size = 1u << 20, .threads = 2, .device_memory = PIECE};
	struct ccg_session *s = NULL;
	struct ccg_channel *ch = NULL;
	struct ccg_channel_stats st;
	struct ccg_error e;
	EVP_MD_CTX *sent = EVP_MD_CTX_new(), *back = EVP_MD_CTX_new();
	uint8_t *out = malloc(PIECE), *in = malloc(PIECE), h1[32], h2[32];
	uint64_t x = 0x9E3779B97F4A7C15ull;
	struct timespec t0, t1;
	char buf[600];

	(void)state;
	assert_non_null(out);
	assert_non_null(in);
	session_open(&s);
	ccg_error_clear(&e);
	if (ccg_channel_open(s, &co, &ch, &e) != CCG_OK)
		fail_msg("%s", ccg_error_format(&e, buf, sizeof(buf)));
	assert_int_equal(EVP_DigestInit_ex(sent, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestInit_ex(back, EVP_sha256(), NULL), 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t done = 0; done < TOTAL; done += PIECE) {
		fill(out, PIECE, &x);
		assert_int_equal(EVP_DigestUpdate(sent, out, PIECE), 1);
		memset(in, 0, PIECE);
		if (ccg_channel_write(ch, 0, out, PIECE, &e) != CCG_OK ||
		    ccg_channel_read(ch, 0, in, PIECE, &e) != CCG_OK)
			fail_msg("%s", ccg_error_format(&e, buf, sizeof(buf)));
		assert_int_equal(EVP_DigestUpdate(back, in, PIECE), 1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(EVP_DigestFinal_ex(sent, h1, NULL), 1);
	assert_int_equal(EVP_DigestFinal_ex(back, h2, NULL), 1);
	assert_memory_equal(h1, h2, sizeof(h1));
	ccg_channel_stats(ch, &st);
	assert_true(st.bytes_sent >= TOTAL);
	assert_true(st.bytes_received == TOTAL);
	assert_int_equal(st.rejects, 0);
	printf("# 1 GiB each way in %.2f s\n",
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	ccg_channel_free(ch);
	assert_int_equal(ccg_session_end(s, &e), CCG_OK);
	ccg_session_free(s);
	EVP_MD_CTX_free(sent);
	EVP_MD_CTX_free(back);
	free(out);
	free(in);
}

/*
 * The shipped library with a small hard limit (no rotation): 6 uses of a
 * key, the last kept for an ERROR report, so five messages go through and
 * the sixth is refused by the sender itself, before anything is sealed. The
 * channel is then dead, for writes too; a new channel has fresh keys.
 */
static void test_release_refuses_past_limit(void **state)
{
	struct ccg_channel_opts co = {
		.slots = 4, .slot_size = 4096, .device_memory = 1 << 16, .no_rotation = true, .limit_msgs = 6};
	struct ccg_session *s = NULL;
	struct ccg_channel *ch = NULL;
	struct ccg_channel_stats st;
	struct ccg_error e;
	char buf[64];
	size_t n = 0;

	(void)state;
	session_open(&s);
	assert_int_equal(ccg_channel_open(s, &co, &ch, NULL), CCG_OK);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(ccg_channel_send(ch, "x", 1, NULL), CCG_OK);
		assert_int_equal(ccg_channel_recv(ch, buf, sizeof(buf), &n, NULL), CCG_OK);
		assert_int_equal(n, 1);
	}
	ccg_error_clear(&e);
	assert_int_equal(ccg_channel_send(ch, "y", 1, &e), CCG_ERR_KEY_EXHAUSTED);
	assert_string_equal(e.where, "channel.send");
	ccg_channel_stats(ch, &st);
	assert_int_equal(st.msgs_sent, 5);
	assert_int_equal(ccg_channel_write(ch, 0, "z", 1, NULL), CCG_ERR_CHANNEL_CLOSED);
	ccg_channel_free(ch);
	/* a channel that writes in bulk meets the same limit: 5 chunks of 4096 bytes pass, a sixth does not */
	assert_int_equal(ccg_channel_open(s, &co, &ch, NULL), CCG_OK);
	{
		static uint8_t data[6 * 4096];

		assert_int_equal(ccg_channel_write(ch, 0, data, 5 * 4096, NULL), CCG_OK);
		assert_int_equal(ccg_channel_write(ch, 0, data, 4096, NULL), CCG_ERR_KEY_EXHAUSTED);
	}
	ccg_channel_free(ch);
	ccg_session_end_quiet(s);
	ccg_session_free(s);
}

static int setup(void **state)
{
	char pki[512];
	char *argv[] = {(char *)gpusim, (char *)"pki", (char *)"--out", pki, NULL};

	(void)state;
	dir = td_tmpdir();
	snprintf(pki, sizeof(pki), "%s/pki", dir);
	snprintf(sock, sizeof(sock), "%s/gpu.sock", dir);
	snprintf(root, sizeof(root), "%s/device-root.pem", pki);
	if (run(argv) != 0)
		return -1;
	server = fork();
	if (server == 0) {
		execl(gpusim, gpusim, "serve", "--socket", sock, "--state", pki, "--timeout", "300", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		struct stat sb;

		if (stat(sock, &sb) == 0)
			return 0;
		usleep(20000);
	}
	return -1;
}

static int teardown(void **state)
{
	(void)state;
	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
	}
	td_rm_rf(dir);
	free(dir);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release_refuses_past_limit),
		cmocka_unit_test(test_one_gib_round_trip),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: test-channel GPUSIM\n");
		return 2;
	}
	gpusim = argv[1];
	return cmocka_run_group_tests_name("channel-1gib", tests, setup, teardown);
}
