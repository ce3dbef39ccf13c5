/* SPDX-License-Identifier: Apache-2.0 */
/* ccgpu ear verify: check an EAR attestation-result token against a JWKS and print its claims. */
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ccgpu/token.h"
#include "ccgpu/util.h"
#include "cli.h"

#define JWKS_MAX CCG_TOKEN_JWKS_MAX

static const char usage[] =
	"usage: ccgpu ear verify TOKEN (--jwks URL | --jwks FILE) [--nonce HEX] [--time TIME] [--json]\n"
	"\n"
	"Verifies an EAR attestation-result token (a compact JWS as ccgpu-verifierd\n"
	"issues it): the ES384 signature with the JWKS key named by the token's kid,\n"
	"the EAR profile, and iat <= TIME < exp; then prints the claims: the overall\n"
	"and per-device ear.status, trust vectors, verifier id, policy id, nonce.\n"
	"\n"
	"  TOKEN          the token itself, a file holding it, or - for standard input\n"
	"  --jwks URL     fetch the verifier's JWKS (http:// or https://, e.g.\n"
	"                 https://verifier.example/.well-known/jwks.json)\n"
	"  --jwks FILE    read the JWKS from a file (offline)\n"
	"  --nonce HEX    the nonce this relying party sent: eat_nonce must carry it\n"
	"  --time TIME    verify as of TIME (YYYY-MM-DDTHH:MM:SSZ or Unix seconds;\n"
	"                 default: now)\n"
	"  --json         print only the claims, as JSON\n"
	"\n"
	"Exit status: 0 the token is genuine and current (its ear.status says what was\n"
	"appraised), 1 it is not (the failed check is named on stderr), 2 usage or\n"
	"input error (unreadable token or JWKS).\n";

enum { OPT_JWKS = 256, OPT_NONCE, OPT_TIME, OPT_JSON, OPT_HELP };

static const struct option long_opts[] = {
	{"jwks", required_argument, NULL, OPT_JWKS}, {"nonce", required_argument, NULL, OPT_NONCE},
	{"time", required_argument, NULL, OPT_TIME}, {"json", no_argument, NULL, OPT_JSON},
	{"help", no_argument, NULL, OPT_HELP},       {NULL, 0, NULL, 0},
};

static int usage_error(const char *fmt, ...) CCG_PRINTF(1, 2);

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ccgpu: ear verify: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see ccgpu ear verify --help)\n");
	return CLI_EXIT_USAGE;
}

/* A compact JWS is three base64url parts; anything else names a file. */
static bool looks_like_token(const char *s)
{
	size_t dots = 0;

	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '.')
			dots++;
		else if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			   *p == '-' || *p == '_'))
			return false;
	}
	return dots == 2;
}

static enum ccg_status read_token(const char *arg, char **out, struct ccg_error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	enum ccg_status st;

	*out = NULL;
	if (looks_like_token(arg)) {
		*out = strdup(arg);
		return *out != NULL ? CCG_OK : ccg_error_set(err, CCG_ERR_NOMEM, "token", "no memory");
	}
	st = ccg_file_read(strcmp(arg, "-") == 0 ? "/dev/stdin" : arg, CCG_TOKEN_MAX + 2, &data, &len, err);
	if (st != CCG_OK)
		return st;
	/* one token, optionally followed by a newline */
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		data[--len] = '\0';
	if (strlen((const char *)data) != len) {
		free(data);
		return ccg_error_set(err, CCG_ERR_ENCODING, "token", "%s holds a NUL byte", arg);
	}
	*out = (char *)data;
	return CCG_OK;
}

/*
 * The JWKS as text, from a URL or a file; refused here (an input error, exit 2)
 * when it is not one JSON document: ccg_token_verify then checks its keys.
 */
static enum ccg_status read_jwks(const char *src, char **out, size_t *out_len, struct ccg_error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	json_t *doc = NULL;
	json_error_t je;
	enum ccg_status st;

	*out = NULL;
	if (strncmp(src, "http://", 7) == 0 || strncmp(src, "https://", 8) == 0)
		return ccg_token_jwks_fetch(src, out, out_len, err);
	if ((st = ccg_file_read(src, JWKS_MAX, &data, &len, err)) != CCG_OK)
		return st;
	if ((doc = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		free(data);
		return ccg_error_set(err, CCG_ERR_ENCODING, "jwks", "%s: JSON line %d column %d: %s", src, je.line,
				     je.column, je.text);
	}
	json_decref(doc);
	*out = (char *)data;
	*out_len = len;
	return CCG_OK;
}

static void print_claims(const json_t *c)
{
	const json_t *vid = json_object_get(c, "ear.verifier-id"), *subs = json_object_get(c, "submods");
	char t[21];
	const char *name;
	json_t *m;

	printf("EAR token verified\n");
	printf("  ear.status        %s\n", json_string_value(json_object_get(c, "ear.status")) != NULL
						   ? json_string_value(json_object_get(c, "ear.status"))
						   : "(not given)");
	ccg_time_iso(json_integer_value(json_object_get(c, "iat")), t);
	printf("  issued            %s\n", t);
	ccg_time_iso(json_integer_value(json_object_get(c, "exp")), t);
	printf("  expires           %s\n", t);
	printf("  verifier          %s (%s)\n", json_string_value(json_object_get(vid, "build")),
	       json_string_value(json_object_get(vid, "developer")));
	if (json_is_string(json_object_get(c, "eat_nonce")))
		printf("  eat_nonce         %s\n", json_string_value(json_object_get(c, "eat_nonce")));
	if (json_is_object(json_object_get(c, "cnf")))
		printf("  cnf.jwk           bound (the TEE's public key)\n");
	json_object_foreach((json_t *)subs, name, m) {
		json_t *errs = json_object_get(m, "ccgpu.errors"), *e;
		size_t i;

		printf("  submod %-10s %s", name, json_string_value(json_object_get(m, "ear.status")));
		if (json_is_string(json_object_get(m, "ear.appraisal-policy-id")))
			printf("  (policy %s)", json_string_value(json_object_get(m, "ear.appraisal-policy-id")));
		printf("\n");
		json_array_foreach(errs, i, e)
			if (json_is_string(e))
				printf("    failed: %s\n", json_string_value(e));
	}
	printf("claims:\n");
}

int cmd_ear(int argc, char **argv)
{
	const char *jwks_src = NULL, *time_s = NULL, *token_arg = NULL, *nonce_hex = NULL;
	uint8_t *nonce = NULL;
	size_t nonce_len = 0;
	bool json_only = false;
	json_t *claims = NULL;
	struct ccg_token *tok = NULL;
	char *token = NULL, *text = NULL, *jwks = NULL;
	size_t jwks_len = 0;
	struct ccg_error err;
	int64_t now;
	int c, rc;

	ccg_error_clear(&err);
	if (argc < 2 || strcmp(argv[1], "verify") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		}
		return usage_error("the only ear command is verify");
	}
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_JWKS: jwks_src = optarg; break;
		case OPT_NONCE: nonce_hex = optarg; break;
		case OPT_TIME: time_s = optarg; break;
		case OPT_JSON: json_only = true; break;
		case OPT_HELP: fputs(usage, stdout); return CLI_EXIT_OK;
		default: return usage_error("unknown option");
		}
	}
	if (optind + 1 != argc)
		return usage_error("give exactly one TOKEN");
	token_arg = argv[optind];
	if (jwks_src == NULL)
		return usage_error("--jwks URL or FILE is required");
	if (nonce_hex != NULL &&
	    (ccg_hex_decode(nonce_hex, strlen(nonce_hex), 64, &nonce, &nonce_len) != CCG_OK || nonce_len < 8)) {
		free(nonce);
		return usage_error("bad --nonce (hex, 8 to 64 bytes)");
	}
	if (time_s != NULL) {
		if (ccg_time_parse_iso(time_s, &now) != CCG_OK) {
			free(nonce);
			return usage_error("bad --time \"%s\"", time_s);
		}
	} else {
		now = (int64_t)time(NULL);
	}
	if (read_token(token_arg, &token, &err) != CCG_OK) {
		rc = cli_fail(CLI_EXIT_USAGE, "ear verify: token", &err);
		goto out;
	}
	if (read_jwks(jwks_src, &jwks, &jwks_len, &err) != CCG_OK) {
		rc = cli_fail(CLI_EXIT_USAGE, "ear verify: jwks", &err);
		goto out;
	}
	if (ccg_token_verify(token, strlen(token), jwks, jwks_len, now, &tok, &err) != CCG_OK ||
	    (nonce != NULL && ccg_token_check_nonce(tok, nonce, nonce_len, &err) != CCG_OK)) {
		rc = cli_fail(CLI_EXIT_REFUSED, "ear verify: refused", &err);
		goto out;
	}
	text = ccg_token_claims_json(tok);
	if (text == NULL || (claims = json_loads(text, 0, NULL)) == NULL) {
		ccg_error_set(&err, CCG_ERR_NOMEM, "claims", "no memory");
		rc = cli_fail(CLI_EXIT_USAGE, "ear verify", &err);
		goto out;
	}
	if (!json_only)
		print_claims(claims);
	printf("%s\n", text);
	rc = CLI_EXIT_OK;
out:
	free(nonce);
	free(text);
	free(token);
	free(jwks);
	ccg_token_free(tok);
	json_decref(claims);
	return rc;
}
