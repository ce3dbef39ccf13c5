/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/hpke: single-shot HPKE seal and open per second for each suite and
 * message size, beside the floor of the same work done with bare OpenSSL
 * calls in the same run: one key generation + one ECDH (seal) or one ECDH
 * (open), plus one AES-GCM pass over the message. ratio = floor time /
 * HPKE time (1.0 would mean HPKE adds nothing over its primitives; the rest
 * is the HKDF key schedule, key (de)serialization and validation).
 *
 * Usage: hpke [--quick]; CCGPU_BENCH_SECS (window per configuration, default 1).
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hpke.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile uint8_t sink;

/* the floor: (keygen +) ECDH + AES-GCM over n bytes, with OpenSSL directly */
static void floor_op(const char *kt, const char *curve, EVP_PKEY *peer, EVP_PKEY *own, const EVP_CIPHER *cipher,
		     const uint8_t *in, uint8_t *out, size_t n, int seal)
{
	EVP_PKEY *eph = NULL;
	EVP_PKEY_CTX *dc;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t z[48], key[32] = {0}, iv[12] = {0}, tag[16];
	size_t zl = sizeof(z);
	int l = 0;

	if (seal)
		eph = curve != NULL ? EVP_PKEY_Q_keygen(NULL, NULL, kt, curve) : EVP_PKEY_Q_keygen(NULL, NULL, kt);
	dc = EVP_PKEY_CTX_new_from_pkey(NULL, seal ? eph : own, NULL);
	if (dc == NULL || c == NULL || EVP_PKEY_derive_init(dc) != 1 || EVP_PKEY_derive_set_peer(dc, peer) != 1 ||
	    EVP_PKEY_derive(dc, z, &zl) != 1 || EVP_EncryptInit_ex(c, cipher, NULL, key, iv) != 1 ||
	    EVP_EncryptUpdate(c, out, &l, in, (int)n) != 1 || EVP_EncryptFinal_ex(c, out + l, &l) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
		abort();
	sink ^= z[0] ^ tag[0];
	EVP_PKEY_CTX_free(dc);
	EVP_CIPHER_CTX_free(c);
	EVP_PKEY_free(eph);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = {64, 4096, 65536, 1u << 20};
	const char *secs_env = getenv("CCGPU_BENCH_SECS");
	double window = secs_env != NULL ? atof(secs_env) : 1.0;
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;

	if (quick)
		window = 0.2;
	printf("%-8s %9s %12s %12s %7s %12s %12s %7s\n", "suite", "bytes", "seal/s", "floor/s", "ratio", "open/s",
	       "floor/s", "ratio");
	for (int s = 0; s < 2; s++) {
		enum ccg_hpke_suite suite = s == 0 ? CCG_HPKE_P384_SHA384_AES256GCM : CCG_HPKE_X25519_SHA256_AES128GCM;
		const char *kt = s == 0 ? "EC" : "X25519", *curve = s == 0 ? "P-384" : NULL;
		const EVP_CIPHER *cipher = s == 0 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
		EVP_PKEY *k = NULL, *k2 = NULL;
		uint8_t pk[CCG_HPKE_MAX_PK_LEN];
		size_t pk_len = 0;

		if (ccg_hpke_keypair_generate(suite, &k, NULL) != CCG_OK ||
		    ccg_hpke_keypair_generate(suite, &k2, NULL) != CCG_OK ||
		    ccg_hpke_public_key(suite, k, pk, sizeof(pk), &pk_len, NULL) != CCG_OK)
			return 1;
		for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
			size_t n = sizes[z], pt_len = 0, sealed_len = 0;
			uint8_t *in = calloc(1, n), *out = malloc(n + 256), *sealed = NULL;
			double t0, seal_rate, open_rate, fs_rate, fo_rate;
			long it;

			if (in == NULL || out == NULL)
				return 1;
			for (it = 0, t0 = now(); now() - t0 < window; it++) {
				if (ccg_hpke_seal(suite, pk, pk_len, NULL, 0, NULL, 0, in, n, &sealed, &sealed_len,
						  NULL) != CCG_OK)
					return 1;
				free(sealed);
			}
			seal_rate = (double)it / (now() - t0);
			for (it = 0, t0 = now(); now() - t0 < window; it++)
				floor_op(kt, curve, k, NULL, cipher, in, out, n, 1);
			fs_rate = (double)it / (now() - t0);
			if (ccg_hpke_seal(suite, pk, pk_len, NULL, 0, NULL, 0, in, n, &sealed, &sealed_len, NULL) !=
			    CCG_OK)
				return 1;
			for (it = 0, t0 = now(); now() - t0 < window; it++)
				if (ccg_hpke_open(suite, k, sealed, sealed_len, NULL, 0, NULL, 0, out, n + 256, &pt_len,
						  NULL) != CCG_OK)
					return 1;
			open_rate = (double)it / (now() - t0);
			for (it = 0, t0 = now(); now() - t0 < window; it++)
				floor_op(kt, curve, k2, k, cipher, in, out, n, 0);
			fo_rate = (double)it / (now() - t0);
			printf("%-8s %9zu %12.0f %12.0f %7.2f %12.0f %12.0f %7.2f\n", s == 0 ? "P-384" : "X25519", n,
			       seal_rate, fs_rate, seal_rate / fs_rate, open_rate, fo_rate, open_rate / fo_rate);
			free(sealed);
			free(in);
			free(out);
		}
		EVP_PKEY_free(k);
		EVP_PKEY_free(k2);
	}
	return 0;
}
