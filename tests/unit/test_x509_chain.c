/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/pem.h>
#include <string.h>

#include "attest/pki/x509_chain.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "testdata.h"

/* 2026-11-22T00:00:00Z: inside every device certificate's validity */
#define NOW 1795305600

static STACK_OF(X509) *load_chain(const char *rel)
{
	STACK_OF(X509) *sk = NULL;

	assert_int_equal(ccg_pem_certs_load(td_path(rel), 10, &sk, NULL), CCG_OK);
	return sk;
}

static void test_real_chains_verify(void **state)
{
	static const char *chains[] = {"nvidia/hopper-550.90.07/chain.pem", "nvidia/hopper-580.159.03/chain.pem"};
	X509 *anchor = td_cert("nvidia/roots/nvidia_device_identity_ca.pem");

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		STACK_OF(X509) *sk = load_chain(chains[i]);
		struct ccg_chain_opts o = {.anchor = anchor, .now = NOW, .name = "device chain"};
		struct ccg_chain_result r;
		struct ccg_error err;

		ccg_error_clear(&err);
		assert_int_equal(ccg_chain_verify(sk, &o, &r, &err), CCG_OK);
		assert_false(r.expired);
		assert_string_equal(r.not_after_iso, "9999-12-31T23:59:59Z");
		/* the window opens at the latest notBefore of chain and anchor */
		assert_true(r.not_before > 1577836800 && r.not_before < NOW);
		sk_X509_pop_free(sk, X509_free);
	}
	X509_free(anchor);
}

static void test_missing_cert_fails(void **state)
{
	X509 *anchor = td_cert("nvidia/roots/nvidia_device_identity_ca.pem");

	(void)state;
	for (int drop = 1; drop < 4; drop++) {
		STACK_OF(X509) *sk = load_chain("nvidia/hopper-550.90.07/chain.pem");
		struct ccg_chain_opts o = {.anchor = anchor, .now = NOW, .name = "device chain"};
		struct ccg_chain_result r;
		struct ccg_error err;

		X509_free(sk_X509_delete(sk, drop));
		ccg_error_clear(&err);
		assert_int_equal(ccg_chain_verify(sk, &o, &r, &err), CCG_ERR_CERT_CHAIN);
		assert_non_null(strstr(err.where, "device chain["));
		sk_X509_pop_free(sk, X509_free);
	}
	X509_free(anchor);
}

static void test_other_root_fails(void **state)
{
	/* the RIM root is a real NVIDIA root, but not the device identity anchor */
	X509 *anchor = td_cert("nvidia/roots/nvidia_rim_root.pem");
	STACK_OF(X509) *sk = load_chain("nvidia/hopper-550.90.07/chain.pem");
	struct ccg_chain_opts o = {.anchor = anchor, .now = NOW, .name = "device chain"};
	struct ccg_chain_result r;
	struct ccg_error err;

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_chain_verify(sk, &o, &r, &err), CCG_ERR_CERT_UNTRUSTED);
	assert_string_equal(err.where, "device chain[4] (CN=NVIDIA Device Identity CA)");
	/* without the root in the chain: the top intermediate has no issuer */
	X509_free(sk_X509_pop(sk));
	ccg_error_clear(&err);
	assert_int_equal(ccg_chain_verify(sk, &o, &r, &err), CCG_ERR_CERT_CHAIN);
	sk_X509_pop_free(sk, X509_free);
	X509_free(anchor);
}

static void test_reordered_and_extra_fail(void **state)
{
	X509 *anchor = td_cert("nvidia/roots/nvidia_device_identity_ca.pem");
	STACK_OF(X509) *sk = load_chain("nvidia/hopper-550.90.07/chain.pem");
	STACK_OF(X509) *other = load_chain("nvidia/hopper-580.159.03/chain.pem");
	struct ccg_chain_opts o = {.anchor = anchor, .now = NOW, .name = "device chain"};
	struct ccg_chain_result r;
	X509 *a, *b;

	(void)state;
	/* swap two intermediates */
	a = sk_X509_value(sk, 1);
	b = sk_X509_value(sk, 2);
	sk_X509_set(sk, 1, b);
	sk_X509_set(sk, 2, a);
	assert_int_not_equal(ccg_chain_verify(sk, &o, &r, NULL), CCG_OK);
	sk_X509_set(sk, 1, a);
	sk_X509_set(sk, 2, b);
	assert_int_equal(ccg_chain_verify(sk, &o, &r, NULL), CCG_OK);
	/* another GPU's leaf in front: the chain no longer starts at this leaf */
	assert_int_equal(sk_X509_insert(sk, X509_dup(sk_X509_value(other, 0)), 1), 6);
	assert_int_not_equal(ccg_chain_verify(sk, &o, &r, NULL), CCG_OK);
	sk_X509_pop_free(sk, X509_free);
	sk_X509_pop_free(other, X509_free);
	X509_free(anchor);
}

static void test_no_anchor_and_empty(void **state)
{
	STACK_OF(X509) *empty = sk_X509_new_null();
	struct ccg_chain_opts o = {0};
	struct ccg_chain_result r;
	X509 *anchor = td_cert("nvidia/roots/nvidia_device_identity_ca.pem");

	(void)state;
	assert_int_equal(ccg_chain_verify(empty, &o, &r, NULL), CCG_ERR_INVALID_ARG);
	o.anchor = anchor;
	assert_int_equal(ccg_chain_verify(empty, &o, &r, NULL), CCG_ERR_CERT_CHAIN);
	/* the anchor alone: no end-entity certificate, said so (not "extra or misordered") */
	{
		struct ccg_error err;

		assert_int_equal(sk_X509_push(empty, anchor), 1);
		ccg_error_clear(&err);
		assert_int_equal(ccg_chain_verify(empty, &o, &r, &err), CCG_ERR_CERT_CHAIN);
		assert_non_null(strstr(err.detail, "no end-entity (device) certificate"));
	}
	sk_X509_free(empty);
	X509_free(anchor);
}

static void test_fwid(void **state)
{
	STACK_OF(X509) *sk = load_chain("nvidia/hopper-580.159.03/chain.pem");
	uint8_t fwid[48], want[48];
	struct ccg_error err;

	(void)state;
	assert_int_equal(ccg_hex_decode_fixed("f1ae7d0093a3f5689cced58045c9744f94eb2aa4ddca8813"
					      "5197fb41a7be45576c2881cf920e2cbcc090b1cb921f7b2d",
					      96, want, 48),
			 CCG_OK);
	assert_int_equal(ccg_cert_fwid(sk_X509_value(sk, 0), fwid, NULL), CCG_OK);
	assert_memory_equal(fwid, want, 48);
	ccg_error_clear(&err);
	/* an intermediate carries no FWID */
	assert_int_equal(ccg_cert_fwid(sk_X509_value(sk, 3), fwid, &err), CCG_ERR_CERT_FWID);
	sk_X509_pop_free(sk, X509_free);
}

/* the DER of a real GB100 leaf's 2.23.133.5.4.1.1 extension, as NVIDIA's SDK shows it (nv_x509.cpp) */
static const char gb100_tcbinfo[] =
	"3081b180064e5649444941810d4742313030204130312047535082023031830101840100850100a67e303d0609608648"
	"0165030402020430d090cab1b6e6ffddca83d1781e25b3f040fa1f3c7608230cb5f41b1c1b99f5f748349e59d0ef8eb8"
	"30c9bc79ccf77502303d06096086480165030402020430000000000000000000000000000000000000000000000000000"
	"000000000000000000000000000000000000000000000870500800000018801c0890100";

static enum ccg_status tcbinfo_hex(const char *hex, bool composite, uint8_t fwid[48], struct ccg_error *err)
{
	uint8_t der[512];
	size_t n = strlen(hex) / 2;

	assert_true(n <= sizeof(der));
	assert_int_equal(ccg_hex_decode_fixed(hex, 2 * n, der, n), CCG_OK);
	ccg_error_clear(err);
	return ccg_tcbinfo_fwid(der, n, composite, "ext", fwid, err);
}

static void test_blackwell_tcbinfo(void **state)
{
	uint8_t fwid[48], want[48], der[256];
	char hex[sizeof(gb100_tcbinfo) + 8];
	struct ccg_error err;
	char *p;

	(void)state;
	assert_int_equal(ccg_hex_decode_fixed("d090cab1b6e6ffddca83d1781e25b3f040fa1f3c7608230cb5f41b1c1b99f5f7"
					      "48349e59d0ef8eb830c9bc79ccf77502",
					      96, want, 48),
			 CCG_OK);
	/* the FWID is the digest of fwids[0]; the last 48 bytes of the value are not it */
	assert_int_equal(tcbinfo_hex(gb100_tcbinfo, false, fwid, &err), CCG_OK);
	assert_memory_equal(fwid, want, 48);
	assert_int_equal(ccg_hex_decode_fixed(gb100_tcbinfo, strlen(gb100_tcbinfo), der, strlen(gb100_tcbinfo) / 2),
			 CCG_OK);
	assert_memory_not_equal(der + strlen(gb100_tcbinfo) / 2 - 48, want, 48);
	/* a byte after the TcbInfo */
	snprintf(hex, sizeof(hex), "%s00", gb100_tcbinfo);
	assert_int_equal(tcbinfo_hex(hex, false, fwid, &err), CCG_ERR_CERT_FWID);
	assert_string_equal(err.where, "ext");
	/* fwids[0] hashed with SHA-256 instead of SHA-384 */
	snprintf(hex, sizeof(hex), "%s", gb100_tcbinfo);
	p = strstr(hex, "0609608648016503040202");
	assert_non_null(p);
	p[21] = '1';
	assert_int_equal(tcbinfo_hex(hex, false, fwid, &err), CCG_ERR_CERT_FWID);
	assert_non_null(strstr(err.detail, "SHA-384"));
	/* a TcbInfo without fwids: vendor [0] "NVIDIA" only */
	assert_int_equal(tcbinfo_hex("300880064e5649444941", false, fwid, &err), CCG_ERR_CERT_FWID);
	assert_non_null(strstr(err.detail, "fwids"));
	/* not DER at all */
	assert_int_equal(tcbinfo_hex("0401ff", true, fwid, &err), CCG_ERR_CERT_FWID);
}

static void test_hopper_composite_device_id(void **state)
{
	STACK_OF(X509) *sk = load_chain("nvidia/hopper-550.90.07/chain.pem");
	ASN1_OBJECT *oid = OBJ_txt2obj("2.23.133.5.4.1", 1);
	int pos = X509_get_ext_by_OBJ(sk_X509_value(sk, 0), oid, -1);
	const ASN1_OCTET_STRING *v;
	uint8_t fwid[48], via_cert[48];
	struct ccg_error err;

	(void)state;
	assert_true(pos >= 0);
	v = X509_EXTENSION_get_data(X509_get_ext(sk_X509_value(sk, 0), pos));
	/* Hopper's 2.23.133.5.4.1 holds a CompositeDeviceID: accepted only under that OID */
	ccg_error_clear(&err);
	assert_int_equal(ccg_tcbinfo_fwid(ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v), true, "ext", fwid,
					  &err),
			 CCG_OK);
	assert_int_equal(ccg_tcbinfo_fwid(ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v), false, "ext", fwid,
					  &err),
			 CCG_ERR_CERT_FWID);
	assert_int_equal(ccg_cert_fwid(sk_X509_value(sk, 0), via_cert, NULL), CCG_OK);
	/* the README's fact for this chain: the FWID is the extension's last 48 bytes */
	assert_memory_equal(via_cert, ASN1_STRING_get0_data(v) + ASN1_STRING_length(v) - 48, 48);
	ASN1_OBJECT_free(oid);
	sk_X509_pop_free(sk, X509_free);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_chains_verify),  cmocka_unit_test(test_missing_cert_fails),
		cmocka_unit_test(test_other_root_fails),    cmocka_unit_test(test_reordered_and_extra_fail),
		cmocka_unit_test(test_no_anchor_and_empty), cmocka_unit_test(test_fwid),
		cmocka_unit_test(test_blackwell_tcbinfo),   cmocka_unit_test(test_hopper_composite_device_id),
	};

	td_require();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
