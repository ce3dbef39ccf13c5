/* SPDX-License-Identifier: Apache-2.0 */
/* swtpm on loopback for the tests (swtpm.h). */
#include "swtpm.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testdata.h"

static bool port_open(int p)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
	bool ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* free_port: a loopback port nobody listens on now (the kernel picks it) */
static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), p = -1;
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		p = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return p;
}

/* spawn: one attempt on the given ports; true once it listens (and is still ours) */
static bool spawn(struct ts_swtpm *t, int srv_port, int ctrl_port)
{
	char srv[64], ctrl[64], st[4200];
	struct timespec ts = {0, 20000000};

	snprintf(srv, sizeof(srv), "type=tcp,port=%d,bindaddr=127.0.0.1", srv_port);
	snprintf(ctrl, sizeof(ctrl), "type=tcp,port=%d,bindaddr=127.0.0.1", ctrl_port);
	snprintf(st, sizeof(st), "dir=%s", t->dir);
	t->pid = fork();
	if (t->pid == 0) {
		execlp("swtpm", "swtpm", "socket", "--tpm2", "--server", srv, "--ctrl", ctrl, "--flags",
		       "not-need-init,startup-clear", "--tpmstate", st, (char *)NULL);
		_exit(127);
	}
	if (t->pid < 0)
		return false;
	for (int i = 0; i < 250; i++) {
		/* a swtpm that lost the port to another process exits: try other ports */
		if (waitpid(t->pid, NULL, WNOHANG) == t->pid) {
			t->pid = -1;
			return false;
		}
		if (port_open(srv_port))
			return true;
		nanosleep(&ts, NULL);
	}
	kill(t->pid, SIGTERM);
	waitpid(t->pid, NULL, 0);
	t->pid = -1;
	return false;
}

void ts_swtpm_require(void)
{
	const char *ci = getenv("CI");

	if (system("command -v swtpm >/dev/null 2>&1") == 0)
		return;
	if (ci != NULL && strcmp(ci, "true") == 0) {
		fprintf(stderr, "swtpm is required under CI\n");
		exit(1);
	}
	/* a TAP skip: the plan 1..0 and exit 0 (meson reads any other exit status of a TAP test as an error) */
	printf("1..0 # SKIP swtpm not installed\n");
	exit(0);
}

int ts_swtpm_start(struct ts_swtpm *t)
{
	memset(t, 0, sizeof(*t));
	t->pid = -1;
	t->dir = td_tmpdir();
	for (int attempt = 0; attempt < 10; attempt++) {
		int srv_port = free_port();

		if (srv_port <= 0 || srv_port >= 65535)
			continue;
		if (spawn(t, srv_port, srv_port + 1)) {
			t->port = srv_port;
			snprintf(t->tcti, sizeof(t->tcti), "swtpm:host=127.0.0.1,port=%d", srv_port);
			return 0;
		}
	}
	fprintf(stderr, "swtpm did not start on any loopback port\n");
	return -1;
}

void ts_swtpm_stop(struct ts_swtpm *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGTERM);
		waitpid(t->pid, NULL, 0);
		t->pid = -1;
	}
	if (t->dir != NULL) {
		td_rm_rf(t->dir);
		free(t->dir);
		t->dir = NULL;
	}
}
