/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tpm: KEK provider until branch vtee's verifier/kek_tpm.c is merged:
 * it refuses, naming "kek". The lead replaces this file with kek_tpm.c in
 * verifier/meson.build at merge time.
 */
#include "verifier/kek.h"

#include "common/error.h"

enum ccg_status ccg_kek_tpm_load(const char *path, const char *tcti, uint8_t kek[32], struct ccg_error *err)
{
	(void)path;
	(void)tcti;
	(void)kek;
	return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "kek", "tpm: is not built in yet (use file:/PATH)");
}
