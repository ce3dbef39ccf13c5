/* SPDX-License-Identifier: Apache-2.0 */
/* ccgpu-policy: write, check, test, sign and explain policies and contracts. */
#include <getopt.h>
#include <stdarg.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ccgpu/attest.h"
#include "ccgpu/policy.h"
#include "ccgpu/version.h"
#include "ccgpu/util.h"

enum { EXIT_ALLOW = 0, EXIT_DENY = 1, EXIT_USAGE = 2 };
#define CLI_MAX_INPUT (4u << 20)
#define CLI_MAX_PARTY_KEYS 64

static const char usage[] =
	"usage: ccgpu-policy <command> [options] [files]\n"
	"\n"
	"commands:\n"
	"  new ROLE            print a policy template (model-owner, data-owner, client, operator)\n"
	"  check FILE...       check policies; errors as FILE:LINE:COL: message\n"
	"  fmt FILE            print the canonical form (--write rewrites the file, --check only compares)\n"
	"  eval POLICY INPUT   allow or deny on claims or GPU evidence\n"
	"  explain POLICY INPUT  every rule's result and the claim values that decided it\n"
	"  test POLICY CASES   run a file of cases (claims or evidence + expected allow/deny)\n"
	"  sign FILE --key PEM sign a policy or a contract (detached signature document)\n"
	"  verify FILE SIG...  verify a policy's or contract's signatures (contracts: --party-key ID=PEM...)\n"
	"  release CONTRACT SIG... --party-key ID=PEM... --secret NAME INPUT\n"
	"                      may the contract release the secret on these claims?\n"
	"  diff OLD NEW        the semantic difference between two versions of a policy\n"
	"  import FILE         NVIDIA or Azure Secure Key Release JSON policy to the native language\n"
	"  version             print the version (also --version)\n"
	"\n"
	"INPUT: --claims FILE | --evidence FILE [--nonce HEX] | --report FILE --chain FILE --nonce HEX,\n"
	"       with --time TIME (default now) and --rim-dir DIR (default: reference values not checked);\n"
	"       without --nonce the evidence's own nonce is used and freshness is not checked (a warning says so).\n"
	"Run ccgpu-policy COMMAND --help for a command's options.\n"
	"Exit status: 0 allow / ok, 1 deny / check failed, 2 usage or input error.\n";

static const char *const cmd_help[][2] = {
	{"new",
	 "usage: ccgpu-policy new ROLE [--name NAME]\n"
	 "  ROLE: model-owner, data-owner, client or operator\n"
	 "  --name NAME   the policy's name (default: ROLE)\n"},
	{"check",
	 "usage: ccgpu-policy check FILE...\n"
	 "  parse and type-check each policy against the claims schema\n"},
	{"fmt",
	 "usage: ccgpu-policy fmt FILE [--write] [--check]\n"
	 "  --write   rewrite FILE in canonical form\n"
	 "  --check   exit 1 when FILE is not in canonical form\n"},
	{"eval",
	 "usage: ccgpu-policy eval POLICY (--claims FILE | --evidence FILE [--nonce HEX] |\n"
	 "                            --report FILE --chain FILE --nonce HEX) [--time TIME] [--rim-dir DIR]\n"
	 "  prints allow, or deny with the first failing rule\n"},
	{"explain",
	 "usage: ccgpu-policy explain POLICY (--claims FILE | --evidence FILE [--nonce HEX] |\n"
	 "                               --report FILE --chain FILE --nonce HEX) [--time TIME] [--rim-dir DIR]\n"},
	{"test",
	 "usage: ccgpu-policy test POLICY CASES.json [--time TIME]\n"
	 "  CASES.json: [{\"name\", \"claims\" | \"evidence\" [+ \"nonce\"], \"expect\": \"allow\"|\"deny\", \"rule\"}]\n"
	 "  paths are relative to the cases file\n"},
	{"sign",
	 "usage: ccgpu-policy sign FILE --key PEM [--party ID] [--output FILE]\n"
	 "  a contract is signed as party ID; a policy in its canonical form\n"},
	{"verify",
	 "usage: ccgpu-policy verify FILE SIG... [--party-key ID=PEM]... [--pub PEM] [--time TIME]\n"
	 "  contract: in force when its threshold of parties signed this version with their\n"
	 "            registered keys, one --party-key per party (keys in the contract do not count)\n"
	 "  policy: --pub is the signer's public key\n"},
	{"release",
	 "usage: ccgpu-policy release CONTRACT SIG... --party-key ID=PEM... --secret NAME\n"
	 "                             (--claims FILE | --evidence FILE [--nonce HEX] |\n"
	 "                              --report FILE --chain FILE --nonce HEX) [--time TIME] [--rim-dir DIR]\n"
	 "  allow when the contract is in force, the secret's owner and every party it requires\n"
	 "  signed this version with their registered keys, and the reference values and those\n"
	 "  parties' policies hold on the claims\n"},
	{"diff",
	 "usage: ccgpu-policy diff OLD NEW\n"
	 "  rules added, removed or changed (formatting and comments ignored); exit 1 when they differ\n"},
	{"import",
	 "usage: ccgpu-policy import FILE [--name NAME]\n"
	 "  NVIDIA relying-party policy JSON or Azure Secure Key Release policy JSON\n"},
};

struct opts {
	const char *claims, *evidence, *report, *chain, *nonce, *time, *rim_dir, *key, *party, *output, *pub, *name;
	const char *secret;
	const char *party_keys[CLI_MAX_PARTY_KEYS]; /* "ID=PEM" */
	int nparty_keys;
	bool write, check;
	int64_t now;
	char **args;
	int nargs;
};

static int fail(int code, const char *what, const struct ccg_error *err)
{
	fprintf(stderr, "ccgpu-policy: %s: %s: %s\n", what, err->where, err->detail);
	return code;
}

static int failf(int code, const char *fmt, ...) CCG_PRINTF(2, 3);
static int failf(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("ccgpu-policy: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static int parse_opts(int argc, char **argv, const char *help, struct opts *o)
{
	static const struct option longopts[] = {{"claims", required_argument, NULL, 'c'},
						 {"evidence", required_argument, NULL, 'e'},
						 {"report", required_argument, NULL, 'r'},
						 {"chain", required_argument, NULL, 'C'},
						 {"nonce", required_argument, NULL, 'n'},
						 {"time", required_argument, NULL, 't'},
						 {"rim-dir", required_argument, NULL, 'R'},
						 {"key", required_argument, NULL, 'k'},
						 {"party", required_argument, NULL, 'p'},
						 {"output", required_argument, NULL, 'o'},
						 {"pub", required_argument, NULL, 'P'},
						 {"name", required_argument, NULL, 'N'},
						 {"write", no_argument, NULL, 'w'},
						 {"check", no_argument, NULL, 'K'},
						 {"party-key", required_argument, NULL, 'Y'},
						 {"secret", required_argument, NULL, 'S'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:w", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->claims = optarg; break;
		case 'e': o->evidence = optarg; break;
		case 'r': o->report = optarg; break;
		case 'C': o->chain = optarg; break;
		case 'n': o->nonce = optarg; break;
		case 't': o->time = optarg; break;
		case 'R': o->rim_dir = optarg; break;
		case 'k': o->key = optarg; break;
		case 'p': o->party = optarg; break;
		case 'o': o->output = optarg; break;
		case 'P': o->pub = optarg; break;
		case 'N': o->name = optarg; break;
		case 'w': o->write = true; break;
		case 'K': o->check = true; break;
		case 'S': o->secret = optarg; break;
		case 'Y':
			if (o->nparty_keys == CLI_MAX_PARTY_KEYS)
				return failf(EXIT_USAGE, "--party-key: at most %d", CLI_MAX_PARTY_KEYS);
			o->party_keys[o->nparty_keys++] = optarg;
			break;
		case 'h': fputs(help, stdout); return -1;
		default: fputs(help, stderr); return EXIT_USAGE;
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	o->now = (int64_t)time(NULL);
	if (o->time != NULL && ccg_time_parse_iso(o->time, &o->now) != CCG_OK)
		return failf(EXIT_USAGE, "--time: '%s' is not YYYY-MM-DDTHH:MM:SSZ or Unix seconds", o->time);
	return 0;
}

static int read_file(const char *path, char **out, size_t *len)
{
	struct ccg_error err;

	ccg_error_clear(&err);
	if (ccg_file_read(path, CLI_MAX_INPUT, (uint8_t **)out, len, &err) != CCG_OK)
		return fail(EXIT_USAGE, path, &err);
	return 0;
}

static int load_policy(const char *path, struct ccg_policy **out)
{
	char *src = NULL;
	size_t len = 0;
	struct ccg_error err;
	int rc;

	if ((rc = read_file(path, &src, &len)) != 0)
		return rc;
	ccg_error_clear(&err);
	if (ccg_policy_parse(src, len, out, &err) != CCG_OK) {
		fprintf(stderr, "%s:%s: %s\n", path, err.where, err.detail);
		free(src);
		return EXIT_DENY;
	}
	free(src);
	return 0;
}

/* claims JSON text from --claims, or from evidence appraised offline through the attest API */
static int claims_text(const struct opts *o, const char *base, char **out)
{
	struct ccg_gpu_verifier *v = NULL;
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_gpu_result *r = NULL;
	struct ccg_error err;
	uint8_t nonce[CCG_GPU_NONCE_LEN];
	char path[4096], path2[4096];
	uint8_t *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	int rc = EXIT_USAGE;

	*out = NULL;
	ccg_error_clear(&err);
#define RESOLVE(dst, p) \
	snprintf(dst, sizeof(dst), "%s%s%s", (base && (p)[0] != '/') ? base : "", (base && (p)[0] != '/') ? "/" : "", p)
	if (o->claims != NULL) {
		size_t n;

		RESOLVE(path, o->claims);
		return read_file(path, out, &n);
	}
	if (o->evidence == NULL && (o->report == NULL || o->chain == NULL))
		return failf(EXIT_USAGE,
			     "give --claims FILE, --evidence FILE or --report FILE --chain FILE --nonce HEX");
	if (ccg_gpu_verifier_new(&v) != CCG_OK || ccg_gpu_evidence_new(&ev) != CCG_OK)
		goto out;
	ccg_gpu_verifier_set_offline(v, true);
	if (o->rim_dir != NULL) {
		if (ccg_gpu_verifier_set_rims(v, o->rim_dir, NULL, &err) != CCG_OK) {
			rc = fail(EXIT_USAGE, "--rim-dir", &err);
			goto out;
		}
	} else {
		ccg_gpu_verifier_skip_rims(v, true);
	}
	if (ccg_gpu_verifier_set_ocsp(v, CCG_GPU_OCSP_OFF, NULL, 0, &err) != CCG_OK)
		goto out;
	if (o->evidence != NULL) {
		RESOLVE(path, o->evidence);
		if (ccg_file_read(path, CLI_MAX_INPUT, &a, &alen, &err) != CCG_OK ||
		    ccg_gpu_evidence_add_json(ev, a, alen, &err) != CCG_OK) {
			rc = fail(EXIT_USAGE, path, &err);
			goto out;
		}
	} else {
		uint8_t *bin = NULL;
		size_t binlen = 0;

		RESOLVE(path, o->report);
		RESOLVE(path2, o->chain);
		if (ccg_file_read(path, CLI_MAX_INPUT, &a, &alen, &err) != CCG_OK ||
		    ccg_file_read(path2, CLI_MAX_INPUT, &b, &blen, &err) != CCG_OK) {
			rc = fail(EXIT_USAGE, "evidence", &err);
			goto out;
		}
		if (ccg_hex_decode((const char *)a, alen, CLI_MAX_INPUT, &bin, &binlen) == CCG_OK) {
			free(a);
			a = bin;
			alen = binlen;
		}
		if (ccg_gpu_evidence_add_report(ev, "HOPPER", a, alen, b, blen, &err) != CCG_OK) {
			rc = fail(EXIT_USAGE, path, &err);
			goto out;
		}
	}
	if (o->nonce != NULL) {
		if (ccg_hex_decode_fixed(o->nonce, strlen(o->nonce), nonce, sizeof(nonce)) != CCG_OK) {
			rc = failf(EXIT_USAGE, "--nonce: need 64 hex digits");
			goto out;
		}
	} else if (!ccg_gpu_evidence_nonce(ev, nonce)) {
		rc = failf(EXIT_USAGE, "--nonce is needed with a raw report");
		goto out;
	}
	/* a failed appraisal still yields claims: the policy decides */
	{
		/* without --nonce the library takes the evidence's own and claims freshness as skipped */
		enum ccg_status ast = ccg_gpu_verifier_appraise(v, ev, o->nonce != NULL ? nonce : NULL, sizeof(nonce),
								o->now, &r, NULL);

		(void)ast;
		if (o->nonce == NULL && r != NULL)
			fprintf(stderr,
				"ccgpu-policy: warning: no --nonce: the nonce in %s was used, so nothing proves "
				"the evidence fresh (ccgpu-checks-skipped: freshness)\n",
				path);
	}
	if (r == NULL || (*out = ccg_gpu_result_claims_json(r, 2)) == NULL) {
		rc = failf(EXIT_USAGE, "the evidence could not be appraised");
		goto out;
	}
	rc = 0;
out:
#undef RESOLVE
	free(a);
	free(b);
	ccg_gpu_result_free(r);
	ccg_gpu_evidence_free(ev);
	ccg_gpu_verifier_free(v);
	return rc;
}

static int load_claims(const struct opts *o, const char *base, struct ccg_claims **out)
{
	char *text = NULL;
	struct ccg_error err;
	int rc;

	if ((rc = claims_text(o, base, &text)) != 0)
		return rc;
	ccg_error_clear(&err);
	if (ccg_claims_from_json(text, strlen(text), out, &err) != CCG_OK)
		rc = fail(EXIT_USAGE, "claims", &err);
	free(text);
	return rc;
}

static int cmd_eval(const struct opts *o, bool explain)
{
	struct ccg_policy *p = NULL;
	struct ccg_claims *c = NULL;
	struct ccg_rule_result *res = NULL;
	struct ccg_error err;
	enum ccg_status st;
	int rc;

	if (o->nargs != 1)
		return failf(EXIT_USAGE, "%s: give one policy file", explain ? "explain" : "eval");
	if ((rc = load_policy(o->args[0], &p)) != 0)
		return rc == EXIT_DENY ? EXIT_USAGE : rc;
	if ((rc = load_claims(o, NULL, &c)) != 0)
		goto out;
	res = calloc(ccg_policy_rule_count(p), sizeof(*res));
	if (res == NULL) {
		rc = EXIT_USAGE;
		goto out;
	}
	ccg_error_clear(&err);
	st = ccg_policy_eval(p, c, o->now, res, ccg_policy_rule_count(p), &err);
	if (explain) {
		for (size_t i = 0; i < ccg_policy_rule_count(p); i++)
			printf("%s %s: %s\n     %s\n", res[i].passed ? "PASS" : "FAIL", res[i].name, res[i].message,
			       res[i].detail);
	}
	if (st == CCG_OK) {
		printf("allow\n");
		rc = EXIT_ALLOW;
	} else {
		printf("deny\n");
		fprintf(stderr, "ccgpu-policy: deny: rule %s: %s\n", err.where, err.detail);
		rc = EXIT_DENY;
	}
out:
	free(res);
	ccg_claims_free(c);
	ccg_policy_free(p);
	return rc;
}

static const char *template_for(const char *role)
{
	if (strcmp(role, "model-owner") == 0)
		return "# The model owner releases the model key only to genuine GPUs in CC mode\n"
		       "# running a recent driver, with the device chain valid and not expiring.\n"
		       "policy \"%s\" version 1\n\n"
		       "rule overall \"GPU attestation must pass\" {\n  x-nvidia-overall-att-result\n}\n\n"
		       "rule gpus \"every GPU must be genuine and measured\" {\n  every gpu (\n"
		       "    x-nvidia-gpu-attestation-report-signature-verified\n"
		       "    and x-nvidia-gpu-attestation-report-nonce-match\n"
		       "    and x-nvidia-gpu-attestation-report-cert-chain-fwid-match\n"
		       "    and x-nvidia-gpu-attestation-report-cert-chain.x-nvidia-cert-status == \"valid\"\n"
		       "    and measres == \"success\"\n  )\n}\n\n"
		       "rule driver \"every GPU driver must be at least 550.54.15\" {\n"
		       "  every gpu (x-nvidia-gpu-driver-version >= \"550.54.15\")\n}\n";
	if (strcmp(role, "data-owner") == 0)
		return "# A data owner releases a dataset key to attested GPUs inside a non-debug CVM.\n"
		       "policy \"%s\" version 1\n\n"
		       "rule gpus \"every GPU must pass attestation\" {\n  every gpu (ccgpu-result and measres == \"success\")\n}\n\n"
		       "rule cpu \"the CPU TEE must be SEV-SNP or TDX without debug\" {\n"
		       "  ccgpu-cpu-tee in {\"snp\", \"azure-snp-vtpm\"} and snp-debug-allowed == false\n"
		       "  or ccgpu-cpu-tee == \"tdx\" and tdx-debug == false\n}\n";
	if (strcmp(role, "client") == 0)
		return "# A client sends prompts only to a service whose GPUs all passed attestation.\n"
		       "policy \"%s\" version 1\n\n"
		       "rule overall \"GPU attestation must pass\" {\n  x-nvidia-overall-att-result\n}\n\n"
		       "rule count \"at least one GPU\" {\n  ccgpu-gpu-count >= 1\n}\n";
	if (strcmp(role, "operator") == 0)
		return "# The operator checks that its machines report healthy attestation claims.\n"
		       "policy \"%s\" version 1\n\n"
		       "rule gpus \"every GPU's report parses and is signed\" {\n"
		       "  every gpu (x-nvidia-gpu-attestation-report-parsed and x-nvidia-gpu-attestation-report-signature-verified)\n}\n";
	return NULL;
}

static int cmd_new(const struct opts *o)
{
	const char *t;

	if (o->nargs != 1 || (t = template_for(o->args[0])) == NULL)
		return failf(EXIT_USAGE, "new: give a role: model-owner, data-owner, client or operator");
	{
		const char *name = o->name != NULL ? o->name : o->args[0], *at = strstr(t, "%s");

		if (strpbrk(name, "\"\\\n") != NULL)
			return failf(EXIT_USAGE, "new: --name must not hold quotes, backslashes or newlines");
		printf("%.*s%s%s", (int)(at - t), t, name, at + 2);
	}
	return 0;
}

static int cmd_check(const struct opts *o)
{
	int rc = 0;

	if (o->nargs < 1)
		return failf(EXIT_USAGE, "check: give policy files");
	for (int i = 0; i < o->nargs; i++) {
		struct ccg_policy *p = NULL;
		int r = load_policy(o->args[i], &p);

		if (r == 0)
			printf("%s: ok (%zu rules)\n", o->args[i], ccg_policy_rule_count(p));
		if (r > rc)
			rc = r;
		ccg_policy_free(p);
	}
	return rc;
}

static int cmd_fmt(const struct opts *o)
{
	struct ccg_policy *p = NULL;
	char *src = NULL, *out = NULL;
	size_t len = 0;
	struct ccg_error err;
	int rc;

	if (o->nargs != 1)
		return failf(EXIT_USAGE, "fmt: give one policy file");
	if ((rc = read_file(o->args[0], &src, &len)) != 0)
		return rc;
	if ((rc = load_policy(o->args[0], &p)) != 0)
		goto out;
	if ((out = ccg_policy_format(p)) == NULL) {
		rc = failf(EXIT_USAGE, "fmt: out of memory");
		goto out;
	}
	if (o->check) {
		rc = strlen(out) == len && memcmp(out, src, len) == 0
			     ? 0
			     : failf(EXIT_DENY, "%s: not in canonical form", o->args[0]);
	} else if (o->write) {
		ccg_error_clear(&err);
		if (ccg_file_write_atomic(o->args[0], (const uint8_t *)out, strlen(out), &err) != CCG_OK)
			rc = fail(EXIT_USAGE, o->args[0], &err);
	} else {
		fputs(out, stdout);
	}
out:
	free(out);
	free(src);
	ccg_policy_free(p);
	return rc;
}

static int cmd_test(const struct opts *o)
{
	struct ccg_policy *p = NULL;
	char *text = NULL, *dir = NULL;
	size_t len = 0, i;
	json_t *cases = NULL, *cs;
	json_error_t je;
	struct ccg_error err;
	int rc, failed = 0, n = 0;

	if (o->nargs != 2)
		return failf(EXIT_USAGE, "test: give a policy and a cases file");
	if ((rc = load_policy(o->args[0], &p)) != 0)
		return rc == EXIT_DENY ? EXIT_USAGE : rc;
	if ((rc = read_file(o->args[1], &text, &len)) != 0)
		goto out;
	ccg_error_clear(&err);
	if ((cases = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) == NULL)
		ccg_error_set(&err, CCG_ERR_ENCODING, o->args[1], "JSON line %d column %d: %s", je.line, je.column,
			      je.text);
	if (cases == NULL || !json_is_array(cases)) {
		rc = err.status != CCG_OK ? fail(EXIT_USAGE, o->args[1], &err)
					  : failf(EXIT_USAGE, "%s: not a list of cases", o->args[1]);
		goto out;
	}
	dir = strdup(o->args[1]);
	if (dir == NULL) {
		rc = EXIT_USAGE;
		goto out;
	}
	printf("1..%zu\n", json_array_size(cases));
	json_array_foreach(cases, i, cs) {
		struct opts co = *o;
		struct ccg_claims *c = NULL;
		const char *name = json_string_value(json_object_get(cs, "name"));
		const char *expect = json_string_value(json_object_get(cs, "expect"));
		const char *rule = json_string_value(json_object_get(cs, "rule"));
		bool ok;
		enum ccg_status st;

		co.claims = json_string_value(json_object_get(cs, "claims"));
		co.evidence = json_string_value(json_object_get(cs, "evidence"));
		co.nonce = json_string_value(json_object_get(cs, "nonce"));
		co.report = co.chain = NULL;
		n++;
		if (expect == NULL || (strcmp(expect, "allow") != 0 && strcmp(expect, "deny") != 0)) {
			printf("not ok %d - %s: expect must be allow or deny\n", n, name ? name : "?");
			failed++;
			continue;
		}
		if (load_claims(&co, dirname(dir), &c) != 0) {
			printf("not ok %d - %s: no claims\n", n, name ? name : "?");
			failed++;
			strcpy(dir, o->args[1]);
			continue;
		}
		strcpy(dir, o->args[1]);
		ccg_error_clear(&err);
		st = ccg_policy_eval(p, c, o->now, NULL, 0, &err);
		ok = (st == CCG_OK) == (strcmp(expect, "allow") == 0) && (rule == NULL || strcmp(rule, err.where) == 0);
		printf("%s %d - %s: %s%s%s\n", ok ? "ok" : "not ok", n, name ? name : "?",
		       st == CCG_OK ? "allow" : "deny", st == CCG_OK ? "" : " by rule ", st == CCG_OK ? "" : err.where);
		failed += !ok;
		ccg_claims_free(c);
	}
	rc = failed ? EXIT_DENY : 0;
out:
	free(dir);
	json_decref(cases);
	free(text);
	ccg_policy_free(p);
	return rc;
}

static bool is_contract(const char *text, size_t len)
{
	json_t *j = json_loadb(text, len, 0, NULL);
	bool yes = json_object_get(j, "ccgpu-contract") != NULL;

	json_decref(j);
	return yes;
}

static int policy_digest(const char *path, char **canon, char hex[2 * CCG_SHA384_LEN + 1])
{
	struct ccg_policy *p = NULL;
	uint8_t h[CCG_SHA384_LEN];
	int rc;

	if ((rc = load_policy(path, &p)) != 0)
		return rc == EXIT_DENY ? EXIT_USAGE : rc;
	*canon = ccg_policy_format(p);
	ccg_policy_free(p);
	if (*canon == NULL || ccg_sha384((const uint8_t *)*canon, strlen(*canon), h) != CCG_OK)
		return failf(EXIT_USAGE, "out of memory");
	ccg_hex_encode(h, sizeof(h), hex);
	return 0;
}

static int write_out(const struct opts *o, const char *text)
{
	struct ccg_error err;

	if (o->output == NULL) {
		fputs(text, stdout);
		if (text[0] == '\0' || text[strlen(text) - 1] != '\n')
			fputc('\n', stdout);
		return 0;
	}
	ccg_error_clear(&err);
	if (ccg_file_write_atomic(o->output, (const uint8_t *)text, strlen(text), &err) != CCG_OK)
		return fail(EXIT_USAGE, o->output, &err);
	return 0;
}

static int cmd_sign(const struct opts *o)
{
	char *text = NULL, *key = NULL, *sigdoc = NULL, *canon = NULL;
	size_t len = 0, klen = 0;
	struct ccg_error err;
	int rc;

	if (o->nargs != 1 || o->key == NULL)
		return failf(EXIT_USAGE, "sign: give a file and --key PEM");
	if ((rc = read_file(o->args[0], &text, &len)) != 0 || (rc = read_file(o->key, &key, &klen)) != 0)
		goto out;
	ccg_error_clear(&err);
	if (is_contract(text, len)) {
		struct ccg_contract *c = NULL;

		if (o->party == NULL) {
			rc = failf(EXIT_USAGE, "sign: a contract is signed by a party: give --party ID");
			goto out;
		}
		if (ccg_contract_parse((const uint8_t *)text, len, &c, &err) != CCG_OK ||
		    ccg_contract_sign(c, o->party, (const uint8_t *)key, klen, &sigdoc, &err) != CCG_OK) {
			ccg_contract_free(c);
			rc = fail(EXIT_USAGE, o->args[0], &err);
			goto out;
		}
		ccg_contract_free(c);
	} else {
		char hex[2 * CCG_SHA384_LEN + 1];
		struct ccg_sign_key *pk = NULL;
		uint8_t *sig = NULL;
		size_t sig_len = 0;
		char *b64;
		json_t *doc;

		if ((rc = policy_digest(o->args[0], &canon, hex)) != 0)
			goto out;
		if (ccg_sign_key_parse((const uint8_t *)key, klen, true, o->key, &pk, &err) != CCG_OK ||
		    ccg_policy_sign(pk, canon, strlen(canon), &sig, &sig_len, &err) != CCG_OK) {
			ccg_sign_key_free(pk);
			rc = fail(EXIT_USAGE, o->args[0], &err);
			goto out;
		}
		b64 = ccg_base64_encode_alloc(sig, sig_len);
		free(sig);
		doc = json_pack("{s:i,s:s,s:s,s:s}", "ccgpu-signature", 1, "policy", hex, "alg", ccg_sign_key_alg(pk),
				"signature", b64 ? b64 : "");
		ccg_sign_key_free(pk);
		free(b64);
		sigdoc = doc != NULL ? json_dumps(doc, JSON_SORT_KEYS | JSON_INDENT(2)) : NULL;
		json_decref(doc);
	}
	rc = sigdoc != NULL ? write_out(o, sigdoc) : failf(EXIT_USAGE, "out of memory");
out:
	free(canon);
	free(sigdoc);
	free(key);
	free(text);
	return rc;
}

/* the registered keys from --party-key ID=PEM (the parties' own keys, not the contract's) */
static int load_party_keys(const struct opts *o, struct ccg_party_keys **out)
{
	struct ccg_party_keys *k = ccg_party_keys_new();
	struct ccg_error err;
	int rc = 0;

	*out = NULL;
	if (k == NULL)
		return failf(EXIT_USAGE, "out of memory");
	if (o->nparty_keys == 0) {
		ccg_party_keys_free(k);
		return failf(EXIT_USAGE,
			     "a contract needs --party-key ID=PEM for each party whose signature counts "
			     "(the keys in the contract prove nothing)");
	}
	for (int i = 0; i < o->nparty_keys && rc == 0; i++) {
		const char *eq = strchr(o->party_keys[i], '=');
		char id[65], *pem = NULL;
		size_t plen = 0;

		if (eq == NULL || eq == o->party_keys[i] || (size_t)(eq - o->party_keys[i]) >= sizeof(id)) {
			rc = failf(EXIT_USAGE, "--party-key '%s': give ID=PEM with an ID of 1 to 64 bytes",
				   o->party_keys[i]);
			break;
		}
		memcpy(id, o->party_keys[i], (size_t)(eq - o->party_keys[i]));
		id[eq - o->party_keys[i]] = '\0';
		if ((rc = read_file(eq + 1, &pem, &plen)) != 0)
			break;
		ccg_error_clear(&err);
		if (ccg_party_keys_add(k, id, (const uint8_t *)pem, plen, &err) != CCG_OK)
			rc = fail(EXIT_USAGE, eq + 1, &err);
		free(pem);
	}
	if (rc != 0) {
		ccg_party_keys_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

/* verify (in force) or release (a secret on claims) of a contract and its signature documents */
static int contract_check(const struct opts *o, const char *text, size_t len, bool release)
{
	struct ccg_contract *c = NULL;
	struct ccg_party_keys *keys = NULL;
	struct ccg_claims *cl = NULL;
	struct ccg_error err;
	char *claims = NULL;
	int rc;

	ccg_error_clear(&err);
	if (release && o->secret == NULL)
		return failf(EXIT_USAGE, "release: give --secret NAME");
	if ((rc = load_party_keys(o, &keys)) != 0)
		return rc;
	if (ccg_contract_parse((const uint8_t *)text, len, &c, &err) != CCG_OK) {
		rc = fail(EXIT_USAGE, o->args[0], &err);
		goto out;
	}
	for (int i = 1; i < o->nargs && rc == 0; i++) {
		char *sig = NULL;
		size_t slen = 0;

		if ((rc = read_file(o->args[i], &sig, &slen)) != 0)
			break;
		ccg_error_clear(&err);
		if (ccg_contract_add_signature(c, (const uint8_t *)sig, slen, &err) != CCG_OK)
			rc = fail(EXIT_DENY, o->args[i], &err);
		free(sig);
	}
	if (rc != 0)
		goto out;
	ccg_error_clear(&err);
	if (!release) {
		if (ccg_contract_in_force(c, keys, o->now, &err) != CCG_OK) {
			rc = fail(EXIT_DENY, o->args[0], &err);
			goto out;
		}
		printf("contract %s in force\n", ccg_contract_id(c));
		goto out;
	}
	if ((rc = claims_text(o, NULL, &claims)) != 0)
		goto out;
	if (ccg_claims_from_json(claims, strlen(claims), &cl, &err) != CCG_OK) {
		rc = fail(EXIT_USAGE, "claims", &err);
		goto out;
	}
	if (ccg_contract_release(c, keys, o->secret, cl, o->now, &err) != CCG_OK) {
		printf("deny %s: %s: %s\n", o->secret, err.where, err.detail);
		rc = EXIT_DENY;
		goto out;
	}
	printf("allow %s (contract %s)\n", o->secret, ccg_contract_id(c));
out:
	ccg_claims_free(cl);
	free(claims);
	ccg_contract_free(c);
	ccg_party_keys_free(keys);
	return rc;
}

static int cmd_release(const struct opts *o)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (o->nargs < 1)
		return failf(EXIT_USAGE, "release: give a contract and its signature documents");
	if ((rc = read_file(o->args[0], &text, &len)) != 0)
		return rc;
	if (!is_contract(text, len))
		rc = failf(EXIT_USAGE, "%s: not a contract", o->args[0]);
	else
		rc = contract_check(o, text, len, true);
	free(text);
	return rc;
}

static int cmd_verify(const struct opts *o)
{
	char *text = NULL, *canon = NULL;
	size_t len = 0;
	struct ccg_error err;
	int rc;

	if (o->nargs < 2)
		return failf(EXIT_USAGE, "verify: give a file and its signature documents");
	if ((rc = read_file(o->args[0], &text, &len)) != 0)
		return rc;
	ccg_error_clear(&err);
	if (is_contract(text, len)) {
		rc = contract_check(o, text, len, false);
	} else {
		char hex[2 * CCG_SHA384_LEN + 1], *key = NULL, *sig = NULL;
		size_t klen = 0, slen = 0, rawlen = 0;
		struct ccg_sign_key *pk = NULL;
		const char *b64, *h, *salg;
		uint8_t *raw = NULL;
		json_t *doc = NULL;

		if (o->pub == NULL || o->nargs != 2) {
			rc = failf(EXIT_USAGE, "verify: a policy needs --pub PEM and one signature");
			goto out;
		}
		if ((rc = policy_digest(o->args[0], &canon, hex)) != 0 || (rc = read_file(o->pub, &key, &klen)) != 0 ||
		    (rc = read_file(o->args[1], &sig, &slen)) != 0)
			goto pout;
		rc = EXIT_DENY;
		if (ccg_sign_key_parse((const uint8_t *)key, klen, false, o->pub, &pk, &err) != CCG_OK) {
			rc = fail(EXIT_USAGE, o->pub, &err);
			goto pout;
		}
		if (slen > 8192 || (doc = json_loadb(sig, slen, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
		    (h = json_string_value(json_object_get(doc, "policy"))) == NULL ||
		    (b64 = json_string_value(json_object_get(doc, "signature"))) == NULL ||
		    (salg = json_string_value(json_object_get(doc, "alg"))) == NULL) {
			rc = failf(EXIT_DENY, "%s: not a policy signature document", o->args[1]);
			goto pout;
		}
		if (strcmp(h, hex) != 0 || strcmp(salg, ccg_sign_key_alg(pk)) != 0) {
			rc = failf(EXIT_DENY, "%s: signs another policy version or another key type", o->args[1]);
			goto pout;
		}
		if (ccg_base64_decode(b64, strlen(b64), 512, &raw, &rawlen) != CCG_OK ||
		    ccg_policy_signature_verify(pk, canon, strlen(canon), raw, rawlen, o->args[1], &err) != CCG_OK) {
			if (err.status == CCG_OK)
				ccg_error_set(&err, CCG_ERR_SIGNATURE, o->args[1], "signature is not base64");
			rc = fail(EXIT_DENY, o->args[0], &err);
			goto pout;
		}
		printf("policy %s signature valid\n", hex);
		rc = 0;
pout:
		free(raw);
		json_decref(doc);
		ccg_sign_key_free(pk);
		free(key);
		free(sig);
	}
out:
	free(canon);
	free(text);
	return rc;
}

static int cmd_diff(const struct opts *o)
{
	struct ccg_policy *a = NULL, *b = NULL;
	size_t na, nb;
	int rc, changes = 0;

	if (o->nargs != 2)
		return failf(EXIT_USAGE, "diff: give two policy files");
	if ((rc = load_policy(o->args[0], &a)) != 0 || (rc = load_policy(o->args[1], &b)) != 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	na = ccg_policy_rule_count(a);
	nb = ccg_policy_rule_count(b);
	if (strcmp(ccg_policy_name(a), ccg_policy_name(b)) != 0 || ccg_policy_version(a) != ccg_policy_version(b)) {
		printf("~ policy \"%s\" version %lld -> \"%s\" version %lld\n", ccg_policy_name(a),
		       (long long)ccg_policy_version(a), ccg_policy_name(b), (long long)ccg_policy_version(b));
		changes++;
	}
	for (size_t i = 0; i < na; i++) {
		const char *name = ccg_policy_rule_name(a, i);
		size_t j;

		for (j = 0; j < nb && strcmp(name, ccg_policy_rule_name(b, j)) != 0; j++)
			;
		if (j == nb) {
			printf("- rule %s\n", name);
			changes++;
			continue;
		}
		{
			char *ea = ccg_policy_rule_format(a, i), *eb = ccg_policy_rule_format(b, j);
			const char *ma = ccg_policy_rule_message(a, i), *mb = ccg_policy_rule_message(b, j);

			if (ea == NULL || eb == NULL || strcmp(ea, eb) != 0) {
				printf("~ rule %s:\n    - %s\n    + %s\n", name, ea ? ea : "?", eb ? eb : "?");
				changes++;
			}
			if (strcmp(ma, mb) != 0) {
				printf("~ rule %s message: \"%s\" -> \"%s\"\n", name, ma, mb);
				changes++;
			}
			free(ea);
			free(eb);
		}
	}
	for (size_t j = 0; j < nb; j++) {
		const char *name = ccg_policy_rule_name(b, j);
		size_t i;

		for (i = 0; i < na && strcmp(ccg_policy_rule_name(a, i), name) != 0; i++)
			;
		if (i == na) {
			char *e = ccg_policy_rule_format(b, j);

			printf("+ rule %s: %s\n", name, e ? e : "?");
			free(e);
			changes++;
		}
	}
	rc = changes ? EXIT_DENY : 0;
	if (!changes)
		printf("no semantic difference\n");
out:
	ccg_policy_free(a);
	ccg_policy_free(b);
	return rc;
}

static int cmd_import(const struct opts *o)
{
	char *text = NULL, *native = NULL, *canon = NULL;
	size_t len = 0;
	struct ccg_policy *p = NULL;
	struct ccg_error err;
	int rc;

	if (o->nargs != 1)
		return failf(EXIT_USAGE, "import: give one JSON policy file");
	if ((rc = read_file(o->args[0], &text, &len)) != 0)
		return rc;
	ccg_error_clear(&err);
	if (ccg_policy_import((const uint8_t *)text, len, o->name != NULL ? o->name : "imported", &native, &err) !=
		    CCG_OK ||
	    ccg_policy_parse(native, strlen(native), &p, &err) != CCG_OK) {
		rc = fail(EXIT_DENY, o->args[0], &err);
		goto out;
	}
	if ((canon = ccg_policy_format(p)) == NULL) {
		rc = failf(EXIT_USAGE, "out of memory");
		goto out;
	}
	rc = write_out(o, canon);
out:
	free(canon);
	ccg_policy_free(p);
	free(native);
	free(text);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	const char *help = NULL;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("ccgpu-policy %s\n", CCGPU_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmd_help) / sizeof(cmd_help[0]); i++)
		if (strcmp(argv[1], cmd_help[i][0]) == 0)
			help = cmd_help[i][1];
	if (help == NULL)
		return failf(EXIT_USAGE, "unknown command '%s' (see ccgpu-policy --help)", argv[1]);
	rc = parse_opts(argc - 1, argv + 1, help, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (strcmp(argv[1], "new") == 0)
		return cmd_new(&o);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(&o);
	if (strcmp(argv[1], "fmt") == 0)
		return cmd_fmt(&o);
	if (strcmp(argv[1], "eval") == 0 || strcmp(argv[1], "explain") == 0)
		return cmd_eval(&o, strcmp(argv[1], "explain") == 0);
	if (strcmp(argv[1], "test") == 0)
		return cmd_test(&o);
	if (strcmp(argv[1], "sign") == 0)
		return cmd_sign(&o);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(&o);
	if (strcmp(argv[1], "release") == 0)
		return cmd_release(&o);
	if (strcmp(argv[1], "diff") == 0)
		return cmd_diff(&o);
	return cmd_import(&o);
}
