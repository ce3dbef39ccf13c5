/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy language: the lexer (line:col on every token, bounded strings and
 * names, comments kept for the formatter). The grammar is in
 * docs/policy-language.md; parser.c reads the tokens.
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

enum ccg_status pol_perr(struct parser *ps, enum ccg_status s, uint32_t line, uint32_t col, const char *fmt, ...)
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
		return pol_perr(ps, CCG_ERR_TOO_LARGE, ps->line, ps->col, "more than %d comment lines", POL_MAX_COMMENTS);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	s = strndup((const char *)p, n);
	nc = realloc(ps->comments, (ps->ncomments + 1) * sizeof(*nc));
	if (s == NULL || nc == NULL) {
		free(s);
		if (nc != NULL)
			ps->comments = nc;
		return pol_perr(ps, CCG_ERR_NOMEM, ps->line, ps->col, "out of memory");
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
			st = pol_perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "unterminated string");
			goto out;
		}
		c = ps->src.data[i];
		if (c == '"')
			break;
		if (c < 0x20 || c == 0x7f) {
			st = pol_perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "control character in string");
			goto out;
		}
		if (c == '\\') {
			uint8_t e = i + 1 < ps->src.len ? ps->src.data[i + 1] : 0;

			c = e == '"' ? '"' : e == '\\' ? '\\' : e == 'n' ? '\n' : e == 't' ? '\t' : 0;
			if (c == 0) {
				st = pol_perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "unknown escape in string");
				goto out;
			}
			i++;
		}
		if (b.len >= POL_MAX_STRING) {
			st = pol_perr(ps, CCG_ERR_TOO_LARGE, t->line, t->col, "string longer than %d bytes", POL_MAX_STRING);
			goto out;
		}
		if (ccg_buf_append_u8(&b, c) != CCG_OK || ccg_buf_terminate(&b) != CCG_OK) {
			st = pol_perr(ps, CCG_ERR_NOMEM, t->line, t->col, "out of memory");
			goto out;
		}
		i++;
	}
	if (ccg_buf_terminate(&b) != CCG_OK) {
		st = pol_perr(ps, CCG_ERR_NOMEM, t->line, t->col, "out of memory");
		goto out;
	}
	if (memchr(b.data, '\0', b.len) != NULL) {
		st = pol_perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "NUL in string");
		goto out;
	}
	t->str = (char *)ccg_buf_steal(&b, NULL);
	t->n = i + 1;
out:
	ccg_buf_cleanup(&b);
	return st;
}

enum ccg_status pol_next(struct parser *ps)
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
					return pol_perr(ps, CCG_ERR_POLICY_SYNTAX, ps->line, ps->col + (uint32_t)n,
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
			return pol_perr(ps, CCG_ERR_TOO_LARGE, t->line, t->col, "name longer than %d characters", POL_MAX_IDENT);
		t->kind = T_IDENT;
	} else if (isdigit(*d) || (*d == '-' && ps->src.len > 1 && isdigit(d[1]))) {
		char num[24];

		while (n < ps->src.len && isdigit(d[n]))
			n++;
		if (n >= sizeof(num))
			return pol_perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "number too large");
		memcpy(num, d, n);
		num[n] = '\0';
		errno = 0;
		t->num = strtoll(num, NULL, 10);
		if (errno != 0)
			return pol_perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "number too large");
		if (n < ps->src.len && ident_char(d[n]))
			return pol_perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col,
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
				return pol_perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "'=' is not an operator; did you mean '=='?");
			t->kind = T_EQ;
			n = 2;
			break;
		case '!':
			if (c2 != '=')
				return pol_perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "'!' is not an operator; write 'not' or '!='");
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
				return pol_perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "unexpected character '%c'", *d);
			return pol_perr(ps, CCG_ERR_POLICY_SYNTAX, t->line, t->col, "unexpected byte 0x%02x", *d);
		}
	}
	t->n = n;
	advance(ps, n);
	return CCG_OK;
}

bool pol_is_kw(const struct token *t, const char *kw)
{
	return t->kind == T_IDENT && t->n == strlen(kw) && memcmp(t->p, kw, t->n) == 0;
}

static const char *const keywords[] = {"policy", "version", "rule", "and", "or", "not", "in", "every",
				       "some", "gpu", "true", "false", "now", "exists"};

bool pol_is_keyword(const struct token *t)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (pol_is_kw(t, keywords[i]))
			return true;
	return false;
}

const char *pol_tok_desc(const struct token *t, char *buf, size_t n)
{
	if (t->kind == T_EOF)
		snprintf(buf, n, "end of input");
	else if (t->kind == T_STRING)
		snprintf(buf, n, "a string");
	else
		snprintf(buf, n, "'%.*s'", (int)(t->n > 40 ? 40 : t->n), t->p);
	return buf;
}
