/* SPDX-License-Identifier: Apache-2.0 */
/* configfs-tsm report collection (Documentation/ABI/testing/configfs-tsm). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "tee_guest/collect.h"

void ccg_tsm_report_cleanup(struct ccg_tsm_report *r)
{
	free(r->outblob);
	free(r->auxblob);
	memset(r, 0, sizeof(*r));
}

static void nap(void)
{
	struct timespec ts = {0, 1000000};

	nanosleep(&ts, NULL);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum ccg_status attr_path(const char *entry, const char *attr, char *buf, size_t len, struct ccg_error *err)
{
	int w = snprintf(buf, len, "%s/%s", entry, attr);

	return w < 0 || (size_t)w >= len ? ccg_error_set(err, CCG_ERR_TOO_LARGE, "tsm", "path too long") : CCG_OK;
}

static enum ccg_status read_attr(const char *entry, const char *attr, uint8_t **out, size_t *out_len,
				 struct ccg_error *err)
{
	char path[4096];
	enum ccg_status st = attr_path(entry, attr, path, sizeof(path), err);

	if (st != CCG_OK)
		return st;
	return ccg_file_read(path, CCG_TSM_MAX_BLOB, out, out_len, err);
}

static enum ccg_status read_generation(const char *entry, uint64_t *out, struct ccg_error *err)
{
	uint8_t *b = NULL;
	size_t n = 0;
	char *end = NULL;
	enum ccg_status st = read_attr(entry, "generation", &b, &n, err);

	if (st != CCG_OK)
		return st;
	errno = 0;
	*out = strtoull((const char *)b, &end, 10);
	if (n == 0 || errno != 0 || end == (char *)b || (*end != '\n' && *end != '\0'))
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "tsm.generation", "not a decimal counter");
	free(b);
	return st;
}

/* waits (bounded) for a condition only a user-space mimic can delay; the kernel answers at once */
static bool exists(const char *entry, const char *attr)
{
	char path[4096];
	struct stat sb;

	return snprintf(path, sizeof(path), "%s/%s", entry, attr) < (int)sizeof(path) && stat(path, &sb) == 0;
}

enum ccg_status ccg_tsm_collect(const char *root, const uint8_t inblob[CCG_TSM_INBLOB_LEN], long timeout_ms,
				struct ccg_tsm_report *out, struct ccg_error *err)
{
	char entry[4096], path[4096], name[40];
	uint8_t rnd[8];
	uint64_t g0 = 0, g1 = 0, g2 = 0;
	uint8_t *prov = NULL;
	size_t prov_len = 0;
	int64_t deadline;
	int fd = -1;
	bool made = false;
	enum ccg_status st;

	memset(out, 0, sizeof(*out));
	if (root == NULL)
		root = CCG_TSM_DEFAULT_ROOT;
	if (timeout_ms <= 0)
		timeout_ms = 2000;
	if ((st = ccg_random(rnd, sizeof(rnd))) != CCG_OK)
		return ccg_error_set(err, st, "tsm", "random entry name");
	memcpy(name, "ccgpu-", 6);
	ccg_hex_encode(rnd, sizeof(rnd), name + 6);
	if (snprintf(entry, sizeof(entry), "%s/%s", root, name) >= (int)sizeof(entry))
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "tsm", "root path too long");
	if (mkdir(entry, 0700) != 0)
		return ccg_error_set(err, errno == ENOENT ? CCG_ERR_NOT_FOUND : CCG_ERR_IO, "tsm.mkdir",
				     "%s: %s (is configfs-tsm available?)", entry, strerror(errno));
	made = true;
	deadline = now_ms() + timeout_ms;
	while (!exists(entry, "generation") && now_ms() < deadline)
		nap();
	if ((st = read_generation(entry, &g0, err)) != CCG_OK)
		goto out;
	if ((st = attr_path(entry, "inblob", path, sizeof(path), err)) != CCG_OK)
		goto out;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, inblob, CCG_TSM_INBLOB_LEN) != CCG_TSM_INBLOB_LEN) {
		st = ccg_error_set(err, CCG_ERR_IO, "tsm.inblob", "%s", strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	do {
		if ((st = read_generation(entry, &g1, err)) != CCG_OK)
			goto out;
		if (g1 == g0)
			nap();
	} while (g1 == g0 && now_ms() < deadline);
	if (g1 != g0 + 1) {
		st = ccg_error_set(err, CCG_ERR_IO, "tsm.generation",
				   "generation went from %" PRIu64 " to %" PRIu64 " on one write: another writer raced",
				   g0, g1);
		goto out;
	}
	do {
		free(out->outblob);
		out->outblob = NULL;
		if ((st = read_attr(entry, "outblob", &out->outblob, &out->outblob_len, err)) != CCG_OK)
			goto out;
		if (out->outblob_len == 0)
			nap();
	} while (out->outblob_len == 0 && now_ms() < deadline);
	if (out->outblob_len == 0) {
		st = ccg_error_set(err, CCG_ERR_IO, "tsm.outblob", "empty report");
		goto out;
	}
	if (exists(entry, "auxblob")) {
		st = read_attr(entry, "auxblob", &out->auxblob, &out->auxblob_len, err);
		if (st != CCG_OK)
			goto out;
	}
	if ((st = read_attr(entry, "provider", &prov, &prov_len, err)) != CCG_OK)
		goto out;
	while (prov_len > 0 && (prov[prov_len - 1] == '\n' || prov[prov_len - 1] == 0))
		prov_len--;
	if (prov_len == 0 || prov_len >= sizeof(out->provider)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "tsm.provider", "%zu bytes", prov_len);
		goto out;
	}
	memcpy(out->provider, prov, prov_len);
	if ((st = read_generation(entry, &g2, err)) != CCG_OK)
		goto out;
	if (g2 != g1) {
		st = ccg_error_set(err, CCG_ERR_IO, "tsm.generation",
				   "generation changed from %" PRIu64 " to %" PRIu64
				   " while reading: another writer raced",
				   g1, g2);
		goto out;
	}
	out->generation = g2;
out:
	if (fd >= 0)
		close(fd);
	free(prov);
	if (made)
		(void)rmdir(entry); /* configfs removes the attributes with the entry */
	if (st != CCG_OK) {
		free(out->outblob);
		free(out->auxblob);
		memset(out, 0, sizeof(*out));
	}
	return st;
}
