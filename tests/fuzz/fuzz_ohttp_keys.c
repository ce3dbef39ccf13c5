/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the OHTTP key configuration list parser (ohttp/ohttp.c,
 * application/ohttp-keys, RFC 9458 §3). Verdict: the status of
 * ccg_ohttp_keys_parse. Accepted configurations are encoded again and
 * parsed again; it aborts when that fails or gives other configurations,
 * or when a kept configuration's public key is not a valid key of its KEM.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ohttp/ohttp.h"

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	struct ccg_ohttp_key_config kc[CCG_OHTTP_MAX_CONFIGS], again[CCG_OHTTP_MAX_CONFIGS];
	enum ccg_hpke_suite suite;
	uint8_t *enc = NULL;
	size_t n = 0, n2 = 0, len = 0;
	enum ccg_status st = ccg_ohttp_keys_parse(data, size, kc, CCG_OHTTP_MAX_CONFIGS, &n, NULL);

	if (st != CCG_OK)
		return st;
	if (n == 0 || n > CCG_OHTTP_MAX_CONFIGS)
		abort();
	for (size_t i = 0; i < n; i++) {
		EVP_PKEY *k = NULL;

		suite = kc[i].kem_id == CCG_HPKE_KEM_X25519_SHA256 ? CCG_HPKE_X25519_SHA256_AES128GCM
								   : CCG_HPKE_P384_SHA384_AES256GCM;
		if (ccg_hpke_public_key_parse(suite, kc[i].pk, kc[i].pk_len, "fuzz", &k, NULL) != CCG_OK)
			abort();
		EVP_PKEY_free(k);
	}
	if (ccg_ohttp_keys_encode(kc, n, &enc, &len, NULL) != CCG_OK ||
	    ccg_ohttp_keys_parse(enc, len, again, CCG_OHTTP_MAX_CONFIGS, &n2, NULL) != CCG_OK || n2 != n)
		abort();
	for (size_t i = 0; i < n; i++)
		if (again[i].key_id != kc[i].key_id || again[i].kem_id != kc[i].kem_id || again[i].n_algs != kc[i].n_algs ||
		    memcmp(again[i].pk, kc[i].pk, kc[i].pk_len) != 0 ||
		    memcmp(again[i].algs, kc[i].algs, kc[i].n_algs * sizeof(kc[i].algs[0])) != 0)
			abort();
	free(enc);
	return CCG_OK;
}
