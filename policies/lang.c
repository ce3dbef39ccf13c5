/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy language: lexer, recursive-descent parser (depth bounded) and the
 * canonical formatter. The grammar is in docs/policy-language.md.
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
#include "policies/policy_int.h"

enum tok_kind { T_EOF = 0, T_IDENT, T_STRING, T_INT, T_LBRACE, T_RBRACE, T_LPAREN, T_RPAREN, T_COMMA, T_DOT,
		T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE };

struct token {
	enum tok_kind kind;
	uint32_t line, col;
	const char *p;
	size_t n;
	char *str;     /* T_STRING: unescaped, malloc'd (owned by the parser until taken) */
	int64_t num;
};

struct parser {
	struct ccg_cursor src;  /* what is left to lex */
	uint32_t line, col;
	struct token tok;
	struct ccg_policy *p;
	char **comments;        /* pending comment lines */
	size_t ncomments, total_comments;
	struct ccg_error *err;
	enum ccg_status st;
};

static enum ccg_status perr(struct parser *ps, enum ccg_status s, uint32_t line, uint32_t col, const char *fmt, ...)
	CCG_PRINTF(5, 6);

static enum ccg_status perr(struct parser *ps, enum ccg_status s, uint32_t line, uint32_t col, const char *fmt, ...)
{
	char where[32], detail[CCG_ERROR_DETAIL_MAX];
	va_list ap;

	if (ps->st != CCG_OK)
		return ps->st;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	snprintf(where, sizeof(where), "%u:%u", line, col);
	ps->st = s;
	return ccg_error_set(ps->err, s, where, "%s", detail);
}

static bool ident_start(uint8_t c)
{
	return isalpha(c) || c == '_';
}

static bool ident_char(uint8_t c)
{
	return isalnum(c) || c == '_' || c == '-';
}

static void advance(struct parser *ps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ps->src.data[i] == '\n') {
			ps->line++;
			ps->col = 1;
		} else {
			ps->col++;
		}
	}
	ps->src.data += n;
	ps->src.len -= n;
}

static enum ccg_status add_comment(struct parser *ps, const uint8_t *p, size_t n)
{
	char **nc, *s;

	if (ps->total_comments >= POL_MAX_COMMENTS)
		return perr(ps, CCG_ERR_TOO_LARGE, ps->line, ps->col, "more than %d comment lines", POL_MAX_COMMENTS);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	s = strndup((const char *)p, n);
	nc = realloc(ps->comments, (ps->ncomments + 1) * sizeof(*nc));
	if (s == NULL || nc == NULL) {
		free(s);
		if (nc != NULL)
			ps->comments = nc;
		return perr(ps, CCG_ERR_NOMEM, ps->line, ps->col, "out of memory");
	}
	ps->comments = nc;
	ps->comments[ps->ncomments++] = s;
	ps->total_comments++;
	return CCG_OK;
}

/* lex_string: "..." with \" \\ \n \t escapes, no raw control characters, bounded */
static enum ccg_status lex_string(struct parser *ps, struct token *t)
{
	struct ccg_buf b;
	size_t i = 1;
	enum ccg_status st = CCG_OK;

	ccg_buf_init(&b, POL_MAX_STRING + 1);
	for (;;) {
		uint8_t c;

		if (i >= ps->src.len || ps->src.data[i] == '\n') {
			st = perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "unterminated string");
			goto out;
		}
		c = ps->src.data[i];
		if (c == '"')
			break;
		if (c < 0x20 || c == 0x7f) {
			st = perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "control character in string");
			goto out;
		}
		if (c == '\\') {
			uint8_t e = i + 1 < ps->src.len ? ps->src.data[i + 1] : 0;

			c = e == '"' ? '"' : e == '\\' ? '\\' : e == 'n' ? '\n' : e == 't' ? '\t' : 0;
			if (c == 0) {
				st = perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "unknown escape in string");
				goto out;
			}
			i++;
		}
		if (b.len >= POL_MAX_STRING) {
			st = perr(ps, CCG_ERR_TOO_LARGE, t->line, t->col, "string longer than %d bytes", POL_MAX_STRING);
			goto out;
		}
		if (ccg_buf_append_u8(&b, c) != CCG_OK || ccg_buf_terminate(&b) != CCG_OK) {
			st = perr(ps, CCG_ERR_NOMEM, t->line, t->col, "out of memory");
			goto out;
		}
		i++;
	}
	if (ccg_buf_terminate(&b) != CCG_OK) {
		st = perr(ps, CCG_ERR_NOMEM, t->line, t->col, "out of memory");
		goto out;
	}
	if (memchr(b.data, '\0', b.len) != NULL) {
		st = perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "NUL in string");
		goto out;
	}
	t->str = (char *)ccg_buf_steal(&b, NULL);
	t->n = i + 1;
out:
	ccg_buf_cleanup(&b);
	return st;
}

static enum ccg_status next(struct parser *ps)
{
	struct token *t = &ps->tok;
	const uint8_t *d;
	size_t n;

	free(t->str);
	memset(t, 0, sizeof(*t));
	for (;;) {
		if (ps->src.len == 0) {
			t->kind = T_EOF;
			t->line = ps->line;
			t->col = ps->col;
			return CCG_OK;
		}
		d = ps->src.data;
		if (*d == ' ' || *d == '\t' || *d == '\n' || *d == '\r') {
			advance(ps, 1);
		} else if (*d == '#') {
			n = 0;
			while (n < ps->src.len && d[n] != '\n') {
				/* comments are kept by fmt: no NUL or other control bytes in them */
				if ((d[n] < 0x20 && d[n] != '\t' && d[n] != '\r') || d[n] == 0x7f)
					return perr(ps, CCG_ERR_POLICY_SYNTAX, ps->line, ps->col + (uint32_t)n,
						    "control character in a comment");
				n++;
			}
			if (add_comment(ps, d, n) != CCG_OK)
				return ps->st;
			advance(ps, n);
		} else {
			break;
		}
	}
	t->line = ps->line;
	t->col = ps->col;
	t->p = (const char *)d;
	n = 1;
	if (ident_start(*d)) {
		while (n < ps->src.len && ident_char(d[n]))
			n++;
		if (n > POL_MAX_IDENT)
			return perr(ps, CCG_ERR_TOO_LARGE, t->line, t->col, "name longer than %d characters", POL_MAX_IDENT);
		t->kind = T_IDENT;
	} else if (isdigit(*d) || (*d == '-' && ps->src.len > 1 && isdigit(d[1]))) {
		char num[24];

		while (n < ps->src.len && isdigit(d[n]))
			n++;
		if (n >= sizeof(num))
			return perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "number too large");
		memcpy(num, d, n);
		num[n] = '\0';
		errno = 0;
		t->num = strtoll(num, NULL, 10);
		if (errno != 0)
			return perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "number too large");
		if (n < ps->src.len && ident_char(d[n]))
			return perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col,
				    "a number runs into a name (quote versions: \"550.54.15\")");
		t->kind = T_INT;
	} else if (*d == '"') {
		if (lex_string(ps, t) != CCG_OK)
			return ps->st;
		t->kind = T_STRING;
		n = t->n;
	} else {
		uint8_t c2 = ps->src.len > 1 ? d[1] : 0;

		switch (*d) {
		case '{': t->kind = T_LBRACE; break;
		case '}': t->kind = T_RBRACE; break;
		case '(': t->kind = T_LPAREN; break;
		case ')': t->kind = T_RPAREN; break;
		case ',': t->kind = T_COMMA; break;
		case '.': t->kind = T_DOT; break;
		case '=':
			if (c2 != '=')
				return perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "'=' is not an operator; did you mean '=='?");
			t->kind = T_EQ;
			n = 2;
			break;
		case '!':
			if (c2 != '=')
				return perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "'!' is not an operator; write 'not' or '!='");
			t->kind = T_NE;
			n = 2;
			break;
		case '<':
			t->kind = c2 == '=' ? T_LE : T_LT;
			n = c2 == '=' ? 2 : 1;
			break;
		case '>':
			t->kind = c2 == '=' ? T_GE : T_GT;
			n = c2 == '=' ? 2 : 1;
			break;
		default:
			if (*d >= 0x21 && *d < 0x7f)
				return perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "unexpected character '%c'", *d);
			return perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "unexpected byte 0x%02x", *d);
		}
	}
	t->n = n;
	advance(ps, n);
	return CCG_OK;
}

static bool is_kw(const struct token *t, const char *kw)
{
	return t->kind == T_IDENT && t->n == strlen(kw) && memcmp(t->p, kw, t->n) == 0;
}

static const char *const keywords[] = {"policy", "version", "rule", "and", "or", "not", "in", "every",
				       "some", "gpu", "true", "false", "now", "exists"};

static bool is_keyword(const struct token *t)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (is_kw(t, keywords[i]))
			return true;
	return false;
}

static const char *tok_desc(const struct token *t, char *buf, size_t n)
{
	if (t->kind == T_EOF)
		snprintf(buf, n, "end of input");
	else if (t->kind == T_STRING)
		snprintf(buf, n, "a string");
	else
		snprintf(buf, n, "'%.*s'", (int)(t->n > 40 ? 40 : t->n), t->p);
	return buf;
}

static enum ccg_status expected(struct parser *ps, const char *what)
{
	char b[64];

	return perr(ps, CCG_ERR_POLICY_SYNTAX, ps->tok.line, ps->tok.col, "expected %s, found %s", what,
		    tok_desc(&ps->tok, b, sizeof(b)));
}

static enum ccg_status expect_kind(struct parser *ps, enum tok_kind k, const char *what)
{
	if (ps->tok.kind != k)
		return expected(ps, what);
	return next(ps);
}

static enum ccg_status expect_kw(struct parser *ps, const char *kw)
{
	char what[32];

	if (!is_kw(&ps->tok, kw)) {
		snprintf(what, sizeof(what), "'%s'", kw);
		return expected(ps, what);
	}
	return next(ps);
}

static int32_t new_node(struct parser *ps, enum pol_node_kind kind, uint32_t line, uint32_t col)
{
	struct ccg_policy *p = ps->p;

	if (p->nnodes >= POL_MAX_NODES) {
		perr(ps, CCG_ERR_TOO_LARGE, line, col, "policy has more than %d expression nodes", POL_MAX_NODES);
		return -1;
	}
	if (p->nnodes == p->cap_nodes) {
		size_t cap = p->cap_nodes ? p->cap_nodes * 2 : 64;
		struct pol_node *nn = realloc(p->nodes, cap * sizeof(*nn));

		if (nn == NULL) {
			perr(ps, CCG_ERR_NOMEM, line, col, "out of memory");
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
		if (next(ps) != CCG_OK) {
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
		return next(ps);
	}
	if (is_kw(t, "true") || is_kw(t, "false")) {
		o->kind = OK_BOOL;
		o->num = is_kw(t, "true");
		return next(ps);
	}
	if (is_kw(t, "now")) {
		o->kind = OK_NOW;
		return next(ps);
	}
	if (t->kind != T_IDENT || is_keyword(t))
		return expected(ps, "a claim, a string, a number, true, false or now");
	ccg_buf_init(&b, 4 * POL_MAX_IDENT);
	for (;;) {
		if (ccg_buf_append(&b, t->p, t->n) != CCG_OK) {
			ccg_buf_cleanup(&b);
			return perr(ps, CCG_ERR_TOO_LARGE, o->line, o->col, "claim path too long");
		}
		if (next(ps) != CCG_OK || ps->tok.kind != T_DOT)
			break;
		if (next(ps) != CCG_OK)
			break;
		/* a segment is a name, or digits for members keyed by number (tpm-pcrs.7) */
		if (t->kind != T_IDENT && !(t->kind == T_INT && t->p[0] != '-')) {
			ccg_buf_cleanup(&b);
			return expected(ps, "a claim name or an index after '.'");
		}
		if (ccg_buf_append_u8(&b, '.') != CCG_OK) {
			ccg_buf_cleanup(&b);
			return perr(ps, CCG_ERR_TOO_LARGE, o->line, o->col, "claim path too long");
		}
	}
	if (ps->st != CCG_OK || ccg_buf_terminate(&b) != CCG_OK) {
		ccg_buf_cleanup(&b);
		return ps->st != CCG_OK ? ps->st : perr(ps, CCG_ERR_NOMEM, o->line, o->col, "out of memory");
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
			return perr(ps, CCG_ERR_TOO_LARGE, o->line, o->col, "too many set elements in the policy");
		ns = realloc(p->set, cap * sizeof(*ns));
		if (ns == NULL)
			return perr(ps, CCG_ERR_NOMEM, o->line, o->col, "out of memory");
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
		perr(ps, CCG_ERR_TOO_LARGE, line, col, "expression nested deeper than %d", POL_MAX_DEPTH);
		return -1;
	}
	if (t->kind == T_LPAREN) {
		if (next(ps) != CCG_OK || (inner = parse_expr(ps, depth + 1)) < 0)
			return -1;
		if (expect_kind(ps, T_RPAREN, "')'") != CCG_OK)
			return -1;
		return inner;
	}
	if (is_kw(t, "every") || is_kw(t, "some")) {
		bool every = is_kw(t, "every");

		if (next(ps) != CCG_OK || expect_kw(ps, "gpu") != CCG_OK || expect_kind(ps, T_LPAREN, "'('") != CCG_OK)
			return -1;
		if ((inner = parse_expr(ps, depth + 1)) < 0 || expect_kind(ps, T_RPAREN, "')'") != CCG_OK)
			return -1;
		if ((n = new_node(ps, every ? NK_EVERY : NK_SOME, line, col)) < 0)
			return -1;
		ps->p->nodes[n].a = inner;
		return n;
	}
	if (is_kw(t, "exists")) {
		struct pol_operand o;

		if (next(ps) != CCG_OK || parse_operand(ps, &o) != CCG_OK) {
			return -1;
		}
		if (o.kind != OK_CLAIM) {
			free(o.text);
			perr(ps, CCG_ERR_POLICY_SYNTAX, o.line, o.col, "'exists' takes a claim");
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
			if (next(ps) != CCG_OK || parse_operand(ps, &r) != CCG_OK)
				return -1;
			ps->p->nodes[n].kind = NK_CMP;
			ps->p->nodes[n].op = (uint8_t)op;
			ps->p->nodes[n].r = r;
			return n;
		}
		if (is_kw(t, "not")) {
			negate = true;
			if (next(ps) != CCG_OK)
				return -1;
			if (!is_kw(t, "in")) {
				expected(ps, "'in' after 'not'");
				return -1;
			}
		}
		if (is_kw(t, "in")) {
			struct ccg_policy *p = ps->p;

			p->nodes[n].kind = NK_IN;
			p->nodes[n].negate = negate;
			p->nodes[n].set_first = (uint32_t)p->nset;
			if (next(ps) != CCG_OK || expect_kind(ps, T_LBRACE, "'{'") != CCG_OK)
				return -1;
			while (t->kind != T_RBRACE) {
				struct pol_operand e;

				if (p->nodes[n].set_n >= POL_MAX_SET) {
					perr(ps, CCG_ERR_TOO_LARGE, t->line, t->col, "set has more than %d elements", POL_MAX_SET);
					return -1;
				}
				if (parse_operand(ps, &e) != CCG_OK)
					return -1;
				if (e.kind == OK_CLAIM || e.kind == OK_NOW) {
					free(e.text);
					perr(ps, CCG_ERR_POLICY_SYNTAX, e.line, e.col, "set elements must be literals");
					return -1;
				}
				if (add_set_elem(ps, &e) != CCG_OK) {
					free(e.text);
					return -1;
				}
				p->nodes[n].set_n++;
				if (t->kind == T_COMMA) {
					if (next(ps) != CCG_OK)
						return -1;
				} else if (t->kind != T_RBRACE) {
					expected(ps, "',' or '}'");
					return -1;
				}
			}
			if (p->nodes[n].set_n == 0) {
				perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "empty set");
				return -1;
			}
			if (next(ps) != CCG_OK)
				return -1;
		}
		return n;
	}
}

static int32_t parse_not(struct parser *ps, unsigned depth)
{
	uint32_t line = ps->tok.line, col = ps->tok.col;
	int32_t n, inner;

	if (!is_kw(&ps->tok, "not"))
		return parse_atom(ps, depth);
	if (depth > POL_MAX_DEPTH) {
		perr(ps, CCG_ERR_TOO_LARGE, line, col, "expression nested deeper than %d", POL_MAX_DEPTH);
		return -1;
	}
	if (next(ps) != CCG_OK || (inner = parse_not(ps, depth + 1)) < 0)
		return -1;
	if ((n = new_node(ps, NK_NOT, line, col)) < 0)
		return -1;
	ps->p->nodes[n].a = inner;
	return n;
}

static int32_t parse_binary(struct parser *ps, unsigned depth, bool is_or)
{
	int32_t left = is_or ? parse_binary(ps, depth, false) : parse_not(ps, depth);

	while (left >= 0 && is_kw(&ps->tok, is_or ? "or" : "and")) {
		uint32_t line = ps->tok.line, col = ps->tok.col;
		int32_t right, n;

		if (next(ps) != CCG_OK)
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
		return perr(ps, CCG_ERR_TOO_LARGE, t->line, t->col, "policy has more than %d rules", POL_MAX_RULES);
	r = &p->rules[p->nrules];
	memset(r, 0, sizeof(*r));
	r->root = -1;
	r->line = t->line;
	r->col = t->col;
	p->nrules++;
	if (expect_kw(ps, "rule") != CCG_OK)
		return ps->st;
	if (t->kind != T_IDENT || is_keyword(t))
		return expected(ps, "a rule name");
	for (size_t i = 0; i + 1 < p->nrules; i++)
		if (strlen(p->rules[i].name) == t->n && memcmp(p->rules[i].name, t->p, t->n) == 0)
			return perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "rule '%.*s' is defined twice (first at %u:%u)",
				    (int)t->n, t->p, p->rules[i].line, p->rules[i].col);
	if ((r->name = strndup(t->p, t->n)) == NULL)
		return perr(ps, CCG_ERR_NOMEM, t->line, t->col, "out of memory");
	if (next(ps) != CCG_OK)
		return ps->st;
	if (t->kind != T_STRING)
		return expected(ps, "the rule's message (a string)");
	r->message = t->str;
	t->str = NULL;
	if (next(ps) != CCG_OK || expect_kind(ps, T_LBRACE, "'{'") != CCG_OK)
		return ps->st;
	if ((r->root = parse_expr(ps, 0)) < 0)
		return ps->st;
	if (t->kind != T_RBRACE)
		return expected(ps, "'and', 'or' or '}'");
	/* comments up to here belong before this rule */
	CCG_IGNORE(take_comments(ps, &r->comments, &r->ncomments));
	return next(ps);
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
	if (next(&ps) != CCG_OK)
		goto fail;
	CCG_IGNORE(take_comments(&ps, &p->header_comments, &p->nheader_comments));
	if (expect_kw(&ps, "policy") != CCG_OK)
		goto fail;
	if (ps.tok.kind != T_STRING) {
		expected(&ps, "the policy's name (a string)");
		goto fail;
	}
	p->name = ps.tok.str;
	ps.tok.str = NULL;
	if (next(&ps) != CCG_OK || expect_kw(&ps, "version") != CCG_OK)
		goto fail;
	if (ps.tok.kind != T_INT || ps.tok.num < 0) {
		expected(&ps, "a version number");
		goto fail;
	}
	p->version = ps.tok.num;
	if (next(&ps) != CCG_OK)
		goto fail;
	if (ps.tok.kind == T_EOF) {
		expected(&ps, "'rule'");
		goto fail;
	}
	while (ps.tok.kind != T_EOF)
		if (parse_rule(&ps) != CCG_OK)
			goto fail;
	CCG_IGNORE(take_comments(&ps, &p->trailing_comments, &p->ntrailing));
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
