/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NRAS-compatible endpoint, checked by a client written here from
 * NVIDIA's attestation SDK (nv-attestation-sdk-cpp: NvRemoteGpuVerifier
 * builds the request, validate_and_decode_EAT / NvJwt / JwkStore check the
 * answer): every JWT's ES384 signature against the JWKS key with its kid,
 * taken from the key's x5c certificate as the SDK does; alg ES384; iss equal
 * to the configured base URL; iat/nbf/exp; each submod digest against its
 * token text; eat_nonce (hex) equal to the nonce sent; the GPU claims the
 * SDK deserialises. On gpusim GPUs (good and drifted) and on NVIDIA's real
 * H100 evidence; then every way the request parser refuses.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "gpu_verifier.h"
#include "gpusim/gpusim.h"
#include "gpusim/serve.h"
#include "b64url.h"
#include "testdata.h"
#include "token/nras.h"

#define ISSUER "https://verifier.example:8443"
#define REAL_NOW 1795305600 /* 2026-11-22T00:00:00Z: the real evidence's chains are valid then */

static char *tmp, *simdir;
static struct gpusim *sim;
static struct ccg_ear_key *key;
static int64_t sim_now; /* derived from gpusim's certificates, never from the clock */

static const uint8_t nonce[32] = {0x93, 0x1d, 0x8d, 0xd0, 0xad, 0xd2, 0x03, 0xac, 0x3d, 0x8b, 0x4f,
				  0xbd, 0xe7, 0x5e, 0x11, 0x52, 0x78, 0xee, 0xfc, 0xdc, 0xea, 0xc5,
				  0xb8, 0x76, 0x71, 0xa7, 0x48, 0xf3, 0x23, 0x64, 0xdf, 0xcb};

static int setup(void **state)
{
	struct gpusim_pki_opts o = {.gpus = 2};
	STACK_OF(X509) *chain = NULL;
	const char *pem;
	char *kp = NULL;

	(void)state;
	tmp = td_tmpdir();
	/* generated in a child: xmlsec1 is initialised once per process, and the verifier does it here */
	if (asprintf(&simdir, "%s/sim", tmp) < 0 || gpusim_pki_generate_child(simdir, &o) != CCG_OK ||
	    gpusim_load(simdir, &sim, NULL) != CCG_OK || asprintf(&kp, "%s/ear.pem", tmp) < 0 ||
	    ccg_ear_key_load_or_create(kp, &key, NULL) != CCG_OK)
		return -1;
	free(kp);
	pem = gpusim_chain_pem(sim, 0);
	if (ccg_pem_certs_parse((const uint8_t *)pem, strlen(pem), 8, &chain, NULL) != CCG_OK ||
	    ccg_asn1_time_unix(X509_get0_notBefore(sk_X509_value(chain, 0)), &sim_now) != CCG_OK)
		return -1;
	sim_now += 2 * 86400; /* two days into the leaf's validity (it starts a day before generation) */
	sk_X509_pop_free(chain, X509_free);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ccg_ear_key_free(key);
	gpusim_free(sim);
	td_rm_rf(tmp);
	free(simdir);
	free(tmp);
	return 0;
}

/* ---- the request, as NvRemoteGpuVerifier::verify_evidence builds it ---- */

static json_t *request_for(const char *nonce_hex, const char *arch, json_t *evidence_list)
{
	return json_pack("{s:s,s:s,s:s,s:o}", "nonce", nonce_hex, "arch", arch, "claims_version", "3.0",
			 "evidence_list", evidence_list);
}

static json_t *sim_evidence_list(unsigned gpus)
{
	json_t *list = json_array();

	for (unsigned g = 0; g < gpus; g++) {
		uint8_t req[37];
		struct ccg_buf b;
		size_t len;
		uint8_t *report;
		const char *pem = gpusim_chain_pem(sim, g);
		char *e64, *c64;

		ccg_buf_init(&b, 0);
		gpusim_meas_request(nonce, req);
		assert_int_equal(ccg_buf_append(&b, req, sizeof(req)), CCG_OK);
		assert_int_equal(gpusim_spdm(sim, g, req, sizeof(req), &b, NULL), CCG_OK);
		report = ccg_buf_steal(&b, &len);
		e64 = ccg_base64_encode_alloc(report, len);
		c64 = ccg_base64_encode_alloc((const uint8_t *)pem, strlen(pem));
		json_array_append_new(list, json_pack("{s:s,s:s}", "evidence", e64, "certificate", c64));
		free(e64);
		free(c64);
		free(report);
	}
	return list;
}

static char *dump(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	assert_non_null(s);
	return s;
}

static struct ccg_gpu_verifier *sim_verifier(void)
{
	return tv_gpu_verifier_gpusim(simdir);
}

/* ---- the client: what NVIDIA's SDK does with the answer ---- */

static const char *sv(const json_t *j)
{
	const char *s = json_string_value(j);

	return s != NULL ? s : "";
}

static json_t *part(const char *p, size_t n)
{
	size_t len;
	uint8_t *d = tb_b64url_decode(p, n, &len);
	json_t *j = json_loadb((const char *)d, len, JSON_REJECT_DUPLICATES, NULL);

	free(d);
	return j;
}

/* JwkStore::refresh_jwks + get_jwk_by_kid: the key is the x5c leaf's, chosen by kid. */
static EVP_PKEY *jwks_key(const json_t *jwks, const char *kid)
{
	size_t i;
	json_t *k;

	json_array_foreach(json_object_get(jwks, "keys"), i, k) {
		const char *x5c = json_string_value(json_array_get(json_object_get(k, "x5c"), 0));
		uint8_t *der = NULL;
		size_t der_len;
		X509 *cert = NULL;
		EVP_PKEY *pub;

		if (json_string_value(json_object_get(k, "kid")) == NULL ||
		    strcmp(json_string_value(json_object_get(k, "kid")), kid) != 0 || x5c == NULL)
			continue;
		assert_int_equal(ccg_base64_decode(x5c, strlen(x5c), 1 << 16, &der, &der_len), CCG_OK);
		assert_int_equal(ccg_der_cert_parse(der, der_len, &cert, NULL), CCG_OK);
		pub = X509_get_pubkey(cert);
		X509_free(cert);
		free(der);
		return pub;
	}
	return NULL;
}

/* NvJwt::validate_and_decode: alg ES384, kid, iss, the signature, iat/nbf/exp at now. NULL when refused. */
static json_t *nv_jwt_validate(const char *token, const json_t *jwks, const char *issuer, int64_t now)
{
	const char *d1 = strchr(token, '.'), *d2 = strrchr(token, '.');
	json_t *hdr, *payload;
	EVP_PKEY *pub;
	uint8_t *raw, *der = NULL;
	size_t raw_len;
	ECDSA_SIG *es;
	EVP_MD_CTX *md;
	int der_len, ok;

	if (d1 == NULL || d2 == d1)
		return NULL;
	hdr = part(token, (size_t)(d1 - token));
	payload = part(d1 + 1, (size_t)(d2 - d1 - 1));
	if (hdr == NULL || payload == NULL || !json_is_string(json_object_get(hdr, "alg")) ||
	    strcmp(json_string_value(json_object_get(hdr, "alg")), "ES384") != 0 ||
	    !json_is_string(json_object_get(hdr, "kid")) || !json_is_string(json_object_get(payload, "iss")) ||
	    strcmp(json_string_value(json_object_get(payload, "iss")), issuer) != 0 ||
	    (pub = jwks_key(jwks, json_string_value(json_object_get(hdr, "kid")))) == NULL) {
		json_decref(hdr);
		json_decref(payload);
		return NULL;
	}
	raw = tb_b64url_decode(d2 + 1, strlen(d2 + 1), &raw_len);
	es = ECDSA_SIG_new();
	ok = raw_len == 96 && ECDSA_SIG_set0(es, BN_bin2bn(raw, 48, NULL), BN_bin2bn(raw + 48, 48, NULL)) == 1 &&
	     (der_len = i2d_ECDSA_SIG(es, &der)) > 0;
	md = EVP_MD_CTX_new();
	ok = ok && EVP_DigestVerifyInit_ex(md, NULL, "SHA384", NULL, NULL, pub, NULL) == 1 &&
	     EVP_DigestVerify(md, der, (size_t)der_len, (const uint8_t *)token, (size_t)(d2 - token)) == 1;
	/* jwt-cpp's time checks */
	ok = ok && json_integer_value(json_object_get(payload, "exp")) > now &&
	     json_integer_value(json_object_get(payload, "iat")) <= now &&
	     json_integer_value(json_object_get(payload, "nbf")) <= now;
	EVP_MD_CTX_free(md);
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	free(raw);
	EVP_PKEY_free(pub);
	json_decref(hdr);
	if (!ok) {
		json_decref(payload);
		return NULL;
	}
	return payload;
}

/* The claims SerializableGpuClaimsV3 from_json reads, with their types. */
static void sdk_deserialises(const json_t *c, bool with_rims)
{
	static const char *const strings[] = {
		"eat_nonce", "measres", "hwmodel", "ueid", "x-nvidia-gpu-driver-version", "x-nvidia-gpu-vbios-version"};
	static const char *const bools[] = {"x-nvidia-gpu-arch-check",
					    "x-nvidia-gpu-attestation-report-cert-chain-fwid-match",
					    "x-nvidia-gpu-attestation-report-parsed",
					    "x-nvidia-gpu-attestation-report-nonce-match",
					    "x-nvidia-gpu-attestation-report-signature-verified",
					    "x-nvidia-gpu-driver-rim-fetched",
					    "x-nvidia-gpu-driver-rim-signature-verified",
					    "x-nvidia-gpu-driver-rim-version-match",
					    "x-nvidia-gpu-driver-rim-measurements-available",
					    "x-nvidia-gpu-vbios-rim-fetched",
					    "x-nvidia-gpu-vbios-rim-version-match",
					    "x-nvidia-gpu-vbios-rim-signature-verified",
					    "x-nvidia-gpu-vbios-rim-measurements-available",
					    "x-nvidia-gpu-vbios-index-no-conflict"};
	static const char *const chains[] = {"x-nvidia-gpu-attestation-report-cert-chain",
					     "x-nvidia-gpu-driver-rim-cert-chain", "x-nvidia-gpu-vbios-rim-cert-chain"};

	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (!json_is_string(json_object_get(c, strings[i])))
			fail_msg("claim %s is not a string", strings[i]);
	/* oemid comes from the RIMs: without reference values the appraisal has none to give */
	if (with_rims ? !json_is_string(json_object_get(c, "oemid")) : json_object_get(c, "oemid") == NULL)
		fail_msg("claim oemid");
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
		if (!json_is_boolean(json_object_get(c, bools[i])))
			fail_msg("claim %s is not a boolean", bools[i]);
	for (size_t i = 0; i < sizeof(chains) / sizeof(chains[0]); i++)
		if (!json_is_object(json_object_get(c, chains[i])) ||
		    json_object_get(json_object_get(c, chains[i]), "x-nvidia-cert-status") == NULL)
			fail_msg("claim %s is not a certificate-chain object", chains[i]);
	assert_string_equal(json_string_value(json_object_get(c, "x-nvidia-device-type")), "gpu");
	assert_true(json_is_string(json_object_get(c, "jti")));
}

/*
 * validate_and_decode_EAT plus NvRemoteGpuVerifier's nonce check, and the
 * detached-EAT digests: returns {"overall": claims, "GPU-0": claims, ...} or NULL.
 */
static json_t *nv_client(const char *answer, const json_t *jwks, const char *issuer, const char *nonce_hex, int64_t now)
{
	json_t *doc = json_loads(answer, JSON_REJECT_DUPLICATES, NULL), *out = json_object(), *overall, *devices;
	json_t *submods, *tok;
	const char *name;

	if (!json_is_array(doc) || json_array_size(doc) != 2 ||
	    strcmp(sv(json_array_get(json_array_get(doc, 0), 0)), "JWT") != 0)
		goto fail;
	overall = nv_jwt_validate(sv(json_array_get(json_array_get(doc, 0), 1)), jwks, issuer, now);
	if (overall == NULL)
		goto fail;
	json_object_set_new(out, "overall", overall);
	if (!json_is_string(json_object_get(overall, "eat_nonce")) ||
	    strcmp(json_string_value(json_object_get(overall, "eat_nonce")), nonce_hex) != 0)
		goto fail;
	devices = json_array_get(doc, 1);
	submods = json_object_get(overall, "submods");
	if (!json_is_object(devices) || !json_is_object(submods) ||
	    json_object_size(submods) != json_object_size(devices))
		goto fail;
	json_object_foreach(devices, name, tok) {
		const char *t = json_string_value(tok);
		json_t *d = json_object_get(submods, name), *claims;
		uint8_t digest[32];
		char hex[65];

		if (t == NULL || !json_is_array(d) || strcmp(sv(json_array_get(d, 0)), "DIGEST") != 0)
			goto fail;
		assert_int_equal(ccg_sha256((const uint8_t *)t, strlen(t), digest), CCG_OK);
		ccg_hex_encode(digest, sizeof(digest), hex);
		if (strcmp(sv(json_array_get(json_array_get(d, 1), 0)), "SHA256") != 0 ||
		    strcmp(sv(json_array_get(json_array_get(d, 1), 1)), hex) != 0)
			goto fail;
		claims = nv_jwt_validate(t, jwks, issuer, now);
		if (claims == NULL)
			goto fail;
		json_object_set_new(out, name, claims);
		if (strcmp(sv(json_object_get(claims, "eat_nonce")), nonce_hex) != 0)
			goto fail;
	}
	json_decref(doc);
	return out;
fail:
	json_decref(doc);
	json_decref(out);
	return NULL;
}

static json_t *jwks_text_round_trip(void)
{
	json_t *jwks = ccg_ear_key_jwks(key);
	char *text = dump(jwks);
	json_t *back = json_loads(text, 0, NULL);

	free(text);
	json_decref(jwks);
	assert_non_null(back);
	return back;
}

static char *handle(struct ccg_gpu_verifier *v, const json_t *request, int64_t now, bool *passed, struct ccg_error *err)
{
	struct ccg_nras_config cfg = {.gpu = v, .key = key, .issuer = ISSUER};
	char *body = dump(request), *answer = NULL;

	ccg_error_clear(err);
	assert_int_equal(ccg_nras_handle(&cfg, (const uint8_t *)body, strlen(body), now, &answer, passed, err), CCG_OK);
	free(body);
	assert_non_null(answer);
	return answer;
}

static char *nonce_hex(void)
{
	return ccg_hex_encode_alloc(nonce, sizeof(nonce));
}

/*
 * One exchange with gpusim GPUs: a request for gpus GPUs (their evidence made under fault, or none,
 * over the test's nonce) naming that nonce, or one with its last digit changed (other_nonce),
 * answered by a verifier of the gpusim world at sim_now and read back by NVIDIA's client at read_at
 * over the request's nonce.
 */
struct exchange {
	struct ccg_gpu_verifier *v;
	char *nh; /* the request's and the client's nonce (hex) */
	json_t *req, *jwks, *got;
	char *answer;
	bool passed;
};

static void exchange_run(struct exchange *x, unsigned gpus, const char *fault, bool other_nonce, int64_t read_at)
{
	struct gpusim_fault f;
	struct ccg_error err;

	memset(x, 0, sizeof(*x));
	x->v = sim_verifier();
	x->nh = nonce_hex();
	if (other_nonce)
		x->nh[63] = x->nh[63] == 'a' ? 'b' : 'a';
	x->jwks = jwks_text_round_trip();
	gpusim_clear_faults(sim);
	if (fault != NULL) {
		assert_int_equal(gpusim_fault_parse(fault, &f, NULL), CCG_OK);
		assert_int_equal(gpusim_add_fault(sim, &f, NULL), CCG_OK);
	}
	x->req = request_for(x->nh, "HOPPER", sim_evidence_list(gpus));
	gpusim_clear_faults(sim);
	/* the opposite of what the answer must say, so that handle is seen setting it */
	x->passed = fault != NULL || other_nonce;
	x->answer = handle(x->v, x->req, sim_now, &x->passed, &err);
	x->got = nv_client(x->answer, x->jwks, ISSUER, x->nh, read_at);
	assert_non_null(x->got);
}

static void exchange_done(struct exchange *x)
{
	json_decref(x->got);
	free(x->answer);
	json_decref(x->req);
	json_decref(x->jwks);
	free(x->nh);
	ccg_gpu_verifier_free(x->v);
}

/* a claim of one part of what NVIDIA's client read ("overall", "GPU-0", ...) */
static json_t *claim(const struct exchange *x, const char *part, const char *name)
{
	return json_object_get(json_object_get(x->got, part), name);
}

/* ---- tests ---- */

static void test_gpusim_two_gpus(void **state)
{
	struct exchange x;
	json_t *c;

	(void)state;
	exchange_run(&x, 2, NULL, false, sim_now + 60);
	assert_true(x.passed);
	c = json_object_get(x.got, "overall");
	assert_string_equal(json_string_value(json_object_get(c, "sub")), "NVIDIA-PLATFORM-ATTESTATION");
	assert_string_equal(json_string_value(json_object_get(c, "x-nvidia-ver")), "3.0");
	assert_true(json_is_true(json_object_get(c, "x-nvidia-overall-att-result")));
	assert_int_equal(json_integer_value(json_object_get(c, "iat")), sim_now);
	assert_int_equal(json_integer_value(json_object_get(c, "exp")), sim_now + 3600);
	assert_int_equal(json_string_length(json_object_get(c, "jti")), 64);
	for (int g = 0; g < 2; g++) {
		char name[8];

		snprintf(name, sizeof(name), "GPU-%d", g);
		c = json_object_get(x.got, name);
		assert_non_null(c);
		sdk_deserialises(c, true);
		assert_string_equal(json_string_value(json_object_get(c, "measres")), "success");
	}
	/* each token is distinct (its own jti) */
	assert_string_not_equal(json_string_value(claim(&x, "GPU-0", "jti")),
				json_string_value(claim(&x, "GPU-1", "jti")));
	/* the same client refuses at a time past exp, another issuer, another nonce, another key */
	assert_null(nv_client(x.answer, x.jwks, ISSUER, x.nh, sim_now + 3600));
	assert_null(nv_client(x.answer, x.jwks, "https://nras.attestation.nvidia.com", x.nh, sim_now));
	{
		char other[65];

		memcpy(other, x.nh, 65);
		other[0] = other[0] == '0' ? '1' : '0';
		assert_null(nv_client(x.answer, x.jwks, ISSUER, other, sim_now));
	}
	exchange_done(&x);
}

/* Swapping the two GPU tokens, or replacing one with a token from another answer, breaks the submod digests. */
static void test_detached_tokens_are_bound(void **state)
{
	struct exchange x, y;
	json_t *a, *b, *devs, *t0, *t1;
	char *forged;

	(void)state;
	exchange_run(&x, 2, NULL, false, sim_now);
	exchange_run(&y, 2, NULL, false, sim_now);
	a = json_loads(x.answer, 0, NULL);
	b = json_loads(y.answer, 0, NULL);
	devs = json_array_get(a, 1);
	t0 = json_incref(json_object_get(devs, "GPU-0"));
	t1 = json_incref(json_object_get(devs, "GPU-1"));
	json_object_set_new(devs, "GPU-0", t1);
	json_object_set_new(devs, "GPU-1", t0);
	forged = dump(a);
	assert_null(nv_client(forged, x.jwks, ISSUER, x.nh, sim_now));
	free(forged);
	json_object_set(devs, "GPU-0", t0);
	json_object_set(devs, "GPU-1", json_object_get(json_array_get(b, 1), "GPU-1"));
	forged = dump(a);
	assert_null(nv_client(forged, x.jwks, ISSUER, x.nh, sim_now));
	free(forged);
	json_decref(a);
	json_decref(b);
	exchange_done(&x);
	exchange_done(&y);
}

/*
 * Answered, as NRAS does, when a check fails: overall false and the failed check in the GPU's claims.
 * A drifted GPU: its measres failure and the golden index named; evidence over another nonce than
 * the request's: the nonce check failed.
 */
static void test_failed_checks_answered(void **state)
{
	struct exchange x;

	(void)state;
	exchange_run(&x, 2, "drift=40@1", false, sim_now);
	assert_false(x.passed);
	assert_true(json_is_false(claim(&x, "overall", "x-nvidia-overall-att-result")));
	assert_string_equal(json_string_value(claim(&x, "GPU-0", "measres")), "success");
	assert_string_equal(json_string_value(claim(&x, "GPU-1", "measres")), "fail");
	assert_non_null(strstr(json_string_value(claim(&x, "GPU-1", "ccgpu-error")), "golden.driver[40]"));
	exchange_done(&x);

	exchange_run(&x, 1, NULL, true, sim_now);
	assert_false(x.passed);
	assert_true(json_is_false(claim(&x, "GPU-0", "x-nvidia-gpu-attestation-report-nonce-match")));
	assert_true(json_is_false(claim(&x, "overall", "x-nvidia-overall-att-result")));
	exchange_done(&x);
}

/* NVIDIA's real H100 evidence, in NVIDIA's serialized form, sent as NVIDIA's SDK sends it. */
static void test_real_nvidia_evidence(void **state)
{
	size_t len;
	char *text = (char *)td_read("nvidia/evidence/hopper_evidence.json", &len);
	json_t *ev = json_loads(text, 0, NULL), *item = json_array_get(ev, 0), *list = json_array(), *req, *got;
	json_t *jwks = jwks_text_round_trip();
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();
	const char *nh = json_string_value(json_object_get(item, "nonce"));
	struct ccg_error err;
	bool passed = false;
	char *answer;

	(void)state;
	assert_string_equal(nh, "e97b23a1718095a0e9e35edca810768c70a6a5a389b705e753b197912bc11576");
	json_array_append_new(list, json_pack("{s:O,s:O}", "evidence", json_object_get(item, "evidence"), "certificate",
					      json_object_get(item, "certificate")));
	req = request_for(nh, json_string_value(json_object_get(item, "arch")), list);
	answer = handle(v, req, REAL_NOW, &passed, &err);
	assert_true(passed);
	got = nv_client(answer, jwks, ISSUER, nh, REAL_NOW);
	assert_non_null(got);
	assert_true(json_is_true(json_object_get(json_object_get(got, "overall"), "x-nvidia-overall-att-result")));
	sdk_deserialises(json_object_get(got, "GPU-0"), false);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(got, "GPU-0"), "x-nvidia-gpu-driver-version")),
		"590.12");
	assert_true(json_is_true(
		json_object_get(json_object_get(got, "GPU-0"), "x-nvidia-gpu-attestation-report-signature-verified")));
	json_decref(got);
	free(answer);
	json_decref(req);
	json_decref(ev);
	json_decref(jwks);
	free(text);
	ccg_gpu_verifier_free(v);
}

/* The other real H100 sample (raw report + PEM chain), with the nonce NVIDIA's driver used. */
static void test_real_hopper_sample(void **state)
{
	size_t rlen, clen, nlen;
	uint8_t *report = td_read_hex("nvidia/hopper-550.90.07/report.hex", &rlen);
	uint8_t *chain = td_read("nvidia/hopper-550.90.07/chain.pem", &clen);
	uint8_t *n = td_read_hex("nvidia/hopper-550.90.07/nonce.hex", &nlen);
	char *e64 = ccg_base64_encode_alloc(report, rlen), *c64 = ccg_base64_encode_alloc(chain, clen);
	char *nh = ccg_hex_encode_alloc(n, nlen), *answer;
	json_t *req = request_for(nh, "HOPPER", json_pack("[{s:s,s:s}]", "evidence", e64, "certificate", c64));
	json_t *jwks = jwks_text_round_trip(), *got;
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();
	struct ccg_error err;
	bool passed = false;

	(void)state;
	assert_int_equal(nlen, 32);
	answer = handle(v, req, REAL_NOW, &passed, &err);
	assert_true(passed);
	got = nv_client(answer, jwks, ISSUER, nh, REAL_NOW);
	assert_non_null(got);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(got, "GPU-0"), "x-nvidia-gpu-vbios-version")),
		"96.00.9F.00.01");
	/* our own verifier reads the same tokens (kid, ES384), and refuses them as EAR tokens */
	{
		json_t *doc = json_loads(answer, 0, NULL), *payload = NULL, *jwks_obj = ccg_ear_key_jwks(key),
		       *claims = NULL;
		const char *overall = json_string_value(json_array_get(json_array_get(doc, 0), 1));

		assert_int_equal(ccg_jws_verify(overall, jwks_obj, &payload, NULL), CCG_OK);
		assert_string_equal(json_string_value(json_object_get(payload, "iss")), ISSUER);
		assert_int_equal(ccg_ear_verify(overall, jwks_obj, REAL_NOW, &claims, &err), CCG_ERR_UNSUPPORTED);
		assert_string_equal(err.where, "eat_profile");
		json_decref(payload);
		json_decref(jwks_obj);
		json_decref(doc);
	}
	json_decref(got);
	free(answer);
	json_decref(req);
	json_decref(jwks);
	free(report);
	free(chain);
	free(n);
	free(e64);
	free(c64);
	free(nh);
	ccg_gpu_verifier_free(v);
}

static void test_request_refusals(void **state)
{
	char *nh = nonce_hex();
	json_t *good = request_for(nh, "HOPPER", sim_evidence_list(1));
	const char *e64 = json_string_value(
		json_object_get(json_array_get(json_object_get(good, "evidence_list"), 0), "evidence"));
	const char *c64 = json_string_value(
		json_object_get(json_array_get(json_object_get(good, "evidence_list"), 0), "certificate"));
	struct {
		char *body;
		enum ccg_status s;
		const char *where;
	} cases[32];
	size_t n = 0;
	struct ccg_nras_request *r = NULL;
	struct ccg_error err;
	char *ok = dump(good);

	(void)state;
#define CASE(st, wh, ...) \
	do { \
		assert_true(asprintf(&cases[n].body, __VA_ARGS__) > 0); \
		cases[n].s = (st); \
		cases[n].where = (wh); \
		n++; \
	} while (0)
#define ITEM "{\"evidence\":\"%s\",\"certificate\":\"%s\"}"
	CASE(CCG_ERR_ENCODING, "request", "{\"nonce\":");
	CASE(CCG_ERR_MALFORMED, "request", "[" ITEM "]", e64, c64);
	CASE(CCG_ERR_ENCODING, "request",
	     "{\"nonce\":\"%s\",\"nonce\":\"%s\",\"arch\":\"HOPPER\",\"evidence_list\":[" ITEM "]}", nh, nh, e64, c64);
	CASE(CCG_ERR_MALFORMED, "request",
	     "{\"nonce\":\"%s\",\"arch\":\"HOPPER\",\"policy\":1,\"evidence_list\":[" ITEM "]}", nh, e64, c64);
	CASE(CCG_ERR_MALFORMED, "nonce", "{\"arch\":\"HOPPER\",\"evidence_list\":[" ITEM "]}", e64, c64);
	CASE(CCG_ERR_ENCODING, "nonce", "{\"nonce\":\"%.62s\",\"arch\":\"HOPPER\",\"evidence_list\":[" ITEM "]}", nh,
	     e64, c64);
	CASE(CCG_ERR_ENCODING, "nonce", "{\"nonce\":\"%s00\",\"arch\":\"HOPPER\",\"evidence_list\":[" ITEM "]}", nh,
	     e64, c64);
	CASE(CCG_ERR_ENCODING, "nonce", "{\"nonce\":\"0x%s\",\"arch\":\"HOPPER\",\"evidence_list\":[" ITEM "]}", nh,
	     e64, c64);
	CASE(CCG_ERR_ENCODING, "nonce", "{\"nonce\":\" %s\",\"arch\":\"HOPPER\",\"evidence_list\":[" ITEM "]}", nh, e64,
	     c64);
	CASE(CCG_ERR_ENCODING, "nonce", "{\"nonce\":\"%.63sg\",\"arch\":\"HOPPER\",\"evidence_list\":[" ITEM "]}", nh,
	     e64, c64);
	CASE(CCG_ERR_UNSUPPORTED, "arch", "{\"nonce\":\"%s\",\"arch\":\"LS10\",\"evidence_list\":[" ITEM "]}", nh, e64,
	     c64);
	CASE(CCG_ERR_UNSUPPORTED, "arch", "{\"nonce\":\"%s\",\"arch\":\"hopper\",\"evidence_list\":[" ITEM "]}", nh,
	     e64, c64);
	CASE(CCG_ERR_MALFORMED, "arch", "{\"nonce\":\"%s\",\"evidence_list\":[" ITEM "]}", nh, e64, c64);
	CASE(CCG_ERR_UNSUPPORTED, "claims_version",
	     "{\"nonce\":\"%s\",\"arch\":\"HOPPER\",\"claims_version\":\"2.0\",\"evidence_list\":[" ITEM "]}", nh, e64,
	     c64);
	CASE(CCG_ERR_UNSUPPORTED, "claims_version",
	     "{\"nonce\":\"%s\",\"arch\":\"HOPPER\",\"claims_version\":3,\"evidence_list\":[" ITEM "]}", nh, e64, c64);
	CASE(CCG_ERR_MALFORMED, "evidence_list", "{\"nonce\":\"%s\",\"arch\":\"HOPPER\",\"evidence_list\":[]}", nh);
	CASE(CCG_ERR_MALFORMED, "evidence_list", "{\"nonce\":\"%s\",\"arch\":\"HOPPER\"}", nh);
	CASE(CCG_ERR_TOO_LARGE, "evidence_list",
	     "{\"nonce\":\"%s\",\"arch\":\"HOPPER\",\"evidence_list\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}",
	     nh);
	CASE(CCG_ERR_MALFORMED, "evidence_list[1]",
	     "{\"nonce\":\"%s\",\"arch\":\"HOPPER\",\"evidence_list\":[" ITEM ",7]}", nh, e64, c64);
	CASE(CCG_ERR_MALFORMED, "evidence_list[0]",
	     "{\"nonce\":\"%s\",\"arch\":\"HOPPER\",\"evidence_list\":[{\"evidence\":\"%s\",\"certificate\":\"%s\",\"x\":1}]}",
	     nh, e64, c64);
	CASE(CCG_ERR_MALFORMED, "evidence_list[0].certificate",
	     "{\"nonce\":\"%s\",\"arch\":\"HOPPER\",\"evidence_list\":[{\"evidence\":\"%s\"}]}", nh, e64);
	CASE(CCG_ERR_ENCODING, "evidence_list[0].evidence",
	     "{\"nonce\":\"%s\",\"arch\":\"HOPPER\",\"evidence_list\":[{\"evidence\":\"%s!\",\"certificate\":\"%s\"}]}",
	     nh, e64, c64);
	CASE(CCG_ERR_MALFORMED, "evidence_list[0].evidence",
	     "{\"nonce\":\"%s\",\"arch\":\"HOPPER\",\"evidence_list\":[{\"evidence\":\"\",\"certificate\":\"%s\"}]}",
	     nh, c64);
#undef CASE
#undef ITEM
	/* the good body parses */
	ccg_error_clear(&err);
	assert_int_equal(ccg_nras_request_parse((const uint8_t *)ok, strlen(ok), &r, &err), CCG_OK);
	assert_string_equal(r->arch, "HOPPER");
	assert_memory_equal(r->nonce, nonce, 32);
	assert_int_equal(ccg_gpu_evidence_count(r->evidence), 1);
	ccg_nras_request_free(r);
	r = NULL;
	for (size_t i = 0; i < n; i++) {
		ccg_error_clear(&err);
		if (ccg_nras_request_parse((const uint8_t *)cases[i].body, strlen(cases[i].body), &r, &err) !=
			    cases[i].s ||
		    strcmp(err.where, cases[i].where) != 0)
			fail_msg("case %zu: got %s at \"%s\" (%s), want %s at \"%s\"", i, ccg_status_name(err.status),
				 err.where, err.detail, ccg_status_name(cases[i].s), cases[i].where);
		assert_null(r);
		free(cases[i].body);
	}
	/* LS10 is named as switch evidence, not just an unknown arch */
	{
		char *body = NULL;

		assert_true(asprintf(&body,
				     "{\"nonce\":\"%s\",\"arch\":\"LS10\",\"evidence_list\":[{\"evidence\":\"%s\","
				     "\"certificate\":\"%s\"}]}",
				     nh, e64, c64) > 0);
		ccg_error_clear(&err);
		assert_int_equal(ccg_nras_request_parse((const uint8_t *)body, strlen(body), &r, &err),
				 CCG_ERR_UNSUPPORTED);
		assert_non_null(strstr(err.detail, "NVSwitch"));
		free(body);
	}
	/* an evidence item over its bound */
	{
		size_t big = CCG_NRAS_MAX_ITEM + 3;
		uint8_t *raw = calloc(1, big);
		char *b64 = ccg_base64_encode_alloc(raw, big), *body = NULL;

		assert_true(asprintf(&body,
				     "{\"nonce\":\"%s\",\"arch\":\"HOPPER\",\"evidence_list\":[{\"evidence\":\"%s\","
				     "\"certificate\":\"%s\"}]}",
				     nh, b64, c64) > 0);
		ccg_error_clear(&err);
		assert_int_equal(ccg_nras_request_parse((const uint8_t *)body, strlen(body), &r, &err),
				 CCG_ERR_TOO_LARGE);
		assert_string_equal(err.where, "evidence_list[0].evidence");
		free(body);
		free(b64);
		free(raw);
	}
	/* a body over its bound */
	ccg_error_clear(&err);
	assert_int_equal(ccg_nras_request_parse((const uint8_t *)ok, CCG_NRAS_MAX_BODY + 1, &r, &err),
			 CCG_ERR_TOO_LARGE);
	free(ok);
	json_decref(good);
	free(nh);
}

static void test_handle_arguments(void **state)
{
	struct ccg_gpu_verifier *v = sim_verifier();
	char *nh = nonce_hex();
	json_t *req = request_for(nh, "HOPPER", sim_evidence_list(1));
	char *body = dump(req), *answer = (char *)1;
	struct ccg_nras_config cfg = {.gpu = v, .key = key, .issuer = ISSUER, .ttl = 120};
	struct ccg_error err;
	json_t *doc, *overall = NULL, *jwks = ccg_ear_key_jwks(key);

	(void)state;
	gpusim_clear_faults(sim);
	assert_int_equal(ccg_nras_handle(&cfg, (const uint8_t *)body, strlen(body), 0, &answer, NULL, &err),
			 CCG_ERR_INVALID_ARG);
	assert_null(answer);
	cfg.issuer = NULL;
	assert_int_equal(ccg_nras_handle(&cfg, (const uint8_t *)body, strlen(body), sim_now, &answer, NULL, NULL),
			 CCG_ERR_INVALID_ARG);
	cfg.issuer = ISSUER;
	/* a refused request is an error, not an answer */
	ccg_error_clear(&err);
	assert_int_equal(ccg_nras_handle(&cfg, (const uint8_t *)"{}", 2, sim_now, &answer, NULL, &err),
			 CCG_ERR_MALFORMED);
	assert_null(answer);
	/* the configured lifetime */
	assert_int_equal(ccg_nras_handle(&cfg, (const uint8_t *)body, strlen(body), sim_now, &answer, NULL, NULL),
			 CCG_OK);
	doc = json_loads(answer, 0, NULL);
	assert_int_equal(ccg_jws_verify(json_string_value(json_array_get(json_array_get(doc, 0), 1)), jwks, &overall,
					NULL),
			 CCG_OK);
	assert_int_equal(json_integer_value(json_object_get(overall, "exp")), sim_now + 120);
	json_decref(overall);
	json_decref(doc);
	json_decref(jwks);
	free(answer);
	free(body);
	json_decref(req);
	free(nh);
	ccg_gpu_verifier_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gpusim_two_gpus),        cmocka_unit_test(test_detached_tokens_are_bound),
		cmocka_unit_test(test_failed_checks_answered), cmocka_unit_test(test_real_nvidia_evidence),
		cmocka_unit_test(test_real_hopper_sample),     cmocka_unit_test(test_request_refusals),
		cmocka_unit_test(test_handle_arguments),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
