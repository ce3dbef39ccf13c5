/* SPDX-License-Identifier: Apache-2.0 */
#include "common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"

enum ccg_status ccg_file_read(const char *path, size_t max, uint8_t **out, size_t *out_len, struct ccg_error *err)
{
	struct ccg_buf b;
	uint8_t chunk[16384];
	enum ccg_status s = CCG_OK;
	int fd;

	*out = NULL;
	*out_len = 0;
	ccg_buf_init(&b, max);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ccg_error_set(err, errno == ENOENT ? CCG_ERR_NOT_FOUND : CCG_ERR_IO, path, "cannot open: %s",
				     strerror(errno));
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s = ccg_error_set(err, CCG_ERR_IO, path, "read failed: %s", strerror(errno));
			break;
		}
		if (n == 0)
			break;
		s = ccg_buf_append(&b, chunk, (size_t)n);
		if (s == CCG_ERR_TOO_LARGE)
			s = ccg_error_set(err, s, path, "file larger than %zu bytes", max);
		if (s != CCG_OK)
			break;
	}
	close(fd);
	if (s == CCG_OK)
		s = ccg_buf_terminate(&b);
	if (s != CCG_OK) {
		ccg_buf_cleanup(&b);
		return s;
	}
	*out = ccg_buf_steal(&b, out_len);
	if (*out == NULL) { /* empty file: still hand back a valid string */
		*out = calloc(1, 1);
		if (*out == NULL)
			return CCG_ERR_NOMEM;
	}
	return CCG_OK;
}

enum ccg_status ccg_file_write_atomic(const char *path, const uint8_t *data, size_t len, struct ccg_error *err)
{
	char tmp[PATH_MAX];
	int fd, n;
	size_t off = 0;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, path, "path too long");
	fd = mkstemp(tmp);
	if (fd < 0)
		return ccg_error_set(err, CCG_ERR_IO, path, "cannot create temporary file: %s", strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off != len || fsync(fd) != 0) {
		int e = errno;

		close(fd);
		unlink(tmp);
		return ccg_error_set(err, CCG_ERR_IO, path, "write failed: %s", strerror(e));
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		return ccg_error_set(err, CCG_ERR_IO, path, "rename failed: %s", strerror(e));
	}
	return CCG_OK;
}

enum ccg_status ccg_file_write_new(const char *path, const uint8_t *data, size_t len, struct ccg_error *err)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, n, dfd, e = 0;
	size_t off = 0;
	enum ccg_status s = CCG_OK;

	n = snprintf(tmp, sizeof(tmp), "%s.new.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, path, "path too long");
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return ccg_error_set(err, errno == ENOENT ? CCG_ERR_NOT_FOUND : CCG_ERR_IO, path,
				     "cannot create a file beside it: %s", strerror(errno));
	if (fchmod(fd, 0600) != 0)
		e = errno;
	while (e == 0 && off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			e = w < 0 ? errno : EIO;
			break;
		}
		off += (size_t)w;
	}
	if (e == 0 && fsync(fd) != 0)
		e = errno;
	if (e == 0 && link(tmp, path) != 0)
		e = errno;
	close(fd);
	unlink(tmp);
	if (e == EEXIST)
		return ccg_error_set(err, CCG_ERR_DUPLICATE, path, "exists already");
	if (e != 0)
		return ccg_error_set(err, CCG_ERR_IO, path, "writing: %s", strerror(e));
	/* the directory, so that the new name is durable */
	n = slash == NULL ? snprintf(dir, sizeof(dir), ".")
			  : snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, path, "path too long");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0)
		s = ccg_error_set(err, CCG_ERR_IO, path, "syncing %s: %s", dir, strerror(errno));
	if (dfd >= 0)
		close(dfd);
	return s;
}

enum ccg_status ccg_mkdir_p(const char *dir, struct ccg_error *err)
{
	char p[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(p))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, dir, "bad directory path");
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return ccg_error_set(err, CCG_ERR_IO, dir, "mkdir %s: %s", p, strerror(errno));
		p[i] = i == n ? '\0' : '/';
	}
	return CCG_OK;
}
