/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for signed party statements (verifier/statement.h): any
 * bytes as a statement, read for its party, verified under the fixed key of
 * the type its header names (P-384 for ES384, Ed25519 for EdDSA), then
 * checked for route, contract, body and time at a fixed time. The corpus
 * holds a valid statement of each kind (corpus/statement/valid-*.jws, made by
 * ccg_statement_sign with keys whose private halves are not kept), so
 * mutations start from statements that pass every check. An accepted
 * statement must be the signed one; a refusal must name what failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "verifier/statement.h"

#define NOW 1795305600
#define WINDOW 300
#define ROUTE "POST /v1/contracts"
#define CONTRACT "llm-serving"
#define BODY "{}"

static const char ec_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAERbKVd1Dkf4U7AlSyRBRLM4V/N/3F0AAB\n"
	"prXg5ZM4q9u4X+Qiz+2pfPPemGaCxxNEqENT1ovOrb7Tt9mlJ9Wofudb6nYQB+Pc\n"
	"Ihgjo8VrEWcUdzomTJ19fdeaRSw7HLbV\n"
	"-----END PUBLIC KEY-----\n";
static const char ed_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MCowBQYDK2VwAyEAnKQN28WmpFPbPHBOHfh5FronawlqFf6xqBj3zxFinn0=\n"
	"-----END PUBLIC KEY-----\n";

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), party[CCG_STATEMENT_MAX_ID + 1];
	struct ccg_statement st;
	struct ccg_error err;
	enum ccg_status s;

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	ccg_error_clear(&err);
	s = ccg_statement_party(text, party, &err);
	if (s == CCG_OK) {
		/* the header's alg chooses which fixed key plays the registered one: P-384 first */
		s = ccg_statement_verify(text, (const uint8_t *)ec_pub, strlen(ec_pub), &st, &err);
		if (s == CCG_ERR_SIGNATURE && strcmp(err.where, "statement.header.alg") == 0) {
			ccg_error_clear(&err);
			s = ccg_statement_verify(text, (const uint8_t *)ed_pub, strlen(ed_pub), &st, &err);
		}
	}
	if (s == CCG_OK)
		s = ccg_statement_check(&st, ROUTE, CONTRACT, (const uint8_t *)BODY, strlen(BODY), NOW, WINDOW, &err);
	if (s == CCG_OK && (strcmp(st.party, party) != 0 || strcmp(st.route, ROUTE) != 0 ||
			    strcmp(st.contract, CONTRACT) != 0 || strlen(st.jti) < CCG_STATEMENT_MIN_JTI))
		abort();
	if (s != CCG_OK && err.where[0] == '\0')
		abort();
	free(text);
	return (int)s;
}
