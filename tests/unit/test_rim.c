/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <libxml/c14n.h>
#include <libxml/tree.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attest/gpu/rim.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/file.h"
#include "common/str.h"
#include "common/http.h"
#include "testdata.h"

/* 2026-11-22T00:00:00Z: after the VBIOS RIM's L3 expired (2026-11-11), before the driver RIM's leaf (2026-12-30) */
#define NOW 1795305600

#define VBIOS_RIM "nvidia/rims/NV_GPU_VBIOS_1010_0205_862_9600740020.xml"
#define DRIVER_RIM "nvidia/rims/NV_GPU_DRIVER_GH100_550.144.03.xml"
#define DRIVER_RIM_BAD "nvidia/rims/NV_GPU_DRIVER_GH100_550.144.03.bad-signature.xml"
#define RIM_ROOT "nvidia/roots/nvidia_rim_root.pem"

static X509 *rim_root;

static int setup(void **state)
{
	(void)state;
	rim_root = td_cert(RIM_ROOT);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	X509_free(rim_root);
	return 0;
}

static struct ccg_rim *parse_ok(const uint8_t *xml, size_t len)
{
	struct ccg_rim *rim = NULL;
	struct ccg_error err;

	ccg_error_clear(&err);
	if (ccg_rim_parse(xml, len, &rim, &err) != CCG_OK)
		fail_msg("parse failed: %s: %s", err.where, err.detail);
	return rim;
}

static struct ccg_rim *load_ok(const char *rel)
{
	size_t len;
	uint8_t *xml = td_read(rel, &len);
	struct ccg_rim *rim = parse_ok(xml, len);

	free(xml);
	return rim;
}

static const struct ccg_rim_measurement *find_meas(const struct ccg_rim *rim, uint32_t index)
{
	for (size_t i = 0; i < rim->num_measurements; i++)
		if (rim->measurements[i].index == index)
			return &rim->measurements[i];
	fail_msg("no measurement with index %u", index);
	abort();
}

/* parse with err; returns the status and leaves err filled */
static enum ccg_status parse_status(const char *xml, struct ccg_error *err)
{
	struct ccg_rim *rim = NULL;
	enum ccg_status st;

	ccg_error_clear(err);
	st = ccg_rim_parse((const uint8_t *)xml, strlen(xml), &rim, err);
	if (st == CCG_OK)
		assert_non_null(rim);
	else
		assert_null(rim);
	ccg_rim_free(rim);
	return st;
}

/* replaces the first occurrence of from with to in a malloc'd copy of s */
static char *replace1(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	size_t n;
	char *out;

	if (p == NULL)
		fail_msg("pattern not found: %s", from);
	n = strlen(s) - strlen(from) + strlen(to) + 1;
	out = malloc(n);
	assert_non_null(out);
	memcpy(out, s, (size_t)(p - s));
	memcpy(out + (p - s), to, strlen(to));
	strcpy(out + (p - s) + strlen(to), p + strlen(from));
	return out;
}

static char *read_text(const char *rel)
{
	size_t len;

	return (char *)td_read(rel, &len);
}

/* ---------- real data ---------- */

static void test_vbios_rim_parse(void **state)
{
	struct ccg_rim *rim = load_ok(VBIOS_RIM);
	const struct ccg_rim_measurement *m;
	size_t active = 0;
	char cn[128];

	(void)state;
	assert_string_equal(rim->tag_id,
			    "74f582b8dd13db7eb8791ee4ae7eaf690d67a81e2a037356e68975"
			    "1cccec7a8adfb8db05ff2f016b6a70b48dd065a543");
	assert_string_equal(rim->product, "GH100");
	assert_string_equal(rim->colloquial_version, "96.00.74.00.20");
	assert_string_equal(rim->manufacturer_id, "5703");
	for (size_t i = 0; i < rim->num_measurements; i++) {
		if (i > 0)
			assert_true(rim->measurements[i - 1].index < rim->measurements[i].index);
		assert_int_equal(rim->measurements[i].hash_len, 48);
		if (rim->measurements[i].active)
			active++;
	}
	assert_int_equal(active, 12);
	m = find_meas(rim, 9);
	assert_non_null(m);
	assert_true(m->active);
	assert_int_equal(m->alternatives, 1);
	m = find_meas(rim, 12);
	assert_non_null(m);
	assert_int_equal(m->alternatives, 4);
	m = find_meas(rim, 1);
	assert_non_null(m);
	assert_string_equal(m->name, "HashedMeasurement_1_FSP");
	assert_int_equal(m->hashes[0][0], 0xb5);
	assert_int_equal(m->hashes[0][47], 0xdb);
	m = find_meas(rim, 7);
	assert_non_null(m);
	assert_false(m->active);
	/* leaf (signer) first, then L3, CA, root */
	assert_int_equal(sk_X509_num(rim->certs), 4);
	assert_string_equal(ccg_x509_cn(sk_X509_value(rim->certs, 0), cn, sizeof(cn)), "HCC RIM L4 Signer");
	assert_string_equal(ccg_x509_cn(sk_X509_value(rim->certs, 3), cn, sizeof(cn)), "NVIDIA CoRIM signing Root CA");
	ccg_rim_free(rim);
}

static void test_vbios_rim_verifies_ignoring_expiry(void **state)
{
	struct ccg_rim *rim = load_ok(VBIOS_RIM);
	struct ccg_rim_verify_opts o = {.rim_root = rim_root, .now = NOW, .ignore_expiry = true};
	struct ccg_rim_verify_result r;
	struct ccg_error err;

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_verify(rim, &o, &r, &err), CCG_OK);
	assert_true(r.schema_valid);
	assert_true(r.signature_verified);
	assert_true(r.chain_verified);
	assert_true(r.chain.expired);
	ccg_rim_free(rim);
}

static void test_vbios_rim_expired_at_now(void **state)
{
	struct ccg_rim *rim = load_ok(VBIOS_RIM);
	struct ccg_rim_verify_opts o = {.rim_root = rim_root, .now = NOW, .ignore_expiry = false};
	struct ccg_rim_verify_result r;
	struct ccg_error err;

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_verify(rim, &o, &r, &err), CCG_ERR_CERT_EXPIRED);
	assert_true(r.signature_verified);
	assert_false(r.chain_verified);
	/* the error names the expired certificate: position and CN in the RIM chain */
	assert_non_null(strstr(err.where, "RIM chain["));
	assert_true(strstr(err.where, "HCC RIM L4 Signer") != NULL ||
		    strstr(err.where, "NVIDIA Reference Value L3 GH100 001") != NULL);
	ccg_rim_free(rim);
}

static void test_driver_rim_verifies_at_now(void **state)
{
	struct ccg_rim *rim = load_ok(DRIVER_RIM);
	struct ccg_rim_verify_opts o = {.rim_root = rim_root, .now = NOW};
	struct ccg_rim_verify_result r;
	struct ccg_error err;
	const struct ccg_rim_measurement *m;

	(void)state;
	assert_string_equal(rim->colloquial_version, "550.144.03");
	m = find_meas(rim, 35);
	assert_non_null(m);
	assert_int_equal(m->alternatives, 4);
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_verify(rim, &o, &r, &err), CCG_OK);
	assert_true(r.signature_verified && r.chain_verified);
	assert_false(r.chain.expired);
	assert_string_equal(r.chain.not_after_iso, "2026-12-30T16:56:50Z");
	/* a day after the leaf's notAfter: expired */
	o.now = 1798675200; /* 2027-01-01 */
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_verify(rim, &o, &r, &err), CCG_ERR_CERT_EXPIRED);
	assert_non_null(strstr(err.where, "RIM chain[0]"));
	ccg_rim_free(rim);
}

static void test_bad_signature_rim_fails(void **state)
{
	struct ccg_rim *rim = load_ok(DRIVER_RIM_BAD);
	struct ccg_rim_verify_opts o = {.rim_root = rim_root, .now = NOW, .ignore_expiry = true};
	struct ccg_rim_verify_result r;
	struct ccg_error err;

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_verify(rim, &o, &r, &err), CCG_ERR_SIGNATURE);
	assert_string_equal(err.where, "rim.Signature");
	assert_false(r.signature_verified);
	assert_false(r.chain_verified);
	ccg_rim_free(rim);
}

static void test_wrong_root_untrusted(void **state)
{
	struct ccg_rim *rim = load_ok(DRIVER_RIM);
	X509 *root = td_cert("nvidia/roots/nvidia_device_identity_ca.pem");
	struct ccg_rim_verify_opts o = {.rim_root = root, .now = NOW};
	struct ccg_rim_verify_result r;
	struct ccg_error err;

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_verify(rim, &o, &r, &err), CCG_ERR_CERT_UNTRUSTED);
	assert_true(r.signature_verified);
	assert_false(r.chain_verified);
	X509_free(root);
	ccg_rim_free(rim);
}

/* the VBIOS RIM's signer certificate put in front of the driver RIM's: the key is another one */
static void test_foreign_signer_cert_fails(void **state)
{
	char *drv = read_text(DRIVER_RIM), *vb = read_text(VBIOS_RIM);
	const char *tag = "<ds:X509Certificate>";
	char *vb_leaf_start = strstr(vb, tag), *vb_leaf_end, *drv_leaf_start, *drv_leaf_end, *mixed;
	size_t pre, leaf_len, rest;
	struct ccg_rim *rim;
	struct ccg_rim_verify_opts o = {.rim_root = rim_root, .now = NOW, .ignore_expiry = true};
	struct ccg_error err;

	(void)state;
	assert_non_null(vb_leaf_start);
	vb_leaf_end = strstr(vb_leaf_start, "</ds:X509Certificate>");
	drv_leaf_start = strstr(drv, tag);
	drv_leaf_end = strstr(drv_leaf_start, "</ds:X509Certificate>");
	assert_non_null(vb_leaf_end);
	assert_non_null(drv_leaf_end);
	pre = (size_t)(drv_leaf_start - drv);
	leaf_len = (size_t)(vb_leaf_end - vb_leaf_start);
	rest = strlen(drv_leaf_end);
	mixed = malloc(pre + leaf_len + rest + 1);
	assert_non_null(mixed);
	memcpy(mixed, drv, pre);
	memcpy(mixed + pre, vb_leaf_start, leaf_len);
	memcpy(mixed + pre + leaf_len, drv_leaf_end, rest + 1);
	rim = parse_ok((const uint8_t *)mixed, strlen(mixed));
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_verify(rim, &o, NULL, &err), CCG_ERR_SIGNATURE);
	ccg_rim_free(rim);
	free(mixed);
	free(drv);
	free(vb);
}

/* ---------- flips and truncations ---------- */

static uint8_t *c14n(const struct ccg_rim *rim, int *len)
{
	xmlChar *out = NULL;

	*len = xmlC14NDocDumpMemory((xmlDocPtr)rim->doc, NULL, XML_C14N_1_1, NULL, 0, &out);
	assert_true(*len > 0);
	return out;
}

/*
 * The property asserted for every mutated document M (flipped or truncated):
 * ccg_rim_parse(M) fails, or ccg_rim_verify(M) fails, or the Canonical XML
 * 1.1 form (without comments) of the whole of M — SoftwareIdentity with its
 * payload AND the ds:Signature with SignedInfo, SignatureValue and the
 * KeyInfo certificates — is byte-identical to the original's. So a mutation
 * that verifies can only be one XML itself calls insignificant (whitespace
 * inside tags, after the root element, quoting), never a change of any
 * value, name, measurement, certificate or signature.
 */
struct mutation_stats {
	size_t tried, parse_failed, verify_failed, same_canonical;
	size_t at; /* the mutated position, for messages */
};

static void check_mutation(const uint8_t *m, size_t len, const uint8_t *canon, int canon_len, struct mutation_stats *s)
{
	struct ccg_rim *rim = NULL;
	struct ccg_rim_verify_opts o = {.rim_root = rim_root, .now = NOW};
	struct ccg_error err;
	enum ccg_status st;
	uint8_t *mc;
	int mc_len;

	s->tried++;
	ccg_error_clear(&err);
	st = ccg_rim_parse(m, len, &rim, &err);
	if (st != CCG_OK) {
		assert_int_equal(err.status, st);
		assert_true(err.where[0] != '\0');
		assert_null(rim);
		s->parse_failed++;
		return;
	}
	ccg_error_clear(&err);
	st = ccg_rim_verify(rim, &o, NULL, &err);
	if (st != CCG_OK) {
		assert_int_equal(err.status, st);
		s->verify_failed++;
		ccg_rim_free(rim);
		return;
	}
	mc = c14n(rim, &mc_len);
	if (mc_len != canon_len || memcmp(mc, canon, (size_t)canon_len) != 0)
		fail_msg("a mutated RIM verifies with different canonical content (length %zu, byte %zu)", len, s->at);
	s->same_canonical++;
	xmlFree(mc);
	ccg_rim_free(rim);
}

static bool in_element_text(const uint8_t *xml, size_t len, size_t pos, const char *open, const char *close)
{
	const char *s = (const char *)xml;
	const char *a = strstr(s, open);

	(void)len;
	while (a != NULL) {
		const char *b = strstr(a, close);

		if (b == NULL)
			return false;
		if (pos >= (size_t)(a - s) && pos < (size_t)(b - s) + strlen(close))
			return true;
		a = strstr(b, open);
	}
	return false;
}

static void test_byte_flips_driver_rim(void **state)
{
	static const uint8_t masks[] = {0x01, 0x20};
	size_t len;
	uint8_t *xml = td_read(DRIVER_RIM, &len);
	uint8_t *m = malloc(len);
	struct ccg_rim *orig = parse_ok(xml, len);
	struct mutation_stats s = {0};
	size_t in_sig = 0;
	int canon_len;
	uint8_t *canon = c14n(orig, &canon_len);

	(void)state;
	assert_non_null(m);
	for (size_t i = 0; i < len; i++) {
		bool sig = in_element_text(xml, len, i, "<ds:SignatureValue>", "</ds:SignatureValue>") ||
			   in_element_text(xml, len, i, "<ds:DigestValue>", "</ds:DigestValue>");

		if (!sig && i % 7 != 0)
			continue;
		in_sig += sig;
		for (size_t k = 0; k < sizeof(masks); k++) {
			memcpy(m, xml, len);
			m[i] ^= masks[k];
			s.at = i;
			check_mutation(m, len, canon, canon_len, &s);
		}
	}
	print_message(
		"# flips: %zu tried (%zu inside SignatureValue/DigestValue), %zu parse failures, "
		"%zu verify failures, %zu verified with identical canonical form\n",
		s.tried, in_sig * 2, s.parse_failed, s.verify_failed, s.same_canonical);
	assert_true(in_sig > 150);
	xmlFree(canon);
	ccg_rim_free(orig);
	free(m);
	free(xml);
}

static void test_truncations_driver_rim(void **state)
{
	size_t len;
	uint8_t *xml = td_read(DRIVER_RIM, &len);
	struct ccg_rim *orig = parse_ok(xml, len);
	struct mutation_stats s = {0};
	int canon_len;
	uint8_t *canon = c14n(orig, &canon_len);
	size_t end_tag = (size_t)(strstr((const char *)xml, "</SoftwareIdentity>") - (const char *)xml) +
			 strlen("</SoftwareIdentity>");

	(void)state;
	for (size_t l = 0; l < len; l++) {
		bool only_trailing_ws = l >= end_tag;

		if (!(l < 600 || l + 600 > len || l % 31 == 0))
			continue;
		check_mutation(xml, l, canon, canon_len, &s);
		/* only cutting the newlines after </SoftwareIdentity> may leave the document whole */
		if (!only_trailing_ws)
			assert_int_equal(s.same_canonical, 0);
	}
	print_message("# truncations: %zu tried, %zu parse failures, %zu verify failures, %zu whole\n", s.tried,
		      s.parse_failed, s.verify_failed, s.same_canonical);
	assert_int_equal(s.same_canonical, len - end_tag);
	xmlFree(canon);
	ccg_rim_free(orig);
	free(xml);
}

/* ---------- structure checks on edited real RIMs ---------- */

static void expect_edit(const char *from, const char *to, enum ccg_status want, const char *where)
{
	char *drv = read_text(DRIVER_RIM);
	char *x = replace1(drv, from, to);
	struct ccg_error err;

	assert_int_equal(parse_status(x, &err), want);
	if (where != NULL)
		assert_string_equal(err.where, where);
	free(x);
	free(drv);
}

static void test_structure_errors(void **state)
{
	(void)state;
	expect_edit("index=\"9\"", "index=\"8\"", CCG_ERR_DUPLICATE, "rim.Payload.Resource[index=8]");
	expect_edit("index=\"9\" active=\"False\"", "index=\"9\" active=\"true\"", CCG_ERR_MALFORMED,
		    "rim.Payload.Resource[index=9].active");
	expect_edit("index=\"9\" active=\"False\" alternatives=\"1\"",
		    "index=\"9\" active=\"False\" alternatives=\"2\"", CCG_ERR_MALFORMED,
		    "rim.Payload.Resource[index=9]");
	expect_edit("index=\"9\" active=\"False\" alternatives=\"1\"",
		    "index=\"9\" active=\"False\" alternatives=\"0\"", CCG_ERR_MALFORMED,
		    "rim.Payload.Resource[index=9].alternatives");
	expect_edit("index=\"9\" active=\"False\" alternatives=\"1\"",
		    "index=\"9\" active=\"False\" alternatives=\"99999999999\"", CCG_ERR_MALFORMED,
		    "rim.Payload.Resource[index=9].alternatives");
	expect_edit("index=\"9\" active=\"False\" alternatives=\"1\" ns2:Hash0=\"00",
		    "index=\"9\" active=\"False\" alternatives=\"1\" ns2:Hash0=\"0g", CCG_ERR_ENCODING,
		    "rim.Payload.Resource[index=9].Hash0");
	expect_edit("index=\"9\" active=\"False\" alternatives=\"1\" ns2:Hash0=\"00",
		    "index=\"9\" active=\"False\" alternatives=\"1\" ns2:Hash0=\"0", CCG_ERR_MALFORMED,
		    "rim.Payload.Resource[index=9].Hash0");
	expect_edit("index=\"9\" active=\"False\" alternatives=\"1\" ns2:Hash0=",
		    "index=\"9\" active=\"False\" alternatives=\"1\" ns2:Hash1=", CCG_ERR_MALFORMED,
		    "rim.Payload.Resource[index=9].Hash1");
	expect_edit("index=\"9\" active=\"False\" alternatives=\"1\" ns2:Hash0=",
		    "index=\"9\" active=\"False\" alternatives=\"1\" Hash0=", CCG_ERR_UNSUPPORTED,
		    "rim.Payload.Resource[index=9].Hash0");
	expect_edit("index=\"9\"", "index=\"-9\"", CCG_ERR_MALFORMED, "rim.Payload.Resource[#9].index");
	expect_edit("index=\"9\"", "index=\"09\"", CCG_ERR_MALFORMED, "rim.Payload.Resource[#9].index");
	expect_edit("index=\"9\"", "index=\"254\"", CCG_ERR_MALFORMED, "rim.Payload.Resource[#9].index");
	expect_edit("index=\"9\"", "nodex=\"9\"", CCG_ERR_MALFORMED, "rim.Payload.Resource[#9].index");
	expect_edit("size=\"48\"", "size=\"32\"", CCG_ERR_MALFORMED, "rim.Payload.Resource[index=0].size");
	expect_edit("tagId=", "tagID=", CCG_ERR_MALFORMED, "rim.SoftwareIdentity@tagId");
	expect_edit("ns1:PlatformManufacturerId=", "PlatformManufacturerId=", CCG_ERR_MALFORMED,
		    "rim.Meta@PlatformManufacturerId");
	expect_edit("colloquialVersion=", "colloquialversion=", CCG_ERR_MALFORMED, "rim.Meta@colloquialVersion");
	expect_edit("<ns0:Payload", "<ns0:Paylaod", CCG_ERR_ENCODING, "rim");
	expect_edit("<SoftwareIdentity xmlns=\"http://standards.iso.org/iso/19770/-2/2015/schema.xsd\"",
		    "<SoftwareIdentity xmlns=\"urn:other\"", CCG_ERR_MALFORMED, "rim.SoftwareIdentity");
	expect_edit("<ds:X509Certificate>MII", "<ds:X509Certificate>MIJ", CCG_ERR_ENCODING,
		    "rim.Signature.KeyInfo.X509Certificate[0]");
	/* a second Signature, and one moved into the Payload */
	expect_edit("</ns0:Payload>", "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/></ns0:Payload>",
		    CCG_ERR_DUPLICATE, "rim.Signature");
}

static void test_signature_placement(void **state)
{
	char *drv = read_text(DRIVER_RIM);
	char *sig = strstr(drv, "<ds:Signature ");
	char *end = strstr(drv, "</SoftwareIdentity>");
	struct ccg_error err;
	char *moved;
	size_t head, sig_len, tail;

	(void)state;
	assert_non_null(sig);
	assert_non_null(end);
	/* the Signature moved into the Payload: not a child of the root */
	head = (size_t)(sig - drv);
	sig_len = (size_t)(end - sig);
	tail = strlen(end);
	moved = malloc(strlen(drv) + 1);
	assert_non_null(moved);
	{
		char *pay_end = strstr(drv, "</ns0:Payload>");
		size_t a = (size_t)(pay_end - drv);

		memcpy(moved, drv, a);
		memcpy(moved + a, sig, sig_len);
		memcpy(moved + a + sig_len, pay_end, head - a);
		memcpy(moved + head + sig_len, end, tail + 1);
	}
	assert_int_equal(parse_status(moved, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "rim.Signature");
	free(moved);
	/* no Signature at all */
	moved = malloc(strlen(drv) + 1);
	assert_non_null(moved);
	memcpy(moved, drv, head);
	memcpy(moved + head, end, tail + 1);
	assert_int_equal(parse_status(moved, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "rim.Signature");
	free(moved);
	free(drv);
}

static void test_reference_uri_must_be_empty(void **state)
{
	char *drv = read_text(DRIVER_RIM);
	char *x = replace1(drv, "<ds:Reference URI=\"\">", "<ds:Reference URI=\"#x\">");
	struct ccg_rim *rim = parse_ok((const uint8_t *)x, strlen(x));
	struct ccg_rim_verify_opts o = {.rim_root = rim_root, .now = NOW};
	struct ccg_error err;

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_verify(rim, &o, NULL, &err), CCG_ERR_SIGNATURE);
	assert_non_null(strstr(err.where, "rim.Signature"));
	ccg_rim_free(rim);
	free(x);
	free(drv);
}

static void test_doctype_and_entities_refused(void **state)
{
	static const char *docs[] = {
		"<!DOCTYPE SoftwareIdentity [<!ENTITY x \"y\">]><SoftwareIdentity/>",
		"<!DOCTYPE SoftwareIdentity SYSTEM \"http://127.0.0.1:1/x.dtd\"><SoftwareIdentity/>",
		"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><r>&xxe;</r>",
		("<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
		 "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><r>&c;</r>"),
	};
	struct ccg_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		assert_int_equal(parse_status(docs[i], &err), CCG_ERR_UNSUPPORTED);
		assert_non_null(strstr(err.detail, "document type"));
	}
	/* an undeclared entity is an error, never a lookup */
	assert_int_equal(parse_status("<r>&xxe;</r>", &err), CCG_ERR_ENCODING);
}

static void test_limits_and_junk(void **state)
{
	struct ccg_rim *rim = NULL;
	struct ccg_error err;
	uint8_t *big;

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_parse((const uint8_t *)"", 0, &rim, &err), CCG_ERR_TRUNCATED);
	big = calloc(1, CCG_RIM_MAX_BYTES + 1);
	assert_non_null(big);
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_parse(big, CCG_RIM_MAX_BYTES + 1, &rim, &err), CCG_ERR_TOO_LARGE);
	free(big);
	assert_int_equal(parse_status("not xml", &err), CCG_ERR_ENCODING);
	assert_int_equal(parse_status("<a/>", &err), CCG_ERR_MALFORMED);
	assert_int_equal(parse_status("<SoftwareIdentity xmlns=\"http://standards.iso.org/iso/19770/-2/2015/"
				      "schema.xsd\" tagId=\"t\"/>",
				      &err),
			 CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "rim.Meta");
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_parse(NULL, 0, NULL, &err), CCG_ERR_INVALID_ARG);
	ccg_rim_free(NULL);
}

/* ---------- the store ---------- */

#define VBIOS_ID "NV_GPU_VBIOS_1010_0205_862_9600740020"
#define DRIVER_ID "NV_GPU_DRIVER_GH100_550.144.03"

static void copy_to(const char *rel, const char *dir, const char *name)
{
	char path[4096];
	size_t len;
	uint8_t *data = td_read(rel, &len);
	struct ccg_error err;

	snprintf(path, sizeof(path), "%s/%s.xml", dir, name);
	ccg_error_clear(&err);
	assert_int_equal(ccg_file_write_atomic(path, data, len, &err), CCG_OK);
	free(data);
}

static void test_store_dir_lookup_and_warm_get(void **state)
{
	char *dir = td_tmpdir(), path[4096];
	struct ccg_rim_store_config cfg = {.offline = true};
	struct ccg_rim_store *s = NULL;
	struct ccg_rim_verify_opts o = {.rim_root = rim_root, .now = NOW, .ignore_expiry = true};
	struct ccg_rim_verify_result r;
	const struct ccg_rim *rim = NULL, *again = NULL;
	struct ccg_error err;
	uint64_t transfers = ccg_http_transfer_count();

	(void)state;
	copy_to("nvidia/rims/" VBIOS_ID ".xml", dir, VBIOS_ID);
	copy_to(DRIVER_RIM, dir, DRIVER_ID);
	cfg.dir = dir;
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_new(&cfg, &s, &err), CCG_OK);
	assert_int_equal(ccg_rim_store_get(s, VBIOS_ID, &o, &rim, &r, &err), CCG_OK);
	assert_non_null(rim);
	assert_string_equal(rim->colloquial_version, "96.00.74.00.20");
	assert_true(r.signature_verified && r.chain_verified && r.chain.expired);

	/*
	 * warm: the same object, with the file gone, so no file was read (and,
	 * offline, nothing fetched); expiry is judged per call. How fast a warm
	 * lookup is belongs to bench/, not to a test.
	 */
	snprintf(path, sizeof(path), "%s/%s.xml", dir, VBIOS_ID);
	assert_int_equal(unlink(path), 0);
	for (int i = 0; i < 100; i++) {
		if (ccg_rim_store_get(s, VBIOS_ID, &o, &again, &r, &err) != CCG_OK || again != rim)
			fail_msg("warm get %d failed: %s: %s", i, err.where, err.detail);
	}
	/* a store that never loaded it finds nothing: the warm answers came from memory */
	{
		struct ccg_rim_store *cold = NULL;

		assert_int_equal(ccg_rim_store_new(&cfg, &cold, NULL), CCG_OK);
		assert_int_equal(ccg_rim_store_get(cold, VBIOS_ID, &o, &again, &r, NULL), CCG_ERR_RIM_NOT_FOUND);
		ccg_rim_store_free(cold);
	}

	/* the same cached RIM with expiry enforced at NOW: its L4/L3 certificates have expired */
	o.ignore_expiry = false;
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_get(s, VBIOS_ID, &o, &again, &r, &err), CCG_ERR_CERT_EXPIRED);
	assert_null(again);
	assert_non_null(strstr(err.where, "RIM chain["));
	assert_true(r.signature_verified);
	assert_false(r.chain_verified);
	/* before the L4 signer expired (2025-09-05): valid, from the cache, without expiry ignored */
	o.now = 1735689600; /* 2025-01-01 */
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_get(s, VBIOS_ID, &o, &again, &r, &err), CCG_OK);
	assert_ptr_equal(again, rim);
	assert_false(r.chain.expired);
	assert_string_equal(r.chain.not_after_iso, "2025-09-05T08:46:45Z");

	/* the driver RIM, valid at NOW */
	o.now = NOW;
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_get(s, DRIVER_ID, &o, &rim, &r, &err), CCG_OK);
	assert_string_equal(rim->colloquial_version, "550.144.03");
	assert_false(r.chain.expired);

	/* missing everywhere, offline: not found, and no HTTP transfer happened at all */
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_get(s, "NV_GPU_DRIVER_GH100_1.2.3", &o, &rim, &r, &err), CCG_ERR_RIM_NOT_FOUND);
	assert_null(rim);
	assert_int_equal(ccg_http_transfer_count(), transfers);
	ccg_rim_store_free(s);
	td_rm_rf(dir);
	free(dir);
}

static void test_store_cache_dir_and_failures(void **state)
{
	char *cache = td_tmpdir(), *dir = td_tmpdir();
	struct ccg_rim_store_config cfg = {
		.cache_dir = cache, .offline = true, .service_url = "http://127.0.0.1:9/v1/rim"};
	struct ccg_rim_store *s = NULL;
	struct ccg_rim_verify_opts o = {.rim_root = rim_root, .now = NOW};
	const struct ccg_rim *rim = NULL;
	struct ccg_rim_verify_result r;
	struct ccg_error err;
	uint64_t transfers = ccg_http_transfer_count();

	(void)state;
	/* offline with a cold cache: not found, zero transfers although a service is configured */
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_new(&cfg, &s, &err), CCG_OK);
	assert_int_equal(ccg_rim_store_get(s, DRIVER_ID, &o, &rim, &r, &err), CCG_ERR_RIM_NOT_FOUND);
	assert_int_equal(ccg_http_transfer_count(), transfers);
	ccg_rim_store_free(s);

	/* a RIM already in cache_dir is used */
	copy_to(DRIVER_RIM, cache, DRIVER_ID);
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_new(&cfg, &s, &err), CCG_OK);
	assert_int_equal(ccg_rim_store_get(s, DRIVER_ID, &o, &rim, &r, &err), CCG_OK);
	assert_true(r.chain_verified);
	assert_int_equal(ccg_http_transfer_count(), transfers);
	ccg_rim_store_free(s);

	/* a directory RIM whose signature fails is refused every time, never cached */
	cfg.dir = dir;
	copy_to(DRIVER_RIM_BAD, dir, "NV_GPU_DRIVER_GH100_550.144.03");
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_new(&cfg, &s, &err), CCG_OK);
	for (int i = 0; i < 2; i++) {
		ccg_error_clear(&err);
		assert_int_equal(ccg_rim_store_get(s, DRIVER_ID, &o, &rim, &r, &err), CCG_ERR_SIGNATURE);
		assert_null(rim);
		assert_false(r.signature_verified);
	}
	/* a RIM filed under another version's id */
	copy_to(DRIVER_RIM, dir, "NV_GPU_DRIVER_GH100_550.144.04");
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_get(s, "NV_GPU_DRIVER_GH100_550.144.04", &o, &rim, &r, &err),
			 CCG_ERR_RIM_INVALID);
	copy_to(DRIVER_RIM, dir, "NV_GPU_CC_DRIVER_GB100_550.144.03");
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_get(s, "NV_GPU_CC_DRIVER_GB100_550.144.03", &o, &rim, &r, &err),
			 CCG_ERR_RIM_INVALID);
	copy_to(VBIOS_RIM, dir, "NV_GPU_VBIOS_1010_0205_862_9600740021");
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_get(s, "NV_GPU_VBIOS_1010_0205_862_9600740021", &o, &rim, &r, &err),
			 CCG_ERR_RIM_INVALID);
	assert_int_equal(ccg_http_transfer_count(), transfers);
	ccg_rim_store_free(s);
	td_rm_rf(cache);
	td_rm_rf(dir);
	free(cache);
	free(dir);
}

static void test_store_invalid_ids(void **state)
{
	static const char *bad[] = {"",    ".",       "..",     "../etc/passwd", "a/b",     "NV_GPU%2F",
				    "a b", ".hidden", "id?x=1", "id#frag",       "\xc3\xa9"};
	char longid[200];
	struct ccg_rim_store_config cfg = {.dir = "/nonexistent", .service_url = "http://127.0.0.1:9"};
	struct ccg_rim_store *s = NULL;
	struct ccg_rim_verify_opts o = {.rim_root = rim_root, .now = NOW};
	const struct ccg_rim *rim = NULL;
	struct ccg_error err;
	uint64_t transfers = ccg_http_transfer_count();

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_new(&cfg, &s, &err), CCG_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ccg_error_clear(&err);
		assert_int_equal(ccg_rim_store_get(s, bad[i], &o, &rim, NULL, &err), CCG_ERR_INVALID_ARG);
		assert_string_equal(err.where, "rim store.id");
	}
	memset(longid, 'A', 128);
	longid[128] = '\0';
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_get(s, longid, &o, &rim, NULL, &err), CCG_ERR_INVALID_ARG);
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_get(s, NULL, &o, &rim, NULL, &err), CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_http_transfer_count(), transfers);
	ccg_rim_store_free(s);
	cfg.service_url = "file:///etc";
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_new(&cfg, &s, &err), CCG_ERR_INVALID_ARG);
	ccg_rim_store_free(NULL);
}

/*
 * A RIM whose (not yet verified) product name is long UTF-8 text, found under
 * an id it does not match: the error quotes it cut on a character boundary,
 * and the text stays valid UTF-8 (it goes into the GPU claims as JSON).
 */
static void test_store_error_text_cut_on_characters(void **state)
{
	char *dir = td_tmpdir(), *text = read_text("nvidia/rims/NV_GPU_DRIVER_GH100_550.144.03.xml"), *edited;
	char product[128] = "product=\"x", want[128] = "RIM for x", path[4096];
	struct ccg_rim_store_config cfg = {.offline = true};
	struct ccg_rim_store *s = NULL;
	struct ccg_rim_verify_opts o = {.rim_root = rim_root, .now = NOW};
	const struct ccg_rim *rim = NULL;
	struct ccg_error err;
	json_t *j;

	(void)state;
	for (int i = 0; i < 30; i++)
		strcat(product, "\xc3\xa4"); /* ä: byte 40 of "x" + 30 × ä falls inside a character */
	strcat(product, "\"");
	for (int i = 0; i < 19; i++)
		strcat(want, "\xc3\xa4");
	strcat(want, " 550.144.03, but");
	edited = replace1(text, "product=\"GH100\"", product);
	snprintf(path, sizeof(path), "%s/%s.xml", dir, DRIVER_ID);
	ccg_error_clear(&err);
	assert_int_equal(ccg_file_write_atomic(path, (const uint8_t *)edited, strlen(edited), &err), CCG_OK);
	cfg.dir = dir;
	assert_int_equal(ccg_rim_store_new(&cfg, &s, &err), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_get(s, DRIVER_ID, &o, &rim, NULL, &err), CCG_ERR_RIM_INVALID);
	assert_string_equal(err.where, "rim.Meta");
	if (strstr(err.detail, want) == NULL)
		fail_msg("detail \"%s\" does not quote 19 whole characters", err.detail);
	assert_true(ccg_utf8_valid(err.detail, strlen(err.detail)));
	j = json_string(err.detail);
	assert_non_null(j);
	json_decref(j);
	ccg_rim_store_free(s);
	free(edited);
	free(text);
	td_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vbios_rim_parse),
		cmocka_unit_test(test_vbios_rim_verifies_ignoring_expiry),
		cmocka_unit_test(test_vbios_rim_expired_at_now),
		cmocka_unit_test(test_driver_rim_verifies_at_now),
		cmocka_unit_test(test_bad_signature_rim_fails),
		cmocka_unit_test(test_wrong_root_untrusted),
		cmocka_unit_test(test_foreign_signer_cert_fails),
		cmocka_unit_test(test_byte_flips_driver_rim),
		cmocka_unit_test(test_truncations_driver_rim),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_signature_placement),
		cmocka_unit_test(test_reference_uri_must_be_empty),
		cmocka_unit_test(test_doctype_and_entities_refused),
		cmocka_unit_test(test_limits_and_junk),
		cmocka_unit_test(test_store_dir_lookup_and_warm_get),
		cmocka_unit_test(test_store_cache_dir_and_failures),
		cmocka_unit_test(test_store_invalid_ids),
		cmocka_unit_test(test_store_error_text_cut_on_characters),
	};

	td_require();
	return cmocka_run_group_tests(tests, setup, teardown);
}
