/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SHARED (owner: branch release; the TPM provider is branch vtee's).
 *
 * The key-encryption key (KEK) of ccgpu-verifierd's secrets at rest
 * (issue 14). Every uploaded secret is encrypted under its own fresh 256-bit
 * data key (AES-256-GCM); the data key is wrapped by the KEK and only the
 * wrapped form reaches the store. The KEK is loaded once at start into a
 * secret buffer (common/secret.h) and never leaves the process:
 *
 *   file:/path   32 random bytes in a file created 0600 at first start;
 *                refused when it is not a regular file, is a symbolic link,
 *                is owned by another user, is not exactly 32 bytes, or when
 *                group or others have any permission on it (weaker than a
 *                TPM: whoever reads the file as root reads every secret)
 *   tpm:/path    a TPM2 sealed data object (TPM2B_PUBLIC ‖ TPM2B_PRIVATE),
 *                created at first start and unsealed under the SRK of the
 *                TPM at tpm_tcti (verifier/kek_tpm.c, ccg_kek_tpm_load)
 *
 * Wrapping: AES-256-GCM under the KEK with a fresh random 96-bit IV, the
 * caller's aad bound: wrapped = IV (12) ‖ ciphertext (32) ‖ tag (16).
 * Thread-safe once opened.
 */
#ifndef CCGPU_VERIFIER_KEK_H
#define CCGPU_VERIFIER_KEK_H

#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

#define CCG_KEK_LEN 32
#define CCG_KEK_DK_LEN 32
#define CCG_KEK_IV_LEN 12
#define CCG_KEK_TAG_LEN 16
#define CCG_KEK_WRAPPED_LEN (CCG_KEK_IV_LEN + CCG_KEK_DK_LEN + CCG_KEK_TAG_LEN)
#define CCG_KEK_MAX_AAD 4096

struct ccg_kek; /* the key-encryption key, loaded once at daemon start */

/*
 * ccg_kek_open: the KEK named by spec ("file:/abs/path" or "tpm:/abs/path";
 * tpm_tcti is only used by tpm:). Refusals name "kek": an unknown scheme or
 * a relative path (CCG_ERR_INVALID_ARG), a key file that fails the checks
 * above (CCG_ERR_INVALID_ARG naming "kek.mode", "kek.owner", "kek.type" or
 * "kek.size"), I/O (CCG_ERR_IO).
 */
CCG_MUST_USE enum ccg_status ccg_kek_open(const char *spec, const char *tpm_tcti, struct ccg_kek **out,
					  struct ccg_error *err);
/* ccg_kek_free: wipes and frees; NULL is allowed. */
void ccg_kek_free(struct ccg_kek *k);
/*
 * ccg_kek_wrap: wraps the 32-byte data key dk bound to aad (at most
 * CCG_KEK_MAX_AAD bytes) into out (out_len: in, its capacity, at least
 * CCG_KEK_WRAPPED_LEN; out, the bytes written).
 */
CCG_MUST_USE enum ccg_status ccg_kek_wrap(const struct ccg_kek *k, const uint8_t dk[32], const uint8_t *aad,
					  size_t aad_len, uint8_t *out, size_t *out_len, struct ccg_error *err);
/*
 * ccg_kek_unwrap: the data key of in (CCG_KEK_WRAPPED_LEN bytes) if it was
 * wrapped by this KEK with this aad; otherwise CCG_ERR_MAC naming "kek.unwrap"
 * (another KEK, another aad, a changed byte) and dk zeroed; another length
 * is CCG_ERR_MALFORMED.
 */
CCG_MUST_USE enum ccg_status ccg_kek_unwrap(const struct ccg_kek *k, const uint8_t *in, size_t in_len,
					    const uint8_t *aad, size_t aad_len, uint8_t dk[32], struct ccg_error *err);

/*
 * ccg_kek_tpm_load (branch vtee, verifier/kek_tpm.c): creates and seals, or
 * unseals, the 32-byte KEK kept at path under the TPM at tcti. Until that
 * file is merged, verifier/kek_tpm_none.c refuses (CCG_ERR_UNSUPPORTED
 * naming "kek").
 */
CCG_MUST_USE enum ccg_status ccg_kek_tpm_load(const char *path, const char *tcti, uint8_t kek[32],
					      struct ccg_error *err);

/*
 * AES-256-GCM under a 32-byte key with a fresh random 96-bit IV (the data
 * keys' encryption of the secrets, and the KEK's of the data keys):
 * ccg_aes256gcm_seal writes IV ‖ ct ‖ tag (pt_len + 28 bytes) to out;
 * ccg_aes256gcm_open reverses it into pt (in_len - 28 bytes), CCG_ERR_MAC
 * named where when the tag does not verify (pt wiped), CCG_ERR_TRUNCATED
 * when in is shorter than 28 bytes.
 */
CCG_MUST_USE enum ccg_status ccg_aes256gcm_seal(const uint8_t key[32], const uint8_t *aad, size_t aad_len,
						const uint8_t *pt, size_t pt_len, uint8_t *out, struct ccg_error *err);
CCG_MUST_USE enum ccg_status ccg_aes256gcm_open(const uint8_t key[32], const uint8_t *aad, size_t aad_len,
						const uint8_t *in, size_t in_len, uint8_t *pt, const char *where,
						struct ccg_error *err);

#endif
