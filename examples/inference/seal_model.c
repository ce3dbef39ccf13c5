/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seal_model: the model owner's tool for the confidential inference example
 * (OpenSSL and the public ccgpu API only). It seals plaintext int8 weights
 * under the model key into the file ccgpu-inference opens inside the TEE
 * (format: model.h), and checks a sealed file:
 *
 *   seal_model seal --shape SHAPE --weights PLAIN --key KEY --out SEALED
 *   seal_model open --key KEY --in SEALED
 *
 * SHAPE is "ROWSxCOLS/SHIFT,..." from the input layer to the output layer,
 * e.g. 32x64/7,32x32 (64 inputs, 32 hidden units shifted right by 7, 32
 * outputs); PLAIN the weights, int8 row-major, layer after layer; KEY the
 * 32-byte model key (raw), which the model owner uploads to ccgpu-verifierd
 * with `ccgpu-party secret put`. `open` authenticates and decrypts and prints
 * the shape and the SHA-256 of the weights (never the weights).
 * Exit status: 0 done, 1 refused (the field named), 2 usage.
 */
#include <ccgpu/ccgpu.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static int usage(void)
{
	fputs("usage: seal_model seal --shape SHAPE --weights PLAIN --key KEY --out SEALED\n"
	      "       seal_model open --key KEY --in SEALED\n",
	      stderr);
	return 2;
}

static int refused(const char *what, const struct ccg_error *err)
{
	char msg[700];

	fprintf(stderr, "seal_model: %s: %s\n", what, ccg_error_format(err, msg, sizeof(msg)));
	return 1;
}

/* the value after flag name among argv[2..], or NULL */
static const char *arg(int argc, char **argv, const char *name)
{
	for (int i = 2; i + 1 < argc; i += 2)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static int known_flags(int argc, char **argv, const char *const *names)
{
	if (argc % 2 != 0)
		return 0;
	for (int i = 2; i < argc; i += 2) {
		bool ok = false;

		for (const char *const *n = names; *n != NULL; n++)
			ok = ok || strcmp(argv[i], *n) == 0;
		if (!ok)
			return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	static const char *const seal_flags[] = {"--shape", "--weights", "--key", "--out", NULL};
	static const char *const open_flags[] = {"--key", "--in", NULL};
	struct ccg_error err = {0};
	struct model_shape shape;
	struct model m = {0};
	uint8_t *key = NULL, *plain = NULL, *file = NULL, *sealed = NULL, digest[32];
	size_t key_len = 0, plain_len = 0, file_len = 0, sealed_len = 0;
	unsigned dlen = 0;
	FILE *f = NULL;
	int rc = 1;

	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "seal") == 0) {
		const char *s = arg(argc, argv, "--shape"), *w = arg(argc, argv, "--weights"),
			   *k = arg(argc, argv, "--key"), *o = arg(argc, argv, "--out");

		if (!known_flags(argc, argv, seal_flags) || s == NULL || w == NULL || k == NULL || o == NULL)
			return usage();
		if (model_shape_parse(s, &shape, &err) != CCG_OK)
			return refused("--shape", &err);
		if (ccg_file_read(k, 4096, &key, &key_len, &err) != CCG_OK ||
		    ccg_file_read(w, MODEL_MAX_WEIGHTS, &plain, &plain_len, &err) != CCG_OK ||
		    model_seal(&shape, plain, plain_len, key, key_len, &sealed, &sealed_len, &err) != CCG_OK) {
			rc = refused("seal", &err);
			goto out;
		}
		if ((f = fopen(o, "wb")) == NULL || fwrite(sealed, 1, sealed_len, f) != sealed_len || fclose(f) != 0) {
			f = NULL;
			fprintf(stderr, "seal_model: cannot write %s\n", o);
			goto out;
		}
		f = NULL;
		printf("sealed %zu weight bytes (%u layers) into %s: AES-256-GCM under the model key\n", plain_len,
		       shape.layers, o);
		rc = 0;
	} else if (strcmp(argv[1], "open") == 0) {
		const char *k = arg(argc, argv, "--key"), *in = arg(argc, argv, "--in");

		if (!known_flags(argc, argv, open_flags) || k == NULL || in == NULL)
			return usage();
		if (ccg_file_read(k, 4096, &key, &key_len, &err) != CCG_OK ||
		    ccg_file_read(in, MODEL_MAX_FILE, &file, &file_len, &err) != CCG_OK ||
		    model_open(file, file_len, key, key_len, &m, &err) != CCG_OK) {
			rc = refused("open", &err);
			goto out;
		}
		if (EVP_Digest(m.weights, m.weights_len, digest, &dlen, EVP_sha256(), NULL) != 1)
			goto out;
		printf("%u layers:", m.shape.layers);
		for (unsigned i = 0; i < m.shape.layers; i++)
			printf(" %ux%u/%u", m.shape.layer[i].rows, m.shape.layer[i].cols, m.shape.layer[i].shift);
		printf("; %zu weight bytes, sha256 ", m.weights_len);
		for (unsigned i = 0; i < dlen; i++)
			printf("%02x", digest[i]);
		printf("\n");
		rc = 0;
	} else {
		return usage();
	}
out:
	if (key != NULL)
		OPENSSL_cleanse(key, key_len);
	if (plain != NULL)
		OPENSSL_cleanse(plain, plain_len);
	free(key);
	free(plain);
	free(file);
	free(sealed);
	model_cleanup(&m);
	return rc;
}
