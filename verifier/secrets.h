/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sealed secrets and suspensions in ccgpu-verifierd's store (issue 14).
 *
 * Table "secret", key "<len>:<contract>/<secret>" (the contract name's
 * length first, so no two pairs share a key), one row per secret:
 *   {"version": UPLOAD-COUNT, "by": PARTY, "contract_id": HEX,
 *    "wrapped_key": B64URL, "ciphertext": B64URL}
 * ciphertext = AES-256-GCM of the secret under a fresh 256-bit data key
 * (IV ‖ ct ‖ tag), wrapped_key = the data key wrapped by the KEK
 * (verifier/kek.h); both bound to aad = contract ‖ 0x00 ‖ secret ‖ 0x00 ‖
 * contract_id ‖ 0x00 ‖ decimal version, so a row moved to another secret,
 * its version edited, or read for another version of the contract (another
 * content hash: a new version, or a row the operator replaced) does not
 * decrypt (an older row of the same secret put back whole decrypts as that
 * older version: rolling the database back is within the operator's power,
 * and the release log shows it). A secret is bound to the contract version it
 * was uploaded for (branch releasefast): after a new version its owner
 * uploads it again. The plaintext is only ever in a secret buffer
 * (common/secret.h), never in the store, a log or an error.
 *
 * Table "suspension", key "<len>:<contract>/" (the whole contract) or
 * "<len>:<contract>/<secret>": a JSON array of the parties that suspended,
 * sorted; no row when none. Read in the release transaction, so a
 * suspension committed by any replica sharing the store holds at once.
 */
#ifndef CCGPU_VERIFIER_SECRETS_H
#define CCGPU_VERIFIER_SECRETS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"
#include "common/secret.h"
#include "verifier/kek.h"

struct ccg_store_txn;

#define CCG_SECRETS_TABLE "secret"
#define CCG_SUSPENSION_TABLE "suspension"
#define CCG_SECRET_MAX_LEN (64u * 1024u) /* bytes of one secret */
#define CCG_SECRET_MAX_NAME 128          /* bytes of a contract or secret name */

#define CCG_SECRETS_ID_LEN 96 /* hex digits of a contract version's id (SHA-384 of its canonical form) */
#define CCG_SECRETS_AAD_MAX (2 * CCG_SECRET_MAX_NAME + 2 + CCG_SECRETS_ID_LEN + 1 + 21)

/*
 * ccg_secrets_aad: contract ‖ 0x00 ‖ secret ‖ 0x00 ‖ contract_id, and when
 * version > 0 ‖ 0x00 ‖ decimal version, into out (cap bytes, at most
 * CCG_SECRETS_AAD_MAX needed); *out_len its length. contract_id: the
 * contract version's id (CCG_SECRETS_ID_LEN lower-case hex digits). Without
 * a version it is the aad of a sealed upload (docs/protocols.md: the owner
 * seals for the exact contract it signed); with one, a stored row's. Names
 * empty or over CCG_SECRET_MAX_NAME bytes: CCG_ERR_INVALID_ARG naming
 * "contract" / "secret"; another id: CCG_ERR_INVALID_ARG naming "contract_id".
 */
CCG_MUST_USE enum ccg_status ccg_secrets_aad(const char *contract, const char *secret, const char *contract_id,
					     int64_t version, uint8_t *out, size_t cap, size_t *out_len,
					     struct ccg_error *err);

/*
 * ccg_secrets_put: seals pt (1..CCG_SECRET_MAX_LEN bytes) under a fresh data
 * key wrapped by kek and stores it inside txn as the next version of
 * (contract, secret) (1 for the first upload), bound to the contract version
 * contract_id; *out_version receives it.
 */
CCG_MUST_USE enum ccg_status ccg_secrets_put(struct ccg_store_txn *txn, const struct ccg_kek *kek, const char *contract,
					     const char *secret, const char *contract_id, const uint8_t *pt, size_t len,
					     const char *by, int64_t *out_version, struct ccg_error *err);
/*
 * ccg_secrets_get: the stored secret, uploaded for the contract version
 * contract_id, decrypted into a new secret buffer (*out, free with
 * ccg_secret_free) and its version. None uploaded: CCG_ERR_NOT_FOUND naming
 * "secret"; uploaded for another contract version: CCG_ERR_CONTRACT_MISMATCH
 * naming "secret.contract_id"; a row that does not parse: CCG_ERR_MALFORMED
 * naming "secret.row"; a row that does not decrypt under this KEK, its place
 * and contract_id (edited, moved, replayed, its contract_id rewritten):
 * CCG_ERR_MAC naming "kek.unwrap" or "secret.ciphertext".
 */
CCG_MUST_USE enum ccg_status ccg_secrets_get(struct ccg_store_txn *txn, const struct ccg_kek *kek, const char *contract,
					     const char *secret, const char *contract_id, struct ccg_secret **out,
					     int64_t *out_version, struct ccg_error *err);

/*
 * ccg_suspension_get: the parties that suspended contract (secret NULL) or
 * one of its secrets, as a new JSON array (empty when none). A row that is
 * not an array of strings: CCG_ERR_MALFORMED naming "suspension.row"
 * (refused, never read as "not suspended").
 */
CCG_MUST_USE enum ccg_status ccg_suspension_get(struct ccg_store_txn *txn, const char *contract, const char *secret,
						json_t **out, struct ccg_error *err);
/*
 * ccg_suspension_set: party suspends (on = true) or resumes (on = false)
 * contract (secret NULL) or one secret, inside txn; *out (optional)
 * receives the parties that suspend it afterwards (new reference).
 * Suspending twice is kept once; resuming what party did not suspend is
 * CCG_ERR_NOT_FOUND naming "suspension" (only the suspending party resumes).
 */
CCG_MUST_USE enum ccg_status ccg_suspension_set(struct ccg_store_txn *txn, const char *contract, const char *secret,
						const char *party, bool on, json_t **out, struct ccg_error *err);

#endif
