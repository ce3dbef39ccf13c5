/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy language's lexer state, shared by lexer.c and parser.c (private
 * to policies/). The grammar is in docs/policy-language.md.
 */
#ifndef CCGPU_POLICIES_LANG_INT_H
#define CCGPU_POLICIES_LANG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* pol_perr: records the first error at line:col in ps (later ones are dropped) and returns it. */
enum ccg_status pol_perr(struct parser *ps, enum ccg_status s, uint32_t line, uint32_t col, const char *fmt, ...)
	CCG_PRINTF(5, 6);
/* pol_next: lexes the next token into ps->tok (comments are collected, not returned). */
enum ccg_status pol_next(struct parser *ps);
/* pol_is_kw: the token is the identifier kw. */
bool pol_is_kw(const struct token *t, const char *kw);
/* pol_is_keyword: the token is one of the language's keywords. */
bool pol_is_keyword(const struct token *t);
/* pol_tok_desc: the token described for an error message, in buf. */
const char *pol_tok_desc(const struct token *t, char *buf, size_t n);

#endif
