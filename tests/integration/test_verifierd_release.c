/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secret release (issue 14) through ccgpu-verifierd as real processes over
 * real HTTP, on SQLite and on PostgreSQL (two replicas sharing the server):
 *  - contract registration: not in force, a statement of an unknown party,
 *    made with the wrong key, expired, missing, replayed; a new version in
 *    force replaces the old, one not in force does not;
 *  - uploads: a non-owner refused, the AAD of another secret refused, every
 *    position class of the HPKE ciphertext flipped refused;
 *  - releases unwrapped with the TEE's private key, P-384 and X25519;
 *  - a drifted GPU measurement denied naming the party and its rule;
 *  - suspension by a required party refused on both replicas at once,
 *    resume only by the suspending party, a co-party without a say refused,
 *    a contract-wide suspension by any party;
 *  - the release log: one entry per event, all verifying against the signed
 *    tree head, consistent with the first head seen (ccg_log_check);
 *  - canaries: the secrets' bytes are in none of the SQLite database, its
 *    WAL, a pg_dump, or the daemons' logs.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <jose/b64.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/hpke.h"
#include "token/ear.h"
#include "verifier/log.h"
#include "verifier/statement.h"
#include "ccgpu/policy.h"
#include "pg.h"
#include "testdata.h"
#include "vdtest.h"

#define CONTRACT "llm-serving"
#define WINDOW 300

static const char *binary;
static struct vt_world world;

/* ---- parties ---- */

enum { ACME, CLINIC, ALICE, MALLORY, NPARTIES };
struct party {
	const char *id;
	char *priv, *pub;
};
/* acme (P-384), clinic (Ed25519), alice (P-384), mallory (P-384, claims to be acme) */
static struct party P[NPARTIES] = {{.id = "acme"}, {.id = "clinic"}, {.id = "alice"}, {.id = "acme"}};

static char *mem_text(BIO *b)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *t = strndup(p, (size_t)n);

	BIO_free(b);
	return t;
}

static void parties_init(void)
{
	for (size_t i = 0; i < NPARTIES; i++) {
		EVP_PKEY *k = i == CLINIC ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
					  : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		BIO *a = BIO_new(BIO_s_mem()), *b = BIO_new(BIO_s_mem());

		assert_int_equal(PEM_write_bio_PrivateKey(a, k, NULL, NULL, 0, NULL, NULL), 1);
		assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
		P[i].priv = mem_text(a);
		P[i].pub = mem_text(b);
		EVP_PKEY_free(k);
	}
}

/*
 * The contract, version v: acme owns model-key (requires clinic, then acme),
 * clinic owns data-key (requires clinic); clinic's policy wants every GPU
 * measured as its RIMs say, acme's the GPUs' overall result. From version 2
 * on, two signatures put it in force, and it adds joint-key (clinic's,
 * requiring alice, who does not sign version 2) and spare-key (never uploaded).
 */
static char *contract_doc(int v)
{
	json_t *d = json_pack(
		"{s:i,s:s,s:i,s:s,s:s,s:{s:s,s:{s:[b]}},s:[{s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s}],"
		"s:[{s:s,s:s,s:[s,s]},{s:s,s:s,s:[s]}]}",
		"ccgpu-contract", 1, "id", CONTRACT, "version", v, "not-before", "2020-01-01T00:00:00Z", "not-after",
		"2099-01-01T00:00:00Z", "workload", "name", "llama-70b", "reference-values",
		"x-nvidia-gpu-attestation-report-signature-verified", 1, "parties", "id", "acme", "role", "model-owner",
		"public-key", P[ACME].pub, "policy",
		"policy \"acme\" version 1\nrule overall \"the GPUs' attestation passed\" { x-nvidia-overall-att-result }\n",
		"id", "clinic", "role", "data-owner", "public-key", P[CLINIC].pub, "policy",
		"policy \"clinic\" version 1\nrule gpu-measurements \"every GPU measured as its RIMs say\" "
		"{ every gpu (measres == \"success\") }\n",
		"id", "alice", "role", "client", "public-key", P[ALICE].pub, "policy",
		"policy \"alice\" version 1\nrule tee \"an SEV-SNP guest\" { ccgpu-cpu-tee == \"snp\" }\n", "secrets",
		"owner", "acme", "name", "model-key", "requires", "clinic", "acme", "owner", "clinic", "name",
		"data-key", "requires", "clinic");
	char *t;

	assert_non_null(d);
	if (v >= 2) {
		json_object_set_new(d, "threshold", json_integer(2));
		json_array_append_new(json_object_get(d, "secrets"),
				      json_pack("{s:s,s:s,s:[s,s]}", "owner", "clinic", "name", "joint-key", "requires",
						"clinic", "alice"));
		json_array_append_new(json_object_get(d, "secrets"),
				      json_pack("{s:s,s:s,s:[s]}", "owner", "acme", "name", "spare-key", "requires",
						"acme"));
	}
	t = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	return t;
}

static char *sign_contract(const char *text, size_t who)
{
	struct ccg_contract *c = NULL;
	struct ccg_error err;
	char *sig = NULL;

	ccg_error_clear(&err);
	if (ccg_contract_parse((const uint8_t *)text, strlen(text), &c, &err) != CCG_OK ||
	    ccg_contract_sign(c, P[who].id, (const uint8_t *)P[who].priv, strlen(P[who].priv), &sig, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	ccg_contract_free(c);
	return sig;
}

/* the CCGPU-Statement header line of party who (key of key_of) for this request */
static char *statement(size_t who, size_t key_of, const char *method, const char *path, const char *body,
		       int64_t iat_offset)
{
	char route[512], *jws = NULL, *line = NULL;
	struct ccg_error err;

	snprintf(route, sizeof(route), "%s %s", method, path);
	ccg_error_clear(&err);
	if (ccg_statement_sign((const uint8_t *)P[key_of].priv, strlen(P[key_of].priv), P[who].id, CONTRACT, route,
			       (const uint8_t *)body, strlen(body), (int64_t)time(NULL) + iat_offset, NULL, &jws,
			       &err) != CCG_OK)
		fail_msg("statement: %s: %s", err.where, err.detail);
	assert_true(asprintf(&line, "CCGPU-Statement: %s", jws) > 0);
	free(jws);
	return line;
}

static void call(const char *base, const char *method, const char *path, const char *hdr, const char *body,
		 struct vt_resp *r)
{
	vt_http_hdr(base, method, path, "application/json", hdr, body, strlen(body), r);
}

/* the response is a problem of this type (and, if given, with these party/rule members) */
static void expect_problem(struct vt_resp *r, long status, const char *type, const char *party, const char *rule)
{
	char buf[128];
	json_t *j = json_loads(r->body, 0, NULL);

	if (r->status != status || strcmp(vt_problem_type(r, buf, sizeof(buf)), type) != 0)
		fail_msg("want %ld %s, got %ld %s", status, type, r->status, r->body);
	assert_string_equal(r->content_type, "application/problem+json");
	if (party != NULL)
		assert_string_equal(json_string_value(json_object_get(j, "party")), party);
	if (rule != NULL)
		assert_string_equal(json_string_value(json_object_get(j, "rule")), rule);
	json_decref(j);
	vt_resp_free(r);
}

static json_t *expect_ok(struct vt_resp *r, long status)
{
	json_t *j;

	if (r->status != status)
		fail_msg("want %ld, got %ld %s", status, r->status, r->body);
	j = json_loads(r->body, 0, NULL);
	assert_non_null(j);
	vt_resp_free(r);
	return j;
}

/* ---- requests ---- */

static char *contract_body(const char *doc, const size_t *signers, size_t n)
{
	json_t *sigs = json_array(), *b;
	char *t;

	for (size_t i = 0; i < n; i++) {
		char *s = sign_contract(doc, signers[i]);

		json_array_append_new(sigs, json_string(s));
		free(s);
	}
	b = json_pack("{s:s,s:o}", "document", doc, "signatures", sigs);
	t = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	return t;
}

static void push(const char *base, const char *body, size_t who, size_t key_of, int64_t off, struct vt_resp *r)
{
	char *h = statement(who, key_of, "POST", "/v1/contracts", body, off);

	call(base, "POST", "/v1/contracts", h, body, r);
	free(h);
}

/* the upload key from the daemon's ready line (the evidence route, branch vtee, serves the same) */
static json_t *upload_jwk(const struct vt_daemon *d)
{
	size_t n;
	char *log = (char *)td_read_file(d->log, &n), *line, *save = NULL;
	json_t *jwk = NULL;

	for (line = strtok_r(log, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(line, 0, NULL);

		if (j != NULL && json_is_object(json_object_get(j, "upload_jwk"))) {
			json_decref(jwk);
			jwk = json_incref(json_object_get(j, "upload_jwk"));
		}
		json_decref(j);
	}
	free(log);
	assert_non_null(jwk);
	return jwk;
}

/* what the upload seals: flip (if >= 0) flips that byte of ct; aad_secret names another secret in the aad */
/* the id (SHA-384 hex of the canonical form) of the contract document doc */
static char *contract_id_of(const char *doc)
{
	struct ccg_contract *c = NULL;
	struct ccg_error err;
	char *id;

	ccg_error_clear(&err);
	if (ccg_contract_parse((const uint8_t *)doc, strlen(doc), &c, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	id = strdup(ccg_contract_id(c));
	ccg_contract_free(c);
	return id;
}

/* an upload of pt sealed for aad_secret of the contract document doc (the aad binds its id), flip: a ct byte to flip */
static char *upload_body(const json_t *jwk, const char *secret, const char *aad_secret, const char *doc, const char *pt,
			 long flip)
{
	uint8_t pk[97], aad[512], *sealed = NULL;
	char *id = contract_id_of(doc);
	size_t sealed_len = 0, aad_len;
	struct ccg_error err;
	json_t *b;
	char *t;
	const char *x = json_string_value(json_object_get(jwk, "x")), *y = json_string_value(json_object_get(jwk, "y"));

	(void)secret;
	pk[0] = 4;
	assert_int_equal(jose_b64_dec_buf(x, strlen(x), pk + 1, 48), 48);
	assert_int_equal(jose_b64_dec_buf(y, strlen(y), pk + 49, 48), 48);
	aad_len = (size_t)snprintf((char *)aad, sizeof(aad), "%s%c%s%c%s", CONTRACT, 0, aad_secret, 0, id);
	free(id);
	ccg_error_clear(&err);
	assert_int_equal(ccg_hpke_seal(CCG_HPKE_P384_SHA384_AES256GCM, pk, sizeof(pk),
				       (const uint8_t *)"ccgpu-secret-upload/v1", 22, aad, aad_len, (const uint8_t *)pt,
				       strlen(pt), &sealed, &sealed_len, &err),
			 CCG_OK);
	if (flip >= 0)
		sealed[97 + (size_t)flip] ^= 0x80;
	b = json_pack("{s:s,s:s,s:o,s:o}", "suite", "P384-SHA384-AES256GCM", "kid",
		      json_string_value(json_object_get(jwk, "kid")), "enc", jose_b64_enc(sealed, 97), "ct",
		      jose_b64_enc(sealed + 97, sealed_len - 97));
	t = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	free(sealed);
	return t;
}

/* uploads body as secret with who's statement made with key_of's key; *reuse (if not NULL) keeps or gives the header */
static void upload_as(const char *base, const char *body, const char *secret, size_t who, size_t key_of, char **reuse,
		      struct vt_resp *r)
{
	char path[256], *h;

	snprintf(path, sizeof(path), "/v1/contracts/%s/secrets/%s", CONTRACT, secret);
	h = reuse != NULL && *reuse != NULL ? *reuse : statement(who, key_of, "PUT", path, body, 0);
	call(base, "PUT", path, h, body, r);
	if (reuse != NULL)
		*reuse = h;
	else
		free(h);
}

static void upload(const char *base, const char *body, const char *secret, size_t who, struct vt_resp *r)
{
	upload_as(base, body, secret, who, who, NULL, r);
}

/* suspend (on) or resume party's hold on secret (NULL: the whole contract), signed with key_of's key */
static void hold_as(const char *base, size_t who, size_t key_of, const char *secret, bool on, struct vt_resp *r)
{
	char path[256], body[256], *h;

	snprintf(path, sizeof(path), "/v1/contracts/%s/%s", CONTRACT, on ? "suspend" : "resume");
	if (secret != NULL)
		snprintf(body, sizeof(body), "{\"secret\":\"%s\"}", secret);
	else
		snprintf(body, sizeof(body), "{}");
	h = statement(who, key_of, "POST", path, body, 0);
	call(base, "POST", path, h, body, r);
	free(h);
}

static void hold(const char *base, size_t who, const char *secret, bool on, struct vt_resp *r)
{
	hold_as(base, who, who, secret, on, r);
}

/* an EAR token for the world's current TEE key (fault: a gpusim fault or NULL) */
static char *attest(const char *base, const char *fault)
{
	uint8_t nonce[32];
	struct vt_resp r;
	char *body, *tok;
	json_t *j;

	vt_challenge(base, nonce);
	body = vt_compose(&world, nonce, fault);
	vt_http(base, "POST", "/v1/attest", "application/json", body, strlen(body), &r);
	free(body);
	j = expect_ok(&r, 200);
	tok = strdup(json_string_value(json_object_get(j, "token")));
	json_decref(j);
	return tok;
}

/* an EAR token for another TEE key: the world's key swapped for the time of one attestation */
static char *attest_with(const char *base, EVP_PKEY *tee)
{
	EVP_PKEY *own = world.tee;
	uint8_t *spki = world.tee_spki, *der, *p;
	size_t spki_len = world.tee_spki_len;
	int n = i2d_PUBKEY(tee, NULL);
	char *tok;

	assert_true(n > 0);
	der = malloc((size_t)n);
	p = der;
	assert_int_equal(i2d_PUBKEY(tee, &p), n);
	world.tee = tee;
	world.tee_spki = der;
	world.tee_spki_len = (size_t)n;
	tok = attest(base, NULL);
	world.tee = own;
	world.tee_spki = spki;
	world.tee_spki_len = spki_len;
	free(der);
	return tok;
}

static void release(const char *base, const char *token, const char *secret, struct vt_resp *r)
{
	json_t *b = json_pack("{s:s,s:s,s:s}", "token", token, "contract", CONTRACT, "secret", secret);
	char *t = json_dumps(b, JSON_COMPACT);

	json_decref(b);
	call(base, "POST", "/v1/release", NULL, t, r);
	free(t);
}

/* releases secret and opens it with the TEE's private key tee (NULL: the world's): must equal want */
static void release_ok(const char *base, const char *token, const char *secret, const char *want,
		       enum ccg_hpke_suite suite, EVP_PKEY *tee)
{
	struct vt_resp r;
	json_t *j;
	uint8_t aad[48 + 256], sealed[4096], pt[4096];
	size_t aad_len, enc_len, ct_len, pt_len = 0;
	const char *enc, *ct;
	struct ccg_error err;

	release(base, token, secret, &r);
	j = expect_ok(&r, 200);
	assert_string_equal(json_string_value(json_object_get(j, "suite")), suite == CCG_HPKE_P384_SHA384_AES256GCM
										    ? "P384-SHA384-AES256GCM"
										    : "X25519-SHA256-AES128GCM");
	enc = json_string_value(json_object_get(j, "enc"));
	ct = json_string_value(json_object_get(j, "ct"));
	enc_len = jose_b64_dec_buf(enc, strlen(enc), sealed, sizeof(sealed));
	assert_int_equal(enc_len, ccg_hpke_enc_len(suite));
	ct_len = jose_b64_dec_buf(ct, strlen(ct), sealed + enc_len, sizeof(sealed) - enc_len);
	assert_true(ct_len > 16 && ct_len < sizeof(sealed) - enc_len);
	assert_int_equal(ccg_sha384((const uint8_t *)token, strlen(token), aad), CCG_OK);
	aad_len = 48 + (size_t)snprintf((char *)aad + 48, sizeof(aad) - 48, "%s%c%s", CONTRACT, 0, secret);
	ccg_error_clear(&err);
	if (ccg_hpke_open(suite, tee != NULL ? tee : world.tee, sealed, enc_len + ct_len,
			  (const uint8_t *)"ccgpu-release/v1", 16, aad, aad_len, pt, sizeof(pt), &pt_len,
			  &err) != CCG_OK)
		fail_msg("open: %s: %s", err.where, err.detail);
	assert_int_equal(pt_len, strlen(want));
	assert_memory_equal(pt, want, pt_len);
	/* another secret's aad does not open it */
	aad[48 + strlen(CONTRACT) + 1] ^= 1;
	assert_int_not_equal(ccg_hpke_open(suite, tee != NULL ? tee : world.tee, sealed, enc_len + ct_len,
					   (const uint8_t *)"ccgpu-release/v1", 16, aad, aad_len, pt, sizeof(pt),
					   &pt_len, NULL),
			     CCG_OK);
	json_decref(j);
}

/* ---- the release log ---- */

struct log_view {
	struct ccg_log_sth sth;
	json_t *types; /* {"type": count} */
};

static json_t *jwks_of(const char *base)
{
	struct vt_resp r;

	vt_http(base, "GET", "/.well-known/jwks.json", NULL, NULL, 0, &r);
	return expect_ok(&r, 200);
}

static void log_read(const char *base, struct log_view *v)
{
	struct vt_resp r;
	struct ccg_error err;
	json_t *jwks = jwks_of(base), *types = json_object();
	uint8_t **entries;
	size_t *lens, got = 0;

	vt_http(base, "GET", "/v1/log/sth", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	ccg_error_clear(&err);
	if (ccg_log_sth_parse((const uint8_t *)r.body, r.len, jwks, &v->sth, &err) != CCG_OK)
		fail_msg("sth: %s: %s", err.where, err.detail);
	vt_resp_free(&r);
	entries = calloc(v->sth.tree_size + 1, sizeof(*entries));
	lens = calloc(v->sth.tree_size + 1, sizeof(*lens));
	while (got < v->sth.tree_size) {
		char path[128];
		json_t *j, *e;
		size_t i;

		size_t end =
			v->sth.tree_size - got > CCG_LOG_MAX_ENTRIES ? got + CCG_LOG_MAX_ENTRIES : v->sth.tree_size;

		snprintf(path, sizeof(path), "/v1/log/entries?start=%zu&end=%zu", got, end);
		vt_http(base, "GET", path, NULL, NULL, 0, &r);
		j = expect_ok(&r, 200);
		json_array_foreach(json_object_get(j, "entries"), i, e) {
			const char *b64 = json_string_value(json_object_get(e, "leaf_input"));
			json_t *entry;
			const char *type;

			assert_int_equal(ccg_base64_decode(b64, strlen(b64), 1 << 20, &entries[got], &lens[got]),
					 CCG_OK);
			entry = json_loadb((const char *)entries[got], lens[got], 0, NULL);
			assert_non_null(entry);
			type = json_string_value(json_object_get(entry, "type"));
			assert_non_null(type);
			json_object_set_new(types, type,
					    json_integer(json_integer_value(json_object_get(types, type)) + 1));
			json_decref(entry);
			got++;
		}
		json_decref(j);
	}
	/* every entry verifies against the signed head */
	assert_int_equal(ccg_log_entries_verify((const uint8_t *const *)entries, lens, got, &v->sth, &err), CCG_OK);
	for (size_t i = 0; i < got; i++)
		free(entries[i]);
	free(entries);
	free(lens);
	json_decref(jwks);
	v->types = types;
}

static long count(const struct log_view *v, const char *type)
{
	return (long)json_integer_value(json_object_get(v->types, type));
}

static void log_consistent(const char *base, const struct ccg_log_sth *old, const struct ccg_log_sth *now)
{
	char path[128];
	struct vt_resp r;
	uint8_t proof[CCG_MERKLE_MAX_PROOF][CCG_MERKLE_HASH_LEN];
	uint64_t a, b;
	size_t n = 0;
	struct ccg_error err;

	snprintf(path, sizeof(path), "/v1/log/consistency?first=%llu&second=%llu", (unsigned long long)old->tree_size,
		 (unsigned long long)now->tree_size);
	vt_http(base, "GET", path, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_consistency_parse((const uint8_t *)r.body, r.len, &a, &b, proof, &n, &err), CCG_OK);
	vt_resp_free(&r);
	if (ccg_log_check(old, now, (const uint8_t(*)[CCG_MERKLE_HASH_LEN])proof, n, &err) != CCG_OK)
		fail_msg("log: %s: %s", err.where, err.detail);
}

/* ---- canaries ---- */

/* count of occurrences of needle in the file (0 when it does not exist) */
static size_t grep_file(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0, len, hits = 0, nl = strlen(needle);
	uint8_t *buf;

	if (f == NULL)
		return 0;
	fclose(f);
	buf = td_read_file(path, &len);
	for (size_t i = 0; i + nl <= len; i++)
		if (memcmp(buf + i, needle, nl) == 0)
			hits++;
	free(buf);
	(void)n;
	return hits;
}

/*
 * occurrences of text in the file in every spelling a store or a dump could
 * give it: the bytes themselves, lower- and upper-case hex (PostgreSQL's
 * bytea in a pg_dump is \\x + hex), base64 and base64url of the whole text
 */
static size_t grep_any(const char *path, const char *text)
{
	size_t n = strlen(text), hits = grep_file(path, text);
	char *hex = ccg_hex_encode_alloc((const uint8_t *)text, n),
	     *b64 = ccg_base64_encode_alloc((const uint8_t *)text, n);
	json_t *u = jose_b64_enc(text, n);

	hits += grep_file(path, hex);
	for (char *p = hex; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	hits += grep_file(path, hex);
	while (strlen(b64) > 0 && b64[strlen(b64) - 1] == '=')
		b64[strlen(b64) - 1] = '\0';
	hits += grep_file(path, b64);
	hits += grep_file(path, json_string_value(u));
	free(hex);
	free(b64);
	json_decref(u);
	return hits;
}

static void canary_text(char out[64], const char *label)
{
	uint8_t r[8];
	char hex[17];

	assert_int_equal(ccg_random(r, sizeof(r)), CCG_OK);
	ccg_hex_encode(r, sizeof(r), hex);
	snprintf(out, 64, "CANARY-%s-%s", label, hex);
}

/* ---- the story ---- */

struct story {
	const char *name;
	const char *store;       /* NULL: SQLite in the state directory */
	struct vt_daemon a, b;   /* b: a second replica (PostgreSQL only) */
	struct vt_daemon strict; /* SQLite: a third daemon on A's database whose appraisal policy wants 3 GPUs */
	bool two;
	char canary_model[64], canary_data[64];
};

static void start(struct story *s)
{
	char extra[2048], st[600], *conf;

	snprintf(extra, sizeof(extra),
		 "kek = file:%s/%s-kek\nsigning_key = %s/%s-signing.pem\nstatement_window = %d\nthreads = 2\n"
		 "store_connections = 4\n",
		 world.dir, s->name, world.dir, s->name, WINDOW);
	snprintf(st, sizeof(st), "%s-%s.conf", s->name, "verifierd");
	conf = vt_config_write(&world, st, extra);
	snprintf(st, sizeof(st), "%s/%s-a", world.dir, s->name);
	vt_daemon_start(&s->a, binary, conf, st, s->store);
	if (s->two) {
		snprintf(st, sizeof(st), "%s/%s-b", world.dir, s->name);
		vt_daemon_start(&s->b, binary, conf, st, s->store);
	} else {
		/* on A's SQLite database, the same keys, an appraisal policy no token of this world passes */
		char pol[700], *src, db[1200];
		const char *root = getenv("CCGPU_SOURCE_ROOT");
		size_t n;
		FILE *f;

		assert_non_null(root);
		snprintf(pol, sizeof(pol), "%s/verifier/default.policy", root);
		src = (char *)td_read_file(pol, &n);
		snprintf(pol, sizeof(pol), "%s/strict.policy", world.dir);
		f = fopen(pol, "w");
		assert_non_null(f);
		fprintf(f, "%s\nrule three \"three GPUs\" { ccgpu-gpu-count >= 3 }\n", src);
		assert_int_equal(fclose(f), 0);
		free(src);
		free(conf);
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "policy = %s\n", pol);
		conf = vt_config_write(&world, "strict.conf", extra);
		snprintf(db, sizeof(db), "sqlite://%.512s/verifier.db", s->a.state);
		snprintf(st, sizeof(st), "%s/%s-strict", world.dir, s->name);
		vt_daemon_start(&s->strict, binary, conf, st, db);
	}
	free(conf);
}

/* ---- the operator edits the contract row in the database (sqlite3 / psql), bypassing the daemon ---- */

/* the store's URL for raw SQL */
static void store_url(const struct story *s, char *out, size_t cap)
{
	if (s->store != NULL)
		snprintf(out, cap, "%s", s->store);
	else
		snprintf(out, cap, "sqlite://%.512s/verifier.db", s->a.state);
}

/* the contract row kept aside in the database (row_restore puts it back) */
static void row_save(const struct story *s)
{
	char url[1200];

	store_url(s, url, sizeof(url));
	tp_raw_sql(url,
		   "CREATE TABLE saved_row AS SELECT value FROM records WHERE tbl = 'contract' AND key = '" CONTRACT
		   "'");
}

/* the contract row's text with every from replaced by to (SQL literals: no quote in either) */
static void row_replace(const struct story *s, const char *from, const char *to)
{
	char url[1200], *sql = NULL;

	assert_null(strchr(from, '\''));
	assert_null(strchr(to, '\''));
	store_url(s, url, sizeof(url));
	if (s->store != NULL)
		assert_true(asprintf(&sql,
				     "UPDATE records SET value = convert_to(replace(convert_from(value, 'UTF8'), '%s', "
				     "'%s'), 'UTF8') WHERE tbl = 'contract' AND key = '" CONTRACT "'",
				     from, to) > 0);
	else
		assert_true(
			asprintf(&sql,
				 "UPDATE records SET value = CAST(replace(CAST(value AS TEXT), '%s', '%s') AS BLOB) "
				 "WHERE tbl = 'contract' AND key = '" CONTRACT "'",
				 from, to) > 0);
	tp_raw_sql(url, sql);
	free(sql);
}

/* the row as row_save kept it */
static void row_restore(const struct story *s)
{
	char url[1200];

	store_url(s, url, sizeof(url));
	tp_raw_sql(
		url,
		"UPDATE records SET value = (SELECT value FROM saved_row) WHERE tbl = 'contract' AND key = '" CONTRACT
		"'");
	tp_raw_sql(url, "DROP TABLE saved_row");
}

/* a PEM as it stands once JSON-escaped (the row's "keys" member; the document inside the row is escaped twice) */
static char *json_once(const char *pem)
{
	json_t *j = json_string(pem);
	char *t = json_dumps(j, JSON_ENCODE_ANY), *inner;

	json_decref(j);
	assert_non_null(t);
	inner = strndup(t + 1, strlen(t) - 2); /* without the quotes */
	free(t);
	return inner;
}

/* the refusal names the contract and the failed check, and is logged as a denial */
static void expect_not_in_force(struct vt_resp *r, const char *check)
{
	json_t *j = json_loads(r->body, 0, NULL);
	char want[256];

	snprintf(want, sizeof(want), "contract[" CONTRACT "].%s", check);
	if (j == NULL || strcmp(json_string_value(json_object_get(j, "check")) != NULL
					? json_string_value(json_object_get(j, "check"))
					: "",
				want) != 0)
		fail_msg("want check %s, got %ld %s", want, r->status, r->body);
	json_decref(j);
	expect_problem(r, 403, "contract-not-in-force", "contract", want);
}

/* ---- concurrent releases on two replicas (PostgreSQL serialisation failures are retried) ---- */

#define RACERS 6
#define RACES 3

struct racer {
	const char *base[2];
	const char *token;
	long status[RACES];
};

static void *race(void *arg)
{
	struct racer *rc = arg;

	for (int i = 0; i < RACES; i++) {
		struct vt_resp r;

		release(rc->base[i % 2], rc->token, "data-key", &r);
		rc->status[i] = r.status;
		vt_resp_free(&r);
	}
	return NULL;
}

static void story(struct story *s)
{
	const char *A = s->a.base, *B = s->two ? s->b.base : s->a.base;
	struct vt_resp r;
	struct log_view first, last;
	json_t *j, *jwk;
	char *doc1 = contract_doc(1), *doc2 = contract_doc(2), *doc3 = contract_doc(3), *body, *tok, *h;
	const size_t all[] = {ACME, CLINIC, ALICE}, two[] = {ACME, CLINIC};
	long contracts = 0, uploads = 0, releases = 0, denials = 0, suspends = 0, resumes = 0;

	canary_text(s->canary_model, "MODEL");
	canary_text(s->canary_data, "DATA");

	/* ---- registration ---- */
	/* not in force: alice has not signed */
	body = contract_body(doc1, two, 2);
	push(A, body, ACME, ACME, 0, &r);
	expect_problem(&r, 403, "contract-not-in-force", NULL, NULL);
	free(body);
	body = contract_body(doc1, all, 3);
	/* no statement */
	call(A, "POST", "/v1/contracts", NULL, body, &r);
	expect_problem(&r, 401, "statement-missing", NULL, NULL);
	/* a party the contract does not name */
	{
		const char *real = P[MALLORY].id;

		P[MALLORY].id = "mallory";
		push(A, body, MALLORY, MALLORY, 0, &r);
		P[MALLORY].id = real;
		expect_problem(&r, 403, "party-unknown", NULL, NULL);
	}
	/* acme's name, mallory's key */
	push(A, body, ACME, MALLORY, 0, &r);
	expect_problem(&r, 403, "statement-signature", NULL, NULL);
	/* expired: made twice the window ago */
	push(A, body, ACME, ACME, -2 * WINDOW, &r);
	expect_problem(&r, 403, "statement-stale", NULL, NULL);
	/* in force, by acme */
	h = statement(ACME, ACME, "POST", "/v1/contracts", body, 0);
	call(A, "POST", "/v1/contracts", h, body, &r);
	j = expect_ok(&r, 201);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "log_index")), 0);
	json_decref(j);
	contracts++;
	/* the same request again: the statement is spent (on the other replica too) */
	call(B, "POST", "/v1/contracts", h, body, &r);
	expect_problem(&r, 409, "statement-replay", NULL, NULL);
	free(h);
	free(body);
	/* released before anything was uploaded: refused (and version 1 is now verified in the daemon's cache) */
	tok = attest(A, NULL);
	release(A, tok, "model-key", &r);
	expect_problem(&r, 404, "secret-not-uploaded", "verifier", "not-uploaded");
	denials++;
	log_read(A, &first);
	/* version 3 not in force (one signature of the two it needs): refused, version 1 stays */
	body = contract_body(doc3, two, 1);
	push(A, body, CLINIC, CLINIC, 0, &r);
	expect_problem(&r, 403, "contract-not-in-force", NULL, NULL);
	free(body);
	/* version 2 in force (acme and clinic: its threshold) replaces version 1 (pushed by clinic, on the other replica) */
	body = contract_body(doc2, two, 2);
	/* a statement made for another body */
	{
		char *other = contract_body(doc2, all, 3);

		h = statement(CLINIC, CLINIC, "POST", "/v1/contracts", other, 0);
		call(B, "POST", "/v1/contracts", h, body, &r);
		expect_problem(&r, 403, "statement-scope", NULL, NULL);
		free(h);
		free(other);
	}
	push(B, body, CLINIC, CLINIC, 0, &r);
	j = expect_ok(&r, 201);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 2);
	json_decref(j);
	contracts++;
	/* the same version again, with a fresh statement */
	push(A, body, ACME, ACME, 0, &r);
	expect_problem(&r, 409, "version-not-newer", NULL, NULL);
	free(body);
	/* what the verifier holds under the name: exactly version 2 as its parties signed it (branch releasefast) */
	{
		struct ccg_contract *c2 = NULL;
		struct ccg_error err;
		const uint8_t *canon;
		size_t n = 0;
		char *id2 = contract_id_of(doc2);

		ccg_error_clear(&err);
		assert_int_equal(ccg_contract_parse((const uint8_t *)doc2, strlen(doc2), &c2, &err), CCG_OK);
		canon = ccg_contract_canonical(c2, &n);
		vt_http_hdr(B, "GET", "/v1/contracts/" CONTRACT, NULL, NULL, NULL, 0, &r);
		j = expect_ok(&r, 200);
		assert_int_equal(json_integer_value(json_object_get(j, "version")), 2);
		assert_string_equal(json_string_value(json_object_get(j, "id")), id2);
		assert_int_equal(json_string_length(json_object_get(j, "document")), n);
		assert_memory_equal(json_string_value(json_object_get(j, "document")), canon, n);
		json_decref(j);
		ccg_contract_free(c2);
		free(id2);
		vt_http_hdr(A, "GET", "/v1/contracts/no-such", NULL, NULL, NULL, 0, &r);
		expect_problem(&r, 404, "contract-unknown", NULL, NULL);
	}

	/* ---- uploads (to A's upload key) ---- */
	jwk = upload_jwk(&s->a);
	/* alice does not own model-key */
	body = upload_body(jwk, "model-key", "model-key", doc2, s->canary_model, -1);
	upload(A, body, "model-key", ALICE, &r);
	expect_problem(&r, 403, "not-owner", NULL, NULL);
	free(body);
	/* sealed for data-key, sent as model-key */
	body = upload_body(jwk, "model-key", "data-key", doc2, s->canary_model, -1);
	upload(A, body, "model-key", ACME, &r);
	expect_problem(&r, 400, "upload-unreadable", NULL, NULL);
	free(body);
	/* sealed for the replaced version 1 */
	body = upload_body(jwk, "model-key", "model-key", doc1, s->canary_model, -1);
	upload(A, body, "model-key", ACME, &r);
	expect_problem(&r, 400, "upload-unreadable", NULL, NULL);
	free(body);
	/*
	 * sealed for another contract of the same name and version number (another content: what an operator
	 * who registered its own contract under this name first would hold): the aad binds the id, not the number
	 */
	{
		char *other = strdup(doc2), *at = strstr(other, "2099-01-01");

		assert_non_null(at);
		memcpy(at, "2098", 4);
		body = upload_body(jwk, "model-key", "model-key", other, s->canary_model, -1);
		upload(A, body, "model-key", ACME, &r);
		expect_problem(&r, 400, "upload-unreadable", NULL, NULL);
		free(body);
		free(other);
	}
	/* a byte of the ciphertext flipped: first, middle, tag */
	for (long at = 0; at < 3; at++) {
		long pos = at == 0   ? 0
			   : at == 1 ? (long)strlen(s->canary_model) / 2
				     : (long)strlen(s->canary_model) + 5;

		body = upload_body(jwk, "model-key", "model-key", doc2, s->canary_model, pos);
		upload(A, body, "model-key", ACME, &r);
		expect_problem(&r, 400, "upload-unreadable", NULL, NULL);
		free(body);
	}
	/* sent to the other replica: its upload key is its own */
	if (s->two) {
		body = upload_body(jwk, "model-key", "model-key", doc2, s->canary_model, -1);
		upload(B, body, "model-key", ACME, &r);
		expect_problem(&r, 409, "upload-key-unknown", NULL, NULL);
		free(body);
	}
	body = upload_body(jwk, "model-key", "model-key", doc2, s->canary_model, -1);
	/* acme's name, mallory's key */
	upload_as(A, body, "model-key", ACME, MALLORY, NULL, &r);
	expect_problem(&r, 403, "statement-signature", NULL, NULL);
	h = NULL;
	upload_as(A, body, "model-key", ACME, ACME, &h, &r);
	j = expect_ok(&r, 201);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
	json_decref(j);
	uploads++;
	/* the same upload again: its statement is spent */
	upload_as(B, body, "model-key", ACME, ACME, &h, &r);
	expect_problem(&r, 409, "statement-replay", NULL, NULL);
	free(h);
	free(body);
	body = upload_body(jwk, "data-key", "data-key", doc2, s->canary_data, -1);
	upload(A, body, "data-key", CLINIC, &r);
	j = expect_ok(&r, 201);
	json_decref(j);
	uploads++;
	free(body);
	json_decref(jwk);

	/* ---- releases: P-384, on both replicas (version 2 now: joint-key and spare-key exist) ---- */
	release_ok(A, tok, "model-key", s->canary_model, CCG_HPKE_P384_SHA384_AES256GCM, NULL);
	release_ok(B, tok, "data-key", s->canary_data, CCG_HPKE_P384_SHA384_AES256GCM, NULL);
	releases += 2;
	/* a secret the contract does not name */
	release(A, tok, "other-key", &r);
	expect_problem(&r, 404, "secret-unknown", "contract", "secret-unknown");
	denials++;
	/* a contract never registered (not logged: no contract to log it for) */
	{
		json_t *b = json_pack("{s:s,s:s,s:s}", "token", tok, "contract", "no-such", "secret", "model-key");
		char *t = json_dumps(b, JSON_COMPACT);

		call(A, "POST", "/v1/release", NULL, t, &r);
		expect_problem(&r, 404, "contract-unknown", NULL, NULL);
		json_decref(b);
		free(t);
	}
	/* a co-party that required for joint-key did not sign version 2 */
	release(A, tok, "joint-key", &r);
	expect_problem(&r, 403, "denied", "alice", "consent");
	denials++;
	/* allowed, but its owner never uploaded it */
	release(B, tok, "spare-key", &r);
	expect_problem(&r, 404, "secret-not-uploaded", "verifier", "not-uploaded");
	denials++;
	/* a token byte changed */
	{
		char *bad = strdup(tok);

		bad[strlen(bad) - 3] = bad[strlen(bad) - 3] == 'A' ? 'B' : 'A';
		release(A, bad, "model-key", &r);
		expect_problem(&r, 401, "token-invalid", NULL, NULL);
		free(bad);
	}

	/* ---- X25519 TEE key ---- */
	{
		EVP_PKEY *x = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
		char *xtok = attest_with(A, x);

		release_ok(A, xtok, "model-key", s->canary_model, CCG_HPKE_X25519_SHA256_AES128GCM, x);
		releases++;
		free(xtok);
		EVP_PKEY_free(x);
	}

	/* ---- an RSA TEE key: nothing to wrap a secret to (not logged: refused before any contract is read) ---- */
	{
		EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		char *rtok = attest_with(A, rsa);

		release(A, rtok, "model-key", &r);
		j = json_loads(r.body, 0, NULL);
		assert_string_equal(json_string_value(json_object_get(j, "ccgpu-status")), "ERR_UNSUPPORTED");
		json_decref(j);
		expect_problem(&r, 403, "token-no-tee-key", NULL, NULL);
		free(rtok);
		EVP_PKEY_free(rsa);
	}

	/* ---- the verifier's own appraisal refused (every party's policy holds): ear.status decides ---- */
	if (s->strict.pid > 0) {
		char *ctok = attest(s->strict.base, NULL);

		release(A, ctok, "model-key", &r);
		expect_problem(&r, 403, "denied", "verifier", "ear.status");
		denials++;
		free(ctok);
	}

	/* ---- a drifted GPU measurement: clinic's rule refuses ---- */
	{
		char *dtok = attest(A, "drift=5@1");

		release(A, dtok, "model-key", &r);
		expect_problem(&r, 403, "denied", "clinic", "gpu-measurements");
		denials++;
		free(dtok);
	}

	/* ---- suspension ---- */
	hold(A, CLINIC, "model-key", true, &r);
	j = expect_ok(&r, 200);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "suspended_by"), 0)), "clinic");
	json_decref(j);
	suspends++;
	/* at once on both replicas */
	release(A, tok, "model-key", &r);
	expect_problem(&r, 409, "suspended", "clinic", NULL);
	release(B, tok, "model-key", &r);
	expect_problem(&r, 409, "suspended", "clinic", NULL);
	denials += 2;
	/* the other secret is not held */
	release_ok(B, tok, "data-key", s->canary_data, CCG_HPKE_P384_SHA384_AES256GCM, NULL);
	releases++;
	/* acme cannot lift clinic's hold */
	hold(B, ACME, "model-key", false, &r);
	expect_problem(&r, 403, "not-suspender", NULL, NULL);
	/* alice has no say over model-key */
	hold(A, ALICE, "model-key", true, &r);
	expect_problem(&r, 403, "no-say", NULL, NULL);
	/* but any party holds the whole contract */
	hold(B, ALICE, NULL, true, &r);
	json_decref(expect_ok(&r, 200));
	suspends++;
	release(A, tok, "data-key", &r);
	expect_problem(&r, 409, "suspended", "alice", NULL);
	denials++;
	hold(A, ALICE, NULL, false, &r);
	json_decref(expect_ok(&r, 200));
	resumes++;
	/* only clinic's own resume lifts it */
	hold(B, CLINIC, "model-key", false, &r);
	j = expect_ok(&r, 200);
	assert_int_equal(json_array_size(json_object_get(j, "suspended_by")), 0);
	json_decref(j);
	resumes++;
	release_ok(A, tok, "model-key", s->canary_model, CCG_HPKE_P384_SHA384_AES256GCM, NULL);
	releases++;

	/*
	 * ---- the operator edits the contract row (branch releasefast): each edit is refused by the daemon itself,
	 * naming the contract and the check, and logged as a denial; with the row put back, releases work again ----
	 */
	{
		char *alice = json_once(P[ALICE].pub), *mallory = json_once(P[MALLORY].pub);

		/* clinic's policy weakened, the signatures it no longer matches dropped: no consent left */
		row_save(s);
		row_replace(s, "(measres == \\\\\\\"success\\\\\\\")", "(measres != \\\\\\\"nothing\\\\\\\")");
		row_replace(s, "\"signatures\":[", "\"signatures\":[],\"dropped\":[");
		release(A, tok, "model-key", &r);
		expect_not_in_force(&r, "consent");
		denials++;
		row_restore(s);
		/* the threshold lowered, the signatures kept: they sign other bytes */
		row_save(s);
		row_replace(s, "\\\"threshold\\\":2", "\\\"threshold\\\":1");
		release(B, tok, "model-key", &r);
		expect_not_in_force(&r, "signatures");
		denials++;
		row_restore(s);
		/*
		 * alice's registered key replaced by the operator's (mallory's) in the row's keys, the document and
		 * signatures untouched: alice need not sign version 2, so the threshold still holds; the key is not
		 * the one the parties signed for alice. alice's contract-wide hold cannot be lifted with it either.
		 */
		hold(A, ALICE, NULL, true, &r);
		json_decref(expect_ok(&r, 200));
		suspends++;
		row_save(s);
		row_replace(s, alice, mallory);
		hold_as(B, ALICE, MALLORY, NULL, false, &r);
		expect_problem(&r, 403, "contract-not-in-force", NULL, NULL);
		row_restore(s);
		hold(B, ALICE, NULL, false, &r);
		json_decref(expect_ok(&r, 200));
		resumes++;
		row_save(s);
		row_replace(s, alice, mallory);
		release(A, tok, "data-key", &r);
		expect_not_in_force(&r, "parties[alice].public-key");
		denials++;
		/* nor is it served as the contract in force */
		vt_http_hdr(B, "GET", "/v1/contracts/" CONTRACT, NULL, NULL, NULL, 0, &r);
		expect_problem(&r, 403, "contract-not-in-force", NULL, NULL);
		row_restore(s);
		free(alice);
		free(mallory);
	}
	release_ok(A, tok, "model-key", s->canary_model, CCG_HPKE_P384_SHA384_AES256GCM, NULL);
	releases++;
	if (s->two) {
		pthread_t th[RACERS];
		struct racer rc[RACERS];

		for (int i = 0; i < RACERS; i++) {
			rc[i] = (struct racer){.base = {i % 2 ? A : B, i % 2 ? B : A}, .token = tok};
			assert_int_equal(pthread_create(&th[i], NULL, race, &rc[i]), 0);
		}
		for (int i = 0; i < RACERS; i++) {
			assert_int_equal(pthread_join(th[i], NULL), 0);
			for (int k = 0; k < RACES; k++)
				assert_int_equal(rc[i].status[k], 200);
		}
		releases += RACERS * RACES;
	}
	/*
	 * ---- a secret is bound to the contract version it was uploaded for (branch releasefast): under version 4
	 * model-key is refused until acme uploads it again for version 4 ----
	 */
	{
		char *doc4 = contract_doc(4);

		body = contract_body(doc4, two, 2);
		push(A, body, ACME, ACME, 0, &r);
		json_decref(expect_ok(&r, 201));
		contracts++;
		free(body);
		release(B, tok, "model-key", &r);
		expect_problem(&r, 409, "secret-other-version", "verifier", "contract-version");
		denials++;
		jwk = upload_jwk(&s->a);
		/* sealed for version 2 (the one the secret was uploaded for): not the version in force */
		body = upload_body(jwk, "model-key", "model-key", doc2, s->canary_model, -1);
		upload(A, body, "model-key", ACME, &r);
		expect_problem(&r, 400, "upload-unreadable", NULL, NULL);
		free(body);
		body = upload_body(jwk, "model-key", "model-key", doc4, s->canary_model, -1);
		upload(A, body, "model-key", ACME, &r);
		json_decref(expect_ok(&r, 201));
		uploads++;
		free(body);
		json_decref(jwk);
		release_ok(B, tok, "model-key", s->canary_model, CCG_HPKE_P384_SHA384_AES256GCM, NULL);
		releases++;
		free(doc4);
	}
	free(tok);

	/* ---- the log: one entry per event, verifying, consistent with the first head ---- */
	log_read(B, &last);
	assert_int_equal(count(&last, "contract"), contracts);
	assert_int_equal(count(&last, "upload"), uploads);
	assert_int_equal(count(&last, "release"), releases);
	assert_int_equal(count(&last, "denial"), denials);
	assert_int_equal(count(&last, "suspend"), suspends);
	assert_int_equal(count(&last, "resume"), resumes);
	assert_int_equal(last.sth.tree_size, contracts + uploads + releases + denials + suspends + resumes);
	log_consistent(A, &first.sth, &last.sth);
	json_decref(first.types);
	json_decref(last.types);
	free(doc1);
	free(doc2);
	free(doc3);
}

/* no canary in the daemons' logs */
static void logs_clean(struct story *s)
{
	assert_int_equal(grep_any(s->a.log, s->canary_model), 0);
	assert_int_equal(grep_any(s->a.log, s->canary_data), 0);
	if (s->two) {
		assert_int_equal(grep_any(s->b.log, s->canary_model), 0);
		assert_int_equal(grep_any(s->b.log, s->canary_data), 0);
	}
	/* the check can see: the ready line's public key is in the log */
	assert_true(grep_file(s->a.log, "upload_jwk") > 0);
}

/* the stories' daemons, stopped by the tests' teardown when a check failed halfway */
static struct story S_sqlite = {.name = "sqlite"}, S_pg = {.name = "pg", .two = true};

static int stop_all(void **state)
{
	(void)state;
	if (S_sqlite.a.pid > 0)
		vt_daemon_stop(&S_sqlite.a, SIGKILL);
	if (S_sqlite.strict.pid > 0)
		vt_daemon_stop(&S_sqlite.strict, SIGKILL);
	if (S_pg.a.pid > 0)
		vt_daemon_stop(&S_pg.a, SIGKILL);
	if (S_pg.b.pid > 0)
		vt_daemon_stop(&S_pg.b, SIGKILL);
	tp_pg_stop();
	return 0;
}

static void test_sqlite(void **state)
{
	struct story *s = &S_sqlite;
	char db[4096], wal[4200];

	(void)state;
	start(s);
	story(s);
	/* the database and its WAL, while the daemon runs (the WAL not yet checkpointed away) */
	snprintf(db, sizeof(db), "%.512s/verifier.db", s->a.state);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	/* the search can see: the log entries and the canaries' names in them are there to find */
	assert_true(grep_any(db, "\"type\":\"upload\"") + grep_any(wal, "\"type\":\"upload\"") > 0);
	assert_int_equal(grep_any(db, s->canary_model) + grep_any(wal, s->canary_model), 0);
	assert_int_equal(grep_any(db, s->canary_data) + grep_any(wal, s->canary_data), 0);
	assert_int_equal(vt_daemon_stop(&s->a, SIGTERM), 0);
	assert_int_equal(vt_daemon_stop(&s->strict, SIGTERM), 0);
	logs_clean(s);
	assert_int_equal(grep_any(db, s->canary_model) + grep_any(wal, s->canary_model), 0);
	assert_int_equal(grep_any(db, s->canary_data) + grep_any(wal, s->canary_data), 0);
}

static void test_postgresql(void **state)
{
	char *url = tp_pg_start(), dump[700], cmd[2048];
	struct story *s = &S_pg;
	const char *bindir = getenv("CCGPU_PG_BINDIR");

	(void)state;
	s->store = url;
	start(s);
	story(s);
	assert_int_equal(vt_daemon_stop(&s->a, SIGTERM), 0);
	assert_int_equal(vt_daemon_stop(&s->b, SIGTERM), 0);
	logs_clean(s);
	/* a pg_dump of the whole database */
	snprintf(dump, sizeof(dump), "%s/pg.dump", world.dir);
	if (bindir != NULL)
		snprintf(cmd, sizeof(cmd), "'%s/pg_dump' -d '%s' -f '%s'", bindir, url, dump);
	else
		snprintf(
			cmd, sizeof(cmd),
			"\"$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)/pg_dump\" -d '%s' -f '%s'",
			url, dump);
	assert_int_equal(system(cmd), 0);
	assert_true(grep_any(dump, "\"type\":\"upload\"") > 0); /* bytea: found as hex */
	assert_int_equal(grep_any(dump, s->canary_model), 0);
	assert_int_equal(grep_any(dump, s->canary_data), 0);
	tp_pg_stop();
	free(url);
}

static int setup(void **state)
{
	(void)state;
	parties_init();
	vt_world_init(&world, 2);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vt_world_free(&world);
	for (size_t i = 0; i < NPARTIES; i++) {
		free(P[i].priv);
		free(P[i].pub);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_sqlite, stop_all),
		cmocka_unit_test_teardown(test_postgresql, stop_all),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: test-verifierd-release CCGPU-VERIFIERD\n");
		return 2;
	}
	binary = argv[1];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
