/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Contracts (docs/contracts.md): parsed strictly, identified by the SHA-384
 * of their canonical JSON form, signed by parties (detached), in force when
 * the threshold of parties signed that exact version. A signature counts only
 * when it verifies under the party's registered key (struct ccg_party_keys,
 * given by the caller, never taken from the document), and a secret is
 * released only when its owner and every party in its requires signed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"
#include "policies/policy_int.h"

#define CONTRACT_MAX_JSON (1u << 20)
#define CONTRACT_MAX_PARTIES POL_CONTRACT_MAX_PARTIES
#define CONTRACT_MAX_SECRETS 64
#define SIG_MAX_JSON 8192
#define SIG_MAX 256
#define PARTY_KEYS_MAX 4096

/* ---- keys and signatures ---- */

enum ccg_status pol_key_parse(const uint8_t *pem, size_t len, bool private_key, void **out_pkey, const char **alg,
			      const char *where, struct ccg_error *err)
{
	BIO *bio = NULL;
	EVP_PKEY *k = NULL;
	enum ccg_status st = CCG_OK;

	*out_pkey = NULL;
	if (len > INT32_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, where, "cannot read key");
	k = private_key ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (k == NULL) {
		st = ccg_openssl_error(err, CCG_ERR_ENCODING, where,
				       private_key ? "not a PEM private key" : "not a PEM public key");
		goto out;
	}
	if (EVP_PKEY_is_a(k, "ED25519")) {
		*alg = "ed25519";
	} else if (EVP_PKEY_is_a(k, "EC")) {
		char group[64];
		size_t glen = 0;

		if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen) != 1 ||
		    strcmp(group, "secp384r1") != 0) {
			st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, where, "EC keys must be on P-384");
			goto out;
		}
		*alg = "ecdsa-p384";
	} else {
		st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, where, "keys must be ECDSA P-384 or Ed25519");
		goto out;
	}
	*out_pkey = k;
	k = NULL;
out:
	EVP_PKEY_free(k);
	return st;
}

void pol_key_free(void *pkey)
{
	EVP_PKEY_free(pkey);
}

bool pol_key_same(void *a, void *b)
{
	return EVP_PKEY_eq(a, b) == 1;
}

static enum ccg_status with_ctx(const char *ctx, const uint8_t *msg, size_t len, uint8_t **out, size_t *out_len)
{
	size_t cl = strlen(ctx);

	if (len > SIZE_MAX - cl || (*out = malloc(cl + len + 1)) == NULL)
		return CCG_ERR_NOMEM;
	memcpy(*out, ctx, cl);
	if (len > 0)
		memcpy(*out + cl, msg, len);
	*out_len = cl + len;
	return CCG_OK;
}

enum ccg_status pol_sign(void *pkey, const char *ctx, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len,
			 struct ccg_error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *tbs = NULL;
	size_t tbs_len = 0;
	enum ccg_status st;

	*sig = NULL;
	if (md == NULL || with_ctx(ctx, msg, len, &tbs, &tbs_len) != CCG_OK) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "sign", "out of memory");
		goto out;
	}
	if (EVP_DigestSignInit_ex(md, NULL, EVP_PKEY_is_a(pkey, "ED25519") ? NULL : "SHA384", NULL, NULL, pkey, NULL) !=
		    1 ||
	    EVP_DigestSign(md, NULL, sig_len, tbs, tbs_len) != 1 || (*sig = malloc(*sig_len)) == NULL ||
	    EVP_DigestSign(md, *sig, sig_len, tbs, tbs_len) != 1) {
		free(*sig);
		*sig = NULL;
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "sign", "signing failed");
		goto out;
	}
	st = CCG_OK;
out:
	free(tbs);
	EVP_MD_CTX_free(md);
	return st;
}

enum ccg_status pol_verify(void *pkey, const char *ctx, const uint8_t *msg, size_t len, const uint8_t *sig,
			   size_t sig_len, const char *where, struct ccg_error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *tbs = NULL;
	size_t tbs_len = 0;
	enum ccg_status st;
	int r;

	if (md == NULL || with_ctx(ctx, msg, len, &tbs, &tbs_len) != CCG_OK) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, where, "out of memory");
		goto out;
	}
	if (EVP_DigestVerifyInit_ex(md, NULL, EVP_PKEY_is_a(pkey, "ED25519") ? NULL : "SHA384", NULL, NULL, pkey,
				    NULL) != 1) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, where, "verification setup failed");
		goto out;
	}
	r = EVP_DigestVerify(md, sig, sig_len, tbs, tbs_len);
	if (r == 1) {
		st = CCG_OK;
	} else if (r == 0 || !EVP_PKEY_is_a(pkey, "ED25519")) {
		/* a malformed DER signature is a bad signature, not a library failure */
		ERR_clear_error();
		st = ccg_error_set(err, CCG_ERR_SIGNATURE, where, "signature does not verify");
	} else {
		st = ccg_openssl_error(err, CCG_ERR_SIGNATURE, where, "signature does not verify");
	}
out:
	free(tbs);
	EVP_MD_CTX_free(md);
	return st;
}

/* ---- contracts ---- */

struct party {
	char *id, *role;
	void *key;
	const char *alg;
	struct ccg_policy *policy; /* NULL: this party states no policy */
	uint8_t *sig;              /* the last signature added for this version; NULL: none */
	size_t sig_len;
};

struct secret {
	char *owner, *name;
	size_t owner_idx; /* index of the owner in parties */
	size_t nreq;
	size_t req[CONTRACT_MAX_PARTIES];
};

struct ccg_contract {
	uint8_t *canonical;
	size_t canonical_len;
	char id[2 * CCG_SHA384_LEN + 1];
	char *name; /* the document's "id" */
	int64_t not_before, not_after;
	size_t threshold;
	struct ccg_policy *workload;
	struct party parties[CONTRACT_MAX_PARTIES];
	size_t nparties;
	struct secret secrets[CONTRACT_MAX_SECRETS];
	size_t nsecrets;
};

void ccg_contract_free(struct ccg_contract *c)
{
	if (c == NULL)
		return;
	free(c->canonical);
	free(c->name);
	ccg_policy_free(c->workload);
	for (size_t i = 0; i < c->nparties; i++) {
		free(c->parties[i].id);
		free(c->parties[i].role);
		pol_key_free(c->parties[i].key);
		ccg_policy_free(c->parties[i].policy);
		free(c->parties[i].sig);
	}
	for (size_t i = 0; i < c->nsecrets; i++) {
		free(c->secrets[i].owner);
		free(c->secrets[i].name);
	}
	free(c);
}

/* only the listed members, each present */
static enum ccg_status members_only(json_t *obj, const char *const *allowed, size_t n, const char *where,
				    struct ccg_error *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "must be an object");
	json_object_foreach(obj, key, v) {
		bool ok = false;

		for (size_t i = 0; i < n; i++)
			ok |= strcmp(key, allowed[i]) == 0;
		if (!ok)
			return ccg_error_set(err, CCG_ERR_MALFORMED, where, "unknown member '%.64s'", key);
	}
	return CCG_OK;
}

/* no JSON reals anywhere: they have no single canonical spelling */
static bool has_real(json_t *v, unsigned depth)
{
	const char *k;
	json_t *e;
	size_t i;

	if (depth > 16 || json_is_real(v))
		return true;
	if (json_is_object(v)) {
		json_object_foreach(v, k, e)
			if (has_real(e, depth + 1))
				return true;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (has_real(e, depth + 1))
				return true;
	}
	return false;
}

static int find_party(const struct ccg_contract *c, const char *id)
{
	for (size_t i = 0; i < c->nparties; i++)
		if (strcmp(c->parties[i].id, id) == 0)
			return (int)i;
	return -1;
}

static enum ccg_status parse_time(json_t *obj, const char *key, int64_t *out, struct ccg_error *err)
{
	const char *s = NULL;
	enum ccg_status st = ccg_json_get_string(obj, key, &s, "contract", err);

	if (st != CCG_OK)
		return st;
	if (ccg_time_parse_iso(s, out) != CCG_OK)
		return ccg_error_set(err, CCG_ERR_MALFORMED, key, "not a time (YYYY-MM-DDTHH:MM:SSZ)");
	return CCG_OK;
}

static enum ccg_status workload_policy(struct ccg_contract *c, json_t *ref, struct ccg_error *err)
{
	const struct pol_schema *s = pol_schema_get();
	struct ccg_buf b;
	bool fail = false;
	const char *key;
	json_t *vals;
	enum ccg_status st;
	struct ccg_error perr;

	ccg_buf_init(&b, 0);
	if (s == NULL)
		return ccg_error_set(err, CCG_ERR_INTERNAL, "claims-schema", "invalid");
	if (!json_is_object(ref) || json_object_size(ref) == 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "workload.reference-values", "must be a non-empty object");
	ccg_buf_init(&b, CCG_POLICY_MAX_SOURCE);
	fail = ccg_buf_append_str(&b, "policy \"workload\" version 1\n") != CCG_OK;
	{
		size_t n = 0;

		json_object_foreach(ref, key, vals) {
			const struct pol_schema_claim *sc = pol_schema_find(s, key);
			char head[256];
			size_t i;
			json_t *v;

			if (sc == NULL || !json_is_array(vals) || json_array_size(vals) == 0 ||
			    json_array_size(vals) > POL_MAX_SET) {
				st = ccg_error_set(err, sc == NULL ? CCG_ERR_POLICY_UNKNOWN_CLAIM : CCG_ERR_MALFORMED,
						   "workload.reference-values",
						   "'%.64s': unknown claim or not a list of 1 to %d values", key,
						   POL_MAX_SET);
				goto out;
			}
			snprintf(head, sizeof(head),
				 "rule reference-value-%zu \"workload reference value %s\" {\n%s%s in {", ++n, key,
				 sc->scope == SCOPE_GPU ? "every gpu (" : "(", key);
			fail |= ccg_buf_append_str(&b, head) != CCG_OK;
			json_array_foreach(vals, i, v) {
				char lit[64];

				if (i > 0)
					fail |= ccg_buf_append_str(&b, ", ") != CCG_OK;
				if (json_is_string(v)) {
					const char *p = json_string_value(v);

					if (strpbrk(p, "\"\\\n") != NULL || strlen(p) != json_string_length(v)) {
						st = ccg_error_set(
							err, CCG_ERR_MALFORMED, "workload.reference-values",
							"'%.64s': a value holds a quote, backslash or newline", key);
						goto out;
					}
					fail |= ccg_buf_append_u8(&b, '"') != CCG_OK;
					fail |= ccg_buf_append_str(&b, p) != CCG_OK;
					fail |= ccg_buf_append_u8(&b, '"') != CCG_OK;
				} else if (json_is_boolean(v) || json_is_integer(v)) {
					if (json_is_boolean(v))
						snprintf(lit, sizeof(lit), "%s", json_is_true(v) ? "true" : "false");
					else
						snprintf(lit, sizeof(lit), "%lld", (long long)json_integer_value(v));
					fail |= ccg_buf_append_str(&b, lit) != CCG_OK;
				} else {
					st = ccg_error_set(err, CCG_ERR_MALFORMED, "workload.reference-values",
							   "'%.64s': values are strings, booleans or integers", key);
					goto out;
				}
			}
			fail |= ccg_buf_append_str(&b, "})\n}\n") != CCG_OK;
		}
	}
	if (fail || ccg_buf_terminate(&b) != CCG_OK) {
		st = ccg_error_set(err, CCG_ERR_TOO_LARGE, "workload.reference-values", "too many reference values");
		goto out;
	}
	ccg_error_clear(&perr);
	if ((st = ccg_policy_parse((const char *)b.data, b.len, &c->workload, &perr)) != CCG_OK) {
		st = ccg_error_set(err, st, "workload.reference-values", "%s", perr.detail);
		goto out;
	}
	st = CCG_OK;
out:
	ccg_buf_cleanup(&b);
	return st;
}

static const char *const roles[] = {"model-owner", "data-owner", "client", "operator"};

enum ccg_status ccg_contract_parse(const uint8_t *json, size_t len, struct ccg_contract **out, struct ccg_error *err)
{
	static const char *const top_members[] = {"ccgpu-contract", "id",      "version", "not-before", "not-after",
						  "workload",       "parties", "secrets", "threshold"};
	static const char *const party_members[] = {"id", "role", "public-key", "policy"};
	static const char *const secret_members[] = {"owner", "name", "requires"};
	static const char *const workload_members[] = {"name", "reference-values"};
	struct ccg_contract *c = NULL;
	json_t *root = NULL, *parties, *secrets, *e;
	int64_t fmtv = 0, ver = 0, thr = 0;
	const char *s;
	uint8_t hash[CCG_SHA384_LEN];
	char *canon = NULL;
	size_t i;
	enum ccg_status st;

	if (out == NULL || json == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "contract", "no input or output");
	*out = NULL;
	if ((st = ccg_json_parse(json, len, CONTRACT_MAX_JSON, "contract", &root, err)) != CCG_OK)
		return st;
	if ((st = members_only(root, top_members, sizeof(top_members) / sizeof(top_members[0]), "contract", err)) !=
	    CCG_OK)
		goto out;
	if (has_real(root, 0)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "contract", "numbers must be integers (nesting at most 16)");
		goto out;
	}
	if ((st = ccg_json_get_int(root, "ccgpu-contract", 1, 1, &fmtv, "contract", err)) != CCG_OK ||
	    (st = ccg_json_get_string(root, "id", &s, "contract", err)) != CCG_OK ||
	    (st = ccg_json_get_int(root, "version", 1, INT32_MAX, &ver, "contract", err)) != CCG_OK)
		goto out;
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->name = strdup(s)) == NULL) {
		st = CCG_ERR_NOMEM;
		goto out;
	}
	if ((st = parse_time(root, "not-before", &c->not_before, err)) != CCG_OK ||
	    (st = parse_time(root, "not-after", &c->not_after, err)) != CCG_OK)
		goto out;
	if (c->not_after <= c->not_before) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "not-after", "must be later than not-before");
		goto out;
	}
	e = json_object_get(root, "workload");
	if ((st = members_only(e, workload_members, 2, "workload", err)) != CCG_OK ||
	    (st = ccg_json_get_string(e, "name", &s, "workload", err)) != CCG_OK ||
	    (st = workload_policy(c, json_object_get(e, "reference-values"), err)) != CCG_OK)
		goto out;
	parties = json_object_get(root, "parties");
	if (!json_is_array(parties) || json_array_size(parties) == 0 ||
	    json_array_size(parties) > CONTRACT_MAX_PARTIES) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "parties", "must list 1 to %d parties",
				   CONTRACT_MAX_PARTIES);
		goto out;
	}
	json_array_foreach(parties, i, e) {
		struct party *p = &c->parties[c->nparties];
		char where[64];
		const char *id, *role, *pem, *pol = NULL;
		bool role_ok = false;

		snprintf(where, sizeof(where), "parties[%zu]", i);
		if ((st = members_only(e, party_members, 4, where, err)) != CCG_OK ||
		    (st = ccg_json_get_string(e, "id", &id, where, err)) != CCG_OK ||
		    (st = ccg_json_get_string(e, "role", &role, where, err)) != CCG_OK ||
		    (st = ccg_json_get_string(e, "public-key", &pem, where, err)) != CCG_OK)
			goto out;
		if (json_object_get(e, "policy") != NULL &&
		    (st = ccg_json_get_string(e, "policy", &pol, where, err)) != CCG_OK)
			goto out;
		for (size_t r = 0; r < sizeof(roles) / sizeof(roles[0]); r++)
			role_ok |= strcmp(role, roles[r]) == 0;
		if (!role_ok) {
			st = ccg_error_set(err, CCG_ERR_MALFORMED, where,
					   "role '%.32s' is not model-owner, data-owner, client or operator", role);
			goto out;
		}
		if (*id == '\0' || strlen(id) > 64 || find_party(c, id) >= 0) {
			st = ccg_error_set(err, CCG_ERR_DUPLICATE, where,
					   "party id '%.64s' is empty, too long or given twice", id);
			goto out;
		}
		c->nparties++;
		if ((p->id = strdup(id)) == NULL || (p->role = strdup(role)) == NULL) {
			st = CCG_ERR_NOMEM;
			goto out;
		}
		if ((st = pol_key_parse((const uint8_t *)pem, strlen(pem), false, &p->key, &p->alg, where, err)) !=
		    CCG_OK)
			goto out;
		if (pol != NULL) {
			struct ccg_error perr;

			ccg_error_clear(&perr);
			if ((st = ccg_policy_parse(pol, strlen(pol), &p->policy, &perr)) != CCG_OK) {
				snprintf(where, sizeof(where), "parties[%zu].policy:%.20s", i, perr.where);
				st = ccg_error_set(err, st, where, "%s", perr.detail);
				goto out;
			}
		}
	}
	secrets = json_object_get(root, "secrets");
	if (secrets != NULL && (!json_is_array(secrets) || json_array_size(secrets) > CONTRACT_MAX_SECRETS)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "secrets", "must be a list of at most %d",
				   CONTRACT_MAX_SECRETS);
		goto out;
	}
	json_array_foreach(secrets, i, e) {
		struct secret *sec = &c->secrets[c->nsecrets];
		char where[64];
		const char *owner, *name;
		json_t *req = json_object_get(e, "requires"), *r;
		size_t k;

		snprintf(where, sizeof(where), "secrets[%zu]", i);
		if ((st = members_only(e, secret_members, 3, where, err)) != CCG_OK ||
		    (st = ccg_json_get_string(e, "owner", &owner, where, err)) != CCG_OK ||
		    (st = ccg_json_get_string(e, "name", &name, where, err)) != CCG_OK)
			goto out;
		if (find_party(c, owner) < 0) {
			st = ccg_error_set(err, CCG_ERR_MALFORMED, where, "owner '%.64s' is not a party", owner);
			goto out;
		}
		sec->owner_idx = (size_t)find_party(c, owner);
		for (size_t j = 0; j < c->nsecrets; j++)
			if (strcmp(c->secrets[j].name, name) == 0) {
				st = ccg_error_set(err, CCG_ERR_DUPLICATE, where, "secret '%.64s' is named twice",
						   name);
				goto out;
			}
		if (!json_is_array(req) || json_array_size(req) == 0 || json_array_size(req) > CONTRACT_MAX_PARTIES) {
			st = ccg_error_set(err, CCG_ERR_MALFORMED, where,
					   "requires must list the parties whose policies must hold");
			goto out;
		}
		c->nsecrets++;
		if ((sec->owner = strdup(owner)) == NULL || (sec->name = strdup(name)) == NULL) {
			st = CCG_ERR_NOMEM;
			goto out;
		}
		json_array_foreach(req, k, r) {
			int pi = json_is_string(r) ? find_party(c, json_string_value(r)) : -1;

			if (pi < 0) {
				st = ccg_error_set(err, CCG_ERR_MALFORMED, where, "requires[%zu] is not a party", k);
				goto out;
			}
			if (c->parties[pi].policy == NULL) {
				st = ccg_error_set(err, CCG_ERR_MALFORMED, where,
						   "party '%s' is required but states no policy", c->parties[pi].id);
				goto out;
			}
			sec->req[sec->nreq++] = (size_t)pi;
		}
	}
	c->threshold = c->nparties;
	if (json_object_get(root, "threshold") != NULL) {
		if ((st = ccg_json_get_int(root, "threshold", 1, (int64_t)c->nparties, &thr, "contract", err)) !=
		    CCG_OK)
			goto out;
		c->threshold = (size_t)thr;
	}
	canon = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	if (canon == NULL) {
		st = CCG_ERR_NOMEM;
		goto out;
	}
	c->canonical_len = strlen(canon);
	c->canonical = (uint8_t *)canon;
	if ((st = ccg_sha384(c->canonical, c->canonical_len, hash)) != CCG_OK)
		goto out;
	ccg_hex_encode(hash, sizeof(hash), c->id);
	*out = c;
	c = NULL;
out:
	json_decref(root);
	ccg_contract_free(c);
	return st;
}

const uint8_t *ccg_contract_canonical(const struct ccg_contract *c, size_t *out_len)
{
	*out_len = c->canonical_len;
	return c->canonical;
}

const char *ccg_contract_id(const struct ccg_contract *c)
{
	return c->id;
}

const char *ccg_contract_name(const struct ccg_contract *c)
{
	return c->name;
}

enum ccg_status ccg_contract_sign(const struct ccg_contract *c, const char *party, const uint8_t *key_pem,
				  size_t key_len, char **out, struct ccg_error *err)
{
	void *key = NULL;
	const char *alg = NULL;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	char *b64 = NULL;
	json_t *doc = NULL;
	int pi;
	enum ccg_status st;

	*out = NULL;
	if ((pi = find_party(c, party)) < 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "party", "'%.64s' is not a party of the contract",
				     party);
	if ((st = pol_key_parse(key_pem, key_len, true, &key, &alg, "key", err)) != CCG_OK)
		goto out;
	if (!pol_key_same(key, c->parties[pi].key)) {
		st = ccg_error_set(err, CCG_ERR_INVALID_ARG, "key", "the key is not party '%s''s key in the contract",
				   party);
		goto out;
	}
	if ((st = pol_sign(key, POL_SIG_CTX_CONTRACT, c->canonical, c->canonical_len, &sig, &sig_len, err)) != CCG_OK)
		goto out;
	b64 = ccg_base64_encode_alloc(sig, sig_len);
	doc = json_pack("{s:i, s:s, s:s, s:s, s:s}", "ccgpu-signature", 1, "contract", c->id, "party", party, "alg",
			alg, "signature", b64 != NULL ? b64 : "");
	if (b64 == NULL || doc == NULL || (*out = ccg_json_dumps(doc, 2)) == NULL)
		st = CCG_ERR_NOMEM;
out:
	json_decref(doc);
	free(b64);
	free(sig);
	pol_key_free(key);
	return st;
}

enum ccg_status ccg_contract_add_signature(struct ccg_contract *c, const uint8_t *sig_json, size_t len,
					   struct ccg_error *err)
{
	static const char *const members[] = {"ccgpu-signature", "contract", "party", "alg", "signature"};
	json_t *doc = NULL;
	const char *id, *party, *alg, *b64;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	int64_t v;
	int pi;
	char where[96];
	enum ccg_status st;

	if ((st = ccg_json_parse(sig_json, len, SIG_MAX_JSON, "signature", &doc, err)) != CCG_OK)
		return st;
	if ((st = members_only(doc, members, 5, "signature", err)) != CCG_OK ||
	    (st = ccg_json_get_int(doc, "ccgpu-signature", 1, 1, &v, "signature", err)) != CCG_OK ||
	    (st = ccg_json_get_string(doc, "contract", &id, "signature", err)) != CCG_OK ||
	    (st = ccg_json_get_string(doc, "party", &party, "signature", err)) != CCG_OK ||
	    (st = ccg_json_get_string(doc, "alg", &alg, "signature", err)) != CCG_OK ||
	    (st = ccg_json_get_string(doc, "signature", &b64, "signature", err)) != CCG_OK)
		goto out;
	snprintf(where, sizeof(where), "signature[%.64s]", party);
	if ((pi = find_party(c, party)) < 0) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, where, "not a party of this contract");
		goto out;
	}
	if (strcmp(id, c->id) != 0) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, where, "signs contract version %.16s..., not %.16s...", id,
				   c->id);
		goto out;
	}
	if (strcmp(alg, c->parties[pi].alg) != 0) {
		st = ccg_error_set(err, CCG_ERR_SIGNATURE, where, "algorithm %.16s does not fit the party's key", alg);
		goto out;
	}
	if (ccg_base64_decode(b64, strlen(b64), SIG_MAX, &sig, &sig_len) != CCG_OK) {
		st = ccg_error_set(err, CCG_ERR_SIGNATURE, where, "signature is not base64 of at most %d bytes",
				   SIG_MAX);
		goto out;
	}
	if ((st = pol_verify(c->parties[pi].key, POL_SIG_CTX_CONTRACT, c->canonical, c->canonical_len, sig, sig_len,
			     where, err)) != CCG_OK)
		goto out;
	/* kept, not trusted: it counts only when it verifies under the party's registered key */
	free(c->parties[pi].sig);
	c->parties[pi].sig = sig;
	c->parties[pi].sig_len = sig_len;
	sig = NULL;
out:
	free(sig);
	json_decref(doc);
	return st;
}

/* ---- registered party keys ---- */

struct party_key {
	char *id;
	void *key;
};

struct ccg_party_keys {
	struct party_key *v;
	size_t n, cap;
};

struct ccg_party_keys *ccg_party_keys_new(void)
{
	return calloc(1, sizeof(struct ccg_party_keys));
}

void ccg_party_keys_free(struct ccg_party_keys *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->n; i++) {
		free(k->v[i].id);
		pol_key_free(k->v[i].key);
	}
	free(k->v);
	free(k);
}

static void *registered_key(const struct ccg_party_keys *k, const char *id)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->v[i].id, id) == 0)
			return k->v[i].key;
	return NULL;
}

enum ccg_status ccg_party_keys_add(struct ccg_party_keys *k, const char *party, const uint8_t *pem, size_t len,
				   struct ccg_error *err)
{
	void *key = NULL;
	const char *alg = NULL;
	char where[96];
	enum ccg_status st;

	if (k == NULL || party == NULL || pem == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "party-keys", "no key set, party or key");
	snprintf(where, sizeof(where), "party-keys[%.64s]", party);
	if (*party == '\0' || strlen(party) > 64)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "a party id is 1 to 64 bytes");
	if (registered_key(k, party) != NULL)
		return ccg_error_set(err, CCG_ERR_DUPLICATE, where, "party already has a registered key");
	if (k->n >= PARTY_KEYS_MAX)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, where, "more than %d registered keys", PARTY_KEYS_MAX);
	if ((st = pol_key_parse(pem, len, false, &key, &alg, where, err)) != CCG_OK)
		return st;
	if (k->n == k->cap) {
		size_t cap = k->cap == 0 ? 8 : 2 * k->cap;
		struct party_key *v = realloc(k->v, cap * sizeof(*v));

		if (v == NULL) {
			pol_key_free(key);
			return ccg_error_set(err, CCG_ERR_NOMEM, where, "out of memory");
		}
		k->v = v;
		k->cap = cap;
	}
	if ((k->v[k->n].id = strdup(party)) == NULL) {
		pol_key_free(key);
		return ccg_error_set(err, CCG_ERR_NOMEM, where, "out of memory");
	}
	k->v[k->n++].key = key;
	return CCG_OK;
}

/*
 * consented: party i signed this exact version with its registered key. The
 * signature is verified again here, under the caller's key for the party: the
 * key in the document is the signer's own claim and proves nothing.
 */
static enum ccg_status consented(const struct ccg_contract *c, const struct ccg_party_keys *keys, size_t i,
				 struct ccg_error *err)
{
	const struct party *p = &c->parties[i];
	void *key;
	char where[96];

	snprintf(where, sizeof(where), "party %.64s", p->id);
	if (p->sig == NULL)
		return ccg_error_set(err, CCG_ERR_SIGNATURE, where, "has not signed contract %.16s...", c->id);
	if ((key = registered_key(keys, p->id)) == NULL)
		return ccg_error_set(err, CCG_ERR_SIGNATURE, where, "has no registered key");
	return pol_verify(key, POL_SIG_CTX_CONTRACT, c->canonical, c->canonical_len, p->sig, p->sig_len, where, err);
}

enum ccg_status pol_contract_consent(const struct ccg_contract *c, const struct ccg_party_keys *keys,
				     struct pol_consent *out, struct ccg_error *err)
{
	memset(out, 0, sizeof(*out));
	if (c == NULL || keys == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "party-keys", "no contract or no registered keys");
	for (size_t i = 0; i < c->nparties; i++) {
		struct ccg_error perr;

		ccg_error_clear(&perr);
		out->ok[i] = consented(c, keys, i, &perr) == CCG_OK;
		if (out->ok[i])
			out->count++;
		else
			snprintf(out->why[i], sizeof(out->why[i]), "%.95s", perr.detail);
	}
	out->n = c->nparties;
	out->threshold = c->threshold;
	return CCG_OK;
}

enum ccg_status pol_contract_keys_match(const struct ccg_contract *c, const struct ccg_party_keys *keys,
					struct ccg_error *err)
{
	if (c == NULL || keys == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "party-keys", "no contract or no registered keys");
	for (size_t i = 0; i < c->nparties; i++) {
		void *key = registered_key(keys, c->parties[i].id);

		if (key == NULL || !pol_key_same(key, c->parties[i].key)) {
			ccg_error_set(err, CCG_ERR_SIGNATURE, "", "%s the public key the document names for it",
				      key == NULL ? "no key registered, not" : "the registered key is not");
			if (err != NULL)
				snprintf(err->where, sizeof(err->where), "parties[%.64s].public-key", c->parties[i].id);
			return CCG_ERR_SIGNATURE;
		}
	}
	return CCG_OK;
}

/* the in-force decision on consent already established (pol_contract_consent) */
static enum ccg_status in_force_by(const struct ccg_contract *c, const struct pol_consent *k, int64_t now,
				   struct ccg_error *err)
{
	size_t n = 0;
	const char *missing = NULL;

	if (k->n != c->nparties)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "contract", "consent of another contract");
	for (size_t i = 0; i < c->nparties; i++) {
		if (k->ok[i])
			n++;
		else if (missing == NULL)
			missing = c->parties[i].id;
	}
	if (n < c->threshold)
		return ccg_error_set(err, CCG_ERR_SIGNATURE, "contract",
				     "%zu of %zu required signatures under registered keys (first missing: %s)", n,
				     c->threshold, missing != NULL ? missing : "?");
	if (now < c->not_before || now > c->not_after)
		return ccg_error_set(err, CCG_ERR_CERT_EXPIRED, "contract", "outside its validity period");
	return CCG_OK;
}

enum ccg_status pol_contract_in_force_by(const struct ccg_contract *c, const struct pol_consent *k, int64_t now,
					 struct ccg_error *err)
{
	enum ccg_status st;

	if (c == NULL || k == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "contract", "no contract or no consent");
	if ((st = ccg_time_resolve(now, "now", &now, err)) != CCG_OK) /* CCG_TIME_NOW: the current time */
		return st;
	return in_force_by(c, k, now, err);
}

enum ccg_status ccg_contract_in_force(const struct ccg_contract *c, const struct ccg_party_keys *keys, int64_t now,
				      struct ccg_error *err)
{
	struct pol_consent k;
	enum ccg_status st;

	if (c == NULL || keys == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "party-keys", "no contract or no registered keys");
	if ((st = ccg_time_resolve(now, "now", &now, err)) != CCG_OK || /* CCG_TIME_NOW: the current time */
	    (st = pol_contract_consent(c, keys, &k, err)) != CCG_OK)
		return st;
	return in_force_by(c, &k, now, err);
}

/* the secret's owner, then each party in its requires, must have consented */
static enum ccg_status secret_consent(const struct ccg_contract *c, const struct pol_consent *k,
				      const struct secret *sec, struct ccg_error *err)
{
	for (size_t j = 0; j <= sec->nreq; j++) {
		size_t pi = j == 0 ? sec->owner_idx : sec->req[j - 1];

		if (!k->ok[pi])
			return ccg_error_set(err, CCG_ERR_SIGNATURE, c->parties[pi].id,
					     "secret '%.64s' needs the consent of its %s '%.64s': %.120s", sec->name,
					     j == 0 ? "owner" : "required party", c->parties[pi].id, k->why[pi]);
	}
	return CCG_OK;
}

enum ccg_status pol_contract_release_by(const struct ccg_contract *c, const struct pol_consent *k, const char *secret,
					const struct ccg_claims *claims, int64_t now, struct ccg_error *err)
{
	const struct secret *sec = NULL;
	struct ccg_error perr;
	enum ccg_status st;

	if (c == NULL || k == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "contract", "no contract or no consent");
	if (secret == NULL || claims == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "secret", "no secret name or no claims");
	if ((st = ccg_time_resolve(now, "now", &now, err)) != CCG_OK || /* one instant for every check below */
	    (st = in_force_by(c, k, now, err)) != CCG_OK)
		return st;
	for (size_t i = 0; i < c->nsecrets; i++)
		if (strcmp(c->secrets[i].name, secret) == 0)
			sec = &c->secrets[i];
	if (sec == NULL)
		return ccg_error_set(err, CCG_ERR_NOT_FOUND, "secret", "no secret '%.64s' in the contract", secret);
	if ((st = secret_consent(c, k, sec, err)) != CCG_OK)
		return st;
	ccg_error_clear(&perr);
	if ((st = ccg_policy_eval(c->workload, claims, now, NULL, 0, &perr)) != CCG_OK) {
		char where[CCG_ERROR_WHERE_MAX];

		snprintf(where, sizeof(where), "workload/%.100s", perr.where);
		return ccg_error_set(err, st, where, "%s", perr.detail);
	}
	for (size_t j = 0; j < sec->nreq; j++) {
		const struct party *p = &c->parties[sec->req[j]];

		ccg_error_clear(&perr);
		if ((st = ccg_policy_eval(p->policy, claims, now, NULL, 0, &perr)) != CCG_OK) {
			char where[CCG_ERROR_WHERE_MAX];

			snprintf(where, sizeof(where), "%.60s/%.60s", p->id, perr.where);
			return ccg_error_set(err, st, where, "%s", perr.detail);
		}
	}
	return CCG_OK;
}

enum ccg_status ccg_contract_release(const struct ccg_contract *c, const struct ccg_party_keys *keys,
				     const char *secret, const struct ccg_claims *claims, int64_t now,
				     struct ccg_error *err)
{
	struct pol_consent k;
	enum ccg_status st;

	if (secret == NULL || claims == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "secret", "no secret name or no claims");
	if ((st = ccg_time_resolve(now, "now", &now, err)) != CCG_OK ||
	    (st = pol_contract_consent(c, keys, &k, err)) != CCG_OK)
		return st;
	return pol_contract_release_by(c, &k, secret, claims, now, err);
}
