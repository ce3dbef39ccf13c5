/* SPDX-License-Identifier: Apache-2.0 */
/* ccgpu-party: a party's commands against ccgpu-verifierd (see party.h and ccgpu-party(1)). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ccgpu/cpu.h"
#include "ccgpu/party.h"
#include "ccgpu/policy.h"
#include "ccgpu/util.h"
#include "ccgpu/version.h"
#include "cli.h"

#define FILE_MAX (1u << 20) /* a contract, a signature, a policy, a key */

static const char usage[] =
	"usage: ccgpu-party [options] COMMAND ARGS...\n"
	"\n"
	"commands:\n"
	"  contract push CONTRACT.json SIG.json...  register a contract version with its signatures\n"
	"  secret put CONTRACT.json SECRET FILE     seal FILE for the contract this party signed, to the\n"
	"                                           verifier's upload key, once it holds exactly that contract\n"
	"  suspend CONTRACT [SECRET]                suspend releases (this party's suspension); CONTRACT may be\n"
	"                                           the contract's file: then the verifier must hold exactly it\n"
	"  resume CONTRACT [SECRET]                 lift this party's suspension (CONTRACT as for suspend)\n"
	"  log verify                               check the whole release log against its signed head\n"
	"  log show [--from I] [--count N]          print log entries, each proven in the signed head\n"
	"\n"
	"options:\n"
	"  --verifier URL          the daemon: http://HOST:PORT, https://HOST:PORT or unix:/PATH\n"
	"  --party ID              this party's id in the contract (state-changing commands)\n"
	"  --key PEM               this party's private key (ECDSA P-384 or Ed25519)\n"
	"  --state DIR             where the last signed tree head of each verifier is kept\n"
	"                          (default $XDG_STATE_HOME/ccgpu/party or ~/.local/state/ccgpu/party)\n"
	"  --verifier-tpm-ak PEM   the TPM attestation key the verifier's evidence must be quoted with\n"
	"  --verifier-policy FILE  this party's policy on the verifier's CPU claims\n"
	"  --jwks-from-evidence    verify tree heads with keys.token of the appraised evidence (the default\n"
	"                          and only source: an operator-supplied JWKS is never used)\n"

	"  --from I, --count N     the entries log show prints (default: all, at most 256)\n"
	"  --time TIME             act as of TIME (YYYY-MM-DDTHH:MM:SSZ or Unix seconds; default now)\n"
	"  --timeout SECS          per request (default 30)\n"
	"  --help, --version\n"
	"\n"
	"Exit status: 0 done and every check held; 1 a check failed (the verifier's evidence,\n"
	"the log's consistency or an entry's proof); 2 usage or input error; 3 the verifier\n"
	"refused the request; 4 the verifier could not be reached or failed.\n";

enum {
	OPT_VERIFIER = 1000,
	OPT_PARTY,
	OPT_KEY,
	OPT_STATE,
	OPT_TPM_AK,
	OPT_POLICY,
	OPT_JWKS_EVIDENCE,
	OPT_FROM,
	OPT_COUNT,
	OPT_TIME,
	OPT_TIMEOUT,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option long_opts[] = {
	{"verifier", required_argument, NULL, OPT_VERIFIER},
	{"party", required_argument, NULL, OPT_PARTY},
	{"key", required_argument, NULL, OPT_KEY},
	{"state", required_argument, NULL, OPT_STATE},
	{"verifier-tpm-ak", required_argument, NULL, OPT_TPM_AK},
	{"verifier-policy", required_argument, NULL, OPT_POLICY},
	{"jwks-from-evidence", no_argument, NULL, OPT_JWKS_EVIDENCE},
	{"from", required_argument, NULL, OPT_FROM},
	{"count", required_argument, NULL, OPT_COUNT},
	{"time", required_argument, NULL, OPT_TIME},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

struct opts {
	const char *verifier, *party, *key, *state, *tpm_ak, *policy, *time_s;
	int64_t from, count, timeout;
	bool from_set, count_set;
};

/* one call's context: the verifier, the keys its evidence vouched for, the kept head */
struct call {
	struct opts o;
	struct ccg_party_verifier v;
	char state_dir[2048];
	int64_t now;
	uint8_t *key_pem;
	size_t key_len;
	json_t *jwks, *upload_jwk;
	struct ccg_party_head kept, head;
};

static int usage_error(const char *fmt, ...) CCG_PRINTF(1, 2);

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ccgpu-party: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see ccgpu-party --help)\n", stderr);
	return PARTY_EXIT_USAGE;
}

static int fail(const char *what, const struct ccg_error *err)
{
	char buf[CCG_ERROR_WHERE_MAX + CCG_ERROR_DETAIL_MAX + 64];

	fprintf(stderr, "ccgpu-party: %s: %s\n", what, ccg_error_format(err, buf, sizeof(buf)));
	return party_exit_for(err);
}

static bool parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end = NULL;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* the default --state: $XDG_STATE_HOME/ccgpu/party or $HOME/.local/state/ccgpu/party */
static bool default_state(char *out, size_t cap)
{
	const char *x = getenv("XDG_STATE_HOME"), *h = getenv("HOME");

	if (x != NULL && x[0] == '/')
		return snprintf(out, cap, "%s/ccgpu/party", x) < (int)cap;
	if (h != NULL && h[0] == '/')
		return snprintf(out, cap, "%s/.local/state/ccgpu/party", h) < (int)cap;
	return false;
}

static void call_cleanup(struct call *c)
{
	if (c->key_pem != NULL) {
		OPENSSL_cleanse(c->key_pem, c->key_len);
		free(c->key_pem);
	}
	json_decref(c->jwks);
	json_decref(c->upload_jwk);
	ccg_party_head_cleanup(&c->kept);
	ccg_party_head_cleanup(&c->head);
}

/*
 * The verifier's own evidence over a fresh nonce, appraised by this party:
 * the TPM AK it gave, its policy on the CPU claims (vtee's ccg_vevidence_check).
 */
static enum ccg_status appraise_verifier(struct call *c, struct ccg_error *err)
{
	struct ccg_cpu_verifier *cv = NULL;
	struct ccg_policy *pol = NULL;
	struct ccg_party_answer r = {0};
	struct ccg_error inner;
	uint8_t nonce[32], *text = NULL;
	char hex[65], target[128];
	json_t *token = NULL;
	size_t len = 0;
	enum ccg_status st;

	ccg_error_clear(&inner);
	if ((st = ccg_cpu_verifier_new(&cv)) != CCG_OK) {
		st = ccg_error_set(err, st, "party.evidence", "out of memory");
		goto out;
	}
	if (c->o.tpm_ak != NULL) {
		if ((st = ccg_file_read(c->o.tpm_ak, FILE_MAX, &text, &len, &inner)) != CCG_OK ||
		    (st = ccg_cpu_verifier_set_tpm_ak(cv, text, len, &inner)) != CCG_OK) {
			st = ccg_error_set(err, st, "party.input", "--verifier-tpm-ak %s: %s: %s", c->o.tpm_ak,
					   inner.where, inner.detail);
			goto out;
		}
		free(text);
		text = NULL;
	}
	if (c->o.policy != NULL) {
		if ((st = ccg_file_read(c->o.policy, FILE_MAX, &text, &len, &inner)) != CCG_OK ||
		    (st = ccg_policy_parse((const char *)text, len, &pol, &inner)) != CCG_OK) {
			st = ccg_error_set(err, st, "party.input", "--verifier-policy %s: %s: %s", c->o.policy,
					   inner.where, inner.detail);
			goto out;
		}
	}
	if ((st = ccg_nonce_random(nonce, sizeof(nonce))) != CCG_OK) {
		st = ccg_error_set(err, st, "party.evidence", "no random nonce");
		goto out;
	}
	ccg_hex_encode(nonce, sizeof(nonce), hex);
	snprintf(target, sizeof(target), "/v1/verifier/evidence?nonce=%s", hex);
	if ((st = ccg_party_http(&c->v, "GET", target, NULL, 0, NULL, &r, err)) != CCG_OK ||
	    (st = ccg_party_answer_check(&r, 200, "party.evidence", err)) != CCG_OK)
		goto out;
	ccg_error_clear(&inner);
	st = ccg_vevidence_check(r.body, r.body_len, nonce, cv, pol, c->now, &token, &c->upload_jwk, &inner);
	if (st != CCG_OK) {
		st = ccg_error_set(err, st, "party.evidence", "the verifier's own evidence is refused: %s: %s",
				   inner.where, inner.detail);
		goto out;
	}
	if ((c->jwks = json_pack("{s:[o]}", "keys", token)) == NULL)
		st = ccg_error_set(err, CCG_ERR_NOMEM, "party.evidence", "out of memory");
	token = NULL;
out:
	json_decref(token);
	ccg_party_answer_cleanup(&r);
	free(text);
	ccg_policy_free(pol);
	ccg_cpu_verifier_free(cv);
	return st;
}

/* the log step: the new head must extend the kept one; kept only once it does */
static enum ccg_status advance_log(struct call *c, struct ccg_error *err)
{
	enum ccg_status st;

	ccg_party_head_cleanup(&c->head);
	if ((st = ccg_party_log_advance(&c->v, c->jwks, &c->kept, &c->head, err)) != CCG_OK)
		return st;
	if ((st = ccg_party_state_save(c->state_dir, c->v.url, &c->head, err)) != CCG_OK)
		return st;
	if (c->kept.have)
		fprintf(stderr,
			"ccgpu-party: log: %" PRIu64 " entries, signed head extends the kept one of %" PRIu64 "\n",
			c->head.sth.tree_size, c->kept.sth.tree_size);
	else
		fprintf(stderr,
			"ccgpu-party: log: %" PRIu64 " entries, signed head kept (first seen of this verifier)\n",
			c->head.sth.tree_size);
	return CCG_OK;
}

/* the verifier, its evidence, the party's key and the kept head, before any command */
static enum ccg_status call_open(struct call *c, bool signing, struct ccg_error *err)
{
	struct ccg_error inner;
	enum ccg_status st;

	if ((st = ccg_party_verifier_parse(c->o.verifier, &c->v, err)) != CCG_OK)
		return st;
	c->v.timeout_ms = (long)c->o.timeout * 1000;
	if (signing) {
		ccg_error_clear(&inner);
		if (c->o.party == NULL || c->o.key == NULL)
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, "party.input",
					     "--party ID and --key PEM are required");
		if ((st = ccg_file_read(c->o.key, FILE_MAX, &c->key_pem, &c->key_len, &inner)) != CCG_OK)
			return ccg_error_set(err, st, "party.input", "--key %s: %s", c->o.key, inner.detail);
	}
	if ((st = ccg_party_state_load(c->state_dir, c->v.url, &c->kept, err)) != CCG_OK)
		return st;
	return appraise_verifier(c, err);
}

/* signs and sends a state-changing request; *out is the answer */
static enum ccg_status send_signed(struct call *c, const char *method, const char *path, const char *contract,
				   const char *body, struct ccg_party_answer *out, struct ccg_error *err)
{
	char route[CCG_STATEMENT_MAX_ROUTE + 1], *stmt = NULL;
	struct ccg_error inner;
	enum ccg_status st;

	memset(out, 0, sizeof(*out));
	snprintf(route, sizeof(route), "%s %s", method, path);
	ccg_error_clear(&inner);
	st = ccg_statement_sign(c->key_pem, c->key_len, c->o.party, contract, route, (const uint8_t *)body,
				strlen(body), c->now, NULL, &stmt, &inner);
	if (st != CCG_OK)
		return ccg_error_set(err, st, "party.input", "signing the statement with --key: %s: %s", inner.where,
				     inner.detail);
	st = ccg_party_http(&c->v, method, path, (const uint8_t *)body, strlen(body), stmt, out, err);
	free(stmt);
	return st;
}

/*
 * After a change: the verifier's answer names the log entry it wrote; that
 * entry must be in the new signed head (inclusion proof) and say what was
 * asked (type, contract and, where the entry has one, this party as "by").
 */
static enum ccg_status check_logged(struct call *c, const struct ccg_party_answer *r, const char *type,
				    const char *contract, struct ccg_error *err)
{
	uint8_t *entry = NULL;
	size_t len = 0;
	json_t *a = NULL, *e = NULL;
	int64_t index = -1;
	const char *by;
	enum ccg_status st;

	a = json_loadb((const char *)r->body, r->body_len, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_integer(json_object_get(a, "log_index")))
		index = json_integer_value(json_object_get(a, "log_index"));
	if (index < 0) {
		json_decref(a);
		return ccg_error_set(err, CCG_ERR_MALFORMED, "party.answer", "the answer names no log_index");
	}
	json_decref(a);
	if ((uint64_t)index >= c->head.sth.tree_size)
		return ccg_error_set(err, CCG_ERR_LOG_PROOF, "party.log.inclusion",
				     "the change's entry %" PRId64 " is not in the signed head of %" PRIu64, index,
				     c->head.sth.tree_size);
	if ((st = ccg_party_log_entries(&c->v, (uint64_t)index, (uint64_t)index + 1, &entry, &len, err)) != CCG_OK)
		return st;
	if ((st = ccg_party_log_included(&c->v, &c->head.sth, (uint64_t)index, entry, len, err)) != CCG_OK)
		goto out;
	e = json_loadb((const char *)entry, len, JSON_REJECT_DUPLICATES, NULL);
	by = json_string_value(json_object_get(e, "by"));
	if (json_string_value(json_object_get(e, "type")) == NULL ||
	    strcmp(json_string_value(json_object_get(e, "type")), type) != 0 ||
	    json_string_value(json_object_get(e, "contract")) == NULL ||
	    strcmp(json_string_value(json_object_get(e, "contract")), contract) != 0 ||
	    (by != NULL && strcmp(by, c->o.party) != 0)) {
		st = ccg_error_set(err, CCG_ERR_LOG_PROOF, "party.log.entry",
				   "entry %" PRId64 " does not record this %s by %s on %s", index, type, c->o.party,
				   contract);
		goto out;
	}
	fprintf(stderr, "ccgpu-party: logged as entry %" PRId64 ": %.*s\n", index, (int)len, (const char *)entry);
out:
	json_decref(e);
	free(entry);
	return st;
}

/* a change: signed request, expected status, then the log step and the entry's proof */
static int change(struct call *c, const char *what, const char *method, const char *path, const char *contract,
		  const char *body, long want, const char *entry_type)
{
	struct ccg_party_answer r = {0};
	struct ccg_error err, refused;
	enum ccg_status st;
	int rc = PARTY_EXIT_OK;

	ccg_error_clear(&err);
	ccg_error_clear(&refused);
	if ((st = send_signed(c, method, path, contract, body, &r, &err)) != CCG_OK)
		return fail(what, &err);
	if (ccg_party_answer_check(&r, want, "party.request", &refused) == CCG_OK)
		printf("%.*s\n", (int)r.body_len, (const char *)r.body);
	/* the log is checked after every call, refused or not */
	if (advance_log(c, &err) != CCG_OK ||
	    (refused.status == CCG_OK && check_logged(c, &r, entry_type, contract, &err) != CCG_OK))
		rc = fail(what, &err);
	else if (refused.status != CCG_OK)
		rc = fail(what, &refused);
	ccg_party_answer_cleanup(&r);
	return rc;
}

/* --- commands --- */

static int cmd_contract_push(struct call *c, int argc, char **argv)
{
	struct ccg_contract *ct = NULL;
	struct ccg_error err;
	uint8_t *doc = NULL;
	size_t len = 0;
	json_t *body = NULL, *sigs = NULL;
	const char *name = NULL;
	char *text = NULL;
	int rc;

	if (argc < 2)
		return usage_error("contract push CONTRACT.json SIG.json...");
	ccg_error_clear(&err);
	if (ccg_file_read(argv[0], FILE_MAX, &doc, &len, &err) != CCG_OK ||
	    ccg_contract_parse(doc, len, &ct, &err) != CCG_OK) {
		rc = fail(argv[0], &err);
		goto out;
	}
	name = ccg_contract_name(ct);
	if (!ccg_party_name_ok(name)) {
		rc = usage_error("the contract's id \"%.64s\" is not 1..128 of [A-Za-z0-9._-]", name);
		goto out;
	}
	sigs = json_array();
	for (int i = 1; i < argc; i++) {
		uint8_t *s = NULL;
		size_t n = 0;

		if (ccg_file_read(argv[i], FILE_MAX, &s, &n, &err) != CCG_OK) {
			rc = fail(argv[i], &err);
			goto out;
		}
		json_array_append_new(sigs, json_stringn((const char *)s, n));
		free(s);
	}
	body = json_pack("{s:s%, s:O}", "document", (const char *)doc, len, "signatures", sigs);
	if (body == NULL || (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		rc = usage_error("the contract or a signature is not UTF-8 text");
		goto out;
	}
	if (call_open(c, true, &err) != CCG_OK) {
		rc = fail("contract push", &err);
		goto out;
	}
	rc = change(c, "contract push", "POST", "/v1/contracts", name, text, 201, "contract");
out:
	free(text);
	json_decref(body);
	json_decref(sigs);
	ccg_contract_free(ct);
	free(doc);
	return rc;
}

/*
 * the contract file this party signed, as a suspend, resume or upload names it: the parsed contract
 * (its canonical bytes and id) and its name (the document's "id"); *out NULL and CCG_OK when path
 * is not a regular file (CONTRACT given as a name) (branch releasefast)
 */
static enum ccg_status signed_contract(const char *path, struct ccg_contract **out, char name[CCG_PARTY_MAX_NAME + 1],
				       struct ccg_error *err)
{
	struct stat sb;
	uint8_t *doc = NULL;
	size_t len = 0;
	enum ccg_status st;

	*out = NULL;
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return CCG_OK;
	if ((st = ccg_file_read(path, FILE_MAX, &doc, &len, err)) == CCG_OK &&
	    (st = ccg_contract_parse(doc, len, out, err)) == CCG_OK)
		snprintf(name, CCG_PARTY_MAX_NAME + 1, "%.128s", ccg_contract_name(*out));
	free(doc);
	return st;
}

/* the verifier holds exactly the contract ct this party signed (GET /v1/contracts/{name}) */
static enum ccg_status held_is_signed(struct call *c, const char *name, const struct ccg_contract *ct,
				      struct ccg_error *err)
{
	size_t n = 0;
	const uint8_t *canon = ccg_contract_canonical(ct, &n);

	return ccg_party_contract_held(&c->v, name, canon, n, ccg_contract_id(ct), err);
}

static int cmd_secret_put(struct call *c, int argc, char **argv)
{
	struct ccg_contract *ct = NULL;
	struct ccg_error err;
	char name[CCG_PARTY_MAX_NAME + 1], path[512], kid[129], *body = NULL;
	uint8_t pk[97];
	int rc;

	if (argc != 3)
		return usage_error("secret put CONTRACT.json SECRET FILE");
	ccg_error_clear(&err);
	/* the contract file this party signed: the upload is sealed for its id, and only once the verifier holds it */
	if (signed_contract(argv[0], &ct, name, &err) != CCG_OK)
		return fail(argv[0], &err);
	if (ct == NULL)
		return usage_error(
			"secret put: CONTRACT is the contract file this party signed (its id seals the upload)");
	if (!ccg_party_name_ok(name) || !ccg_party_name_ok(argv[1])) {
		rc = usage_error("CONTRACT's id and SECRET are 1..128 of [A-Za-z0-9._-]");
		goto out;
	}
	if (call_open(c, true, &err) != CCG_OK || held_is_signed(c, name, ct, &err) != CCG_OK ||
	    ccg_party_upload_key(c->upload_jwk, pk, kid, &err) != CCG_OK ||
	    ccg_party_upload_body_file(pk, kid, name, argv[1], ccg_contract_id(ct), argv[2], &body, &err) != CCG_OK) {
		rc = fail("secret put", &err);
		goto out;
	}
	snprintf(path, sizeof(path), "/v1/contracts/%s/secrets/%s", name, argv[1]);
	rc = change(c, "secret put", "PUT", path, name, body, 201, "upload");
out:
	free(body);
	ccg_contract_free(ct);
	return rc;
}

static int cmd_suspend(struct call *c, const char *verb, int argc, char **argv)
{
	struct ccg_contract *ct = NULL;
	struct ccg_error err;
	char path[512], what[32], name[CCG_PARTY_MAX_NAME + 1], *body = NULL;
	json_t *o;
	int rc;

	snprintf(what, sizeof(what), "%s", verb);
	if (argc < 1 || argc > 2)
		return usage_error("%s CONTRACT [SECRET]", verb);
	ccg_error_clear(&err);
	/* CONTRACT as the contract's file: the verifier must hold exactly it */
	snprintf(name, sizeof(name), "%.128s", argv[0]);
	if (signed_contract(argv[0], &ct, name, &err) != CCG_OK)
		return fail(argv[0], &err);
	if (!ccg_party_name_ok(name) || (argc == 2 && !ccg_party_name_ok(argv[1]))) {
		ccg_contract_free(ct);
		return usage_error("CONTRACT and SECRET are 1..128 of [A-Za-z0-9._-]");
	}
	o = argc == 2 ? json_pack("{s:s}", "secret", argv[1]) : json_object();
	body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (body == NULL) {
		ccg_contract_free(ct);
		return usage_error("out of memory");
	}
	if (call_open(c, true, &err) != CCG_OK || (ct != NULL && held_is_signed(c, name, ct, &err) != CCG_OK)) {
		rc = fail(what, &err);
		goto out;
	}
	snprintf(path, sizeof(path), "/v1/contracts/%s/%s", name, verb);
	rc = change(c, what, "POST", path, name, body, 200, verb);
out:
	free(body);
	ccg_contract_free(ct);
	return rc;
}

static int cmd_log_verify(struct call *c)
{
	struct ccg_error err;
	uint8_t **entries = NULL;
	size_t *lens = NULL;
	uint64_t n = 0;
	int rc = PARTY_EXIT_OK;

	ccg_error_clear(&err);
	if (call_open(c, false, &err) != CCG_OK || advance_log(c, &err) != CCG_OK)
		return fail("log verify", &err);
	n = c->head.sth.tree_size;
	if (n > 0) {
		/* the whole history, recomputed here: an entry the verifier serves rewritten is caught */
		if (n > SIZE_MAX / sizeof(*entries) || (entries = calloc((size_t)n, sizeof(*entries))) == NULL ||
		    (lens = calloc((size_t)n, sizeof(*lens))) == NULL) {
			ccg_error_set(&err, CCG_ERR_NOMEM, "party.log.entries", "%" PRIu64 " entries", n);
			rc = fail("log verify", &err);
			goto out;
		}
		if (ccg_party_log_entries(&c->v, 0, n, entries, lens, &err) != CCG_OK ||
		    ccg_log_entries_verify((const uint8_t *const *)entries, lens, (size_t)n, &c->head.sth, &err) !=
			    CCG_OK) {
			if (strcmp(err.where, "party.log.entries") != 0) {
				struct ccg_error inner = err;

				ccg_error_clear(&err);
				ccg_error_set(&err, inner.status, "party.log.entries", "%s: %s", inner.where,
					      inner.detail);
			}
			rc = fail("log verify", &err);
			goto out;
		}
	}
	{
		char root[2 * CCG_MERKLE_HASH_LEN + 1];

		ccg_hex_encode(c->head.sth.root, CCG_MERKLE_HASH_LEN, root);
		printf("log verified: %" PRIu64 " entries, root %s\n", n, root);
	}
out:
	for (uint64_t i = 0; entries != NULL && i < n; i++)
		free(entries[i]);
	free(entries);
	free(lens);
	return rc;
}

static int cmd_log_show(struct call *c)
{
	struct ccg_error err;
	uint8_t *entries[CCG_LOG_MAX_ENTRIES];
	size_t lens[CCG_LOG_MAX_ENTRIES];
	uint64_t start = (uint64_t)c->o.from, end, n = 0;
	int rc = PARTY_EXIT_OK;

	ccg_error_clear(&err);
	if (call_open(c, false, &err) != CCG_OK || advance_log(c, &err) != CCG_OK)
		return fail("log show", &err);
	n = c->head.sth.tree_size;
	if (start >= n) {
		if (c->o.from_set && start > 0) {
			ccg_error_set(&err, CCG_ERR_INVALID_ARG, "party.input",
				      "--from %" PRIu64 ": the log has %" PRIu64 " entries", start, n);
			return fail("log show", &err);
		}
		return PARTY_EXIT_OK; /* an empty log */
	}
	end = c->o.count_set ? start + (uint64_t)c->o.count : n;
	if (end > n)
		end = n;
	if (end - start > CCG_LOG_MAX_ENTRIES)
		end = start + CCG_LOG_MAX_ENTRIES;
	if (ccg_party_log_entries(&c->v, start, end, entries, lens, &err) != CCG_OK)
		return fail("log show", &err);
	for (uint64_t i = start; i < end; i++) {
		/* printed only once proven in the signed head */
		if (rc == PARTY_EXIT_OK &&
		    ccg_party_log_included(&c->v, &c->head.sth, i, entries[i - start], lens[i - start], &err) != CCG_OK)
			rc = fail("log show", &err);
		if (rc == PARTY_EXIT_OK)
			printf("%" PRIu64 " %.*s\n", i, (int)lens[i - start], (const char *)entries[i - start]);
		free(entries[i - start]);
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct call c;
	int opt, rc;

	memset(&c, 0, sizeof(c));
	c.o.timeout = 30;
	c.o.count = CCG_LOG_MAX_ENTRIES;
	/* GNU getopt permutes: options may follow the command (log show --from I) */
	while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_VERIFIER: c.o.verifier = optarg; break;
		case OPT_PARTY: c.o.party = optarg; break;
		case OPT_KEY: c.o.key = optarg; break;
		case OPT_STATE: c.o.state = optarg; break;
		case OPT_TPM_AK: c.o.tpm_ak = optarg; break;
		case OPT_POLICY: c.o.policy = optarg; break;
		case OPT_JWKS_EVIDENCE: break; /* the default and only source of the token key */
		case OPT_FROM:
			if (!parse_int(optarg, 0, INT64_MAX, &c.o.from))
				return usage_error("bad --from \"%s\"", optarg);
			c.o.from_set = true;
			break;
		case OPT_COUNT:
			if (!parse_int(optarg, 1, CCG_LOG_MAX_ENTRIES, &c.o.count))
				return usage_error("bad --count \"%s\" (1 to %d)", optarg, CCG_LOG_MAX_ENTRIES);
			c.o.count_set = true;
			break;
		case OPT_TIME: c.o.time_s = optarg; break;
		case OPT_TIMEOUT:
			if (!parse_int(optarg, 1, 3600, &c.o.timeout))
				return usage_error("bad --timeout \"%s\"", optarg);
			break;
		case OPT_HELP: fputs(usage, stdout); return PARTY_EXIT_OK;
		case OPT_VERSION: printf("ccgpu-party %s\n", CCGPU_VERSION); return PARTY_EXIT_OK;
		default: return usage_error("unknown option");
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return usage_error("give a command");
	if (c.o.verifier == NULL)
		return usage_error("--verifier URL is required");
	if (c.o.time_s != NULL) {
		if (ccg_time_parse_iso(c.o.time_s, &c.now) != CCG_OK)
			return usage_error("bad --time \"%s\"", c.o.time_s);
	} else {
		c.now = (int64_t)time(NULL);
	}
	if (c.o.state != NULL ? snprintf(c.state_dir, sizeof(c.state_dir), "%s", c.o.state) >= (int)sizeof(c.state_dir)
			      : !default_state(c.state_dir, sizeof(c.state_dir)))
		return usage_error("give --state DIR (no usable $XDG_STATE_HOME or $HOME)");
	if (argc >= 2 && strcmp(argv[0], "contract") == 0 && strcmp(argv[1], "push") == 0)
		rc = cmd_contract_push(&c, argc - 2, argv + 2);
	else if (argc >= 2 && strcmp(argv[0], "secret") == 0 && strcmp(argv[1], "put") == 0)
		rc = cmd_secret_put(&c, argc - 2, argv + 2);
	else if (strcmp(argv[0], "suspend") == 0 || strcmp(argv[0], "resume") == 0)
		rc = cmd_suspend(&c, argv[0], argc - 1, argv + 1);
	else if (argc == 2 && strcmp(argv[0], "log") == 0 && strcmp(argv[1], "verify") == 0)
		rc = cmd_log_verify(&c);
	else if (argc == 2 && strcmp(argv[0], "log") == 0 && strcmp(argv[1], "show") == 0)
		rc = cmd_log_show(&c);
	else
		rc = usage_error("unknown command \"%s\"", argv[0]);
	call_cleanup(&c);
	return rc;
}
