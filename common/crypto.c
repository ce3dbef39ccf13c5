/* SPDX-License-Identifier: Apache-2.0 */
#include "common/crypto.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/file.h"

enum ccg_status ccg_openssl_error(struct ccg_error *err, enum ccg_status s, const char *where, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	if (buf[0] != '\0')
		return ccg_error_set(err, s, where, "%s: %s", what, buf);
	return ccg_error_set(err, s, where, "%s", what);
}

enum ccg_status ccg_digest(const char *md, const uint8_t *data, size_t len, uint8_t *out, size_t *out_len)
{
	EVP_MD *m = EVP_MD_fetch(NULL, md, NULL);
	unsigned int n = 0;
	int ok;

	if (m == NULL) {
		ERR_clear_error();
		return CCG_ERR_UNSUPPORTED;
	}
	ok = EVP_Digest(data, len, out, &n, m, NULL);
	EVP_MD_free(m);
	if (ok != 1) {
		ERR_clear_error();
		return CCG_ERR_CRYPTO;
	}
	if (out_len != NULL)
		*out_len = n;
	return CCG_OK;
}

enum ccg_status ccg_sha256(const uint8_t *data, size_t len, uint8_t out[CCG_SHA256_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != CCG_SHA256_LEN)
		return CCG_ERR_CRYPTO;
	return CCG_OK;
}

enum ccg_status ccg_sha384(const uint8_t *data, size_t len, uint8_t out[CCG_SHA384_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha384(), NULL) != 1 || n != CCG_SHA384_LEN)
		return CCG_ERR_CRYPTO;
	return CCG_OK;
}

enum ccg_status ccg_ecdsa_raw_to_der(const uint8_t *sig, size_t sig_len, uint8_t **out, size_t *out_len)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	int n;
	enum ccg_status st = CCG_ERR_CRYPTO;

	*out = NULL;
	*out_len = 0;
	if (sig_len == 0 || sig_len % 2 != 0 || sig_len > 2 * 66)
		return CCG_ERR_MALFORMED;
	es = ECDSA_SIG_new();
	r = BN_bin2bn(sig, (int)(sig_len / 2), NULL);
	s = BN_bin2bn(sig + sig_len / 2, (int)(sig_len / 2), NULL);
	if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL; /* owned by es */
	n = i2d_ECDSA_SIG(es, &der);
	if (n <= 0)
		goto out;
	*out = der;
	*out_len = (size_t)n;
	st = CCG_OK;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	ERR_clear_error();
	return st;
}

enum ccg_status ccg_ecdsa_verify_raw(EVP_PKEY *key, const char *md, const uint8_t *msg, size_t msg_len,
				     const uint8_t *sig, size_t sig_len, const char *where, struct ccg_error *err)
{
	EVP_MD_CTX *ctx = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	int bits, rc;
	enum ccg_status st;

	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, where, "signing key is not an EC key");
	bits = EVP_PKEY_get_bits(key);
	if (bits <= 0 || sig_len != 2 * (((size_t)bits + 7) / 8))
		return ccg_error_set(err, CCG_ERR_SIGNATURE, where, "signature is %zu bytes, key of %d bits needs %d",
				     sig_len, bits, 2 * ((bits + 7) / 8));
	st = ccg_ecdsa_raw_to_der(sig, sig_len, &der, &der_len);
	if (st != CCG_OK)
		return ccg_error_set(err, st, where, "cannot encode signature");
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, where, "EVP_MD_CTX_new");
		goto out;
	}
	if (EVP_DigestVerifyInit_ex(ctx, NULL, md, NULL, NULL, key, NULL) != 1) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, where, "EVP_DigestVerifyInit_ex");
		goto out;
	}
	rc = EVP_DigestVerify(ctx, der, der_len, msg, msg_len);
	if (rc == 1) {
		st = CCG_OK;
	} else if (rc == 0) {
		ERR_clear_error();
		st = ccg_error_set(err, CCG_ERR_SIGNATURE, where, "ECDSA signature does not verify");
	} else {
		/* OpenSSL 3.0 reports a malformed signature (r or s out of range) as < 0 */
		st = ccg_openssl_error(err, CCG_ERR_SIGNATURE, where, "ECDSA signature rejected");
	}
out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return st;
}

enum ccg_status ccg_ecdsa_sign_raw(EVP_PKEY *key, const char *md, const uint8_t *msg, size_t msg_len, uint8_t *out,
				   size_t out_len, const char *where, struct ccg_error *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[160];
	size_t der_len = sizeof(der);
	const unsigned char *p = der;
	ECDSA_SIG *sig = NULL;
	const BIGNUM *r, *s;
	int half = (int)(out_len / 2);
	enum ccg_status st = CCG_OK;

	if (out_len == 0 || out_len % 2 != 0 || out_len > 2 * 66) {
		st = ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "signature buffer of %zu bytes", out_len);
		goto out;
	}
	if (ctx == NULL || EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, key, NULL) != 1 ||
	    EVP_DigestSign(ctx, der, &der_len, msg, msg_len) != 1 ||
	    (sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) == NULL) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, where, "ECDSA signing");
		goto out;
	}
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, out, half) != half || BN_bn2binpad(s, out + half, half) != half)
		st = ccg_error_set(err, CCG_ERR_CRYPTO, where, "r or s does not fit %d bytes", half);
out:
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return st;
}

static bool only_space(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

enum ccg_status ccg_pem_certs_parse(const uint8_t *pem, size_t pem_len, size_t max_certs, STACK_OF(X509) **out,
				    struct ccg_error *err)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	STACK_OF(X509) *sk = NULL;
	size_t pos = 0;
	enum ccg_status st = CCG_OK;

	*out = NULL;
	if (pem_len > INT32_MAX)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "pem", "PEM text too large");
	sk = sk_X509_new_null();
	if (sk == NULL)
		return CCG_ERR_NOMEM;
	while (pos < pem_len) {
		const uint8_t *b, *e;
		size_t blen;
		BIO *bio;
		X509 *x;

		b = memmem(pem + pos, pem_len - pos, begin, sizeof(begin) - 1);
		if (b == NULL) {
			if (!only_space(pem + pos, pem_len - pos))
				st = ccg_error_set(err, CCG_ERR_ENCODING, "pem",
						   "text after certificate %d is not a certificate", sk_X509_num(sk));
			break;
		}
		if (!only_space(pem + pos, (size_t)(b - (pem + pos)))) {
			st = ccg_error_set(err, CCG_ERR_ENCODING, "pem",
					   "text before certificate %d is not a certificate", sk_X509_num(sk));
			break;
		}
		e = memmem(b, pem_len - (size_t)(b - pem), end, sizeof(end) - 1);
		if (e == NULL) {
			st = ccg_error_set(err, CCG_ERR_TRUNCATED, "pem", "certificate %d has no END line",
					   sk_X509_num(sk));
			break;
		}
		if ((size_t)sk_X509_num(sk) >= max_certs) {
			st = ccg_error_set(err, CCG_ERR_TOO_LARGE, "pem", "more than %zu certificates", max_certs);
			break;
		}
		blen = (size_t)(e - b) + sizeof(end) - 1;
		bio = BIO_new_mem_buf(b, (int)blen);
		x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
		if (x == NULL) {
			char where[32];

			snprintf(where, sizeof(where), "pem[%d]", sk_X509_num(sk));
			st = ccg_openssl_error(err, CCG_ERR_ENCODING, where, "bad certificate");
			break;
		}
		if (sk_X509_push(sk, x) <= 0) {
			X509_free(x);
			st = CCG_ERR_NOMEM;
			break;
		}
		pos = (size_t)(b - pem) + blen;
	}
	if (st == CCG_OK && sk_X509_num(sk) == 0)
		st = ccg_error_set(err, CCG_ERR_ENCODING, "pem", "no certificate found");
	if (st != CCG_OK) {
		sk_X509_pop_free(sk, X509_free);
		return st;
	}
	*out = sk;
	return CCG_OK;
}

enum ccg_status ccg_pem_certs_load(const char *path, size_t max_certs, STACK_OF(X509) **out, struct ccg_error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	enum ccg_status st;

	*out = NULL;
	st = ccg_file_read(path, 1u << 20, &data, &len, err);
	if (st == CCG_OK)
		st = ccg_pem_certs_parse(data, len, max_certs, out, err);
	free(data);
	return st;
}

enum ccg_status ccg_der_cert_parse(const uint8_t *der, size_t len, X509 **out, struct ccg_error *err)
{
	const unsigned char *p = der;
	X509 *x;

	*out = NULL;
	if (len > INT32_MAX)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "der", "certificate too large");
	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL)
		return ccg_openssl_error(err, CCG_ERR_ENCODING, "der", "bad DER certificate");
	if (p != der + len) {
		X509_free(x);
		return ccg_error_set(err, CCG_ERR_TRAILING_DATA, "der", "%zu bytes after the certificate",
				     len - (size_t)(p - der));
	}
	*out = x;
	return CCG_OK;
}

const char *ccg_x509_subject(X509 *cert, char *buf, size_t buf_len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int n;

	if (buf_len == 0)
		return "";
	buf[0] = '\0';
	if (bio == NULL)
		return buf;
	if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_read(bio, buf, (int)(buf_len - 1));
		buf[n > 0 ? n : 0] = '\0';
	}
	BIO_free(bio);
	ERR_clear_error();
	return buf;
}

const char *ccg_x509_cn(X509 *cert, char *buf, size_t buf_len)
{
	int n;

	if (buf_len == 0)
		return "";
	n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, (int)buf_len);
	if (n < 0)
		buf[0] = '\0';
	ERR_clear_error();
	return buf;
}

enum ccg_status ccg_asn1_time_unix(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		ERR_clear_error();
		return CCG_ERR_MALFORMED;
	}
	*out = (int64_t)timegm(&tm);
	return CCG_OK;
}

void ccg_time_iso(int64_t t, char buf[21])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 21, "invalid-time");
}

enum ccg_status ccg_time_resolve(int64_t now, const char *where, int64_t *out, struct ccg_error *err)
{
	*out = 0;
	if (now < 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where,
				     "time %lld is before 1970 (Unix seconds; CCG_TIME_NOW (0) is the current time)",
				     (long long)now);
	*out = now != CCG_TIME_NOW ? now : (int64_t)time(NULL);
	return CCG_OK;
}

enum ccg_status ccg_asn1_time_iso(const ASN1_TIME *t, char buf[21])
{
	int64_t u;
	enum ccg_status st = ccg_asn1_time_unix(t, &u);

	if (st == CCG_OK)
		ccg_time_iso(u, buf);
	return st;
}

enum ccg_status ccg_time_parse_iso(const char *s, int64_t *out)
{
	struct tm tm;
	const char *end;
	char *iend;
	long long v;

	if (s == NULL || *s == '\0')
		return CCG_ERR_MALFORMED;
	v = strtoll(s, &iend, 10);
	if (*iend == '\0' && s[0] != '-') {
		*out = v;
		return CCG_OK;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return CCG_ERR_MALFORMED;
	*out = (int64_t)timegm(&tm);
	return CCG_OK;
}

enum ccg_status ccg_random(uint8_t *out, size_t len)
{
	if (len > INT32_MAX || RAND_bytes(out, (int)len) != 1) {
		ERR_clear_error();
		return CCG_ERR_CRYPTO;
	}
	return CCG_OK;
}

bool ccg_ct_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

bool ccg_x509_spki_pinned(X509 *cert, const uint8_t (*pins)[CCG_SHA256_LEN], size_t n)
{
	unsigned char *der = NULL;
	uint8_t h[CCG_SHA256_LEN];
	int len = cert != NULL ? i2d_PUBKEY(X509_get0_pubkey(cert), &der) : -1;
	bool ok = false;

	if (len > 0 && ccg_sha256(der, (size_t)len, h) == CCG_OK) {
		for (size_t i = 0; i < n; i++)
			ok = ok || ccg_ct_equal(h, pins[i], sizeof(h));
	}
	OPENSSL_free(der);
	ERR_clear_error();
	return ok;
}
