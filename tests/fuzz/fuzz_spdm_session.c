/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the device's answers in the SPDM 1.2 session handshake
 * (channel/session.c): VERSION, CAPABILITIES, ALGORITHMS, DIGESTS,
 * CERTIFICATE (the chain, its hash and its verification to the device root),
 * KEY_EXCHANGE_RSP (fields, signature over the transcript, verify data) and
 * the secured FINISH_RSP, plus transport ERROR frames. The input is the
 * byte stream a device sends on the socket (frames, docs/gpusim-transport.md):
 * a fake device thread accepts the requester's connection, writes the input,
 * shuts its sending side and reads until the requester hangs up, while
 * ccg_session_open runs against it with gpusim's device root (a PKI made
 * once with `ccgpu-gpusim pki`; only its public root certificate is here) at
 * a fixed time. The requester's random and ephemeral key are fresh on each
 * run, so a recorded handshake stops at the KEY_EXCHANGE_RSP signature.
 * Verdict: ccg_session_open's status.
 *
 * Built with -DCCGPU_MAKE_SEEDS it is instead the recorder of the seeds:
 * record-spdm-session GPUSIM_SOCKET DEVICE_ROOT_PEM OUT opens a session with
 * a running `ccgpu-gpusim serve` through a relay and writes what the device
 * sent to OUT (make_session_seeds.py derives the other seeds from it).
 */
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ccgpu/channel.h"
#include "fuzz.h"

/* 2027-01-01T00:00:00Z: inside the validity of the gpusim PKI below */
#define FUZZ_NOW 1798761600

#ifndef CCGPU_MAKE_SEEDS
static const char device_root_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIICFjCCAZygAwIBAgIQLx4OHD5ac2sA0vhZpmt/ADAKBggqhkjOPQQDAzA7MSIw\n"
	"IAYDVQQDDBlHUFVTSU0gRGV2aWNlIElkZW50aXR5IENBMRUwEwYDVQQKDAxjY2dw\n"
	"dSBncHVzaW0wIBcNMjYxMjA2MTM1NTQ1WhgPOTk5OTEyMzEyMzU5NTlaMDsxIjAg\n"
	"BgNVBAMMGUdQVVNJTSBEZXZpY2UgSWRlbnRpdHkgQ0ExFTATBgNVBAoMDGNjZ3B1\n"
	"IGdwdXNpbTB2MBAGByqGSM49AgEGBSuBBAAiA2IABB4Iploz9EFiJ8Q/k5PgkuTm\n"
	"r+62NpXTlUC6FYcCEdhxvzKEB2VzQoRhSHPUC+IrlPK53flSa/iHydhCHHMpQHQz\n"
	"EE4CzBJn9XNfoYcWcAiBiU0UQeR2iloB5TIeqz/RAKNjMGEwDwYDVR0TAQH/BAUw\n"
	"AwEB/zAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFJyu4wKX+24H4GvSxpQ/TMI6\n"
	"HabtMB8GA1UdIwQYMBaAFJyu4wKX+24H4GvSxpQ/TMI6HabtMAoGCCqGSM49BAMD\n"
	"A2gAMGUCMHoupaYQkpgkPiTh4iccpdlnv2iX9RKvlIrczglOJOXeX0K1rpsVvq5H\n"
	"Uu8Z4IV/FwIxALBQiRS2TqJCt1R8pnPvdTn8TExLO2eBsABPeubvtfnsGHeXjCq2\n"
	"fBmG5zyINonotQ==\n"
	"-----END CERTIFICATE-----\n";
#endif

static char dir[64], sock_path[108], root_path[128];
static int listener = -1;

struct device {
	int listen_fd;
	const uint8_t *data;
	size_t size;
	int relay_fd; /* recorder: the real device; -1 in the fuzz target */
	FILE *record;
};

static void cleanup(void)
{
	if (listener >= 0)
		close(listener);
	unlink(sock_path);
	unlink(root_path);
	rmdir(dir);
}

static int listen_at(const char *path)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 4) != 0)
		abort();
	return fd;
}

static void setup(const char *root_pem, size_t root_len)
{
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/ccgpu-fuzz-session-XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/device.sock", dir);
	snprintf(root_path, sizeof(root_path), "%s/device-root.pem", dir);
	f = fopen(root_path, "w");
	if (f == NULL || fwrite(root_pem, 1, root_len, f) != root_len || fclose(f) != 0)
		abort();
	listener = listen_at(sock_path);
	atexit(cleanup);
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* the fake device: the input, then silence until the requester hangs up; or the recorder's relay */
static void *device_main(void *arg)
{
	struct device *d = arg;
	int fd = accept(d->listen_fd, NULL, NULL);
	uint8_t buf[4096];

	if (fd < 0)
		abort();
	if (d->relay_fd < 0) {
		write_all(fd, d->data, d->size);
		shutdown(fd, SHUT_WR);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
	} else {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = d->relay_fd, .events = POLLIN}};

		while (poll(p, 2, -1) > 0) {
			ssize_t n;

			if (p[0].revents != 0) {
				if ((n = read(fd, buf, sizeof(buf))) <= 0)
					break;
				write_all(d->relay_fd, buf, (size_t)n);
			}
			if (p[1].revents != 0) {
				if ((n = read(d->relay_fd, buf, sizeof(buf))) <= 0)
					break;
				if (fwrite(buf, 1, (size_t)n, d->record) != (size_t)n)
					abort();
				write_all(fd, buf, (size_t)n);
			}
		}
	}
	close(fd);
	return NULL;
}

static enum ccg_status open_session(struct device *d)
{
	struct ccg_session_opts o = {.socket_path = sock_path, .device = 0, .root_file = root_path, .now = FUZZ_NOW};
	struct ccg_session *s = NULL;
	pthread_t t;
	enum ccg_status st;

	d->listen_fd = listener;
#ifdef CCGPU_MAKE_SEEDS
	o.now = 0;
#endif
	if (pthread_create(&t, NULL, device_main, d) != 0)
		abort();
	st = ccg_session_open(&o, &s, NULL);
	if ((st == CCG_OK) != (s != NULL))
		abort();
	if (s != NULL && ccg_session_id(s) == 0)
		abort();
	ccg_session_free(s);
	pthread_join(t, NULL);
	return st;
}

#ifndef CCGPU_MAKE_SEEDS
int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	struct device d = {.data = data, .size = size, .relay_fd = -1};

	if (listener < 0)
		setup(device_root_pem, sizeof(device_root_pem) - 1);
	return open_session(&d);
}
#else
int main(int argc, char **argv)
{
	struct device d = {.relay_fd = -1};
	struct sockaddr_un a;
	char *pem;
	long n;
	FILE *f;
	enum ccg_status st;

	if (argc != 4)
		return 2;
	f = fopen(argv[2], "r");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (pem = malloc((size_t)n)) == NULL || fread(pem, 1, (size_t)n, f) != (size_t)n)
		return 1;
	fclose(f);
	setup(pem, (size_t)n);
	free(pem);
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[1]);
	d.relay_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (d.relay_fd < 0 || connect(d.relay_fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		return 1;
	d.record = fopen(argv[3], "wb");
	if (d.record == NULL)
		return 1;
	st = open_session(&d);
	close(d.relay_fd);
	if (fclose(d.record) != 0)
		return 1;
	fprintf(stderr, "session: %s\n", ccg_status_name(st));
	return st == CCG_OK ? 0 : 1;
}
#endif
