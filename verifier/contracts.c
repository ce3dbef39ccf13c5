/* SPDX-License-Identifier: Apache-2.0 */
/* Contracts in force and their registered keys: see verifier/contracts.h. */
#include "verifier/contracts.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/json.h"
#include "policies/policy_int.h"
#include "verifier/statement.h"
#include "verifier/store.h"

#define ROW_MAX (CCG_STORE_MAX_VALUE)

void ccg_vcontract_free(struct ccg_vcontract *vc)
{
	if (vc == NULL)
		return;
	ccg_contract_free(vc->contract);
	ccg_party_keys_free(vc->keys);
	free(vc->consent);
	json_decref(vc->key_pems);
	free(vc);
}

/* the document's name and version, read from its canonical bytes */
static enum ccg_status doc_head(const struct ccg_contract *c, json_t **out_doc, struct ccg_vcontract *vc,
				struct ccg_error *err)
{
	size_t len = 0;
	const uint8_t *canon = ccg_contract_canonical(c, &len);
	const char *name;
	enum ccg_status s = ccg_json_parse(canon, len, ROW_MAX, "contract", out_doc, err);

	if (s != CCG_OK)
		return s;
	name = json_string_value(json_object_get(*out_doc, "id"));
	if (name == NULL || strlen(name) == 0 || strlen(name) >= sizeof(vc->name) ||
	    !json_is_integer(json_object_get(*out_doc, "version")))
		return ccg_error_set(err, CCG_ERR_MALFORMED, "contract.id", "1 to %zu bytes, with an integer version",
				     sizeof(vc->name) - 1);
	snprintf(vc->name, sizeof(vc->name), "%s", name);
	vc->version = json_integer_value(json_object_get(*out_doc, "version"));
	snprintf(vc->id, sizeof(vc->id), "%s", ccg_contract_id(c));
	return CCG_OK;
}

static enum ccg_status add_sigs(struct ccg_contract *c, const char *const *sigs, size_t n, struct ccg_error *err)
{
	if (n > CCG_VCONTRACT_MAX_SIGS)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "signatures", "at most %d", CCG_VCONTRACT_MAX_SIGS);
	for (size_t i = 0; i < n; i++) {
		enum ccg_status s;

		if (sigs[i] == NULL)
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, "signatures", "a missing signature");
		s = ccg_contract_add_signature(c, (const uint8_t *)sigs[i], strlen(sigs[i]), err);
		if (s != CCG_OK) {
			if (err != NULL) {
				char where[CCG_ERROR_WHERE_MAX + 32];
				int m = snprintf(where, sizeof(where), "signatures[%zu].%s", i, err->where);
				size_t k = m < 0                            ? 0
					   : (size_t)m < sizeof(err->where) ? (size_t)m
									    : sizeof(err->where) - 1;

				memcpy(err->where, where, k);
				err->where[k] = '\0';
			}
			return s;
		}
	}
	return CCG_OK;
}

static enum ccg_status keys_from_json(const json_t *pems, struct ccg_party_keys **out, struct ccg_error *err)
{
	struct ccg_party_keys *k = ccg_party_keys_new();
	const char *party;
	json_t *v;
	enum ccg_status s = CCG_OK;

	*out = NULL;
	if (k == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "contract.keys", "no memory");
	json_object_foreach((json_t *)pems, party, v) {
		if (!json_is_string(v)) {
			s = ccg_error_set(err, CCG_ERR_MALFORMED, "contract.keys", "key of \"%.64s\" is not text",
					  party);
			break;
		}
		s = ccg_party_keys_add(k, party, (const uint8_t *)json_string_value(v), json_string_length(v), err);
		if (s != CCG_OK)
			break;
	}
	if (s != CCG_OK) {
		ccg_party_keys_free(k);
		return s;
	}
	*out = k;
	return CCG_OK;
}

/* a stored row that is not what ccg_vcontract_register wrote: refused, naming the contract, the check and why */
static enum ccg_status not_in_force(struct ccg_error *err, const char *name, const char *check,
				    const struct ccg_error *inner)
{
	char where[CCG_ERROR_WHERE_MAX];

	if (snprintf(where, sizeof(where), "contract[%.64s].%s", name, check) < 0)
		where[0] = '\0'; /* a long check is cut at the end */
	return ccg_error_set(
		err, CCG_ERR_CONTRACT_NOT_IN_FORCE, where,
		"the stored contract is not in force as stored (changed outside the verifier?): %.60s: %.250s",
		inner->where, inner->detail);
}

/* the consent of vc's parties under its registered keys, each signature verified once, and its threshold */
static enum ccg_status consent_establish(struct ccg_vcontract *vc, struct ccg_error *err)
{
	if ((vc->consent = calloc(1, sizeof(*vc->consent))) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "contract", "no memory");
	return pol_contract_consent(vc->contract, vc->keys, vc->consent, err);
}

enum ccg_status ccg_vcontract_load(struct ccg_store_txn *txn, const char *name, struct ccg_vcontract **out,
				   struct ccg_error *err)
{
	struct ccg_vcontract *vc = NULL;
	uint8_t *row = NULL;
	size_t row_len = 0;
	json_t *j = NULL, *doc = NULL, *sigs;
	const char *text, *check = "row";
	const char **sv = NULL;
	size_t i;
	json_t *e;
	struct ccg_error inner;
	enum ccg_status s;

	*out = NULL;
	if ((s = ccg_store_get(txn, CCG_VCONTRACT_TABLE, name, &row, &row_len, err)) != CCG_OK)
		return s;
	ccg_error_clear(&inner);
	if ((vc = calloc(1, sizeof(*vc))) == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "contract", "no memory");
		goto out;
	}
	if ((s = ccg_json_parse(row, row_len, ROW_MAX, "contract.row", &j, &inner)) != CCG_OK)
		goto refused;
	text = json_string_value(json_object_get(j, "document"));
	sigs = json_object_get(j, "signatures");
	vc->key_pems = json_incref(json_object_get(j, "keys"));
	if (text == NULL || !json_is_array(sigs) || !json_is_object(vc->key_pems) ||
	    json_array_size(sigs) > CCG_VCONTRACT_MAX_SIGS) {
		s = ccg_error_set(&inner, CCG_ERR_MALFORMED, "contract.row",
				  "stored row of \"%.64s\" is not a contract row", name);
		goto refused;
	}
	check = "document";
	if ((s = ccg_contract_parse((const uint8_t *)text, strlen(text), &vc->contract, &inner)) != CCG_OK)
		goto refused;
	if ((sv = calloc(json_array_size(sigs) + 1, sizeof(char *))) == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "contract", "no memory");
		goto out;
	}
	json_array_foreach(sigs, i, e)
		sv[i] = json_string_value(e);
	check = "signatures";
	if ((s = add_sigs(vc->contract, sv, json_array_size(sigs), &inner)) != CCG_OK)
		goto refused;
	check = "keys";
	if ((s = keys_from_json(vc->key_pems, &vc->keys, &inner)) != CCG_OK)
		goto refused;
	check = "row";
	if ((s = doc_head(vc->contract, &doc, vc, &inner)) != CCG_OK)
		goto refused;
	if (strcmp(vc->name, name) != 0) {
		s = ccg_error_set(&inner, CCG_ERR_MALFORMED, "contract.row", "row \"%.64s\" holds contract \"%.64s\"",
				  name, vc->name);
		goto refused;
	}
	/* every key registered for a party of this version is the key the document names (and its parties signed) */
	if ((s = pol_contract_keys_match(vc->contract, vc->keys, &inner)) != CCG_OK) {
		check = inner.where;
		goto refused;
	}
	check = "consent";
	if ((s = consent_establish(vc, &inner)) != CCG_OK)
		goto refused;
	if (vc->consent->count < vc->consent->threshold) {
		s = ccg_error_set(&inner, CCG_ERR_SIGNATURE, "contract",
				  "%zu of %zu required signatures under registered keys", vc->consent->count,
				  vc->consent->threshold);
		goto refused;
	}
	*out = vc;
	vc = NULL;
	goto out;
refused:
	if (s == CCG_ERR_NOMEM)
		s = ccg_error_set(err, s, inner.where, "%s", inner.detail);
	else
		s = not_in_force(err, name, check, &inner);
out:
	free(sv);
	free(row);
	json_decref(j);
	json_decref(doc);
	ccg_vcontract_free(vc);
	return s;
}

enum ccg_status ccg_vcontract_in_force(const struct ccg_vcontract *vc, int64_t now, struct ccg_error *err)
{
	struct ccg_error inner;
	enum ccg_status s;

	if (vc == NULL || vc->consent == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "contract", "no contract loaded");
	ccg_error_clear(&inner);
	if ((s = pol_contract_in_force_by(vc->contract, vc->consent, now, &inner)) == CCG_OK)
		return CCG_OK;
	if (s != CCG_ERR_SIGNATURE && s != CCG_ERR_CERT_EXPIRED)
		return ccg_error_set(err, s, inner.where, "%s", inner.detail);
	return not_in_force(err, vc->name, s == CCG_ERR_CERT_EXPIRED ? "validity" : "consent", &inner);
}

enum ccg_status ccg_vcontract_party_key(const struct ccg_vcontract *vc, const char *party, const char **out_pem,
					struct ccg_error *err)
{
	const char *pem = json_string_value(json_object_get(vc->key_pems, party));

	*out_pem = NULL;
	if (pem == NULL)
		return ccg_error_set(err, CCG_ERR_PARTY_UNKNOWN, "party",
				     "\"%.64s\" has no registered key in contract \"%.64s\"", party, vc->name);
	*out_pem = pem;
	return CCG_OK;
}

/* the same public key? (both PEM SubjectPublicKeyInfo) */
static bool same_key(const char *a, const char *b)
{
	void *ka = NULL, *kb = NULL;
	const char *alg;
	bool same = false;

	if (pol_key_parse((const uint8_t *)a, strlen(a), false, &ka, &alg, "key", NULL) == CCG_OK &&
	    pol_key_parse((const uint8_t *)b, strlen(b), false, &kb, &alg, "key", NULL) == CCG_OK)
		same = pol_key_same(ka, kb);
	pol_key_free(ka);
	pol_key_free(kb);
	return same;
}

/* the keys that judge the new version: the registered ones, plus the document's for parties new to it */
static enum ccg_status keys_for(const json_t *doc, const struct ccg_vcontract *old, json_t **out, struct ccg_error *err)
{
	json_t *pems = old != NULL ? json_deep_copy(old->key_pems) : json_object(), *p;
	size_t i;
	enum ccg_status s = CCG_OK;

	*out = NULL;
	if (pems == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "contract.keys", "no memory");
	json_array_foreach(json_object_get(doc, "parties"), i, p) {
		const char *id = json_string_value(json_object_get(p, "id"));
		const char *pem = json_string_value(json_object_get(p, "public-key"));
		const char *reg = id != NULL ? json_string_value(json_object_get(pems, id)) : NULL;

		if (id == NULL || pem == NULL) {
			s = ccg_error_set(err, CCG_ERR_MALFORMED, "parties", "party %zu without id or public-key", i);
			break;
		}
		if (reg == NULL) {
			if (json_object_set_new(pems, id, json_string(pem)) != 0) {
				s = ccg_error_set(err, CCG_ERR_NOMEM, "contract.keys", "no memory");
				break;
			}
		} else if (!same_key(reg, pem)) {
			s = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "parties",
					  "differs from the key registered for \"%.64s\" (a registered key is not "
					  "changed by a later version)",
					  id);
			if (err != NULL)
				snprintf(err->where, sizeof(err->where), "parties[%.64s].public-key", id);
			break;
		}
	}
	if (s != CCG_OK) {
		json_decref(pems);
		return s;
	}
	*out = pems;
	return CCG_OK;
}

enum ccg_status ccg_vcontract_register(struct ccg_store_txn *txn, const uint8_t *doc, size_t doc_len,
				       const char *const *sigs, size_t n_sigs, int64_t now, struct ccg_vcontract **out,
				       struct ccg_error *err)
{
	struct ccg_vcontract *vc = NULL, *old = NULL;
	json_t *head = NULL, *row = NULL, *sig_arr = NULL;
	char *row_text = NULL;
	enum ccg_status s;

	if (out != NULL)
		*out = NULL;
	if (txn == NULL || doc == NULL || (sigs == NULL && n_sigs > 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "contract", "need a transaction and a document");
	if ((vc = calloc(1, sizeof(*vc))) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "contract", "no memory");
	if ((s = ccg_contract_parse(doc, doc_len, &vc->contract, err)) != CCG_OK ||
	    (s = add_sigs(vc->contract, sigs, n_sigs, err)) != CCG_OK ||
	    (s = doc_head(vc->contract, &head, vc, err)) != CCG_OK)
		goto out;
	s = ccg_vcontract_load(txn, vc->name, &old, err);
	if (s == CCG_ERR_NOT_FOUND) {
		if (err != NULL)
			ccg_error_clear(err);
		s = CCG_OK;
	}
	if (s != CCG_OK)
		goto out;
	if (old != NULL && vc->version <= old->version) {
		s = ccg_error_set(err, CCG_ERR_DUPLICATE, "version", "version %lld is not above the registered %lld",
				  (long long)vc->version, (long long)old->version);
		goto out;
	}
	if ((s = keys_for(head, old, &vc->key_pems, err)) != CCG_OK ||
	    (s = keys_from_json(vc->key_pems, &vc->keys, err)) != CCG_OK ||
	    (s = consent_establish(vc, err)) != CCG_OK ||
	    (s = pol_contract_in_force_by(vc->contract, vc->consent, now, err)) != CCG_OK)
		goto out;
	if ((sig_arr = json_array()) == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "contract", "no memory");
		goto out;
	}
	for (size_t i = 0; i < n_sigs; i++)
		if (json_array_append_new(sig_arr, json_string(sigs[i])) != 0) {
			s = ccg_error_set(err, CCG_ERR_NOMEM, "contract", "no memory");
			goto out;
		}
	{
		size_t clen = 0;
		const uint8_t *canon = ccg_contract_canonical(vc->contract, &clen);

		row = json_pack("{s:I,s:s,s:s%,s:O,s:O}", "version", (json_int_t)vc->version, "id", vc->id, "document",
				(const char *)canon, clen, "signatures", sig_arr, "keys", vc->key_pems);
	}
	if (row == NULL || (row_text = json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "contract", "no memory");
		goto out;
	}
	s = ccg_store_put(txn, CCG_VCONTRACT_TABLE, vc->name, (const uint8_t *)row_text, strlen(row_text),
			  old == NULL ? CCG_STORE_INSERT : CCG_STORE_UPDATE, err);
	if (s != CCG_OK)
		goto out;
	if (out != NULL) {
		*out = vc;
		vc = NULL;
	}
out:
	ccg_vcontract_free(vc);
	ccg_vcontract_free(old);
	json_decref(head);
	json_decref(row);
	json_decref(sig_arr);
	free(row_text);
	return s;
}

enum ccg_status ccg_vcontract_statement_accept(struct ccg_store_txn *txn, const struct ccg_vcontract *vc,
					       const char *statement, const char *route, const uint8_t *body,
					       size_t body_len, int64_t now, int64_t window, struct ccg_statement *out,
					       struct ccg_error *err)
{
	char party[CCG_STATEMENT_MAX_ID + 1];
	const char *pem = NULL;
	struct ccg_statement st;
	enum ccg_status s;

	if (txn == NULL || vc == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "statement", "need a transaction and a contract");
	if ((s = ccg_statement_party(statement, party, err)) != CCG_OK ||
	    (s = ccg_vcontract_party_key(vc, party, &pem, err)) != CCG_OK ||
	    (s = ccg_statement_verify(statement, (const uint8_t *)pem, strlen(pem), &st, err)) != CCG_OK ||
	    (s = ccg_statement_check(&st, route, vc->name, body, body_len, now, window, err)) != CCG_OK ||
	    (s = ccg_statement_jti_use(txn, &st, now, window, err)) != CCG_OK)
		return s;
	if (out != NULL)
		*out = st;
	return CCG_OK;
}
