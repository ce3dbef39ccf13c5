/* SPDX-License-Identifier: Apache-2.0 */
#include "common/secret.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define SECRET_MAX (16u * 1024 * 1024)

/*
 * One-page secrets (keys, key schedules, every HPKE context's secrets) are
 * made and freed many times per request: an mmap + madvise + mlock for each
 * and a munlock + munmap (a TLB flush) for each free cost more than the
 * HPKE arithmetic of a small OHTTP message (bench/prompt, branch prompt).
 * Freed pages that were locked are therefore wiped and kept, locked and
 * excluded from core dumps, in a small stack for the next ccg_secret_new;
 * a pool full, a larger buffer or one mlock refused is unmapped as before.
 * The pool keeps at most a quarter of RLIMIT_MEMLOCK locked, so it never
 * takes the lock allowance that larger secrets need.
 * A forked child forgets the stack (its copies of the pages are not locked).
 */
#define POOL_PAGES 64

static struct {
	pthread_mutex_t lock;
	void *page[POOL_PAGES];
	size_t n, cap;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER};
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void pool_forget(void)
{
	pool.n = 0; /* in the child: the parent's pages stay mapped (wiped), never reused */
	pthread_mutex_init(&pool.lock, NULL);
}

static size_t page_size(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return page > 0 ? (size_t)page : 4096;
}

static void pool_init(void)
{
	struct rlimit rl;

	pool.cap = POOL_PAGES;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur / 4 / page_size() < pool.cap)
		pool.cap = (size_t)(rl.rlim_cur / 4 / page_size());
	if (pthread_atfork(NULL, NULL, pool_forget) != 0)
		pool.cap = 0; /* a child could not forget the pages: keep none */
}

/* a wiped, locked page from the pool, or NULL */
static void *pool_take(void)
{
	void *p = NULL;

	pthread_once(&pool_once, pool_init);
	pthread_mutex_lock(&pool.lock);
	if (pool.n > 0)
		p = pool.page[--pool.n];
	pthread_mutex_unlock(&pool.lock);
	return p;
}

/* keeps a wiped, locked page; false when the pool is full */
static bool pool_keep(void *p)
{
	bool kept = false;

	pthread_once(&pool_once, pool_init);
	pthread_mutex_lock(&pool.lock);
	if (pool.n < pool.cap) {
		pool.page[pool.n++] = p;
		kept = true;
	}
	pthread_mutex_unlock(&pool.lock);
	return kept;
}

enum ccg_status ccg_secret_new(size_t len, struct ccg_secret **out)
{
	struct ccg_secret *s = NULL;
	size_t pg = page_size();
	void *p;

	*out = NULL;
	if (len == 0 || len > SECRET_MAX)
		return CCG_ERR_INVALID_ARG;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return CCG_ERR_NOMEM;
	s->map_len = (len + pg - 1) / pg * pg;
	if (s->map_len == pg && (p = pool_take()) != NULL) {
		/* wiped to zeros when it was freed, still locked and undumped */
		s->locked = true;
		s->data = p;
		s->len = len;
		*out = s;
		return CCG_OK;
	}
	p = mmap(NULL, s->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		free(s);
		return CCG_ERR_NOMEM;
	}
#ifdef MADV_DONTDUMP
	(void)madvise(p, s->map_len, MADV_DONTDUMP);
#endif
	/* mlock can fail under a small RLIMIT_MEMLOCK; the buffer is still wiped and undumped. */
	s->locked = mlock(p, s->map_len) == 0;
	s->data = p;
	s->len = len;
	*out = s;
	return CCG_OK;
}

void ccg_secret_free(struct ccg_secret *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s->data, s->map_len);
	if (!(s->locked && s->map_len == page_size() && pool_keep(s->data))) {
		if (s->locked)
			(void)munlock(s->data, s->map_len);
		(void)munmap(s->data, s->map_len);
	}
	free(s);
}

bool ccg_secret_equal(const struct ccg_secret *a, const uint8_t *b, size_t b_len)
{
	return a != NULL && b != NULL && a->len == b_len && CRYPTO_memcmp(a->data, b, b_len) == 0;
}
