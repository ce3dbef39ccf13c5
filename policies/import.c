/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Import into the native language: NVIDIA's JSON relying-party policies
 * ("authorization-rules": overall-claims, detached-claims) and Azure Secure
 * Key Release policies (anyOf/allOf of {claim, equals|notEquals|less|
 * lessOrEquals|greater|greaterOrEquals|exists}). The result is policy text;
 * callers parse and check it like any other policy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "policies/policy_int.h"

#define IMPORT_MAX_JSON (1u << 20)
#define IMPORT_MAX_DEPTH 16

static void put(struct ccg_buf *b, bool *fail, const char *s)
{
	*fail |= ccg_buf_append_str(b, s) != CCG_OK;
}

static void put_quoted(struct ccg_buf *b, bool *fail, const char *s)
{
	put(b, fail, "\"");
	for (; *s; s++) {
		char one[2] = {*s, '\0'};

		put(b, fail, *s == '"' ? "\\\"" : *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : *s == '\t' ? "\\t" : one);
	}
	put(b, fail, "\"");
}

/*
 * text of the input inside a comment: a control character (a newline would
 * end the comment and let the rest be read as policy) becomes '?'
 */
static void put_comment_text(struct ccg_buf *b, bool *fail, const char *s)
{
	for (; *s; s++) {
		char one[2] = {(unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, '\0'};

		put(b, fail, one);
	}
}

/* a JSON scalar as a literal of the language */
static enum ccg_status put_literal(struct ccg_buf *b, bool *fail, json_t *v, const char *where, struct ccg_error *err)
{
	char num[32];

	if (json_is_string(v)) {
		if (strlen(json_string_value(v)) != json_string_length(v))
			return ccg_error_set(err, CCG_ERR_MALFORMED, where, "NUL in a string");
		/* the language's strings have no escape for other control characters */
		for (const unsigned char *p = (const unsigned char *)json_string_value(v); *p != 0; p++)
			if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
				return ccg_error_set(err, CCG_ERR_MALFORMED, where,
						     "control character 0x%02x in a string", *p);
		put_quoted(b, fail, json_string_value(v));
	} else if (json_is_boolean(v)) {
		put(b, fail, json_is_true(v) ? "true" : "false");
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		put(b, fail, num);
	} else {
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, where,
				     "only strings, booleans and integers can be imported");
	}
	return CCG_OK;
}

static enum ccg_status known_claim(const char *path, enum pol_scope scope, const char *where, struct ccg_error *err)
{
	const struct pol_schema *s = pol_schema_get();
	const struct pol_schema_claim *c = s != NULL ? pol_schema_find(s, path) : NULL;

	if (c == NULL || c->scope != scope)
		return ccg_error_set(err, CCG_ERR_POLICY_UNKNOWN_CLAIM, where,
				     "claim '%s' is not a %s claim of the claims schema", path,
				     scope == SCOPE_GPU ? "per-GPU" : "top-level");
	return CCG_OK;
}

/* rule name from a claim path: NVIDIA prefixes dropped, dots become dashes */
static void rule_name(const char *path, char *out, size_t n)
{
	static const char *const prefixes[] = {"x-nvidia-gpu-", "x-nvidia-", "x-ms-"};
	size_t w = 0;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(path, prefixes[i], strlen(prefixes[i])) == 0) {
			path += strlen(prefixes[i]);
			break;
		}
	for (; *path && w + 1 < n; path++) {
		if (*path == '.') {
			out[w++] = '-';
			path++;
			for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
				if (strncmp(path, prefixes[i], strlen(prefixes[i])) == 0) {
					path += strlen(prefixes[i]);
					break;
				}
			if (strncmp(path, "cert-", 5) == 0)
				path += 5;
			path--;
			continue;
		}
		out[w++] = *path;
	}
	out[w] = '\0';
}

/* claims of NVIDIA's claims version 2 that version 3 replaced by a cert-chain object */
static const struct {
	const char *legacy, *path;
} nv_legacy[] = {
	{"x-nvidia-gpu-attestation-report-cert-chain-validated",
	 "x-nvidia-gpu-attestation-report-cert-chain.x-nvidia-cert-status"},
	{"x-nvidia-gpu-driver-rim-cert-validated", "x-nvidia-gpu-driver-rim-cert-chain.x-nvidia-cert-status"},
	{"x-nvidia-gpu-vbios-rim-cert-validated", "x-nvidia-gpu-vbios-rim-cert-chain.x-nvidia-cert-status"},
};

static enum ccg_status nv_rule(struct ccg_buf *b, bool *fail, const char *path, json_t *v, bool gpu,
			       struct ccg_error *err)
{
	char name[POL_MAX_IDENT], msg[512], where[160];
	enum ccg_status st;
	char *vtext;

	for (size_t i = 0; i < sizeof(nv_legacy) / sizeof(nv_legacy[0]); i++)
		if (gpu && strcmp(path, nv_legacy[i].legacy) == 0 && json_is_boolean(v)) {
			rule_name(path, name, sizeof(name));
			snprintf(msg, sizeof(msg), "NVIDIA policy: %s must be %s (claims v3: %s)", path,
				 json_is_true(v) ? "true" : "false", nv_legacy[i].path);
			put(b, fail, "\n# imported from claims version 2 name ");
			put(b, fail, path);
			put(b, fail, "\nrule ");
			put(b, fail, name);
			put(b, fail, " ");
			put_quoted(b, fail, msg);
			put(b, fail, " {\n  every gpu (");
			put(b, fail, nv_legacy[i].path);
			put(b, fail, json_is_true(v) ? " == \"valid\")\n}\n" : " != \"valid\")\n}\n");
			return CCG_OK;
		}
	snprintf(where, sizeof(where), "authorization-rules.%s", path);
	if ((st = known_claim(path, gpu ? SCOPE_GPU : SCOPE_TOP, where, err)) != CCG_OK)
		return st;
	rule_name(path, name, sizeof(name));
	vtext = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	snprintf(msg, sizeof(msg), "NVIDIA policy: %s must be %s", path, vtext != NULL ? vtext : "?");
	free(vtext);
	put(b, fail, "\nrule ");
	put(b, fail, name);
	put(b, fail, " ");
	put_quoted(b, fail, msg);
	put(b, fail, gpu ? " {\n  every gpu (" : " {\n  ");
	put(b, fail, path);
	put(b, fail, " == ");
	if ((st = put_literal(b, fail, v, where, err)) != CCG_OK)
		return st;
	put(b, fail, gpu ? ")\n}\n" : "\n}\n");
	return CCG_OK;
}

static enum ccg_status import_nvidia(json_t *root, const char *name, struct ccg_buf *b, bool *fail,
				     struct ccg_error *err)
{
	json_t *rules = json_object_get(root, "authorization-rules");
	json_t *overall = json_object_get(rules, "overall-claims"),
	       *detached = json_object_get(rules, "detached-claims");
	const char *ver = json_string_value(json_object_get(root, "version"));
	const char *key;
	json_t *v;
	size_t nrules = 0;
	enum ccg_status st;

	if (!json_is_object(overall) || !json_is_object(detached))
		return ccg_error_set(err, CCG_ERR_MALFORMED, "authorization-rules",
				     "needs overall-claims and detached-claims objects");
	put(b, fail, "# imported from NVIDIA relying-party policy version ");
	put_comment_text(b, fail, ver != NULL ? ver : "?");
	put(b, fail, "\npolicy ");
	put_quoted(b, fail, name);
	put(b, fail, " version 1\n");
	json_object_foreach(overall, key, v) {
		if (strcmp(key, "iss") == 0) {
			/* the issuer belongs to the token carrying the claims, not to the appraisal */
			put(b, fail, "\n# iss ");
			if (json_is_string(v))
				put_comment_text(b, fail, json_string_value(v));
			put(b, fail, ": the token issuer, checked where the token is verified\n");
			continue;
		}
		if ((st = nv_rule(b, fail, key, v, false, err)) != CCG_OK)
			return st;
		nrules++;
	}
	json_object_foreach(detached, key, v) {
		if (json_is_object(v)) {
			const char *sub;
			json_t *sv;

			json_object_foreach(v, sub, sv) {
				char path[256];

				snprintf(path, sizeof(path), "%s.%s", key, sub);
				if ((st = nv_rule(b, fail, path, sv, true, err)) != CCG_OK)
					return st;
				nrules++;
			}
			continue;
		}
		if ((st = nv_rule(b, fail, key, v, true, err)) != CCG_OK)
			return st;
		nrules++;
	}
	/* a policy of no rule is not one (the issuer alone is not a claim of the appraisal) */
	if (nrules == 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "authorization-rules", "no claim to import");
	return CCG_OK;
}

static enum ccg_status azure_cond(struct ccg_buf *b, bool *fail, json_t *c, unsigned depth, const char *where,
				  struct ccg_error *err)
{
	static const struct {
		const char *key, *op;
	} ops[] = {{"equals", "=="},       {"notEquals", "!="}, {"less", "<"},
		   {"lessOrEquals", "<="}, {"greater", ">"},    {"greaterOrEquals", ">="}};
	json_t *list = json_object_get(c, "anyOf") ? json_object_get(c, "anyOf") : json_object_get(c, "allOf");
	const char *claim = json_string_value(json_object_get(c, "claim"));
	enum ccg_status st;

	if (depth > IMPORT_MAX_DEPTH)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, where, "conditions nested deeper than %d",
				     IMPORT_MAX_DEPTH);
	if (!json_is_object(c))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "a condition must be an object");
	if (list != NULL) {
		bool any = json_object_get(c, "anyOf") != NULL;
		size_t i;
		json_t *e;

		if (!json_is_array(list) || json_array_size(list) == 0)
			return ccg_error_set(err, CCG_ERR_MALFORMED, where, "anyOf/allOf must be a non-empty array");
		put(b, fail, "(");
		json_array_foreach(list, i, e) {
			if (i > 0)
				put(b, fail, any ? " or " : " and ");
			if ((st = azure_cond(b, fail, e, depth + 1, where, err)) != CCG_OK)
				return st;
		}
		put(b, fail, ")");
		return CCG_OK;
	}
	if (claim == NULL)
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "a condition needs claim, anyOf or allOf");
	if ((st = known_claim(claim, SCOPE_TOP, where, err)) != CCG_OK)
		return st;
	if (json_object_get(c, "exists") != NULL) {
		put(b, fail, json_is_false(json_object_get(c, "exists")) ? "not exists " : "exists ");
		put(b, fail, claim);
		return CCG_OK;
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		json_t *v = json_object_get(c, ops[i].key);

		if (v == NULL)
			continue;
		put(b, fail, claim);
		put(b, fail, " ");
		put(b, fail, ops[i].op);
		put(b, fail, " ");
		return put_literal(b, fail, v, where, err);
	}
	return ccg_error_set(err, CCG_ERR_UNSUPPORTED, where, "claim '%s' has no supported operator", claim);
}

static enum ccg_status import_azure(json_t *root, const char *name, struct ccg_buf *b, bool *fail,
				    struct ccg_error *err)
{
	bool any = json_object_get(root, "anyOf") != NULL;
	json_t *list = json_object_get(root, any ? "anyOf" : "allOf");
	size_t i;
	json_t *auth;
	enum ccg_status st;

	if (!json_is_array(list) || json_array_size(list) == 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, any ? "anyOf" : "allOf", "must be a non-empty array");
	put(b, fail, "# imported from an Azure Secure Key Release policy\n");
	json_array_foreach(list, i, auth) {
		const char *a = json_string_value(json_object_get(auth, "authority"));

		if (a != NULL) {
			put(b, fail, "# authority (checked where the token is verified): ");
			put_comment_text(b, fail, a);
			put(b, fail, "\n");
		}
	}
	put(b, fail, "policy ");
	put_quoted(b, fail, name);
	put(b, fail, " version 1\n\nrule release \"Azure key release conditions\" {\n  (");
	json_array_foreach(list, i, auth) {
		json_t *copy;

		if (i > 0)
			put(b, fail, any ? " or " : " and ");
		/* an authority entry is a condition with an extra "authority" member */
		copy = json_object_get(auth, "anyOf") || json_object_get(auth, "allOf") ||
				       json_object_get(auth, "claim")
			       ? auth
			       : NULL;
		if (copy == NULL)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "anyOf", "entry %zu has no condition", i);
		if ((st = azure_cond(b, fail, copy, 0, "anyOf", err)) != CCG_OK)
			return st;
	}
	put(b, fail, ")\n}\n");
	return CCG_OK;
}

enum ccg_status ccg_policy_import(const uint8_t *json, size_t len, const char *name, char **out, struct ccg_error *err)
{
	json_t *root = NULL;
	struct ccg_buf b;
	bool fail = false;
	enum ccg_status st;

	*out = NULL;
	ccg_buf_init(&b, CCG_POLICY_MAX_SOURCE);
	if ((st = ccg_json_parse(json, len, IMPORT_MAX_JSON, "import", &root, err)) != CCG_OK)
		goto out;
	if (json_object_get(root, "authorization-rules") != NULL)
		st = import_nvidia(root, name, &b, &fail, err);
	else if (json_object_get(root, "anyOf") != NULL || json_object_get(root, "allOf") != NULL)
		st = import_azure(root, name, &b, &fail, err);
	else
		st = ccg_error_set(
			err, CCG_ERR_UNSUPPORTED, "import",
			"neither an NVIDIA policy (authorization-rules) nor an Azure release policy (anyOf/allOf)");
	if (st != CCG_OK)
		goto out;
	fail |= ccg_buf_terminate(&b) != CCG_OK;
	if (fail) {
		st = ccg_error_set(err, CCG_ERR_TOO_LARGE, "import", "the imported policy is too large");
		goto out;
	}
	*out = (char *)ccg_buf_steal(&b, NULL);
out:
	ccg_buf_cleanup(&b);
	json_decref(root);
	return st;
}
