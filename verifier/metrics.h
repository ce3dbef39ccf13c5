/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus text metrics of ccgpu-verifierd (exposition format 0.0.4). */
#ifndef CCGPU_VERIFIER_METRICS_H
#define CCGPU_VERIFIER_METRICS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define VD_METRIC_ROUTES 16
#define VD_METRIC_CODES 16
#define VD_APPRAISAL_BUCKETS 12

struct vd_metrics {
	pthread_mutex_t mu;
	const char *routes[VD_METRIC_ROUTES]; /* route labels, "other" last */
	size_t n_routes;
	struct {
		int code;
		uint64_t n;
	} req[VD_METRIC_ROUTES][VD_METRIC_CODES];
	uint64_t appraisal_bucket[VD_APPRAISAL_BUCKETS]; /* cumulative at render time */
	uint64_t appraisal_count;
	double appraisal_sum;
	uint64_t verdicts[4]; /* none, affirming, warning, contraindicated */
};

/* vd_metrics_init: the route labels (borrowed, static); "other" is added for anything else. */
void vd_metrics_init(struct vd_metrics *m, const char *const *routes, size_t n);
void vd_metrics_cleanup(struct vd_metrics *m);
/* vd_metrics_request: one answered request (route index n_routes-1 = "other"). */
void vd_metrics_request(struct vd_metrics *m, size_t route, int code);
/* vd_metrics_appraisal: one appraisal's duration and verdict (ear status value). */
void vd_metrics_appraisal(struct vd_metrics *m, double seconds, int ear_status);
/*
 * vd_metrics_render: the text exposition, with the store's call count and
 * seconds and the outstanding nonces (or -1 when the store did not answer)
 * given by the caller; malloc'd.
 */
char *vd_metrics_render(struct vd_metrics *m, uint64_t store_calls, double store_seconds, int64_t nonces);

#endif
