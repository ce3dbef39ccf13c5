/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCSP revocation checking (RFC 6960) on OpenSSL's OCSP API and libcurl:
 * requests carry a nonce that the response must echo; responses are verified
 * (signed by the issuer or a delegated responder it certified), checked for
 * freshness, and cached in memory and, optionally, in a directory of DER
 * files so repeat and offline runs need no network.
 */
#ifndef CCGPU_ATTEST_OCSP_H
#define CCGPU_ATTEST_OCSP_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>

#include "ccgpu/status.h"

enum ccg_ocsp_mode {
	CCG_OCSP_MODE_OFF = 0,    /* no revocation check (claims say "not-checked") */
	CCG_OCSP_MODE_CACHE = 1,  /* offline: only cached or supplied responses; never the network */
	CCG_OCSP_MODE_ONLINE = 2, /* fresh cache entries first, else ask the responder and cache */
};

enum ccg_ocsp_cert_status {
	CCG_OCSP_NOT_CHECKED = 0,
	CCG_OCSP_GOOD,
	CCG_OCSP_REVOKED,
	CCG_OCSP_ON_HOLD, /* revoked with reason certificateHold: reported apart */
	CCG_OCSP_UNKNOWN,
};

/*
 * A response without nextUpdate ("newer information is always available",
 * RFC 6960 4.2.2.1) counts as fresh for at most this many seconds after its
 * thisUpdate when no max_age is configured: it never goes stale otherwise.
 */
#define CCG_OCSP_NO_NEXT_UPDATE_MAX_AGE 3600

struct ccg_ocsp_config {
	enum ccg_ocsp_mode mode;
	const char *responder_url; /* NULL: the certificate's AIA OCSP URL */
	const char *cache_dir;     /* NULL: in-memory cache only */
	int64_t max_age; /* max seconds since thisUpdate; 0: nextUpdate, or CCG_OCSP_NO_NEXT_UPDATE_MAX_AGE without one */
	long timeout_ms; /* per request; 0: 10 s */
};

struct ccg_ocsp_cert_result {
	enum ccg_ocsp_cert_status status;
	int reason;                       /* CRLReason when revoked/on hold, else -1 */
	int64_t this_update, next_update; /* next_update 0 when absent */
	int64_t revocation_time;
	bool from_cache;
};

struct ccg_ocsp;

/* ccg_ocsp_new: a checker with its own caches; config strings are copied. */
CCG_MUST_USE enum ccg_status ccg_ocsp_new(const struct ccg_ocsp_config *config, struct ccg_ocsp **out,
					  struct ccg_error *err);
/* ccg_ocsp_free: NULL is allowed. */
void ccg_ocsp_free(struct ccg_ocsp *o);

/*
 * ccg_ocsp_add_response: supplies a DER OCSPResponse (e.g. for offline use);
 * it is kept like a fetched one but its nonce cannot be checked, so it counts
 * only while fresh. It is matched to a certificate by CertID (SHA-1, -256,
 * -384 or -512) and verified against the issuer when first used. Malformed,
 * not "successful", or over 64 KiB: CCG_ERR_OCSP; more than 64 supplied:
 * CCG_ERR_TOO_LARGE. Thread-safe.
 */
CCG_MUST_USE enum ccg_status ccg_ocsp_add_response(struct ccg_ocsp *o, const uint8_t *der, size_t len,
						   struct ccg_error *err);

/*
 * ccg_ocsp_check: the status of cert (issued by issuer) at time now. The
 * response is verified against issuer (directly or via a delegated responder
 * certificate with id-kp-OCSPSigning issued by issuer). Returns CCG_OK for
 * good; CCG_ERR_REVOKED, CCG_ERR_CERT_ON_HOLD, CCG_ERR_OCSP_UNKNOWN with out
 * filled; CCG_ERR_OCSP_STALE (past nextUpdate, older than max_age or, with
 * no max_age and no nextUpdate, than CCG_OCSP_NO_NEXT_UPDATE_MAX_AGE, or
 * thisUpdate in the future), CCG_ERR_OCSP (bad signature, wrong nonce, other
 * certificate, malformed), CCG_ERR_OCSP_UNAVAILABLE (offline with no cached
 * response, or the responder unreachable). now is Unix seconds (0: the
 * current time); freshness and the responder certificate's validity are
 * judged at now, with 5 minutes' skew allowed for thisUpdate only. Requests
 * use a SHA-384 CertID and a 32-byte nonce. Thread-safe.
 */
CCG_MUST_USE enum ccg_status ccg_ocsp_check(struct ccg_ocsp *o, X509 *cert, X509 *issuer, int64_t now,
					    struct ccg_ocsp_cert_result *out, struct ccg_error *err);

/*
 * ccg_ocsp_check_chain: ccg_ocsp_check for every certificate of a chain (leaf
 * first, ending with the self-signed root, which is not checked), each against
 * the next one as issuer (one that did not issue it: CCG_ERR_CERT_CHAIN).
 * Every certificate is checked; the worst result is returned (revoked, then
 * on hold, then an invalid response, stale, unavailable, unknown) with out
 * holding that certificate's result and err->where "chain[i] (CN=...)". All
 * good: out is the leaf's, from_cache only when every answer was. At most 16
 * certificates. CCG_OCSP_MODE_OFF: CCG_OK with status CCG_OCSP_NOT_CHECKED.
 */
CCG_MUST_USE enum ccg_status ccg_ocsp_check_chain(struct ccg_ocsp *o, STACK_OF(X509) *chain, int64_t now,
						  struct ccg_ocsp_cert_result *out, struct ccg_error *err);

/* ccg_ocsp_status_name: "good", "revoked", "on-hold", "unknown", "not-checked". */
const char *ccg_ocsp_status_name(enum ccg_ocsp_cert_status s);
/* ccg_ocsp_reason_name: RFC 5280 CRLReason name ("keyCompromise", "certificateHold"), or NULL for -1. */
const char *ccg_ocsp_reason_name(int reason);

#endif
