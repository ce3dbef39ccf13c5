/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device identity and RIM signing PKI, in NVIDIA's shape
 * (mirrors the real H100 chains: names, extensions, key usages, serials),
 * generated with fresh ECDSA P-384 keys at every run.
 */
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/json.h"
#include "gpusim/internal.h"

#define DEFAULT_OCSP_URL "http://127.0.0.1:8889"
#define FOREVER "99991231235959Z"
#define DAY 86400
#define MAX_CHAIN 5

struct name_part {
	const char *field;
	const char *value;
};

struct cert_spec {
	struct name_part subject[4];
	size_t serial_len;             /* random serial of this many bytes (top bit clear) */
	const uint8_t *serial;         /* or these bytes */
	int64_t not_before;            /* relative to now, seconds */
	const char *not_after;         /* "YYYYMMDDHHMMSSZ", or NULL: not_after_rel */
	int64_t not_after_rel;
	const char *basic;             /* basicConstraints value or NULL */
	const char *key_usage;
	const char *aia;               /* OCSP URL or NULL */
	const char *crl;               /* CRL URL or NULL */
	const char *san;               /* subjectAltName value or NULL */
	const uint8_t *fwid;           /* TcbInfo FWID (48 bytes) or NULL */
	bool blackwell;                /* the FWID in a Blackwell TcbInfo (2.23.133.5.4.1.1) */
};

enum ccg_status gpusim_write_pem_cert(const char *path, X509 *cert, struct ccg_error *err)
{
	BIO *b = BIO_new(BIO_s_mem());
	BUF_MEM *m = NULL;
	enum ccg_status st;

	if (b == NULL || PEM_write_bio_X509(b, cert) != 1 || BIO_get_mem_ptr(b, &m) != 1) {
		BIO_free(b);
		return ccg_openssl_error(err, CCG_ERR_CRYPTO, path, "PEM encoding");
	}
	st = ccg_file_write_atomic(path, (const uint8_t *)m->data, m->length, err);
	BIO_free(b);
	return st;
}

enum ccg_status gpusim_write_pem_key(const char *path, EVP_PKEY *key, struct ccg_error *err)
{
	BIO *b = BIO_new(BIO_s_mem());
	BUF_MEM *m = NULL;
	enum ccg_status st;

	if (b == NULL || PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    BIO_get_mem_ptr(b, &m) != 1) {
		BIO_free(b);
		return ccg_openssl_error(err, CCG_ERR_CRYPTO, path, "PEM encoding");
	}
	st = ccg_file_write_atomic(path, (const uint8_t *)m->data, m->length, err);
	if (st == CCG_OK && chmod(path, 0600) != 0)
		st = ccg_error_set(err, CCG_ERR_IO, path, "chmod");
	OPENSSL_cleanse(m->data, m->length);
	BIO_free(b);
	return st;
}

enum ccg_status gpusim_read_pem_key(const char *path, EVP_PKEY **out, struct ccg_error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	BIO *b;
	enum ccg_status st = ccg_file_read(path, 64 * 1024, &data, &len, err);

	*out = NULL;
	if (st != CCG_OK)
		return st;
	b = BIO_new_mem_buf(data, (int)len);
	if (b != NULL)
		*out = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	OPENSSL_cleanse(data, len);
	free(data);
	return *out != NULL ? CCG_OK : ccg_openssl_error(err, CCG_ERR_ENCODING, path, "not a PEM private key");
}

enum ccg_status gpusim_read_pem_cert(const char *path, X509 **out, struct ccg_error *err)
{
	STACK_OF(X509) *sk = NULL;
	enum ccg_status st = ccg_pem_certs_load(path, 1, &sk, err);

	*out = NULL;
	if (st != CCG_OK)
		return st;
	*out = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	return CCG_OK;
}

static EVP_PKEY *new_key(void)
{
	return EVP_EC_gen("P-384");
}

/* DER length octets */
static size_t der_len(uint8_t *p, size_t n)
{
	if (n < 0x80) {
		p[0] = (uint8_t)n;
		return 1;
	}
	if (n < 0x100) {
		p[0] = 0x81;
		p[1] = (uint8_t)n;
		return 2;
	}
	p[0] = 0x82;
	p[1] = (uint8_t)(n >> 8);
	p[2] = (uint8_t)n;
	return 3;
}

/*
 * NVIDIA's FMC TcbInfo value (as in the real H100 leaves): SEQUENCE {
 * INTEGER 1, SubjectPublicKeyInfo, SEQUENCE { OID sha384, OCTET STRING fwid } };
 * the FWID is the last 48 bytes.
 */
static X509_EXTENSION *tcbinfo_ext(EVP_PKEY *pub, const uint8_t fwid[48])
{
	static const uint8_t sha384_oid[] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};
	uint8_t buf[512], inner[512];
	unsigned char *spki = NULL;
	int spki_len = i2d_PUBKEY(pub, &spki);
	size_t n = 0, m = 0;
	ASN1_OBJECT *oid = NULL;
	ASN1_OCTET_STRING *os = NULL;
	X509_EXTENSION *ext = NULL;

	if (spki_len <= 0 || spki_len > 300)
		goto out;
	inner[m++] = 0x02;
	inner[m++] = 0x01;
	inner[m++] = 0x01;
	memcpy(inner + m, spki, (size_t)spki_len);
	m += (size_t)spki_len;
	inner[m++] = 0x30;
	m += der_len(inner + m, sizeof(sha384_oid) + 2 + 48);
	memcpy(inner + m, sha384_oid, sizeof(sha384_oid));
	m += sizeof(sha384_oid);
	inner[m++] = 0x04;
	inner[m++] = 48;
	memcpy(inner + m, fwid, 48);
	m += 48;
	buf[n++] = 0x30;
	n += der_len(buf + n, m);
	memcpy(buf + n, inner, m);
	n += m;
	oid = OBJ_txt2obj("2.23.133.5.4.1", 1);
	os = ASN1_OCTET_STRING_new();
	if (oid == NULL || os == NULL || ASN1_OCTET_STRING_set(os, buf, (int)n) != 1)
		goto out;
	ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os);
out:
	OPENSSL_free(spki);
	ASN1_OBJECT_free(oid);
	ASN1_OCTET_STRING_free(os);
	return ext;
}

/* DER: tag, length, value appended at buf + *n (buf holds 512 bytes) */
static bool der_put(uint8_t *buf, size_t *n, uint8_t tag, const void *v, size_t len)
{
	uint8_t l[3];
	size_t ll = der_len(l, len);

	if (*n + 1 + ll + len > 512)
		return false;
	buf[(*n)++] = tag;
	memcpy(buf + *n, l, ll);
	*n += ll;
	memcpy(buf + *n, v, len);
	*n += len;
	return true;
}

/*
 * NVIDIA's Blackwell FMC leaf extension 2.23.133.5.4.1.1, in the shape of the
 * real GB100 leaves (NVIDIA's SDK, nv_x509.cpp, shows one): a TCG DICE
 * TcbInfo with vendor [0] "NVIDIA", model [1], version [2], svn [3], layer
 * [4], index [5], fwids [6] = { SHA-384 fwid, SHA-384 all zero }, then
 * flags [7], vendorInfo [8] and type [9]. The FWID is not at the end.
 */
static X509_EXTENSION *tcbinfo_blackwell_ext(const uint8_t fwid[48])
{
	static const uint8_t sha384_oid[] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};
	static const uint8_t one = 1, zero = 0, flags[] = {0x00, 0x80, 0x00, 0x00, 0x01}, vinfo = 0xC0;
	static const uint8_t zeros[48] = {0};
	uint8_t list[512], entry[512], body[512], buf[512];
	size_t nl = 0, nb = 0, n = 0;
	ASN1_OBJECT *oid = NULL;
	ASN1_OCTET_STRING *os = NULL;
	X509_EXTENSION *ext = NULL;
	bool ok = true;

	for (int i = 0; i < 2 && ok; i++) {
		size_t ne = 0;

		memcpy(entry, sha384_oid, sizeof(sha384_oid));
		ne = sizeof(sha384_oid);
		ok = der_put(entry, &ne, 0x04, i == 0 ? fwid : zeros, 48) && der_put(list, &nl, 0x30, entry, ne);
	}
	ok = ok && der_put(body, &nb, 0x80, "NVIDIA", 6) && der_put(body, &nb, 0x81, "GB100 A01 GSP", 13) &&
	     der_put(body, &nb, 0x82, "01", 2) && der_put(body, &nb, 0x83, &one, 1) &&
	     der_put(body, &nb, 0x84, &zero, 1) && der_put(body, &nb, 0x85, &zero, 1) &&
	     der_put(body, &nb, 0xA6, list, nl) && der_put(body, &nb, 0x87, flags, sizeof(flags)) &&
	     der_put(body, &nb, 0x88, &vinfo, 1) && der_put(body, &nb, 0x89, &zero, 1) &&
	     der_put(buf, &n, 0x30, body, nb);
	if (!ok)
		return NULL;
	oid = OBJ_txt2obj("2.23.133.5.4.1.1", 1);
	os = ASN1_OCTET_STRING_new();
	if (oid != NULL && os != NULL && ASN1_OCTET_STRING_set(os, buf, (int)n) == 1)
		ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os);
	ASN1_OBJECT_free(oid);
	ASN1_OCTET_STRING_free(os);
	return ext;
}

static int add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext;
	int ok;

	if (value == NULL)
		return 1;
	ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	if (ext == NULL)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/*
 * make_cert: a certificate for key's public half, issued by issuer/issuer_key
 * (NULL: self-signed), signed ECDSA-SHA384.
 */
static enum ccg_status make_cert(const struct cert_spec *spec, EVP_PKEY *key, X509 *issuer,
				 EVP_PKEY *issuer_key, X509 **out, struct ccg_error *err)
{
	X509 *c = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIGNUM *bn = NULL;
	uint8_t serial[20];
	size_t serial_len = spec->serial_len;
	X509V3_CTX ctx;
	char aia[256], crl[256];
	enum ccg_status st = CCG_OK;

	*out = NULL;
	if (c == NULL || name == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "gpusim.pki", "certificate");
		goto out;
	}
	if (serial_len < 1 || serial_len > sizeof(serial)) {
		st = ccg_error_set(err, CCG_ERR_INTERNAL, "gpusim.pki", "serial length %zu", serial_len);
		goto out;
	}
	if (spec->serial != NULL) {
		memcpy(serial, spec->serial, serial_len);
	} else if (ccg_random(serial, serial_len) != CCG_OK) {
		st = ccg_error_set(err, CCG_ERR_CRYPTO, "gpusim.pki", "random serial");
		goto out;
	}
	serial[0] &= 0x7F;
	if (serial[0] == 0)
		serial[0] = 0x41;
	for (size_t i = 0; i < 4 && spec->subject[i].field != NULL; i++) {
		const char *f = spec->subject[i].field;
		int type = strcmp(f, "serialNumber") == 0 || strcmp(f, "C") == 0 ? V_ASN1_PRINTABLESTRING
										: MBSTRING_UTF8;

		if (X509_NAME_add_entry_by_txt(name, f, type, (const unsigned char *)spec->subject[i].value, -1,
					       -1, 0) != 1) {
			st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "gpusim.pki", f);
			goto out;
		}
	}
	bn = BN_bin2bn(serial, (int)serial_len, NULL);
	if (bn == NULL || X509_set_version(c, X509_VERSION_3) != 1 ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)) == NULL ||
	    X509_set_subject_name(c, name) != 1 ||
	    X509_set_issuer_name(c, issuer != NULL ? X509_get_subject_name(issuer) : name) != 1 ||
	    X509_set_pubkey(c, key) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(c), (long)spec->not_before) == NULL) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "gpusim.pki", "certificate fields");
		goto out;
	}
	if (spec->not_after != NULL ? ASN1_TIME_set_string_X509(X509_getm_notAfter(c), spec->not_after) != 1
				    : X509_gmtime_adj(X509_getm_notAfter(c), (long)spec->not_after_rel) == NULL) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "gpusim.pki", "notAfter");
		goto out;
	}
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : c, c, NULL, NULL, 0);
	snprintf(aia, sizeof(aia), "OCSP;URI:%s", spec->aia != NULL ? spec->aia : "");
	snprintf(crl, sizeof(crl), "URI:%s", spec->crl != NULL ? spec->crl : "");
	if (!add_ext(c, &ctx, NID_basic_constraints, spec->basic) ||
	    !add_ext(c, &ctx, NID_key_usage, spec->key_usage) ||
	    !add_ext(c, &ctx, NID_crl_distribution_points, spec->crl != NULL ? crl : NULL) ||
	    !add_ext(c, &ctx, NID_info_access, spec->aia != NULL ? aia : NULL) ||
	    !add_ext(c, &ctx, NID_subject_key_identifier, "hash") ||
	    !add_ext(c, &ctx, NID_authority_key_identifier, "keyid:always") ||
	    !add_ext(c, &ctx, NID_subject_alt_name, spec->san)) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "gpusim.pki", "extensions");
		goto out;
	}
	if (spec->fwid != NULL) {
		X509_EXTENSION *ext = spec->blackwell ? tcbinfo_blackwell_ext(spec->fwid) : tcbinfo_ext(key, spec->fwid);
		int ok = ext != NULL && X509_add_ext(c, ext, -1) == 1;

		X509_EXTENSION_free(ext);
		if (!ok) {
			st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "gpusim.pki", "TcbInfo extension");
			goto out;
		}
	}
	if (X509_sign(c, issuer_key != NULL ? issuer_key : key, EVP_sha384()) <= 0) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "gpusim.pki", "signing");
		goto out;
	}
	*out = c;
	c = NULL;
out:
	BN_free(bn);
	X509_NAME_free(name);
	X509_free(c);
	return st;
}

struct ca {
	const char *file;              /* base name: <file>.pem, <file>.key */
	X509 *cert;
	EVP_PKEY *key;
};

static enum ccg_status issue(const char *dir, const char *file, const struct cert_spec *spec, struct ca *parent,
			     struct ca *out, struct ccg_error *err)
{
	char path[4096];
	enum ccg_status st;

	out->file = file;
	out->key = new_key();
	if (out->key == NULL)
		return ccg_openssl_error(err, CCG_ERR_CRYPTO, "gpusim.pki", "P-384 key generation");
	st = make_cert(spec, out->key, parent != NULL ? parent->cert : NULL, parent != NULL ? parent->key : NULL,
		       &out->cert, err);
	if (st != CCG_OK)
		return st;
	snprintf(path, sizeof(path), "%s/%s.pem", dir, file);
	if ((st = gpusim_write_pem_cert(path, out->cert, err)) != CCG_OK)
		return st;
	snprintf(path, sizeof(path), "%s/%s.key", dir, file);
	return gpusim_write_pem_key(path, out->key, err);
}

static void ca_cleanup(struct ca *c)
{
	X509_free(c->cert);
	EVP_PKEY_free(c->key);
	c->cert = NULL;
	c->key = NULL;
}

static bool has_fault(const struct gpusim_pki_opts *o, enum gpusim_fault_kind k, int gpu)
{
	for (size_t i = 0; i < o->num_faults; i++)
		if (o->faults[i].kind == k && (o->faults[i].gpu < 0 || o->faults[i].gpu == gpu))
			return true;
	return false;
}

static enum ccg_status write_chain(const char *path, X509 *const *certs, size_t n, struct ccg_error *err)
{
	BIO *b = BIO_new(BIO_s_mem());
	BUF_MEM *m = NULL;
	enum ccg_status st;

	if (b == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, path, "BIO");
	for (size_t i = 0; i < n; i++)
		if (PEM_write_bio_X509(b, certs[i]) != 1) {
			BIO_free(b);
			return ccg_openssl_error(err, CCG_ERR_CRYPTO, path, "PEM");
		}
	BIO_get_mem_ptr(b, &m);
	st = ccg_file_write_atomic(path, (const uint8_t *)m->data, m->length, err);
	BIO_free(b);
	return st;
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
	char *h = ccg_hex_encode_alloc(p, n);
	json_t *j = h != NULL ? json_string(h) : NULL;

	free(h);
	return j;
}

/*
 * The NVSwitches of a protected-PCIe board, in the shape of NVIDIA's LS10
 * evidence: "LS_10 A01 FSP BROM" (9-byte serial) and the per-boot
 * "LS_10 A01 FSP FMC LF" leaf with the CompositeDeviceID FWID extension
 * 2.23.133.5.4.1, under the device identity CAs; a random 8-byte PDI each.
 */
static enum ccg_status make_switches(const char *dir, const struct gpusim_pki_opts *opts, struct ca *prov,
				     struct ca *ident, struct ca *root, FILE *idx, json_t *list, struct ccg_error *err)
{
	enum ccg_status st = CCG_OK;

	for (unsigned j = 0; j < opts->switches && st == CCG_OK; j++) {
		struct ca brom = {0}, fmc = {0};
		uint8_t fwid[48], serial[9], pdi[GPUSIM_PDI_LEN], leaf_serial[20];
		char sdir[4096], path[4200], serial_hex[19], leaf_hex[41];
		X509 *certs[MAX_CHAIN];
		json_t *o;

		snprintf(sdir, sizeof(sdir), "%s/switch%u", dir, j);
		if ((st = ccg_mkdir_p(sdir, err)) != CCG_OK || (st = ccg_random(fwid, sizeof(fwid))) != CCG_OK ||
		    (st = ccg_random(serial, sizeof(serial))) != CCG_OK || (st = ccg_random(pdi, sizeof(pdi))) != CCG_OK ||
		    (st = ccg_random(leaf_serial, sizeof(leaf_serial))) != CCG_OK)
			break;
		serial[0] = (uint8_t)((serial[0] & 0x3F) | 0x40);
		leaf_serial[0] = (uint8_t)((leaf_serial[0] & 0x3F) | 0x40);
		pdi[0] |= 0x01; /* never the all-zero "disabled link" PDI */
		ccg_hex_encode(serial, sizeof(serial), serial_hex);
		ccg_hex_encode(leaf_serial, sizeof(leaf_serial), leaf_hex);
		brom.key = new_key();
		fmc.key = new_key();
		{
			const struct cert_spec brom_spec = {
				.subject = {{"serialNumber", serial_hex}, {"C", "US"}, {"O", "ccgpu gpusim"},
					    {"CN", "LS_10 A01 FSP BROM"}},
				.serial = serial, .serial_len = sizeof(serial), .not_before = -DAY, .not_after = FOREVER,
				.basic = "critical,CA:TRUE", .key_usage = "critical,keyCertSign"};
			const struct cert_spec fmc_spec = {
				.subject = {{"serialNumber", leaf_hex}, {"C", "US"}, {"O", "ccgpu gpusim"},
					    {"CN", "LS_10 A01 FSP FMC LF"}},
				.serial = leaf_serial, .serial_len = sizeof(leaf_serial), .not_before = -DAY,
				.not_after = FOREVER, .key_usage = "critical,digitalSignature", .fwid = fwid};

			if (brom.key == NULL || fmc.key == NULL)
				st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "gpusim.pki", "key");
			if (st == CCG_OK)
				st = make_cert(&brom_spec, brom.key, prov->cert, prov->key, &brom.cert, err);
			if (st == CCG_OK)
				st = make_cert(&fmc_spec, fmc.key, brom.cert, brom.key, &fmc.cert, err);
		}
		if (st == CCG_OK) {
			certs[0] = fmc.cert;
			certs[1] = brom.cert;
			certs[2] = prov->cert;
			certs[3] = ident->cert;
			certs[4] = root->cert;
			snprintf(path, sizeof(path), "%s/chain.pem", sdir);
			st = write_chain(path, certs, MAX_CHAIN, err);
		}
		if (st == CCG_OK) {
			snprintf(path, sizeof(path), "%s/fmc.key", sdir);
			st = gpusim_write_pem_key(path, fmc.key, err);
		}
		if (st == CCG_OK) {
			snprintf(path, sizeof(path), "%s/brom.pem", sdir);
			st = gpusim_write_pem_cert(path, brom.cert, err);
		}
		if (st == CCG_OK) {
			snprintf(path, sizeof(path), "%s/brom.key", sdir);
			st = gpusim_write_pem_key(path, brom.key, err);
		}
		if (st == CCG_OK) {
			snprintf(path, sizeof(path), "%s/fmc.pem", sdir);
			st = gpusim_write_pem_cert(path, fmc.cert, err);
		}
		if (st == CCG_OK) {
			fprintf(idx, "switch%u/brom.pem provisioner.pem provisioner.key good\n", j);
			fprintf(idx, "switch%u/fmc.pem switch%u/brom.pem switch%u/brom.key good\n", j, j, j);
			o = json_object();
			if (o == NULL || json_array_append_new(list, o) != 0 ||
			    ccg_json_set_new(o, "fwid", hex_json(fwid, sizeof(fwid))) != CCG_OK ||
			    ccg_json_set_new(o, "pdi", hex_json(pdi, sizeof(pdi))) != CCG_OK)
				st = ccg_error_set(err, CCG_ERR_NOMEM, "gpusim.pki", "state");
		}
		ca_cleanup(&brom);
		ca_cleanup(&fmc);
	}
	return st;
}

enum ccg_status gpusim_pki_generate(const char *dir, const struct gpusim_pki_opts *opts, struct ccg_error *err)
{
	const char *ocsp = opts->ocsp_url != NULL ? opts->ocsp_url : DEFAULT_OCSP_URL;
	struct ca root = {0}, ident = {0}, prov = {0}, rroot = {0}, rca = {0}, rl3 = {0}, rsig = {0};
	struct gpusim_firmware fw;
	STACK_OF(X509) *rim_chain = NULL;
	json_t *state = NULL, *gpus = NULL, *meas = NULL, *switches = NULL, *smeas = NULL;
	FILE *idx = NULL;
	char path[4200], *text = NULL;
	enum ccg_status st;

	memset(&fw, 0, sizeof(fw));
	if (opts->gpus < 1 || opts->gpus > GPUSIM_MAX_GPUS)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "gpusim.pki.gpus", "%u GPUs, 1..%d", opts->gpus,
				     GPUSIM_MAX_GPUS);
	if (opts->switches > GPUSIM_MAX_SWITCHES)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "gpusim.pki.switches", "%u switches, 0..%d",
				     opts->switches, GPUSIM_MAX_SWITCHES);
	if ((st = gpusim_firmware_init(&fw, opts, err)) != CCG_OK)
		return st;
	if ((st = ccg_mkdir_p(dir, err)) != CCG_OK)
		return st;
	snprintf(path, sizeof(path), "%s/rims", dir);
	if ((st = ccg_mkdir_p(path, err)) != CCG_OK)
		return st;

	{
		const struct cert_spec root_spec = {
			.subject = {{"CN", "GPUSIM Device Identity CA"}, {"O", "ccgpu gpusim"}},
			.serial_len = 16, .not_before = -DAY, .not_after = FOREVER,
			.basic = "critical,CA:TRUE", .key_usage = "critical,keyCertSign,cRLSign"};
		const struct cert_spec ident_spec = {
			.subject = {{"CN", "GPUSIM GH100 Identity"}, {"O", "ccgpu gpusim"}},
			.serial_len = 16, .not_before = -DAY, .not_after = FOREVER,
			.basic = "critical,CA:TRUE", .key_usage = "critical,keyCertSign,cRLSign",
			.aia = ocsp, .crl = "http://127.0.0.1/crl/l1-root.crl"};
		const struct cert_spec prov_spec = {
			.subject = {{"CN", "GPUSIM GH100 Provisioner ICA 1"}, {"O", "ccgpu gpusim"}, {"C", "US"}},
			.serial_len = 16, .not_before = -DAY, .not_after = FOREVER,
			.basic = "critical,CA:TRUE", .key_usage = "critical,keyCertSign,cRLSign",
			.aia = ocsp, .crl = "http://127.0.0.1/crl/l2-gh100.crl"};
		const struct cert_spec rroot_spec = {
			.subject = {{"C", "US"}, {"O", "ccgpu gpusim"}, {"CN", "GPUSIM CoRIM signing Root CA"}},
			.serial_len = 16, .not_before = -DAY, .not_after_rel = 30LL * 365 * DAY,
			.basic = "critical,CA:TRUE", .key_usage = "critical,keyCertSign,cRLSign"};
		const struct cert_spec rca_spec = {
			.subject = {{"CN", "GPUSIM Reference Value GH100 CA"}, {"O", "ccgpu gpusim"}, {"C", "US"}},
			.serial_len = 16, .not_before = -DAY, .not_after_rel = 10LL * 365 * DAY,
			.basic = "critical,CA:TRUE", .key_usage = "critical,keyCertSign,cRLSign", .aia = ocsp};
		const struct cert_spec rl3_spec = {
			.subject = {{"CN", "GPUSIM Reference Value L3 GH100 001"}, {"O", "ccgpu gpusim"}, {"C", "US"}},
			.serial_len = 16, .not_before = -DAY, .not_after_rel = 3LL * 365 * DAY,
			.basic = "critical,CA:TRUE,pathlen:0", .key_usage = "critical,keyCertSign,cRLSign",
			.aia = ocsp};
		const struct cert_spec rsig_spec = {
			.subject = {{"C", "US"}, {"O", "ccgpu gpusim"}, {"CN", "GPUSIM RIM L4 Signer"}},
			.serial_len = 20, .not_before = -DAY, .not_after_rel = 2LL * 365 * DAY,
			.basic = "critical,CA:FALSE", .key_usage = "critical,digitalSignature", .aia = ocsp};

		if ((st = issue(dir, "device-root", &root_spec, NULL, &root, err)) != CCG_OK ||
		    (st = issue(dir, "identity", &ident_spec, &root, &ident, err)) != CCG_OK ||
		    (st = issue(dir, "provisioner", &prov_spec, &ident, &prov, err)) != CCG_OK ||
		    (st = issue(dir, "rim-root", &rroot_spec, NULL, &rroot, err)) != CCG_OK ||
		    (st = issue(dir, "rim-ca", &rca_spec, &rroot, &rca, err)) != CCG_OK ||
		    (st = issue(dir, "rim-l3", &rl3_spec, &rca, &rl3, err)) != CCG_OK ||
		    (st = issue(dir, "rim-signer", &rsig_spec, &rl3, &rsig, err)) != CCG_OK)
			goto out;
	}

	snprintf(path, sizeof(path), "%s/ocsp-index.txt", dir);
	idx = fopen(path, "w");
	if (idx == NULL) {
		st = ccg_error_set(err, CCG_ERR_IO, path, "cannot create");
		goto out;
	}
	fprintf(idx, "# certificate issuer issuer-key status (good, revoked, hold)\n");
	fprintf(idx, "identity.pem device-root.pem device-root.key good\n");
	fprintf(idx, "provisioner.pem identity.pem identity.key %s\n",
		has_fault(opts, GPUSIM_FAULT_REVOKED_INTERMEDIATE, -1) ? "revoked"
		: has_fault(opts, GPUSIM_FAULT_HELD_INTERMEDIATE, -1) ? "hold" : "good");
	fprintf(idx, "rim-ca.pem rim-root.pem rim-root.key good\n");
	fprintf(idx, "rim-l3.pem rim-ca.pem rim-ca.key good\n");
	fprintf(idx, "rim-signer.pem rim-l3.pem rim-l3.key good\n");

	state = json_object();
	gpus = json_array();
	meas = json_array();
	switches = json_array();
	smeas = json_array();
	if (state == NULL || gpus == NULL || meas == NULL || switches == NULL || smeas == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "gpusim.pki", "state");
		goto out;
	}
	for (unsigned g = 0; g < opts->gpus; g++) {
		struct ca brom = {0}, fmc = {0};
		uint8_t fwid[48], brom_serial[9], pdi[GPUSIM_PDI_LEN];
		char gdir[4096], serial_hex[64], ueid_hex[17], san[128], leaf_serial_hex[64];
		X509 *certs[MAX_CHAIN];
		uint8_t ski[20];
		unsigned ski_len = 0;

		snprintf(gdir, sizeof(gdir), "%s/gpu%u", dir, g);
		if ((st = ccg_mkdir_p(gdir, err)) != CCG_OK || (st = ccg_random(fwid, sizeof(fwid))) != CCG_OK ||
		    (st = ccg_random(brom_serial, sizeof(brom_serial))) != CCG_OK ||
		    (st = ccg_random(pdi, sizeof(pdi))) != CCG_OK)
			goto out;
		pdi[0] |= 0x01;
		brom_serial[0] = (uint8_t)((brom_serial[0] & 0x3F) | 0x40);
		ccg_hex_encode(brom_serial, sizeof(brom_serial), serial_hex);
		for (char *p = serial_hex; *p != '\0'; p++)
			*p = (char)(*p >= 'a' ? *p - 32 : *p);
		ccg_hex_encode(brom_serial + 1, 8, ueid_hex);
		for (char *p = ueid_hex; *p != '\0'; p++)
			*p = (char)(*p >= 'a' ? *p - 32 : *p);
		{
			/* BROM serial: 9 bytes, also the subject serialNumber (as NVIDIA's) */
			const struct cert_spec brom_spec = {
				.subject = {{"serialNumber", serial_hex}, {"C", "US"}, {"O", "ccgpu gpusim"},
					    {"CN", fw.blackwell ? "GB100 A01 GSP BROM" : "GH100 A01 GSP BROM"}},
				.serial = brom_serial, .serial_len = sizeof(brom_serial), .not_before = -DAY,
				.not_after = FOREVER, .basic = "critical,CA:TRUE", .key_usage = "critical,keyCertSign"};

			brom.file = "brom";
			brom.key = new_key();
			if (brom.key == NULL) {
				st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "gpusim.pki", "key");
				goto gpu_out;
			}
			st = make_cert(&brom_spec, brom.key, prov.cert, prov.key, &brom.cert, err);
			if (st != CCG_OK)
				goto gpu_out;
		}
		/* FMC leaf: serial = its SKI with the top bit clear, subject serialNumber its hex */
		fmc.file = "fmc";
		fmc.key = new_key();
		if (fmc.key == NULL) {
			st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "gpusim.pki", "key");
			goto gpu_out;
		}
		{
			X509_PUBKEY *xpk = NULL;
			const unsigned char *pk = NULL;
			int pklen = 0;

			if (X509_PUBKEY_set(&xpk, fmc.key) != 1 ||
			    X509_PUBKEY_get0_param(NULL, &pk, &pklen, NULL, xpk) != 1 ||
			    EVP_Digest(pk, (size_t)pklen, ski, &ski_len, EVP_sha1(), NULL) != 1) {
				X509_PUBKEY_free(xpk);
				st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "gpusim.pki", "SKI");
				goto gpu_out;
			}
			X509_PUBKEY_free(xpk);
		}
		ski[0] &= 0x7F;
		ccg_hex_encode(ski, 20, leaf_serial_hex);
		for (char *p = leaf_serial_hex; *p != '\0'; p++)
			*p = (char)(*p >= 'a' ? *p - 32 : *p);
		snprintf(san, sizeof(san), "otherName:1.3.6.1.4.1.412.274.1;UTF8:NVIDIA:%s:%s",
			 fw.blackwell ? "GB100" : "GH100", ueid_hex);
		{
			bool expired = has_fault(opts, GPUSIM_FAULT_EXPIRED_LEAF, (int)g);
			const struct cert_spec fmc_spec = {
				.subject = {{"serialNumber", leaf_serial_hex}, {"C", "US"}, {"O", "ccgpu gpusim"},
					    {"CN", fw.blackwell ? "GB100 A01 GSP FMC LF" : "GH100 A01 GSP FMC LF"}},
				.serial = ski, .serial_len = 20, .not_before = expired ? -2 * DAY : -DAY,
				.not_after = expired ? NULL : FOREVER, .not_after_rel = -DAY,
				.key_usage = "critical,digitalSignature", .san = san, .fwid = fwid,
				.blackwell = fw.blackwell};

			st = make_cert(&fmc_spec, fmc.key, brom.cert, brom.key, &fmc.cert, err);
			if (st != CCG_OK)
				goto gpu_out;
		}
		certs[0] = fmc.cert;
		certs[1] = brom.cert;
		certs[2] = prov.cert;
		certs[3] = ident.cert;
		certs[4] = root.cert;
		snprintf(path, sizeof(path), "%s/chain.pem", gdir);
		if ((st = write_chain(path, certs, MAX_CHAIN, err)) != CCG_OK)
			goto gpu_out;
		snprintf(path, sizeof(path), "%s/fmc.key", gdir);
		if ((st = gpusim_write_pem_key(path, fmc.key, err)) != CCG_OK)
			goto gpu_out;
		snprintf(path, sizeof(path), "%s/brom.pem", gdir);
		if ((st = gpusim_write_pem_cert(path, brom.cert, err)) != CCG_OK)
			goto gpu_out;
		snprintf(path, sizeof(path), "%s/brom.key", gdir);
		if ((st = gpusim_write_pem_key(path, brom.key, err)) != CCG_OK)
			goto gpu_out;
		snprintf(path, sizeof(path), "%s/fmc.pem", gdir);
		if ((st = gpusim_write_pem_cert(path, fmc.cert, err)) != CCG_OK)
			goto gpu_out;
		fprintf(idx, "gpu%u/brom.pem provisioner.pem provisioner.key good\n", g);
		fprintf(idx, "gpu%u/fmc.pem gpu%u/brom.pem gpu%u/brom.key good\n", g, g, g);
		{
			json_t *o = json_object();

			if (o == NULL || json_array_append_new(gpus, o) != 0 ||
			    ccg_json_set_new(o, "fwid", hex_json(fwid, sizeof(fwid))) != CCG_OK ||
			    ccg_json_set_new(o, "board_id", json_integer(0x4a1 + g)) != CCG_OK ||
			    ccg_json_set_new(o, "pdi", hex_json(pdi, sizeof(pdi))) != CCG_OK) {
				st = ccg_error_set(err, CCG_ERR_NOMEM, "gpusim.pki", "state");
				goto gpu_out;
			}
		}
gpu_out:
		ca_cleanup(&brom);
		ca_cleanup(&fmc);
		if (st != CCG_OK)
			goto out;
	}
	if ((st = make_switches(dir, opts, &prov, &ident, &root, idx, switches, err)) != CCG_OK)
		goto out;
	if (fclose(idx) != 0) {
		idx = NULL;
		st = ccg_error_set(err, CCG_ERR_IO, "ocsp-index.txt", "write");
		goto out;
	}
	idx = NULL;

	for (unsigned i = 0; i < GPUSIM_SWITCH_BLOCKS; i++)
		if (json_array_append_new(smeas, hex_json(fw.switch_golden[i], GPUSIM_DIGEST_LEN)) != 0) {
			st = ccg_error_set(err, CCG_ERR_NOMEM, "gpusim.pki", "state");
			goto out;
		}
	for (unsigned i = 0; i < GPUSIM_BLOCKS; i++)
		if (json_array_append_new(meas, hex_json(fw.golden[i], GPUSIM_DIGEST_LEN)) != 0) {
			st = ccg_error_set(err, CCG_ERR_NOMEM, "gpusim.pki", "state");
			goto out;
		}
	if (ccg_json_set_new(state, "format", json_string("ccgpu-gpusim/1")) != CCG_OK ||
	    ccg_json_set_new(state, "arch", json_string(fw.blackwell ? "BLACKWELL" : "HOPPER")) != CCG_OK ||
	    ccg_json_set_new(state, "driver_version", json_string(fw.driver_version)) != CCG_OK ||
	    ccg_json_set_new(state, "vbios_version", json_string(fw.vbios_version)) != CCG_OK ||
	    ccg_json_set_new(state, "project", json_string(fw.project)) != CCG_OK ||
	    ccg_json_set_new(state, "project_sku", json_string(fw.project_sku)) != CCG_OK ||
	    ccg_json_set_new(state, "chip_sku", json_string(fw.chip_sku)) != CCG_OK ||
	    ccg_json_set_new(state, "measurements", json_incref(meas)) != CCG_OK ||
	    ccg_json_set_new(state, "gpus", json_incref(gpus)) != CCG_OK ||
	    ccg_json_set_new(state, "switches", json_incref(switches)) != CCG_OK ||
	    ccg_json_set_new(state, "switch_measurements", json_incref(smeas)) != CCG_OK ||
	    ccg_json_set_new(state, "bios_version", json_string(fw.bios_version)) != CCG_OK ||
	    (text = ccg_json_dumps(state, 2)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "gpusim.pki", "state");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/gpusim.json", dir);
	if ((st = ccg_file_write_atomic(path, (const uint8_t *)text, strlen(text), err)) != CCG_OK)
		goto out;

	rim_chain = sk_X509_new_null();
	if (rim_chain == NULL || sk_X509_push(rim_chain, rsig.cert) <= 0 || sk_X509_push(rim_chain, rl3.cert) <= 0 ||
	    sk_X509_push(rim_chain, rca.cert) <= 0 || sk_X509_push(rim_chain, rroot.cert) <= 0) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "gpusim.pki", "RIM chain");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/rims/%s.xml", dir, fw.driver_rim_id);
	if ((st = gpusim_rim_write(path, 'd', &fw, rsig.key, rim_chain, err)) != CCG_OK)
		goto out;
	snprintf(path, sizeof(path), "%s/rims/%s.xml", dir, fw.vbios_rim_id);
	st = gpusim_rim_write(path, 'v', &fw, rsig.key, rim_chain, err);
	if (st == CCG_OK && opts->switches > 0) {
		snprintf(path, sizeof(path), "%s/rims/%s.xml", dir, fw.switch_rim_id);
		st = gpusim_rim_write(path, 's', &fw, rsig.key, rim_chain, err);
	}
out:
	if (idx != NULL)
		fclose(idx);
	sk_X509_free(rim_chain); /* the certificates belong to the CAs */
	free(text);
	json_decref(state);
	json_decref(gpus);
	json_decref(meas);
	json_decref(switches);
	json_decref(smeas);
	ca_cleanup(&root);
	ca_cleanup(&ident);
	ca_cleanup(&prov);
	ca_cleanup(&rroot);
	ca_cleanup(&rca);
	ca_cleanup(&rl3);
	ca_cleanup(&rsig);
	OPENSSL_cleanse(&fw, sizeof(fw));
	return st;
}
