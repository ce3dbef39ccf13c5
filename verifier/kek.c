/* SPDX-License-Identifier: Apache-2.0 */
/* The key-encryption key of the secrets at rest: see verifier/kek.h. */
#include "verifier/kek.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/error.h"
#include "common/secret.h"

struct ccg_kek {
	struct ccg_secret *key; /* CCG_KEK_LEN bytes */
};

void ccg_kek_free(struct ccg_kek *k)
{
	if (k == NULL)
		return;
	ccg_secret_free(k->key);
	free(k);
}

/* ---- AES-256-GCM (EVP) ---- */

enum ccg_status ccg_aes256gcm_seal(const uint8_t key[32], const uint8_t *aad, size_t aad_len, const uint8_t *pt,
				   size_t pt_len, uint8_t *out, struct ccg_error *err)
{
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t *iv = out, *ct = out + CCG_KEK_IV_LEN;
	int n = 0, m = 0;
	enum ccg_status s = CCG_OK;

	if (pt_len > (size_t)INT32_MAX || aad_len > (size_t)INT32_MAX)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "aead", "over 2 GiB");
	if (ccg_random(iv, CCG_KEK_IV_LEN) != CCG_OK)
		return ccg_error_set(err, CCG_ERR_CRYPTO, "aead.iv", "no random bytes");
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CCG_KEK_IV_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, iv) != 1 ||
	    (aad_len > 0 && EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1) ||
	    (pt_len > 0 && EVP_EncryptUpdate(ctx, ct, &n, pt, (int)pt_len) != 1) ||
	    EVP_EncryptFinal_ex(ctx, ct + (pt_len > 0 ? n : 0), &m) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CCG_KEK_TAG_LEN, ct + pt_len) != 1)
		s = ccg_openssl_error(err, CCG_ERR_CRYPTO, "aead", "AES-256-GCM encryption failed");
	EVP_CIPHER_CTX_free(ctx);
	if (s != CCG_OK)
		OPENSSL_cleanse(out, pt_len + CCG_KEK_IV_LEN + CCG_KEK_TAG_LEN);
	return s;
}

enum ccg_status ccg_aes256gcm_open(const uint8_t key[32], const uint8_t *aad, size_t aad_len, const uint8_t *in,
				   size_t in_len, uint8_t *pt, const char *where, struct ccg_error *err)
{
	EVP_CIPHER_CTX *ctx = NULL;
	size_t ct_len;
	int n = 0, m = 0, fin;
	enum ccg_status s = CCG_OK;

	if (in_len < CCG_KEK_IV_LEN + CCG_KEK_TAG_LEN)
		return ccg_error_set(err, CCG_ERR_TRUNCATED, where, "%zu bytes, shorter than IV and tag", in_len);
	ct_len = in_len - CCG_KEK_IV_LEN - CCG_KEK_TAG_LEN;
	if (ct_len > (size_t)INT32_MAX || aad_len > (size_t)INT32_MAX)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, where, "over 2 GiB");
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL || EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CCG_KEK_IV_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, in) != 1 ||
	    (aad_len > 0 && EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1) ||
	    (ct_len > 0 && EVP_DecryptUpdate(ctx, pt, &n, in + CCG_KEK_IV_LEN, (int)ct_len) != 1) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CCG_KEK_TAG_LEN, (void *)(in + CCG_KEK_IV_LEN + ct_len)) !=
		    1) {
		s = ccg_openssl_error(err, CCG_ERR_CRYPTO, where, "AES-256-GCM decryption failed");
		goto out;
	}
	fin = EVP_DecryptFinal_ex(ctx, pt + (ct_len > 0 ? n : 0), &m);
	if (fin != 1)
		s = ccg_error_set(err, CCG_ERR_MAC, where,
				  "the tag does not verify (another key, aad or a changed byte)");
out:
	EVP_CIPHER_CTX_free(ctx);
	if (s != CCG_OK && ct_len > 0)
		OPENSSL_cleanse(pt, ct_len);
	return s;
}

/* ---- the file: provider ---- */

/* checks the open key file and reads its 32 bytes into key */
static enum ccg_status file_read_key(int fd, const char *path, uint8_t key[CCG_KEK_LEN], struct ccg_error *err)
{
	struct stat st;
	size_t got = 0;
	uint8_t extra;

	if (fstat(fd, &st) != 0)
		return ccg_error_set(err, CCG_ERR_IO, "kek", "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "kek.type", "%s: not a regular file", path);
	if (st.st_uid != geteuid())
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "kek.owner",
				     "%s: owned by uid %u, not this process's %u", path, (unsigned)st.st_uid,
				     (unsigned)geteuid());
	if ((st.st_mode & 077) != 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "kek.mode",
				     "%s: mode %04o lets group or others at the key-encryption key (need 0600)", path,
				     (unsigned)(st.st_mode & 07777));
	if (st.st_size != CCG_KEK_LEN)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "kek.size", "%s: %lld bytes, not %d", path,
				     (long long)st.st_size, CCG_KEK_LEN);
	while (got < CCG_KEK_LEN) {
		ssize_t n = read(fd, key + got, CCG_KEK_LEN - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ccg_error_set(err, CCG_ERR_IO, "kek", "%s: short read", path);
		got += (size_t)n;
	}
	/* a file that grew after fstat is not the key we checked */
	if (read(fd, &extra, 1) != 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "kek.size", "%s: longer than %d bytes", path,
				     CCG_KEK_LEN);
	return CCG_OK;
}

/*
 * Creates the key file: 32 random bytes written whole to a 0600 temporary
 * file beside path, fsync'd, then link()ed to path (fails if path exists:
 * a racing creator's file wins and is the one loaded), the directory fsync'd.
 */
static enum ccg_status file_create(const char *path, struct ccg_error *err)
{
	uint8_t fresh[CCG_KEK_LEN];
	char *tmp = NULL, *dir = NULL;
	const char *slash = strrchr(path, '/');
	int fd = -1, dfd = -1;
	size_t off = 0;
	enum ccg_status s = CCG_OK;

	if (asprintf(&tmp, "%s.new.XXXXXX", path) < 0)
		return ccg_error_set(err, CCG_ERR_NOMEM, "kek", "no memory");
	if (ccg_random(fresh, sizeof(fresh)) != CCG_OK) {
		s = ccg_error_set(err, CCG_ERR_CRYPTO, "kek", "no random bytes");
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		s = ccg_error_set(err, CCG_ERR_IO, "kek", "cannot create a key file beside %s: %s", path,
				  strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) != 0)
		goto io;
	while (off < sizeof(fresh)) {
		ssize_t n = write(fd, fresh + off, sizeof(fresh) - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto io;
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || (link(tmp, path) != 0 && errno != EEXIST))
		goto io;
	dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
	if (dir == NULL || (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(dfd) != 0)
		goto io;
	goto out;
io:
	s = ccg_error_set(err, CCG_ERR_IO, "kek", "writing %s: %s", path, strerror(errno));
out:
	OPENSSL_cleanse(fresh, sizeof(fresh));
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	if (dfd >= 0)
		close(dfd);
	free(dir);
	free(tmp);
	return s;
}

static enum ccg_status file_load(const char *path, uint8_t key[CCG_KEK_LEN], struct ccg_error *err)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		enum ccg_status s;

		if (fd >= 0) {
			s = file_read_key(fd, path, key, err);
			close(fd);
			return s;
		}
		if (errno != ENOENT)
			return ccg_error_set(err, errno == ELOOP ? CCG_ERR_INVALID_ARG : CCG_ERR_IO,
					     errno == ELOOP ? "kek.type" : "kek", "%s: %s", path,
					     errno == ELOOP ? "a symbolic link" : strerror(errno));
		if ((s = file_create(path, err)) != CCG_OK)
			return s;
	}
	return ccg_error_set(err, CCG_ERR_IO, "kek", "%s: created but cannot be opened", path);
}

enum ccg_status ccg_kek_open(const char *spec, const char *tpm_tcti, struct ccg_kek **out, struct ccg_error *err)
{
	struct ccg_kek *k = NULL;
	const char *path;
	bool tpm;
	enum ccg_status s;

	if (out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "kek", "no output");
	*out = NULL;
	if (spec == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "kek", "no key-encryption key configured");
	if (strncmp(spec, "file:", 5) == 0)
		tpm = false;
	else if (strncmp(spec, "tpm:", 4) == 0)
		tpm = true;
	else
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "kek", "\"file:/PATH\" or \"tpm:/PATH\"");
	path = spec + (tpm ? 4 : 5);
	if (path[0] != '/' || strlen(path) < 2)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "kek", "the path must be absolute");
	if ((k = calloc(1, sizeof(*k))) == NULL || ccg_secret_new(CCG_KEK_LEN, &k->key) != CCG_OK) {
		ccg_kek_free(k);
		return ccg_error_set(err, CCG_ERR_NOMEM, "kek", "no memory");
	}
	s = tpm ? ccg_kek_tpm_load(path, tpm_tcti, k->key->data, err) : file_load(path, k->key->data, err);
	if (s != CCG_OK) {
		ccg_kek_free(k);
		return s;
	}
	*out = k;
	return CCG_OK;
}

enum ccg_status ccg_kek_wrap(const struct ccg_kek *k, const uint8_t dk[32], const uint8_t *aad, size_t aad_len,
			     uint8_t *out, size_t *out_len, struct ccg_error *err)
{
	enum ccg_status s;

	if (k == NULL || dk == NULL || out == NULL || out_len == NULL || (aad == NULL && aad_len > 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "kek.wrap", "missing argument");
	if (aad_len > CCG_KEK_MAX_AAD)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "kek.wrap", "aad over %d bytes", CCG_KEK_MAX_AAD);
	if (*out_len < CCG_KEK_WRAPPED_LEN)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "kek.wrap", "output under %d bytes",
				     CCG_KEK_WRAPPED_LEN);
	if ((s = ccg_aes256gcm_seal(k->key->data, aad, aad_len, dk, CCG_KEK_DK_LEN, out, err)) != CCG_OK)
		return s;
	*out_len = CCG_KEK_WRAPPED_LEN;
	return CCG_OK;
}

enum ccg_status ccg_kek_unwrap(const struct ccg_kek *k, const uint8_t *in, size_t in_len, const uint8_t *aad,
			       size_t aad_len, uint8_t dk[32], struct ccg_error *err)
{
	if (k == NULL || in == NULL || dk == NULL || (aad == NULL && aad_len > 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "kek.unwrap", "missing argument");
	memset(dk, 0, CCG_KEK_DK_LEN);
	if (in_len != CCG_KEK_WRAPPED_LEN)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "kek.unwrap", "%zu bytes, not %d", in_len,
				     CCG_KEK_WRAPPED_LEN);
	if (aad_len > CCG_KEK_MAX_AAD)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "kek.unwrap", "aad over %d bytes", CCG_KEK_MAX_AAD);
	return ccg_aes256gcm_open(k->key->data, aad, aad_len, in, in_len, dk, "kek.unwrap", err);
}
