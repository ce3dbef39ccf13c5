/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Certificate chain verification to one configured trust anchor with an
 * injectable verification time (OpenSSL X509_STORE / X509_verify_cert with
 * X509_V_FLAG_X509_STRICT, no system store), plus the TCG DICE FWID check.
 */
#ifndef CCGPU_ATTEST_X509_CHAIN_H
#define CCGPU_ATTEST_X509_CHAIN_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>

#include "ccgpu/status.h"

#define CCG_CHAIN_MAX_CERTS 10

struct ccg_chain_opts {
	X509 *anchor;       /* trust anchor (self-signed root); required */
	int64_t now;        /* verification time, Unix seconds; 0 = current time */
	bool ignore_expiry; /* skip validity-period checks (time still reported) */
	const char *name;   /* "device chain", "RIM chain": used in errors */
	bool no_key_ids;    /* chains without key identifiers (AMD VCEK, Intel PCK): strict checks
				  except the RFC 5280 key-identifier requirements */
};

struct ccg_chain_result {
	int64_t not_before; /* latest notBefore over the chain and the anchor: "valid from" */
	int64_t not_after;  /* earliest notAfter over the chain and the anchor: "valid until" */
	char not_after_iso[21];
	bool expired; /* some certificate is outside its validity at `now` */
};

/*
 * ccg_chain_verify: chain is leaf first; it may or may not end with a copy of
 * the anchor (the copy must equal the anchor byte for byte). Failures name the
 * certificate by position and subject CN in err: CCG_ERR_CERT_EXPIRED (also
 * not-yet-valid), CCG_ERR_CERT_UNTRUSTED (does not reach the anchor, or ends
 * in another root), CCG_ERR_CERT_CHAIN (a signature, CA flag, path length or
 * key usage check fails, or a certificate is missing in the middle).
 */
CCG_MUST_USE enum ccg_status ccg_chain_verify(STACK_OF(X509) *chain, const struct ccg_chain_opts *opts,
					      struct ccg_chain_result *out, struct ccg_error *err);

/*
 * ccg_cert_fwid: the FWID from the leaf's TCG DICE extension, parsed as
 * ASN.1: 2.23.133.5.4.1.1 (Blackwell) holds a DiceTcbInfo and the FWID is
 * the digest of the first entry of its fwids [6] list (NVIDIA's SDK,
 * get_fwid_2_23_133_5_4_1_1); 2.23.133.5.4.1 (Hopper, NVSwitch) holds a
 * DiceTcbInfo or a CompositeDeviceID (its fwid). The digest must be SHA-384.
 * out needs 48 bytes. Absent, not DER of those structures, no fwids, another
 * algorithm or length: CCG_ERR_CERT_FWID naming the extension.
 */
CCG_MUST_USE enum ccg_status ccg_cert_fwid(X509 *cert, uint8_t out[48], struct ccg_error *err);
/*
 * ccg_tcbinfo_fwid: the FWID of one extension value (DER, exactly len bytes):
 * a DiceTcbInfo, or when composite_allowed also a CompositeDeviceID. Errors
 * as ccg_cert_fwid, named by where.
 */
CCG_MUST_USE enum ccg_status ccg_tcbinfo_fwid(const uint8_t *der, size_t len, bool composite_allowed, const char *where,
					      uint8_t out[48], struct ccg_error *err);

/*
 * CRLs (RFC 5280 section 5): the Intel PCK and root CA CRLs, AMD's ARK CRL.
 * ccg_crl_parse: one CRL in DER, PEM or hex, of at most CCG_CRL_MAX_BYTES,
 * nothing after it; otherwise CCG_ERR_ENCODING (CCG_ERR_TOO_LARGE) named by
 * where.
 */
#define CCG_CRL_MAX_BYTES (1024 * 1024)
CCG_MUST_USE enum ccg_status ccg_crl_parse(const uint8_t *b, size_t len, const char *where, X509_CRL **out,
					   struct ccg_error *err);
/*
 * ccg_crl_verify_issuer: the CRL names issuer's subject as its issuer
 * (else CCG_ERR_CERT_CHAIN), its outer signatureAlgorithm is identical to the
 * signed one (RFC 5280 5.1.1.2; else CCG_ERR_SIGNATURE at
 * "<where>.signature_algorithm") and its signature verifies with issuer's key
 * (0 → CCG_ERR_SIGNATURE, < 0 → CCG_ERR_CRYPTO).
 */
CCG_MUST_USE enum ccg_status ccg_crl_verify_issuer(X509_CRL *crl, X509 *issuer, const char *where,
						   struct ccg_error *err);
/*
 * ccg_crl_check_cert: cert is not on the CRL (its issuer is the CRL's issuer
 * and its serial number is listed: CCG_ERR_REVOKED, the detail naming what
 * ("ASK", "PCK"), the certificate's CN, serial number and revocation date).
 */
CCG_MUST_USE enum ccg_status ccg_crl_check_cert(X509_CRL *crl, X509 *cert, const char *what, const char *where,
						struct ccg_error *err);
/* ccg_crl_stale: the CRL has no readable nextUpdate, or now is past it. */
bool ccg_crl_stale(X509_CRL *crl, int64_t now);

#endif
