/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: verification collateral from the network: a PCS issuer-chain
 * response header (strict URL decoding, PEM chain, verification to the pinned
 * Intel root) and a CRL (DER, PEM or hex; AMD KDS and Intel PCS CRLs), each
 * fed the same bytes. Verdict: the header's (parse, then chain
 * verification) when it parsed or failed other than as bad encoding,
 * else the CRL parse's.
 */
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/cpu/tdx.h"
#include "attest/pki/x509_chain.h"
#include "fuzz.h"

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	STACK_OF(X509) *chain = NULL;
	X509_CRL *crl = NULL;
	uint8_t *pem = NULL;
	size_t pem_len = 0;
	enum ccg_status header, st;

	header = ccg_tdx_issuer_chain_parse((const char *)data, size, "TCB-Info-Issuer-Chain", &pem, &pem_len, &chain,
					    NULL);
	if (header == CCG_OK) {
		if (chain == NULL || sk_X509_num(chain) < 1 || pem == NULL || pem_len > size || pem[pem_len] != 0)
			abort();
		header = ccg_tdx_issuer_chain_verify(chain, NULL, "TCB-Info-Issuer-Chain", NULL);
		if (header == CCG_OK && !ccg_tdx_intel_root_pinned(sk_X509_value(chain, sk_X509_num(chain) - 1)))
			abort(); /* only a chain to the pinned root verifies */
	} else if (chain != NULL || pem != NULL) {
		abort();
	}
	sk_X509_pop_free(chain, X509_free);
	free(pem);
	st = ccg_crl_parse(data, size, "crl", &crl, NULL);
	if (st == CCG_OK) {
		if (crl == NULL)
			abort();
		(void)ccg_crl_stale(crl, 0);
	} else if (crl != NULL) {
		abort();
	}
	X509_CRL_free(crl);
	/* the header's verdict (its chain's, once it parsed) unless it is not a header */
	return header == CCG_ERR_ENCODING || header == CCG_ERR_MALFORMED ? st : header;
}
