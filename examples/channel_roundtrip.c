/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Open an SPDM session with a GPU (here ccgpu-gpusim serve), its encrypted channel, and send data
 * through it: one message (echoed back) and 1 MiB written into device memory and read back.
 * Usage: channel_roundtrip SOCKET DEVICE_ROOT.pem
 */
#include <ccgpu/ccgpu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIZE (1u << 20)

int main(int argc, char **argv)
{
	struct ccg_session *s = NULL;
	struct ccg_channel *ch = NULL;
	struct ccg_error err = {0};
	uint8_t *data = malloc(SIZE), *back = calloc(1, SIZE);
	char echo[64] = {0}, msg[600];
	size_t n = 0;
	enum ccg_status st = CCG_ERR_NOMEM;

	if (argc != 3)
		return fprintf(stderr, "usage: channel_roundtrip SOCKET DEVICE_ROOT.pem\n"), 2;
	struct ccg_session_opts so = {.socket_path = argv[1], .root_file = argv[2]};

	if (data != NULL && back != NULL && (st = ccg_nonce_random(data, SIZE)) == CCG_OK &&
	    (st = ccg_session_open(&so, &s, &err)) == CCG_OK && (st = ccg_channel_open(s, NULL, &ch, &err)) == CCG_OK &&
	    (st = ccg_channel_send(ch, "hello, GPU", 10, &err)) == CCG_OK &&
	    (st = ccg_channel_recv(ch, echo, sizeof(echo) - 1, &n, &err)) == CCG_OK &&
	    (st = ccg_channel_write(ch, 0, data, SIZE, &err)) == CCG_OK &&
	    (st = ccg_channel_read(ch, 0, back, SIZE, &err)) == CCG_OK)
		st = strcmp(echo, "hello, GPU") == 0 && memcmp(data, back, SIZE) == 0 ? CCG_OK : CCG_ERR_INTERNAL;
	if (st == CCG_OK)
		printf("echoed \"%s\"; 1 MiB written and read back intact (session %08x)\n", echo, ccg_session_id(s));
	else
		fprintf(stderr, "failed: %s\n", ccg_error_format(&err, msg, sizeof(msg)));
	ccg_channel_free(ch);
	ccg_session_end_quiet(s);
	ccg_session_free(s);
	free(data), free(back);
	return st == CCG_OK ? 0 : 1;
}
