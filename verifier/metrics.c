/* SPDX-License-Identifier: Apache-2.0 */
#include "verifier/metrics.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

static const double bounds[VD_APPRAISAL_BUCKETS - 1] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
							0.1,   0.25,   0.5,   1,    2.5};

void vd_metrics_init(struct vd_metrics *m, const char *const *routes, size_t n)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->mu, NULL);
	if (n > VD_METRIC_ROUTES - 1)
		n = VD_METRIC_ROUTES - 1;
	for (size_t i = 0; i < n; i++)
		m->routes[i] = routes[i];
	m->routes[n] = "other";
	m->n_routes = n + 1;
}

void vd_metrics_cleanup(struct vd_metrics *m)
{
	pthread_mutex_destroy(&m->mu);
}

void vd_metrics_request(struct vd_metrics *m, size_t route, int code)
{
	if (route >= m->n_routes)
		route = m->n_routes - 1;
	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < VD_METRIC_CODES; i++) {
		if (m->req[route][i].code == code || m->req[route][i].code == 0) {
			m->req[route][i].code = code;
			m->req[route][i].n++;
			break;
		}
	}
	pthread_mutex_unlock(&m->mu);
}

void vd_metrics_appraisal(struct vd_metrics *m, double seconds, int ear_status)
{
	size_t b = 0;

	while (b < VD_APPRAISAL_BUCKETS - 1 && seconds > bounds[b])
		b++;
	pthread_mutex_lock(&m->mu);
	m->appraisal_bucket[b]++;
	m->appraisal_count++;
	m->appraisal_sum += seconds;
	m->verdicts[ear_status == 2 ? 1 : ear_status == 32 ? 2 : ear_status == 96 ? 3 : 0]++;
	pthread_mutex_unlock(&m->mu);
}

static void line(struct ccg_buf *b, bool *ok, const char *fmt, ...) CCG_PRINTF(3, 4);

static void line(struct ccg_buf *b, bool *ok, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp) || ccg_buf_append(b, (const uint8_t *)tmp, (size_t)n) != CCG_OK)
		*ok = false;
}

char *vd_metrics_render(struct vd_metrics *m, uint64_t store_calls, double store_seconds, int64_t nonces)
{
	static const char *const verdict_names[4] = {"none", "affirming", "warning", "contraindicated"};
	struct ccg_buf b;
	bool ok = true;
	uint64_t cum = 0;
	size_t len;

	ccg_buf_init(&b, 0);
	pthread_mutex_lock(&m->mu);
	line(&b, &ok, "# HELP ccgpu_verifierd_requests_total HTTP requests answered, by route and status code.\n");
	line(&b, &ok, "# TYPE ccgpu_verifierd_requests_total counter\n");
	for (size_t r = 0; r < m->n_routes; r++)
		for (size_t i = 0; i < VD_METRIC_CODES && m->req[r][i].code != 0; i++)
			line(&b, &ok, "ccgpu_verifierd_requests_total{route=\"%s\",code=\"%d\"} %llu\n", m->routes[r],
			     m->req[r][i].code, (unsigned long long)m->req[r][i].n);
	line(&b, &ok, "# HELP ccgpu_verifierd_appraisal_seconds Time to appraise a composite and issue its token.\n");
	line(&b, &ok, "# TYPE ccgpu_verifierd_appraisal_seconds histogram\n");
	for (size_t i = 0; i < VD_APPRAISAL_BUCKETS; i++) {
		cum += m->appraisal_bucket[i];
		if (i < VD_APPRAISAL_BUCKETS - 1)
			line(&b, &ok, "ccgpu_verifierd_appraisal_seconds_bucket{le=\"%g\"} %llu\n", bounds[i],
			     (unsigned long long)cum);
		else
			line(&b, &ok, "ccgpu_verifierd_appraisal_seconds_bucket{le=\"+Inf\"} %llu\n",
			     (unsigned long long)cum);
	}
	line(&b, &ok, "ccgpu_verifierd_appraisal_seconds_sum %.6f\n", m->appraisal_sum);
	line(&b, &ok, "ccgpu_verifierd_appraisal_seconds_count %llu\n", (unsigned long long)m->appraisal_count);
	line(&b, &ok, "# HELP ccgpu_verifierd_attestations_total Tokens issued, by overall ear.status.\n");
	line(&b, &ok, "# TYPE ccgpu_verifierd_attestations_total counter\n");
	for (size_t i = 0; i < 4; i++)
		line(&b, &ok, "ccgpu_verifierd_attestations_total{status=\"%s\"} %llu\n", verdict_names[i],
		     (unsigned long long)m->verdicts[i]);
	pthread_mutex_unlock(&m->mu);
	line(&b, &ok, "# HELP ccgpu_verifierd_store_seconds Time spent in store calls.\n");
	line(&b, &ok, "# TYPE ccgpu_verifierd_store_seconds summary\n");
	line(&b, &ok, "ccgpu_verifierd_store_seconds_sum %.6f\n", store_seconds);
	line(&b, &ok, "ccgpu_verifierd_store_seconds_count %llu\n", (unsigned long long)store_calls);
	line(&b, &ok, "# HELP ccgpu_verifierd_outstanding_nonces Nonces issued, unused and unexpired.\n");
	line(&b, &ok, "# TYPE ccgpu_verifierd_outstanding_nonces gauge\n");
	if (nonces >= 0)
		line(&b, &ok, "ccgpu_verifierd_outstanding_nonces %lld\n", (long long)nonces);
	if (!ok || ccg_buf_append(&b, (const uint8_t *)"", 1) != CCG_OK) {
		ccg_buf_cleanup(&b);
		return NULL;
	}
	return (char *)ccg_buf_steal(&b, &len);
}
