/* SPDX-License-Identifier: Apache-2.0 */
#include "common/json.h"

#include <stdlib.h>

#include "common/encoding.h"
#include "common/error.h"

enum ccg_status ccg_json_parse(const uint8_t *data, size_t len, size_t max, const char *where, json_t **out,
			       struct ccg_error *err)
{
	json_error_t je;
	json_t *v;

	*out = NULL;
	if (len > max)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, where, "JSON text of %zu bytes, maximum %zu", len, max);
	v = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &je);
	if (v == NULL)
		return ccg_error_set(err, CCG_ERR_ENCODING, where, "JSON line %d column %d: %s", je.line, je.column,
				     je.text);
	*out = v;
	return CCG_OK;
}

static enum ccg_status member(const json_t *obj, const char *key, json_t **out, const char *where,
			      struct ccg_error *err)
{
	if (!json_is_object(obj))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "not a JSON object");
	*out = json_object_get(obj, key);
	if (*out == NULL)
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "member \"%s\" missing", key);
	return CCG_OK;
}

enum ccg_status ccg_json_get_string(const json_t *obj, const char *key, const char **out, const char *where,
				    struct ccg_error *err)
{
	json_t *v;
	enum ccg_status s = member(obj, key, &v, where, err);

	if (s != CCG_OK)
		return s;
	if (!json_is_string(v))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "member \"%s\" is not a string", key);
	*out = json_string_value(v);
	return CCG_OK;
}

enum ccg_status ccg_json_get_bool(const json_t *obj, const char *key, bool *out, const char *where,
				  struct ccg_error *err)
{
	json_t *v;
	enum ccg_status s = member(obj, key, &v, where, err);

	if (s != CCG_OK)
		return s;
	if (!json_is_boolean(v))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "member \"%s\" is not a boolean", key);
	*out = json_is_true(v);
	return CCG_OK;
}

enum ccg_status ccg_json_get_int(const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out,
				 const char *where, struct ccg_error *err)
{
	json_t *v;
	json_int_t i;
	enum ccg_status s = member(obj, key, &v, where, err);

	if (s != CCG_OK)
		return s;
	if (!json_is_integer(v))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "member \"%s\" is not an integer", key);
	i = json_integer_value(v);
	if (i < min || i > max)
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "member \"%s\" = %lld outside [%lld, %lld]", key,
				     (long long)i, (long long)min, (long long)max);
	*out = i;
	return CCG_OK;
}

enum ccg_status ccg_json_set_new(json_t *obj, const char *key, json_t *value)
{
	if (value == NULL)
		return CCG_ERR_NOMEM;
	return json_object_set_new(obj, key, value) == 0 ? CCG_OK : CCG_ERR_NOMEM;
}

enum ccg_status ccg_json_set_hex(json_t *obj, const char *key, const uint8_t *b, size_t len)
{
	char *hex = ccg_hex_encode_alloc(b, len);
	enum ccg_status st;

	if (hex == NULL)
		return CCG_ERR_NOMEM;
	st = ccg_json_set_new(obj, key, json_string(hex));
	free(hex);
	return st;
}

char *ccg_json_dumps(const json_t *v, int indent)
{
	size_t flags = JSON_SORT_KEYS | (indent > 0 ? JSON_INDENT(indent) : JSON_COMPACT);

	return json_dumps(v, flags);
}
