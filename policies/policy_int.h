/* SPDX-License-Identifier: Apache-2.0 */
/* Internal form of policies: the syntax tree, annotated by the checker, is also the compiled form. */
#ifndef CCGPU_POLICIES_POLICY_INT_H
#define CCGPU_POLICIES_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/policy.h"

/* limits (docs/policy-language.md) */
#define POL_MAX_RULES 256
#define POL_MAX_NODES 4096
#define POL_MAX_DEPTH 32
#define POL_MAX_SET 256
#define POL_MAX_STRING 1024
#define POL_MAX_IDENT 128
#define POL_MAX_COMMENTS 1024
#define POL_VER_MAX 8
#define POL_MAX_GPUS 16

enum pol_type { PT_NONE = 0, PT_BOOL, PT_INT, PT_STRING, PT_VERSION, PT_DIGEST, PT_TIME };
enum pol_scope { SCOPE_TOP = 0, SCOPE_GPU = 1 };

struct pol_schema_claim {
	char *path;
	uint8_t scope, type;
	uint16_t slot;
};

struct pol_schema {
	struct pol_schema_claim *claims;
	size_t n;
	size_t nslots[2];
	char version[32];
};

/* pol_schema_get: the embedded claims schema, loaded once; NULL if it is broken (a build bug). */
const struct pol_schema *pol_schema_get(void);
/* pol_schema_find: the claim with this dotted path, or NULL. */
const struct pol_schema_claim *pol_schema_find(const struct pol_schema *s, const char *path);
const char *pol_type_name(enum pol_type t);

/* a typed value: a claim's, or a literal's after checking */
enum { PV_ABSENT = 0, PV_PRESENT = 1 };
struct pval {
	uint8_t state;
	uint8_t nver;
	uint16_t len;     /* string or digest bytes */
	int64_t i;        /* bool, int, time */
	const uint8_t *s; /* string (not NUL-terminated for digests) */
	uint64_t ver[POL_VER_MAX];
};

/* value parsing shared by the checker (literals) and claims loading */
bool pol_version_parse(const char *s, struct pval *v);
int pol_version_cmp(const struct pval *a, const struct pval *b);

enum pol_node_kind { NK_AND = 1, NK_OR, NK_NOT, NK_EVERY, NK_SOME, NK_CMP, NK_IN, NK_TRUTH, NK_EXISTS };
enum pol_op { OP_EQ = 1, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };
enum pol_operand_kind { OK_CLAIM = 1, OK_STR, OK_INT, OK_BOOL, OK_NOW };

struct pol_operand {
	uint8_t kind;
	uint8_t scope; /* claims, after checking */
	uint16_t slot;
	uint32_t line, col;
	char *text;      /* claim path, or the string literal (unescaped) */
	int64_t num;     /* int / bool literal */
	uint8_t *owned;  /* digest bytes of a literal */
	struct pval val; /* literal, typed by the checker */
};

struct pol_node {
	uint8_t kind, op, type, negate;
	uint32_t line, col;
	int32_t a, b; /* children (node indexes) */
	struct pol_operand l, r;
	uint32_t set_first, set_n;
};

struct pol_rule {
	char *name, *message;
	int32_t root;
	uint32_t line, col;
	char **comments; /* comment lines placed before the rule by fmt */
	size_t ncomments;
};

struct ccg_policy {
	char *name;
	int64_t version;
	char **header_comments;
	size_t nheader_comments;
	struct pol_rule *rules;
	size_t nrules;
	struct pol_node *nodes;
	size_t nnodes, cap_nodes;
	struct pol_operand *set;
	size_t nset, cap_set;
	char **trailing_comments;
	size_t ntrailing;
};

/* pol_parse_syntax: the grammar only (what fmt needs); no schema check. */
CCG_MUST_USE enum ccg_status pol_parse_syntax(const char *src, size_t len, struct ccg_policy **out,
					      struct ccg_error *err);
/* pol_check: types, claim names and scopes; fills slots and typed literals. */
CCG_MUST_USE enum ccg_status pol_check(struct ccg_policy *p, struct ccg_error *err);
/* pol_format_expr: canonical text of one rule's expression into a malloc'd string. */
char *pol_format_expr(const struct ccg_policy *p, int32_t node);

struct ccg_claims {
	size_t ngpu;
	char gpu_names[POL_MAX_GPUS][32];
	struct pval *top;
	struct pval *gpu; /* ngpu × nslots[SCOPE_GPU] */
	char **owned;
	size_t nowned;
	void *json; /* json_t kept alive: strings are borrowed from it */
};

/* NVIDIA or Azure SKR JSON policy → native policy text: ccg_policy_import (ccgpu/policy.h, import.c). */

/*
 * Detached signatures (docs/contracts.md): ECDSA P-384/SHA-384 (DER) or
 * Ed25519 over context ‖ message, where context names what is signed.
 */
#define POL_SIG_CTX_CONTRACT "ccgpu-contract-v1\n"
#define POL_SIG_CTX_POLICY "ccgpu-policy-v1\n"
/* pol_key_parse: a PEM public or private key of a supported type; *alg = "ecdsa-p384" or "ed25519". */
CCG_MUST_USE enum ccg_status pol_key_parse(const uint8_t *pem, size_t len, bool private_key, void **out_pkey,
					   const char **alg, const char *where, struct ccg_error *err);
void pol_key_free(void *pkey);
/* pol_key_same: the two keys are the same public key */
bool pol_key_same(void *a, void *b);
CCG_MUST_USE enum ccg_status pol_sign(void *pkey, const char *ctx, const uint8_t *msg, size_t len, uint8_t **sig,
				      size_t *sig_len, struct ccg_error *err);
CCG_MUST_USE enum ccg_status pol_verify(void *pkey, const char *ctx, const uint8_t *msg, size_t len, const uint8_t *sig,
					size_t sig_len, const char *where, struct ccg_error *err);

/*
 * Consent established once (branch releasefast): which parties signed a
 * contract version under their registered keys. The signature checks are
 * the costly part of ccg_contract_in_force and ccg_contract_release; a
 * caller that keeps c and keys unchanged (the verifier's contract memo,
 * keyed by the hash of the stored row that holds the document, the
 * signatures and the keys) computes it once with pol_contract_consent and
 * decides each time, at its own time, with pol_contract_in_force_by and
 * pol_contract_release_by — the same decisions, the same errors, as
 * ccg_contract_in_force and ccg_contract_release (which are built on them).
 */
#define POL_CONTRACT_MAX_PARTIES 32
struct pol_consent {
	size_t n;                               /* the contract's number of parties */
	size_t count, threshold;                /* parties that signed; how many must */
	bool ok[POL_CONTRACT_MAX_PARTIES];      /* party i signed this version under its registered key */
	char why[POL_CONTRACT_MAX_PARTIES][96]; /* why not, when !ok[i] */
};
CCG_MUST_USE enum ccg_status pol_contract_consent(const struct ccg_contract *c, const struct ccg_party_keys *keys,
						  struct pol_consent *out, struct ccg_error *err);
CCG_MUST_USE enum ccg_status pol_contract_in_force_by(const struct ccg_contract *c, const struct pol_consent *k,
						      int64_t now, struct ccg_error *err);
CCG_MUST_USE enum ccg_status pol_contract_release_by(const struct ccg_contract *c, const struct pol_consent *k,
						     const char *secret, const struct ccg_claims *claims, int64_t now,
						     struct ccg_error *err);
/*
 * pol_contract_keys_match: every party of c has a registered key in keys and
 * it is the public key the document names for it; otherwise
 * CCG_ERR_SIGNATURE naming "parties[ID].public-key".
 */
CCG_MUST_USE enum ccg_status pol_contract_keys_match(const struct ccg_contract *c, const struct ccg_party_keys *keys,
						     struct ccg_error *err);

/* edit distance, bounded: used for "did you mean" */
size_t pol_edit_distance(const char *a, const char *b);

#endif
