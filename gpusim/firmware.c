/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gpusim's firmware model: the driver and VBIOS versions a device set runs, the
 * golden measurements, which RIM covers which measurement index and with how
 * many accepted alternatives, the RIM ids NVIDIA would give them. pki.c
 * (identities, RIM signing), rimgen.c (the RIMs) and device.c (the reports)
 * read it; it calls none of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/error.h"
#include "gpusim/internal.h"

enum ccg_status gpusim_firmware_init(struct gpusim_firmware *fw, const struct gpusim_pki_opts *opts,
				     struct ccg_error *err)
{
	enum ccg_status st;

	memset(fw, 0, sizeof(*fw));
	snprintf(fw->bios_version, sizeof(fw->bios_version), "96.10.55.00.01");
	snprintf(fw->switch_rim_id, sizeof(fw->switch_rim_id), "NV_SWITCH_BIOS_5612_0002_890_9610550001");
	snprintf(fw->driver_version, sizeof(fw->driver_version), "%s",
		 opts->driver_version != NULL ? opts->driver_version : "570.86.15");
	snprintf(fw->vbios_version, sizeof(fw->vbios_version), "%s",
		 opts->vbios_version != NULL ? opts->vbios_version : "96.00.A5.00.01");
	if (opts->arch != NULL && strcmp(opts->arch, "BLACKWELL") != 0 && strcmp(opts->arch, "HOPPER") != 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "gpusim.pki.arch", "\"%s\": HOPPER or BLACKWELL",
				     opts->arch);
	fw->blackwell = opts->arch != NULL && strcmp(opts->arch, "BLACKWELL") == 0;
	snprintf(fw->project, sizeof(fw->project), "1010");
	snprintf(fw->project_sku, sizeof(fw->project_sku), "0200");
	snprintf(fw->chip_sku, sizeof(fw->chip_sku), "882");
	{
		uint8_t vb[8];

		if ((st = gpusim_vbios_bytes(fw->vbios_version, vb, err)) != CCG_OK ||
		    (st = gpusim_rim_ids(fw, err)) != CCG_OK)
			return st;
	}
	if ((st = ccg_random(&fw->golden[0][0], sizeof(fw->golden))) != CCG_OK ||
	    (st = ccg_random(&fw->switch_golden[0][0], sizeof(fw->switch_golden))) != CCG_OK)
		return ccg_error_set(err, st, "gpusim.pki", "random measurements");
	return CCG_OK;
}

char gpusim_rim_owner(unsigned index, unsigned *alternatives)
{
	/* as in NVIDIA's H100 RIMs: VBIOS 0..6, 8..12; driver 7, 21..40 */
	*alternatives = 1;
	if (index <= 6 || (index >= 8 && index <= 12)) {
		if (index == 12)
			*alternatives = 4;
		return 'v';
	}
	if (index == 7 || (index >= 21 && index <= 40)) {
		if (index == 23 || index == 24 || (index >= 32 && index <= 34))
			*alternatives = 2;
		else if (index == 35)
			*alternatives = 4;
		else if (index == 36)
			*alternatives = 3;
		return 'd';
	}
	return 0;
}

void gpusim_alternative(const struct gpusim_firmware *fw, unsigned index, unsigned k, unsigned n,
			uint8_t out[GPUSIM_DIGEST_LEN])
{
	if (k + 1 == n) {
		memcpy(out, fw->golden[index], GPUSIM_DIGEST_LEN);
		return;
	}
	/* other accepted configurations: a digest derived from the golden one */
	for (unsigned i = 0; i < GPUSIM_DIGEST_LEN; i++)
		out[i] = (uint8_t)(fw->golden[index][i] ^ (0x5A + k));
}

enum ccg_status gpusim_vbios_bytes(const char *version, uint8_t out[8], struct ccg_error *err)
{
	unsigned p[5];
	int used = 0;

	if (sscanf(version, "%2x.%2x.%2x.%2x.%2x%n", &p[0], &p[1], &p[2], &p[3], &p[4], &used) != 5 ||
	    version[used] != '\0' || strlen(version) != 14)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "gpusim.vbios_version",
				     "\"%s\" is not AA.BB.CC.DD.EE (hex)", version);
	memset(out, 0, 8);
	out[0] = (uint8_t)p[3];
	out[1] = (uint8_t)p[2];
	out[2] = (uint8_t)p[1];
	out[3] = (uint8_t)p[0];
	out[4] = (uint8_t)p[4];
	return CCG_OK;
}

enum ccg_status gpusim_rim_ids(struct gpusim_firmware *fw, struct ccg_error *err)
{
	char nodots[32];
	size_t n = 0;

	for (const char *p = fw->vbios_version; *p != '\0' && n + 1 < sizeof(nodots); p++)
		if (*p != '.')
			nodots[n++] = *p;
	nodots[n] = '\0';
	/* NVIDIA's ids: Blackwell drivers NV_GPU_CC_DRIVER_<chip>_..., both VBIOS NV_GPU_VBIOS_... */
	if (snprintf(fw->driver_rim_id, sizeof(fw->driver_rim_id),
		     fw->blackwell ? "NV_GPU_CC_DRIVER_GB100_%s" : "NV_GPU_DRIVER_GH100_%s",
		     fw->driver_version) >= (int)sizeof(fw->driver_rim_id) ||
	    snprintf(fw->vbios_rim_id, sizeof(fw->vbios_rim_id), "NV_GPU_VBIOS_%s_%s_%s_%s", fw->project,
		     fw->project_sku, fw->chip_sku, nodots) >= (int)sizeof(fw->vbios_rim_id))
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "gpusim.rim_id", "too long");
	return CCG_OK;
}

bool gpusim_reports_fwid(const struct gpusim_firmware *fw)
{
	return strtoul(fw->driver_version, NULL, 10) >= 550;
}
