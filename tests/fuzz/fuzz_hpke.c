/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: HPKE single-shot open (common/hpke.h) with a fixed recipient
 * key per suite, derived with DeriveKeyPair from a fixed ikm. Input:
 *
 *   suite (1 byte: even → P-384/SHA-384/AES-256-GCM, odd → X25519/SHA-256/AES-128-GCM)
 *   aad_len (1 byte) ‖ aad ‖ enc ‖ ct        (info is fixed: "ccgpu fuzz hpke")
 *
 * Verdict: the status of ccg_hpke_open (CCG_OK when it opened). Aborts when
 * an opened message's plaintext length is not ct - 16, or when a refusal
 * leaves plaintext bytes behind.
 *
 * Built with -DCCGPU_MAKE_SEEDS it is instead a program that writes the seed
 * corpus (make-hpke-seeds DIR): a sealed message per suite (opens), and
 * refused variants of each (a ciphertext byte flipped, truncated, the enc of
 * another point form or of a low-order point, an aad changed).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hpke.h"

#if defined(__has_include)
#if __has_include("fuzz.h")
#include "fuzz.h" /* the verdict-replay mechanism: fuzz_entry.c and replay.c call ccg_fuzz_verdict */
#define HPKE_FUZZ_HAS_ENTRY 1
#endif
#endif

int ccg_fuzz_verdict(const uint8_t *data, size_t size);

static const uint8_t info[] = "ccgpu fuzz hpke";
static const uint8_t ikm_p384[48] = "ccgpu fuzz hpke P-384 recipient key ikm........";
static const uint8_t ikm_x25519[32] = "ccgpu fuzz hpke X25519 ikm.....";

static EVP_PKEY *fixed_key(enum ccg_hpke_suite suite)
{
	static EVP_PKEY *keys[2];
	int i = suite == CCG_HPKE_P384_SHA384_AES256GCM ? 0 : 1;

	if (keys[i] == NULL &&
	    ccg_hpke_keypair_derive(suite, i == 0 ? ikm_p384 : ikm_x25519,
				    i == 0 ? sizeof(ikm_p384) : sizeof(ikm_x25519), &keys[i], NULL) != CCG_OK)
		abort();
	return keys[i];
}

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	enum ccg_hpke_suite suite;
	size_t aad_len, sealed_len, pt_len = 0, body;
	const uint8_t *aad, *sealed;
	uint8_t *pt;
	enum ccg_status st;

	if (size < 2)
		return CCG_ERR_TRUNCATED;
	suite = (data[0] & 1) == 0 ? CCG_HPKE_P384_SHA384_AES256GCM : CCG_HPKE_X25519_SHA256_AES128GCM;
	aad_len = data[1];
	if (size - 2 < aad_len)
		return CCG_ERR_TRUNCATED;
	aad = data + 2;
	sealed = aad + aad_len;
	sealed_len = size - 2 - aad_len;
	body = sealed_len;
	if ((pt = malloc(body != 0 ? body : 1)) == NULL)
		abort();
	memset(pt, 0x5a, body);
	st = ccg_hpke_open(suite, fixed_key(suite), sealed, sealed_len, info, sizeof(info), aad, aad_len, pt, body,
			   &pt_len, NULL);
	if (st == CCG_OK && pt_len + ccg_hpke_enc_len(suite) + CCG_HPKE_TAG_LEN != sealed_len)
		abort();
	/* a refused message leaves nothing decrypted: the buffer is as it was or wiped */
	if (st != CCG_OK)
		for (size_t i = 0; i < body; i++)
			if (pt[i] != 0x5a && pt[i] != 0)
				abort();
	free(pt);
	return st;
}

#if !defined(CCGPU_MAKE_SEEDS) && !defined(HPKE_FUZZ_HAS_ENTRY)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)ccg_fuzz_verdict(data, size);
	return 0;
}
#endif

#ifdef CCGPU_MAKE_SEEDS
static void put(const char *dir, const char *name, uint8_t suite, const uint8_t *aad, size_t aad_len,
		const uint8_t *sealed, size_t sealed_len, enum ccg_status want)
{
	char path[1024];
	uint8_t hdr[2] = {suite, (uint8_t)aad_len};
	FILE *f;
	uint8_t *all = malloc(2 + aad_len + sealed_len);

	if (all == NULL)
		abort();
	memcpy(all, hdr, 2);
	memcpy(all + 2, aad, aad_len);
	memcpy(all + 2 + aad_len, sealed, sealed_len);
	/* each seed's verdict is checked as it is written */
	if (ccg_fuzz_verdict(all, 2 + aad_len + sealed_len) != (int)want) {
		fprintf(stderr, "%s: not the verdict %s\n", name, ccg_status_name(want));
		abort();
	}
	snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(all, 1, 2 + aad_len + sealed_len, f) != 2 + aad_len + sealed_len || fclose(f) != 0)
		abort();
	printf("%s.bin %s\n", name, ccg_status_name(want));
	free(all);
}

int main(int argc, char **argv)
{
	static const uint8_t aad[] = "token-hash|contract-id|model-key";
	static const uint8_t pt[] = "a released secret";
	static const char *names[2] = {"p384", "x25519"};

	if (argc != 2)
		return 2;
	for (int i = 0; i < 2; i++) {
		enum ccg_hpke_suite suite = i == 0 ? CCG_HPKE_P384_SHA384_AES256GCM : CCG_HPKE_X25519_SHA256_AES128GCM;
		uint8_t pk[CCG_HPKE_MAX_PK_LEN], *sealed = NULL, bad[256];
		size_t pk_len = 0, sealed_len = 0, n_enc = ccg_hpke_enc_len(suite);
		char name[64];

		if (ccg_hpke_public_key(suite, fixed_key(suite), pk, sizeof(pk), &pk_len, NULL) != CCG_OK ||
		    ccg_hpke_seal(suite, pk, pk_len, info, sizeof(info), aad, sizeof(aad), pt, sizeof(pt), &sealed,
				  &sealed_len, NULL) != CCG_OK ||
		    sealed_len > sizeof(bad))
			return 1;
		snprintf(name, sizeof(name), "%s-sealed", names[i]);
		put(argv[1], name, (uint8_t)i, aad, sizeof(aad), sealed, sealed_len, CCG_OK);
		snprintf(name, sizeof(name), "%s-empty-aad", names[i]);
		put(argv[1], name, (uint8_t)i, aad, 0, sealed, sealed_len, CCG_ERR_MAC);
		memcpy(bad, sealed, sealed_len);
		bad[sealed_len - 1] ^= 0x01;
		snprintf(name, sizeof(name), "%s-bad-tag", names[i]);
		put(argv[1], name, (uint8_t)i, aad, sizeof(aad), bad, sealed_len, CCG_ERR_MAC);
		snprintf(name, sizeof(name), "%s-truncated", names[i]);
		put(argv[1], name, (uint8_t)i, aad, sizeof(aad), sealed, n_enc + 15, CCG_ERR_TRUNCATED);
		memcpy(bad, sealed, sealed_len);
		if (i == 0) {
			bad[0] = 0x06; /* the hybrid point form */
			put(argv[1], "p384-hybrid-enc", 0, aad, sizeof(aad), bad, sealed_len, CCG_ERR_MALFORMED);
			bad[0] = 0x04;
			bad[n_enc - 1] ^= 0x01; /* off the curve */
			put(argv[1], "p384-off-curve-enc", 0, aad, sizeof(aad), bad, sealed_len, CCG_ERR_MALFORMED);
		} else {
			memset(bad, 0, n_enc); /* a low-order point: the DH result is zero */
			put(argv[1], "x25519-zero-enc", 1, aad, sizeof(aad), bad, sealed_len, CCG_ERR_MALFORMED);
		}
		free(sealed);
	}
	return 0;
}
#endif
