/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The contract the verifier holds under a name is the one this party signed
 * (branch releasefast, issue 14), declared in include/ccgpu/party.h. The first
 * registration of a name takes the keys its document states (trust on first
 * use); an operator who registers its own contract under a party's name first
 * would receive what the party uploads for that name. So before a party
 * uploads or suspends, it fetches what the verifier holds and compares it,
 * byte for byte, with what it signed; the upload's aad binds the same id, so
 * the verifier cannot open a secret sealed for another contract either.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/json.h"
#include "party/client.h"

enum ccg_status ccg_party_contract_held_check(const uint8_t *body, size_t len, const char *name, const uint8_t *canon,
					      size_t canon_len, const char *id, struct ccg_error *err)
{
	json_t *j = NULL;
	const json_t *doc, *held_id, *held_name, *ver;
	enum ccg_status st;

	if ((st = ccg_json_parse(body, len, CCG_PARTY_MAX_ANSWER, "party.contract", &j, err)) != CCG_OK)
		return st;
	held_name = json_object_get(j, "contract");
	held_id = json_object_get(j, "id");
	doc = json_object_get(j, "document");
	ver = json_object_get(j, "version");
	if (!json_is_object(j) || !json_is_string(held_name) || !json_is_string(held_id) || !json_is_string(doc) ||
	    !json_is_integer(ver)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "party.contract",
				   "the verifier's answer is not {contract, version, id, document}");
		goto out;
	}
	if (strcmp(json_string_value(held_name), name) != 0 || strcmp(json_string_value(held_id), id) != 0 ||
	    json_string_length(doc) != canon_len || CRYPTO_memcmp(json_string_value(doc), canon, canon_len) != 0) {
		st = ccg_error_set(err, CCG_ERR_CONTRACT_MISMATCH, "party.contract",
				   "the verifier holds \"%.64s\" version %lld id %.16s..., not the contract this party "
				   "signed (id %.16s...): someone else registered it, or another version is in force; "
				   "nothing sent",
				   json_string_value(held_name), (long long)json_integer_value(ver),
				   json_string_value(held_id), id);
		goto out;
	}
	st = CCG_OK;
out:
	json_decref(j);
	return st;
}

enum ccg_status ccg_party_contract_held(const struct ccg_party_verifier *v, const char *name, const uint8_t *canon,
					size_t canon_len, const char *id, struct ccg_error *err)
{
	struct ccg_party_answer r;
	char path[CCG_PARTY_MAX_NAME + 32];
	enum ccg_status st;

	memset(&r, 0, sizeof(r));
	if (!ccg_party_name_ok(name))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "party.contract", "not a contract name");
	snprintf(path, sizeof(path), "/v1/contracts/%s", name);
	if ((st = ccg_party_http(v, "GET", path, NULL, 0, NULL, &r, err)) == CCG_OK &&
	    (st = ccg_party_answer_check(&r, 200, "party.contract", err)) == CCG_OK)
		st = ccg_party_contract_held_check(r.body, r.body_len, name, canon, canon_len, id, err);
	ccg_party_answer_cleanup(&r);
	return st;
}
