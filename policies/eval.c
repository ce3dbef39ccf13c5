/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Claims in typed form and the evaluator. Evaluation walks the checked tree
 * with claims already resolved to slots: no lookup by name, no allocation.
 * Three-valued: a comparison on an absent claim is "unknown", which `not`
 * keeps unknown, so a missing claim can never make a rule hold.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"
#include "policies/policy_int.h"

#define CLAIMS_MAX_JSON (4u << 20)

void ccg_claims_free(struct ccg_claims *c)
{
	if (c == NULL)
		return;
	free(c->top);
	free(c->gpu);
	for (size_t i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	free(c->owned);
	json_decref((json_t *)c->json);
	free(c);
}

static json_t *lookup(json_t *obj, const char *path)
{
	char part[POL_MAX_IDENT * 4 + 1];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL) {
		size_t n = (size_t)(dot - path);

		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		obj = json_object_get(obj, part);
		path = dot + 1;
	}
	return json_object_get(obj, path);
}

static bool keep(struct ccg_claims *c, uint8_t *p)
{
	char **n = realloc(c->owned, (c->nowned + 1) * sizeof(*n));

	if (n == NULL)
		return false;
	c->owned = n;
	c->owned[c->nowned++] = (char *)p;
	return true;
}

/* load_value: a JSON value of the schema type t into v; anything else leaves v absent */
static enum ccg_status load_value(struct ccg_claims *c, json_t *j, enum pol_type t, struct pval *v)
{
	memset(v, 0, sizeof(*v));
	switch (t) {
	case PT_BOOL:
		if (json_is_boolean(j)) {
			v->i = json_is_true(j);
			v->state = PV_PRESENT;
		}
		break;
	case PT_INT:
		if (json_is_integer(j)) {
			v->i = json_integer_value(j);
			v->state = PV_PRESENT;
		}
		break;
	case PT_STRING:
		if (json_is_string(j) && json_string_length(j) <= UINT16_MAX) {
			v->s = (const uint8_t *)json_string_value(j);
			v->len = (uint16_t)json_string_length(j);
			v->state = PV_PRESENT;
		}
		break;
	case PT_VERSION:
		if (json_is_string(j) && json_string_length(j) <= UINT16_MAX) {
			if (!pol_version_parse(json_string_value(j), v)) {
				memset(v, 0, sizeof(*v));
			} else {
				v->s = (const uint8_t *)json_string_value(j); /* as written, for traces */
				v->len = (uint16_t)json_string_length(j);
			}
		}
		break;
	case PT_DIGEST:
		if (json_is_string(j)) {
			uint8_t *d = NULL;
			size_t n = 0;

			if (ccg_hex_decode(json_string_value(j), json_string_length(j), 64, &d, &n) == CCG_OK &&
			    n > 0) {
				if (!keep(c, d)) {
					free(d);
					return CCG_ERR_NOMEM;
				}
				v->s = d;
				v->len = (uint16_t)n;
				v->state = PV_PRESENT;
			} else {
				free(d);
			}
		}
		break;
	case PT_TIME:
		if (json_is_integer(j)) {
			v->i = json_integer_value(j);
			v->state = PV_PRESENT;
		} else if (json_is_string(j) && ccg_time_parse_iso(json_string_value(j), &v->i) == CCG_OK) {
			v->state = PV_PRESENT;
		}
		break;
	default: break;
	}
	return CCG_OK;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

enum ccg_status ccg_claims_from_json(const char *json, size_t len, struct ccg_claims **out, struct ccg_error *err)
{
	const struct pol_schema *s = pol_schema_get();
	struct ccg_claims *c = NULL;
	json_t *root = NULL, *submods, *cpu = NULL, *gpu;
	const char *names[POL_MAX_GPUS];
	enum ccg_status st;

	if (out == NULL || json == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "claims", "no input or output");
	*out = NULL;
	if (s == NULL)
		return ccg_error_set(err, CCG_ERR_INTERNAL, "claims-schema", "the embedded claims schema is invalid");
	if ((st = ccg_json_parse((const uint8_t *)json, len, CLAIMS_MAX_JSON, "claims", &root, err)) != CCG_OK)
		return st;
	if (!json_is_object(root)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "claims", "not a JSON object");
		goto out;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		st = CCG_ERR_NOMEM;
		goto out;
	}
	c->json = root;
	gpu = root;
	/*
	 * A composite claims document ({"ccgpu-composite": {…}, "cpu": {…},
	 * "gpu": {…}}, what ccg_composite_verify produces) is read as one: top
	 * claims from the document, then its cpu member, then its gpu member;
	 * the GPUs from gpu.submods.
	 */
	if (json_is_object(json_object_get(root, "ccgpu-composite"))) {
		cpu = json_object_get(root, "cpu");
		gpu = json_object_get(root, "gpu");
		if ((cpu != NULL && !json_is_object(cpu)) || (gpu != NULL && !json_is_object(gpu))) {
			st = ccg_error_set(err, CCG_ERR_MALFORMED,
					   cpu != NULL && !json_is_object(cpu) ? "claims.cpu" : "claims.gpu",
					   "not an object");
			goto out;
		}
	}
	submods = json_object_get(gpu, "submods");
	if (submods != NULL && !json_is_object(submods)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, gpu != root ? "claims.gpu.submods" : "claims.submods",
				   "not an object");
		goto out;
	}
	{
		const char *key;
		json_t *v;

		json_object_foreach(submods, key, v) {
			if (strncmp(key, "GPU-", 4) != 0)
				continue;
			if (c->ngpu >= POL_MAX_GPUS) {
				st = ccg_error_set(err, CCG_ERR_TOO_LARGE, "claims.submods", "more than %d GPUs",
						   POL_MAX_GPUS);
				goto out;
			}
			if (!json_is_object(v) || strlen(key) >= sizeof(c->gpu_names[0])) {
				st = ccg_error_set(err, CCG_ERR_MALFORMED, "claims.submods",
						   "%.40s is not a GPU's claims", key);
				goto out;
			}
			names[c->ngpu++] = key;
		}
	}
	qsort(names, c->ngpu, sizeof(names[0]), cmp_names);
	c->top = calloc(s->nslots[SCOPE_TOP] + 1, sizeof(*c->top));
	c->gpu = calloc(c->ngpu * s->nslots[SCOPE_GPU] + 1, sizeof(*c->gpu));
	if (c->top == NULL || c->gpu == NULL) {
		st = CCG_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct pol_schema_claim *sc = &s->claims[i];

		if (sc->scope == SCOPE_TOP) {
			json_t *j = lookup(root, sc->path);

			if (j == NULL && cpu != NULL)
				j = lookup(cpu, sc->path);
			if (j == NULL && gpu != root)
				j = lookup(gpu, sc->path);
			if ((st = load_value(c, j, sc->type, &c->top[sc->slot])) != CCG_OK)
				goto out;
			continue;
		}
		for (size_t g = 0; g < c->ngpu; g++)
			if ((st = load_value(c, lookup(json_object_get(submods, names[g]), sc->path), sc->type,
					     &c->gpu[g * s->nslots[SCOPE_GPU] + sc->slot])) != CCG_OK)
				goto out;
	}
	for (size_t g = 0; g < c->ngpu; g++)
		snprintf(c->gpu_names[g], sizeof(c->gpu_names[g]), "%s", names[g]);
	/* ccgpu-gpu-count is derived when the document does not state it */
	{
		const struct pol_schema_claim *gc = pol_schema_find(s, "ccgpu-gpu-count");

		if (gc != NULL && c->top[gc->slot].state == PV_ABSENT) {
			c->top[gc->slot].state = PV_PRESENT;
			c->top[gc->slot].i = (int64_t)c->ngpu;
		}
	}
	*out = c;
	c = NULL;
	root = NULL;
	st = CCG_OK;
out:
	if (c != NULL) {
		root = NULL; /* owned by c */
		ccg_claims_free(c);
	}
	json_decref(root);
	return st;
}

/* ---- evaluation ---- */

enum { V_FALSE = 0, V_TRUE = 1, V_UNKNOWN = 2 };

struct ectx {
	const struct ccg_policy *p;
	const struct ccg_claims *c;
	size_t gpu_slots;
	int64_t now;
	int gpu;   /* current GPU inside a quantifier, else -1 */
	char *why; /* trace buffer or NULL */
};

static const struct pval *fetch(const struct ectx *e, const struct pol_operand *o, struct pval *tmp)
{
	if (o->kind == OK_CLAIM) {
		if (o->scope == SCOPE_TOP)
			return &e->c->top[o->slot];
		return &e->c->gpu[(size_t)e->gpu * e->gpu_slots + o->slot];
	}
	if (o->kind == OK_NOW) {
		memset(tmp, 0, sizeof(*tmp));
		tmp->state = PV_PRESENT;
		tmp->i = e->now;
		return tmp;
	}
	return &o->val;
}

/* -1, 0, 1 for ordered types; 0 or 1 (differ) for the rest */
static int compare(uint8_t type, const struct pval *a, const struct pval *b)
{
	switch (type) {
	case PT_BOOL: return (a->i != 0) != (b->i != 0);
	case PT_INT:
	case PT_TIME: return a->i < b->i ? -1 : a->i > b->i;
	case PT_VERSION: return pol_version_cmp(a, b);
	case PT_STRING:
	case PT_DIGEST: return a->len != b->len || memcmp(a->s, b->s, a->len) != 0;
	default: return 1;
	}
}

static bool op_holds(uint8_t op, int c)
{
	switch (op) {
	case OP_EQ: return c == 0;
	case OP_NE: return c != 0;
	case OP_LT: return c < 0;
	case OP_LE: return c <= 0;
	case OP_GT: return c > 0;
	case OP_GE: return c >= 0;
	default: return false;
	}
}

static size_t fmt_value(char *buf, size_t n, uint8_t type, const struct pval *v, const struct pol_operand *o)
{
	char iso[21];

	if (o != NULL && o->kind == OK_NOW) {
		ccg_time_iso(v->i, iso);
		return (size_t)snprintf(buf, n, "now (%s)", iso);
	}
	if (v->state != PV_PRESENT)
		return (size_t)snprintf(buf, n, "absent");
	switch (type) {
	case PT_BOOL: return (size_t)snprintf(buf, n, "%s", v->i ? "true" : "false");
	case PT_INT: return (size_t)snprintf(buf, n, "%" PRId64, v->i);
	case PT_TIME: ccg_time_iso(v->i, iso); return (size_t)snprintf(buf, n, "%s", iso);
	case PT_STRING: return (size_t)snprintf(buf, n, "\"%.*s\"", v->len > 80 ? 80 : (int)v->len, (const char *)v->s);
	case PT_VERSION: {
		size_t w = 0;

		if (v->s != NULL)
			return (size_t)snprintf(buf, n, "%.*s", v->len > 80 ? 80 : (int)v->len, (const char *)v->s);

		for (size_t i = 0; i < v->nver && w < n; i++)
			w += (size_t)snprintf(buf + w, n - w, i ? ".%" PRIx64 : "%" PRIx64, v->ver[i]);
		return w;
	}
	case PT_DIGEST: {
		size_t w = 0;

		for (size_t i = 0; i < v->len && i < 24 && w + 3 < n; i++)
			w += (size_t)snprintf(buf + w, n - w, "%02x", v->s[i]);
		if (v->len > 24 && w + 4 < n)
			w += (size_t)snprintf(buf + w, n - w, "...");
		return w;
	}
	default: return (size_t)snprintf(buf, n, "?");
	}
}

static const char *op_str(uint8_t op)
{
	static const char *const t[] = {"?", "==", "!=", "<", "<=", ">", ">="};

	return op <= OP_GE ? t[op] : "?";
}

static void trace_leaf(const struct ectx *e, const struct pol_node *n, const struct pval *l, const struct pval *r)
{
	char *b = e->why;
	size_t cap = CCG_POLICY_DETAIL_MAX, w = 0;

	if (e->gpu >= 0)
		w += (size_t)snprintf(b + w, cap - w, "%s: ", e->c->gpu_names[e->gpu]);
	if (w < cap)
		w += (size_t)snprintf(b + w, cap - w, "%s = ", n->l.text);
	if (w < cap)
		w += fmt_value(b + w, cap - w, n->type, l, NULL);
	if (w >= cap)
		return;
	if (n->kind == NK_CMP) {
		w += (size_t)snprintf(b + w, cap - w, ", want %s ", op_str(n->op));
		if (w < cap)
			w += fmt_value(b + w, cap - w, n->type, r, &n->r);
		if (w < cap && n->r.kind == OK_CLAIM)
			(void)snprintf(b + w, cap - w, " (%s)", n->r.text);
	} else if (n->kind == NK_IN) {
		w += (size_t)snprintf(b + w, cap - w, ", want %sin {", n->negate ? "not " : "");
		for (uint32_t k = 0; k < n->set_n && w < cap; k++) {
			if (k > 0)
				w += (size_t)snprintf(b + w, cap - w, ", ");
			if (w < cap)
				w += fmt_value(b + w, cap - w, n->type, &e->p->set[n->set_first + k].val, NULL);
		}
		if (w < cap)
			(void)snprintf(b + w, cap - w, "}");
	} else if (n->kind == NK_TRUTH) {
		(void)snprintf(b + w, cap - w, ", want true");
	}
}

static int eval_node(struct ectx *e, int32_t i)
{
	const struct pol_node *n = &e->p->nodes[i];
	const struct pval *l, *r;
	struct pval tl, tr;
	int a, b;

	switch (n->kind) {
	case NK_AND:
		a = eval_node(e, n->a);
		if (a == V_FALSE)
			return V_FALSE;
		b = eval_node(e, n->b);
		return b == V_FALSE ? V_FALSE : (a == V_UNKNOWN || b == V_UNKNOWN) ? V_UNKNOWN : V_TRUE;
	case NK_OR:
		a = eval_node(e, n->a);
		if (a == V_TRUE)
			return V_TRUE;
		b = eval_node(e, n->b);
		return b == V_TRUE ? V_TRUE : (a == V_UNKNOWN || b == V_UNKNOWN) ? V_UNKNOWN : V_FALSE;
	case NK_NOT: a = eval_node(e, n->a); return a == V_UNKNOWN ? V_UNKNOWN : !a;
	case NK_EVERY:
	case NK_SOME: {
		int acc = n->kind == NK_EVERY ? V_TRUE : V_FALSE;

		if (e->c->ngpu == 0) {
			if (e->why != NULL)
				snprintf(e->why, CCG_POLICY_DETAIL_MAX, "no GPU in the claims");
			return n->kind == NK_EVERY ? V_UNKNOWN : V_FALSE;
		}
		for (size_t g = 0; g < e->c->ngpu; g++) {
			e->gpu = (int)g;
			a = eval_node(e, n->a);
			if (n->kind == NK_EVERY && a == V_FALSE) {
				acc = V_FALSE;
				break;
			}
			if (n->kind == NK_SOME && a == V_TRUE) {
				acc = V_TRUE;
				break;
			}
			if (a == V_UNKNOWN)
				acc = V_UNKNOWN;
		}
		e->gpu = -1;
		return acc;
	}
	case NK_EXISTS:
		l = fetch(e, &n->l, &tl);
		if (e->why != NULL) {
			int w = e->gpu >= 0 ? snprintf(e->why, CCG_POLICY_DETAIL_MAX, "%s: ", e->c->gpu_names[e->gpu])
					    : 0;

			snprintf(e->why + w, CCG_POLICY_DETAIL_MAX - (size_t)w, "%s is %s", n->l.text,
				 l->state == PV_PRESENT ? "present" : "absent");
		}
		return l->state == PV_PRESENT ? V_TRUE : V_FALSE;
	case NK_TRUTH:
		l = fetch(e, &n->l, &tl);
		if (e->why != NULL)
			trace_leaf(e, n, l, NULL);
		if (l->state != PV_PRESENT)
			return V_UNKNOWN;
		return l->i != 0 ? V_TRUE : V_FALSE;
	case NK_CMP:
		l = fetch(e, &n->l, &tl);
		r = fetch(e, &n->r, &tr);
		if (e->why != NULL)
			trace_leaf(e, n, l, r);
		if (l->state != PV_PRESENT || r->state != PV_PRESENT)
			return V_UNKNOWN;
		return op_holds(n->op, compare(n->type, l, r)) ? V_TRUE : V_FALSE;
	case NK_IN:
		l = fetch(e, &n->l, &tl);
		if (e->why != NULL)
			trace_leaf(e, n, l, NULL);
		if (l->state != PV_PRESENT)
			return V_UNKNOWN;
		for (uint32_t k = 0; k < n->set_n; k++)
			if (compare(n->type, l, &e->p->set[n->set_first + k].val) == 0)
				return n->negate ? V_FALSE : V_TRUE;
		return n->negate ? V_TRUE : V_FALSE;
	default: return V_UNKNOWN;
	}
}

enum ccg_status ccg_policy_eval(const struct ccg_policy *p, const struct ccg_claims *c, int64_t now,
				struct ccg_rule_result *results, size_t results_len, struct ccg_error *err)
{
	const struct pol_schema *s = pol_schema_get();
	struct ectx e;
	enum ccg_status st = CCG_OK;
	char why[CCG_POLICY_DETAIL_MAX];

	if (p == NULL || c == NULL || s == NULL || (results != NULL && results_len < p->nrules))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "policy", "no policy, no claims or too few results");
	/* the API's one time convention: CCG_TIME_NOW (0) is the current time, not 1970 */
	if ((st = ccg_time_resolve(now, "now", &now, err)) != CCG_OK)
		return st;
	e.p = p;
	e.c = c;
	e.gpu_slots = s->nslots[SCOPE_GPU];
	e.now = now;
	e.gpu = -1;
	for (size_t i = 0; i < p->nrules; i++) {
		int v;

		why[0] = '\0';
		e.why = results != NULL ? results[i].detail : (st == CCG_OK && err != NULL) ? why : NULL;
		if (e.why != NULL)
			e.why[0] = '\0';
		v = eval_node(&e, p->rules[i].root);
		if (results != NULL) {
			results[i].name = p->rules[i].name;
			results[i].message = p->rules[i].message;
			results[i].passed = v == V_TRUE;
		}
		if (v != V_TRUE && st == CCG_OK) {
			st = ccg_error_set(err, CCG_ERR_POLICY, p->rules[i].name, "%s%s%s%s", p->rules[i].message,
					   e.why != NULL && e.why[0] ? " (" : "", e.why != NULL ? e.why : "",
					   e.why != NULL && e.why[0] ? ")" : "");
			if (err == NULL && results == NULL)
				return CCG_ERR_POLICY;
		}
	}
	return st;
}
