/* SPDX-License-Identifier: Apache-2.0 */
/* Policy language: the canonical formatter (what `ccgpu-policy fmt` prints) and the policy accessors. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cursor.h"
#include "common/error.h"
#include "policies/policy_int.h"

/* ---- canonical formatting ---- */

static void fmt_string(struct ccg_buf *b, const char *s, bool *fail)
{
	*fail |= ccg_buf_append_u8(b, '"') != CCG_OK;
	for (; *s; s++) {
		const char *e = *s == '"' ? "\\\"" : *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : *s == '\t' ? "\\t" : NULL;

		*fail |= (e ? ccg_buf_append_str(b, e) : ccg_buf_append_u8(b, (uint8_t)*s)) != CCG_OK;
	}
	*fail |= ccg_buf_append_u8(b, '"') != CCG_OK;
}

static void fmt_operand(struct ccg_buf *b, const struct pol_operand *o, bool *fail)
{
	char num[32];

	switch (o->kind) {
	case OK_CLAIM: *fail |= ccg_buf_append_str(b, o->text) != CCG_OK; break;
	case OK_STR: fmt_string(b, o->text, fail); break;
	case OK_INT:
		snprintf(num, sizeof(num), "%lld", (long long)o->num);
		*fail |= ccg_buf_append_str(b, num) != CCG_OK;
		break;
	case OK_BOOL: *fail |= ccg_buf_append_str(b, o->num ? "true" : "false") != CCG_OK; break;
	case OK_NOW: *fail |= ccg_buf_append_str(b, "now") != CCG_OK; break;
	default: *fail = true; break;
	}
}

static const char *op_text(uint8_t op)
{
	static const char *const t[] = {"?", "==", "!=", "<", "<=", ">", ">="};

	return op <= OP_GE ? t[op] : "?";
}

/* precedence: or 1, and 2, not 3, atoms 4 */
static int prec(const struct pol_node *n)
{
	return n->kind == NK_OR ? 1 : n->kind == NK_AND ? 2 : n->kind == NK_NOT ? 3 : 4;
}

static void indent(struct ccg_buf *b, int level, bool *fail)
{
	for (int i = 0; i < level; i++)
		*fail |= ccg_buf_append_str(b, "  ") != CCG_OK;
}

static void fmt_node(struct ccg_buf *b, const struct ccg_policy *p, int32_t i, int level, bool multiline, bool *fail);

/* a chain of the same and/or, one operand per line when multiline */
static void fmt_chain(struct ccg_buf *b, const struct ccg_policy *p, int32_t i, int kind, int level, bool multiline,
		      bool first, bool *fail)
{
	const struct pol_node *n = &p->nodes[i];

	if (n->kind == kind) {
		fmt_chain(b, p, n->a, kind, level, multiline, first, fail);
		fmt_chain(b, p, n->b, kind, level, multiline, false, fail);
		return;
	}
	if (!first) {
		if (multiline) {
			*fail |= ccg_buf_append_u8(b, '\n') != CCG_OK;
			indent(b, level, fail);
		} else {
			*fail |= ccg_buf_append_u8(b, ' ') != CCG_OK;
		}
		*fail |= ccg_buf_append_str(b, kind == NK_AND ? "and " : "or ") != CCG_OK;
	}
	if (prec(n) <= prec(&(struct pol_node){.kind = (uint8_t)kind})) {
		*fail |= ccg_buf_append_u8(b, '(') != CCG_OK;
		fmt_node(b, p, i, level, false, fail);
		*fail |= ccg_buf_append_u8(b, ')') != CCG_OK;
	} else {
		fmt_node(b, p, i, level, multiline && (n->kind == NK_EVERY || n->kind == NK_SOME), fail);
	}
}

static void fmt_node(struct ccg_buf *b, const struct ccg_policy *p, int32_t i, int level, bool multiline, bool *fail)
{
	const struct pol_node *n = &p->nodes[i];

	switch (n->kind) {
	case NK_AND:
	case NK_OR:
		fmt_chain(b, p, i, n->kind, level, multiline, true, fail);
		break;
	case NK_NOT:
		*fail |= ccg_buf_append_str(b, "not ") != CCG_OK;
		if (prec(&p->nodes[n->a]) < 3) {
			*fail |= ccg_buf_append_u8(b, '(') != CCG_OK;
			fmt_node(b, p, n->a, level, false, fail);
			*fail |= ccg_buf_append_u8(b, ')') != CCG_OK;
		} else {
			fmt_node(b, p, n->a, level, false, fail);
		}
		break;
	case NK_EVERY:
	case NK_SOME:
		*fail |= ccg_buf_append_str(b, n->kind == NK_EVERY ? "every gpu (" : "some gpu (") != CCG_OK;
		if (multiline && p->nodes[n->a].kind == NK_AND) {
			*fail |= ccg_buf_append_u8(b, '\n') != CCG_OK;
			indent(b, level + 1, fail);
			fmt_node(b, p, n->a, level + 1, true, fail);
			*fail |= ccg_buf_append_u8(b, '\n') != CCG_OK;
			indent(b, level, fail);
		} else {
			fmt_node(b, p, n->a, level, false, fail);
		}
		*fail |= ccg_buf_append_u8(b, ')') != CCG_OK;
		break;
	case NK_TRUTH:
		fmt_operand(b, &n->l, fail);
		break;
	case NK_EXISTS:
		*fail |= ccg_buf_append_str(b, "exists ") != CCG_OK;
		fmt_operand(b, &n->l, fail);
		break;
	case NK_CMP:
		fmt_operand(b, &n->l, fail);
		*fail |= ccg_buf_append_u8(b, ' ') != CCG_OK;
		*fail |= ccg_buf_append_str(b, op_text(n->op)) != CCG_OK;
		*fail |= ccg_buf_append_u8(b, ' ') != CCG_OK;
		fmt_operand(b, &n->r, fail);
		break;
	case NK_IN:
		fmt_operand(b, &n->l, fail);
		*fail |= ccg_buf_append_str(b, n->negate ? " not in {" : " in {") != CCG_OK;
		for (uint32_t k = 0; k < n->set_n; k++) {
			if (k > 0)
				*fail |= ccg_buf_append_str(b, ", ") != CCG_OK;
			fmt_operand(b, &p->set[n->set_first + k], fail);
		}
		*fail |= ccg_buf_append_u8(b, '}') != CCG_OK;
		break;
	default:
		*fail = true;
	}
}

char *pol_format_expr(const struct ccg_policy *p, int32_t node)
{
	struct ccg_buf b;
	bool fail = false;

	ccg_buf_init(&b, 0);
	fmt_node(&b, p, node, 0, false, &fail);
	fail |= ccg_buf_terminate(&b) != CCG_OK;
	if (fail) {
		ccg_buf_cleanup(&b);
		return NULL;
	}
	return (char *)ccg_buf_steal(&b, NULL);
}

static void fmt_comments(struct ccg_buf *b, char **c, size_t n, bool *fail)
{
	for (size_t i = 0; i < n; i++) {
		*fail |= ccg_buf_append_str(b, c[i]) != CCG_OK;
		*fail |= ccg_buf_append_u8(b, '\n') != CCG_OK;
	}
}

char *ccg_policy_format(const struct ccg_policy *p)
{
	struct ccg_buf b;
	bool fail = false;
	char num[32];

	if (p == NULL)
		return NULL;
	ccg_buf_init(&b, 0);
	fmt_comments(&b, p->header_comments, p->nheader_comments, &fail);
	fail |= ccg_buf_append_str(&b, "policy ") != CCG_OK;
	fmt_string(&b, p->name, &fail);
	snprintf(num, sizeof(num), " version %lld\n", (long long)p->version);
	fail |= ccg_buf_append_str(&b, num) != CCG_OK;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct pol_rule *r = &p->rules[i];

		fail |= ccg_buf_append_u8(&b, '\n') != CCG_OK;
		fmt_comments(&b, r->comments, r->ncomments, &fail);
		fail |= ccg_buf_append_str(&b, "rule ") != CCG_OK;
		fail |= ccg_buf_append_str(&b, r->name) != CCG_OK;
		fail |= ccg_buf_append_u8(&b, ' ') != CCG_OK;
		fmt_string(&b, r->message, &fail);
		fail |= ccg_buf_append_str(&b, " {\n  ") != CCG_OK;
		fmt_node(&b, p, r->root, 1, true, &fail);
		fail |= ccg_buf_append_str(&b, "\n}\n") != CCG_OK;
	}
	if (p->ntrailing > 0) {
		fail |= ccg_buf_append_u8(&b, '\n') != CCG_OK;
		fmt_comments(&b, p->trailing_comments, p->ntrailing, &fail);
	}
	fail |= ccg_buf_terminate(&b) != CCG_OK;
	if (fail) {
		ccg_buf_cleanup(&b);
		return NULL;
	}
	return (char *)ccg_buf_steal(&b, NULL);
}

const char *ccg_policy_name(const struct ccg_policy *p)
{
	return p != NULL ? p->name : NULL;
}

size_t ccg_policy_rule_count(const struct ccg_policy *p)
{
	return p != NULL ? p->nrules : 0;
}

int64_t ccg_policy_version(const struct ccg_policy *p)
{
	return p != NULL ? p->version : 0;
}

const char *ccg_policy_rule_name(const struct ccg_policy *p, size_t i)
{
	return p != NULL && i < p->nrules ? p->rules[i].name : NULL;
}

const char *ccg_policy_rule_message(const struct ccg_policy *p, size_t i)
{
	return p != NULL && i < p->nrules ? p->rules[i].message : NULL;
}

char *ccg_policy_rule_format(const struct ccg_policy *p, size_t i)
{
	return p != NULL && i < p->nrules ? pol_format_expr(p, p->rules[i].root) : NULL;
}
