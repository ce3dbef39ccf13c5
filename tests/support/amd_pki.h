/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helpers for AMD SEV-SNP: files of the source tree (tests/data), and a
 * synthetic AMD PKI made in the test (ARK and ASK/ASVK with RSASSA-PSS like
 * AMD's, a P-384 VCEK/VLEK with AMD's extensions), reports signed by it and
 * CRLs issued by any key. Nothing here is real AMD material; real ARKs and
 * ASKs are in tests/data/amd/.
 */
#ifndef CCGPU_TESTS_AMD_PKI_H
#define CCGPU_TESTS_AMD_PKI_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

/* ts_src_read: reads <CCGPU_SOURCE_ROOT>/<rel> (fails the test when it cannot); *len excludes the added NUL. */
uint8_t *ts_src_read(const char *rel, size_t *len);
/* ts_pem_cert: the first certificate of a PEM buffer (fails the test when there is none). */
X509 *ts_pem_cert(const uint8_t *pem, size_t len);
/* ts_rsa_key: a new RSA key of bits bits (fails the test on error). */
EVP_PKEY *ts_rsa_key(int bits);

/* validity of every synthetic certificate: 2020-01-01 .. 2045-01-01 */
#define TS_AMD_NOT_BEFORE 1577836800
#define TS_AMD_NOT_AFTER 2366841600

struct ts_amd_pki {
	EVP_PKEY *ark_key, *ask_key, *leaf_key;
	X509 *ark, *ask, *leaf; /* ARK-<product>, SEV-<product> or SEV-VLEK-<product>, SEV-VCEK or SEV-VLEK */
	uint8_t chip_id[64];
	uint64_t tcb; /* reported TCB, Milan layout */
	int vlek;
};

/*
 * ts_amd_pki_make: a chain ARK ← ASK ← VCEK (vlek: ARK ← ASVK ← VLEK) for
 * product ("Milan", "Genoa") whose leaf carries the hwID (VCEK only), the
 * SPL extensions of tcb and productName. chip_id is filled with a pattern.
 */
void ts_amd_pki_make(struct ts_amd_pki *p, const char *product, int vlek);

/* the leaf's TCB extensions and hwID as ts_amd_pki_make_leaf writes them */
struct ts_amd_leaf {
	long bl_spl, tee_spl, snp_spl, ucode_spl; /* ts_amd_pki_make: 3, 0, 8, 0x73 (= the reported TCB) */
	int wrong_hwid;                           /* the hwID differs from chip_id in its last byte */
};
/* ts_amd_pki_make_leaf: ts_amd_pki_make with these leaf extensions (the leaf's only defects, if any). */
void ts_amd_pki_make_leaf(struct ts_amd_pki *p, const char *product, int vlek, const struct ts_amd_leaf *leaf);
void ts_amd_pki_free(struct ts_amd_pki *p);
/* ts_amd_pki_chain_pem: leaf ‖ ASK ‖ ARK as PEM text (malloc'd, NUL-terminated). */
char *ts_amd_pki_chain_pem(const struct ts_amd_pki *p);
/* ts_amd_cert_sign: signs x with key as AMD signs (RSASSA-PSS/SHA-384, salt 48, for RSA keys), or aborts. */
void ts_amd_cert_sign(X509 *x, EVP_PKEY *key);
/* ts_amd_pki_report: a version-2 report of the chip and TCB with report_data, signed by the leaf key. */
void ts_amd_pki_report(const struct ts_amd_pki *p, const uint8_t report_data[64], uint8_t out[1184]);

/*
 * ts_crl_der: a DER CRL (v2) naming issuer as its issuer, signed with key
 * (RSASSA-PSS/SHA-384 for RSA keys), lastUpdate this_update, nextUpdate
 * next_update, listing the serial numbers of the n certificates revoked.
 * malloc'd; *len its length.
 */
uint8_t *ts_crl_der(X509 *issuer, EVP_PKEY *key, int64_t this_update, int64_t next_update, X509 *const *revoked,
		    size_t n, size_t *len);

#endif
