/* SPDX-License-Identifier: Apache-2.0 */
/* The party client: the verifier's address, requests and answers, sealed uploads (ccgpu/party.h). */
#include <fcntl.h>
#include <inttypes.h>
#include <jose/b64.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/hpke.h"
#include "common/json.h"
#include "common/secret.h"
#include "common/http.h"
#include "party/client.h"

enum ccg_status ccg_party_verifier_parse(const char *spec, struct ccg_party_verifier *v, struct ccg_error *err)
{
	size_t n;

	memset(v, 0, sizeof(*v));
	v->timeout_ms = 30000;
	if (spec == NULL || (n = strlen(spec)) == 0 || n >= sizeof(v->url))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "verifier", "give --verifier URL (at most %zu bytes)",
				     sizeof(v->url) - 1);
	memcpy(v->url, spec, n + 1);
	if (strncmp(spec, "unix:", 5) == 0) {
		const char *path = spec + 5;

		if (path[0] != '/' || strlen(path) >= 108)
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, "verifier",
					     "unix: needs an absolute socket path under 108 bytes");
		snprintf(v->unix_path, sizeof(v->unix_path), "%s", path);
		snprintf(v->base, sizeof(v->base), "http://localhost");
		return CCG_OK;
	}
	if (!ccg_http_url_ok(spec) || strpbrk(spec, "?# \t\r\n") != NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "verifier",
				     "http://HOST[:PORT], https://HOST[:PORT] or unix:/PATH (no query)");
	memcpy(v->base, spec, n + 1);
	while (n > 0 && v->base[n - 1] == '/')
		v->base[--n] = '\0';
	return CCG_OK;
}

enum ccg_status ccg_party_http(const struct ccg_party_verifier *v, const char *method, const char *target,
			       const uint8_t *body, size_t len, const char *statement, struct ccg_party_answer *out,
			       struct ccg_error *err)
{
	struct ccg_http_request req;
	struct ccg_http_response r = {0};
	struct ccg_error inner;
	char url[CCG_PARTY_MAX_URL + 512], *hdr = NULL;
	enum ccg_status st;

	memset(&req, 0, sizeof(req));
	memset(out, 0, sizeof(*out));
	if (snprintf(url, sizeof(url), "%s%s", v->base, target) >= (int)sizeof(url))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "party.request", "URL too long");
	if (statement != NULL) {
		size_t n = strlen(CCG_PARTY_STATEMENT_HEADER) + 2 + strlen(statement) + 1;

		if ((hdr = malloc(n)) == NULL)
			return ccg_error_set(err, CCG_ERR_NOMEM, "party.request", "out of memory");
		snprintf(hdr, n, "%s: %s", CCG_PARTY_STATEMENT_HEADER, statement);
		req.send[0] = hdr;
	}
	req.url = url;
	req.method = method;
	req.content_type = body != NULL ? "application/json" : NULL;
	req.body = body;
	req.body_len = len;
	req.accept = "application/json, application/problem+json";
	req.max_response = CCG_PARTY_MAX_ANSWER;
	req.timeout_ms = v->timeout_ms;
	req.unix_socket = v->unix_path[0] != '\0' ? v->unix_path : NULL;
	ccg_error_clear(&inner);
	st = ccg_http_perform(&req, &r, &inner);
	free(hdr);
	if (st != CCG_OK) {
		ccg_http_response_cleanup(&r);
		return ccg_error_set(err, st == CCG_ERR_TOO_LARGE ? st : CCG_ERR_NETWORK, "party.network",
				     "%s %s at %s: %s: %s", method, target, v->url, inner.where, inner.detail);
	}
	/* the answer's status and body move to out; nothing else was asked for */
	out->status = r.status;
	out->body = r.body;
	out->body_len = r.body_len;
	r.body = NULL;
	ccg_http_response_cleanup(&r);
	return CCG_OK;
}

void ccg_party_answer_cleanup(struct ccg_party_answer *a)
{
	if (a == NULL)
		return;
	free(a->body);
	a->body = NULL;
	a->body_len = 0;
}

/* a string member of a problem document, or NULL */
static const char *pstr(const json_t *p, const char *k)
{
	return json_string_value(json_object_get(p, k));
}

enum ccg_status ccg_party_answer_check(const struct ccg_party_answer *r, long want, const char *what,
				       struct ccg_error *err)
{
	enum ccg_status st = r->status >= 400 && r->status < 500 ? CCG_ERR_PEER_REFUSED : CCG_ERR_NETWORK;
	json_t *p = NULL;
	const char *type, *slash;

	if (r->status == want)
		return CCG_OK;
	if (r->body != NULL && r->body_len > 0)
		p = json_loadb((const char *)r->body, r->body_len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(p) || (type = pstr(p, "type")) == NULL) {
		json_decref(p);
		return ccg_error_set(err, st, what, "the verifier answered HTTP %ld (not a problem document)",
				     r->status);
	}
	/* the problem's short name: what follows the common prefix "tag:ccgpu.dev,2026:problem:" */
	slash = strrchr(type, ':');
	ccg_error_set(err, st, what, "the verifier answered HTTP %ld %.64s%s%.160s%s%.64s%s%.64s%s%.96s", r->status,
		      slash != NULL ? slash + 1 : type, pstr(p, "detail") != NULL ? ": " : "",
		      pstr(p, "detail") != NULL ? pstr(p, "detail") : "", pstr(p, "party") != NULL ? " (party " : "",
		      pstr(p, "party") != NULL ? pstr(p, "party") : "", pstr(p, "rule") != NULL ? ", rule " : "",
		      pstr(p, "rule") != NULL ? pstr(p, "rule") : "", pstr(p, "party") != NULL ? ")" : "",
		      pstr(p, "check") != NULL && pstr(p, "detail") == NULL ? pstr(p, "check") : "");
	json_decref(p);
	return st;
}

bool ccg_party_name_ok(const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;

	if (n == 0 || n > CCG_PARTY_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return false;
	}
	return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* a member of the upload JWK that must be this string */
static enum ccg_status want_member(const json_t *jwk, const char *k, const char *want, struct ccg_error *err)
{
	const char *v = json_string_value(json_object_get(jwk, k));

	if (v == NULL || strcmp(v, want) != 0)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, k, "must be \"%s\"", want);
	return CCG_OK;
}

enum ccg_status ccg_party_upload_key(const json_t *jwk, uint8_t pk[97], char kid[129], struct ccg_error *err)
{
	struct ccg_error inner;
	EVP_PKEY *k = NULL;
	const char *id = NULL;
	enum ccg_status st;

	ccg_error_clear(&inner);
	if (!json_is_object(jwk))
		st = ccg_error_set(&inner, CCG_ERR_MALFORMED, "jwk", "not a JSON object");
	else if ((st = want_member(jwk, "kty", "EC", &inner)) != CCG_OK ||
		 (st = want_member(jwk, "crv", "P-384", &inner)) != CCG_OK ||
		 (st = want_member(jwk, "use", "enc", &inner)) != CCG_OK ||
		 (st = want_member(jwk, "alg", CCG_PARTY_UPLOAD_ALG, &inner)) != CCG_OK)
		;
	else if (json_object_get(jwk, "d") != NULL)
		st = ccg_error_set(&inner, CCG_ERR_MALFORMED, "d", "a private key is never published");
	else if ((id = json_string_value(json_object_get(jwk, "kid"))) == NULL || id[0] == '\0' || strlen(id) > 128)
		st = ccg_error_set(&inner, CCG_ERR_MALFORMED, "kid", "a string of 1 to 128 bytes is required");
	else if (jose_b64_dec(json_object_get(jwk, "x"), NULL, 0) != 48 ||
		 jose_b64_dec(json_object_get(jwk, "y"), NULL, 0) != 48 ||
		 jose_b64_dec(json_object_get(jwk, "x"), pk + 1, 48) != 48 ||
		 jose_b64_dec(json_object_get(jwk, "y"), pk + 49, 48) != 48)
		st = ccg_error_set(&inner, CCG_ERR_MALFORMED, "x", "x and y are not base64url of 48 bytes each");
	else {
		/* SerializePublicKey = 0x04 ‖ x ‖ y, validated on the curve by the HPKE layer */
		pk[0] = 0x04;
		if ((st = ccg_hpke_public_key_parse(CCG_HPKE_P384_SHA384_AES256GCM, pk, 97, "x", &k, &inner)) != CCG_OK)
			st = CCG_ERR_MALFORMED;
	}
	if (st == CCG_OK)
		snprintf(kid, 129, "%s", id);
	EVP_PKEY_free(k);
	if (st != CCG_OK) {
		char where[64];

		/* nothing half-decoded is left for a caller that ignores the status */
		memset(pk, 0, 97);
		kid[0] = '\0';
		snprintf(where, sizeof(where), "party.upload_key.%.32s", inner.where);
		return ccg_error_set(err, st, where, "keys.upload of the verifier's evidence: %s", inner.detail);
	}
	return CCG_OK;
}

size_t ccg_party_upload_aad(const char *contract, const char *secret, const char *contract_id, uint8_t *out)
{
	size_t a = strlen(contract), b = strlen(secret), n = strlen(contract_id);

	memcpy(out, contract, a);
	out[a] = 0x00;
	memcpy(out + a + 1, secret, b);
	out[a + 1 + b] = 0x00;
	memcpy(out + a + b + 2, contract_id, n);
	return a + b + 2 + n;
}

/* base64url without padding (libjose), as a new JSON string */
static json_t *b64url(const uint8_t *b, size_t n)
{
	return jose_b64_enc(b, n);
}

enum ccg_status ccg_party_upload_body(const uint8_t pk[97], const char *kid, const char *contract, const char *secret,
				      const char *contract_id, const uint8_t *data, size_t len, char **out,
				      struct ccg_error *err)
{
	uint8_t aad[CCG_PARTY_UPLOAD_AAD_MAX], *sealed = NULL;
	size_t aad_len, sealed_len = 0, enc_len = ccg_hpke_enc_len(CCG_HPKE_P384_SHA384_AES256GCM);
	json_t *o = NULL;
	enum ccg_status st;

	*out = NULL;
	if (!ccg_party_name_ok(contract) || !ccg_party_name_ok(secret) || contract_id == NULL ||
	    strlen(contract_id) != CCG_PARTY_CONTRACT_ID_LEN)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "party.input", "contract, secret or contract id");
	if (len > CCG_PARTY_MAX_SECRET)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "party.input", "a secret has at most %u bytes",
				     CCG_PARTY_MAX_SECRET);
	aad_len = ccg_party_upload_aad(contract, secret, contract_id, aad);
	st = ccg_hpke_seal(CCG_HPKE_P384_SHA384_AES256GCM, pk, 97, (const uint8_t *)CCG_HPKE_INFO_UPLOAD,
			   strlen(CCG_HPKE_INFO_UPLOAD), aad, aad_len, data, len, &sealed, &sealed_len, err);
	if (st != CCG_OK)
		return st;
	o = json_pack("{s:s, s:s, s:o, s:o}", "suite", CCG_PARTY_UPLOAD_SUITE, "kid", kid, "enc",
		      b64url(sealed, enc_len), "ct", b64url(sealed + enc_len, sealed_len - enc_len));
	if (o == NULL || (*out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		st = ccg_error_set(err, CCG_ERR_NOMEM, "party.upload", "out of memory");
	json_decref(o);
	free(sealed);
	return st;
}

/* the secret's bytes straight into a wiped, locked buffer */
static enum ccg_status read_secret(const char *path, struct ccg_secret **out, struct ccg_error *err)
{
	struct stat sb;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	enum ccg_status st = CCG_OK;

	*out = NULL;
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		st = ccg_error_set(err, CCG_ERR_IO, "party.input", "%s: not a readable file", path);
		goto out;
	}
	if (sb.st_size <= 0 || (uint64_t)sb.st_size > CCG_PARTY_MAX_SECRET) {
		st = ccg_error_set(err, CCG_ERR_TOO_LARGE, "party.input", "%s: a secret has 1 to %u bytes", path,
				   CCG_PARTY_MAX_SECRET);
		goto out;
	}
	if ((st = ccg_secret_new((size_t)sb.st_size, out)) != CCG_OK) {
		st = ccg_error_set(err, st, "party.input", "no secret buffer");
		goto out;
	}
	while (got < (*out)->len) {
		ssize_t n = read(fd, (*out)->data + got, (*out)->len - got);

		if (n <= 0) {
			st = ccg_error_set(err, CCG_ERR_IO, "party.input", "%s: short read", path);
			break;
		}
		got += (size_t)n;
	}
out:
	if (fd >= 0)
		close(fd);
	if (st != CCG_OK) {
		ccg_secret_free(*out);
		*out = NULL;
	}
	return st;
}

enum ccg_status ccg_party_upload_body_file(const uint8_t pk[97], const char *kid, const char *contract,
					   const char *secret, const char *contract_id, const char *path, char **out,
					   struct ccg_error *err)
{
	struct ccg_secret *sec = NULL;
	enum ccg_status st;

	*out = NULL;
	if ((st = read_secret(path, &sec, err)) != CCG_OK)
		return st;
	st = ccg_party_upload_body(pk, kid, contract, secret, contract_id, sec->data, sec->len, out, err);
	ccg_secret_free(sec);
	return st;
}
