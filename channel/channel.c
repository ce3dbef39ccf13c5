/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest end of the data channel: bounce buffers in a memfd shared with
 * the device process, a pool of sealing threads that write ciphertext
 * straight into the ring slots, batched doorbells (one publication and at
 * most one futex wake per batch).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "channel/internal.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/writer.h"
#include "wire/frame.h"

#define MAX_THREADS CCG_CHANNEL_MAX_THREADS
#define TIMEOUT_MS 10000
/* a worker polls as long as a ring end for the next batch before it sleeps: batches of a bulk
 * write come back to back, and waking a sleeping vCPU costs more than a batch's share */
#define POOL_SPIN_NS DP_SPIN_NS

struct ccg_channel;

struct worker {
	pthread_t th;
	struct ccg_channel *ch;
	struct dp_aead aead;
	bool started;
};

struct ccg_channel {
	struct ccg_session *s; /* set once the device has the channel open */
	struct dp_params p;
	int memfd; /* the sealed bounce-buffer file */
	uint8_t *shm;
	size_t shm_len;
	struct dp_tx tx;
	struct dp_rx rx;
	bool dead;
	enum ccg_status dead_status;
	struct ccg_channel_stats st;
	/*
	 * the sealing pool: a batch is published as ticket = generation << 32 |
	 * jobs << 16 | next job, and threads claim jobs by compare-and-swap on
	 * it, so a thread still holding an older generation can claim nothing of
	 * a newer batch; gen is the workers' doorbell, done the caller's
	 */
	unsigned threads;
	struct worker w[MAX_THREADS];
	uint64_t ticket;
	uint32_t gen, gen_waiters;
	uint32_t done, done_waiters;
	struct dp_job *jobs;
	enum ccg_status batch_st;
	int quit;
};

#ifdef CCG_TEST_HOOKS
struct dp_tx *ccg_channel_debug_tx(struct ccg_channel *ch)
{
	return &ch->tx;
}

struct dp_rx *ccg_channel_debug_rx(struct ccg_channel *ch)
{
	return &ch->rx;
}

int ccg_channel_debug_memfd(struct ccg_channel *ch)
{
	return ch->memfd;
}
#endif

/* seals jobs of batch generation gen until none is left; returns how many this thread did */
static uint32_t seal_some(struct ccg_channel *ch, struct dp_aead *a, uint32_t gen)
{
	uint32_t did = 0;
	uint64_t t = __atomic_load_n(&ch->ticket, __ATOMIC_ACQUIRE);

	while ((uint32_t)(t >> 32) == gen && (t & 0xFFFF) < ((t >> 16) & 0xFFFF)) {
		if (!__atomic_compare_exchange_n(&ch->ticket, &t, t + 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			continue; /* t now holds the current ticket */
		enum ccg_status st = dp_seal_slot(&ch->tx, a, &ch->jobs[t & 0xFFFF]);

		if (st != CCG_OK)
			__atomic_store_n(&ch->batch_st, st, __ATOMIC_RELAXED);
		did++;
		t = __atomic_load_n(&ch->ticket, __ATOMIC_ACQUIRE);
	}
	return did;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct ccg_channel *ch = w->ch;
	uint32_t seen = 0, gen = 0;

	for (;;) {
		if (dp_wait_change(&ch->gen, &ch->gen_waiters, seen, POOL_SPIN_NS, -1, &ch->quit, &gen) != CCG_OK ||
		    __atomic_load_n(&ch->quit, __ATOMIC_ACQUIRE))
			break;
		seen = gen;
		uint32_t did = seal_some(ch, &w->aead, gen);

		if (did != 0) {
			__atomic_add_fetch(&ch->done, did, __ATOMIC_SEQ_CST);
			dp_wake(&ch->done, &ch->done_waiters);
		}
	}
	return NULL;
}

static enum ccg_status kill_channel(struct ccg_channel *ch, enum ccg_status st)
{
	if (!ch->dead) {
		ch->dead = true;
		ch->dead_status = st;
	}
	return st;
}

static enum ccg_status check_alive(const struct ccg_channel *ch, struct ccg_error *err)
{
	if (ch->dead)
		return ccg_error_set(err, CCG_ERR_CHANNEL_CLOSED, "channel", "failed earlier (%s)",
				     ccg_status_name(ch->dead_status));
	return CCG_OK;
}

static void params_from_opts(const struct ccg_channel_opts *o, struct dp_params *p)
{
	dp_params_defaults(p);
	if (o == NULL)
		return;
	if (o->slots != 0)
		p->slots = o->slots;
	if (o->slot_size != 0)
		p->slot_size = o->slot_size;
	if (o->limit_msgs != 0)
		p->limit_msgs = o->limit_msgs;
	if (o->limit_blocks != 0)
		p->limit_blocks = o->limit_blocks;
	p->rotate_msgs = o->rotate_msgs != 0 ? o->rotate_msgs : p->limit_msgs / 2;
	p->rotate_blocks = o->rotate_blocks != 0 ? o->rotate_blocks : p->limit_blocks / 2;
	if (o->no_rotation)
		p->rotate_msgs = p->rotate_blocks = 0;
	p->window = o->window != 0 ? o->window : p->slots;
	if (o->device_memory != 0)
		p->dev_mem = o->device_memory;
}

/* the seals a bounce-buffer memfd must carry before it is shared (gpusim refuses it without them) */
#define SHM_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

/*
 * one channel control exchange inside the SPDM session (dp.h): req out
 * (pass_fd along it), the answer parsed into *rsp; reqm and rspm keep both
 * messages (the open's key derivation hashes them). Anything but a clean
 * answer leaves the device in an unknown state: the session is ended.
 */
static enum ccg_status control(struct ccg_session *s, const struct dp_ctl *req, int pass_fd, struct ccg_buf *reqm,
			       struct ccg_buf *rspm, struct dp_ctl *rsp, struct ccg_error *err)
{
	enum ccg_status st;

	if ((st = dp_ctl_encode(false, req, NULL, reqm)) != CCG_OK)
		return st;
	if ((st = session_secured_exchange_fd(s, reqm->data, reqm->len, pass_fd, rspm, err)) != CCG_OK ||
	    (st = dp_ctl_parse(rspm->data, rspm->len, true, rsp, err)) != CCG_OK) {
		s->ended = true;
		return st;
	}
	if (rsp->op != req->op) {
		s->ended = true;
		return ccg_error_set(err, CCG_ERR_PROTOCOL, "channel.control.op", "answer to op %u for op %u", rsp->op,
				     req->op);
	}
	if (rsp->value != CCG_OK)
		return ccg_error_set(err, (enum ccg_status)rsp->value,
				     req->op == DP_CTL_OPEN ? "channel.open" : "channel.close",
				     "the device refused (%s): %.*s", ccg_status_name((enum ccg_status)rsp->value),
				     (int)rsp->text.len, (const char *)rsp->text.data);
	return CCG_OK;
}

/* the bounce buffers: a memfd sealed against shrinking and growing (and further seals), mapped here */
static enum ccg_status make_shm(struct ccg_channel *ch, struct ccg_error *err)
{
	ch->memfd = memfd_create("ccgpu-bounce", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (ch->memfd < 0 || ftruncate(ch->memfd, (off_t)ch->shm_len) != 0)
		return ccg_error_set(err, CCG_ERR_IO, "channel.memfd", "cannot create %zu bytes: %s", ch->shm_len,
				     strerror(errno));
	/* before it is shared: whoever holds it can then neither shrink it under a mapping (SIGBUS) nor grow it */
	if (fcntl(ch->memfd, F_ADD_SEALS, SHM_SEALS) != 0)
		return ccg_error_set(err, CCG_ERR_IO, "channel.memfd.seals", "F_ADD_SEALS: %s", strerror(errno));
	ch->shm = mmap(NULL, ch->shm_len, PROT_READ | PROT_WRITE, MAP_SHARED, ch->memfd, 0);
	if (ch->shm == MAP_FAILED) {
		ch->shm = NULL;
		return ccg_error_set(err, CCG_ERR_IO, "channel.mmap", "%zu bytes", ch->shm_len);
	}
	return CCG_OK;
}

enum ccg_status ccg_channel_open(struct ccg_session *s, const struct ccg_channel_opts *opts, struct ccg_channel **out,
				 struct ccg_error *err)
{
	struct ccg_channel *ch = NULL;
	struct ccg_secret *cs = NULL;
	struct dp_ctl req, rsp;
	struct ccg_buf reqm, rspm;
	int pass_fd;
	enum ccg_status st;

	*out = NULL;
	ccg_buf_init(&reqm, SPDM_MAX_MSG);
	ccg_buf_init(&rspm, SPDM_MAX_MSG);
	memset(&req, 0, sizeof(req));
	if (s == NULL || !s->established || s->ended)
		return ccg_error_set(err, CCG_ERR_CHANNEL_CLOSED, "channel.open", "no established session");
	if (s->has_channel)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "channel.open", "the session has a channel open");
	if (opts != NULL && opts->threads > MAX_THREADS)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "channel.threads",
				     "%u is outside 1..CCG_CHANNEL_MAX_THREADS (%u)", opts->threads, MAX_THREADS);
	ch = calloc(1, sizeof(*ch));
	if (ch == NULL)
		return CCG_ERR_NOMEM;
	ch->memfd = -1;
	ch->threads = opts != NULL && opts->threads != 0 ? opts->threads : 1;
	params_from_opts(opts, &ch->p);
	if ((st = ccg_random((uint8_t *)&ch->p.channel_id, sizeof(ch->p.channel_id))) != CCG_OK)
		goto out;
#ifdef CCG_TEST_HOOKS
	if (s->debug_channel_id != 0)
		ch->p.channel_id = s->debug_channel_id;
#endif
	if ((st = dp_params_check(&ch->p, err)) != CCG_OK)
		goto out;
	ch->shm_len = dp_shm_size(&ch->p);
	if ((st = make_shm(ch, err)) != CCG_OK)
		goto out;
	pass_fd = ch->memfd;
#ifdef CCG_TEST_HOOKS
	if (s->debug_swap_fd)
		pass_fd = s->debug_fd; /* a host swapping the descriptor in transit */
#endif
	/* CHANNEL_OPEN inside the session: the parameters, this end's fresh random and the open counter */
	req.op = DP_CTL_OPEN;
	req.value = s->channel_opens;
	if ((st = dp_params_encode(&ch->p, req.params)) != CCG_OK ||
	    (st = ccg_random(req.random, sizeof(req.random))) != CCG_OK ||
	    (st = control(s, &req, pass_fd, &reqm, &rspm, &rsp, err)) != CCG_OK)
		goto out;
	ch->s = s; /* open on the device: freeing the channel now closes it there */
	s->has_channel = true;
	s->channel_opens++;
	/* keys from both ends' random values, the parameters and the counter: fresh for every open */
	if ((st = ccg_secret_new(SPDM_H, &cs)) != CCG_OK ||
	    (st = dp_channel_secret(spdm_secret(&s->ks, SPDM_S_EXPORT), reqm.data, reqm.len, rspm.data, rspm.len,
				    cs->data)) != CCG_OK ||
	    (st = dp_tx_init(&ch->tx, ch->shm, &ch->p, DP_H2D, cs->data)) != CCG_OK ||
	    (st = dp_rx_init(&ch->rx, ch->shm, &ch->p, DP_D2H, cs->data)) != CCG_OK)
		goto out;
	ch->jobs = calloc(ch->p.slots, sizeof(*ch->jobs));
	if (ch->jobs == NULL) {
		st = CCG_ERR_NOMEM;
		goto out;
	}
	for (unsigned i = 1; i < ch->threads; i++) {
		ch->w[i].ch = ch;
		if ((st = dp_aead_init(&ch->w[i].aead)) != CCG_OK)
			goto out;
		if (pthread_create(&ch->w[i].th, NULL, worker_main, &ch->w[i]) != 0) {
			st = ccg_error_set(err, CCG_ERR_NOMEM, "channel.threads", "pthread_create");
			goto out;
		}
		ch->w[i].started = true;
	}
	*out = ch;
	ch = NULL;
out:
	ccg_secret_free(cs);
	ccg_buf_cleanup(&reqm);
	ccg_buf_cleanup(&rspm);
	ccg_channel_free(ch);
	return st;
}

/* waits for the next device-to-host slot */
static enum ccg_status rx_next(struct ccg_channel *ch, uint8_t *op, uint64_t *arg, uint32_t *len, struct ccg_error *err)
{
	uint32_t n = 0;
	enum ccg_status st = dp_rx_wait(&ch->rx, &n, TIMEOUT_MS, NULL);

	if (st != CCG_OK)
		return ccg_error_set(err, st, "channel.recv", "waiting for the device");
	dp_rx_peek(&ch->rx, op, arg, len);
	return CCG_OK;
}

/* the device's refusal: open the ERROR slot and return its status */
static enum ccg_status device_error(struct ccg_channel *ch, struct ccg_error *err)
{
	uint8_t buf[64], op = 0;
	uint64_t arg = 0;
	uint32_t len = 0;
	struct ccg_cursor c;
	enum ccg_status code = CCG_OK, st = dp_rx_open(&ch->rx, buf, sizeof(buf), &op, &arg, &len, err);

	if (st != CCG_OK)
		return kill_channel(ch, st);
	ccg_cursor_init(&c, buf, len);
	if (!ccg_wire_get_status(&c, &code))
		return kill_channel(ch, ccg_error_set(err, CCG_ERR_PROTOCOL, "channel.device_error", "bad payload"));
	return kill_channel(ch, ccg_error_set(err, code, "channel.device",
					      "the device refused a host-to-device message: %s", ccg_status_str(code)));
}

enum ccg_status ccg_channel_send(struct ccg_channel *ch, const void *data, size_t len, struct ccg_error *err)
{
	enum ccg_status st;

	if ((st = check_alive(ch, err)) != CCG_OK)
		return st;
	if (len > ch->p.slot_size)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "channel.send", "%zu bytes, slot %u", len,
				     ch->p.slot_size);
	st = dp_tx_send(&ch->tx, DP_OP_MSG, 0, data, (uint32_t)len, TIMEOUT_MS, NULL);
	if (st != CCG_OK)
		return kill_channel(ch, ccg_error_set(err, st, "channel.send", "sealing"));
	ch->st.msgs_sent++;
	ch->st.bytes_sent += len;
	return CCG_OK;
}

enum ccg_status ccg_channel_recv(struct ccg_channel *ch, void *buf, size_t cap, size_t *out_len, struct ccg_error *err)
{
	uint8_t op = 0;
	uint64_t arg = 0;
	uint32_t len = 0;
	enum ccg_status st;

	*out_len = 0;
	if ((st = check_alive(ch, err)) != CCG_OK || (st = rx_next(ch, &op, &arg, &len, err)) != CCG_OK)
		return st;
	if (op == DP_OP_ERROR)
		return device_error(ch, err);
	if ((st = dp_rx_open(&ch->rx, buf, cap, &op, &arg, &len, err)) != CCG_OK)
		return kill_channel(ch, st);
	if (op != DP_OP_MSG)
		return kill_channel(ch,
				    ccg_error_set(err, CCG_ERR_PROTOCOL, "channel.recv", "op %u, not a message", op));
	dp_rx_release(&ch->rx);
	ch->st.msgs_received++;
	ch->st.bytes_received += len;
	*out_len = len;
	return CCG_OK;
}

enum ccg_status ccg_channel_run(struct ccg_channel *ch, const void *cmd, size_t cmd_len, void *out, size_t cap,
				size_t *out_len, struct ccg_error *err)
{
	uint8_t op = 0;
	uint64_t arg = 0;
	uint32_t len = 0;
	enum ccg_status st;

	*out_len = 0;
	if ((st = check_alive(ch, err)) != CCG_OK)
		return st;
	if (cmd_len > ch->p.slot_size)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "channel.run", "%zu bytes, slot %u", cmd_len,
				     ch->p.slot_size);
	if ((st = dp_tx_send(&ch->tx, DP_OP_RUN, 0, cmd, (uint32_t)cmd_len, TIMEOUT_MS, NULL)) != CCG_OK)
		return kill_channel(ch, ccg_error_set(err, st, "channel.run", "sealing"));
	ch->st.msgs_sent++;
	ch->st.bytes_sent += cmd_len;
	if ((st = rx_next(ch, &op, &arg, &len, err)) != CCG_OK)
		return kill_channel(ch, st);
	if (op == DP_OP_ERROR)
		return device_error(ch, err);
	if ((st = dp_rx_open(&ch->rx, out, cap, &op, &arg, &len, err)) != CCG_OK)
		return kill_channel(ch, st);
	if (op != DP_OP_RESULT) {
		OPENSSL_cleanse(out, len);
		return kill_channel(ch, ccg_error_set(err, CCG_ERR_PROTOCOL, "channel.run", "op %u, not a result", op));
	}
	dp_rx_release(&ch->rx);
	ch->st.msgs_received++;
	ch->st.bytes_received += len;
	*out_len = len;
	return CCG_OK;
}

/* one batch of jobs sealed by the pool (the caller takes part) */
static enum ccg_status seal_batch(struct ccg_channel *ch, uint32_t n)
{
	uint32_t gen = ch->gen + 1, done;
	enum ccg_status st = CCG_OK;

	if (ch->threads == 1 || n == 1) {
		/* the caller alone, no shared state: a lone message is not worth a worker's wake-up */
		for (uint32_t i = 0; i < n && st == CCG_OK; i++)
			st = dp_seal_slot(&ch->tx, &ch->tx.aead, &ch->jobs[i]);
		return st;
	}
	ch->batch_st = CCG_OK;
	__atomic_store_n(&ch->done, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ch->ticket, (uint64_t)gen << 32 | (uint64_t)n << 16, __ATOMIC_RELEASE);
	__atomic_store_n(&ch->gen, gen, __ATOMIC_SEQ_CST);
	dp_wake(&ch->gen, &ch->gen_waiters);
	done = __atomic_add_fetch(&ch->done, seal_some(ch, &ch->tx.aead, gen), __ATOMIC_SEQ_CST);
	while (done != n)
		if (dp_wait_change(&ch->done, &ch->done_waiters, done, DP_SPIN_NS, -1, NULL, &done) != CCG_OK)
			return CCG_ERR_INTERNAL; /* not reached: no timeout, no stop flag */
	return __atomic_load_n(&ch->batch_st, __ATOMIC_RELAXED);
}

enum ccg_status ccg_channel_write(struct ccg_channel *ch, uint64_t offset, const void *data, size_t len,
				  struct ccg_error *err)
{
	const uint8_t *src = data;
	size_t done = 0;
	enum ccg_status st;

	if ((st = check_alive(ch, err)) != CCG_OK)
		return st;
	if (offset > ch->p.dev_mem || len > ch->p.dev_mem - offset)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "channel.write",
				     "beyond the %llu bytes of device memory", (unsigned long long)ch->p.dev_mem);
	while (done < len) {
		uint32_t chunks = (uint32_t)((len - done + ch->p.slot_size - 1) / ch->p.slot_size), n = 0;

		/* half a ring per batch: the device opens one half while the pool seals the other */
		if (chunks > (ch->p.slots + 1) / 2)
			chunks = (ch->p.slots + 1) / 2;
		if ((st = dp_tx_reserve(&ch->tx, chunks, &n, TIMEOUT_MS, NULL)) != CCG_OK ||
		    (st = dp_tx_begin_batch(&ch->tx)) != CCG_OK)
			return kill_channel(ch, ccg_error_set(err, st, "channel.write", "ring"));
		for (uint32_t i = 0; i < n; i++) {
			size_t off = done + (size_t)i * ch->p.slot_size;
			uint32_t clen = (uint32_t)(len - off < ch->p.slot_size ? len - off : ch->p.slot_size);

			if ((st = dp_tx_assign(&ch->tx, i, DP_OP_WRITE, offset + off, src + off, clen, &ch->jobs[i])) !=
			    CCG_OK)
				return kill_channel(ch, ccg_error_set(err, st, "channel.write", "chunk at %zu", off));
		}
		if ((st = seal_batch(ch, n)) != CCG_OK)
			return kill_channel(ch, ccg_error_set(err, st, "channel.write", "sealing"));
		dp_tx_publish(&ch->tx, n);
		for (uint32_t i = 0; i < n; i++)
			ch->st.bytes_sent += ch->jobs[i].len;
		ch->st.msgs_sent += n;
		done += (size_t)n * ch->p.slot_size;
		if (done > len)
			done = len;
	}
	return CCG_OK;
}

enum ccg_status ccg_channel_read(struct ccg_channel *ch, uint64_t offset, void *buf, size_t len, struct ccg_error *err)
{
	uint8_t req[16], *dst = buf;
	struct ccg_writer w;
	size_t done = 0;
	enum ccg_status st;

	if ((st = check_alive(ch, err)) != CCG_OK)
		return st;
	if (offset > ch->p.dev_mem || len > ch->p.dev_mem - offset)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "channel.read", "beyond the %llu bytes of device memory",
				     (unsigned long long)ch->p.dev_mem);
	/* DP_OP_READ: offset, length */
	ccg_writer_init_fixed(&w, req, sizeof(req));
	if (!ccg_writer_put_u64le(&w, offset) || !ccg_writer_put_u64le(&w, (uint64_t)len))
		return ccg_writer_finish(&w, NULL, "channel.read", err);
	if ((st = dp_tx_send(&ch->tx, DP_OP_READ, 0, req, sizeof(req), TIMEOUT_MS, NULL)) != CCG_OK)
		return kill_channel(ch, ccg_error_set(err, st, "channel.read", "request"));
	ch->st.msgs_sent++;
	while (done < len) {
		uint8_t op = 0;
		uint64_t arg = 0;
		uint32_t clen = 0;

		if ((st = rx_next(ch, &op, &arg, &clen, err)) != CCG_OK)
			return kill_channel(ch, st);
		if (op == DP_OP_ERROR)
			return device_error(ch, err);
		if ((st = dp_rx_open(&ch->rx, dst + done, len - done, &op, &arg, &clen, err)) != CCG_OK)
			return kill_channel(ch, st);
		if (op != DP_OP_DATA || arg != offset + done || clen == 0) {
			OPENSSL_cleanse(dst + done, clen);
			return kill_channel(ch, ccg_error_set(err, CCG_ERR_PROTOCOL, "channel.read",
							      "op %u at %llu, expected data at %llu", op,
							      (unsigned long long)arg,
							      (unsigned long long)(offset + done)));
		}
		done += clen;
		ch->st.msgs_received++;
		ch->st.bytes_received += clen;
		/* hand slots back in batches: one doorbell per quarter ring */
		if ((ch->rx.tail - __atomic_load_n(ch->rx.r.tail, __ATOMIC_RELAXED)) >= ch->p.slots / 4)
			dp_rx_release(&ch->rx);
	}
	dp_rx_release(&ch->rx);
	return CCG_OK;
}

void ccg_channel_stats(const struct ccg_channel *ch, struct ccg_channel_stats *out)
{
	*out = ch->st;
	out->rotations_sent = ch->tx.rotations;
	out->rotations_received = ch->rx.rotations;
	out->rejects = ch->rx.rejects;
}

void ccg_channel_free(struct ccg_channel *ch)
{
	if (ch == NULL)
		return;
	if (ch->s != NULL) {
		struct dp_ctl req = {.op = DP_CTL_CLOSE, .value = ch->p.channel_id}, rsp;
		struct ccg_buf reqm, rspm;

		/* CHANNEL_CLOSE inside the session */
		ccg_buf_init(&reqm, SPDM_MAX_MSG);
		ccg_buf_init(&rspm, SPDM_MAX_MSG);
		if (!ch->s->ended && control(ch->s, &req, -1, &reqm, &rspm, &rsp, NULL) != CCG_OK)
			ch->s->ended = true; /* the device end is in an unknown state */
		ccg_buf_cleanup(&reqm);
		ccg_buf_cleanup(&rspm);
		ch->s->has_channel = false;
	}
	__atomic_store_n(&ch->quit, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&ch->gen, 1, __ATOMIC_SEQ_CST);
	dp_wake(&ch->gen, &ch->gen_waiters);
	for (unsigned i = 1; i < MAX_THREADS; i++) {
		if (ch->w[i].started)
			pthread_join(ch->w[i].th, NULL);
		dp_aead_cleanup(&ch->w[i].aead);
	}
	if (ch->tx.k.s != NULL || ch->tx.aead.ctx != NULL)
		dp_tx_cleanup(&ch->tx);
	if (ch->rx.k.s != NULL || ch->rx.aead.ctx != NULL)
		dp_rx_cleanup(&ch->rx);
	if (ch->shm != NULL)
		munmap(ch->shm, ch->shm_len);
	if (ch->memfd >= 0)
		close(ch->memfd);
	free(ch->jobs);
	free(ch);
}
