/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgpu-party: a party's client of ccgpu-verifierd (issue 14; the wire
 * contract is docs/protocols.md, "Secret release"). Every command first
 * appraises the verifier's own TEE evidence (GET /v1/verifier/evidence with a
 * fresh nonce, ccg_vevidence_check), which yields the keys it trusts for this
 * call: keys.token verifies signed tree heads, keys.upload receives sealed
 * secrets. State-changing requests carry a signed statement
 * (ccg_statement_sign). After every call the party fetches the log's signed
 * tree head and checks that it extends the one kept in --state DIR
 * (ccg_log_check): a rewritten history is refused and named.
 *
 * Pieces (each testable without the network):
 *   client.c   the verifier's address (http(s):// or unix:PATH), requests, problem answers
 *   logstate.c the kept tree head per verifier, the log step, entries and inclusion
 *   main.c     options and commands
 */
#ifndef CCGPU_TOOLS_PARTY_H
#define CCGPU_TOOLS_PARTY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"
#include "common/http.h"
#include "verifier/log.h"

/* the wire contract's constants (docs/protocols.md, "Secret release") */
#define PARTY_UPLOAD_INFO "ccgpu-secret-upload/v1"
#define PARTY_UPLOAD_SUITE "P384-SHA384-AES256GCM"
#define PARTY_UPLOAD_ALG "HPKE-P384-SHA384-AES256GCM"
#define PARTY_STATEMENT_HEADER "CCGPU-Statement"
#define PARTY_MAX_ANSWER (1u << 20)    /* bytes of any answer the party reads */
#define PARTY_MAX_SECRET (64u * 1024u) /* bytes of a secret (the daemon's bound) */
#define PARTY_MAX_NAME 128             /* bytes of a contract or secret name */
#define PARTY_MAX_URL 1024
#define PARTY_CONTRACT_ID_LEN 96 /* hex digits of a contract version's id (SHA-384 of its canonical form) */
#define PARTY_UPLOAD_AAD_MAX (2 * PARTY_MAX_NAME + 2 + PARTY_CONTRACT_ID_LEN)

/* exit statuses of ccgpu-party (ccgpu-party(1), EXIT STATUS) */
enum {
	PARTY_EXIT_OK = 0,          /* done, and every check held */
	PARTY_EXIT_CHECK = 1,       /* a check of the party's failed: the verifier's evidence, the log */
	PARTY_EXIT_USAGE = 2,       /* bad arguments or unreadable input */
	PARTY_EXIT_REFUSED = 3,     /* the verifier refused the request (a 4xx problem answer) */
	PARTY_EXIT_UNAVAILABLE = 4, /* the verifier could not be reached or failed (transport, 5xx) */
};

/* ---- client.c ---- */

struct party_verifier {
	char url[PARTY_MAX_URL];  /* as given: names the kept state */
	char base[PARTY_MAX_URL]; /* "http(s)://host[:port][/prefix]" without a trailing slash */
	char unix_path[512];      /* the socket for unix:PATH, else "" */
	long timeout_ms;
};

/*
 * party_verifier_parse: "http://…", "https://…" or "unix:/absolute/path".
 * Anything else, or too long: CCG_ERR_INVALID_ARG naming "verifier".
 */
CCG_MUST_USE enum ccg_status party_verifier_parse(const char *spec, struct party_verifier *v, struct ccg_error *err);

/*
 * party_http: one request to the verifier: method "GET", "POST" or "PUT",
 * target the path and query ("/v1/log/sth"), body JSON (POST/PUT), statement
 * the CCGPU-Statement value or NULL. Any HTTP status comes back in out;
 * transport failures are CCG_ERR_NETWORK naming "party.network".
 */
CCG_MUST_USE enum ccg_status party_http(const struct party_verifier *v, const char *method, const char *target,
					const uint8_t *body, size_t len, const char *statement,
					struct ccg_http_response *out, struct ccg_error *err);

/*
 * party_answer_check: the answer r to the request named what must have status
 * want. Otherwise its problem+json (type, title, detail, check, party, rule
 * when present) is summarised into err, where = what: a 4xx answer is
 * CCG_ERR_PEER_REFUSED, anything else CCG_ERR_NETWORK. A body that is not a
 * problem document is summarised by its status alone.
 */
CCG_MUST_USE enum ccg_status party_answer_check(const struct ccg_http_response *r, long want, const char *what,
						struct ccg_error *err);

/* party_exit_for: the exit status for a failed command's error. */
int party_exit_for(const struct ccg_error *err);

/*
 * party_upload_key: the HPKE public key (SerializePublicKey, 97 bytes) and
 * kid of keys.upload: kty EC, crv P-384, use "enc", alg PARTY_UPLOAD_ALG, a
 * kid string of at most 128 bytes, no private part; otherwise
 * CCG_ERR_MALFORMED / CCG_ERR_UNSUPPORTED naming "party.upload_key.MEMBER".
 */
CCG_MUST_USE enum ccg_status party_upload_key(const json_t *jwk, uint8_t pk[97], char kid[129], struct ccg_error *err);

/*
 * party_upload_body: the PUT …/secrets/{secret} body sealing secret to pk:
 * HPKE base mode P-384/SHA-384/AES-256-GCM, info PARTY_UPLOAD_INFO, aad =
 * contract ‖ 0x00 ‖ secret ‖ 0x00 ‖ contract_id, the id of the contract
 * version this party signed (PARTY_CONTRACT_ID_LEN hex digits): the verifier
 * opens it only while it holds exactly that version. *out is malloc'd JSON.
 */
CCG_MUST_USE enum ccg_status party_upload_body(const uint8_t pk[97], const char *kid, const char *contract,
					       const char *secret, const char *contract_id, const uint8_t *data,
					       size_t len, char **out, struct ccg_error *err);
/* party_upload_aad: that aad into out (room for PARTY_UPLOAD_AAD_MAX bytes); its length. */
size_t party_upload_aad(const char *contract, const char *secret, const char *contract_id, uint8_t *out);

/* ---- held.c (branch releasefast): the contract the verifier holds is the one this party signed ---- */

/*
 * party_contract_held_check: body (GET /v1/contracts/{name}'s answer:
 * {"contract", "version", "id", "document"}) names contract name and holds
 * exactly the canonical bytes canon (canon_len) with id id, the version this
 * party signed. Otherwise CCG_ERR_CONTRACT_MISMATCH naming "party.contract"
 * (the held version and id beside this party's): an operator who registered
 * its own contract under the name first, or any other version, is refused
 * before anything is sent. A body that is not that answer: CCG_ERR_MALFORMED
 * naming "party.contract".
 */
CCG_MUST_USE enum ccg_status party_contract_held_check(const uint8_t *body, size_t len, const char *name,
						       const uint8_t *canon, size_t canon_len, const char *id,
						       struct ccg_error *err);
/* party_contract_held: GET /v1/contracts/{name} from v (a refusal named "party.contract"), then the check above. */
CCG_MUST_USE enum ccg_status party_contract_held(const struct party_verifier *v, const char *name, const uint8_t *canon,
						 size_t canon_len, const char *id, struct ccg_error *err);

/* party_name_ok: a contract or secret name that can stand in a path: 1..128 of [A-Za-z0-9._-]. */
bool party_name_ok(const char *name);

/* ---- logstate.c ---- */

/* a verified signed tree head and its JWS text */
struct party_head {
	bool have;
	struct ccg_log_sth sth;
	char *jws;   /* malloc'd */
	json_t *key; /* the public JWK it verified under */
};
void party_head_cleanup(struct party_head *h);

/*
 * party_state_load: the head kept for verifier url in dir (a file named by
 * SHA-256 of the url); none kept: h->have false and CCG_OK. A file that does
 * not parse, names another verifier or whose head does not verify under its
 * kept key: CCG_ERR_MALFORMED / the verification's error, naming "party.state".
 */
CCG_MUST_USE enum ccg_status party_state_load(const char *dir, const char *url, struct party_head *h,
					      struct ccg_error *err);
/* party_state_save: keeps h (which must have a head) for url in dir, atomically (dir created 0700). */
CCG_MUST_USE enum ccg_status party_state_save(const char *dir, const char *url, const struct party_head *h,
					      struct ccg_error *err);

/*
 * party_log_step: the log check after a call, on answers already fetched:
 * sth_body (GET /v1/log/sth) verified under jwks ("party.log.sth"); when kept
 * has a head, cons_body (GET /v1/log/consistency?first=KEPT&second=NEW; NULL
 * when no proof is needed: kept size 0 or equal sizes) must be for those
 * sizes and prove that the new head extends the kept one (ccg_log_check):
 * otherwise CCG_ERR_LOG_INCONSISTENT naming "party.log.consistency", the
 * inner check in the detail. *next receives the new head (its key a new
 * reference to the one key of jwks).
 */
CCG_MUST_USE enum ccg_status party_log_step(const struct party_head *kept, const uint8_t *sth_body, size_t sth_len,
					    const uint8_t *cons_body, size_t cons_len, const json_t *jwks,
					    struct party_head *next, struct ccg_error *err);
/* party_log_needs_proof: whether party_log_step needs a consistency answer for these heads. */
bool party_log_needs_proof(const struct party_head *kept, const struct ccg_log_sth *next);
/* party_sth_peek: the tree head of an STH body verified under jwks (for asking the right proof). */
CCG_MUST_USE enum ccg_status party_sth_peek(const uint8_t *body, size_t len, const json_t *jwks,
					    struct ccg_log_sth *out, struct ccg_error *err);

/*
 * party_log_advance: party_log_step over HTTP: fetches the head and, when
 * needed, the consistency proof from v.
 */
CCG_MUST_USE enum ccg_status party_log_advance(const struct party_verifier *v, const json_t *jwks,
					       const struct party_head *kept, struct party_head *next,
					       struct ccg_error *err);

/*
 * party_log_entries: entries [start, end) of the log from v, in pages of at
 * most CCG_LOG_MAX_ENTRIES (ccg_log_entries_parse). out and out_lens have
 * room for end - start; the caller frees each out[i]. An answer that is not
 * 200 names "party.log.entries" with the verifier's problem.
 */
CCG_MUST_USE enum ccg_status party_log_entries(const struct party_verifier *v, uint64_t start, uint64_t end,
					       uint8_t **out, size_t *out_lens, struct ccg_error *err);

/*
 * party_log_included: entry (index) is leaf index of the tree of head: its
 * inclusion proof from v (GET /v1/log/proof) verifies against head's root;
 * otherwise CCG_ERR_LOG_PROOF naming "party.log.inclusion".
 */
CCG_MUST_USE enum ccg_status party_log_included(const struct party_verifier *v, const struct ccg_log_sth *head,
						uint64_t index, const uint8_t *entry, size_t len,
						struct ccg_error *err);
/* party_log_proof_check: the same on an already fetched proof body. */
CCG_MUST_USE enum ccg_status party_log_proof_check(const struct ccg_log_sth *head, uint64_t index, const uint8_t *entry,
						   size_t len, const uint8_t *body, size_t body_len,
						   struct ccg_error *err);

#endif
