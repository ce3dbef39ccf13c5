/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: Intel PCS TDX collateral bodies, TCB info
 * ({"tcbInfo":{…},"signature":"…"}) or, when the input starts with
 * {"enclaveIdentity", QE identity, in place of that body of Intel's real
 * v5 sample collateral, appraising the real v5 sample quote through the
 * public CPU verifier at the sample's time (2026-02-03) with Intel's root
 * and both CRLs: JSON, the body's shape, the ECDSA signature over the exact
 * text, then versions, FMSPC, TCB levels and statuses. Needs the shared
 * testdata (tdx/v5-sample). Verdict: the appraisal's status.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/cpu.h"
#include "common/encoding.h"
#include "fuzz.h"

/* 2026-02-03T00:00:00Z */
#define TDX_NOW 1770076800

enum { QUOTE, TCB_INFO, QE_IDENTITY, CHAIN, PCK_CRL, ROOT_CRL, ROOT, NFILES };

static const char *const names[NFILES] = {
	"tdx/v5-sample/quote_v5_sample.dat",
	"tdx/v5-sample/sample_tcbinfo_response_v5",
	"tdx/v5-sample/sample_qeIdentity_response",
	"tdx/v5-sample/tcbinfo_issuer_chain.derived.pem",
	"tdx/v5-sample/pckcrl",
	"tdx/v5-sample/rootcrl.der",
	"tdx/v5-sample/trusted_root.pem",
};
static uint8_t *files[NFILES];
static size_t lens[NFILES];
static char *doc;

int ccg_fuzz_init(void)
{
	char *b64;
	size_t n;

	for (size_t i = 0; i < NFILES; i++)
		if ((files[i] = ccg_fuzz_testdata(names[i], &lens[i])) == NULL)
			return 77;
	b64 = ccg_base64_encode_alloc(files[QUOTE], lens[QUOTE]);
	if (b64 == NULL)
		abort();
	n = strlen(b64) + 32;
	doc = malloc(n);
	if (doc == NULL)
		abort();
	snprintf(doc, n, "{\"type\":\"tdx\",\"quote\":\"%s\"}", b64);
	free(b64);
	return 0;
}

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	static const char qe_prefix[] = "{\"enclaveIdentity\"";
	bool qe = size >= sizeof(qe_prefix) - 1 && memcmp(data, qe_prefix, sizeof(qe_prefix) - 1) == 0;
	struct ccg_cpu_verifier *v = NULL;
	struct ccg_cpu_result *r = NULL;
	enum ccg_status st;

	if (ccg_cpu_verifier_new(&v) != CCG_OK ||
	    ccg_cpu_verifier_set_intel_root(v, files[ROOT], lens[ROOT], NULL) != CCG_OK)
		abort();
	st = ccg_cpu_verifier_set_tdx_collateral(v, qe ? files[TCB_INFO] : data, qe ? lens[TCB_INFO] : size,
						 qe ? data : files[QE_IDENTITY], qe ? size : lens[QE_IDENTITY],
						 files[CHAIN], lens[CHAIN], files[PCK_CRL], lens[PCK_CRL],
						 files[ROOT_CRL], lens[ROOT_CRL], NULL);
	if (st == CCG_OK) {
		st = ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), NULL, 0, TDX_NOW, &r, NULL);
		if ((st == CCG_OK) != (r != NULL))
			abort();
		ccg_cpu_result_free(r);
	}
	ccg_cpu_verifier_free(v);
	return st;
}
