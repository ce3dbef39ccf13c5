/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the channel's untrusted inputs. The first byte picks one:
 * 0 a DSP0277 secured-message record (spdm_record_open under a fixed
 * session key), 1 the CHANNEL_OPEN parameters (dp_params_decode), 2 a
 * bounce-buffer slot, descriptor then ciphertext (dp_rx_open under fixed
 * channel keys). Aborts when a successful parse breaks its invariants.
 * Built with -DCCGPU_MAKE_SEEDS it is instead a program that writes
 * synthetic seeds (valid and altered records and slots) into a directory.
 * Verdict: the status of the chosen parse.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wire/dp.h"
#include "wire/spdm_crypto.h"

#define SID 0x80010001u
#define SLOT 256

static const uint8_t fixed_secret[48] = {
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
};

static void ring_params(struct dp_params *p)
{
	dp_params_defaults(p);
	p->channel_id = 7;
	p->slots = 2;
	p->slot_size = SLOT;
	p->window = 2;
	p->dev_mem = 4096;
}

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	static struct spdm_dir_keys rec;
	static bool ready;
	struct ccg_buf out;
	enum ccg_status st;

	if (!ready) {
		if (spdm_dir_init(&rec) != CCG_OK || spdm_dir_set(&rec, fixed_secret) != CCG_OK)
			abort();
		ready = true;
	}
	if (size < 1)
		return CCG_ERR_TRUNCATED;
	switch (data[0] % 3) {
	case 0:
		rec.seq = 0;
		ccg_buf_init(&out, 0);
		st = spdm_record_open(&rec, SID, data + 1, size - 1, &out, NULL);
		if (st == CCG_OK &&
		    (out.len > SPDM_MAX_MSG || out.len + SPDM_REC_HDR_LEN + 2 + 16 != size - 1))
			abort();
		ccg_buf_cleanup(&out);
		break;
	case 1: {
		struct dp_params p;

		st = dp_params_decode(data + 1, size - 1, &p, NULL);
		if (st == CCG_OK &&
		    (dp_params_check(&p, NULL) != CCG_OK || size - 1 != DP_PARAMS_LEN))
			abort();
		break;
	}
	default: {
		struct dp_params p;
		struct dp_rx rx;
		uint8_t *shm, dst[SLOT], op = 0;
		uint64_t arg = 0;
		uint32_t len = 0;
		size_t n = size - 1 < DP_DESC_LEN + SLOT ? size - 1 : DP_DESC_LEN + SLOT;

		ring_params(&p);
		shm = calloc(1, dp_shm_size(&p));
		if (shm == NULL || dp_rx_init(&rx, shm, &p, DP_H2D, fixed_secret) != CCG_OK)
			abort();
		memcpy(dp_ring_desc(&rx.r, 0), data + 1, n < DP_DESC_LEN ? n : DP_DESC_LEN);
		if (n > DP_DESC_LEN)
			memcpy(dp_ring_data(&rx.r, 0), data + 1 + DP_DESC_LEN, n - DP_DESC_LEN);
		*rx.r.head = 1;
		st = dp_rx_open(&rx, dst, sizeof(dst), &op, &arg, &len, NULL);
		if (st == CCG_OK &&
		    (len > SLOT || rx.expected != 1 || op < DP_OP_MSG || op > DP_OP_ERROR))
			abort();
		dp_rx_cleanup(&rx);
		free(shm);
		break;
	}
	}
	return st;
}

#ifdef CCGPU_MAKE_SEEDS
static void put(const char *dir, const char *name, uint8_t kind, const uint8_t *p, size_t n)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fputc(kind, f) == EOF || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		abort();
}

int main(int argc, char **argv)
{
	struct spdm_dir_keys k;
	struct ccg_buf b;
	struct dp_params p;
	struct dp_tx tx;
	struct dp_job job;
	uint8_t params[DP_PARAMS_LEN], *shm, slot[DP_DESC_LEN + SLOT];
	static const uint8_t hb[4] = {0x12, 0xE9, 0, 0}, msg[] = "synthetic bounce-buffer message";
	uint32_t n = 0;

	if (argc != 2)
		return 2;
	/* records */
	if (spdm_dir_init(&k) != CCG_OK || spdm_dir_set(&k, fixed_secret) != CCG_OK)
		return 1;
	ccg_buf_init(&b, 0);
	if (spdm_record_seal(&k, SID, hb, sizeof(hb), &b) != CCG_OK)
		return 1;
	put(argv[1], "record-heartbeat", 0, b.data, b.len);
	b.data[b.len - 1] ^= 1;
	put(argv[1], "record-bad-tag", 0, b.data, b.len);
	put(argv[1], "record-truncated", 0, b.data, b.len - 5);
	b.data[4] = 1; /* sequence number 1 */
	put(argv[1], "record-seq1", 0, b.data, b.len);
	ccg_buf_cleanup(&b);
	/* channel parameters */
	dp_params_defaults(&p);
	if (dp_params_encode(&p, params) != CCG_OK)
		return 1;
	put(argv[1], "params-default", 1, params, sizeof(params));
	params[4] = 0; /* zero slots */
	put(argv[1], "params-bad-slots", 1, params, sizeof(params));
	put(argv[1], "params-short", 1, params, 20);
	/* slots */
	ring_params(&p);
	shm = calloc(1, dp_shm_size(&p));
	if (shm == NULL || dp_tx_init(&tx, shm, &p, DP_H2D, fixed_secret) != CCG_OK ||
	    dp_tx_reserve(&tx, 1, &n, 0, NULL) != CCG_OK ||
	    dp_tx_assign(&tx, 0, DP_OP_MSG, 0, msg, sizeof(msg), &job) != CCG_OK ||
	    dp_seal_slot(&tx, &tx.aead, &job) != CCG_OK)
		return 1;
	memcpy(slot, dp_ring_desc(&tx.r, 0), DP_DESC_LEN);
	memcpy(slot + DP_DESC_LEN, dp_ring_data(&tx.r, 0), SLOT);
	put(argv[1], "slot-message", 2, slot, sizeof(slot));
	slot[DP_DESC_LEN] ^= 0x80;
	put(argv[1], "slot-flipped-ciphertext", 2, slot, sizeof(slot));
	slot[DP_DESC_LEN] ^= 0x80;
	slot[4] = DP_D2H;
	put(argv[1], "slot-wrong-direction", 2, slot, sizeof(slot));
	slot[4] = DP_H2D;
	slot[16] = 5; /* counter 5 */
	put(argv[1], "slot-counter-ahead", 2, slot, sizeof(slot));
	slot[16] = 0;
	slot[0] = 0xFF;
	slot[1] = 0xFF; /* length over the slot */
	put(argv[1], "slot-too-long", 2, slot, sizeof(slot));
	dp_tx_cleanup(&tx);
	spdm_dir_cleanup(&k);
	free(shm);
	return 0;
}
#endif
