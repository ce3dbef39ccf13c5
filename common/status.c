/* SPDX-License-Identifier: Apache-2.0 */
#include "common/error.h"
#include "common/str.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define STATUSES(X) \
	X(OK, "success") \
	X(ERR_TRUNCATED, "input truncated") \
	X(ERR_TRAILING_DATA, "trailing data after the last field") \
	X(ERR_MALFORMED, "malformed field") \
	X(ERR_UNSUPPORTED, "unsupported version, algorithm or type") \
	X(ERR_TOO_LARGE, "length or count over its maximum") \
	X(ERR_ENCODING, "bad encoding") \
	X(ERR_NONCE_MISMATCH, "nonce mismatch") \
	X(ERR_DUPLICATE, "duplicate field or index") \
	X(ERR_PROTOCOL, "protocol violation by the peer") \
	X(ERR_SIGNATURE, "signature does not verify") \
	X(ERR_MAC, "MAC or authentication tag does not verify") \
	X(ERR_CERT_CHAIN, "certificate chain does not verify") \
	X(ERR_CERT_EXPIRED, "certificate expired or not yet valid") \
	X(ERR_CERT_UNTRUSTED, "certificate chain does not reach the trust anchor") \
	X(ERR_CERT_FWID, "certificate FWID does not match the evidence") \
	X(ERR_REVOKED, "certificate revoked") \
	X(ERR_CERT_ON_HOLD, "certificate on hold") \
	X(ERR_OCSP, "invalid OCSP response") \
	X(ERR_OCSP_STALE, "stale or missing OCSP response, CRL or collateral") \
	X(ERR_OCSP_UNKNOWN, "certificate unknown to the OCSP responder") \
	X(ERR_OCSP_UNAVAILABLE, "no OCSP response available") \
	X(ERR_MEASUREMENT_MISMATCH, "measurement mismatch") \
	X(ERR_RIM_NOT_FOUND, "reference manifest not found") \
	X(ERR_RIM_INVALID, "invalid reference manifest") \
	X(ERR_RIM_CONFLICT, "measurement index in two reference manifests") \
	X(ERR_TOPOLOGY, "inconsistent GPU/NVSwitch topology") /* gpu11 */ \
	X(ERR_POLICY, "policy refused") \
	X(ERR_POLICY_SYNTAX, "policy syntax error") \
	X(ERR_POLICY_UNKNOWN_CLAIM, "unknown claim") \
	X(ERR_POLICY_TYPE, "policy type error") \
	X(ERR_IO, "I/O error") \
	X(ERR_NETWORK, "network transfer failed") \
	X(ERR_NOT_FOUND, "not found") \
	X(ERR_TIMEOUT, "timed out") \
	X(ERR_NOMEM, "out of memory") \
	X(ERR_CRYPTO, "crypto library error") \
	X(ERR_INVALID_ARG, "invalid argument") \
	X(ERR_INTERNAL, "internal error") \
	X(ERR_REPLAY, "replayed message") \
	X(ERR_REORDER, "reordered message") \
	X(ERR_DROPPED, "dropped message") \
	X(ERR_WRONG_DIRECTION, "message for the other direction") \
	X(ERR_STALE_KEY, "message under a stale key") \
	X(ERR_KEY_EXHAUSTED, "key usage limit reached") \
	X(ERR_CHANNEL_CLOSED, "channel closed or failed") \
	X(ERR_DESCRIPTOR, "channel descriptor altered") \
	/* branch cpu11 (issue 11) */ \
	X(ERR_CERT_MISSING, "a certificate the chain needs is missing") \
	X(ERR_CERT_HWID, "certificate hardware id does not match the evidence") \
	X(ERR_CERT_TCB, "certificate TCB version does not match the evidence") \
	X(ERR_CERT_PRODUCT, "certificate is for another processor product") \
	/* branch chan (issue 10) */ \
	X(ERR_PEER_CLOSED, "peer closed the connection") \
	X(ERR_SHM_UNSEALED, "shared memory not sealed against resizing") \
	/* branch prompt (issue 15) */ \
	X(ERR_DEVICE_IDENTITY, "the session's device is not the attested one") \
	/* tokens (branch ear) */ \
	X(ERR_TOKEN_EXPIRED, "token expired") \
	X(ERR_TOKEN_NOT_YET_VALID, "token not yet valid") \
	X(ERR_TOKEN_KEY_UNKNOWN, "token signed by a key not in the JWKS") \
	/* verifier service (branch verifierd) */ \
	X(ERR_NONCE_UNKNOWN, "unknown or already used nonce") \
	X(ERR_NONCE_EXPIRED, "expired nonce") \
	X(ERR_STORE, "database failure") \
	X(ERR_STORE_SCHEMA, "database schema newer than this build") \
	X(ERR_STORE_CONFLICT, "concurrent transaction conflict") \
	/* branch merkle */ \
	X(ERR_LOG_PROOF, "log proof does not verify") \
	X(ERR_LOG_INCONSISTENT, "log history rewritten") \
	/* multi-party release (branch release, issue 14) */ \
	X(ERR_STATEMENT_REPLAY, "signed statement already used (replay)") \
	X(ERR_PARTY_UNKNOWN, "party unknown to the contract in force") \
	X(ERR_STATEMENT_SCOPE, "signed statement made for another request") \
	X(ERR_STATEMENT_STALE, "signed statement outside its time window") \
	/* the guest API (branch guest, issue 15) */ \
	X(ERR_NOT_AFFIRMED, "the verifier did not affirm the evidence") \
	X(ERR_TOKEN_WRONG_KEY, "token bound to another TEE key") \
	/* branch ohttp (issue 15): prompt privacy */ \
	X(ERR_OHTTP_KEY, "encapsulated request for another OHTTP key or suite") \
	X(ERR_TEE_KEY_MISMATCH, "the key is not the attested TEE key") \
	X(ERR_TOKEN_STATUS, "attestation result is not affirming") \
	/* party CLI (branch party, issue 14) */ \
	X(ERR_PEER_REFUSED, "the verifier refused the request") \
	/* branch releasefast (issue 14) */ \
	X(ERR_CONTRACT_NOT_IN_FORCE, "stored contract not in force as stored") \
	X(ERR_CONTRACT_MISMATCH, "bound to another contract version")

const char *ccg_status_str(enum ccg_status s)
{
	switch (s) {
#define X(name, text) \
	case CCG_##name: return text;
		STATUSES(X)
#undef X
	}
	return "unknown status";
}

const char *ccg_status_name(enum ccg_status s)
{
	switch (s) {
#define X(name, text) \
	case CCG_##name: return #name;
		STATUSES(X)
#undef X
	}
	return "UNKNOWN";
}

void ccg_error_clear(struct ccg_error *err)
{
	if (err == NULL)
		return;
	memset(err, 0, sizeof(*err));
	err->status = CCG_OK;
}

enum ccg_status ccg_error_set(struct ccg_error *err, enum ccg_status s, const char *where, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->status != CCG_OK || s == CCG_OK)
		return s;
	err->status = s;
	snprintf(err->where, sizeof(err->where), "%s", where != NULL ? where : "");
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
		va_end(ap);
	} else {
		err->detail[0] = '\0';
	}
	/* text from outside, or a character cut at the end of the buffer, stays valid UTF-8 for JSON */
	ccg_utf8_sanitize(err->where);
	ccg_utf8_sanitize(err->detail);
	return s;
}

const char *ccg_error_format(const struct ccg_error *err, char *buf, size_t buf_len)
{
	if (buf == NULL || buf_len == 0)
		return "";
	if (err == NULL) {
		snprintf(buf, buf_len, "no error detail");
		return buf;
	}
	if (err->detail[0] != '\0')
		snprintf(buf, buf_len, "%s: %s (%s)", err->where[0] ? err->where : "ccgpu", err->detail,
			 ccg_status_str(err->status));
	else
		snprintf(buf, buf_len, "%s: %s", err->where[0] ? err->where : "ccgpu", ccg_status_str(err->status));
	return buf;
}

const char *ccg_check_name(uint32_t check)
{
	switch (check) {
	case CCG_CHECK_FRESHNESS: return "freshness";
	case CCG_CHECK_REVOCATION: return "revocation";
	case CCG_CHECK_REFERENCE_VALUES: return "reference-values";
	case CCG_CHECK_TCB_STATUS: return "tcb-status";
	default: return NULL;
	}
}
