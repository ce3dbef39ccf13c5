/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gpusim/serve.h"

enum ccg_status gpusim_pki_generate_child(const char *dir, const struct gpusim_pki_opts *opts)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0)
		_exit(gpusim_pki_generate(dir, opts, NULL) == CCG_OK ? 0 : 1);
	if (pid < 0)
		return CCG_ERR_IO;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return CCG_ERR_IO;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? CCG_OK : CCG_ERR_IO;
}

/* the server is up once a connection to path is accepted (bound and listening, not merely bound) */
static bool socket_answers(const char *path)
{
	struct sockaddr_un addr;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path, strlen(path) + 1);
	ok = connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
	close(fd);
	return ok;
}

pid_t gpusim_serve_child(const char *state_dir, const char *path, const char *fault, enum gpusim_copy_engine ce,
			 unsigned timeout_s)
{
	struct sockaddr_un addr;
	pid_t pid;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -1;
	unlink(path);
	pid = fork();
	if (pid == 0) {
		struct gpusim *s = NULL;
		struct gpusim_fault f;

		/* never outlive the caller (a benchmark or test that died) */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() == 1)
			_exit(1);
		gpusim_serve_signals();
		if (gpusim_load(state_dir, &s, NULL) != CCG_OK)
			_exit(1);
		gpusim_set_copy_engine(s, ce);
		if (fault != NULL &&
		    (gpusim_fault_parse(fault, &f, NULL) != CCG_OK || gpusim_add_fault(s, &f, NULL) != CCG_OK))
			_exit(1);
		_exit(gpusim_serve_socket(s, path, timeout_s, NULL) == CCG_OK ? 0 : 1);
	}
	if (pid < 0)
		return -1;
	for (int i = 0; i < 500; i++) {
		if (socket_answers(path))
			return pid;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1; /* it gave up (a bad state dir or fault) */
		usleep(10000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return -1;
}
