/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CCGPU_STATUS_H
#define CCGPU_STATUS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CCG_API __attribute__((visibility("default")))
#define CCG_MUST_USE __attribute__((warn_unused_result))
#define CCG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CCG_API
#define CCG_MUST_USE
#define CCG_PRINTF(f, a)
#endif

/*
 * ccg_status: every result ccgpu returns. Numbers are part of the ABI: a
 * value is never renumbered or reused, new values are appended inside their
 * group (each group owns a block of 100).
 */
enum ccg_status {
	CCG_OK = 0,

	/* malformed input */
	CCG_ERR_TRUNCATED = 100,      /* input ends before a field it must hold */
	CCG_ERR_TRAILING_DATA = 101,  /* bytes left after the last field */
	CCG_ERR_MALFORMED = 102,      /* a field holds a value the format forbids */
	CCG_ERR_UNSUPPORTED = 103,    /* a version, algorithm or type ccgpu does not accept */
	CCG_ERR_TOO_LARGE = 104,      /* a length or count over its stated maximum */
	CCG_ERR_ENCODING = 105,       /* bad hex, base64, PEM, DER, JSON or XML */
	CCG_ERR_NONCE_MISMATCH = 106, /* the evidence is not over the caller's nonce */
	CCG_ERR_DUPLICATE = 107,      /* a field or index given twice */
	CCG_ERR_PROTOCOL = 108,       /* a peer answered out of order, with the wrong message or an SPDM ERROR */

	/* signatures */
	CCG_ERR_SIGNATURE = 200, /* a signature does not verify */
	CCG_ERR_MAC = 201,       /* an HMAC (SPDM VerifyData) or AEAD tag does not verify */

	/* certificates */
	CCG_ERR_CERT_CHAIN = 300,     /* a chain does not build or verify */
	CCG_ERR_CERT_EXPIRED = 301,   /* a certificate is outside its validity period */
	CCG_ERR_CERT_UNTRUSTED = 302, /* the chain does not end at the trust anchor */
	CCG_ERR_CERT_FWID = 303,      /* leaf FWID extension does not match the evidence */
	/* certificates, branch cpu11 (issue 11): what an SEV-SNP chain lacks or where its VCEK differs */
	CCG_ERR_CERT_MISSING = 310, /* a certificate the chain needs is not given (VCEK/VLEK, ASK/ASVK, ARK) */
	CCG_ERR_CERT_HWID = 311,    /* the certificate's hardware id is not the evidence's chip id */
	CCG_ERR_CERT_TCB = 312,     /* the certificate's TCB version (SPL) is not the evidence's */
	CCG_ERR_CERT_PRODUCT = 313, /* the certificate is for another processor product than the evidence */

	/* revocation */
	CCG_ERR_REVOKED = 400,          /* a certificate is revoked */
	CCG_ERR_CERT_ON_HOLD = 401,     /* a certificate is on hold (revoked, reason certificateHold) */
	CCG_ERR_OCSP = 402,             /* an OCSP response is invalid, unsigned or for another request */
	CCG_ERR_OCSP_STALE = 403,       /* an OCSP response, CRL or collateral is too old, past nextUpdate or missing */
	CCG_ERR_OCSP_UNKNOWN = 404,     /* the responder does not know the certificate */
	CCG_ERR_OCSP_UNAVAILABLE = 405, /* no response: offline and none cached, or responder unreachable */

	/* reference values */
	CCG_ERR_MEASUREMENT_MISMATCH = 500, /* a measurement differs from every reference value */
	CCG_ERR_RIM_NOT_FOUND = 501,        /* no reference manifest for the evidence */
	CCG_ERR_RIM_INVALID = 502,          /* a reference manifest is malformed or for other firmware */
	CCG_ERR_RIM_CONFLICT = 503,         /* an index is covered by two manifests */
	/* gpu11 (issue 11, NVSwitch / PPCIe) */
	CCG_ERR_TOPOLOGY = 504, /* GPUs and NVSwitches do not report one consistent PPCIe topology */

	/* policy */
	CCG_ERR_POLICY = 600,               /* a policy refused the claims */
	CCG_ERR_POLICY_SYNTAX = 601,        /* policy text does not follow the grammar */
	CCG_ERR_POLICY_UNKNOWN_CLAIM = 602, /* a policy names a claim the claims schema does not have */
	CCG_ERR_POLICY_TYPE = 603,          /* a policy compares values of types that do not fit */

	/* I/O */
	CCG_ERR_IO = 700,        /* reading or writing a file failed */
	CCG_ERR_NETWORK = 701,   /* an HTTP transfer failed */
	CCG_ERR_NOT_FOUND = 702, /* a file or resource does not exist */
	CCG_ERR_TIMEOUT = 703,   /* a peer did not answer in time */

	/* internal */
	CCG_ERR_NOMEM = 800,       /* allocation failed */
	CCG_ERR_CRYPTO = 801,      /* the crypto library failed (not a bad signature) */
	CCG_ERR_INVALID_ARG = 802, /* the caller passed an invalid argument */
	CCG_ERR_INTERNAL = 803,    /* a bug in ccgpu */

	/* secure channel (SPDM session data path) */
	CCG_ERR_REPLAY = 900,          /* a message with a counter already received */
	CCG_ERR_REORDER = 901,         /* a later message arrived before the expected one, which is queued */
	CCG_ERR_DROPPED = 902,         /* the expected message is missing: a later one took its place */
	CCG_ERR_WRONG_DIRECTION = 903, /* a message sealed for the other direction */
	CCG_ERR_STALE_KEY = 904,       /* a message under a key that should have been rotated, past the window */
	CCG_ERR_KEY_EXHAUSTED = 905,   /* a key's AEAD usage limit (messages or blocks) is reached */
	CCG_ERR_CHANNEL_CLOSED = 906,  /* the channel or session failed earlier or was ended */
	CCG_ERR_DESCRIPTOR = 907,      /* a slot descriptor (length, op, argument, epoch or GCM tag) was altered */
	/* branch chan (issue 10): */
	CCG_ERR_PEER_CLOSED = 908,  /* the peer closed the connection while we wrote to it */
	CCG_ERR_SHM_UNSEALED = 909, /* shared memory the other side could resize (memfd without its seals) */
	/* branch prompt (issue 15): */
	CCG_ERR_DEVICE_IDENTITY = 910, /* the SPDM session's device certificate is not the attested one */

	/* attestation-result tokens (JWS/JWT: EAR, NRAS) -- added by branch ear */
	CCG_ERR_TOKEN_EXPIRED = 1000,       /* a token's exp is not after the verification time */
	CCG_ERR_TOKEN_NOT_YET_VALID = 1001, /* a token's iat is after the verification time */
	CCG_ERR_TOKEN_KEY_UNKNOWN = 1002,   /* no key in the JWKS has the token's kid */

	/* verifier service: nonces and the store (branch verifierd) */
	CCG_ERR_NONCE_UNKNOWN = 1100,  /* a nonce the verifier never issued, or one already used */
	CCG_ERR_NONCE_EXPIRED = 1101,  /* a nonce past its time to live */
	CCG_ERR_STORE = 1102,          /* the database failed or cannot be reached */
	CCG_ERR_STORE_SCHEMA = 1103,   /* the database schema is newer than this build, or not ccgpu's */
	CCG_ERR_STORE_CONFLICT = 1104, /* a concurrent transaction won (serialisation failure): retry */

	/* release log: Merkle-tree proofs and tree heads (branch merkle) */
	CCG_ERR_LOG_PROOF = 1250, /* an inclusion or consistency proof does not prove what it claims */
	CCG_ERR_LOG_INCONSISTENT =
		1251, /* a log's history was rewritten: a new tree head does not extend the old one */
	/* multi-party release (branch release, issue 14) */
	CCG_ERR_STATEMENT_REPLAY = 1400, /* a signed statement's jti was already used */
	CCG_ERR_PARTY_UNKNOWN = 1401,    /* a statement names a party with no registered key in the contract in force */
	CCG_ERR_STATEMENT_SCOPE = 1402,  /* a statement made for another route, contract or body */
	CCG_ERR_STATEMENT_STALE = 1403,  /* a statement's iat lies outside the accepted window */
	/* the guest API (branch guest, issue 15) */
	CCG_ERR_NOT_AFFIRMED = 1500,    /* the verifier's token does not affirm the evidence (ear.status) */
	CCG_ERR_TOKEN_WRONG_KEY = 1501, /* a token's cnf.jwk is not the holder's TEE key */
	/* prompt privacy: Oblivious HTTP and the client API (branch ohttp, issue 15) */
	CCG_ERR_OHTTP_KEY = 1700, /* an encapsulated request names a key id, KEM, KDF or AEAD the gateway lacks */
	CCG_ERR_TEE_KEY_MISMATCH = 1701, /* a server's OHTTP key is not the TEE key its EAR token binds (cnf.jwk) */
	CCG_ERR_TOKEN_STATUS = 1702,     /* an EAR token's ear.status is not "affirming" */
	/* party CLI (branch party, issue 14) */
	CCG_ERR_PEER_REFUSED = 1460, /* the verifier refused a party's request (an HTTP problem answer) */
	/* contracts re-established on every load, secrets bound to a contract version (branch releasefast, issue 14) */
	CCG_ERR_CONTRACT_NOT_IN_FORCE =
		1410, /* a stored contract row is not in force as stored (changed outside the daemon) */
	CCG_ERR_CONTRACT_MISMATCH = 1411, /* bound to another contract version (its content hash differs) */
};

/* --- branch att (issue 10): shared conventions of the attestation API --- */

/*
 * Time parameters: every `now` of the public API (ccg_gpu_verifier_appraise,
 * ccg_cpu_verifier_appraise*, ccg_policy_eval, ccg_contract_in_force,
 * ccg_contract_release) is Unix seconds; CCG_TIME_NOW (0) means the current
 * time (read once per call); a negative time is refused with
 * CCG_ERR_INVALID_ARG. Tests and replays pass a fixed time.
 */
#define CCG_TIME_NOW 0

/*
 * Checks an appraisal did not make, as bits of ccg_gpu_result_checks_skipped
 * and ccg_cpu_result_checks_skipped (also listed by name in the claims,
 * "ccgpu-checks-skipped": "freshness", "revocation", "reference-values",
 * "tcb-status"). A result that passed with bits set passed only the checks
 * that were made.
 */
enum ccg_check {
	CCG_CHECK_FRESHNESS = 1u << 0,        /* no nonce / report_data of the caller: replay not excluded */
	CCG_CHECK_REVOCATION = 1u << 1,       /* OCSP off; no CRL of the SEV-SNP ARK or the TDX PCK CAs */
	CCG_CHECK_REFERENCE_VALUES = 1u << 2, /* GPU measurements not compared with RIMs */
	CCG_CHECK_TCB_STATUS = 1u << 3,       /* TDX: no collateral, the TCB status is unknown */
};
#define CCG_CHECK_ALL (CCG_CHECK_FRESHNESS | CCG_CHECK_REVOCATION | CCG_CHECK_REFERENCE_VALUES | CCG_CHECK_TCB_STATUS)

/*
 * ccg_check_name: the claims' name of one CCG_CHECK_* bit ("freshness",
 * "revocation", "reference-values", "tcb-status"); NULL for anything else.
 */
CCG_API const char *ccg_check_name(uint32_t check);

/* ccg_status_str: a short constant English description of s; never NULL. */
CCG_API const char *ccg_status_str(enum ccg_status s);

/* ccg_status_name: the enumerator's name without "CCG_" ("ERR_SIGNATURE"); never NULL. */
CCG_API const char *ccg_status_name(enum ccg_status s);

#define CCG_ERROR_WHERE_MAX 128
#define CCG_ERROR_DETAIL_MAX 384

/*
 * struct ccg_error: detail of a failure, filled by functions that take an
 * optional `struct ccg_error *err`. `where` names the check, field,
 * certificate or rule ("spdm.response.measurement_record", "chain[2]");
 * `detail` says what was wrong. Never holds secret material. The first
 * failure recorded wins; later ones do not overwrite it.
 */
struct ccg_error {
	enum ccg_status status;
	char where[CCG_ERROR_WHERE_MAX];
	char detail[CCG_ERROR_DETAIL_MAX];
};

/* ccg_error_clear: resets err to CCG_OK with empty strings; NULL is allowed. */
CCG_API void ccg_error_clear(struct ccg_error *err);

/* ccg_error_format: writes "where: detail (status text)" into buf; returns buf. */
CCG_API const char *ccg_error_format(const struct ccg_error *err, char *buf, size_t buf_len);

/*
 * ccg_error_set (branch api): records a failure in err the way the library
 * does (for an application's own checks, and for callbacks the library calls
 * with an err): when err is not NULL and holds no earlier failure, status s,
 * where and the printf-style detail (fmt may be NULL) are kept, truncated to
 * the fields' sizes. Returns s, so callers write
 * `return ccg_error_set(err, CCG_ERR_INVALID_ARG, "--nonce", "need %d bytes", 32);`
 * Never pass secret material.
 */
CCG_API enum ccg_status ccg_error_set(struct ccg_error *err, enum ccg_status s, const char *where, const char *fmt, ...)
	CCG_PRINTF(4, 5);

/* ---- branch api12 (issue 12 item 7) ---- */
/*
 * CCG_IGNORE(expr): evaluates a CCG_MUST_USE call whose result is
 * deliberately dropped (a plain (void) cast does not silence GCC's
 * warn_unused_result), e.g. CCG_IGNORE(ccg_session_end(s, NULL));
 */
#define CCG_IGNORE(expr) ((void)!(expr))

#ifdef __cplusplus
}
#endif
#endif
