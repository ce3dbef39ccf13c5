/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AMD SEV-SNP attestation reports (SEV-SNP ABI specification, table
 * "ATTESTATION_REPORT structure"): versions 2, 3 and 5, parsed field by field;
 * the ECDSA P-384 signature with the VCEK or VLEK; the VCEK/VLEK ← ASK/ASVK ←
 * ARK chain (RSA-PSS); the VCEK's hardware-id and TCB extensions against the
 * report; claims; and the AMD KDS certificate store (fetch, cache, offline).
 */
#ifndef CCGPU_ATTEST_SNP_H
#define CCGPU_ATTEST_SNP_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>

#include "ccgpu/status.h"

#define CCG_SNP_REPORT_LEN 1184
#define CCG_SNP_SIGNED_LEN 0x2A0
#define CCG_SNP_REPORT_DATA_LEN 64
#define CCG_SNP_MEASUREMENT_LEN 48
#define CCG_SNP_CHIP_ID_LEN 64

/* policy bits (ABI spec, "GUEST_POLICY") */
#define CCG_SNP_POLICY_SMT (1ULL << 16)
#define CCG_SNP_POLICY_RESERVED1 (1ULL << 17)
#define CCG_SNP_POLICY_MIGRATE_MA (1ULL << 18)
#define CCG_SNP_POLICY_DEBUG (1ULL << 19)
#define CCG_SNP_POLICY_SINGLE_SOCKET (1ULL << 20)

enum ccg_snp_product {
	CCG_SNP_PRODUCT_UNKNOWN = 0,
	CCG_SNP_PRODUCT_MILAN,
	CCG_SNP_PRODUCT_GENOA,
	CCG_SNP_PRODUCT_TURIN,
};

enum ccg_snp_signer {
	CCG_SNP_SIGNER_VCEK = 0,
	CCG_SNP_SIGNER_VLEK = 1,
	CCG_SNP_SIGNER_NONE = 7,
};

/* TCB_VERSION decoded for a product (Turin adds FMC and moves every field). */
struct ccg_snp_tcb {
	uint64_t raw;
	uint8_t fmc; /* Turin only */
	uint8_t bootloader;
	uint8_t tee;
	uint8_t snp;
	uint8_t microcode;
};

struct ccg_snp_report {
	uint32_t version;
	uint32_t guest_svn;
	uint64_t policy;
	uint8_t family_id[16];
	uint8_t image_id[16];
	uint32_t vmpl;
	uint32_t signature_algo;
	uint64_t current_tcb;
	uint64_t platform_info;
	uint32_t flags; /* author_key_en bit 0, mask_chip_key bit 1, signing_key bits 2–4 */
	uint8_t report_data[CCG_SNP_REPORT_DATA_LEN];
	uint8_t measurement[CCG_SNP_MEASUREMENT_LEN];
	uint8_t host_data[32];
	uint8_t id_key_digest[48];
	uint8_t author_key_digest[48];
	uint8_t report_id[32];
	uint8_t report_id_ma[32];
	uint64_t reported_tcb;
	uint8_t cpuid_fam_id, cpuid_mod_id, cpuid_step; /* version >= 3 */
	uint8_t chip_id[CCG_SNP_CHIP_ID_LEN];
	uint64_t committed_tcb;
	uint8_t current_build, current_minor, current_major;
	uint8_t committed_build, committed_minor, committed_major;
	uint64_t launch_tcb;
	uint64_t launch_mit_vector, current_mit_vector; /* version >= 5 */
	uint8_t sig_r[48], sig_s[48];                   /* big-endian */
	uint8_t raw[CCG_SNP_REPORT_LEN];                /* the report as received */
};

/*
 * ccg_snp_report_parse: decodes a 1184-byte report (version 2, 3 or 5; other
 * versions CCG_ERR_UNSUPPORTED; shorter CCG_ERR_TRUNCATED, longer
 * CCG_ERR_TRAILING_DATA). Signature R and S must have zero high bytes and
 * the signature's reserved area must be zero (CCG_ERR_MALFORMED). Decodes only.
 */
CCG_MUST_USE enum ccg_status ccg_snp_report_parse(const uint8_t *data, size_t len, struct ccg_snp_report *out,
						  struct ccg_error *err);

/* ccg_snp_product_name: "Milan", "Genoa", "Turin" or "unknown". */
const char *ccg_snp_product_name(enum ccg_snp_product p);
/* ccg_snp_product_parse: a product name (case-insensitive; "Milan-B0" style accepted). */
enum ccg_snp_product ccg_snp_product_parse(const char *name);
/* ccg_snp_report_product: the product from CPUID fields (version >= 3), else hint. */
enum ccg_snp_product ccg_snp_report_product(const struct ccg_snp_report *r, enum ccg_snp_product hint);
/* ccg_snp_tcb_decode: TCB_VERSION in the layout of product p. */
void ccg_snp_tcb_decode(uint64_t raw, enum ccg_snp_product p, struct ccg_snp_tcb *out);
/* ccg_snp_report_signer: the signing-key field of flags. */
enum ccg_snp_signer ccg_snp_report_signer(const struct ccg_snp_report *r);

/*
 * ccg_snp_report_verify_signature: ECDSA P-384/SHA-384 of bytes [0, 0x2A0)
 * with key. CCG_ERR_SIGNATURE when it does not verify.
 */
CCG_MUST_USE enum ccg_status ccg_snp_report_verify_signature(const struct ccg_snp_report *r, EVP_PKEY *key,
							     struct ccg_error *err);

struct ccg_snp_verify_opts {
	X509 *ark;                    /* trust anchor (AMD Root Key); NULL: a pinned AMD ARK (given or built in) */
	STACK_OF(X509) *certs;        /* the VCEK/VLEK and any of ASK, ASVK, ARK, in any order (ccg_snp_chain_select) */
	int64_t now;                  /* 0: current time */
	enum ccg_snp_product product; /* hint for version-2 reports (else from the VCEK) */
	const uint8_t *report_data;   /* expected report_data (64 bytes) or NULL */
	/* AMD CRLs (KDS /vcek/v1/{product}/crl); those issued by ark apply, others are ignored */
	STACK_OF(X509_CRL) *crls;
	bool require_fresh_collateral; /* refuse without a CRL from ark, or with one past its nextUpdate (else a claim) */
};

/* what the appraisal found beside pass/fail, for claims (ccg_snp_result_claims) */
struct ccg_snp_result {
	bool crl_checked;      /* a CRL issued and signed by the ARK was applied */
	bool collateral_stale; /* no such CRL, or it is past its nextUpdate at the verification time */
};

/*
 * ccg_snp_chain_select: the chain the report needs, picked from certs (in any
 * order; what it does not need is ignored, e.g. the ASVK of an ASK ‖ ARK ‖
 * ASVK bundle) by issuer name and signature, not by position: the VCEK or
 * VLEK (the certificate given that is not a CA; of several, the one whose key
 * signed the report), the ASK or ASVK that issued it (given, else AMD's
 * built-in ones), and the ARK that issued that: ark when not NULL, else a
 * self-signed certificate given or built in whose SPKI is a pinned AMD ARK.
 * *out_chain is leaf ‖ ASK/ASVK and *out_ark the root, both the caller's.
 * Errors: CCG_ERR_CERT_MISSING "snp.vcek"/"snp.vlek" (no end-entity
 * certificate) or "snp.ask" (no issuer of it), CCG_ERR_CERT_CHAIN "snp.ask"
 * (an issuer by name whose key does not verify it), CCG_ERR_CERT_UNTRUSTED
 * "snp.ark" (not issued by the configured ARK, by no AMD ARK, or by an
 * unpinned root), CCG_ERR_SIGNATURE "snp.signature" (several end-entity
 * certificates, none signed the report). Selects only: ccg_snp_report_verify
 * then verifies the chain.
 */
CCG_MUST_USE enum ccg_status ccg_snp_chain_select(const struct ccg_snp_report *r, STACK_OF(X509) *certs, X509 *ark,
						  STACK_OF(X509) **out_chain, X509 **out_ark, struct ccg_error *err);

/*
 * ccg_snp_report_verify: the chain ccg_snp_chain_select picks from
 * opts->certs, verified to its ARK (ccg_chain_verify, RSA-PSS), the report
 * signature with its leaf, revocation by the
 * ARK's CRL (the chain's ASK or ASVK; the CRL
 * must be issued and signed by the ARK, thisUpdate not after the
 * verification time), the VCEK hwID extension against chip_id and its SPL
 * extensions against reported_tcb, the product name against the report's
 * CPUID (version >= 3), and the expected report_data. Errors name the check
 * in err->where ("snp.signature", "snp.crl", "snp.vcek.hwid",
 * "snp.vcek.tcb.snpSPL", "VCEK chain[1] (CN=SEV-Milan)", …); a hwID
 * mismatch is CCG_ERR_CERT_HWID, an SPL mismatch CCG_ERR_CERT_TCB, another
 * product's certificate CCG_ERR_CERT_PRODUCT; a listed certificate is
 * CCG_ERR_REVOKED. out (may be NULL) receives the revocation
 * state whether or not the report passed.
 */
CCG_MUST_USE enum ccg_status ccg_snp_report_verify(const struct ccg_snp_report *r,
						   const struct ccg_snp_verify_opts *opts, struct ccg_snp_result *out,
						   struct ccg_error *err);
/* ccg_snp_result_claims: adds snp-crl-checked and snp-collateral-stale to claims. */
CCG_MUST_USE enum ccg_status ccg_snp_result_claims(const struct ccg_snp_result *res, json_t *claims);

/*
 * ccg_snp_report_claims: claims of a parsed report (measurement, policy bits,
 * VMPL, TCB versions, report_data, host_data, chip id, product, signer) as a
 * new JSON object with "snp-" names.
 */
CCG_MUST_USE enum ccg_status ccg_snp_report_claims(const struct ccg_snp_report *r, enum ccg_snp_product hint,
						   json_t **out);

/* ccg_snp_ark_spki_pinned: the certificate is a known AMD ARK (SHA-256 of its SPKI pinned). */
bool ccg_snp_ark_spki_pinned(X509 *ark);
/*
 * ccg_snp_chain_pinned_ark: the ARK that ends a PEM chain (VCEK ‖ ASK ‖ ARK),
 * only when it is a pinned AMD ARK; NULL otherwise (caller frees).
 */
X509 *ccg_snp_chain_pinned_ark(const char *chain_pem);

/* AMD KDS certificate store: dir → cache → https://kdsintf.amd.com (unless offline). */
struct ccg_snp_kds_config {
	const char *base_url;  /* NULL: https://kdsintf.amd.com */
	const char *cache_dir; /* NULL: no cache */
	bool offline;          /* never fetch */
};
struct ccg_snp_kds;
CCG_MUST_USE enum ccg_status ccg_snp_kds_new(const struct ccg_snp_kds_config *cfg, struct ccg_snp_kds **out);
void ccg_snp_kds_free(struct ccg_snp_kds *k);
/* ccg_snp_kds_vcek_url: the KDS URL of the VCEK for (product, chip_id, reported TCB) into buf. */
CCG_MUST_USE enum ccg_status ccg_snp_kds_vcek_url(const char *base, enum ccg_snp_product p,
						  const uint8_t chip_id[CCG_SNP_CHIP_ID_LEN], uint64_t tcb, char *buf,
						  size_t buf_len);
/*
 * ccg_snp_kds_get_vcek: the VCEK (DER) for the report, from the cache or KDS
 * (written to the cache once parsed). CCG_ERR_NOT_FOUND offline with nothing cached.
 */
CCG_MUST_USE enum ccg_status ccg_snp_kds_get_vcek(struct ccg_snp_kds *k, const struct ccg_snp_report *r,
						  enum ccg_snp_product p, X509 **out, struct ccg_error *err);
/* ccg_snp_kds_get_chain: ASK ‖ ARK (PEM, /vcek/v1/{product}/cert_chain) from the cache or KDS. */
CCG_MUST_USE enum ccg_status ccg_snp_kds_get_chain(struct ccg_snp_kds *k, enum ccg_snp_product p, STACK_OF(X509) **out,
						   struct ccg_error *err);
/*
 * ccg_snp_kds_get_crl: the ARK's CRL (DER, /vcek/v1/{product}/crl: the
 * certificates the ARK issued and revoked, ASKs and ASVKs) from the cache or KDS. It must be issued and
 * signed by ark (required) before it is returned or cached. A cached CRL
 * past its nextUpdate at now (0: current time) is fetched again unless
 * offline (offline, it is returned as it is: appraisal reports it stale).
 * CCG_ERR_NOT_FOUND offline with nothing cached.
 */
CCG_MUST_USE enum ccg_status ccg_snp_kds_get_crl(struct ccg_snp_kds *k, enum ccg_snp_product p, X509 *ark, int64_t now,
						 X509_CRL **out, struct ccg_error *err);

#endif
