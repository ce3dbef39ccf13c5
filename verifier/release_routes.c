/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The secret-release routes of ccgpu-verifierd (see verifier/release.h and
 * docs/protocols.md "Secret release"). Every decision here fails closed:
 * a refusal is a problem document naming the check, and nothing is written
 * unless the whole transaction (change, log entry, statement jti) commits.
 */
#include "verifier/release.h"

#include <jose/b64.h>
#include <jose/jwk.h>
#include <jose/openssl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/policy.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/hpke.h"
#include "common/json.h"
#include "common/secret.h"
#include "policies/policy_int.h"
#include "verifier/contracts.h"
#include "verifier/daemon.h"
#include "token/ear.h"
#include "token/tee_jwk.h"
#include "verifier/kek.h"
#include "verifier/log.h"
#include "verifier/release_req.h"
#include "verifier/secrets.h"
#include "verifier/statement.h"

#define UPLOAD_ALG "HPKE-P384-SHA384-AES256GCM"

static const char *const instances[] = {
	[VD_RR_CONTRACTS] = "/v1/contracts",
	[VD_RR_SECRET] = "/v1/contracts/{contract}/secrets/{secret}",
	[VD_RR_SUSPEND] = "/v1/contracts/{contract}/suspend",
	[VD_RR_RESUME] = "/v1/contracts/{contract}/resume",
	[VD_RR_RELEASE] = "/v1/release",
	[VD_RR_CONTRACT] = "/v1/contracts/{contract}",
};

/* ---- answers ---- */

static void reply_clear(struct vd_reply *r)
{
	json_decref(r->body);
	memset(r, 0, sizeof(*r));
}

/* a problem document (RFC 9457) of the daemon's shape; e (may be NULL) names the check */
static void problem(struct vd_reply *r, enum vd_release_route route, int status, const char *type, const char *title,
		    const struct ccg_error *e, const char *detail)
{
	char t[96], text[CCG_ERROR_WHERE_MAX + CCG_ERROR_DETAIL_MAX + 8];
	json_t *o = json_object();

	reply_clear(r);
	snprintf(t, sizeof(t), VD_PROBLEM_BASE "%s", type);
	if (e != NULL && e->status != CCG_OK)
		snprintf(text, sizeof(text), "%s: %s", e->where, e->detail);
	else
		snprintf(text, sizeof(text), "%s", detail != NULL ? detail : title);
	json_object_set_new(o, "type", json_string(t));
	json_object_set_new(o, "title", json_string(title));
	json_object_set_new(o, "status", json_integer(status));
	json_object_set_new(o, "instance", json_string(instances[route]));
	/* a detail quoting the request may not be UTF-8: jansson refuses it, so say less */
	if (json_object_set_new(o, "detail", json_string(text)) != 0)
		json_object_set_new(o, "detail", json_string("(detail not printable)"));
	if (e != NULL && e->status != CCG_OK) {
		json_object_set_new(o, "check", json_string(e->where));
		json_object_set_new(o, "ccgpu-status", json_string(ccg_status_name(e->status)));
	}
	r->status = status;
	r->body = o;
	r->problem = true;
	r->type = type;
	snprintf(r->detail, sizeof(r->detail), "%s", json_string_value(json_object_get(o, "detail")));
}

/* the failures every route shares: the store, memory, the daemon's own faults */
static void problem_internal(struct vd_reply *r, enum vd_release_route route, enum ccg_status st,
			     const struct ccg_error *e)
{
	if (st == CCG_ERR_STORE || st == CCG_ERR_STORE_CONFLICT || st == CCG_ERR_STORE_SCHEMA)
		problem(r, route, 503, "store-unavailable", "The verifier's store did not answer", e, NULL);
	else
		problem(r, route, 500, "internal", "The verifier failed", e, NULL);
}

static void problem_malformed(struct vd_reply *r, enum vd_release_route route, enum ccg_status st,
			      const struct ccg_error *e)
{
	if (st == CCG_ERR_NOMEM || st == CCG_ERR_INTERNAL)
		problem_internal(r, route, st, e);
	else
		problem(r, route, 400, "malformed-request", "The request body is not what this resource takes", e,
			NULL);
}

/* a statement refused by ccg_vcontract_statement_accept */
static void problem_statement(struct vd_reply *r, enum vd_release_route route, enum ccg_status st,
			      const struct ccg_error *e)
{
	switch (st) {
	case CCG_ERR_STATEMENT_REPLAY:
		problem(r, route, 409, "statement-replay", "The statement was used already", e, NULL);
		break;
	case CCG_ERR_PARTY_UNKNOWN:
		problem(r, route, 403, "party-unknown", "The statement's party has no registered key in this contract",
			e, NULL);
		break;
	case CCG_ERR_STATEMENT_STALE:
		problem(r, route, 403, "statement-stale", "The statement's time is outside the accepted window", e,
			NULL);
		break;
	case CCG_ERR_STATEMENT_SCOPE:
		problem(r, route, 403, "statement-scope", "The statement was made for another request", e, NULL);
		break;
	case CCG_ERR_SIGNATURE:
		problem(r, route, 403, "statement-signature",
			"The statement does not verify under the party's registered key", e, NULL);
		break;
	case CCG_ERR_MALFORMED:
	case CCG_ERR_ENCODING:
	case CCG_ERR_UNSUPPORTED:
	case CCG_ERR_TOO_LARGE:
	case CCG_ERR_TRUNCATED:
		problem(r, route, 400, "statement-malformed", "The CCGPU-Statement header is not a statement", e, NULL);
		break;
	default: problem_internal(r, route, st, e); break;
	}
}

/* ---- contracts verified once per stored row, tokens once per token ---- */

/*
 * Loading a contract parses it, compiles every party's policy and verifies
 * every signature (ccg_vcontract_load re-establishes that the row is in
 * force as stored): most of a release's work. The result depends only on the
 * stored row's bytes (document, signatures and registered keys), so it is
 * kept by the row's SHA-384 (read in the request's own transaction: a row
 * changed by a new version, or by the operator, is another hash and is
 * loaded and checked again). What depends on the time (the validity period)
 * is decided at every use. Entries in use are never evicted; a contract is
 * read-only once loaded (pol_contract_release_by is thread-safe on it).
 *
 * A verified EAR token is kept the same way by the SHA-384 of its text (the
 * signature, its claims and what the release derives from them depend only
 * on those bytes and on this daemon's token key, which never changes while
 * it runs), until its exp; iat <= now < exp is checked again at every use.
 */
#define VC_CACHE 16
#define TOK_CACHE 64

struct vc_entry {
	char name[CCG_SECRET_MAX_NAME + 1];
	uint8_t hash[CCG_SHA384_LEN];
	struct ccg_vcontract *vc;
	unsigned refs;
	uint64_t used;
};

/* what a release takes from a verified token */
struct tok_result {
	json_t *claims;            /* the verified claims set */
	struct ccg_claims *cl;     /* the claims document the parties' policies read */
	enum ccg_hpke_suite suite; /* cnf.jwk's */
	uint8_t pk[CCG_HPKE_MAX_PK_LEN];
	size_t pk_len;
	char ear_status[32]; /* the token's overall ear.status */
	char to[64];         /* RFC 7638 thumbprint of cnf.jwk */
	char token_hash[97]; /* SHA-384 hex of the token */
	uint8_t hash[CCG_SHA384_LEN];
	int64_t exp;
	unsigned refs;
	uint64_t used;
};

struct vd_vc_cache {
	pthread_mutex_t mu;
	struct vc_entry e[VC_CACHE];
	struct tok_result *tok[TOK_CACHE];
	json_t *jwks; /* this daemon's token key, as ccg_ear_verify takes it */
	uint64_t tick;
};

static void tok_result_free(struct tok_result *t)
{
	if (t == NULL)
		return;
	json_decref(t->claims);
	ccg_claims_free(t->cl);
	free(t);
}

/* the contract named name, as stored in txn, and the cache entry that holds it (*out_entry NULL: caller frees vc) */
static enum ccg_status vc_get(struct vd *d, struct ccg_store_txn *txn, const char *name, struct ccg_vcontract **out,
			      struct vc_entry **out_entry, struct ccg_error *err)
{
	struct vd_vc_cache *c = d->vc_cache;
	struct vc_entry *free_slot = NULL;
	uint8_t *row = NULL, h[CCG_SHA384_LEN];
	size_t len = 0;
	enum ccg_status st;

	*out = NULL;
	*out_entry = NULL;
	if (c == NULL || strlen(name) > CCG_SECRET_MAX_NAME)
		return ccg_vcontract_load(txn, name, out, err);
	if ((st = ccg_store_get(txn, CCG_VCONTRACT_TABLE, name, &row, &len, err)) != CCG_OK)
		return st;
	st = ccg_sha384(row, len, h);
	free(row);
	if (st != CCG_OK)
		return ccg_error_set(err, st, "contract", "hashing the stored row");
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < VC_CACHE; i++) {
		struct vc_entry *e = &c->e[i];

		if (e->vc != NULL && strcmp(e->name, name) == 0 && CRYPTO_memcmp(e->hash, h, sizeof(h)) == 0) {
			e->refs++;
			e->used = ++c->tick;
			*out = e->vc;
			*out_entry = e;
			pthread_mutex_unlock(&c->mu);
			return CCG_OK;
		}
	}
	pthread_mutex_unlock(&c->mu);
	if ((st = ccg_vcontract_load(txn, name, out, err)) != CCG_OK)
		return st;
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < VC_CACHE; i++) {
		struct vc_entry *e = &c->e[i];

		if (e->refs == 0 &&
		    (free_slot == NULL || e->vc == NULL || (free_slot->vc != NULL && e->used < free_slot->used)))
			free_slot = e;
	}
	if (free_slot != NULL) {
		ccg_vcontract_free(free_slot->vc);
		snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
		memcpy(free_slot->hash, h, sizeof(h));
		free_slot->vc = *out;
		free_slot->refs = 1;
		free_slot->used = ++c->tick;
		*out_entry = free_slot;
	}
	pthread_mutex_unlock(&c->mu);
	return CCG_OK;
}

static void vc_put(struct vd *d, struct ccg_vcontract *vc, struct vc_entry *e)
{
	if (e == NULL) {
		ccg_vcontract_free(vc);
		return;
	}
	pthread_mutex_lock(&d->vc_cache->mu);
	e->refs--;
	pthread_mutex_unlock(&d->vc_cache->mu);
}

/* the claims document of the token's submods (the composite's shape: cpu0 holds the CPU's, GPU-n each GPU's) */
static enum ccg_status token_claims(const json_t *claims, struct ccg_claims **out, struct ccg_error *err)
{
	const json_t *subs = json_object_get(claims, "submods"), *m;
	json_t *doc = json_object(), *gpus = json_object(), *cpu = NULL;
	const char *name;
	char *text = NULL;
	enum ccg_status st;

	if (doc == NULL || gpus == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "token.claims", "no memory");
		goto out;
	}
	json_object_foreach((json_t *)subs, name, m) {
		const json_t *c = json_object_get(m, "ccgpu.claims");

		if (!json_is_object(c))
			continue;
		if (strcmp(name, "cpu0") == 0)
			cpu = json_deep_copy(c);
		else if (strncmp(name, "GPU-", 4) == 0)
			json_object_set(gpus, name, (json_t *)c);
	}
	if (cpu == NULL) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "token.submods.cpu0", "no CPU claims in the token");
		goto out;
	}
	json_object_set(doc, "ccgpu-composite", json_object_get(cpu, "ccgpu-composite"));
	json_object_del(cpu, "ccgpu-composite");
	/* the GPUs' overall claims, which the daemon keeps in cpu0 as "ccgpu-gpu" (verifier/appraise.c) */
	{
		json_t *gpu = json_is_object(json_object_get(cpu, "ccgpu-gpu"))
				      ? json_deep_copy(json_object_get(cpu, "ccgpu-gpu"))
				      : json_object();

		json_object_del(cpu, "ccgpu-gpu");
		json_object_set(gpu, "submods", gpus);
		json_object_set_new(doc, "gpu", gpu);
	}
	json_object_set_new(doc, "cpu", cpu);
	/* a token of a failed composite has no composite claims: its GPUs are then read from the top */
	json_object_set(doc, "submods", gpus);
	if ((text = json_dumps(doc, JSON_COMPACT)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "token.claims", "no memory");
		goto out;
	}
	st = ccg_claims_from_json(text, strlen(text), out, err);
out:
	free(text);
	json_decref(gpus);
	json_decref(doc);
	return st;
}

/* a token's refusal: which answer it gets */
enum tok_refusal { TOK_INVALID, TOK_NO_TEE_KEY, TOK_MALFORMED, TOK_INTERNAL };

/* everything a release takes from the token, verified now (ccg_ear_verify), into a new result */
static enum ccg_status tok_verify(const json_t *jwks, const char *token, const uint8_t h[CCG_SHA384_LEN], int64_t now,
				  struct tok_result **out, enum tok_refusal *why, struct ccg_error *err)
{
	struct tok_result *t = calloc(1, sizeof(*t));
	const char *status;
	enum ccg_status st;

	*out = NULL;
	*why = TOK_INTERNAL;
	if (t == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "token", "no memory");
	/* the token authenticates the workload: this daemon's signature, iat <= now < exp */
	if ((st = ccg_ear_verify(token, jwks, now, &t->claims, err)) != CCG_OK) {
		*why = TOK_INVALID;
		goto out;
	}
	/* decided in the transaction, after the parties' policies, so that a refusal names the party's rule */
	status = json_string_value(json_object_get(t->claims, "ear.status"));
	snprintf(t->ear_status, sizeof(t->ear_status), "%s", status != NULL ? status : "(none)");
	/* cnf.jwk → the HPKE suite, the public key bytes and the RFC 7638 thumbprint */
	{
		const json_t *jwk = json_object_get(json_object_get(t->claims, "cnf"), "jwk");

		if ((st = ccg_tee_jwk_hpke(jwk, &t->suite, t->pk, &t->pk_len, err)) != CCG_OK ||
		    (st = ccg_tee_jwk_thumbprint(jwk, t->to, err)) != CCG_OK) {
			*why = TOK_NO_TEE_KEY;
			goto out;
		}
	}
	if ((st = token_claims(t->claims, &t->cl, err)) != CCG_OK) {
		*why = st == CCG_ERR_NOMEM ? TOK_INTERNAL : TOK_MALFORMED;
		goto out;
	}
	memcpy(t->hash, h, CCG_SHA384_LEN);
	ccg_hex_encode(h, CCG_SHA384_LEN, t->token_hash);
	t->exp = json_integer_value(json_object_get(t->claims, "exp"));
	*out = t;
	t = NULL;
out:
	tok_result_free(t);
	return st;
}

/*
 * tok_get: the verified token (memoised: see above), its time checked at
 * now; release it with tok_put. Refusals as tok_verify's.
 */
static enum ccg_status tok_get(struct vd *d, const char *token, int64_t now, struct tok_result **out,
			       enum tok_refusal *why, struct ccg_error *err)
{
	struct vd_vc_cache *c = d->vc_cache;
	struct tok_result *t = NULL, **slot = NULL;
	uint8_t h[CCG_SHA384_LEN];
	enum ccg_status st;

	*out = NULL;
	*why = TOK_INTERNAL;
	if (ccg_sha384((const uint8_t *)token, strlen(token), h) != CCG_OK)
		return ccg_error_set(err, CCG_ERR_CRYPTO, "token", "SHA-384");
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < TOK_CACHE; i++)
		if (c->tok[i] != NULL && CRYPTO_memcmp(c->tok[i]->hash, h, sizeof(h)) == 0) {
			t = c->tok[i];
			t->refs++;
			t->used = ++c->tick;
			break;
		}
	pthread_mutex_unlock(&c->mu);
	if (t != NULL) {
		/* the signature and claims hold for these bytes; the time is checked again, now */
		if ((st = ccg_jwt_check_times(t->claims, now, err)) != CCG_OK) {
			*why = TOK_INVALID;
			pthread_mutex_lock(&c->mu);
			t->refs--;
			pthread_mutex_unlock(&c->mu);
			return st;
		}
		*out = t;
		return CCG_OK;
	}
	if ((st = tok_verify(c->jwks, token, h, now, &t, why, err)) != CCG_OK)
		return st;
	if (t == NULL)
		return ccg_error_set(err, CCG_ERR_INTERNAL, "token", "no result");
	t->refs = 1;
	pthread_mutex_lock(&c->mu);
	/* a free slot, else one expired, else the least recently used not in use */
	for (size_t i = 0; i < TOK_CACHE; i++) {
		struct tok_result *e = c->tok[i];

		if (e == NULL) {
			slot = &c->tok[i];
			break;
		}
		if (e->refs == 0 && (slot == NULL || e->exp <= now || (*slot)->used > e->used))
			slot = &c->tok[i];
	}
	if (slot != NULL) {
		tok_result_free(*slot);
		t->used = ++c->tick;
		*slot = t;
	} else {
		t->refs = 0; /* not kept: tok_put frees it */
	}
	pthread_mutex_unlock(&c->mu);
	*out = t;
	return CCG_OK;
}

static void tok_put(struct vd *d, struct tok_result *t)
{
	bool kept = false;

	if (t == NULL)
		return;
	pthread_mutex_lock(&d->vc_cache->mu);
	for (size_t i = 0; i < TOK_CACHE; i++)
		if (d->vc_cache->tok[i] == t) {
			kept = true;
			t->refs--;
		}
	pthread_mutex_unlock(&d->vc_cache->mu);
	if (!kept)
		tok_result_free(t);
}

/* ---- helpers ---- */

/* the contract document (canonical) of vc, parsed */
static enum ccg_status vc_doc(const struct ccg_vcontract *vc, json_t **out, struct ccg_error *err)
{
	size_t n = 0;
	const uint8_t *c = ccg_contract_canonical(vc->contract, &n);

	return ccg_json_parse(c, n, 2u << 20, "contract", out, err);
}

static const json_t *doc_secret(const json_t *doc, const char *name)
{
	size_t i;
	const json_t *s;

	json_array_foreach(json_object_get(doc, "secrets"), i, s) {
		const char *n = json_string_value(json_object_get(s, "name"));

		if (n != NULL && strcmp(n, name) == 0)
			return s;
	}
	return NULL;
}

static bool doc_party(const json_t *doc, const char *party)
{
	size_t i;
	const json_t *p;

	json_array_foreach(json_object_get(doc, "parties"), i, p) {
		const char *id = json_string_value(json_object_get(p, "id"));

		if (id != NULL && strcmp(id, party) == 0)
			return true;
	}
	return false;
}

/* party is the secret's owner or in its requires */
static bool secret_party(const json_t *sec, const char *party)
{
	size_t i;
	const json_t *p;
	const char *owner = json_string_value(json_object_get(sec, "owner"));

	if (owner != NULL && strcmp(owner, party) == 0)
		return true;
	json_array_foreach(json_object_get(sec, "requires"), i, p) {
		if (json_is_string(p) && strcmp(json_string_value(p), party) == 0)
			return true;
	}
	return false;
}

/* appends the entry (consumed) to the release log inside txn */
static enum ccg_status log_put(struct ccg_store_txn *txn, json_t *entry, uint64_t *index, struct ccg_error *err)
{
	char *text = entry != NULL ? json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	enum ccg_status s;

	json_decref(entry);
	if (text == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "log.entry", "no memory");
	s = ccg_log_append(txn, (const uint8_t *)text, strlen(text), index, NULL, err);
	free(text);
	return s;
}

static char *route_text(const struct vd_release_in *in)
{
	char *s = NULL;

	if (asprintf(&s, "%s %s", in->method, in->path) < 0)
		return NULL;
	return s;
}

/*
 * Runs fn in a transaction until it commits or fails for another reason than
 * a lost serialisation race: fn returns CCG_OK to commit (its answer in
 * out), anything else to roll back (its refusal in out, or none: then the
 * status decides).
 */
typedef enum ccg_status (*txn_fn)(struct vd *d, const struct vd_release_in *in, void *ctx, struct ccg_store_txn *txn,
				  struct vd_reply *out, struct ccg_error *err);

static void in_txn(struct vd *d, const struct vd_release_in *in, void *ctx, txn_fn fn, struct vd_reply *out)
{
	struct ccg_error err;
	enum ccg_status st = CCG_OK;

	for (int attempt = 0; attempt < VD_TXN_ATTEMPTS; attempt++) {
		struct ccg_store_txn *txn = NULL;

		reply_clear(out);
		ccg_error_clear(&err);
		/* every release-route transaction appends to the log: they take turns rather than fail serialisation */
		if ((st = ccg_store_begin_serial(d->store, &txn, &err)) != CCG_OK)
			break;
		st = fn(d, in, ctx, txn, out, &err);
		if (st == CCG_OK) {
			if ((st = ccg_store_commit(txn, &err)) == CCG_OK)
				return;
			reply_clear(out); /* not committed: the answer it would have given does not hold */
		} else {
			ccg_store_rollback(txn);
		}
		if (st != CCG_ERR_STORE_CONFLICT)
			break;
	}
	if (out->body == NULL || st == CCG_ERR_STORE_CONFLICT)
		problem_internal(out, in->route, st, &err);
}

/*
 * the contract named in the path, as stored and re-established (vc_get; put
 * it back with vc_put): 404 when none is registered, 403 when the stored row
 * is not in force as stored; in_force: also at the request's time (its
 * validity period; a suspension or resume is taken outside it too: a party
 * can always stop releases).
 */
static enum ccg_status load_contract(struct vd *d, struct ccg_store_txn *txn, const struct vd_release_in *in,
				     bool in_force, struct ccg_vcontract **vc, struct vc_entry **vce,
				     struct vd_reply *out, struct ccg_error *err)
{
	enum ccg_status st = vc_get(d, txn, in->contract, vc, vce, err);

	if (st == CCG_OK && in_force)
		st = ccg_vcontract_in_force(*vc, in->now, err);
	if (st == CCG_ERR_NOT_FOUND)
		problem(out, in->route, 404, "contract-unknown", "No contract of that name is registered", err, NULL);
	else if (st == CCG_ERR_CONTRACT_NOT_IN_FORCE)
		problem(out, in->route, 403, "contract-not-in-force",
			"The stored contract is not in force as stored (changed outside the verifier), or not now", err,
			NULL);
	return st;
}

static enum ccg_status accept_statement(struct vd *d, struct ccg_store_txn *txn, const struct vd_release_in *in,
					const struct ccg_vcontract *vc, struct ccg_statement *st_out,
					struct vd_reply *out, struct ccg_error *err)
{
	char *route = route_text(in);
	enum ccg_status st;

	if (route == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "statement", "no memory");
	st = ccg_vcontract_statement_accept(txn, vc, in->statement, route, in->body, in->len, in->now,
					    (int64_t)d->cfg.statement_window, st_out, err);
	free(route);
	if (st != CCG_OK && st != CCG_ERR_STORE && st != CCG_ERR_STORE_CONFLICT)
		problem_statement(out, in->route, st, err);
	return st;
}

/* ---- POST /v1/contracts ---- */

struct contract_ctx {
	struct vd_contract_body b;
	char name[CCG_STATEMENT_MAX_ID + 1];
};

static enum ccg_status do_contract(struct vd *d, const struct vd_release_in *in, void *vctx, struct ccg_store_txn *txn,
				   struct vd_reply *out, struct ccg_error *err)
{
	struct contract_ctx *c = vctx;
	struct ccg_vcontract *old = NULL, *vc = NULL;
	struct ccg_statement stmt;
	uint64_t index = 0;
	enum ccg_status st;

	memset(&stmt, 0, sizeof(stmt));
	st = ccg_vcontract_load(txn, c->name, &old, err);
	if (st == CCG_ERR_NOT_FOUND) {
		ccg_error_clear(err);
		st = CCG_OK;
	}
	if (st == CCG_ERR_CONTRACT_NOT_IN_FORCE)
		problem(out, in->route, 403, "contract-not-in-force",
			"The stored contract is not in force as stored (changed outside the verifier)", err, NULL);
	if (st != CCG_OK)
		goto out;
	/* a new version is asked for by a party registered in the version in force (a replay is caught here) */
	if (old != NULL && (st = accept_statement(d, txn, in, old, &stmt, out, err)) != CCG_OK)
		goto out;
	st = ccg_vcontract_register(txn, (const uint8_t *)c->b.document, c->b.document_len,
				    (const char *const *)c->b.sigs, c->b.n_sigs, in->now, &vc, err);
	switch (st) {
	case CCG_OK: break;
	case CCG_ERR_DUPLICATE:
		problem(out, in->route, 409, "version-not-newer", "A version as high is registered already", err, NULL);
		goto out;
	case CCG_ERR_UNSUPPORTED:
		problem(out, in->route, 409, "party-key-changed",
			"The document changes a registered party's key (not supported)", err, NULL);
		goto out;
	case CCG_ERR_SIGNATURE:
	case CCG_ERR_CERT_EXPIRED:
		problem(out, in->route, 403, "contract-not-in-force",
			"The contract is not in force (signatures of its parties, validity period)", err, NULL);
		goto out;
	case CCG_ERR_STORE:
	case CCG_ERR_STORE_CONFLICT: goto out;
	default: problem_malformed(out, in->route, st, err); goto out;
	}
	/* a first registration: the statement's party signs with the key the document registers */
	if (old == NULL && (st = accept_statement(d, txn, in, vc, &stmt, out, err)) != CCG_OK)
		goto out;
	if ((st = log_put(txn,
			  json_pack("{s:s,s:s,s:I,s:s,s:s,s:I}", "type", "contract", "contract", vc->name, "version",
				    (json_int_t)vc->version, "id", vc->id, "by", stmt.party, "time",
				    (json_int_t)in->now),
			  &index, err)) != CCG_OK)
		goto out;
	reply_clear(out);
	out->status = 201;
	out->body = json_pack("{s:s,s:I,s:s,s:I}", "contract", vc->name, "version", (json_int_t)vc->version, "id",
			      vc->id, "log_index", (json_int_t)index);
out:
	ccg_vcontract_free(old);
	ccg_vcontract_free(vc);
	return st;
}

static void h_contract(struct vd *d, const struct vd_release_in *in, struct vd_reply *out)
{
	struct contract_ctx c;
	struct ccg_error err;
	json_t *doc = NULL;
	const char *name;
	enum ccg_status st;

	memset(&c, 0, sizeof(c));
	ccg_error_clear(&err);
	if ((st = vd_contract_body_parse(in->body, in->len, in->max_depth, &c.b, &err)) != CCG_OK) {
		problem_malformed(out, in->route, st, &err);
		return;
	}
	/* the name, to find the version in force; the document itself is checked by ccg_vcontract_register */
	doc = json_loadb(c.b.document, c.b.document_len, JSON_REJECT_DUPLICATES, NULL);
	name = json_string_value(json_object_get(doc, "id"));
	if (name == NULL || strlen(name) == 0 || strlen(name) > CCG_STATEMENT_MAX_ID) {
		ccg_error_set(&err, CCG_ERR_MALFORMED, "document.id", "the contract's id: 1 to %d bytes",
			      CCG_STATEMENT_MAX_ID);
		problem_malformed(out, in->route, CCG_ERR_MALFORMED, &err);
		goto out;
	}
	snprintf(c.name, sizeof(c.name), "%s", name);
	in_txn(d, in, &c, do_contract, out);
out:
	json_decref(doc);
	vd_contract_body_cleanup(&c.b);
}

/* ---- PUT /v1/contracts/{contract}/secrets/{secret} ---- */

static enum ccg_status do_upload(struct vd *d, const struct vd_release_in *in, void *vctx, struct ccg_store_txn *txn,
				 struct vd_reply *out, struct ccg_error *err)
{
	struct vd_upload_body *b = vctx;
	struct ccg_vcontract *vc = NULL;
	struct vc_entry *vce = NULL;
	struct ccg_statement stmt;
	struct ccg_secret *pt = NULL;
	uint8_t aad[CCG_SECRETS_AAD_MAX];
	size_t aad_len = 0, pt_len = 0, enc_len = CCG_HPKE_MAX_ENC_LEN;
	json_t *doc = NULL;
	const json_t *sec;
	const char *owner;
	uint64_t index = 0;
	int64_t version = 0;
	enum ccg_status st;

	if ((st = load_contract(d, txn, in, true, &vc, &vce, out, err)) != CCG_OK ||
	    (st = accept_statement(d, txn, in, vc, &stmt, out, err)) != CCG_OK ||
	    (st = vc_doc(vc, &doc, err)) != CCG_OK)
		goto out;
	if ((sec = doc_secret(doc, in->secret)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOT_FOUND, "secret", "the contract names no secret \"%.64s\"",
				   in->secret);
		problem(out, in->route, 404, "secret-unknown", "The contract names no such secret", err, NULL);
		goto out;
	}
	owner = json_string_value(json_object_get(sec, "owner"));
	if (owner == NULL || strcmp(owner, stmt.party) != 0) {
		st = ccg_error_set(err, CCG_ERR_PARTY_UNKNOWN, "secret.owner",
				   "\"%.64s\" is not the owner of \"%.64s\" (only its owner uploads it)", stmt.party,
				   in->secret);
		problem(out, in->route, 403, "not-owner", "Only the secret's owner uploads it", err, NULL);
		goto out;
	}
	if (strcmp(b->kid, json_string_value(json_object_get(d->upload_jwk, "kid"))) != 0) {
		st = ccg_error_set(
			err, CCG_ERR_TOKEN_KEY_UNKNOWN, "kid",
			"not this verifier's upload key (it is new at every start: fetch the evidence again)");
		problem(out, in->route, 409, "upload-key-unknown", "The upload was sealed to another key", err, NULL);
		goto out;
	}
	pt_len = b->sealed_len - enc_len - CCG_HPKE_TAG_LEN;
	/* sealed by the owner for this exact contract version: its id (content hash) is in the aad */
	if ((st = ccg_secrets_aad(vc->name, in->secret, vc->id, 0, aad, sizeof(aad), &aad_len, err)) != CCG_OK)
		goto out;
	if (ccg_secret_new(pt_len, &pt) != CCG_OK) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "secret", "no memory");
		goto out;
	}
	st = ccg_hpke_open(CCG_HPKE_P384_SHA384_AES256GCM, d->upload_key, b->sealed, b->sealed_len,
			   (const uint8_t *)CCG_HPKE_INFO_UPLOAD, strlen(CCG_HPKE_INFO_UPLOAD), aad, aad_len, pt->data,
			   pt->len, &pt_len, err);
	if (st != CCG_OK) {
		problem(out, in->route, 400, "upload-unreadable",
			"The sealed secret does not open (another key, contract, secret, version or a changed byte)",
			err, NULL);
		goto out;
	}
	if ((st = ccg_secrets_put(txn, d->kek, vc->name, in->secret, vc->id, pt->data, pt_len, stmt.party, &version,
				  err)) != CCG_OK ||
	    (st = log_put(txn,
			  json_pack("{s:s,s:s,s:s,s:I,s:s,s:I}", "type", "upload", "contract", vc->name, "secret",
				    in->secret, "version", (json_int_t)version, "by", stmt.party, "time",
				    (json_int_t)in->now),
			  &index, err)) != CCG_OK)
		goto out;
	reply_clear(out);
	out->status = 201;
	out->body = json_pack("{s:s,s:s,s:I,s:I}", "contract", vc->name, "secret", in->secret, "version",
			      (json_int_t)version, "log_index", (json_int_t)index);
out:
	ccg_secret_free(pt);
	json_decref(doc);
	vc_put(d, vc, vce);
	return st;
}

static void h_upload(struct vd *d, const struct vd_release_in *in, struct vd_reply *out)
{
	struct vd_upload_body b;
	struct ccg_error err;
	enum ccg_status st;

	ccg_error_clear(&err);
	if ((st = vd_upload_body_parse(in->body, in->len, in->max_depth, &b, &err)) != CCG_OK) {
		problem_malformed(out, in->route, st, &err);
		return;
	}
	in_txn(d, in, &b, do_upload, out);
	vd_upload_body_cleanup(&b);
}

/* ---- POST /v1/contracts/{contract}/suspend and /resume ---- */

static enum ccg_status do_suspend(struct vd *d, const struct vd_release_in *in, void *vctx, struct ccg_store_txn *txn,
				  struct vd_reply *out, struct ccg_error *err)
{
	const char *secret = ((const char *)vctx)[0] != '\0' ? vctx : NULL;
	bool on = in->route == VD_RR_SUSPEND;
	struct ccg_vcontract *vc = NULL;
	struct vc_entry *vce = NULL;
	struct ccg_statement stmt;
	json_t *doc = NULL, *by = NULL;
	const json_t *sec = NULL;
	uint64_t index = 0;
	enum ccg_status st;

	if ((st = load_contract(d, txn, in, false, &vc, &vce, out, err)) != CCG_OK ||
	    (st = accept_statement(d, txn, in, vc, &stmt, out, err)) != CCG_OK ||
	    (st = vc_doc(vc, &doc, err)) != CCG_OK)
		goto out;
	if (secret != NULL && (sec = doc_secret(doc, secret)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOT_FOUND, "secret", "the contract names no secret \"%.64s\"", secret);
		problem(out, in->route, 404, "secret-unknown", "The contract names no such secret", err, NULL);
		goto out;
	}
	/* a secret: its owner or a party it requires; the whole contract: any of its parties */
	if (sec != NULL ? !secret_party(sec, stmt.party) : !doc_party(doc, stmt.party)) {
		st = ccg_error_set(err, CCG_ERR_PARTY_UNKNOWN, sec != NULL ? "secret.requires" : "parties",
				   "\"%.64s\" has no say over %s", stmt.party,
				   sec != NULL ? "this secret" : "this contract");
		problem(out, in->route, 403, "no-say", "The party has no say over what it would suspend", err, NULL);
		goto out;
	}
	st = ccg_suspension_set(txn, vc->name, secret, stmt.party, on, &by, err);
	if (st == CCG_ERR_NOT_FOUND) {
		problem(out, in->route, 403, "not-suspender", "Only the party that suspended resumes", err, NULL);
		goto out;
	}
	if (st != CCG_OK ||
	    (st = log_put(txn,
			  json_pack("{s:s,s:s,s:s?,s:s,s:I}", "type", on ? "suspend" : "resume", "contract", vc->name,
				    "secret", secret, "by", stmt.party, "time", (json_int_t)in->now),
			  &index, err)) != CCG_OK)
		goto out;
	reply_clear(out);
	out->status = 200;
	out->body = json_pack("{s:s,s:s?,s:O,s:I}", "contract", vc->name, "secret", secret, "suspended_by", by,
			      "log_index", (json_int_t)index);
out:
	json_decref(by);
	json_decref(doc);
	vc_put(d, vc, vce);
	return st;
}

static void h_suspend(struct vd *d, const struct vd_release_in *in, struct vd_reply *out)
{
	char secret[CCG_SECRET_MAX_NAME + 1];
	struct ccg_error err;
	enum ccg_status st;

	ccg_error_clear(&err);
	if ((st = vd_suspend_body_parse(in->body, in->len, in->max_depth, secret, &err)) != CCG_OK) {
		problem_malformed(out, in->route, st, &err);
		return;
	}
	in_txn(d, in, secret, do_suspend, out);
}

/* ---- POST /v1/release ---- */

struct release_ctx {
	struct vd_release_body b;
	struct tok_result *tok;    /* the verified token (tok_get) */
	struct ccg_hpke_ctx *hpke; /* SetupBaseS to the TEE key, made before the transaction */
	uint8_t enc[CCG_HPKE_MAX_ENC_LEN];
	size_t enc_len;
	/* a refusal to log after the release transaction rolled back */
	bool deny;
	char party[CCG_ERROR_WHERE_MAX], rule[CCG_ERROR_WHERE_MAX];
};

/* who and what refused, from ccg_contract_release's error: "party/rule", a party that did not sign, the period */
static void deny_who(const struct ccg_error *e, struct release_ctx *c)
{
	const char *slash = strchr(e->where, '/');

	if (e->status == CCG_ERR_POLICY && slash != NULL) {
		snprintf(c->party, sizeof(c->party), "%.*s", (int)(slash - e->where), e->where);
		snprintf(c->rule, sizeof(c->rule), "%s", slash + 1);
	} else if (e->status == CCG_ERR_SIGNATURE) {
		snprintf(c->party, sizeof(c->party), "%s", e->where);
		snprintf(c->rule, sizeof(c->rule), "consent");
	} else if (e->status == CCG_ERR_CERT_EXPIRED) {
		snprintf(c->party, sizeof(c->party), "contract");
		snprintf(c->rule, sizeof(c->rule), "validity");
	} else {
		snprintf(c->party, sizeof(c->party), "verifier");
		snprintf(c->rule, sizeof(c->rule), "%s", e->where[0] != '\0' ? e->where : "release");
	}
}

static void problem_denied(struct vd_reply *out, const struct vd_release_in *in, int status, const char *type,
			   const char *title, const struct ccg_error *e, const struct release_ctx *c)
{
	problem(out, in->route, status, type, title, e, NULL);
	json_object_set_new(out->body, "party", json_string(c->party));
	if (strcmp(type, "suspended") != 0)
		json_object_set_new(out->body, "rule", json_string(c->rule));
}

/* SetupBaseS to the token's TEE key: the KEM's key generation and DH, the release's costly part, done outside any transaction */
static enum ccg_status hpke_setup(struct release_ctx *c, struct ccg_error *err)
{
	ccg_hpke_ctx_free(c->hpke);
	c->hpke = NULL;
	return ccg_hpke_setup_s(c->tok->suite, c->tok->pk, c->tok->pk_len, (const uint8_t *)CCG_HPKE_INFO_RELEASE,
				strlen(CCG_HPKE_INFO_RELEASE), c->enc, sizeof(c->enc), &c->enc_len, &c->hpke, err);
}

static enum ccg_status do_release(struct vd *d, const struct vd_release_in *in, void *vctx, struct ccg_store_txn *txn,
				  struct vd_reply *out, struct ccg_error *err)
{
	struct release_ctx *c = vctx;
	const struct tok_result *t = c->tok;
	struct ccg_vcontract *vc = NULL;
	struct vc_entry *vce = NULL;
	struct ccg_secret *pt = NULL;
	json_t *whole = NULL, *one = NULL;
	uint8_t *aad = NULL, *ct = NULL;
	size_t aad_len = 0, ct_len = 0;
	uint64_t index = 0;
	int64_t version = 0;
	enum ccg_status st;

	c->deny = false;
	st = vc_get(d, txn, c->b.contract, &vc, &vce, err);
	if (st == CCG_ERR_NOT_FOUND) {
		problem(out, in->route, 404, "contract-unknown", "No contract of that name is registered", err, NULL);
		goto out;
	}
	if (st == CCG_ERR_CONTRACT_NOT_IN_FORCE) {
		/* the stored row is not what the parties signed: refused and logged, never used */
		snprintf(c->party, sizeof(c->party), "contract");
		snprintf(c->rule, sizeof(c->rule), "%s", err->where);
		problem_denied(out, in, 403, "contract-not-in-force",
			       "The stored contract is not in force as stored (changed outside the verifier)", err, c);
		c->deny = true;
		goto out;
	}
	if (st != CCG_OK)
		goto out;
	/* suspensions: of the whole contract, then of this secret; any one refuses */
	if ((st = ccg_suspension_get(txn, c->b.contract, NULL, &whole, err)) != CCG_OK ||
	    (st = ccg_suspension_get(txn, c->b.contract, c->b.secret, &one, err)) != CCG_OK)
		goto out;
	if (json_array_size(whole) > 0 || json_array_size(one) > 0) {
		const json_t *by = json_array_size(whole) > 0 ? json_array_get(whole, 0) : json_array_get(one, 0);

		snprintf(c->party, sizeof(c->party), "%s", json_string_value(by));
		snprintf(c->rule, sizeof(c->rule), "suspended");
		st = ccg_error_set(err, CCG_ERR_POLICY, "suspension", "suspended by \"%.64s\"%s", c->party,
				   json_array_size(whole) > 0 ? " (the whole contract)" : "");
		problem_denied(out, in, 409, "suspended", "Release is suspended by a party", err, c);
		c->deny = true;
		goto out;
	}
	/* consent established when the row was loaded (once per row); the period and every policy decided now */
	st = pol_contract_release_by(vc->contract, vc->consent, c->b.secret, t->cl, in->now, err);
	if (st == CCG_ERR_NOT_FOUND) {
		snprintf(c->party, sizeof(c->party), "contract");
		snprintf(c->rule, sizeof(c->rule), "secret-unknown");
		problem_denied(out, in, 404, "secret-unknown", "The contract names no such secret", err, c);
		c->deny = true;
		goto out;
	}
	if (st != CCG_OK) {
		deny_who(err, c);
		problem_denied(out, in, 403, "denied", "A party's policy or consent refused the release", err, c);
		c->deny = true;
		goto out;
	}
	/* the verifier's own appraisal: only an affirming token gets a secret, whatever the parties allow */
	if (strcmp(t->ear_status, "affirming") != 0) {
		snprintf(c->party, sizeof(c->party), "verifier");
		snprintf(c->rule, sizeof(c->rule), "ear.status");
		st = ccg_error_set(err, CCG_ERR_POLICY, "ear.status", "\"%.32s\", not affirming", t->ear_status);
		problem_denied(out, in, 403, "denied", "The token does not affirm the workload", err, c);
		c->deny = true;
		goto out;
	}
	st = ccg_secrets_get(txn, d->kek, c->b.contract, c->b.secret, vc->id, &pt, &version, err);
	if (st == CCG_ERR_CONTRACT_MISMATCH) {
		snprintf(c->party, sizeof(c->party), "verifier");
		snprintf(c->rule, sizeof(c->rule), "contract-version");
		problem_denied(out, in, 409, "secret-other-version",
			       "The secret was uploaded for another version of the contract", err, c);
		c->deny = true;
		goto out;
	}
	if (st == CCG_ERR_NOT_FOUND) {
		snprintf(c->party, sizeof(c->party), "verifier");
		snprintf(c->rule, sizeof(c->rule), "not-uploaded");
		problem_denied(out, in, 404, "secret-not-uploaded", "The secret's owner has not uploaded it", err, c);
		c->deny = true;
		goto out;
	}
	if (st != CCG_OK)
		goto out;
	/* a context is sealed with once: a retried transaction gets a fresh one */
	if (c->hpke == NULL || ccg_hpke_ctx_seq(c->hpke) != 0) {
		if ((st = hpke_setup(c, err)) != CCG_OK)
			goto out;
	}
	if ((st = ccg_hpke_release_aad(c->b.token, c->b.contract, c->b.secret, &aad, &aad_len, err)) != CCG_OK)
		goto out;
	if ((ct = malloc(pt->len + CCG_HPKE_TAG_LEN)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "release", "no memory");
		goto out;
	}
	if ((st = ccg_hpke_ctx_seal(c->hpke, aad, aad_len, pt->data, pt->len, ct, pt->len + CCG_HPKE_TAG_LEN, &ct_len,
				    err)) != CCG_OK)
		goto out;
	if ((st = log_put(txn,
			  json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "type", "release", "contract", c->b.contract, "secret",
				    c->b.secret, "to", t->to, "token", t->token_hash, "time", (json_int_t)in->now),
			  &index, err)) != CCG_OK)
		goto out;
	reply_clear(out);
	out->status = 200;
	out->body = json_pack("{s:s,s:s,s:I,s:s,s:o,s:o,s:I}", "contract", c->b.contract, "secret", c->b.secret,
			      "version", (json_int_t)version, "suite",
			      t->suite == CCG_HPKE_P384_SHA384_AES256GCM ? VD_UPLOAD_SUITE : VD_SUITE_X25519, "enc",
			      jose_b64_enc(c->enc, c->enc_len), "ct", jose_b64_enc(ct, ct_len), "log_index",
			      (json_int_t)index);
	if (out->body == NULL)
		st = ccg_error_set(err, CCG_ERR_NOMEM, "release", "no memory");
out:
	free(aad);
	free(ct);
	ccg_secret_free(pt);
	json_decref(whole);
	json_decref(one);
	vc_put(d, vc, vce);
	/* every refusal above has st != CCG_OK: the release rolls back; the denial is logged in its own transaction */
	return st;
}

/* the denial's own transaction: one log entry */
static enum ccg_status do_deny_log(struct vd *d, const struct vd_release_in *in, void *vctx, struct ccg_store_txn *txn,
				   struct vd_reply *out, struct ccg_error *err)
{
	struct release_ctx *c = vctx;

	(void)d;
	(void)out;
	return log_put(txn,
		       json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "type", "denial", "contract", c->b.contract,
				 "secret", c->b.secret, "to", c->tok->to, "token", c->tok->token_hash, "party",
				 c->party, "rule", c->rule, "time", (json_int_t)in->now),
		       NULL, err);
}

static void h_release(struct vd *d, const struct vd_release_in *in, struct vd_reply *out)
{
	struct release_ctx c;
	struct ccg_error err;
	enum tok_refusal why = TOK_INTERNAL;
	enum ccg_status st;

	memset(&c, 0, sizeof(c));
	ccg_error_clear(&err);
	if ((st = vd_release_body_parse(in->body, in->len, in->max_depth, &c.b, &err)) != CCG_OK) {
		problem_malformed(out, in->route, st, &err);
		return;
	}
	/* all public-key work before the transaction, which holds only reads, symmetric crypto and the inserts */
	if ((st = tok_get(d, c.b.token, in->now, &c.tok, &why, &err)) != CCG_OK) {
		switch (why) {
		case TOK_INVALID:
			problem(out, in->route, 401, "token-invalid",
				"The token is not a valid EAR token of this verifier", &err, NULL);
			break;
		case TOK_NO_TEE_KEY:
			problem(out, in->route, 403, "token-no-tee-key",
				"The token binds no TEE key a secret can be wrapped to", &err, NULL);
			break;
		case TOK_MALFORMED: problem_malformed(out, in->route, st, &err); break;
		case TOK_INTERNAL: problem_internal(out, in->route, st, &err); break;
		}
		goto out;
	}
	if ((st = hpke_setup(&c, &err)) != CCG_OK) {
		problem(out, in->route, 403, "token-no-tee-key",
			"The token binds no TEE key a secret can be wrapped to", &err, NULL);
		goto out;
	}
	in_txn(d, in, &c, do_release, out);
	if (c.deny) {
		struct vd_reply logged;

		memset(&logged, 0, sizeof(logged));
		in_txn(d, in, &c, do_deny_log, &logged);
		/* a denial that cannot be logged is not answered as a denial: the store failed */
		if (logged.body != NULL) {
			reply_clear(out);
			*out = logged;
		}
	}
out:
	ccg_hpke_ctx_free(c.hpke);
	tok_put(d, c.tok);
	vd_release_body_cleanup(&c.b);
}

/* ---- GET /v1/contracts/{contract} ---- */

/*
 * The contract version in force under the name, exactly as stored and
 * re-established (a row that is not in force as stored is refused): a party
 * compares its document with the one it signed before it uploads or
 * suspends (trust on first use made checkable).
 */
static enum ccg_status do_contract_get(struct vd *d, const struct vd_release_in *in, void *vctx,
				       struct ccg_store_txn *txn, struct vd_reply *out, struct ccg_error *err)
{
	struct ccg_vcontract *vc = NULL;
	struct vc_entry *vce = NULL;
	const uint8_t *canon;
	size_t n = 0;
	enum ccg_status st;

	(void)vctx;
	if ((st = load_contract(d, txn, in, false, &vc, &vce, out, err)) != CCG_OK)
		goto out;
	canon = ccg_contract_canonical(vc->contract, &n);
	reply_clear(out);
	out->status = 200;
	out->body = json_pack("{s:s,s:I,s:s,s:s%}", "contract", vc->name, "version", (json_int_t)vc->version, "id",
			      vc->id, "document", (const char *)canon, n);
	if (out->body == NULL)
		st = ccg_error_set(err, CCG_ERR_NOMEM, "contract", "no memory");
out:
	vc_put(d, vc, vce);
	return st;
}

/* ---- start and dispatch ---- */

enum ccg_status vd_upload_key_make(EVP_PKEY **out_key, json_t **out_jwk, struct ccg_error *err)
{
	json_t *jwk = NULL, *thp = NULL;
	EVP_PKEY *key = NULL;
	enum ccg_status st;

	*out_key = NULL;
	*out_jwk = NULL;
	if ((st = ccg_hpke_keypair_generate(CCG_HPKE_P384_SHA384_AES256GCM, &key, err)) != CCG_OK)
		return ccg_error_set(err, st, "upload_key", "generating the P-384 upload key");
	if ((jwk = jose_openssl_jwk_from_EVP_PKEY(NULL, key)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_CRYPTO, "upload_key", "not expressible as a JWK");
		goto out;
	}
	if (json_object_get(jwk, "d") != NULL) {
		json_t *dv = json_object_get(jwk, "d");

		OPENSSL_cleanse((char *)json_string_value(dv), json_string_length(dv));
		json_object_del(jwk, "d");
	}
	thp = jose_jwk_thp(NULL, jwk, "S256");
	if (thp == NULL || json_object_set(jwk, "kid", thp) != 0 ||
	    json_object_set_new(jwk, "use", json_string("enc")) != 0 ||
	    json_object_set_new(jwk, "alg", json_string(UPLOAD_ALG)) != 0) {
		st = ccg_error_set(err, CCG_ERR_CRYPTO, "upload_key", "thumbprint");
		goto out;
	}
	*out_key = key;
	*out_jwk = jwk;
	key = NULL;
	jwk = NULL;
out:
	json_decref(thp);
	json_decref(jwk);
	EVP_PKEY_free(key);
	return st;
}

enum ccg_status vd_release_init(struct vd *d, struct ccg_error *err)
{
	enum ccg_status st;

	if ((st = ccg_kek_open(d->cfg.kek, d->cfg.tpm_tcti, &d->kek, err)) != CCG_OK)
		return st;
	if ((d->vc_cache = calloc(1, sizeof(*d->vc_cache))) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "release", "no memory");
	pthread_mutex_init(&d->vc_cache->mu, NULL);
	/* the token key is the daemon's for as long as it runs: its JWKS is made once */
	if ((d->vc_cache->jwks = ccg_ear_key_jwks(d->key)) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "release", "no token key");
	return vd_upload_key_make(&d->upload_key, &d->upload_jwk, err);
}

void vd_release_cleanup(struct vd *d)
{
	if (d->vc_cache != NULL) {
		for (size_t i = 0; i < VC_CACHE; i++)
			ccg_vcontract_free(d->vc_cache->e[i].vc);
		for (size_t i = 0; i < TOK_CACHE; i++)
			tok_result_free(d->vc_cache->tok[i]);
		json_decref(d->vc_cache->jwks);
		pthread_mutex_destroy(&d->vc_cache->mu);
		free(d->vc_cache);
		d->vc_cache = NULL;
	}
	ccg_kek_free(d->kek);
	EVP_PKEY_free(d->upload_key);
	json_decref(d->upload_jwk);
	d->kek = NULL;
	d->upload_key = NULL;
	d->upload_jwk = NULL;
}

const json_t *vd_upload_jwk(const struct vd *d)
{
	return d->upload_jwk;
}

void vd_release_handle(struct vd *d, const struct vd_release_in *in, struct vd_reply *out)
{
	memset(out, 0, sizeof(*out));
	if (in->route != VD_RR_RELEASE && in->route != VD_RR_CONTRACT &&
	    (in->statement == NULL || in->statement[0] == '\0')) {
		struct ccg_error err;

		ccg_error_clear(&err);
		ccg_error_set(&err, CCG_ERR_INVALID_ARG, "statement",
			      "the request needs a " VD_STATEMENT_HEADER " header");
		problem(out, in->route, 401, "statement-missing", "A signed party statement is required", &err, NULL);
		return;
	}
	switch (in->route) {
	case VD_RR_CONTRACTS: h_contract(d, in, out); break;
	case VD_RR_SECRET: h_upload(d, in, out); break;
	case VD_RR_SUSPEND:
	case VD_RR_RESUME: h_suspend(d, in, out); break;
	case VD_RR_RELEASE: h_release(d, in, out); break;
	case VD_RR_CONTRACT: in_txn(d, in, NULL, do_contract_get, out); break;
	}
	if (out->body == NULL)
		problem_internal(out, in->route, CCG_ERR_NOMEM, NULL);
}
