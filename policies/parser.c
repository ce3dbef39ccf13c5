/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy language: the recursive-descent parser (depth, node and rule
 * limits) over lexer.c's tokens, building the policy tree. The grammar is in
 * docs/policy-language.md.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cursor.h"
#include "common/error.h"
#include "policies/lang_int.h"

static enum ccg_status expected(struct parser *ps, const char *what)
{
	char b[64];

	return pol_perr(ps, CCG_ERR_POLICY_SYNTAX, ps->tok.line, ps->tok.col, "expected %s, found %s", what,
		    pol_tok_desc(&ps->tok, b, sizeof(b)));
}

static enum ccg_status expect_kind(struct parser *ps, enum tok_kind k, const char *what)
{
	if (ps->tok.kind != k)
		return expected(ps, what);
	return pol_next(ps);
}

static enum ccg_status expect_kw(struct parser *ps, const char *kw)
{
	char what[32];

	if (!pol_is_kw(&ps->tok, kw)) {
		snprintf(what, sizeof(what), "'%s'", kw);
		return expected(ps, what);
	}
	return pol_next(ps);
}

static int32_t new_node(struct parser *ps, enum pol_node_kind kind, uint32_t line, uint32_t col)
{
	struct ccg_policy *p = ps->p;

	if (p->nnodes >= POL_MAX_NODES) {
		pol_perr(ps, CCG_ERR_TOO_LARGE, line, col, "policy has more than %d expression nodes", POL_MAX_NODES);
		return -1;
	}
	if (p->nnodes == p->cap_nodes) {
		size_t cap = p->cap_nodes ? p->cap_nodes * 2 : 64;
		struct pol_node *nn = realloc(p->nodes, cap * sizeof(*nn));

		if (nn == NULL) {
			pol_perr(ps, CCG_ERR_NOMEM, line, col, "out of memory");
			return -1;
		}
		p->nodes = nn;
		p->cap_nodes = cap;
	}
	memset(&p->nodes[p->nnodes], 0, sizeof(p->nodes[0]));
	p->nodes[p->nnodes].kind = (uint8_t)kind;
	p->nodes[p->nnodes].line = line;
	p->nodes[p->nnodes].col = col;
	p->nodes[p->nnodes].a = p->nodes[p->nnodes].b = -1;
	return (int32_t)p->nnodes++;
}

/* operand = path | STRING | INT | "true" | "false" | "now" */
static enum ccg_status parse_operand(struct parser *ps, struct pol_operand *o)
{
	struct token *t = &ps->tok;
	struct ccg_buf b;

	memset(o, 0, sizeof(*o));
	o->line = t->line;
	o->col = t->col;
	if (t->kind == T_STRING) {
		o->kind = OK_STR;
		o->text = t->str;
		t->str = NULL;
		if (pol_next(ps) != CCG_OK) {
			/* the caller owns o only on success */
			free(o->text);
			o->text = NULL;
			return ps->st;
		}
		return CCG_OK;
	}
	if (t->kind == T_INT) {
		o->kind = OK_INT;
		o->num = t->num;
		return pol_next(ps);
	}
	if (pol_is_kw(t, "true") || pol_is_kw(t, "false")) {
		o->kind = OK_BOOL;
		o->num = pol_is_kw(t, "true");
		return pol_next(ps);
	}
	if (pol_is_kw(t, "now")) {
		o->kind = OK_NOW;
		return pol_next(ps);
	}
	if (t->kind != T_IDENT || pol_is_keyword(t))
		return expected(ps, "a claim, a string, a number, true, false or now");
	ccg_buf_init(&b, 4 * POL_MAX_IDENT);
	for (;;) {
		if (ccg_buf_append(&b, t->p, t->n) != CCG_OK) {
			ccg_buf_cleanup(&b);
			return pol_perr(ps, CCG_ERR_TOO_LARGE, o->line, o->col, "claim path too long");
		}
		if (pol_next(ps) != CCG_OK || ps->tok.kind != T_DOT)
			break;
		if (pol_next(ps) != CCG_OK)
			break;
		/* a segment is a name, or digits for members keyed by number (tpm-pcrs.7) */
		if (t->kind != T_IDENT && !(t->kind == T_INT && t->p[0] != '-')) {
			ccg_buf_cleanup(&b);
			return expected(ps, "a claim name or an index after '.'");
		}
		if (ccg_buf_append_u8(&b, '.') != CCG_OK) {
			ccg_buf_cleanup(&b);
			return pol_perr(ps, CCG_ERR_TOO_LARGE, o->line, o->col, "claim path too long");
		}
	}
	if (ps->st != CCG_OK || ccg_buf_terminate(&b) != CCG_OK) {
		ccg_buf_cleanup(&b);
		return ps->st != CCG_OK ? ps->st : pol_perr(ps, CCG_ERR_NOMEM, o->line, o->col, "out of memory");
	}
	o->kind = OK_CLAIM;
	o->text = (char *)ccg_buf_steal(&b, NULL);
	return CCG_OK;
}

static int32_t parse_expr(struct parser *ps, unsigned depth);

static enum ccg_status add_set_elem(struct parser *ps, struct pol_operand *o)
{
	struct ccg_policy *p = ps->p;

	if (p->nset == p->cap_set) {
		size_t cap = p->cap_set ? p->cap_set * 2 : 16;
		struct pol_operand *ns;

		if (cap > POL_MAX_NODES * 4)
			return pol_perr(ps, CCG_ERR_TOO_LARGE, o->line, o->col, "too many set elements in the policy");
		ns = realloc(p->set, cap * sizeof(*ns));
		if (ns == NULL)
			return pol_perr(ps, CCG_ERR_NOMEM, o->line, o->col, "out of memory");
		p->set = ns;
		p->cap_set = cap;
	}
	p->set[p->nset++] = *o;
	return CCG_OK;
}

static int32_t parse_atom(struct parser *ps, unsigned depth)
{
	struct token *t = &ps->tok;
	uint32_t line = t->line, col = t->col;
	int32_t n, inner;

	if (depth > POL_MAX_DEPTH) {
		pol_perr(ps, CCG_ERR_TOO_LARGE, line, col, "expression nested deeper than %d", POL_MAX_DEPTH);
		return -1;
	}
	if (t->kind == T_LPAREN) {
		if (pol_next(ps) != CCG_OK || (inner = parse_expr(ps, depth + 1)) < 0)
			return -1;
		if (expect_kind(ps, T_RPAREN, "')'") != CCG_OK)
			return -1;
		return inner;
	}
	if (pol_is_kw(t, "every") || pol_is_kw(t, "some")) {
		bool every = pol_is_kw(t, "every");

		if (pol_next(ps) != CCG_OK || expect_kw(ps, "gpu") != CCG_OK || expect_kind(ps, T_LPAREN, "'('") != CCG_OK)
			return -1;
		if ((inner = parse_expr(ps, depth + 1)) < 0 || expect_kind(ps, T_RPAREN, "')'") != CCG_OK)
			return -1;
		if ((n = new_node(ps, every ? NK_EVERY : NK_SOME, line, col)) < 0)
			return -1;
		ps->p->nodes[n].a = inner;
		return n;
	}
	if (pol_is_kw(t, "exists")) {
		struct pol_operand o;

		if (pol_next(ps) != CCG_OK || parse_operand(ps, &o) != CCG_OK) {
			return -1;
		}
		if (o.kind != OK_CLAIM) {
			free(o.text);
			pol_perr(ps, CCG_ERR_POLICY_SYNTAX, o.line, o.col, "'exists' takes a claim");
			return -1;
		}
		if ((n = new_node(ps, NK_EXISTS, line, col)) < 0) {
			free(o.text);
			return -1;
		}
		ps->p->nodes[n].l = o;
		return n;
	}
	{
		struct pol_operand l, r;
		enum pol_op op = 0;
		bool negate = false;

		if (parse_operand(ps, &l) != CCG_OK)
			return -1;
		if ((n = new_node(ps, NK_TRUTH, line, col)) < 0) {
			free(l.text);
			return -1;
		}
		ps->p->nodes[n].l = l;
		switch (t->kind) {
		case T_EQ: op = OP_EQ; break;
		case T_NE: op = OP_NE; break;
		case T_LT: op = OP_LT; break;
		case T_LE: op = OP_LE; break;
		case T_GT: op = OP_GT; break;
		case T_GE: op = OP_GE; break;
		default: break;
		}
		if (op != 0) {
			if (pol_next(ps) != CCG_OK || parse_operand(ps, &r) != CCG_OK)
				return -1;
			ps->p->nodes[n].kind = NK_CMP;
			ps->p->nodes[n].op = (uint8_t)op;
			ps->p->nodes[n].r = r;
			return n;
		}
		if (pol_is_kw(t, "not")) {
			negate = true;
			if (pol_next(ps) != CCG_OK)
				return -1;
			if (!pol_is_kw(t, "in")) {
				expected(ps, "'in' after 'not'");
				return -1;
			}
		}
		if (pol_is_kw(t, "in")) {
			struct ccg_policy *p = ps->p;

			p->nodes[n].kind = NK_IN;
			p->nodes[n].negate = negate;
			p->nodes[n].set_first = (uint32_t)p->nset;
			if (pol_next(ps) != CCG_OK || expect_kind(ps, T_LBRACE, "'{'") != CCG_OK)
				return -1;
			while (t->kind != T_RBRACE) {
				struct pol_operand e;

				if (p->nodes[n].set_n >= POL_MAX_SET) {
					pol_perr(ps, CCG_ERR_TOO_LARGE, t->line, t->col, "set has more than %d elements", POL_MAX_SET);
					return -1;
				}
				if (parse_operand(ps, &e) != CCG_OK)
					return -1;
				if (e.kind == OK_CLAIM || e.kind == OK_NOW) {
					free(e.text);
					pol_perr(ps, CCG_ERR_POLICY_SYNTAX, e.line, e.col, "set elements must be literals");
					return -1;
				}
				if (add_set_elem(ps, &e) != CCG_OK) {
					free(e.text);
					return -1;
				}
				p->nodes[n].set_n++;
				if (t->kind == T_COMMA) {
					if (pol_next(ps) != CCG_OK)
						return -1;
				} else if (t->kind != T_RBRACE) {
					expected(ps, "',' or '}'");
					return -1;
				}
			}
			if (p->nodes[n].set_n == 0) {
				pol_perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "empty set");
				return -1;
			}
			if (pol_next(ps) != CCG_OK)
				return -1;
		}
		return n;
	}
}

static int32_t parse_not(struct parser *ps, unsigned depth)
{
	uint32_t line = ps->tok.line, col = ps->tok.col;
	int32_t n, inner;

	if (!pol_is_kw(&ps->tok, "not"))
		return parse_atom(ps, depth);
	if (depth > POL_MAX_DEPTH) {
		pol_perr(ps, CCG_ERR_TOO_LARGE, line, col, "expression nested deeper than %d", POL_MAX_DEPTH);
		return -1;
	}
	if (pol_next(ps) != CCG_OK || (inner = parse_not(ps, depth + 1)) < 0)
		return -1;
	if ((n = new_node(ps, NK_NOT, line, col)) < 0)
		return -1;
	ps->p->nodes[n].a = inner;
	return n;
}

static int32_t parse_binary(struct parser *ps, unsigned depth, bool is_or)
{
	int32_t left = is_or ? parse_binary(ps, depth, false) : parse_not(ps, depth);

	while (left >= 0 && pol_is_kw(&ps->tok, is_or ? "or" : "and")) {
		uint32_t line = ps->tok.line, col = ps->tok.col;
		int32_t right, n;

		if (pol_next(ps) != CCG_OK)
			return -1;
		right = is_or ? parse_binary(ps, depth, false) : parse_not(ps, depth);
		if (right < 0 || (n = new_node(ps, is_or ? NK_OR : NK_AND, line, col)) < 0)
			return -1;
		ps->p->nodes[n].a = left;
		ps->p->nodes[n].b = right;
		left = n;
	}
	return left;
}

static int32_t parse_expr(struct parser *ps, unsigned depth)
{
	return parse_binary(ps, depth, true);
}

static enum ccg_status take_comments(struct parser *ps, char ***out, size_t *n)
{
	*out = ps->comments;
	*n = ps->ncomments;
	ps->comments = NULL;
	ps->ncomments = 0;
	return CCG_OK;
}

static enum ccg_status parse_rule(struct parser *ps)
{
	struct ccg_policy *p = ps->p;
	struct pol_rule *r;
	struct token *t = &ps->tok;

	if (p->nrules >= POL_MAX_RULES)
		return pol_perr(ps, CCG_ERR_TOO_LARGE, t->line, t->col, "policy has more than %d rules", POL_MAX_RULES);
	r = &p->rules[p->nrules];
	memset(r, 0, sizeof(*r));
	r->root = -1;
	r->line = t->line;
	r->col = t->col;
	p->nrules++;
	if (expect_kw(ps, "rule") != CCG_OK)
		return ps->st;
	if (t->kind != T_IDENT || pol_is_keyword(t))
		return expected(ps, "a rule name");
	for (size_t i = 0; i + 1 < p->nrules; i++)
		if (strlen(p->rules[i].name) == t->n && memcmp(p->rules[i].name, t->p, t->n) == 0)
			return pol_perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "rule '%.*s' is defined twice (first at %u:%u)",
				    (int)t->n, t->p, p->rules[i].line, p->rules[i].col);
	if ((r->name = strndup(t->p, t->n)) == NULL)
		return pol_perr(ps, CCG_ERR_NOMEM, t->line, t->col, "out of memory");
	if (pol_next(ps) != CCG_OK)
		return ps->st;
	if (t->kind != T_STRING)
		return expected(ps, "the rule's message (a string)");
	r->message = t->str;
	t->str = NULL;
	if (pol_next(ps) != CCG_OK || expect_kind(ps, T_LBRACE, "'{'") != CCG_OK)
		return ps->st;
	if ((r->root = parse_expr(ps, 0)) < 0)
		return ps->st;
	if (t->kind != T_RBRACE)
		return expected(ps, "'and', 'or' or '}'");
	/* comments up to here belong before this rule */
	(void)take_comments(ps, &r->comments, &r->ncomments);
	return pol_next(ps);
}

static void operand_cleanup(struct pol_operand *o)
{
	free(o->text);
	free(o->owned);
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void ccg_policy_free(struct ccg_policy *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free_strv(p->header_comments, p->nheader_comments);
	for (size_t i = 0; i < p->nrules; i++) {
		free(p->rules[i].name);
		free(p->rules[i].message);
		free_strv(p->rules[i].comments, p->rules[i].ncomments);
	}
	free(p->rules);
	for (size_t i = 0; i < p->nnodes; i++) {
		operand_cleanup(&p->nodes[i].l);
		operand_cleanup(&p->nodes[i].r);
	}
	free(p->nodes);
	for (size_t i = 0; i < p->nset; i++)
		operand_cleanup(&p->set[i]);
	free(p->set);
	free_strv(p->trailing_comments, p->ntrailing);
	free(p);
}

enum ccg_status pol_parse_syntax(const char *src, size_t len, struct ccg_policy **out, struct ccg_error *err)
{
	struct parser ps;
	struct ccg_policy *p = NULL;
	enum ccg_status st;

	*out = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.err = err;
	ps.line = ps.col = 1;
	if (len > CCG_POLICY_MAX_SOURCE)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "1:1", "policy is %zu bytes; the limit is %d", len,
				     CCG_POLICY_MAX_SOURCE);
	ccg_cursor_init(&ps.src, (const uint8_t *)src, len);
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->rules = calloc(POL_MAX_RULES, sizeof(*p->rules))) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "1:1", "out of memory");
		goto out;
	}
	ps.p = p;
	if (pol_next(&ps) != CCG_OK)
		goto fail;
	(void)take_comments(&ps, &p->header_comments, &p->nheader_comments);
	if (expect_kw(&ps, "policy") != CCG_OK)
		goto fail;
	if (ps.tok.kind != T_STRING) {
		expected(&ps, "the policy's name (a string)");
		goto fail;
	}
	p->name = ps.tok.str;
	ps.tok.str = NULL;
	if (pol_next(&ps) != CCG_OK || expect_kw(&ps, "version") != CCG_OK)
		goto fail;
	if (ps.tok.kind != T_INT || ps.tok.num < 0) {
		expected(&ps, "a version number");
		goto fail;
	}
	p->version = ps.tok.num;
	if (pol_next(&ps) != CCG_OK)
		goto fail;
	if (ps.tok.kind == T_EOF) {
		expected(&ps, "'rule'");
		goto fail;
	}
	while (ps.tok.kind != T_EOF)
		if (parse_rule(&ps) != CCG_OK)
			goto fail;
	(void)take_comments(&ps, &p->trailing_comments, &p->ntrailing);
	*out = p;
	p = NULL;
	st = CCG_OK;
	goto out;
fail:
	st = ps.st != CCG_OK ? ps.st : CCG_ERR_INTERNAL;
out:
	free(ps.tok.str);
	free_strv(ps.comments, ps.ncomments);
	ccg_policy_free(p);
	return st;
}
