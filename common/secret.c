/* SPDX-License-Identifier: Apache-2.0 */
#include "common/secret.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define SECRET_MAX (16u * 1024 * 1024)

enum ccg_status ccg_secret_new(size_t len, struct ccg_secret **out)
{
	struct ccg_secret *s = NULL;
	long page = sysconf(_SC_PAGESIZE);
	size_t pg = page > 0 ? (size_t)page : 4096;
	void *p;

	*out = NULL;
	if (len == 0 || len > SECRET_MAX)
		return CCG_ERR_INVALID_ARG;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return CCG_ERR_NOMEM;
	s->map_len = (len + pg - 1) / pg * pg;
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
	if (s->locked)
		(void)munlock(s->data, s->map_len);
	(void)munmap(s->data, s->map_len);
	free(s);
}

bool ccg_secret_equal(const struct ccg_secret *a, const uint8_t *b, size_t b_len)
{
	return a != NULL && b != NULL && a->len == b_len && CRYPTO_memcmp(a->data, b, b_len) == 0;
}
