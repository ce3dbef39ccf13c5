/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gpusim's OCSP responder (RFC 6960 on OpenSSL's OCSP API): answers for the
 * certificates listed in a state directory's ocsp-index.txt, each response
 * signed by the certificate's issuer, echoing the request nonce.
 */
#ifndef CCGPU_GPUSIM_OCSP_RESPONDER_H
#define CCGPU_GPUSIM_OCSP_RESPONDER_H

#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

#define GPUSIM_OCSP_MAX_REQUEST (64 * 1024)

struct gpusim_ocsp;

/* gpusim_ocsp_load: reads DIR/ocsp-index.txt ("cert issuer issuer-key good|revoked|hold" per line). */
CCG_MUST_USE enum ccg_status gpusim_ocsp_load(const char *dir, struct gpusim_ocsp **out, struct ccg_error *err);
void gpusim_ocsp_free(struct gpusim_ocsp *o);
/*
 * gpusim_ocsp_answer: the DER OCSPResponse for a DER OCSPRequest (malloc'd).
 * A malformed request gets a "malformedRequest" response, a certificate
 * not in the index "unauthorized"; an error only when nothing could be built.
 */
CCG_MUST_USE enum ccg_status gpusim_ocsp_answer(struct gpusim_ocsp *o, const uint8_t *req, size_t len, uint8_t **out,
						size_t *out_len, struct ccg_error *err);

#endif
