/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gpusim's device end of the bounce-buffer data path (wire/dp.h): CHANNEL_OPEN
 * and CHANNEL_CLOSE answered inside the SPDM session (the responder,
 * responder.c, hands them here), and a device thread that decrypts
 * host-to-device slots into "device memory", echoes messages, streams
 * reads back device-to-host and runs compute commands over device memory
 * (gpusim/compute.h, branch inference).
 */
#include <fcntl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/cursor.h"
#include "common/error.h"
#include "common/writer.h"
#include "gpusim/compute.h"
#include "gpusim/internal.h"
#include "wire/dp.h"
#include "wire/frame.h"
#include "wire/spdm_crypto.h"

#define DEV_TIMEOUT_MS 10000
#define DEV_POLL_NS 100000L

struct gpusim_channel {
	struct dp_params p;
	uint8_t *shm;
	size_t shm_len;
	struct dp_tx tx;               /* device to host */
	struct dp_rx rx;               /* host to device */
	uint8_t *mem, *inbox, *outbox; /* outbox: a compute result (slot_size bytes) */
	pthread_t th;
	volatile int stop;
	bool started;
	bool offload; /* GPUSIM_CE_OFFLOAD: writes authenticated, not decrypted on the host */
};

/* the device's refusal to the host: a DP_OP_ERROR slot carrying st (all 32 bits, as the host reads it) */
static enum ccg_status report(struct gpusim_channel *d, enum ccg_status st)
{
	uint8_t code[4];
	struct ccg_writer w;

	ccg_writer_init_fixed(&w, code, sizeof(code));
	if (!ccg_wire_put_status(&w, st))
		return w.failed;
	return dp_tx_send(&d->tx, DP_OP_ERROR, 0, code, sizeof(code), DEV_TIMEOUT_MS, &d->stop);
}

static enum ccg_status dev_read(struct gpusim_channel *d, uint64_t off, uint64_t len)
{
	uint64_t done = 0;
	enum ccg_status st;

	if (off > d->p.dev_mem || len > d->p.dev_mem - off || len == 0)
		return CCG_ERR_MALFORMED;
	while (done < len) {
		uint32_t n = 0, i;
		uint64_t chunks = (len - done + d->p.slot_size - 1) / d->p.slot_size;

		uint32_t half = (d->p.slots + 1) / 2;

		if ((st = dp_tx_reserve(&d->tx, chunks > half ? half : (uint32_t)chunks, &n, DEV_TIMEOUT_MS,
					&d->stop)) != CCG_OK ||
		    (st = dp_tx_begin_batch(&d->tx)) != CCG_OK)
			return st;
		for (i = 0; i < n && done < len; i++) {
			struct dp_job job;
			uint32_t clen = (uint32_t)(len - done < d->p.slot_size ? len - done : d->p.slot_size);

			if ((st = dp_tx_assign(&d->tx, i, DP_OP_DATA, off + done, d->mem + off + done, clen, &job)) !=
				    CCG_OK ||
			    (st = dp_seal_slot(&d->tx, &d->tx.aead, &job)) != CCG_OK)
				return st;
			done += clen;
		}
		dp_tx_publish(&d->tx, i);
	}
	return CCG_OK;
}

static enum ccg_status dev_one(struct gpusim_channel *d)
{
	uint8_t op = 0, req[16];
	uint64_t arg = 0, roff = 0, rlen = 0;
	uint32_t len = 0;
	struct ccg_cursor c;
	enum ccg_status st;

	dp_rx_peek(&d->rx, &op, &arg, &len);
	switch (op) {
	case DP_OP_WRITE:
		/* bounds from the descriptor, checked before anything is written (authenticated by the open) */
		if (arg > d->p.dev_mem || len > d->p.dev_mem - arg)
			return CCG_ERR_MALFORMED;
		return dp_rx_open(&d->rx, d->offload ? NULL : d->mem + arg, len, &op, &arg, &len, NULL);
	case DP_OP_MSG:
		if ((st = dp_rx_open(&d->rx, d->inbox, d->p.slot_size, &op, &arg, &len, NULL)) != CCG_OK)
			return st;
		return dp_tx_send(&d->tx, DP_OP_MSG, 0, d->inbox, len, DEV_TIMEOUT_MS, &d->stop);
	case DP_OP_READ:
		if ((st = dp_rx_open(&d->rx, req, sizeof(req), &op, &arg, &len, NULL)) != CCG_OK)
			return st;
		ccg_cursor_init(&c, req, len);
		if (!ccg_cursor_get_u64le(&c, &roff) || !ccg_cursor_get_u64le(&c, &rlen) || c.len != 0)
			return CCG_ERR_MALFORMED;
		return dev_read(d, roff, rlen);
	case DP_OP_RUN: {
		size_t olen = 0;

		if ((st = dp_rx_open(&d->rx, d->inbox, d->p.slot_size, &op, &arg, &len, NULL)) != CCG_OK)
			return st;
		/* the copy-engine model keeps no plaintext in device memory: nothing to compute over */
		if (d->offload)
			return CCG_ERR_UNSUPPORTED;
		if ((st = gpusim_compute_run(d->mem, d->p.dev_mem, d->inbox, len, d->outbox, d->p.slot_size, &olen,
					     NULL)) != CCG_OK)
			return st;
		st = dp_tx_send(&d->tx, DP_OP_RESULT, 0, d->outbox, (uint32_t)olen, DEV_TIMEOUT_MS, &d->stop);
		OPENSSL_cleanse(d->outbox, olen);
		return st;
	}
	default:
		/* authenticate first: a forged op is an altered message */
		if ((st = dp_rx_open(&d->rx, d->inbox, d->p.slot_size, &op, &arg, &len, NULL)) != CCG_OK)
			return st;
		return CCG_ERR_PROTOCOL;
	}
}

/*
 * the next slots: under the copy-engine model the device polls its doorbell
 * every DEV_POLL_NS, as hardware does, taking no host CPU in between and
 * costing the guest no wake-up call; otherwise it waits as a ring end
 */
static enum ccg_status dev_wait(struct gpusim_channel *d, uint32_t *n)
{
	static const struct timespec poll_gap = {.tv_sec = 0, .tv_nsec = DEV_POLL_NS};
	enum ccg_status st;

	if (!d->offload)
		return dp_rx_wait(&d->rx, n, 200, &d->stop);
	for (long waited = 0; waited < 200000000L; waited += DEV_POLL_NS) {
		if ((st = dp_rx_poll(&d->rx, n)) != CCG_OK || *n != 0)
			return st;
		if (d->stop)
			return CCG_ERR_CHANNEL_CLOSED;
		nanosleep(&poll_gap, NULL);
	}
	return CCG_ERR_TIMEOUT;
}

static void *dev_main(void *arg)
{
	struct gpusim_channel *d = arg;

	while (!d->stop) {
		uint32_t n = 0;
		enum ccg_status st = dev_wait(d, &n);

		if (st == CCG_ERR_TIMEOUT)
			continue;
		if (st == CCG_OK) {
			/* each slot goes back as soon as it is open, so the host never waits on a whole batch */
			for (uint32_t i = 0; i < n && st == CCG_OK; i++) {
				st = dev_one(d);
				dp_rx_release(&d->rx);
			}
		}
		if (st != CCG_OK) {
			/* fail closed: tell the host why (sealed) and stop consuming */
			if (st != CCG_ERR_CHANNEL_CLOSED && report(d, st) != CCG_OK)
				break;
			break;
		}
	}
	return NULL;
}

void gpusim_dp_stop(struct gpusim_dp_end *c)
{
	struct gpusim_channel *d = c->ch;

	if (d == NULL)
		return;
	d->stop = 1;
	if (d->started)
		pthread_join(d->th, NULL);
	if (d->tx.k.s != NULL)
		dp_tx_cleanup(&d->tx);
	if (d->rx.k.s != NULL)
		dp_rx_cleanup(&d->rx);
	if (d->shm != NULL)
		munmap(d->shm, d->shm_len);
	if (d->mem != NULL)
		munmap(d->mem, d->p.dev_mem);
	free(d->inbox);
	free(d->outbox);
	free(d);
	c->ch = NULL;
}

/* the seals a shared bounce-buffer file must carry: nobody holding it can then resize it under our mapping */
#define SHM_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static enum ccg_status channel_start(struct gpusim_dp_end *c, const uint8_t params[DP_PARAMS_LEN], int fd,
				     const uint8_t chan_secret[48], struct ccg_error *err)
{
	struct gpusim_channel *d = NULL;
	struct stat sb;
	int seals;
	enum ccg_status st;

	if (c->ch != NULL)
		return ccg_error_set(err, CCG_ERR_PROTOCOL, "channel.open", "a channel is open");
	if (fd < 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "channel.open", "no shared memory descriptor");
	/* a file the host could shrink would kill this process with SIGBUS on the next access */
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & SHM_SEALS) != SHM_SEALS)
		return ccg_error_set(err, CCG_ERR_SHM_UNSEALED, "channel.memfd.seals",
				     "seals 0x%x lack F_SEAL_SHRINK, F_SEAL_GROW or F_SEAL_SEAL (0x%x needed)",
				     seals < 0 ? 0 : (unsigned)seals, (unsigned)SHM_SEALS);
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return CCG_ERR_NOMEM;
	if ((st = dp_params_decode(params, DP_PARAMS_LEN, &d->p, err)) != CCG_OK)
		goto fail;
	d->shm_len = dp_shm_size(&d->p);
	if (fstat(fd, &sb) != 0 || (uint64_t)sb.st_size != d->shm_len) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "channel.open", "shared memory is not %zu bytes",
				   d->shm_len);
		goto fail;
	}
	d->shm = mmap(NULL, d->shm_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	d->mem = mmap(NULL, d->p.dev_mem, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	d->inbox = malloc(d->p.slot_size);
	d->outbox = malloc(d->p.slot_size);
	if (d->shm == MAP_FAILED || d->mem == MAP_FAILED || d->inbox == NULL || d->outbox == NULL) {
		if (d->shm == MAP_FAILED)
			d->shm = NULL;
		if (d->mem == MAP_FAILED)
			d->mem = NULL;
		st = ccg_error_set(err, CCG_ERR_NOMEM, "channel.open", "mapping");
		goto fail;
	}
	if ((st = dp_tx_init(&d->tx, d->shm, &d->p, DP_D2H, chan_secret)) != CCG_OK ||
	    (st = dp_rx_init(&d->rx, d->shm, &d->p, DP_H2D, chan_secret)) != CCG_OK)
		goto fail;
	if (gpusim_copy_engine(c->s) == GPUSIM_CE_OFFLOAD) {
		/* hardware off the host's CPUs: dev_wait polls the doorbell now and then; sending
		 * (read data, echoes) sleeps at once when the ring is full */
		d->offload = true;
		d->tx.r.spin_ns = 0;
	}
	c->ch = d;
	if (pthread_create(&d->th, NULL, dev_main, d) != 0) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "channel.open", "thread");
		goto fail;
	}
	d->started = true;
	return CCG_OK;
fail:
	c->ch = d;
	gpusim_dp_stop(c);
	return st;
}

/* the answer to a control request: done (status 0), or refused with e's status and text */
static enum ccg_status control_answer(uint8_t op, const uint8_t *random, const struct ccg_error *e, struct ccg_buf *rsp)
{
	struct dp_ctl a;
	char text[CCG_ERROR_WHERE_MAX + CCG_ERROR_DETAIL_MAX + 64];

	memset(&a, 0, sizeof(a));
	a.op = op;
	a.value = e != NULL ? (uint32_t)e->status : CCG_OK;
	if (random != NULL)
		memcpy(a.random, random, DP_RANDOM_LEN);
	if (e != NULL)
		ccg_error_format(e, text, sizeof(text));
	return dp_ctl_encode(true, &a, e != NULL ? text : NULL, rsp);
}

/*
 * CHANNEL_OPEN / CHANNEL_CLOSE, as VENDOR_DEFINED requests inside the
 * session (wire/dp.h). An open derives the channel's keys from both ends'
 * random values, its parameters and the session's open counter
 * (dp_channel_secret), so no open of this session reuses a key.
 */
enum ccg_status gpusim_dp_control(struct gpusim_dp_end *c, const uint8_t export_secret[SPDM_H], const uint8_t *msg,
				  size_t len, int fd, struct ccg_buf *rsp)
{
	struct dp_ctl req;
	struct ccg_error e;
	struct ccg_secret *cs = NULL;
	uint8_t random[DP_RANDOM_LEN];
	size_t start = rsp->len;
	enum ccg_status st;

	ccg_error_clear(&e);
	if (dp_ctl_parse(msg, len, false, &req, &e) != CCG_OK)
		return strcmp(e.where, "channel.control.vendor") == 0
			       ? gpusim_spdm_error(rsp, SPDM_V12, SPDM_ERR_UNSUPPORTED_REQUEST,
						   SPDM_VENDOR_DEFINED_REQUEST)
			       : gpusim_spdm_error(rsp, SPDM_V12, SPDM_ERR_INVALID_REQUEST, 0);
	if (req.op == DP_CTL_CLOSE) {
		if (c->ch == NULL || c->ch->p.channel_id != req.value) {
			ccg_error_set(&e, CCG_ERR_PROTOCOL, "channel.close", "no open channel 0x%08x", req.value);
			return control_answer(req.op, NULL, &e, rsp);
		}
		gpusim_dp_stop(c);
		return control_answer(req.op, NULL, NULL, rsp);
	}
	if (req.value != c->opens) {
		ccg_error_set(&e, CCG_ERR_PROTOCOL, "channel.open.counter", "open %u, this session's next is %u",
			      req.value, c->opens);
		return control_answer(req.op, NULL, &e, rsp);
	}
	/* this end's fresh random; the answer as it will be sent goes into the key derivation */
	if ((st = ccg_random(random, sizeof(random))) != CCG_OK || (st = ccg_secret_new(SPDM_H, &cs)) != CCG_OK ||
	    (st = control_answer(req.op, random, NULL, rsp)) != CCG_OK ||
	    (st = dp_channel_secret(export_secret, msg, len, rsp->data + start, rsp->len - start, cs->data)) != CCG_OK)
		goto out;
	if (channel_start(c, req.params, fd, cs->data, &e) != CCG_OK) {
		rsp->len = start;
		st = control_answer(req.op, NULL, &e, rsp);
		goto out;
	}
	c->opens++;
out:
	OPENSSL_cleanse(random, sizeof(random));
	ccg_secret_free(cs);
	return st;
}
