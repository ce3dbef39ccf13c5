/* SPDX-License-Identifier: Apache-2.0 */
#include "swtpm.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tctildr.h>
#include <unistd.h>

#include "attest/cpu/tpm.h"
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
	snprintf(st, sizeof(st), "dir=%s", t->state_dir);
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
	const char *ci = getenv("CI");

	memset(t, 0, sizeof(*t));
	t->pid = -1;
	if (system("command -v swtpm >/dev/null 2>&1") != 0) {
		if (ci != NULL && strcmp(ci, "true") == 0) {
			fprintf(stderr, "swtpm is required under CI\n");
			return -1;
		}
		/* a TAP skip: the plan 1..0 and exit 0 (meson reads any other exit status of a TAP test as an error) */
		printf("1..0 # SKIP swtpm not installed\n");
		exit(0);
	}
	t->state_dir = td_tmpdir();
	for (int attempt = 0; attempt < 10; attempt++) {
		/* tpm2-tss's swtpm TCTI takes one port: the control channel is the next one */
		int srv_port = free_port();

		if (srv_port <= 0 || srv_port >= 65535)
			continue;
		if (spawn(t, srv_port, srv_port + 1)) {
			t->port = srv_port;
			snprintf(t->tcti, sizeof(t->tcti), "swtpm:host=127.0.0.1,port=%d", t->port);
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
	if (t->state_dir != NULL) {
		td_rm_rf(t->state_dir);
		free(t->state_dir);
		t->state_dir = NULL;
	}
}

void ts_swtpm_create_ak(struct ts_swtpm *t, uint32_t handle)
{
	TSS2_TCTI_CONTEXT *tc = NULL;
	ESYS_CONTEXT *e = NULL;
	ESYS_TR key = ESYS_TR_NONE, persistent = ESYS_TR_NONE;
	TPM2B_SENSITIVE_CREATE sens = {0};
	TPM2B_PUBLIC tmpl = {0};
	TPM2B_DATA outside = {0};
	TPML_PCR_SELECTION pcrs = {0};

	if (t->ak_created == handle)
		return;
	t->ak_created = handle;
	tmpl.publicArea.type = TPM2_ALG_RSA;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM |
					   TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
					   TPMA_OBJECT_USERWITHAUTH;
	tmpl.publicArea.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
	tmpl.publicArea.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
	tmpl.publicArea.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.parameters.rsaDetail.keyBits = 2048;
	assert_int_equal(Tss2_TctiLdr_Initialize(t->tcti, &tc), TSS2_RC_SUCCESS);
	assert_int_equal(Esys_Initialize(&e, tc, NULL), TSS2_RC_SUCCESS);
	assert_int_equal(Esys_CreatePrimary(e, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens,
					    &tmpl, &outside, &pcrs, &key, NULL, NULL, NULL, NULL),
			 TSS2_RC_SUCCESS);
	assert_int_equal(Esys_EvictControl(e, ESYS_TR_RH_OWNER, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, handle,
					   &persistent),
			 TSS2_RC_SUCCESS);
	Esys_TR_Close(e, &persistent);
	Esys_FlushContext(e, key);
	Esys_Finalize(&e);
	Tss2_TctiLdr_Finalize(&tc);
}

/* The AK as a verifier is configured with it: read from swtpm itself (TPM2_ReadPublic), never from the evidence. */
EVP_PKEY *ts_swtpm_ak(struct ts_swtpm *t, uint32_t handle)
{
	TSS2_TCTI_CONTEXT *tc = NULL;
	ESYS_CONTEXT *e = NULL;
	ESYS_TR h = ESYS_TR_NONE;
	TPM2B_PUBLIC *pub = NULL;
	uint8_t buf[sizeof(TPM2B_PUBLIC)];
	size_t off = 0;
	EVP_PKEY *k = NULL;

	ts_swtpm_create_ak(t, handle);
	assert_int_equal(Tss2_TctiLdr_Initialize(t->tcti, &tc), TSS2_RC_SUCCESS);
	assert_int_equal(Esys_Initialize(&e, tc, NULL), TSS2_RC_SUCCESS);
	assert_int_equal(Esys_TR_FromTPMPublic(e, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &h), TSS2_RC_SUCCESS);
	assert_int_equal(Esys_ReadPublic(e, h, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL, NULL),
			 TSS2_RC_SUCCESS);
	assert_int_equal(Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(buf), &off), TSS2_RC_SUCCESS);
	assert_int_equal(ccg_tpm_public_to_pkey(buf, off, &k, NULL), CCG_OK);
	Esys_Free(pub);
	Esys_TR_Close(e, &h);
	Esys_Finalize(&e);
	Tss2_TctiLdr_Finalize(&tc);
	return k;
}

const char *ts_swtpm_ak_pem(struct ts_swtpm *t, uint32_t handle, const char *dir)
{
	static char path[4096];
	EVP_PKEY *k = ts_swtpm_ak(t, handle);
	FILE *f;

	snprintf(path, sizeof(path), "%s/ak.pem", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, k), 1);
	assert_int_equal(fclose(f), 0);
	EVP_PKEY_free(k);
	return path;
}
