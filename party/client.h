/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The party client (party/client.c, party/logstate.c): its calls are
 * exported and declared in ccgpu/party.h; this header adds what only the
 * library and its tests use.
 */
#ifndef CCGPU_PARTY_CLIENT_H
#define CCGPU_PARTY_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ccgpu/party.h"

/* bytes of an upload aad at most: two names, two separators, a contract id */
#define CCG_PARTY_UPLOAD_AAD_MAX (2 * CCG_PARTY_MAX_NAME + 2 + CCG_PARTY_CONTRACT_ID_LEN)

/*
 * ccg_party_upload_aad: the upload's aad (contract ‖ 0x00 ‖ secret ‖ 0x00 ‖
 * contract_id) into out (room for CCG_PARTY_UPLOAD_AAD_MAX bytes); its length.
 */
size_t ccg_party_upload_aad(const char *contract, const char *secret, const char *contract_id, uint8_t *out);

#endif
