/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ESAPI connection every vTPM user shares (tee_guest/collect_tpm.c):
 * quoting for evidence, and the verifier's TPM-sealed KEK (verifier/kek_tpm.c).
 * Kept apart from collect.h so that only the callers that speak ESAPI see
 * tpm2-tss's headers.
 */
#ifndef CCGPU_TEE_GUEST_VTPM_ESYS_H
#define CCGPU_TEE_GUEST_VTPM_ESYS_H

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include "ccgpu/status.h"

/* the TCTI used when the configuration names none */
#define CCG_VTPM_DEFAULT_TCTI "device:/dev/tpmrm0"

/*
 * ccg_vtpm_esys_open: loads the TCTI named by tcti (NULL: the kernel's
 * resource manager) and initialises ESAPI on it. Errors: CCG_ERR_NOT_FOUND
 * "vtpm.tcti" (no such TCTI or it cannot connect), CCG_ERR_IO "vtpm.esys".
 * Close with ccg_vtpm_esys_close.
 */
CCG_MUST_USE enum ccg_status ccg_vtpm_esys_open(const char *tcti, TSS2_TCTI_CONTEXT **tctx, ESYS_CONTEXT **ectx,
						struct ccg_error *err);
/* ccg_vtpm_esys_close: finalises both; safe on NULLs. */
void ccg_vtpm_esys_close(TSS2_TCTI_CONTEXT **tctx, ESYS_CONTEXT **ectx);
/* ccg_vtpm_tss_fail: CCG_ERR_IO at where, with tpm2-tss's decoding of rc as the detail. */
enum ccg_status ccg_vtpm_tss_fail(struct ccg_error *err, const char *where, TSS2_RC rc);

#endif
