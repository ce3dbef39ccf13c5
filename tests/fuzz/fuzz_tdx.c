/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: TDX quote parser (v4/v5), claims and the embedded PCK chain. Verdict: the quote's parse, then the chain's. */
#include <jansson.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>

#include "attest/cpu/tdx.h"
#include "common/crypto.h"
#include "fuzz.h"

static bool inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	return n == 0 || (p >= data && n <= size && p + n <= data + size);
}

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	struct ccg_tdx_quote q;
	STACK_OF(X509) *sk = NULL;
	json_t *c = NULL;
	enum ccg_status st;

	if ((st = ccg_tdx_quote_parse(data, size, &q, NULL)) != CCG_OK)
		return st;
	if (!inside(q.signed_data, q.signed_len, data, size) || !inside(q.qe_auth_data, q.qe_auth_len, data, size) ||
	    !inside(q.pck_chain_pem, q.pck_chain_len, data, size) || (q.version != 4 && q.version != 5))
		abort();
	if (ccg_tdx_quote_claims(&q, NULL, &c) != CCG_OK)
		abort();
	json_decref(c);
	if ((st = ccg_pem_certs_parse(q.pck_chain_pem, q.pck_chain_len, 4, &sk, NULL)) == CCG_OK)
		sk_X509_pop_free(sk, X509_free);
	return st;
}
