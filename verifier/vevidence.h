/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verifier's own TEE evidence, the daemon's side (branch vtee): the
 * document of GET /v1/verifier/evidence (format, binding and the party's
 * check: party/vevidence.h).
 */
#ifndef CCGPU_VERIFIER_VEVIDENCE_H
#define CCGPU_VERIFIER_VEVIDENCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ccgpu/status.h"
#include "party/vevidence.h"

/*
 * ccg_vevidence_make: the daemon's side (verifier/vevidence_tpm.c): the
 * document above for nonce, the keys given (borrowed; their members that
 * ccg_vevidence_jwk_member names are copied in, the rest, e.g. the x5c of
 * /.well-known/jwks.json, left out), with a TPM
 * quote by the AK at ak_handle through tcti over CCG_VEVIDENCE_PCRS whose
 * extraData is the report_data of the binding. *out is a new reference.
 * Errors: the binding's, the quote's ("vtpm.tcti", "vtpm.ak", "vtpm.quote").
 */
CCG_MUST_USE enum ccg_status ccg_vevidence_make(const uint8_t nonce[32], const json_t *token_jwk,
						const json_t *upload_jwk, const char *tcti, uint32_t ak_handle,
						json_t **out, struct ccg_error *err);

/*
 * ccg_vevidence_ak_ensure: the daemon's start (branch vtee; moved out of
 * ccgpu-verifierd's main by branch api): when a TPM is configured (tcti not
 * NULL), makes sure a key is persisted at ak_handle, creating the AK there
 * when the handle is empty (*created true); ccgpu-verifierd(8) says how a
 * party learns its public key. No TPM configured: CCG_OK, nothing done.
 * Errors: the TPM's ("vtpm.ak_handle", "vtpm.ak_create", "vtpm.ak_persist", the TCTI's).
 */
CCG_MUST_USE enum ccg_status ccg_vevidence_ak_ensure(const char *tcti, uint32_t ak_handle, bool *created,
						     struct ccg_error *err);

#endif
