/* SPDX-License-Identifier: Apache-2.0 */
/* gpusim's private pieces shared between its files. */
#ifndef CCGPU_GPUSIM_INTERNAL_H
#define CCGPU_GPUSIM_INTERNAL_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "gpusim/gpusim.h"

#define GPUSIM_RIM_ID_MAX 160

/* the firmware a device set runs: what the report says and the RIMs describe */
struct gpusim_firmware {
	bool blackwell;                /* GB100 names, TcbInfo 2.23.133.5.4.1.1, NV_GPU_CC_DRIVER_ RIM id */
	char driver_version[32];
	char vbios_version[32];        /* "96.00.A5.00.01" */
	char project[8], project_sku[8], chip_sku[8];
	char driver_rim_id[GPUSIM_RIM_ID_MAX], vbios_rim_id[GPUSIM_RIM_ID_MAX];
	uint8_t golden[GPUSIM_BLOCKS][GPUSIM_DIGEST_LEN]; /* golden[i] is RIM index i (SPDM block i+1) */
	char bios_version[32];         /* NVSwitch BIOS, "96.10.55.00.01" */
	char switch_rim_id[GPUSIM_RIM_ID_MAX];
	uint8_t switch_golden[GPUSIM_SWITCH_BLOCKS][GPUSIM_DIGEST_LEN];
};

/* which RIM covers RIM index i: 'v' VBIOS, 'd' driver, 0 none; and its number of alternatives */
char gpusim_rim_owner(unsigned index, unsigned *alternatives);

/* gpusim_alternative: alternative k (0-based) of index i; the golden value is the last one. */
void gpusim_alternative(const struct gpusim_firmware *fw, unsigned index, unsigned k, unsigned n,
			uint8_t out[GPUSIM_DIGEST_LEN]);

/* gpusim_rim_ids: fills fw's RIM ids from its versions. */
CCG_MUST_USE enum ccg_status gpusim_rim_ids(struct gpusim_firmware *fw, struct ccg_error *err);

/* gpusim_reports_fwid: drivers before 550 (e.g. 535) put no FWID in the opaque data, as NVIDIA's do. */
bool gpusim_reports_fwid(const struct gpusim_firmware *fw);

/*
 * gpusim_firmware_init: the firmware model a device set runs (firmware.c): versions from opts
 * (defaults 570.86.15, 96.00.A5.00.01; HOPPER or BLACKWELL), RIM ids, fresh random golden
 * measurements. Bad versions or architecture: CCG_ERR_INVALID_ARG naming the option.
 */
CCG_MUST_USE enum ccg_status gpusim_firmware_init(struct gpusim_firmware *fw, const struct gpusim_pki_opts *opts,
						  struct ccg_error *err);

/* gpusim_vbios_bytes: the 8-byte opaque VBIOS_VERSION encoding of "AA.BB.CC.DD.EE". */
CCG_MUST_USE enum ccg_status gpusim_vbios_bytes(const char *version, uint8_t out[8], struct ccg_error *err);

/*
 * gpusim_rim_write: writes the signed SWID RIM ('d' driver, 'v' VBIOS or 's' NVSwitch BIOS) to
 * path, signed with xmlsec1 by key, KeyInfo carrying chain (signer first).
 */
CCG_MUST_USE enum ccg_status gpusim_rim_write(const char *path, char which, const struct gpusim_firmware *fw,
					      EVP_PKEY *key, STACK_OF(X509) *chain, struct ccg_error *err);

/* gpusim_write_pem_cert / _key: PEM files (keys 0600). */
CCG_MUST_USE enum ccg_status gpusim_write_pem_cert(const char *path, X509 *cert, struct ccg_error *err);
CCG_MUST_USE enum ccg_status gpusim_write_pem_key(const char *path, EVP_PKEY *key, struct ccg_error *err);
CCG_MUST_USE enum ccg_status gpusim_read_pem_key(const char *path, EVP_PKEY **out, struct ccg_error *err);
CCG_MUST_USE enum ccg_status gpusim_read_pem_cert(const char *path, X509 **out, struct ccg_error *err);

/* gpusim_gpu_key: GPU g's device (FMC leaf) signing key, borrowed. */
EVP_PKEY *gpusim_gpu_key(const struct gpusim *s, unsigned g);
/* gpusim_fault_on: a report fault of kind k applies to GPU g. */
bool gpusim_fault_on(const struct gpusim *s, enum gpusim_fault_kind k, unsigned g);

/* gpusim_spdm_error: appends the SPDM ERROR response (version, ErrorCode, ErrorData) to out. */
CCG_MUST_USE enum ccg_status gpusim_spdm_error(struct ccg_buf *out, uint8_t version, uint8_t code, uint8_t data);

/* the device end of one session's data channel (data_path.c) */
struct gpusim_channel;
struct gpusim_dp_end {
	struct gpusim *s;
	struct gpusim_channel *ch;     /* the open channel, or NULL */
	uint32_t opens;                /* channels opened in this session (each open's key derivation) */
};

/*
 * gpusim_dp_control: answers a CHANNEL_OPEN / CHANNEL_CLOSE request (msg, a
 * VENDOR_DEFINED request of the session, wire/dp.h) into rsp. An open takes
 * the sealed bounce-buffer memfd fd (borrowed; the channel maps it) and
 * keys the channel from export_secret (the session's export master
 * secret), both ends' random values and the open counter. A refusal is an
 * answer (status and text), not an error; errors: building the answer.
 */
CCG_MUST_USE enum ccg_status gpusim_dp_control(struct gpusim_dp_end *e, const uint8_t export_secret[48],
					       const uint8_t *msg, size_t len, int fd, struct ccg_buf *rsp);
/* gpusim_dp_stop: stops and frees the open channel, if any (its device thread joined). */
void gpusim_dp_stop(struct gpusim_dp_end *e);

#endif
