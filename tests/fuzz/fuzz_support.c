/* SPDX-License-Identifier: Apache-2.0 */
/* Fixtures several fuzz targets share (fuzz.h). */
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/gpu/nvidia_roots.h"
#include "common/crypto.h"
#include "common/file.h"
#include "fuzz.h"

const char ccg_fuzz_tpm_ak_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArCRQeLH15RZavCiuh6HU\n"
	"WvtxdvEV46cUEzXOwg+MxuwseHVTi/eBwn8QfMmZsrxjy7vtHpwi0xr6b+TecsQH\n"
	"/x0jqmnXk2RyG7bTs+VAo9oGqB8/v1NTi0SOfS+XqRb6w4Paq0Sn+XAzCyWlczs2\n"
	"VzK0Oqq53nmVa3LIgwUA50zzFeT4iEjSGupyU1yUey4fuibZVa9v79/x1aXgZ02S\n"
	"WF3mkiJlOUQvJOMDTOkEky4qLLIMv7E+WBB0pKb1SaI4uhslvNff4kXQ3NNLXkXV\n"
	"iAv+ukuqiTjV76qkcYuGegzvAsKod/5myp8K+XhNXc0Q+9h0Mfy208ZeIY0CAOvm\n"
	"ZwIDAQAB\n"
	"-----END PUBLIC KEY-----\n";

EVP_PKEY *ccg_fuzz_tpm_ak(void)
{
	static EVP_PKEY *k;

	if (k == NULL) {
		BIO *b = BIO_new_mem_buf(ccg_fuzz_tpm_ak_pem, -1);

		k = b != NULL ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
		if (k == NULL)
			abort();
	}
	return k;
}

X509 *ccg_fuzz_rim_root(void)
{
	static X509 *root;

	if (root == NULL) {
		STACK_OF(X509) *sk = NULL;

		if (ccg_pem_certs_parse((const uint8_t *)ccg_nvidia_rim_root_pem, strlen(ccg_nvidia_rim_root_pem), 1,
					&sk, NULL) != CCG_OK)
			abort();
		root = sk_X509_shift(sk);
		sk_X509_pop_free(sk, X509_free);
	}
	return root;
}

uint8_t *ccg_fuzz_testdata(const char *rel, size_t *len)
{
	const char *dir = getenv("CCGPU_TESTDATA");
	char path[4096];
	uint8_t *b = NULL;

	if (dir == NULL || *dir == '\0')
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (ccg_file_read(path, 16u << 20, &b, len, NULL) != CCG_OK)
		return NULL;
	return b;
}
