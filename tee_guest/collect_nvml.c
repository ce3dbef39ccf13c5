/* SPDX-License-Identifier: Apache-2.0 */
/* NVIDIA GPU evidence through NVML, loaded at run time (no build dependency on the driver). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/attest.h"
#include "common/error.h"
#include "tee_guest/collect.h"

/* NVML's ABI (nvml.h, driver ≥ 535) */
typedef void *nvml_device;
struct nvml_cc_report {
	unsigned int is_cec_present;
	unsigned int report_size;
	unsigned int cec_report_size;
	unsigned char nonce[0x20];
	unsigned char report[0x2000];
	unsigned char cec_report[0x1000];
};
struct nvml_cc_cert {
	unsigned int cert_chain_size;
	unsigned int attestation_cert_chain_size;
	unsigned char cert_chain[0x1000];
	unsigned char attestation_cert_chain[0x1400];
};
typedef int (*nvml_init_fn)(void);
typedef int (*nvml_shutdown_fn)(void);
typedef int (*nvml_count_fn)(unsigned int *);
typedef int (*nvml_handle_fn)(unsigned int, nvml_device *);
typedef int (*nvml_report_fn)(nvml_device, struct nvml_cc_report *);
typedef int (*nvml_cert_fn)(nvml_device, struct nvml_cc_cert *);

#define MAX_GPUS 16

enum ccg_status ccg_nvml_gpu_evidence(const uint8_t nonce[32], char **out_json, struct ccg_error *err)
{
	void *lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
	nvml_init_fn init;
	nvml_shutdown_fn shutdown;
	nvml_count_fn count;
	nvml_handle_fn handle;
	nvml_report_fn report;
	nvml_cert_fn cert;
	struct nvml_cc_report *rep = NULL;
	struct nvml_cc_cert *crt = NULL;
	struct ccg_gpu_evidence *ev = NULL;
	unsigned int n = 0;
	bool inited = false;
	enum ccg_status st = CCG_OK;

	*out_json = NULL;
	if (lib == NULL)
		return ccg_error_set(err, CCG_ERR_NOT_FOUND, "nvml", "libnvidia-ml.so.1 is not installed (%s)",
				     dlerror());
	*(void **)&init = dlsym(lib, "nvmlInit_v2");
	*(void **)&shutdown = dlsym(lib, "nvmlShutdown");
	*(void **)&count = dlsym(lib, "nvmlDeviceGetCount_v2");
	*(void **)&handle = dlsym(lib, "nvmlDeviceGetHandleByIndex_v2");
	*(void **)&report = dlsym(lib, "nvmlDeviceGetConfComputeGpuAttestationReport");
	*(void **)&cert = dlsym(lib, "nvmlDeviceGetConfComputeGpuCertificate");
	if (init == NULL || shutdown == NULL || count == NULL || handle == NULL || report == NULL || cert == NULL) {
		st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "nvml",
				   "the driver's NVML lacks confidential-computing calls");
		goto out;
	}
	if (init() != 0) {
		st = ccg_error_set(err, CCG_ERR_IO, "nvml", "nvmlInit_v2 failed");
		goto out;
	}
	inited = true;
	if (count(&n) != 0 || n == 0 || n > MAX_GPUS) {
		st = ccg_error_set(err, CCG_ERR_NOT_FOUND, "nvml", "%u GPUs", n);
		goto out;
	}
	rep = calloc(1, sizeof(*rep));
	crt = calloc(1, sizeof(*crt));
	if (rep == NULL || crt == NULL || (st = ccg_gpu_evidence_new(&ev)) != CCG_OK) {
		st = CCG_ERR_NOMEM;
		goto out;
	}
	for (unsigned int i = 0; i < n; i++) {
		nvml_device d = NULL;

		memset(rep, 0, sizeof(*rep));
		memset(crt, 0, sizeof(*crt));
		memcpy(rep->nonce, nonce, 32);
		if (handle(i, &d) != 0 || report(d, rep) != 0 || cert(d, crt) != 0) {
			st = ccg_error_set(err, CCG_ERR_IO, "nvml", "GPU %u: attestation report or certificate failed",
					   i);
			goto out;
		}
		if (rep->report_size > sizeof(rep->report) ||
		    crt->attestation_cert_chain_size > sizeof(crt->attestation_cert_chain)) {
			st = ccg_error_set(err, CCG_ERR_TOO_LARGE, "nvml", "GPU %u: sizes out of range", i);
			goto out;
		}
		st = ccg_gpu_evidence_add_report(ev, "HOPPER", rep->report, rep->report_size,
						 crt->attestation_cert_chain, crt->attestation_cert_chain_size, err);
		if (st != CCG_OK)
			goto out;
	}
	st = ccg_gpu_evidence_to_json(ev, nonce, out_json);
out:
	ccg_gpu_evidence_free(ev);
	free(rep);
	free(crt);
	if (inited)
		shutdown();
	if (lib != NULL)
		dlclose(lib);
	return st;
}
