/* SPDX-License-Identifier: Apache-2.0 */
/* Sealed secrets and suspensions in the store: see verifier/secrets.h. */
#include "verifier/secrets.h"

#include <jose/b64.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/error.h"
#include "common/json.h"
#include "verifier/store.h"

#define AAD_MAX CCG_SECRETS_AAD_MAX
#define ROW_MAX (4 * CCG_SECRET_MAX_LEN)

static enum ccg_status check_name(const char *name, const char *where, struct ccg_error *err)
{
	size_t n = name != NULL ? strlen(name) : 0;

	if (n == 0 || n > CCG_SECRET_MAX_NAME)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "1 to %d bytes", CCG_SECRET_MAX_NAME);
	return CCG_OK;
}

/* "<len>:<contract>/<secret>" (secret NULL: "<len>:<contract>/") */
static enum ccg_status row_key(const char *contract, const char *secret, char out[CCG_STORE_MAX_KEY + 1],
			       struct ccg_error *err)
{
	enum ccg_status s;
	int n;

	if ((s = check_name(contract, "contract", err)) != CCG_OK ||
	    (secret != NULL && (s = check_name(secret, "secret", err)) != CCG_OK))
		return s;
	n = snprintf(out, CCG_STORE_MAX_KEY + 1, "%zu:%s/%s", strlen(contract), contract, secret != NULL ? secret : "");
	if (n < 0 || n > CCG_STORE_MAX_KEY)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "secret", "names too long for a store key");
	return CCG_OK;
}

/* exactly CCG_SECRETS_ID_LEN lower-case hex digits */
static bool id_ok(const char *id)
{
	if (id == NULL || strlen(id) != CCG_SECRETS_ID_LEN)
		return false;
	for (size_t i = 0; i < CCG_SECRETS_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

enum ccg_status ccg_secrets_aad(const char *contract, const char *secret, const char *contract_id, int64_t version,
				uint8_t *out, size_t cap, size_t *out_len, struct ccg_error *err)
{
	enum ccg_status s;
	size_t a, b, n;

	if ((s = check_name(contract, "contract", err)) != CCG_OK || (s = check_name(secret, "secret", err)) != CCG_OK)
		return s;
	if (!id_ok(contract_id))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "contract_id", "not %d lower-case hex digits",
				     CCG_SECRETS_ID_LEN);
	a = strlen(contract);
	b = strlen(secret);
	n = a + b + 2 + CCG_SECRETS_ID_LEN;
	if (n + 1 + 21 > cap)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "secret.aad", "buffer too small");
	memcpy(out, contract, a);
	out[a] = 0;
	memcpy(out + a + 1, secret, b);
	out[a + 1 + b] = 0;
	memcpy(out + a + b + 2, contract_id, CCG_SECRETS_ID_LEN);
	if (version > 0) {
		int m = snprintf((char *)out + n + 1, cap - n - 1, "%lld", (long long)version);

		if (m < 0)
			return ccg_error_set(err, CCG_ERR_INTERNAL, "secret.aad", "version");
		out[n] = 0;
		n += 1 + (size_t)m;
	}
	*out_len = n;
	return CCG_OK;
}

static json_t *b64(const uint8_t *d, size_t n)
{
	return jose_b64_enc(d, n);
}

/* the base64url member m of row decoded into a malloc'd buffer of at most max bytes */
static enum ccg_status b64_member(const json_t *row, const char *m, size_t max, uint8_t **out, size_t *out_len,
				  struct ccg_error *err)
{
	const json_t *v = json_object_get(row, m);
	size_t n;

	*out = NULL;
	if (!json_is_string(v) ||
	    (n = jose_b64_dec_buf(json_string_value(v), json_string_length(v), NULL, 0)) == SIZE_MAX || n > max)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "secret.row", "%s is not base64url of at most %zu bytes",
				     m, max);
	if ((*out = malloc(n + 1)) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "secret.row", "no memory");
	if (jose_b64_dec_buf(json_string_value(v), json_string_length(v), *out, n) != n) {
		free(*out);
		*out = NULL;
		return ccg_error_set(err, CCG_ERR_MALFORMED, "secret.row", "%s is not base64url", m);
	}
	*out_len = n;
	return CCG_OK;
}

/* the stored row (NULL and CCG_OK when absent), its version checked */
static enum ccg_status row_load(struct ccg_store_txn *txn, const char *key, json_t **out, int64_t *version,
				struct ccg_error *err)
{
	uint8_t *raw = NULL;
	size_t len = 0;
	enum ccg_status s = ccg_store_get(txn, CCG_SECRETS_TABLE, key, &raw, &len, err);
	json_t *v;

	*out = NULL;
	*version = 0;
	if (s == CCG_ERR_NOT_FOUND) {
		ccg_error_clear(err);
		return CCG_OK;
	}
	if (s != CCG_OK)
		return s;
	s = ccg_json_parse(raw, len, ROW_MAX, "secret.row", out, err);
	free(raw);
	if (s != CCG_OK)
		return s;
	v = json_object_get(*out, "version");
	if (!json_is_object(*out) || !json_is_integer(v) || json_integer_value(v) < 1) {
		json_decref(*out);
		*out = NULL;
		return ccg_error_set(err, CCG_ERR_MALFORMED, "secret.row", "no positive version");
	}
	*version = json_integer_value(v);
	return CCG_OK;
}

enum ccg_status ccg_secrets_put(struct ccg_store_txn *txn, const struct ccg_kek *kek, const char *contract,
				const char *secret, const char *contract_id, const uint8_t *pt, size_t len,
				const char *by, int64_t *out_version, struct ccg_error *err)
{
	char key[CCG_STORE_MAX_KEY + 1];
	uint8_t aad[AAD_MAX], wrapped[CCG_KEK_WRAPPED_LEN], *ct = NULL;
	struct ccg_secret *dk = NULL;
	size_t aad_len = 0, wlen = sizeof(wrapped);
	json_t *old = NULL, *row = NULL;
	char *text = NULL;
	int64_t version = 0;
	enum ccg_status s;

	if (pt == NULL || len == 0 || len > CCG_SECRET_MAX_LEN)
		return ccg_error_set(err, len > CCG_SECRET_MAX_LEN ? CCG_ERR_TOO_LARGE : CCG_ERR_INVALID_ARG, "secret",
				     "1 to %u bytes", CCG_SECRET_MAX_LEN);
	if (by == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "secret.by", "no party");
	if ((s = row_key(contract, secret, key, err)) != CCG_OK ||
	    (s = row_load(txn, key, &old, &version, err)) != CCG_OK)
		return s;
	version++;
	if ((s = ccg_secrets_aad(contract, secret, contract_id, version, aad, sizeof(aad), &aad_len, err)) != CCG_OK)
		goto out;
	if (ccg_secret_new(CCG_KEK_DK_LEN, &dk) != CCG_OK ||
	    (ct = malloc(len + CCG_KEK_IV_LEN + CCG_KEK_TAG_LEN)) == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "secret", "no memory");
		goto out;
	}
	/* a fresh data key for every upload */
	if (ccg_random(dk->data, CCG_KEK_DK_LEN) != CCG_OK) {
		s = ccg_error_set(err, CCG_ERR_CRYPTO, "secret.data_key", "no random bytes");
		goto out;
	}
	if ((s = ccg_aes256gcm_seal(dk->data, aad, aad_len, pt, len, ct, err)) != CCG_OK ||
	    (s = ccg_kek_wrap(kek, dk->data, aad, aad_len, wrapped, &wlen, err)) != CCG_OK)
		goto out;
	row = json_pack("{s:I,s:s,s:s,s:o,s:o}", "version", (json_int_t)version, "by", by, "contract_id", contract_id,
			"wrapped_key", b64(wrapped, wlen), "ciphertext",
			b64(ct, len + CCG_KEK_IV_LEN + CCG_KEK_TAG_LEN));
	if (row == NULL || (text = json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "secret", "no memory");
		goto out;
	}
	if ((s = ccg_store_put(txn, CCG_SECRETS_TABLE, key, (const uint8_t *)text, strlen(text), CCG_STORE_UPSERT,
			       err)) != CCG_OK)
		goto out;
	if (out_version != NULL)
		*out_version = version;
out:
	ccg_secret_free(dk);
	free(ct);
	free(text);
	json_decref(row);
	json_decref(old);
	return s;
}

enum ccg_status ccg_secrets_get(struct ccg_store_txn *txn, const struct ccg_kek *kek, const char *contract,
				const char *secret, const char *contract_id, struct ccg_secret **out,
				int64_t *out_version, struct ccg_error *err)
{
	char key[CCG_STORE_MAX_KEY + 1];
	uint8_t aad[AAD_MAX], *wrapped = NULL, *ct = NULL;
	size_t aad_len = 0, wlen = 0, ct_len = 0;
	struct ccg_secret *dk = NULL, *pt = NULL;
	json_t *row = NULL;
	int64_t version = 0;
	enum ccg_status s;

	*out = NULL;
	if ((s = row_key(contract, secret, key, err)) != CCG_OK ||
	    (s = row_load(txn, key, &row, &version, err)) != CCG_OK)
		return s;
	if (row == NULL)
		return ccg_error_set(err, CCG_ERR_NOT_FOUND, "secret", "\"%.64s\" of \"%.64s\" was never uploaded",
				     secret, contract);
	/* the version it was uploaded for: another one is named (the AEAD below binds it whatever the row says) */
	{
		const char *was = json_string_value(json_object_get(row, "contract_id"));

		if (was == NULL) {
			s = ccg_error_set(err, CCG_ERR_MALFORMED, "secret.row", "no contract_id");
			goto out;
		}
		if (contract_id == NULL || strcmp(was, contract_id) != 0) {
			s = ccg_error_set(
				err, CCG_ERR_CONTRACT_MISMATCH, "secret.contract_id",
				"\"%.64s\" was uploaded for contract version %.16s..., the contract in force is "
				"%.16s...: its owner uploads it again for this version",
				secret, was, contract_id != NULL ? contract_id : "?");
			goto out;
		}
	}
	if ((s = ccg_secrets_aad(contract, secret, contract_id, version, aad, sizeof(aad), &aad_len, err)) != CCG_OK ||
	    (s = b64_member(row, "wrapped_key", CCG_KEK_WRAPPED_LEN, &wrapped, &wlen, err)) != CCG_OK ||
	    (s = b64_member(row, "ciphertext", CCG_SECRET_MAX_LEN + CCG_KEK_IV_LEN + CCG_KEK_TAG_LEN, &ct, &ct_len,
			    err)) != CCG_OK)
		goto out;
	if (ct_len <= CCG_KEK_IV_LEN + CCG_KEK_TAG_LEN) {
		s = ccg_error_set(err, CCG_ERR_MALFORMED, "secret.row", "ciphertext too short");
		goto out;
	}
	if (ccg_secret_new(CCG_KEK_DK_LEN, &dk) != CCG_OK ||
	    ccg_secret_new(ct_len - CCG_KEK_IV_LEN - CCG_KEK_TAG_LEN, &pt) != CCG_OK) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "secret", "no memory");
		goto out;
	}
	if ((s = ccg_kek_unwrap(kek, wrapped, wlen, aad, aad_len, dk->data, err)) != CCG_OK ||
	    (s = ccg_aes256gcm_open(dk->data, aad, aad_len, ct, ct_len, pt->data, "secret.ciphertext", err)) != CCG_OK)
		goto out;
	*out = pt;
	pt = NULL;
	if (out_version != NULL)
		*out_version = version;
out:
	ccg_secret_free(dk);
	ccg_secret_free(pt);
	free(wrapped);
	free(ct);
	json_decref(row);
	return s;
}

/* ---- suspensions ---- */

static enum ccg_status susp_load(struct ccg_store_txn *txn, const char *key, json_t **out, struct ccg_error *err)
{
	uint8_t *raw = NULL;
	size_t len = 0, i;
	json_t *v;
	enum ccg_status s = ccg_store_get(txn, CCG_SUSPENSION_TABLE, key, &raw, &len, err);

	*out = NULL;
	if (s == CCG_ERR_NOT_FOUND) {
		ccg_error_clear(err);
		if ((*out = json_array()) == NULL)
			return ccg_error_set(err, CCG_ERR_NOMEM, "suspension", "no memory");
		return CCG_OK;
	}
	if (s != CCG_OK)
		return s;
	s = ccg_json_parse(raw, len, 64 * 1024, "suspension.row", out, err);
	free(raw);
	if (s != CCG_OK)
		return s;
	if (!json_is_array(*out))
		goto bad;
	json_array_foreach(*out, i, v)
		if (!json_is_string(v))
			goto bad;
	return CCG_OK;
bad:
	json_decref(*out);
	*out = NULL;
	return ccg_error_set(err, CCG_ERR_MALFORMED, "suspension.row", "not a list of parties");
}

enum ccg_status ccg_suspension_get(struct ccg_store_txn *txn, const char *contract, const char *secret, json_t **out,
				   struct ccg_error *err)
{
	char key[CCG_STORE_MAX_KEY + 1];
	enum ccg_status s;

	*out = NULL;
	if ((s = row_key(contract, secret, key, err)) != CCG_OK)
		return s;
	return susp_load(txn, key, out, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

enum ccg_status ccg_suspension_set(struct ccg_store_txn *txn, const char *contract, const char *secret,
				   const char *party, bool on, json_t **out, struct ccg_error *err)
{
	char key[CCG_STORE_MAX_KEY + 1];
	json_t *list = NULL, *sorted = NULL, *v, *items[256];
	size_t i, n = 0, at = SIZE_MAX;
	char *text = NULL;
	enum ccg_status s;

	if (out != NULL)
		*out = NULL;
	if (party == NULL || party[0] == '\0')
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "suspension.party", "no party");
	if ((s = row_key(contract, secret, key, err)) != CCG_OK || (s = susp_load(txn, key, &list, err)) != CCG_OK)
		return s;
	json_array_foreach(list, i, v)
		if (strcmp(json_string_value(v), party) == 0)
			at = i;
	if (on && at == SIZE_MAX && json_array_append_new(list, json_string(party)) != 0) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "suspension", "no memory");
		goto out;
	}
	if (!on) {
		if (at == SIZE_MAX) {
			s = ccg_error_set(err, CCG_ERR_NOT_FOUND, "suspension",
					  "\"%.64s\" has not suspended it (only the suspending party resumes)", party);
			goto out;
		}
		json_array_remove(list, at);
	}
	if (json_array_size(list) > sizeof(items) / sizeof(items[0])) {
		s = ccg_error_set(err, CCG_ERR_TOO_LARGE, "suspension", "too many parties");
		goto out;
	}
	json_array_foreach(list, i, v)
		items[n++] = v;
	qsort(items, n, sizeof(items[0]), cmp_str);
	if ((sorted = json_array()) == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "suspension", "no memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		json_array_append(sorted, items[i]);
	if (n == 0) {
		s = ccg_store_delete(txn, CCG_SUSPENSION_TABLE, key, err);
	} else if ((text = json_dumps(sorted, JSON_COMPACT)) == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "suspension", "no memory");
	} else {
		s = ccg_store_put(txn, CCG_SUSPENSION_TABLE, key, (const uint8_t *)text, strlen(text), CCG_STORE_UPSERT,
				  err);
	}
	if (s == CCG_OK && out != NULL) {
		*out = sorted;
		sorted = NULL;
	}
out:
	free(text);
	json_decref(list);
	json_decref(sorted);
	return s;
}
