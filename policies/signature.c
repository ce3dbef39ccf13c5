/* SPDX-License-Identifier: Apache-2.0 */
/* The public policy-signature API of include/ccgpu/policy.h over contract.c's keys and signatures. */
#include <stdlib.h>

#include "ccgpu/policy.h"
#include "common/error.h"
#include "policies/policy_int.h"

struct ccg_sign_key {
	void *pkey;
	const char *alg; /* static text */
};

enum ccg_status ccg_sign_key_parse(const uint8_t *pem, size_t len, bool private_key, const char *where,
				   struct ccg_sign_key **out, struct ccg_error *err)
{
	struct ccg_sign_key *k;
	enum ccg_status st;

	if (out == NULL || pem == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where != NULL ? where : "key", "missing");
	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, where != NULL ? where : "key", "no memory");
	st = pol_key_parse(pem, len, private_key, &k->pkey, &k->alg, where, err);
	if (st != CCG_OK) {
		free(k);
		return st;
	}
	*out = k;
	return CCG_OK;
}

const char *ccg_sign_key_alg(const struct ccg_sign_key *k)
{
	return k != NULL ? k->alg : NULL;
}

void ccg_sign_key_free(struct ccg_sign_key *k)
{
	if (k == NULL)
		return;
	pol_key_free(k->pkey);
	free(k);
}

enum ccg_status ccg_policy_sign(const struct ccg_sign_key *k, const char *canonical, size_t len, uint8_t **out_sig,
				size_t *out_sig_len, struct ccg_error *err)
{
	if (k == NULL || canonical == NULL || out_sig == NULL || out_sig_len == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "policy.sign", "missing argument");
	return pol_sign(k->pkey, POL_SIG_CTX_POLICY, (const uint8_t *)canonical, len, out_sig, out_sig_len, err);
}

enum ccg_status ccg_policy_signature_verify(const struct ccg_sign_key *k, const char *canonical, size_t len,
					    const uint8_t *sig, size_t sig_len, const char *where,
					    struct ccg_error *err)
{
	if (k == NULL || canonical == NULL || sig == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where != NULL ? where : "signature", "missing argument");
	return pol_verify(k->pkey, POL_SIG_CTX_POLICY, (const uint8_t *)canonical, len, sig, sig_len, where, err);
}
