/* SPDX-License-Identifier: Apache-2.0 */
/* Checked access to JSON (jansson) from outside: each getter names the member that was wrong. */
#ifndef CCGPU_COMMON_JSON_H
#define CCGPU_COMMON_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

/*
 * ccg_json_parse: parses a JSON text (at most max bytes), refusing duplicate
 * object keys and trailing text. where names the input in errors.
 */
CCG_MUST_USE enum ccg_status ccg_json_parse(const uint8_t *data, size_t len, size_t max, const char *where,
					    json_t **out, struct ccg_error *err);
/* ccg_json_get_string: obj[key] must be a string; *out borrows from obj. */
CCG_MUST_USE enum ccg_status ccg_json_get_string(const json_t *obj, const char *key, const char **out,
						 const char *where, struct ccg_error *err);
/* ccg_json_get_bool: obj[key] must be true or false. */
CCG_MUST_USE enum ccg_status ccg_json_get_bool(const json_t *obj, const char *key, bool *out, const char *where,
					       struct ccg_error *err);
/* ccg_json_get_int: obj[key] must be an integer in [min, max]. */
CCG_MUST_USE enum ccg_status ccg_json_get_int(const json_t *obj, const char *key, int64_t min, int64_t max,
					      int64_t *out, const char *where, struct ccg_error *err);
/* ccg_json_set_new: json_object_set_new that maps failure to CCG_ERR_NOMEM (value is consumed). */
CCG_MUST_USE enum ccg_status ccg_json_set_new(json_t *obj, const char *key, json_t *value);
/* ccg_json_set_hex: obj[key] = the lower-case hex of len bytes (CCG_ERR_NOMEM on failure). */
CCG_MUST_USE enum ccg_status ccg_json_set_hex(json_t *obj, const char *key, const uint8_t *b, size_t len);
/* ccg_json_dumps: serialises with sorted keys (indent 0: compact); malloc'd string or NULL. */
char *ccg_json_dumps(const json_t *v, int indent);

#endif
