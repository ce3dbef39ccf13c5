/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: SEV-SNP attestation report parser, TCB decoding and claims. Verdict: the parse's. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "attest/cpu/snp.h"
#include "fuzz.h"

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	struct ccg_snp_report r;
	struct ccg_snp_tcb t;
	json_t *c = NULL;
	enum ccg_status st;

	if ((st = ccg_snp_report_parse(data, size, &r, NULL)) != CCG_OK)
		return st;
	if (size != CCG_SNP_REPORT_LEN || (r.version != 2 && r.version != 3 && r.version != 5))
		abort();
	ccg_snp_tcb_decode(r.reported_tcb, ccg_snp_report_product(&r, CCG_SNP_PRODUCT_MILAN), &t);
	if (ccg_snp_report_claims(&r, CCG_SNP_PRODUCT_MILAN, &c) != CCG_OK || c == NULL)
		abort();
	json_decref(c);
	return CCG_OK;
}
