/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EAR attestation-result tokens: the signing key (a P-384 PEM file), its
 * JWKS, the EAR claims set and its ES384 compact JWS, all JOSE work done by
 * libjose (latchset José) on OpenSSL; this file only decides what goes in a
 * token and what a token must satisfy.
 */
#include "token/ear.h"

#include <errno.h>
#include <fcntl.h>
#include <jose/jose.h>
#include <jose/openssl.h>
#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"
#include "common/secret.h"

#define EAR_PROFILE "tag:github.com,2023:veraison/ear"
#define EAR_KEY_FILE_MAX (16 * 1024)
#define EAR_MAX_SUBMODS 64
#define EAR_NONCE_MIN 8 /* EAT (RFC 9711) eat_nonce: 8 to 64 bytes */
#define EAR_NONCE_MAX 64
#define ES384_SIG_B64_LEN 128 /* 96 bytes r||s, base64url without padding */

struct ccg_ear_key {
	EVP_PKEY *pkey;
	json_t *pub_jwk; /* kty, crv, x, y, kid, alg, use */
	char *kid;
};

/* ---- the key file ---- */

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1; /* an encrypted key file is refused rather than prompting */
}

static enum ccg_status check_p384(EVP_PKEY *k, const char *path, struct ccg_error *err)
{
	char group[64];
	size_t glen = 0;

	if (!EVP_PKEY_is_a(k, "EC"))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ear.key",
				     "%s: not an EC key (EAR tokens are signed ES384 with a P-384 key)", path);
	if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen) != 1 ||
	    strcmp(group, "secp384r1") != 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ear.key",
				     "%s: EC key on curve %s, not P-384 (ES384 needs P-384)", path,
				     glen > 0 ? group : "(unknown)");
	return CCG_OK;
}

/* Reads the open key file fd: a regular file that only its owner may read or write, one PEM private key. */
static enum ccg_status load_fd(int fd, const char *path, EVP_PKEY **out, struct ccg_error *err)
{
	struct ccg_secret *buf = NULL;
	struct stat st;
	BIO *bio = NULL;
	EVP_PKEY *k = NULL;
	size_t len = 0;
	enum ccg_status s;

	*out = NULL;
	if (fstat(fd, &st) != 0)
		return ccg_error_set(err, CCG_ERR_IO, "ear.key", "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ear.key", "%s: not a regular file", path);
	if (st.st_uid != geteuid())
		return ccg_error_set(
			err, CCG_ERR_INVALID_ARG, "ear.key.owner",
			"%s: owned by uid %u, not by this process's uid %u (another user holds the signing key)", path,
			(unsigned)st.st_uid, (unsigned)geteuid());
	if ((st.st_mode & 077) != 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ear.key.mode",
				     "%s: mode %04o lets group or others at the signing key (need 0600 or stricter)",
				     path, (unsigned)(st.st_mode & 07777));
	if (st.st_size <= 0 || st.st_size > EAR_KEY_FILE_MAX)
		return ccg_error_set(err, st.st_size <= 0 ? CCG_ERR_ENCODING : CCG_ERR_TOO_LARGE, "ear.key",
				     "%s: %lld bytes, not a PEM key (at most %d)", path, (long long)st.st_size,
				     EAR_KEY_FILE_MAX);
	s = ccg_secret_new(EAR_KEY_FILE_MAX, &buf);
	if (s != CCG_OK)
		return ccg_error_set(err, s, "ear.key", "no memory for the key");
	while (len < EAR_KEY_FILE_MAX) {
		ssize_t n = read(fd, buf->data + len, EAR_KEY_FILE_MAX - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s = ccg_error_set(err, CCG_ERR_IO, "ear.key", "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if ((bio = BIO_new_mem_buf(buf->data, (int)len)) == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "ear.key", "no memory");
		goto out;
	}
	k = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (k == NULL) {
		s = ccg_openssl_error(err, CCG_ERR_ENCODING, "ear.key", "not an unencrypted PEM private key");
		goto out;
	}
	s = check_p384(k, path, err);
	if (s != CCG_OK)
		goto out;
	*out = k;
	k = NULL;
out:
	EVP_PKEY_free(k);
	BIO_free(bio);
	ccg_secret_free(buf);
	return s;
}

/* fsync of the directory that holds path, so a name just linked there is durable. */
static enum ccg_status sync_dir(const char *path, struct ccg_error *err)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? strdup(".") : slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
	enum ccg_status s = CCG_OK;
	int fd;

	if (dir == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "ear.key", "no memory");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		s = ccg_error_set(err, CCG_ERR_IO, "ear.key", "syncing %s: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(dir);
	return s;
}

/*
 * Creates a fresh key at path. The PEM is written whole to a 0600 temporary
 * file beside path and then link()ed to path, which, like O_CREAT|O_EXCL,
 * fails when path exists: a racing creator either wins or finds the winner's
 * complete file (*exists = true), never a half-written one.
 */
static enum ccg_status create_key(const char *path, bool *exists, struct ccg_error *err)
{
	char *tmp = NULL;
	EVP_PKEY *k = NULL;
	BIO *mem = NULL;
	char *pem = NULL;
	long pem_len;
	int fd = -1;
	enum ccg_status s;
	size_t off = 0;

	*exists = false;
	if (asprintf(&tmp, "%s.new.XXXXXX", path) < 0) {
		tmp = NULL;
		return ccg_error_set(err, CCG_ERR_NOMEM, "ear.key", "no memory");
	}
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	if (k == NULL) {
		s = ccg_openssl_error(err, CCG_ERR_CRYPTO, "ear.key", "P-384 key generation failed");
		goto out;
	}
	if ((mem = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(mem, k, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (pem_len = BIO_get_mem_data(mem, &pem)) <= 0) {
		s = ccg_openssl_error(err, CCG_ERR_CRYPTO, "ear.key", "cannot encode the key as PEM");
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
	if (fd < 0) {
		s = ccg_error_set(err, errno == ENOENT ? CCG_ERR_NOT_FOUND : CCG_ERR_IO, "ear.key",
				  "cannot create a key file beside %s: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) != 0)
		goto io_error;
	while (off < (size_t)pem_len) {
		ssize_t n = write(fd, pem + off, (size_t)pem_len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto io_error;
		off += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto io_error;
	if (link(tmp, path) != 0) {
		if (errno == EEXIST) {
			*exists = true;
			s = CCG_OK;
			goto out;
		}
		goto io_error;
	}
	s = sync_dir(path, err); /* the new name survives a crash, as the tokens signed with it do */
	goto out;
io_error:
	s = ccg_error_set(err, CCG_ERR_IO, "ear.key", "writing %s: %s", path, strerror(errno));
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	BIO_free(mem); /* secure-heap BIO: wiped on free */
	EVP_PKEY_free(k);
	free(tmp);
	return s;
}

/* The private JWK of k (with "d"), for one signature; free it with jwk_wipe_free. */
static json_t *private_jwk(EVP_PKEY *k)
{
	json_t *jwk = jose_openssl_jwk_from_EVP_PKEY(NULL, k);

	if (jwk != NULL && json_object_set_new(jwk, "alg", json_string("ES384")) != 0) {
		json_decref(jwk);
		return NULL;
	}
	return jwk;
}

static void jwk_wipe_free(json_t *jwk)
{
	json_t *d = json_object_get(jwk, "d");

	if (json_is_string(d) && json_string_length(d) > 0)
		OPENSSL_cleanse((char *)json_string_value(d), json_string_length(d));
	json_decref(jwk);
}

/*
 * A self-signed certificate for the key, base64 DER (RFC 7517 §4.7 x5c).
 * NVIDIA's attestation SDK takes an NRAS signing key only from a JWK's x5c
 * (its JwkStore skips keys without one), so the JWKS carries it. Its validity
 * is fixed (1970 to 9999-12-31, RFC 5280 §4.1.2.5's "no well-defined
 * expiration"): the key's lifetime is the key file's, not a clock's.
 */
static char *self_signed_x5c(EVP_PKEY *pkey, const char *kid)
{
	X509 *x = X509_new();
	X509_NAME *name = NULL;
	ASN1_TIME *nb = NULL, *na = NULL;
	uint8_t *der = NULL, serial[16], digest[CCG_SHA256_LEN];
	BIGNUM *bn = NULL;
	char cn[128], *out = NULL;
	int der_len;

	snprintf(cn, sizeof(cn), "%.64s", kid); /* CN: the kid (43 characters; ub-common-name is 64) */
	/* serial: the first 16 bytes of the kid text's SHA-256, top bit clear (positive) */
	if (x == NULL || ccg_sha256((const uint8_t *)kid, strlen(kid), digest) != CCG_OK)
		goto out;
	memcpy(serial, digest, sizeof(serial));
	serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x40);
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL || X509_set_version(x, X509_VERSION_3) != 1 ||
	    (name = X509_NAME_new()) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"ccgpu EAR signing key", -1, -1,
				       0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_subject_name(x, name) != 1 || X509_set_issuer_name(x, name) != 1 ||
	    (nb = ASN1_TIME_new()) == NULL || (na = ASN1_TIME_new()) == NULL ||
	    ASN1_TIME_set_string_X509(nb, "19700101000000Z") != 1 ||
	    ASN1_TIME_set_string_X509(na, "99991231235959Z") != 1 || X509_set1_notBefore(x, nb) != 1 ||
	    X509_set1_notAfter(x, na) != 1 || X509_set_pubkey(x, pkey) != 1 || X509_sign(x, pkey, EVP_sha384()) <= 0 ||
	    (der_len = i2d_X509(x, &der)) <= 0)
		goto out;
	out = ccg_base64_encode_alloc(der, (size_t)der_len);
out:
	OPENSSL_free(der);
	BN_free(bn);
	ASN1_TIME_free(nb);
	ASN1_TIME_free(na);
	X509_NAME_free(name);
	X509_free(x);
	return out;
}

static enum ccg_status key_from_pkey(EVP_PKEY *pkey, struct ccg_ear_key **out, struct ccg_error *err)
{
	struct ccg_ear_key *k = calloc(1, sizeof(*k));
	json_t *jwk = NULL, *thp = NULL;
	char *x5c = NULL;
	enum ccg_status s;

	if (k == NULL) {
		EVP_PKEY_free(pkey);
		return ccg_error_set(err, CCG_ERR_NOMEM, "ear.key", "no memory");
	}
	k->pkey = pkey;
	jwk = private_jwk(pkey);
	if (jwk == NULL || !jose_jwk_pub(NULL, jwk) || json_object_get(jwk, "d") != NULL) {
		s = ccg_error_set(err, CCG_ERR_CRYPTO, "ear.key", "cannot express the key as a JWK");
		goto out;
	}
	thp = jose_jwk_thp(NULL, jwk, "S256"); /* RFC 7638 over crv, kty, x, y */
	if (!json_is_string(thp) || (k->kid = strdup(json_string_value(thp))) == NULL ||
	    json_object_set_new(jwk, "kid", json_string(k->kid)) != 0 ||
	    json_object_set_new(jwk, "use", json_string("sig")) != 0) {
		s = ccg_error_set(err, CCG_ERR_CRYPTO, "ear.key", "cannot compute the key's RFC 7638 thumbprint");
		goto out;
	}
	x5c = self_signed_x5c(pkey, k->kid);
	if (x5c == NULL || json_object_set_new(jwk, "x5c", json_pack("[s]", x5c)) != 0) {
		s = ccg_openssl_error(err, CCG_ERR_CRYPTO, "ear.key", "cannot make the key's x5c certificate");
		goto out;
	}
	k->pub_jwk = jwk;
	jwk = NULL;
	*out = k;
	k = NULL;
	s = CCG_OK;
out:
	if (jwk != NULL)
		jwk_wipe_free(jwk);
	json_decref(thp);
	free(x5c);
	ccg_ear_key_free(k);
	return s;
}

enum ccg_status ccg_ear_key_load_or_create(const char *path, struct ccg_ear_key **out, struct ccg_error *err)
{
	EVP_PKEY *pkey = NULL;
	enum ccg_status s;

	if (out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ear.key", "no output");
	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ear.key", "no key file path");
	for (int attempt = 0; attempt < 2; attempt++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		bool exists;

		if (fd >= 0) {
			s = load_fd(fd, path, &pkey, err);
			close(fd);
			if (s != CCG_OK)
				return s;
			return key_from_pkey(pkey, out, err);
		}
		if (errno != ENOENT)
			return ccg_error_set(err, errno == ELOOP ? CCG_ERR_INVALID_ARG : CCG_ERR_IO, "ear.key",
					     "%s: %s", path, errno == ELOOP ? "a symbolic link" : strerror(errno));
		s = create_key(path, &exists, err);
		if (s != CCG_OK)
			return s;
		/* created, or another process created it first: load what is there now */
	}
	return ccg_error_set(err, CCG_ERR_IO, "ear.key", "%s: created but cannot be opened", path);
}

void ccg_ear_key_free(struct ccg_ear_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	json_decref(k->pub_jwk);
	free(k->kid);
	free(k);
}

const char *ccg_ear_key_kid(const struct ccg_ear_key *k)
{
	return k == NULL ? NULL : k->kid;
}

json_t *ccg_ear_key_jwks(const struct ccg_ear_key *k)
{
	json_t *pub;

	if (k == NULL || (pub = json_deep_copy(k->pub_jwk)) == NULL)
		return NULL;
	if (json_object_set_new(pub, "alg", json_string("ES384")) != 0) {
		json_decref(pub);
		return NULL;
	}
	return json_pack("{s:[o]}", "keys", pub);
}

/* ---- signing ---- */

static char *b64url(const void *data, size_t len)
{
	json_t *j = jose_b64_enc(data, len);
	char *s = json_is_string(j) ? strdup(json_string_value(j)) : NULL;

	json_decref(j);
	return s;
}

enum ccg_status ccg_jws_sign_es384(EVP_PKEY *pkey, json_t *hdr, const char *payload, const char *where, char **out,
				   struct ccg_error *err)
{
	json_t *jwk = private_jwk(pkey), *jws, *sig;
	const char *prot, *pay, *sg;
	enum ccg_status s;

	*out = NULL;
	jws = json_pack("{s:o}", "payload", jose_b64_enc(payload, strlen(payload)));
	sig = hdr != NULL ? json_pack("{s:o}", "protected", hdr) : NULL;
	if (jwk == NULL || jws == NULL || sig == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, where, "no memory");
		goto out;
	}
	if (!jose_jws_sig(NULL, jws, sig, jwk)) {
		s = ccg_openssl_error(err, CCG_ERR_CRYPTO, where, "ES384 signing failed");
		goto out;
	}
	prot = json_string_value(json_object_get(jws, "protected"));
	pay = json_string_value(json_object_get(jws, "payload"));
	sg = json_string_value(json_object_get(jws, "signature"));
	if (prot == NULL || pay == NULL || sg == NULL || json_object_get(jws, "header") != NULL) {
		s = ccg_error_set(err, CCG_ERR_INTERNAL, where, "libjose gave no flattened JWS");
		goto out;
	}
	if (asprintf(out, "%s.%s.%s", prot, pay, sg) < 0) {
		*out = NULL;
		s = ccg_error_set(err, CCG_ERR_NOMEM, where, "no memory");
		goto out;
	}
	s = CCG_OK;
out:
	if (jwk != NULL)
		jwk_wipe_free(jwk);
	json_decref(jws);
	json_decref(sig);
	return s;
}

enum ccg_status ccg_ear_sign(const struct ccg_ear_key *k, const json_t *claims, char **out_jws, struct ccg_error *err)
{
	char *payload;
	enum ccg_status s;

	if (out_jws == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ear.sign", "no output");
	*out_jws = NULL;
	if (k == NULL || !json_is_object(claims))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ear.sign", "need a key and a claims object");
	payload = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
	if (payload == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "ear.sign", "cannot serialise the claims");
	if (strlen(payload) > CCG_EAR_MAX_TOKEN / 2)
		s = ccg_error_set(err, CCG_ERR_TOO_LARGE, "ear.sign", "claims of %zu bytes (at most %d)",
				  strlen(payload), CCG_EAR_MAX_TOKEN / 2);
	else
		s = ccg_jws_sign_es384(k->pkey, json_pack("{s:s,s:s,s:s}", "alg", "ES384", "typ", "JWT", "kid", k->kid),
				       payload, "ear.sign", out_jws, err);
	free(payload);
	return s;
}

/* ---- claims ---- */

const char *ccg_ear_status_name(enum ccg_ear_status s)
{
	switch (s) {
	case CCG_EAR_NONE: return "none";
	case CCG_EAR_AFFIRMING: return "affirming";
	case CCG_EAR_WARNING: return "warning";
	case CCG_EAR_CONTRAINDICATED: return "contraindicated";
	}
	return NULL;
}

bool ccg_ear_status_parse(const char *name, enum ccg_ear_status *out)
{
	static const enum ccg_ear_status all[] = {CCG_EAR_NONE, CCG_EAR_AFFIRMING, CCG_EAR_WARNING,
						  CCG_EAR_CONTRAINDICATED};

	for (size_t i = 0; name != NULL && i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(name, ccg_ear_status_name(all[i])) == 0) {
			*out = all[i];
			return true;
		}
	return false;
}

/* How bad a status is: contraindicated, then warning, then none (nothing vouched for), then affirming. */
static int severity(enum ccg_ear_status s)
{
	switch (s) {
	case CCG_EAR_AFFIRMING: return 0;
	case CCG_EAR_NONE: return 1;
	case CCG_EAR_WARNING: return 2;
	case CCG_EAR_CONTRAINDICATED: return 3;
	}
	return 3;
}

/* AR4SI trustworthiness claims (draft-ietf-rats-ar4si §2.3) */
static const char *const tv_keys[] = {
	"instance-identity", "configuration",  "executables",    "file-system",
	"hardware",          "runtime-opaque", "storage-opaque", "sourced-data",
};
#define TV_KEYS (sizeof(tv_keys) / sizeof(tv_keys[0]))

/*
 * The vector a status stands for when the appraisal gave none: the verifier
 * vouches for the device's identity, hardware/firmware, configuration and
 * code (AR4SI values 2 "trustworthy instance", "genuine", "approved config",
 * "approved runtime"; 32 the known-vulnerable tier; 96 contraindicated) and
 * makes no claim (0) about file system, opaque runtime/storage and sourced data.
 */
static json_t *derived_vector(enum ccg_ear_status s)
{
	int v = s == CCG_EAR_AFFIRMING ? 2 : s == CCG_EAR_WARNING ? 32 : s == CCG_EAR_CONTRAINDICATED ? 96 : 0;
	json_t *tv = json_object();

	for (size_t i = 0; tv != NULL && i < TV_KEYS; i++) {
		bool claimed = i == 0 || i == 1 || i == 2 || i == 4;

		if (json_object_set_new(tv, tv_keys[i], json_integer(claimed ? v : 0)) != 0) {
			json_decref(tv);
			return NULL;
		}
	}
	return tv;
}

static enum ccg_status check_vector(const json_t *tv, const char *where, struct ccg_error *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(tv))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "trust vector is not a JSON object");
	json_object_foreach((json_t *)tv, key, v) {
		size_t i;

		for (i = 0; i < TV_KEYS && strcmp(key, tv_keys[i]) != 0; i++)
			;
		if (i == TV_KEYS)
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, where,
					     "\"%s\" is not an AR4SI trustworthiness claim", key);
		if (!json_is_integer(v) || json_integer_value(v) < -128 || json_integer_value(v) > 127)
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, where,
					     "\"%s\" must be an integer in [-128, 127]", key);
	}
	return CCG_OK;
}

/* A JWK that could carry a private part (EC/OKP/RSA "d", RSA factors, oct "k") is not a public key. */
static enum ccg_status check_public_jwk(const json_t *jwk, struct ccg_error *err)
{
	static const char *const priv[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

	if (!json_is_object(jwk) || !json_is_string(json_object_get(jwk, "kty")))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ear.cnf.jwk", "not a JWK (object with \"kty\")");
	for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++)
		if (json_object_get(jwk, priv[i]) != NULL)
			return ccg_error_set(
				err, CCG_ERR_INVALID_ARG, "ear.cnf.jwk",
				"the TEE key holds private member \"%s\": only a public JWK goes in a token", priv[i]);
	return CCG_OK;
}

static enum ccg_status submod_claims(const struct ccg_ear_submod *m, const char *policy_id, json_t **out,
				     struct ccg_error *err)
{
	char where[CCG_ERROR_WHERE_MAX];
	json_t *o = NULL, *tv = NULL;
	enum ccg_status s;

	*out = NULL;
	snprintf(where, sizeof(where), "ear.submods.%s", m->name);
	if (ccg_ear_status_name(m->status) == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "status %d is not an EAR status", (int)m->status);
	if (m->trust_vector != NULL) {
		s = check_vector(m->trust_vector, where, err);
		if (s != CCG_OK)
			return s;
		tv = json_deep_copy(m->trust_vector);
	} else {
		tv = derived_vector(m->status);
	}
	if (m->claims != NULL && !json_is_object(m->claims))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "claims must be a JSON object");
	if (m->errors != NULL && !json_is_array(m->errors))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "errors must be a JSON array");
	o = json_pack("{s:s,s:o?}", "ear.status", ccg_ear_status_name(m->status), "ear.trustworthiness-vector", tv);
	tv = NULL;
	if (o == NULL ||
	    (policy_id != NULL && json_object_set_new(o, "ear.appraisal-policy-id", json_string(policy_id)) != 0) ||
	    (m->claims != NULL && json_object_set_new(o, "ccgpu.claims", json_deep_copy(m->claims)) != 0) ||
	    (m->errors != NULL && json_object_set_new(o, "ccgpu.errors", json_deep_copy(m->errors)) != 0)) {
		json_decref(o);
		return ccg_error_set(err, CCG_ERR_NOMEM, where, "no memory");
	}
	*out = o;
	return CCG_OK;
}

enum ccg_status ccg_ear_issue(const struct ccg_ear_key *k, const struct ccg_ear_params *p, char **out_jws,
			      json_t **out_claims, struct ccg_error *err)
{
	json_t *claims = NULL, *submods = NULL;
	enum ccg_ear_status overall = CCG_EAR_AFFIRMING;
	enum ccg_status s;

	if (out_jws != NULL)
		*out_jws = NULL;
	if (out_claims != NULL)
		*out_claims = NULL;
	if (k == NULL || p == NULL || out_jws == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ear", "need a key, parameters and an output");
	if (p->verifier_developer == NULL || p->verifier_build == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ear.verifier-id", "developer and build are required");
	if (p->exp <= p->iat)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "exp", "exp %lld is not after iat %lld",
				     (long long)p->exp, (long long)p->iat);
	if (p->n_submods == 0 || p->submods == NULL || p->n_submods > EAR_MAX_SUBMODS)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "submods", "%zu submods (need 1 to %d)", p->n_submods,
				     EAR_MAX_SUBMODS);
	if (p->nonce != NULL && (p->nonce_len < EAR_NONCE_MIN || p->nonce_len > EAR_NONCE_MAX))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "eat_nonce", "%zu bytes (EAT allows %d to %d)",
				     p->nonce_len, EAR_NONCE_MIN, EAR_NONCE_MAX);
	if (p->tee_jwk != NULL && (s = check_public_jwk(p->tee_jwk, err)) != CCG_OK)
		return s;

	claims = json_pack("{s:s,s:I,s:I,s:{s:s,s:s}}", "eat_profile", EAR_PROFILE, "iat", (json_int_t)p->iat, "exp",
			   (json_int_t)p->exp, "ear.verifier-id", "developer", p->verifier_developer, "build",
			   p->verifier_build);
	submods = json_object();
	if (claims == NULL || submods == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "ear", "no memory");
		goto out;
	}
	for (size_t i = 0; i < p->n_submods; i++) {
		const struct ccg_ear_submod *m = &p->submods[i];
		json_t *o;

		if (m->name == NULL || m->name[0] == '\0') {
			s = ccg_error_set(err, CCG_ERR_INVALID_ARG, "submods", "submod %zu has no name", i);
			goto out;
		}
		if (json_object_get(submods, m->name) != NULL) {
			s = ccg_error_set(err, CCG_ERR_DUPLICATE, "submods", "submod \"%s\" given twice", m->name);
			goto out;
		}
		s = submod_claims(m, p->policy_id, &o, err);
		if (s != CCG_OK)
			goto out;
		if (json_object_set_new(submods, m->name, o) != 0) {
			s = ccg_error_set(err, CCG_ERR_NOMEM, "submods", "no memory");
			goto out;
		}
		if (severity(m->status) > severity(overall))
			overall = m->status;
	}
	if (json_object_set(claims, "submods", submods) != 0 ||
	    json_object_set_new(claims, "ear.status", json_string(ccg_ear_status_name(overall))) != 0) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "ear", "no memory");
		goto out;
	}
	if (p->nonce != NULL) {
		char *n = b64url(p->nonce, p->nonce_len);

		if (n == NULL || json_object_set_new(claims, "eat_nonce", json_string(n)) != 0) {
			free(n);
			s = ccg_error_set(err, CCG_ERR_NOMEM, "eat_nonce", "no memory");
			goto out;
		}
		free(n);
	}
	if (p->tee_jwk != NULL &&
	    json_object_set_new(claims, "cnf", json_pack("{s:o}", "jwk", json_deep_copy(p->tee_jwk))) != 0) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "cnf", "no memory");
		goto out;
	}
	s = ccg_ear_sign(k, claims, out_jws, err);
	if (s != CCG_OK)
		goto out;
	if (out_claims != NULL) {
		*out_claims = claims;
		claims = NULL;
	}
out:
	json_decref(submods);
	json_decref(claims);
	return s;
}

/* ---- verification ---- */

bool ccg_b64url_text(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_'))
			return false;
	}
	return n > 0;
}

/* Decodes one base64url part of a token and parses it as a JSON object. */
static enum ccg_status part_json(const char *b64, size_t len, const char *where, json_t **out, struct ccg_error *err)
{
	size_t n = jose_b64_dec_buf(b64, len, NULL, 0);
	uint8_t *buf = NULL;
	enum ccg_status s;

	*out = NULL;
	if (n == SIZE_MAX || (buf = malloc(n + 1)) == NULL || jose_b64_dec_buf(b64, len, buf, n) != n) {
		free(buf);
		return ccg_error_set(err, n == SIZE_MAX ? CCG_ERR_ENCODING : CCG_ERR_NOMEM, where, "bad base64url");
	}
	s = ccg_json_parse(buf, n, CCG_EAR_MAX_TOKEN, where, out, err);
	free(buf);
	if (s == CCG_OK && !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "not a JSON object");
	}
	return s;
}

static enum ccg_status check_header(const json_t *hdr, const char **kid, struct ccg_error *err)
{
	const char *key, *alg = json_string_value(json_object_get(hdr, "alg"));
	json_t *v;

	/* the algorithm is pinned: never taken from the token */
	if (alg == NULL)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "token.header.alg", "missing");
	if (strcmp(alg, "ES384") != 0)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "token.header.alg", "\"%.32s\" (only ES384 is accepted)",
				     alg);
	json_object_foreach((json_t *)hdr, key, v) {
		if (strcmp(key, "alg") == 0)
			continue;
		if (strcmp(key, "kid") == 0 && json_is_string(v))
			continue;
		if (strcmp(key, "typ") == 0 && json_is_string(v) && strcmp(json_string_value(v), "JWT") == 0)
			continue;
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "token.header",
				     "member \"%.32s\" not accepted (only alg ES384, kid, typ JWT)", key);
	}
	*kid = json_string_value(json_object_get(hdr, "kid"));
	if (*kid == NULL)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "token.header.kid", "missing (keys are chosen by kid)");
	return CCG_OK;
}

enum ccg_status ccg_ear_jwks_find(const json_t *jwks, const char *kid, const json_t **out, struct ccg_error *err)
{
	const json_t *keys = json_object_get(jwks, "keys"), *found = NULL;
	const char *v;
	size_t i;
	json_t *jwk;

	*out = NULL;
	if (!json_is_array(keys))
		return ccg_error_set(err, CCG_ERR_MALFORMED, "jwks.keys", "a JWKS is an object with a \"keys\" array");
	json_array_foreach(keys, i, jwk) {
		const char *k = json_string_value(json_object_get(jwk, "kid"));

		if (k == NULL || strcmp(k, kid) != 0)
			continue;
		if (found != NULL)
			return ccg_error_set(err, CCG_ERR_DUPLICATE, "jwks.keys", "two keys with kid \"%.64s\"", kid);
		found = jwk;
	}
	if (found == NULL)
		return ccg_error_set(err, CCG_ERR_TOKEN_KEY_UNKNOWN, "token.header.kid",
				     "no key with kid \"%.64s\" in the JWKS", kid);
	if ((v = json_string_value(json_object_get(found, "kty"))) == NULL || strcmp(v, "EC") != 0 ||
	    (v = json_string_value(json_object_get(found, "crv"))) == NULL || strcmp(v, "P-384") != 0)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "jwks.keys", "key \"%.64s\" is not an EC P-384 key",
				     kid);
	if (json_object_get(found, "alg") != NULL &&
	    ((v = json_string_value(json_object_get(found, "alg"))) == NULL || strcmp(v, "ES384") != 0))
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "jwks.keys", "key \"%.64s\" is not for ES384", kid);
	if (json_object_get(found, "use") != NULL &&
	    ((v = json_string_value(json_object_get(found, "use"))) == NULL || strcmp(v, "sig") != 0))
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "jwks.keys", "key \"%.64s\" is not for signatures", kid);
	*out = found;
	return CCG_OK;
}

enum ccg_status ccg_jws_verify(const char *token, const json_t *jwks, json_t **out_payload, struct ccg_error *err)
{
	const char *dot1, *dot2, *kid = NULL;
	json_t *hdr = NULL, *flat = NULL, *payload = NULL;
	const json_t *jwk = NULL;
	size_t len, hl, pl, sl;
	enum ccg_status s;

	*out_payload = NULL;
	if (token == NULL || jwks == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "token", "need a token and a JWKS");
	len = strnlen(token, CCG_EAR_MAX_TOKEN + 1);
	if (len > CCG_EAR_MAX_TOKEN)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "token", "longer than %d bytes", CCG_EAR_MAX_TOKEN);
	dot1 = memchr(token, '.', len);
	dot2 = dot1 == NULL ? NULL : memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token));
	if (dot2 == NULL)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "token", "not a compact JWS (header.payload.signature)");
	hl = (size_t)(dot1 - token);
	pl = (size_t)(dot2 - dot1 - 1);
	sl = len - (size_t)(dot2 + 1 - token);
	if (!ccg_b64url_text(token, hl))
		return ccg_error_set(err, CCG_ERR_ENCODING, "token.header", "not base64url");
	if (!ccg_b64url_text(dot1 + 1, pl))
		return ccg_error_set(err, CCG_ERR_ENCODING, "token.payload", "not base64url");
	if (sl > 0 && !ccg_b64url_text(dot2 + 1, sl))
		return ccg_error_set(err, CCG_ERR_ENCODING, "token.signature", "not base64url (or a fourth part)");
	s = part_json(token, hl, "token.header", &hdr, err);
	if (s != CCG_OK)
		goto out;
	s = check_header(hdr, &kid, err);
	if (s != CCG_OK)
		goto out;
	if (sl != ES384_SIG_B64_LEN) {
		s = ccg_error_set(err, CCG_ERR_SIGNATURE, "token.signature",
				  "%zu base64url characters (an ES384 signature has %d)", sl, ES384_SIG_B64_LEN);
		goto out;
	}
	s = ccg_ear_jwks_find(jwks, kid, &jwk, err);
	if (s != CCG_OK)
		goto out;
	flat = json_pack("{s:s%,s:s%,s:s%}", "protected", token, hl, "payload", dot1 + 1, pl, "signature", dot2 + 1,
			 sl);
	if (flat == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "token", "no memory");
		goto out;
	}
	if (!jose_jws_ver(NULL, flat, NULL, jwk, false)) {
		s = ccg_openssl_error(err, CCG_ERR_SIGNATURE, "token.signature",
				      "ES384 signature does not verify with the JWKS key");
		goto out;
	}
	s = part_json(dot1 + 1, pl, "token.payload", &payload, err);
	if (s != CCG_OK)
		goto out;
	*out_payload = payload;
	payload = NULL;
out:
	json_decref(hdr);
	json_decref(flat);
	json_decref(payload);
	return s;
}

enum ccg_status ccg_jwt_check_times(const json_t *claims, int64_t now, struct ccg_error *err)
{
	json_t *iat = json_object_get(claims, "iat"), *exp = json_object_get(claims, "exp");

	if (!json_is_integer(iat))
		return ccg_error_set(err, CCG_ERR_MALFORMED, "iat", "missing or not an integer");
	if (!json_is_integer(exp))
		return ccg_error_set(err, CCG_ERR_MALFORMED, "exp", "missing or not an integer");
	if (now < json_integer_value(iat))
		return ccg_error_set(err, CCG_ERR_TOKEN_NOT_YET_VALID, "iat", "issued at %lld, after now (%lld)",
				     (long long)json_integer_value(iat), (long long)now);
	if (now >= json_integer_value(exp))
		return ccg_error_set(err, CCG_ERR_TOKEN_EXPIRED, "exp", "expired at %lld, now is %lld",
				     (long long)json_integer_value(exp), (long long)now);
	return CCG_OK;
}

/* The EAR claims every token must hold beyond its times (what Veraison's ear library requires). */
static enum ccg_status check_ear_claims(const json_t *c, struct ccg_error *err)
{
	const char *profile = json_string_value(json_object_get(c, "eat_profile")), *key;
	const json_t *vid = json_object_get(c, "ear.verifier-id"), *submods = json_object_get(c, "submods");
	enum ccg_ear_status st;
	json_t *m;

	if (profile == NULL || strcmp(profile, EAR_PROFILE) != 0)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "eat_profile", "%s (need \"" EAR_PROFILE "\")",
				     profile == NULL ? "missing" : "another profile");
	if (!json_is_string(json_object_get(vid, "developer")) || !json_is_string(json_object_get(vid, "build")))
		return ccg_error_set(err, CCG_ERR_MALFORMED, "ear.verifier-id", "needs developer and build strings");
	if (!json_is_object(submods) || json_object_size(submods) == 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "submods", "needs at least one appraisal");
	json_object_foreach((json_t *)submods, key, m) {
		if (!ccg_ear_status_parse(json_string_value(json_object_get(m, "ear.status")), &st))
			return ccg_error_set(err, CCG_ERR_MALFORMED, "submods",
					     "\"%.64s\": ear.status missing or unknown", key);
	}
	return CCG_OK;
}

enum ccg_status ccg_ear_verify(const char *jws, const json_t *jwks, int64_t now, json_t **out_claims,
			       struct ccg_error *err)
{
	json_t *claims = NULL;
	enum ccg_status s;

	if (out_claims == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "token", "no output");
	*out_claims = NULL;
	s = ccg_jws_verify(jws, jwks, &claims, err);
	if (s != CCG_OK)
		return s;
	s = check_ear_claims(claims, err);
	if (s == CCG_OK)
		s = ccg_jwt_check_times(claims, now, err);
	if (s != CCG_OK) {
		json_decref(claims);
		return s;
	}
	*out_claims = claims;
	return CCG_OK;
}

enum ccg_status ccg_ear_check_nonce(const json_t *claims, const uint8_t *nonce, size_t nonce_len, struct ccg_error *err)
{
	const char *got = json_string_value(json_object_get(claims, "eat_nonce"));
	char *want;
	bool same;

	if (nonce == NULL || nonce_len < EAR_NONCE_MIN || nonce_len > EAR_NONCE_MAX)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "eat_nonce", "a nonce of %d to %d bytes is needed",
				     EAR_NONCE_MIN, EAR_NONCE_MAX);
	if (got == NULL)
		return ccg_error_set(err, CCG_ERR_NONCE_MISMATCH, "eat_nonce", "the token carries no nonce");
	want = b64url(nonce, nonce_len);
	if (want == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "eat_nonce", "no memory");
	same = strlen(got) == strlen(want) && CRYPTO_memcmp(got, want, strlen(want)) == 0;
	free(want);
	if (!same)
		return ccg_error_set(err, CCG_ERR_NONCE_MISMATCH, "eat_nonce", "the token is over another nonce");
	return CCG_OK;
}
