/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgpu client: check a confidential inference server's EAR token and OHTTP
 * key, then send one request to it as Oblivious HTTP (include/ccgpu/client.h).
 */
#include <ctype.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/client.h"
#include "ccgpu/ohttp.h"
#include "ccgpu/policy.h"
#include "ccgpu/util.h"
#include "cli.h"

#define MAX_HEADERS 32

static const char usage[] =
	"usage: ccgpu client --server URL --jwks (URL | FILE) [--relay URL] [--policy FILE]\n"
	"                    [--time TIME] [--attest-only] [-X METHOD] [--path PATH]\n"
	"                    [--authority HOST] [-H 'name: value']... [--data FILE]\n"
	"\n"
	"Checks the inference server at URL before anything is sent: its EAR token\n"
	"(GET URL/ccgpu/attestation) must verify under the verifier's JWKS, be current\n"
	"at TIME and say \"affirming\"; its OHTTP key (GET URL/ccgpu/ohttp-keys) must be\n"
	"the TEE key the token binds (cnf.jwk); the token's claims must pass --policy.\n"
	"Then sends one request as Oblivious HTTP (RFC 9458: Binary HTTP inside HPKE to\n"
	"that key) through the relay (default: straight to URL/ccgpu/gateway) and\n"
	"writes the answer's content to standard output, its status to standard error.\n"
	"\n"
	"  --server URL       the inference server (http:// or https://)\n"
	"  --jwks URL|FILE    the verifier's JWKS (e.g. https://verifier/.well-known/jwks.json)\n"
	"  --relay URL        the OHTTP relay to POST the encapsulated request to\n"
	"  --policy FILE      the client's own policy on the token's claims\n"
	"  --time TIME        check as of TIME (YYYY-MM-DDTHH:MM:SSZ or Unix seconds; default now)\n"
	"  --attest-only      check the server and print the verified claims (JSON); send nothing\n"
	"  -X, --method M     the request method (default GET, or POST with --data)\n"
	"  --path PATH        the request path (default /)\n"
	"  --authority HOST   the request's authority (default none)\n"
	"  -H, --header H     a request header 'name: value' (repeatable)\n"
	"  --data FILE        the request content (- for standard input)\n"
	"\n"
	"Exit status: 0 the server was attested and answered below 400, 1 the server was\n"
	"refused (the failed check is named on stderr) or answered 400 or more, 2 usage,\n"
	"input or network error.\n";

enum {
	OPT_SERVER = 256,
	OPT_JWKS,
	OPT_RELAY,
	OPT_POLICY,
	OPT_TIME,
	OPT_ATTEST_ONLY,
	OPT_PATH,
	OPT_AUTHORITY,
	OPT_DATA,
	OPT_HELP
};

static const struct option long_opts[] = {
	{"server", required_argument, NULL, OPT_SERVER},
	{"jwks", required_argument, NULL, OPT_JWKS},
	{"relay", required_argument, NULL, OPT_RELAY},
	{"policy", required_argument, NULL, OPT_POLICY},
	{"time", required_argument, NULL, OPT_TIME},
	{"attest-only", no_argument, NULL, OPT_ATTEST_ONLY},
	{"method", required_argument, NULL, 'X'},
	{"path", required_argument, NULL, OPT_PATH},
	{"authority", required_argument, NULL, OPT_AUTHORITY},
	{"header", required_argument, NULL, 'H'},
	{"data", required_argument, NULL, OPT_DATA},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

static int usage_error(const char *fmt, ...) CCG_PRINTF(1, 2);

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ccgpu: client: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see ccgpu client --help)\n");
	return CLI_EXIT_USAGE;
}

/* a refusal of the server (1) or a failure to reach or read it (2) */
static int attest_exit(enum ccg_status st)
{
	switch (st) {
	case CCG_ERR_NETWORK:
	case CCG_ERR_IO:
	case CCG_ERR_NOT_FOUND:
	case CCG_ERR_INVALID_ARG:
	case CCG_ERR_NOMEM:
	case CCG_ERR_TIMEOUT: return CLI_EXIT_USAGE;
	default: return CLI_EXIT_REFUSED;
	}
}

static bool is_url(const char *s)
{
	return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

/* "Name: value" -> the header's lower-case name and its value without surrounding blanks */
static enum ccg_status add_header(struct ccg_bhttp_msg *m, const char *h, struct ccg_error *err)
{
	const char *colon = strchr(h, ':'), *v;
	char name[256];
	size_t n, vl;

	if (colon == NULL || colon == h || (size_t)(colon - h) >= sizeof(name))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "--header", "'%.64s' is not 'name: value'", h);
	n = (size_t)(colon - h);
	for (size_t i = 0; i < n; i++)
		name[i] = (char)tolower((unsigned char)h[i]);
	name[n] = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	vl = strlen(v);
	while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	return ccg_bhttp_msg_add_field(m, CCG_BHTTP_HEADERS, name, (const uint8_t *)v, vl, err);
}

int cmd_client(int argc, char **argv)
{
	const char *server = NULL, *jwks = NULL, *relay = NULL, *policy_path = NULL, *time_s = NULL, *method = NULL,
		   *path = "/", *authority = "", *data_path = NULL, *headers[MAX_HEADERS];
	size_t n_headers = 0, len = 0, cl = 0;
	bool attest_only = false;
	struct ccg_client *c = NULL;
	struct ccg_bhttp_msg *req = NULL, *resp = NULL;
	uint8_t *buf = NULL;
	const uint8_t *content;
	struct ccg_error err;
	int64_t now = CCG_TIME_NOW;
	int opt, rc = CLI_EXIT_USAGE;
	enum ccg_status st;

	ccg_error_clear(&err);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "X:H:", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_SERVER: server = optarg; break;
		case OPT_JWKS: jwks = optarg; break;
		case OPT_RELAY: relay = optarg; break;
		case OPT_POLICY: policy_path = optarg; break;
		case OPT_TIME: time_s = optarg; break;
		case OPT_ATTEST_ONLY: attest_only = true; break;
		case 'X': method = optarg; break;
		case OPT_PATH: path = optarg; break;
		case OPT_AUTHORITY: authority = optarg; break;
		case 'H':
			if (n_headers == MAX_HEADERS)
				return usage_error("more than %d headers", MAX_HEADERS);
			headers[n_headers++] = optarg;
			break;
		case OPT_DATA: data_path = optarg; break;
		case OPT_HELP: fputs(usage, stdout); return CLI_EXIT_OK;
		default: return usage_error("unknown option");
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (server == NULL || jwks == NULL)
		return usage_error("--server and --jwks are required");
	if (time_s != NULL && ccg_time_parse_iso(time_s, &now) != CCG_OK)
		return usage_error("--time '%s' is neither YYYY-MM-DDTHH:MM:SSZ nor Unix seconds", time_s);

	if ((st = ccg_client_new(server, &c, &err)) != CCG_OK ||
	    (relay != NULL && (st = ccg_client_set_relay(c, relay, &err)) != CCG_OK)) {
		rc = cli_fail(CLI_EXIT_USAGE, "client", &err);
		goto out;
	}
	if (is_url(jwks)) {
		st = ccg_client_set_jwks_url(c, jwks, &err);
	} else if ((st = ccg_file_read(jwks, 1024 * 1024, &buf, &len, &err)) == CCG_OK) {
		st = ccg_client_set_jwks(c, (const char *)buf, len, &err);
	}
	free(buf);
	buf = NULL;
	if (st == CCG_OK && policy_path != NULL &&
	    (st = ccg_file_read(policy_path, CCG_POLICY_MAX_SOURCE, &buf, &len, &err)) == CCG_OK)
		st = ccg_client_set_policy(c, (const char *)buf, len, &err);
	free(buf);
	buf = NULL;
	if (st != CCG_OK) {
		rc = cli_fail(CLI_EXIT_USAGE, "client", &err);
		goto out;
	}

	/* the request is built (and its input read) before the server is contacted */
	if (!attest_only) {
		if (data_path != NULL && (st = ccg_file_read(strcmp(data_path, "-") == 0 ? "/dev/stdin" : data_path,
							     CCG_BHTTP_MAX_MESSAGE, &buf, &len, &err)) != CCG_OK) {
			rc = cli_fail(CLI_EXIT_USAGE, "client: --data", &err);
			goto out;
		}
		if (method == NULL)
			method = data_path != NULL ? "POST" : "GET";
		st = ccg_bhttp_request_new(method, strncmp(server, "https://", 8) == 0 ? "https" : "http", authority,
					   path, &req, &err);
		for (size_t i = 0; st == CCG_OK && i < n_headers; i++)
			st = add_header(req, headers[i], &err);
		if (st == CCG_OK && buf != NULL)
			st = ccg_bhttp_msg_set_content(req, buf, len, &err);
		if (st != CCG_OK) {
			rc = cli_fail(CLI_EXIT_USAGE, "client: request", &err);
			goto out;
		}
	}

	if ((st = ccg_client_attest(c, now, &err)) != CCG_OK) {
		rc = cli_fail(attest_exit(st), "client: server refused", &err);
		goto out;
	}
	if (attest_only) {
		printf("%s\n", ccg_client_claims_json(c));
		fprintf(stderr, "ccgpu: client: %s attested (ear.status affirming, OHTTP key bound)\n", server);
		rc = CLI_EXIT_OK;
		goto out;
	}
	if ((st = ccg_client_request(c, req, &resp, &err)) != CCG_OK) {
		rc = cli_fail(st == CCG_ERR_NETWORK || st == CCG_ERR_TIMEOUT ? CLI_EXIT_USAGE : CLI_EXIT_REFUSED,
			      "client: request", &err);
		goto out;
	}
	content = ccg_bhttp_msg_content(resp, &cl);
	if (cl > 0 && fwrite(content, 1, cl, stdout) != cl) {
		fprintf(stderr, "ccgpu: client: writing the answer failed\n");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	fprintf(stderr, "ccgpu: client: HTTP %u (%zu bytes, through Oblivious HTTP)\n", ccg_bhttp_msg_status(resp), cl);
	rc = ccg_bhttp_msg_status(resp) < 400 ? CLI_EXIT_OK : CLI_EXIT_REFUSED;
out:
	if (buf != NULL)
		OPENSSL_cleanse(buf, len);
	free(buf);
	ccg_bhttp_msg_free(req);
	ccg_bhttp_msg_free(resp);
	ccg_client_free(c);
	return rc;
}
