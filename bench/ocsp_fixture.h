/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A certificate chain made on the spot (P-384, NVIDIA's depth) with an OCSP
 * response for every non-root certificate, supplied to an offline OCSP
 * checker: lets a benchmark time warm-cache revocation checks without a
 * network. Benchmark support only.
 */
#ifndef CCGPU_BENCH_OCSP_FIXTURE_H
#define CCGPU_BENCH_OCSP_FIXTURE_H

#include <stdint.h>

#include "ccgpu/status.h"

struct ccg_ocsp_fixture;

/* ccg_ocsp_fixture_new: depth certificates (root included), responses valid around now. */
CCG_MUST_USE enum ccg_status ccg_ocsp_fixture_new(int depth, int64_t now, struct ccg_ocsp_fixture **out);
/* ccg_ocsp_fixture_check: one ccg_ocsp_check_chain over the whole chain at now. */
CCG_MUST_USE enum ccg_status ccg_ocsp_fixture_check(struct ccg_ocsp_fixture *fx);
void ccg_ocsp_fixture_free(struct ccg_ocsp_fixture *fx);

#endif
