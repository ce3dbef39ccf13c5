/* SPDX-License-Identifier: Apache-2.0 */
#include "gpu_verifier.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>

struct ccg_gpu_verifier *tv_gpu_verifier_offline(void)
{
	struct ccg_gpu_verifier *v = NULL;

	assert_int_equal(ccg_gpu_verifier_new(&v), CCG_OK);
	ccg_gpu_verifier_set_offline(v, true);
	ccg_gpu_verifier_skip_rims(v, true);
	assert_int_equal(ccg_gpu_verifier_set_ocsp(v, CCG_GPU_OCSP_OFF, NULL, 0, NULL), CCG_OK);
	return v;
}

struct ccg_gpu_verifier *tv_gpu_verifier_gpusim(const char *dir)
{
	struct ccg_gpu_verifier *v = NULL;
	char path[4096];

	assert_int_equal(ccg_gpu_verifier_new(&v), CCG_OK);
	snprintf(path, sizeof(path), "%s/device-root.pem", dir);
	assert_int_equal(ccg_gpu_verifier_set_device_anchor(v, path, NULL), CCG_OK);
	snprintf(path, sizeof(path), "%s/rim-root.pem", dir);
	assert_int_equal(ccg_gpu_verifier_set_rim_anchor(v, path, NULL), CCG_OK);
	snprintf(path, sizeof(path), "%s/rims", dir);
	assert_int_equal(ccg_gpu_verifier_set_rims(v, path, NULL, NULL), CCG_OK);
	ccg_gpu_verifier_set_offline(v, true);
	assert_int_equal(ccg_gpu_verifier_set_ocsp(v, CCG_GPU_OCSP_OFF, NULL, 0, NULL), CCG_OK);
	return v;
}
