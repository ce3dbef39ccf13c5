/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Collection: the real configfs-tsm code against a directory that mimics the
 * kernel's file interface (a fake-kernel thread populates each entry, answers
 * inblob with an outblob and bumps generation, or races a second writer);
 * devices and NVML absent fail cleanly.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ccgpu/guest.h"
#include "ccgpu/util.h"
#include "common/file.h"
#include "tee_guest/collect.h"
#include "testdata.h"

enum fake_mode { FAKE_OK, FAKE_DOUBLE_WRITE, FAKE_LATE_WRITER };

struct fake_kernel {
	char *root;
	enum fake_mode mode;
	volatile int stop;
	pthread_t thread;
};

static void put(const char *dir, const char *name, const void *data, size_t len)
{
	char path[8192];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(ccg_file_write_atomic(path, data, len, NULL), CCG_OK);
}

static void put_gen(const char *dir, unsigned long g)
{
	char s[32];

	snprintf(s, sizeof(s), "%lu\n", g);
	put(dir, "generation", s, strlen(s));
}

static void serve_entry(struct fake_kernel *k, const char *entry)
{
	char path[8192];
	struct stat sb;
	uint8_t *in = NULL, report[1184];
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/generation", entry);
	if (stat(path, &sb) != 0) { /* a new entry: the kernel's attributes */
		put(entry, "inblob", "", 0);
		put(entry, "outblob", "", 0);
		put(entry, "provider", "sev_guest\n", 10);
		put_gen(entry, 0);
		return;
	}
	snprintf(path, sizeof(path), "%s/outblob", entry);
	if (stat(path, &sb) == 0 && sb.st_size > 0)
		return; /* answered */
	snprintf(path, sizeof(path), "%s/inblob", entry);
	if (ccg_file_read(path, 4096, &in, &n, NULL) != CCG_OK || n != CCG_TSM_INBLOB_LEN) {
		free(in);
		return;
	}
	memset(report, 0, sizeof(report));
	report[0] = 2;
	memcpy(report + 0x50, in, 64);
	free(in);
	switch (k->mode) {
	case FAKE_OK:
		put_gen(entry, 1);
		put(entry, "auxblob", "aux", 3);
		put(entry, "outblob", report, sizeof(report));
		break;
	case FAKE_DOUBLE_WRITE: /* another process wrote inblob too */
		put_gen(entry, 2);
		put(entry, "outblob", report, sizeof(report));
		break;
	case FAKE_LATE_WRITER: /* another writer between our write and our read */
		put_gen(entry, 1);
		put_gen(entry, 2);
		put(entry, "outblob", report, sizeof(report));
		break;
	}
}

static void *fake_main(void *arg)
{
	struct fake_kernel *k = arg;
	struct timespec ts = {0, 500000};

	while (!k->stop) {
		DIR *d = opendir(k->root);
		struct dirent *e;

		while (d != NULL && (e = readdir(d)) != NULL) {
			char entry[2048];

			if (e->d_name[0] == '.')
				continue;
			snprintf(entry, sizeof(entry), "%s/%s", k->root, e->d_name);
			serve_entry(k, entry);
		}
		if (d != NULL)
			closedir(d);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void fake_start(struct fake_kernel *k, enum fake_mode mode)
{
	memset(k, 0, sizeof(*k));
	k->root = td_tmpdir();
	k->mode = mode;
	assert_int_equal(pthread_create(&k->thread, NULL, fake_main, k), 0);
}

static void fake_stop(struct fake_kernel *k)
{
	k->stop = 1;
	pthread_join(k->thread, NULL);
	td_rm_rf(k->root);
	free(k->root);
}

static void test_tsm_collects(void **state)
{
	struct fake_kernel k;
	struct ccg_tsm_report r;
	struct ccg_error err;
	uint8_t in[64];

	(void)state;
	for (int i = 0; i < 64; i++)
		in[i] = (uint8_t)(i * 7);
	fake_start(&k, FAKE_OK);
	ccg_error_clear(&err);
	if (ccg_tsm_collect(k.root, in, 5000, &r, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_int_equal(r.outblob_len, 1184);
	assert_memory_equal(r.outblob + 0x50, in, 64);
	assert_string_equal(r.provider, "sev_guest");
	assert_int_equal(r.auxblob_len, 3);
	assert_int_equal(r.generation, 1);
	ccg_tsm_report_cleanup(&r);
	fake_stop(&k);
}

static void test_tsm_generation_races(void **state)
{
	enum fake_mode modes[] = {FAKE_DOUBLE_WRITE, FAKE_LATE_WRITER};
	uint8_t in[64] = {1};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct fake_kernel k;
		struct ccg_tsm_report r;
		struct ccg_error err;

		fake_start(&k, modes[i]);
		ccg_error_clear(&err);
		assert_int_equal(ccg_tsm_collect(k.root, in, 5000, &r, &err), CCG_ERR_IO);
		assert_string_equal(err.where, "tsm.generation");
		assert_null(r.outblob);
		fake_stop(&k);
	}
}

static void test_absent_interfaces_fail_cleanly(void **state)
{
	struct ccg_tsm_report r;
	struct ccg_error err;
	uint8_t in[64] = {0}, rep[1184], td[1024];
	char *gpu = NULL;
	char *dir = td_tmpdir(), missing[4096];

	(void)state;
	snprintf(missing, sizeof(missing), "%s/no-such-tsm", dir);
	assert_int_equal(ccg_tsm_collect(missing, in, 100, &r, NULL), CCG_ERR_NOT_FOUND);
	snprintf(missing, sizeof(missing), "%s/sev-guest", dir);
	ccg_error_clear(&err);
	assert_int_equal(ccg_sev_guest_report(missing, in, 0, rep, &err), CCG_ERR_NOT_FOUND);
	assert_string_equal(err.where, "sev-guest");
	snprintf(missing, sizeof(missing), "%s/tdx_guest", dir);
	assert_int_equal(ccg_tdx_guest_report(missing, in, td, NULL), CCG_ERR_NOT_FOUND);
	/* a file that is not the device: the ioctl fails, it does not crash */
	snprintf(missing, sizeof(missing), "%s/plain", dir);
	assert_int_equal(ccg_file_write_atomic(missing, (const uint8_t *)"x", 1, NULL), CCG_OK);
	assert_int_equal(ccg_sev_guest_report(missing, in, 0, rep, NULL), CCG_ERR_IO);
	assert_int_equal(ccg_tdx_guest_report(missing, in, td, NULL), CCG_ERR_IO);
	/* NVML: absent here unless a driver is installed */
	ccg_error_clear(&err);
	if (ccg_nvml_gpu_evidence(in, &gpu, &err) != CCG_OK)
		assert_string_equal(err.where, "nvml");
	free(gpu);
	/* a TCTI that cannot be loaded */
	{
		struct ccg_vtpm_quote q;

		assert_int_not_equal(ccg_vtpm_quote("device:/nonexistent/tpm", 0x81000003, 1, NULL, 0, &q, NULL),
				     CCG_OK);
	}
	td_rm_rf(dir);
	free(dir);
}

/*
 * The public collection call (ccgpu/guest.h, branch api): the composite document as JSON text, its
 * SEV-SNP report (from the fake configfs-tsm) over the binding SHA-512(nonce ‖ TEE key ‖ SHA-384(GPU
 * evidence)); an unknown kind and an empty PCR mask refused before any collection.
 */
static void test_composite_json(void **state)
{
	struct fake_kernel k;
	struct ccg_collect_cpu o;
	struct ccg_error err;
	uint8_t nonce[32], pub[91], gh[48], want[64], *report = NULL;
	const char gpu[] = "[{\"arch\":\"HOPPER\"}]";
	size_t report_len = 0;
	char *text = NULL, hex[65];
	json_t *doc;
	uint8_t cat[32 + 91 + 48];

	(void)state;
	memset(nonce, 0x5a, sizeof(nonce));
	memset(pub, 0x30, sizeof(pub));
	memset(&o, 0, sizeof(o));
	o.kind = "snp";
	o.pcrs = 0xFFFFFF;
	fake_start(&k, FAKE_OK);
	o.tsm_root = k.root;
	ccg_error_clear(&err);
	if (ccg_collect_composite_json(&o, nonce, sizeof(nonce), pub, sizeof(pub), (const uint8_t *)gpu, strlen(gpu),
				       &text, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	fake_stop(&k);
	doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(doc, "ccgpu-composite")), 1);
	ccg_hex_encode(nonce, sizeof(nonce), hex);
	assert_string_equal(json_string_value(json_object_get(doc, "nonce")), hex);
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "cpu"), "type")), "snp");
	assert_int_equal(
		ccg_base64_decode(json_string_value(json_object_get(json_object_get(doc, "cpu"), "report")),
				  strlen(json_string_value(json_object_get(json_object_get(doc, "cpu"), "report"))),
				  4096, &report, &report_len),
		CCG_OK);
	assert_int_equal(report_len, 1184);
	SHA384((const uint8_t *)gpu, strlen(gpu), gh);
	memcpy(cat, nonce, 32);
	memcpy(cat + 32, pub, 91);
	memcpy(cat + 32 + 91, gh, 48);
	SHA512(cat, sizeof(cat), want);
	assert_memory_equal(report + 0x50, want, 64); /* report_data */
	free(report);
	json_decref(doc);
	free(text);

	o.kind = "sgx";
	text = (char *)1;
	ccg_error_clear(&err);
	assert_int_equal(ccg_collect_composite_json(&o, nonce, sizeof(nonce), pub, sizeof(pub), (const uint8_t *)gpu,
						    strlen(gpu), &text, &err),
			 CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "--cpu");
	assert_null(text);
	assert_false(ccg_collect_cpu_kind_ok("sgx"));
	assert_true(ccg_collect_cpu_kind_ok("azure"));
	o.kind = "tpm";
	o.pcrs = 0;
	ccg_error_clear(&err);
	assert_int_equal(ccg_collect_composite_json(&o, nonce, sizeof(nonce), pub, sizeof(pub), (const uint8_t *)gpu,
						    strlen(gpu), &text, &err),
			 CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "--pcrs");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsm_collects),
		cmocka_unit_test(test_tsm_generation_races),
		cmocka_unit_test(test_absent_interfaces_fail_cleanly),
		cmocka_unit_test(test_composite_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
