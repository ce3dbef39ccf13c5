/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Intel TDX quotes (DCAP, ECDSA P-256), versions 4 and 5: parse by
 * signature_data_len (trailing padding tolerated), the quote signature with
 * the attestation key, the QE report signature with the PCK, the QE report
 * data binding, the PCK chain to the Intel SGX Root CA, the collateral (TCB
 * info v3, QE identity, CRLs) and the TCB status; claims.
 */
#ifndef CCGPU_ATTEST_TDX_H
#define CCGPU_ATTEST_TDX_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>

#include "ccgpu/status.h"

#define CCG_TDX_QUOTE_MAX (64 * 1024)
#define CCG_TDX_TEE_TDX 0x81
#define CCG_TDX_TEE_SGX 0x00

struct ccg_tdx_report_body {
	uint8_t tee_tcb_svn[16];
	uint8_t mrseam[48];
	uint8_t mrsignerseam[48];
	uint8_t seam_attributes[8];
	uint8_t td_attributes[8];
	uint8_t xfam[8];
	uint8_t mrtd[48];
	uint8_t mrconfigid[48];
	uint8_t mrowner[48];
	uint8_t mrownerconfig[48];
	uint8_t rtmr[4][48];
	uint8_t report_data[64];
	uint8_t tee_tcb_svn2[16]; /* TD 1.5 body only */
	uint8_t mrservicetd[48];  /* TD 1.5 body only */
};

/* SGX REPORT_BODY of the quoting enclave */
struct ccg_tdx_qe_report {
	uint8_t cpusvn[16];
	uint32_t miscselect; /* bytes 16..19 of the report body, a little-endian u32 (sgx_report_body_t) */
	uint8_t attributes[16];
	uint8_t mrenclave[32];
	uint8_t mrsigner[32];
	uint16_t isvprodid;
	uint16_t isvsvn;
	uint8_t report_data[64];
	uint8_t raw[384];
};

/* a parsed quote; the pointer fields borrow from the bytes given to parse */
struct ccg_tdx_quote {
	uint16_t version;
	uint16_t att_key_type;
	uint32_t tee_type;
	uint16_t qe_svn, pce_svn;
	uint8_t qe_vendor_id[16];
	uint8_t user_data[20];
	uint16_t body_type; /* 2: TD 1.0, 3: TD 1.5 (version 4: 2) */
	struct ccg_tdx_report_body body;
	const uint8_t *signed_data; /* header ‖ body: what the attestation key signs */
	size_t signed_len;
	uint8_t quote_sig[64]; /* r ‖ s, big-endian */
	uint8_t att_key[64];   /* P-256 x ‖ y */
	struct ccg_tdx_qe_report qe_report;
	uint8_t qe_report_sig[64];
	const uint8_t *qe_auth_data;
	size_t qe_auth_len;
	const uint8_t *pck_chain_pem; /* PCK ‖ Platform/Processor CA ‖ Root, PEM */
	size_t pck_chain_len;
	size_t padding; /* bytes after the signature data (tolerated) */
};

/*
 * ccg_tdx_quote_parse: decodes a v4 or v5 quote. SGX quotes (tee_type 0) are
 * CCG_ERR_UNSUPPORTED "SGX quotes are not TDX evidence"; other attestation key
 * types or certification data types CCG_ERR_UNSUPPORTED. Decodes only.
 */
CCG_MUST_USE enum ccg_status ccg_tdx_quote_parse(const uint8_t *data, size_t len, struct ccg_tdx_quote *out,
						 struct ccg_error *err);

/* TCB status, worst last */
enum ccg_tdx_tcb_status {
	CCG_TDX_TCB_UP_TO_DATE = 0,
	CCG_TDX_TCB_SW_HARDENING_NEEDED,
	CCG_TDX_TCB_CONFIGURATION_NEEDED,
	CCG_TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
	CCG_TDX_TCB_OUT_OF_DATE,
	CCG_TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
	CCG_TDX_TCB_REVOKED,
};
const char *ccg_tdx_tcb_status_name(enum ccg_tdx_tcb_status s);
/* ccg_tdx_tcb_status_parse: Intel's spelling ("UpToDate", …); false when unknown. */
bool ccg_tdx_tcb_status_parse(const char *s, enum ccg_tdx_tcb_status *out);

/* collateral, as PCS serves it (bytes are copied) */
struct ccg_tdx_collateral;
CCG_MUST_USE enum ccg_status ccg_tdx_collateral_new(struct ccg_tdx_collateral **out);
void ccg_tdx_collateral_free(struct ccg_tdx_collateral *c);
/* the PCS bodies: {"tcbInfo":…,"signature":"…"} and {"enclaveIdentity":…,"signature":"…"} */
CCG_MUST_USE enum ccg_status ccg_tdx_collateral_set_tcb_info(struct ccg_tdx_collateral *c, const uint8_t *body,
							     size_t len, struct ccg_error *err);
CCG_MUST_USE enum ccg_status ccg_tdx_collateral_set_qe_identity(struct ccg_tdx_collateral *c, const uint8_t *body,
								size_t len, struct ccg_error *err);
/* the TCB signing chain (PEM: TCB Signing ‖ Root) that signs both */
CCG_MUST_USE enum ccg_status ccg_tdx_collateral_set_signing_chain(struct ccg_tdx_collateral *c, const uint8_t *pem,
								  size_t len, struct ccg_error *err);
/* CRLs, DER or PEM: the PCK CA's CRL and the root CA's CRL */
CCG_MUST_USE enum ccg_status ccg_tdx_collateral_set_crls(struct ccg_tdx_collateral *c, const uint8_t *pck_crl,
							 size_t pck_crl_len, const uint8_t *root_crl,
							 size_t root_crl_len, struct ccg_error *err);

/*
 * ccg_tdx_collateral_set_qe_signing_chain: the chain that signs the QE
 * identity when it is not the TCB info's (PCS sends each in its own header);
 * unset, the TCB signing chain signs both.
 */
CCG_MUST_USE enum ccg_status ccg_tdx_collateral_set_qe_signing_chain(struct ccg_tdx_collateral *c, const uint8_t *pem,
								     size_t len, struct ccg_error *err);

/* ccg_tdx_intel_root_pinned: the certificate is Intel's SGX Root CA (SHA-256 of its SPKI pinned). */
bool ccg_tdx_intel_root_pinned(X509 *cert);

/*
 * ccg_tdx_issuer_chain_parse: a PCS issuer-chain response header value
 * (TCB-Info-Issuer-Chain, SGX-Enclave-Identity-Issuer-Chain,
 * SGX-PCK-CRL-Issuer-Chain): URL-encoded PEM, decoded strictly
 * (ccg_url_decode) into *out_pem (malloc'd) and parsed into *out (at most 4
 * certificates). A bad %-escape or byte is CCG_ERR_ENCODING naming the header
 * and offset; text that is not PEM certificates CCG_ERR_ENCODING.
 */
#define CCG_TDX_ISSUER_CHAIN_MAX (16 * 1024)
CCG_MUST_USE enum ccg_status ccg_tdx_issuer_chain_parse(const char *value, size_t len, const char *header,
							uint8_t **out_pem, size_t *out_pem_len, STACK_OF(X509) **out,
							struct ccg_error *err);
/*
 * ccg_tdx_issuer_chain_verify: the chain (signer first) verifies to root, or
 * with root NULL to its own last certificate when that is the pinned Intel
 * SGX Root CA (else CCG_ERR_CERT_UNTRUSTED). Expiry is not checked here (the
 * appraisal reports it, as for the TCB signing chain).
 */
CCG_MUST_USE enum ccg_status ccg_tdx_issuer_chain_verify(STACK_OF(X509) *chain, X509 *root, const char *name,
							 struct ccg_error *err);

/* PCS-compatible collateral fetch: cache → URL (unless offline) */
struct ccg_tdx_pcs_config {
	const char *base_url;  /* NULL: https://api.trustedservices.intel.com */
	const char *cache_dir; /* NULL: no cache */
	bool offline;
	X509 *root; /* the issuer chains must end here; NULL: in the pinned Intel SGX Root CA */
};
/*
 * ccg_tdx_collateral_fetch: TCB info for fmspc, QE identity, PCK CRL (ca
 * "platform" or "processor") and root CRL, each from the cache or the PCS
 * (tdx/certification/v4/tcb?fmspc=, tdx/certification/v4/qe/identity,
 * sgx/certification/v4/pckcrl?ca=&encoding=der; rootcrl.der from the cache).
 * The signing chains come from the response headers TCB-Info-Issuer-Chain
 * (v3: SGX-TCB-Info-Issuer-Chain), SGX-Enclave-Identity-Issuer-Chain and
 * SGX-PCK-CRL-Issuer-Chain, each verified to cfg->root (or the pinned root)
 * and cached beside its body as <name>.issuer-chain.pem; the PCK CRL must be
 * signed by its chain's first certificate. Without a header the cached chain
 * is used (for TCB info and QE identity also tcb_signing_chain.pem); with
 * none, CCG_ERR_NOT_FOUND. Nothing is cached unless everything parses and
 * verifies.
 */
CCG_MUST_USE enum ccg_status ccg_tdx_collateral_fetch(const struct ccg_tdx_pcs_config *cfg, const char *fmspc_hex,
						      const char *ca, struct ccg_tdx_collateral **out,
						      struct ccg_error *err);

struct ccg_tdx_verify_opts {
	X509 *root; /* Intel SGX Root CA; NULL: the built-in one (attest/cpu/cpu_roots.h) */
	const struct ccg_tdx_collateral *collateral; /* NULL: no TCB status (claims say "unknown" and
							 tdx-collateral-stale true) */
	int64_t now;                                 /* 0: current time */
	bool require_fresh_collateral;               /* refuse no collateral, or collateral or CRLs past nextUpdate
					   (CCG_ERR_OCSP_STALE "tdx.collateral"; else a claim) */
	const uint8_t *report_data;                  /* expected report_data (64 bytes) or NULL */
};

struct ccg_tdx_result {
	enum ccg_tdx_tcb_status tcb_status;    /* platform (SGX + TDX components) */
	enum ccg_tdx_tcb_status module_status; /* TDX module identity */
	enum ccg_tdx_tcb_status qe_status;     /* QE identity */
	enum ccg_tdx_tcb_status overall;
	bool tcb_known;        /* collateral was given and evaluated */
	bool collateral_stale; /* some collateral is past nextUpdate at now, or signer_expired */
	bool signer_expired;   /* the TCB signing certificate is outside its validity at now */
	char fmspc[13];
	char tcb_date[21];
	json_t *advisories; /* array of advisory ids (owned) */
};
void ccg_tdx_result_cleanup(struct ccg_tdx_result *r);

/*
 * ccg_tdx_quote_verify: quote signature (attestation key), QE report
 * signature (PCK), QE report data = SHA-256(attestation key ‖ auth data),
 * PCK chain to opts->root, and with collateral: signatures of TCB info and QE
 * identity (TCB signing chain to the root), CRLs (signed by the issuers,
 * PCK and its CA not revoked), FMSPC/PCE-ID match, TCB level, TDX module and
 * QE identity. A Revoked status is CCG_ERR_REVOKED; others are in out for a
 * policy. err->where names the check ("tdx.quote.signature", "tdx.qe_report.data", …).
 */
CCG_MUST_USE enum ccg_status ccg_tdx_quote_verify(const struct ccg_tdx_quote *q, const struct ccg_tdx_verify_opts *opts,
						  struct ccg_tdx_result *out, struct ccg_error *err);

/*
 * ccg_tdx_miscselect_matches: the QE identity's MISCSELECT rule, (miscselect
 * & mask) == want, where miscselect is the QE report's value (read
 * little-endian, as the report body holds it) and want and mask are the
 * 4 bytes of the QE identity's "miscselect" / "miscselectMask" hex strings,
 * which write the u32 most significant byte first (Intel's QVL reads them
 * as a hex number). Thread-safe.
 */
bool ccg_tdx_miscselect_matches(uint32_t miscselect, const uint8_t want[4], const uint8_t mask[4]);

/* ccg_tdx_quote_claims: claims of a quote (+ result when non-NULL) with "tdx-" names. */
CCG_MUST_USE enum ccg_status ccg_tdx_quote_claims(const struct ccg_tdx_quote *q, const struct ccg_tdx_result *r,
						  json_t **out);

#endif
