/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verifier's key-encryption key sealed to the TPM (branch vtee; the
 * "tpm:" provider of ccg_kek_open, SHARED verifier/kek.h, owner release).
 * docs/threat-model.md says what it protects and what a 0600 key file does not.
 */
#ifndef CCGPU_VERIFIER_KEK_TPM_H
#define CCGPU_VERIFIER_KEK_TPM_H

#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

#define CCG_KEK_LEN 32
#define CCG_KEK_TPM_BLOB_MAX 4096

/*
 * ccg_kek_tpm_load: the 32-byte KEK sealed to the TPM at tcti (NULL: the
 * kernel's resource manager), written into kek (the caller's secret buffer).
 * Under the storage root key (a primary of the owner hierarchy made from
 * TCG's ECC P-256 SRK template: the same key every time on the same TPM,
 * never persisted), when path does not exist: 32 random bytes are sealed in
 * a keyed-hash data object (fixedTPM, fixedParent, userWithAuth with an
 * empty auth value, noDA; no PCR policy, docs/threat-model.md says why) and
 * the blob TPM2B_PUBLIC ‖ TPM2B_PRIVATE (Tss2_MU marshalled) is written to
 * path, mode 0600, created exclusively (a racing creator's blob wins and is
 * unsealed). When path exists: the blob is parsed (every byte used; the
 * public area must be the sealed-object template), loaded under the SRK and
 * unsealed. The sensitive data crosses the TCTI only inside a salted HMAC
 * session with AES-128-CFB parameter encryption (salted with the SRK), so a
 * listener on the TPM's transport sees neither the KEK at sealing nor at
 * unsealing. Errors name the step: "vtpm.tcti", "kek.srk", "kek.session",
 * "kek.seal", "kek.write", "kek.read", "kek.blob" (truncated, trailing,
 * malformed), "kek.blob.public" (not the template), "kek.load" (CCG_ERR_MAC:
 * the TPM's integrity check failed: another TPM, or a modified blob),
 * "kek.unseal". The KEK never appears in an error or the blob.
 */
CCG_MUST_USE enum ccg_status ccg_kek_tpm_load(const char *path, const char *tcti, uint8_t kek[CCG_KEK_LEN],
					      struct ccg_error *err);

/*
 * ccg_kek_tpm_create: what ccg_kek_tpm_load does when path does not exist:
 * seals a new KEK and creates path exclusively; when path exists by then (a
 * racing creator won), unseals that blob instead, so every process ends up
 * with the one KEK on disk. Errors as ccg_kek_tpm_load.
 */
CCG_MUST_USE enum ccg_status ccg_kek_tpm_create(const char *path, const char *tcti, uint8_t kek[CCG_KEK_LEN],
						struct ccg_error *err);

#endif
