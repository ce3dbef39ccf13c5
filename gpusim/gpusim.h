/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gpusim: a software GPU that speaks like an NVIDIA H100 in confidential
 * computing mode. It produces its own device identity (NVIDIA-shaped
 * certificate chain, ECDSA P-384), answers SPDM 1.1 GET_MEASUREMENTS in
 * NVIDIA's byte format, emits the matching signed RIMs, and answers OCSP for
 * its chains. It uses only common/ and the wire formats: nothing here calls
 * ccgpu's verification code.
 *
 * The in-process form (this header) is what the ccgpu-gpusim binary and the
 * unit tests use. Not thread-safe: one struct gpusim per thread.
 */
#ifndef CCGPU_GPUSIM_H
#define CCGPU_GPUSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"
#include "common/buf.h"

#define GPUSIM_MAX_GPUS 16
#define GPUSIM_BLOCKS 64
#define GPUSIM_DIGEST_LEN 48
#define GPUSIM_MAX_SWITCHES 8
#define GPUSIM_SWITCH_BLOCKS 31 /* measurement blocks of an LS10 NVSwitch report */
#define GPUSIM_PDI_LEN 8

enum gpusim_fault_kind {
	GPUSIM_FAULT_NONE = 0,
	/* report faults (ccgpu-gpusim serve, gpusim_set_fault) */
	GPUSIM_FAULT_BAD_SIGNATURE, /* the signature covers other bytes (reports and KEY_EXCHANGE_RSP) */
	GPUSIM_FAULT_WRONG_NONCE,   /* the request echoed in the report carries another nonce */
	GPUSIM_FAULT_DRIFT,         /* the measurement at RIM index arg differs */
	GPUSIM_FAULT_CC_OFF,        /* CC mode off: its measured configuration differs (RIM index 33) */
	GPUSIM_FAULT_DEVTOOLS,      /* CC devtools (debug) mode: measured config differs (RIM index 34) */
	GPUSIM_FAULT_UNKNOWN_RIM,   /* the report names a driver version no RIM exists for */
	GPUSIM_FAULT_WRONG_FWID,    /* the signed report's FWID differs from the leaf certificate's */
	/* PKI faults (ccgpu-gpusim pki) */
	GPUSIM_FAULT_EXPIRED_LEAF,         /* the per-boot FMC leaf is past its notAfter */
	GPUSIM_FAULT_REVOKED_INTERMEDIATE, /* OCSP says the provisioner intermediate is revoked */
	GPUSIM_FAULT_HELD_INTERMEDIATE,    /* OCSP says it is on hold (certificateHold) */
	/* PPCIe topology faults (serve, evidence; gpu11) */
	GPUSIM_FAULT_PPCIE_ROGUE_SWITCH, /* GPU @N reports a switch PDI no switch has on one link */
	GPUSIM_FAULT_PPCIE_MISSING_GPU,  /* switch @N lists one GPU twice and another not at all */
	GPUSIM_FAULT_PPCIE_LINK_DOWN,    /* GPU @N has two more links disabled (zero PDIs): still consistent */
	/* channel fault (serve; branch prompt): the SPDM responder of GPU @N answers with GPU N+1's
	 * certificate chain and key, as a host routing the session to another genuine GPU than the
	 * attested one would; its reports are unchanged. Needs at least two GPUs */
	GPUSIM_FAULT_SESSION_OTHER_GPU,
};

/* RIM index of the measurement that holds the CC mode / devtools configuration (gpusim's model) */
#define GPUSIM_CC_MODE_INDEX 33
#define GPUSIM_DEVTOOLS_INDEX 34

struct gpusim_fault {
	enum gpusim_fault_kind kind;
	unsigned arg; /* DRIFT: the RIM index (0..63) */
	int gpu;      /* the GPU it applies to; -1: all */
};

#define GPUSIM_MAX_FAULTS 16

struct gpusim_pki_opts {
	unsigned gpus;              /* 1..GPUSIM_MAX_GPUS */
	const char *ocsp_url;       /* put in the certificates' AIA; NULL: http://127.0.0.1:8889 */
	const char *driver_version; /* NULL: "570.86.15" */
	const char *vbios_version;  /* "96.00.A5.00.01" shape; NULL: that */
	const char *arch;           /* "HOPPER" (NULL) or "BLACKWELL": the leaf's names and TcbInfo shape */
	unsigned switches;          /* NVSwitches (LS10) of a protected-PCIe board, 0..GPUSIM_MAX_SWITCHES */
	size_t num_faults;
	struct gpusim_fault faults[GPUSIM_MAX_FAULTS];
};

/*
 * gpusim_fault_parse: "bad-signature", "wrong-nonce", "drift=N", "cc-off",
 * "devtools", "unknown-rim", "wrong-fwid", "expired-leaf", "revoked-intermediate",
 * "held-intermediate", "session-other-gpu", each optionally followed by "@GPU"
 * (a GPU index).
 */
CCG_MUST_USE enum ccg_status gpusim_fault_parse(const char *spec, struct gpusim_fault *out, struct ccg_error *err);
/* gpusim_fault_is_pki: the fault is applied by gpusim_pki_generate, not by the running device. */
bool gpusim_fault_is_pki(enum gpusim_fault_kind k);

/*
 * gpusim_pki_generate: creates dir (0700) and writes, with fresh keys: the
 * device identity (device-root, identity and provisioner CAs; per GPU a BROM
 * certificate and a per-boot FMC leaf with the FWID extension), the RIM
 * signing chain (rim-root, rim-ca, rim-l3, rim-signer), the golden
 * measurements and per-GPU identities (gpusim.json), the signed driver and
 * VBIOS RIMs (rims/<id>.xml) and the OCSP index (ocsp-index.txt). Layout:
 * docs/man/ccgpu-gpusim.1.
 */
CCG_MUST_USE enum ccg_status gpusim_pki_generate(const char *dir, const struct gpusim_pki_opts *opts,
						 struct ccg_error *err);

struct gpusim;

/* gpusim_load: a device set from a directory written by gpusim_pki_generate. */
CCG_MUST_USE enum ccg_status gpusim_load(const char *dir, struct gpusim **out, struct ccg_error *err);
/* gpusim_free: NULL is allowed. */
void gpusim_free(struct gpusim *s);
/* gpusim_count: number of GPUs. */
unsigned gpusim_count(const struct gpusim *s);
/* gpusim_add_fault: adds a report fault (a PKI fault, or session-other-gpu on one GPU: CCG_ERR_INVALID_ARG). */
CCG_MUST_USE enum ccg_status gpusim_add_fault(struct gpusim *s, const struct gpusim_fault *f, struct ccg_error *err);
/* gpusim_clear_faults: the device behaves again. */
void gpusim_clear_faults(struct gpusim *s);

/*
 * Where the device end of the data channel opens host-to-device writes.
 * HOST (the default): gpusim decrypts every chunk into its device memory on
 * the host's CPUs. OFFLOAD models a GPU whose copy engines decrypt: gpusim
 * authenticates each write's descriptor (GMAC, counter, epoch, usage
 * limits) but leaves the payload sealed and device memory unchanged, and
 * its device thread checks the doorbell every 100 us as hardware would
 * (sleeping in between, never woken by the guest), so the host's CPUs do
 * only the guest's work. For measuring host-side scaling (bench/channel); data
 * written under OFFLOAD cannot be read back. Messages and reads are
 * handled as under HOST.
 */
enum gpusim_copy_engine { GPUSIM_CE_HOST = 0, GPUSIM_CE_OFFLOAD = 1 };
/* gpusim_set_copy_engine: for channels opened from now on. */
void gpusim_set_copy_engine(struct gpusim *s, enum gpusim_copy_engine ce);
enum gpusim_copy_engine gpusim_copy_engine(const struct gpusim *s);
/* gpusim_copy_engine_parse: "host" or "offload". */
CCG_MUST_USE enum ccg_status gpusim_copy_engine_parse(const char *name, enum gpusim_copy_engine *out,
						      struct ccg_error *err);
/* gpusim_chain_pem: GPU gpu's PEM device chain, leaf first (borrowed). */
const char *gpusim_chain_pem(const struct gpusim *s, unsigned gpu);
/* gpusim_driver_rim_id / gpusim_vbios_rim_id: the ids of the RIMs written for the device set. */
const char *gpusim_driver_rim_id(const struct gpusim *s);
const char *gpusim_vbios_rim_id(const struct gpusim *s);
/* gpusim_arch: "HOPPER" or "BLACKWELL", the architecture the device set reports as. */
const char *gpusim_arch(const struct gpusim *s);
/* gpusim_switch_count: number of NVSwitches (0: not a protected-PCIe board). */
unsigned gpusim_switch_count(const struct gpusim *s);
/* gpusim_switch_chain_pem: switch j's PEM device chain, leaf first (borrowed). */
const char *gpusim_switch_chain_pem(const struct gpusim *s, unsigned j);
/* gpusim_switch_rim_id: NV_SWITCH_BIOS_5612_0002_890_<bios>, the switches' BIOS RIM. */
const char *gpusim_switch_rim_id(const struct gpusim *s);
/*
 * gpusim_report: the NVML/NSCQ-style report (request || signed response) of
 * device d over nonce: d < gpusim_count() a GPU, then the switches.
 */
CCG_MUST_USE enum ccg_status gpusim_report(struct gpusim *s, unsigned d, const uint8_t nonce[32], struct ccg_buf *out,
					   struct ccg_error *err);
/*
 * gpusim_evidence_json: NVIDIA's serialized evidence of every GPU (arch
 * HOPPER/BLACKWELL) and switch (LS10) over nonce, one document; malloc'd.
 */
CCG_MUST_USE enum ccg_status gpusim_evidence_json(struct gpusim *s, const uint8_t nonce[32], char **out,
						  struct ccg_error *err);

/*
 * gpusim_spdm: answers one SPDM request for GPU gpu: a GET_MEASUREMENTS
 * (SPDM 1.1, all blocks, signature requested) gets a signed MEASUREMENTS
 * response appended to out; anything else an SPDM ERROR response
 * (UnsupportedRequest / InvalidRequest). Bounded cursor parsing of req.
 */
CCG_MUST_USE enum ccg_status gpusim_spdm(struct gpusim *s, unsigned gpu, const uint8_t *req, size_t req_len,
					 struct ccg_buf *out, struct ccg_error *err);

/*
 * gpusim_handle_frame: one transport frame in (docs/gpusim-transport.md),
 * the answer frame appended to out (an ERROR frame for anything refused).
 * Returns an error only when no answer could be built.
 */
CCG_MUST_USE enum ccg_status gpusim_handle_frame(struct gpusim *s, const uint8_t *in, size_t in_len,
						 struct ccg_buf *out, struct ccg_error *err);

/*
 * A connection's state on the device end: the SPDM 1.2 responder (VCA,
 * DIGESTS, CERTIFICATE, KEY_EXCHANGE, FINISH and the secured HEARTBEAT,
 * KEY_UPDATE, END_SESSION) and the data channel (docs/channel.md). One per
 * connection; not thread-safe (the channel runs its own device thread).
 */
struct gpusim_conn;

CCG_MUST_USE enum ccg_status gpusim_conn_new(struct gpusim *s, struct gpusim_conn **out);
/* gpusim_conn_free: stops the channel thread, wipes the session; NULL is allowed. */
void gpusim_conn_free(struct gpusim_conn *c);
/*
 * gpusim_conn_handle: one frame in (passed_fd: a descriptor that came with
 * it, or -1; always consumed), the answer frame appended to out. Frames the
 * connection does not own go to gpusim_handle_frame.
 */
CCG_MUST_USE enum ccg_status gpusim_conn_handle(struct gpusim_conn *c, const uint8_t *in, size_t in_len, int passed_fd,
						struct ccg_buf *out, struct ccg_error *err);

/* gpusim_meas_request: builds the 37-byte SPDM 1.1 GET_MEASUREMENTS request NVIDIA's driver sends. */
void gpusim_meas_request(const uint8_t nonce[32], uint8_t out[37]);

#endif
