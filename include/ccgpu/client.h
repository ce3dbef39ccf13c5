/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client of a confidential inference server: before a prompt leaves,
 * check the server's EAR attestation-result token (signed by the verifier,
 * ccgpu-verifierd) and that the server's Oblivious HTTP key is the TEE key
 * the token vouches for; then send each request as Oblivious HTTP (RFC 9458:
 * Binary HTTP inside HPKE to that key) through a relay, so the operator's
 * relays and hosts see ciphertext only. docs/protocols.md ("Oblivious
 * HTTP") names the server's routes:
 *
 *   GET  {server}/ccgpu/ohttp-keys   application/ohttp-keys  the key configuration
 *   GET  {server}/ccgpu/attestation  application/jwt         the EAR token
 *   POST {server}/ccgpu/gateway      message/ohttp-req -> message/ohttp-res
 *
 * ccg_client_attest refuses, naming the check: a token whose signature does
 * not verify under the verifier's JWKS, of another profile, outside
 * iat <= now < exp (ccg_ear_verify's checks); ear.status other than
 * "affirming" (CCG_ERR_TOKEN_STATUS); a token that binds no TEE key
 * (cnf.jwk: an X25519 OKP or a P-384 EC key) or a key configuration whose
 * public key is not that key (CCG_ERR_TEE_KEY_MISMATCH); claims the client's own policy refuses
 * (CCG_ERR_POLICY, err->where = the rule). Nothing is encapsulated before
 * every check passed.
 *
 * Thread-safety: a client is used by one thread at a time.
 */
#ifndef CCGPU_CLIENT_PUBLIC_H
#define CCGPU_CLIENT_PUBLIC_H

#include <stddef.h>
#include <stdint.h>

#include "ccgpu/ohttp.h"
#include "ccgpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ccg_client;

/* the routes relative to the server's base URL */
#define CCG_CLIENT_ROUTE_KEYS "/ccgpu/ohttp-keys"
#define CCG_CLIENT_ROUTE_ATTESTATION "/ccgpu/attestation"
#define CCG_CLIENT_ROUTE_GATEWAY "/ccgpu/gateway"
#define CCG_CLIENT_MAX_URL 2048

/*
 * ccg_client_new: a client of the inference server at server_url (http://
 * or https://, at most CCG_CLIENT_MAX_URL bytes, no trailing '/'
 * needed). Requests go straight to {server}/ccgpu/gateway until
 * ccg_client_set_relay names a relay. Free with ccg_client_free.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_client_new(const char *server_url, struct ccg_client **out,
						    struct ccg_error *err);
/* ccg_client_free: wipes and frees; NULL is allowed. */
CCG_API void ccg_client_free(struct ccg_client *c);
/* ccg_client_set_relay: the Oblivious Relay Resource (its URL) every request is POSTed to. */
CCG_API CCG_MUST_USE enum ccg_status ccg_client_set_relay(struct ccg_client *c, const char *relay_url,
							  struct ccg_error *err);
/* ccg_client_set_jwks: the verifier's JWKS as JSON text (e.g. read from a file); replaces a JWKS URL. */
CCG_API CCG_MUST_USE enum ccg_status ccg_client_set_jwks(struct ccg_client *c, const char *jwks_json, size_t len,
							 struct ccg_error *err);
/* ccg_client_set_jwks_url: fetch the JWKS at attestation time (e.g. https://verifier/.well-known/jwks.json). */
CCG_API CCG_MUST_USE enum ccg_status ccg_client_set_jwks_url(struct ccg_client *c, const char *url,
							     struct ccg_error *err);
/*
 * ccg_client_set_policy: the client's own policy (ccgpu's policy language,
 * include/ccgpu/policy.h) evaluated on the token's claims: the cpu0
 * submod's claims as the CPU claims, the GPU-n submods' as the GPUs'.
 * Without one only ear.status and the key binding are checked.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_client_set_policy(struct ccg_client *c, const char *policy_src, size_t len,
							   struct ccg_error *err);
/*
 * ccg_client_attest: fetches the server's EAR token and key configuration
 * (and the JWKS when a URL was given) and checks them all at time now (Unix
 * seconds; CCG_TIME_NOW = the current time). On success the client is
 * ready for ccg_client_request; on any refusal it is not (an earlier
 * success is forgotten). Transport failures: CCG_ERR_NETWORK naming the route.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_client_attest(struct ccg_client *c, int64_t now, struct ccg_error *err);
/* ccg_client_claims_json: the verified token's claims as compact JSON (borrowed), or NULL before a successful attest. */
CCG_API const char *ccg_client_claims_json(const struct ccg_client *c);
/*
 * ccg_client_request: encodes request (known-length Binary HTTP),
 * encapsulates it to the attested key, POSTs it as message/ohttp-req to the
 * relay (or gateway), and opens the message/ohttp-res answer into
 * *response (free with ccg_bhttp_msg_free). Refused: no successful
 * ccg_client_attest (CCG_ERR_INVALID_ARG "client"); an HTTP status other
 * than 200 or another content type (CCG_ERR_NETWORK / CCG_ERR_PROTOCOL
 * "client.gateway"); an answer that does not open (CCG_ERR_MAC "hpke.ct")
 * or is no Binary HTTP response.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_client_request(struct ccg_client *c, const struct ccg_bhttp_msg *request,
							struct ccg_bhttp_msg **response, struct ccg_error *err);

#ifdef __cplusplus
}
#endif
#endif
