/* SPDX-License-Identifier: Apache-2.0 */
/* The claims schema, the checker (names, scopes, types) and typed literals. */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/str.h"
#include "common/json.h"
#include "policies/policy_int.h"

extern const char ccg_claims_schema_json[];

static struct pol_schema schema;
static bool schema_ok;
static pthread_once_t schema_once = PTHREAD_ONCE_INIT;

const char *pol_type_name(enum pol_type t)
{
	static const char *const names[] = {"none", "bool", "int", "string", "version", "digest", "time"};

	return (unsigned)t <= PT_TIME ? names[t] : "none";
}

static enum pol_type type_from_name(const char *s)
{
	for (int t = PT_BOOL; t <= PT_TIME; t++)
		if (strcmp(s, pol_type_name((enum pol_type)t)) == 0)
			return (enum pol_type)t;
	return PT_NONE;
}

static void schema_load(void)
{
	json_t *root = json_loads(ccg_claims_schema_json, JSON_REJECT_DUPLICATES, NULL);
	json_t *scopes = json_object_get(root, "scopes");
	const char *names[2] = {"top", "gpu"};
	size_t total = 0;

	if (!json_is_object(scopes) || !json_is_string(json_object_get(root, "version")))
		goto out;
	snprintf(schema.version, sizeof(schema.version), "%s", json_string_value(json_object_get(root, "version")));
	for (int s = 0; s < 2; s++)
		total += json_object_size(json_object_get(scopes, names[s]));
	schema.claims = calloc(total ? total : 1, sizeof(*schema.claims));
	if (schema.claims == NULL)
		goto out;
	for (int s = 0; s < 2; s++) {
		const char *key;
		json_t *v;

		json_object_foreach(json_object_get(scopes, names[s]), key, v) {
			struct pol_schema_claim *c = &schema.claims[schema.n];
			enum pol_type t = json_is_string(v) ? type_from_name(json_string_value(v)) : PT_NONE;

			if (t == PT_NONE || (c->path = strdup(key)) == NULL)
				goto out;
			c->scope = (uint8_t)s;
			c->type = (uint8_t)t;
			c->slot = (uint16_t)schema.nslots[s]++;
			schema.n++;
		}
	}
	schema_ok = true;
out:
	json_decref(root);
}

const struct pol_schema *pol_schema_get(void)
{
	if (pthread_once(&schema_once, schema_load) != 0 || !schema_ok)
		return NULL;
	return &schema;
}

const struct pol_schema_claim *pol_schema_find(const struct pol_schema *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->claims[i].path, path) == 0)
			return &s->claims[i];
	return NULL;
}

size_t pol_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[POL_MAX_IDENT * 4 + 2];

	if (lb + 1 > sizeof(row) / sizeof(row[0]) || la > POL_MAX_IDENT * 4)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* ---- values ---- */

bool pol_version_parse(const char *s, struct pval *v)
{
	size_t n = 0;

	memset(v->ver, 0, sizeof(v->ver));
	v->nver = 0;
	if (*s == '\0')
		return false;
	for (;;) {
		uint64_t x = 0;
		size_t digits = 0;

		while (isxdigit((unsigned char)*s)) {
			if (++digits > 15)
				return false;
			x = x * 16 +
			    (uint64_t)(isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10));
			s++;
		}
		if (digits == 0 || n >= POL_VER_MAX)
			return false;
		v->ver[n++] = x;
		if (*s == '\0')
			break;
		if (*s != '.')
			return false;
		s++;
	}
	v->nver = (uint8_t)n;
	v->state = PV_PRESENT;
	return true;
}

int pol_version_cmp(const struct pval *a, const struct pval *b)
{
	for (size_t i = 0; i < POL_VER_MAX; i++)
		if (a->ver[i] != b->ver[i])
			return a->ver[i] < b->ver[i] ? -1 : 1;
	return 0;
}

/* ---- checker ---- */

struct checker {
	struct ccg_policy *p;
	const struct pol_schema *s;
	struct ccg_error *err;
};

static enum ccg_status cerr(struct checker *ck, enum ccg_status st, uint32_t line, uint32_t col, const char *fmt, ...)
	CCG_PRINTF(5, 6);

static enum ccg_status cerr(struct checker *ck, enum ccg_status st, uint32_t line, uint32_t col, const char *fmt, ...)
{
	char where[32], detail[CCG_ERROR_DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	snprintf(where, sizeof(where), "%u:%u", line, col);
	return ccg_error_set(ck->err, st, where, "%s", detail);
}

static enum ccg_status resolve_claim(struct checker *ck, struct pol_operand *o, bool in_gpu, enum pol_type *type)
{
	const struct pol_schema_claim *c = pol_schema_find(ck->s, o->text);

	if (c == NULL) {
		const char *best = NULL;
		size_t bestd = SIZE_MAX, len = strlen(o->text);

		for (size_t i = 0; i < ck->s->n; i++) {
			size_t d = pol_edit_distance(o->text, ck->s->claims[i].path);

			if (d < bestd) {
				bestd = d;
				best = ck->s->claims[i].path;
			}
		}
		if (best != NULL && bestd <= (len < 12 ? 2 : len / 4))
			return cerr(ck, CCG_ERR_POLICY_UNKNOWN_CLAIM, o->line, o->col,
				    "unknown claim '%s' (did you mean '%s'?)", o->text, best);
		return cerr(ck, CCG_ERR_POLICY_UNKNOWN_CLAIM, o->line, o->col,
			    "unknown claim '%s' (not in claims schema %s)", o->text, ck->s->version);
	}
	if (c->scope == SCOPE_GPU && !in_gpu)
		return cerr(ck, CCG_ERR_POLICY_TYPE, o->line, o->col,
			    "claim '%s' is per GPU: use it inside every gpu (...) or some gpu (...)", o->text);
	o->scope = c->scope;
	o->slot = c->slot;
	*type = (enum pol_type)c->type;
	return CCG_OK;
}

static const char *operand_desc(const struct pol_operand *o)
{
	switch (o->kind) {
	case OK_STR: return "a string";
	case OK_INT: return "a number";
	case OK_BOOL: return "a bool";
	case OK_NOW: return "now";
	default: return "a claim";
	}
}

/* type a literal for a claim of type t */
static enum ccg_status type_literal(struct checker *ck, struct pol_operand *o, enum pol_type t, const char *claim)
{
	struct pval *v = &o->val;

	memset(v, 0, sizeof(*v));
	v->state = PV_PRESENT;
	switch (t) {
	case PT_BOOL:
		if (o->kind == OK_BOOL) {
			v->i = o->num;
			return CCG_OK;
		}
		break;
	case PT_INT:
		if (o->kind == OK_INT) {
			v->i = o->num;
			return CCG_OK;
		}
		break;
	case PT_STRING:
		if (o->kind == OK_STR) {
			v->s = (const uint8_t *)o->text;
			v->len = (uint16_t)strlen(o->text);
			return CCG_OK;
		}
		break;
	case PT_VERSION:
		if (o->kind == OK_STR) {
			if (!pol_version_parse(o->text, v))
				return cerr(ck, CCG_ERR_POLICY_TYPE, o->line, o->col,
					    "\"%s\" is not a version (dotted numbers, e.g. \"550.54.15\")", o->text);
			v->s = (const uint8_t *)o->text;
			v->len = (uint16_t)strlen(o->text);
			return CCG_OK;
		}
		break;
	case PT_DIGEST:
		if (o->kind == OK_STR) {
			size_t n = 0;

			if (ccg_hex_decode(o->text, strlen(o->text), 64, &o->owned, &n) != CCG_OK || n == 0)
				return cerr(ck, CCG_ERR_POLICY_TYPE, o->line, o->col,
					    "\"%.64s\" is not a digest (hex, at most 64 bytes)", o->text);
			v->s = o->owned;
			v->len = (uint16_t)n;
			return CCG_OK;
		}
		break;
	case PT_TIME:
		if (o->kind == OK_STR) {
			if (ccg_time_parse_iso(o->text, &v->i) != CCG_OK)
				return cerr(ck, CCG_ERR_POLICY_TYPE, o->line, o->col,
					    "\"%s\" is not a time (YYYY-MM-DDTHH:MM:SSZ)", o->text);
			return CCG_OK;
		}
		if (o->kind == OK_INT) {
			v->i = o->num;
			return CCG_OK;
		}
		if (o->kind == OK_NOW)
			return CCG_OK;
		break;
	default: break;
	}
	return cerr(ck, CCG_ERR_POLICY_TYPE, o->line, o->col, "type mismatch: %s claim '%s' compared with %s",
		    pol_type_name(t), claim, operand_desc(o));
}

static enum ccg_status check_node(struct checker *ck, int32_t i, bool in_gpu)
{
	struct pol_node *n = &ck->p->nodes[i];
	enum pol_type lt = PT_NONE, rt = PT_NONE;
	enum ccg_status st;

	switch (n->kind) {
	case NK_AND:
	case NK_OR:
		if ((st = check_node(ck, n->a, in_gpu)) != CCG_OK)
			return st;
		return check_node(ck, n->b, in_gpu);
	case NK_NOT: return check_node(ck, n->a, in_gpu);
	case NK_EVERY:
	case NK_SOME:
		if (in_gpu)
			return cerr(ck, CCG_ERR_POLICY_TYPE, n->line, n->col, "GPU quantifiers do not nest");
		return check_node(ck, n->a, true);
	case NK_EXISTS: return resolve_claim(ck, &n->l, in_gpu, &lt);
	case NK_TRUTH:
		if (n->l.kind != OK_CLAIM)
			return cerr(ck, CCG_ERR_POLICY_TYPE, n->l.line, n->l.col,
				    "expected a condition, found %s alone", operand_desc(&n->l));
		if ((st = resolve_claim(ck, &n->l, in_gpu, &lt)) != CCG_OK)
			return st;
		if (lt != PT_BOOL)
			return cerr(ck, CCG_ERR_POLICY_TYPE, n->l.line, n->l.col,
				    "type mismatch: '%s' is a %s claim, not a condition; compare it", n->l.text,
				    pol_type_name(lt));
		n->type = PT_BOOL;
		return CCG_OK;
	case NK_IN:
		if (n->l.kind != OK_CLAIM)
			return cerr(ck, CCG_ERR_POLICY_TYPE, n->l.line, n->l.col, "'in' needs a claim on its left");
		if ((st = resolve_claim(ck, &n->l, in_gpu, &lt)) != CCG_OK)
			return st;
		for (uint32_t k = 0; k < n->set_n; k++)
			if ((st = type_literal(ck, &ck->p->set[n->set_first + k], lt, n->l.text)) != CCG_OK)
				return st;
		n->type = (uint8_t)lt;
		return CCG_OK;
	case NK_CMP:
		if (n->l.kind != OK_CLAIM && n->r.kind == OK_CLAIM) {
			/* literal OP claim: swap into claim OP' literal */
			struct pol_operand t = n->l;
			static const uint8_t flip[] = {0, OP_EQ, OP_NE, OP_GT, OP_GE, OP_LT, OP_LE};

			n->l = n->r;
			n->r = t;
			n->op = flip[n->op];
		}
		if (n->l.kind != OK_CLAIM)
			return cerr(ck, CCG_ERR_POLICY_TYPE, n->l.line, n->l.col,
				    "a comparison needs a claim on one side");
		if ((st = resolve_claim(ck, &n->l, in_gpu, &lt)) != CCG_OK)
			return st;
		if (n->r.kind == OK_CLAIM) {
			if ((st = resolve_claim(ck, &n->r, in_gpu, &rt)) != CCG_OK)
				return st;
			if (rt != lt)
				return cerr(ck, CCG_ERR_POLICY_TYPE, n->r.line, n->r.col,
					    "type mismatch: %s claim '%s' compared with %s claim '%s'",
					    pol_type_name(lt), n->l.text, pol_type_name(rt), n->r.text);
		} else if ((st = type_literal(ck, &n->r, lt, n->l.text)) != CCG_OK) {
			return st;
		}
		if (n->op != OP_EQ && n->op != OP_NE && (lt == PT_BOOL || lt == PT_STRING || lt == PT_DIGEST))
			return cerr(ck, CCG_ERR_POLICY_TYPE, n->line, n->col,
				    "type mismatch: ordering does not apply to %s claim '%s' (use == != in)",
				    pol_type_name(lt), n->l.text);
		n->type = (uint8_t)lt;
		return CCG_OK;
	default: return cerr(ck, CCG_ERR_INTERNAL, n->line, n->col, "unknown node");
	}
}

/* reorder: cmp node's operator positions were recorded at the left operand */
enum ccg_status pol_check(struct ccg_policy *p, struct ccg_error *err)
{
	struct checker ck = {.p = p, .err = err, .s = pol_schema_get()};
	enum ccg_status st;

	if (ck.s == NULL)
		return ccg_error_set(err, CCG_ERR_INTERNAL, "claims-schema", "the embedded claims schema is invalid");
	for (size_t i = 0; i < p->nrules; i++)
		if ((st = check_node(&ck, p->rules[i].root, false)) != CCG_OK)
			return st;
	return CCG_OK;
}

enum ccg_status ccg_policy_parse(const char *src, size_t len, struct ccg_policy **out, struct ccg_error *err)
{
	struct ccg_policy *p = NULL;
	enum ccg_status st;

	if (out == NULL || (src == NULL && len != 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "policy", "no output or no input");
	*out = NULL;
	/* policy text is UTF-8: its strings become claims comparisons, JSON and explanations */
	if (len <= CCG_POLICY_MAX_SOURCE) {
		size_t bad = ccg_utf8_valid_prefix(src, len), line = 1, col = 1;
		char where[48];

		if (bad < len) {
			for (size_t i = 0; i < bad; i++) {
				if (src[i] == '\n') {
					line++;
					col = 1;
				} else {
					col++; /* columns count bytes, as the lexer's do */
				}
			}
			snprintf(where, sizeof(where), "%zu:%zu", line, col);
			return ccg_error_set(err, CCG_ERR_POLICY_SYNTAX, where, "byte 0x%02x is not valid UTF-8",
					     (unsigned char)src[bad]);
		}
	}
	if ((st = pol_parse_syntax(src, len, &p, err)) != CCG_OK)
		return st;
	if ((st = pol_check(p, err)) != CCG_OK) {
		ccg_policy_free(p);
		return st;
	}
	*out = p;
	return CCG_OK;
}
