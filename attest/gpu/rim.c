/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NVIDIA RIMs: signed SWID tags. libxml2 parses (no DTD, no entities, no
 * network), xmlsec1 with the OpenSSL back end checks the enveloped XML
 * signature with the key of the signer certificate the RIM carries, and
 * ccg_chain_verify checks that certificate's chain to the RIM root.
 */
#include "attest/gpu/rim.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/keys.h>
#include <xmlsec/list.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/str.h"

#define SWID_NS "http://standards.iso.org/iso/19770/-2/2015/schema.xsd"
#define TCG_RIM_NS "https://trustedcomputinggroup.org/resource/tcg-reference-integrity-manifest-rim-information-model/"
#define DSIG_NS "http://www.w3.org/2000/09/xmldsig#"

#define RIM_ATTR_MAX 1024      /* longest tagId / product / version we keep */
#define RIM_CERT_B64_MAX 16384 /* one base64 X509Certificate */

/* the hash namespaces NVIDIA's SWID tags use for Hash<n> attributes */
static const struct {
	const char *ns;
	size_t len;
} hash_namespaces[] = {
	{"http://www.w3.org/2001/04/xmlenc#sha384", 48},
	{"http://www.w3.org/2001/04/xmlenc#sha256", 32},
	{"http://www.w3.org/2001/04/xmlenc#sha512", 64},
};

/* ---------- one-time library initialisation ---------- */

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static bool lib_ok;
static _Thread_local char xmlsec_last_error[192];

static void quiet_generic_error(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void on_xmlsec_error(const char *file, int line, const char *func, const char *error_object,
			    const char *error_subject, int reason, const char *msg)
{
	(void)file;
	(void)line;
	(void)error_object;
	(void)error_subject;
	(void)reason;
	/* keep the first (innermost) failure of an operation: it says why */
	if (xmlsec_last_error[0] == '\0')
		snprintf(xmlsec_last_error, sizeof(xmlsec_last_error), "%s: %s", func != NULL ? func : "xmlsec",
			 msg != NULL ? msg : "failed");
}

static void lib_init(void)
{
	xmlInitParser();
	xmlThrDefSetGenericErrorFunc(NULL, quiet_generic_error);
	xmlSetGenericErrorFunc(NULL, quiet_generic_error);
	if (xmlSecInit() < 0)
		return;
	if (xmlSecCheckVersion() != 1)
		return;
	if (xmlSecOpenSSLAppInit(NULL) < 0)
		return;
	if (xmlSecOpenSSLInit() < 0)
		return;
	xmlSecErrorsSetCallback(on_xmlsec_error);
	lib_ok = true;
}

static enum ccg_status lib_ready(struct ccg_error *err)
{
	if (pthread_once(&lib_once, lib_init) != 0 || !lib_ok)
		return ccg_error_set(err, CCG_ERR_CRYPTO, "rim", "libxml2/xmlsec1 initialisation failed");
	/* libxml2's generic error handler is per thread: keep it quiet here too */
	xmlSetGenericErrorFunc(NULL, quiet_generic_error);
	return CCG_OK;
}

/* ---------- small XML helpers ---------- */

static bool ns_is(const xmlNs *ns, const char *href)
{
	return ns != NULL && ns->href != NULL && strcmp((const char *)ns->href, href) == 0;
}

static bool elem_is(const xmlNode *n, const char *ns, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && ns_is(n->ns, ns) && strcmp((const char *)n->name, name) == 0;
}

/* the text of an attribute (no namespace when ns is NULL) as a malloc'd string, or NULL */
static char *attr_dup(const xmlNode *n, const char *ns, const char *name)
{
	xmlChar *v = ns == NULL ? xmlGetNoNsProp(n, (const xmlChar *)name)
				: xmlGetNsProp(n, (const xmlChar *)name, (const xmlChar *)ns);
	char *out;

	if (v == NULL)
		return NULL;
	out = strdup((const char *)v);
	xmlFree(v);
	return out;
}

/* a required attribute, at most RIM_ATTR_MAX bytes, non-empty */
static enum ccg_status attr_required(const xmlNode *n, const char *ns, const char *name, const char *where, char **out,
				     struct ccg_error *err)
{
	char *v = attr_dup(n, ns, name);

	if (v == NULL) {
		xmlChar *probe = ns == NULL ? xmlGetNoNsProp(n, (const xmlChar *)name)
					    : xmlGetNsProp(n, (const xmlChar *)name, (const xmlChar *)ns);
		if (probe != NULL) {
			xmlFree(probe);
			return ccg_error_set(err, CCG_ERR_NOMEM, where, "copying attribute");
		}
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "attribute missing");
	}
	if (v[0] == '\0' || strlen(v) > RIM_ATTR_MAX) {
		size_t l = strlen(v);

		free(v);
		return ccg_error_set(err, l == 0 ? CCG_ERR_MALFORMED : CCG_ERR_TOO_LARGE, where,
				     l == 0 ? "attribute is empty" : "attribute of %zu bytes, maximum %d", l,
				     RIM_ATTR_MAX);
	}
	*out = v;
	return CCG_OK;
}

/* strict unsigned decimal: digits only, no sign, no leading zeros, value <= max */
static bool parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) > 10)
		return false;
	if (s[0] == '0' && s[1] != '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* next node in document order (pre-order), staying inside root */
static xmlNode *next_in_tree(xmlNode *n, const xmlNode *root)
{
	if (n->children != NULL && n->type == XML_ELEMENT_NODE)
		return n->children;
	while (n != NULL && n != root) {
		if (n->next != NULL)
			return n->next;
		n = n->parent;
	}
	return NULL;
}

/* counts ds:Signature elements anywhere under root; *first gets the first */
static size_t count_signatures(xmlNode *root, xmlNode **first)
{
	size_t count = 0;

	*first = NULL;
	for (xmlNode *n = root; n != NULL; n = next_in_tree(n, root)) {
		if (elem_is(n, DSIG_NS, "Signature")) {
			if (count == 0)
				*first = n;
			count++;
		}
	}
	return count;
}

/* ---------- parsing ---------- */

struct parse_guard {
	bool doctype;
};

/* SAX hook: any DOCTYPE stops the parser before its internal subset is read */
static void on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
	xmlParserCtxtPtr p = ctx;
	struct parse_guard *g = p->_private;

	(void)name;
	(void)external_id;
	(void)system_id;
	if (g != NULL)
		g->doctype = true;
	xmlStopParser(p);
}

static enum ccg_status read_document(const uint8_t *xml, size_t len, xmlDoc **out, struct ccg_error *err)
{
	struct parse_guard guard = {false};
	xmlParserCtxtPtr ctxt = NULL;
	xmlDoc *doc = NULL;
	enum ccg_status st;

	/* no DTD loading or validation, no entity substitution, no network */
	const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL || ctxt->sax == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "rim", "xmlNewParserCtxt failed");
		goto out;
	}
	ctxt->sax->internalSubset = on_internal_subset;
	ctxt->sax->externalSubset = NULL;
	ctxt->_private = &guard;
	/* the encoding is forced to UTF-8: no UTF-16 or declared-encoding tricks */
	doc = xmlCtxtReadMemory(ctxt, (const char *)xml, (int)len, NULL, "UTF-8", options);
	if (guard.doctype) {
		st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "rim", "document type declarations are refused");
		goto out;
	}
	if (doc == NULL || !ctxt->wellFormed) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		char msg[160] = "not well-formed";

		if (e != NULL && e->message != NULL) {
			size_t l;

			snprintf(msg, sizeof(msg), "%s", e->message);
			l = strlen(msg);
			while (l > 0 && (msg[l - 1] == '\n' || msg[l - 1] == '\r'))
				msg[--l] = '\0';
		}
		st = ccg_error_set(err, CCG_ERR_ENCODING, "rim", "XML line %d: %s", e != NULL ? e->line : 0, msg);
		goto out;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "rim", "document type declarations are refused");
		goto out;
	}
	*out = doc;
	doc = NULL;
	st = CCG_OK;
out:
	if (doc != NULL)
		xmlFreeDoc(doc);
	if (ctxt != NULL) {
		ctxt->_private = NULL;
		xmlFreeParserCtxt(ctxt);
	}
	return st;
}

static enum ccg_status parse_meta(xmlNode *root, struct ccg_rim *rim, struct ccg_error *err)
{
	xmlNode *meta = NULL;
	enum ccg_status st;

	for (xmlNode *n = root->children; n != NULL; n = n->next) {
		if (!elem_is(n, SWID_NS, "Meta"))
			continue;
		if (meta != NULL)
			return ccg_error_set(err, CCG_ERR_DUPLICATE, "rim.Meta", "more than one Meta element");
		meta = n;
	}
	if (meta == NULL)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "rim.Meta", "element missing");
	st = attr_required(meta, NULL, "product", "rim.Meta@product", &rim->product, err);
	if (st == CCG_OK)
		st = attr_required(meta, NULL, "colloquialVersion", "rim.Meta@colloquialVersion",
				   &rim->colloquial_version, err);
	if (st == CCG_OK)
		st = attr_required(meta, TCG_RIM_NS, "PlatformManufacturerId", "rim.Meta@PlatformManufacturerId",
				   &rim->manufacturer_id, err);
	return st;
}

static enum ccg_status hash_namespace_len(const xmlNs *ns, size_t *len)
{
	for (size_t i = 0; i < sizeof(hash_namespaces) / sizeof(hash_namespaces[0]); i++) {
		if (ns_is(ns, hash_namespaces[i].ns)) {
			*len = hash_namespaces[i].len;
			return CCG_OK;
		}
	}
	return CCG_ERR_UNSUPPORTED;
}

/* true when name is "Hash<k>" with k a strict decimal; *k gets k */
static bool hash_attr_index(const char *name, uint32_t *k)
{
	return strncmp(name, "Hash", 4) == 0 && parse_u32(name + 4, CCG_RIM_MAX_ALTERNATIVES * 16u, k);
}

static enum ccg_status parse_hashes(xmlNode *res, struct ccg_rim_measurement *m, const char *where,
				    struct ccg_error *err)
{
	bool seen[CCG_RIM_MAX_ALTERNATIVES] = {false};
	char aw[CCG_ERROR_WHERE_MAX];
	size_t count = 0;

	m->hash_len = 0;
	for (xmlAttr *a = res->properties; a != NULL; a = a->next) {
		const char *name = (const char *)a->name;
		size_t hlen = 0;
		uint32_t k;
		xmlChar *v;
		size_t vlen;

		if (!hash_attr_index(name, &k)) {
			if (strncmp(name, "Hash", 4) == 0) {
				snprintf(aw, sizeof(aw), "%.64s.%.32s", where, name);
				return ccg_error_set(err, CCG_ERR_MALFORMED, aw, "not a Hash<n> attribute name");
			}
			continue;
		}
		snprintf(aw, sizeof(aw), "%.64s.%.32s", where, name);
		if (hash_namespace_len(a->ns, &hlen) != CCG_OK)
			return ccg_error_set(err, CCG_ERR_UNSUPPORTED, aw, "hash algorithm namespace \"%s\"",
					     a->ns != NULL ? (const char *)a->ns->href : "(none)");
		if (m->hash_len != 0 && hlen != m->hash_len)
			return ccg_error_set(err, CCG_ERR_MALFORMED, aw, "alternatives use different hash algorithms");
		m->hash_len = hlen;
		if (k >= m->alternatives)
			return ccg_error_set(err, CCG_ERR_MALFORMED, aw, "Hash%u but alternatives=\"%zu\"", k,
					     m->alternatives);
		if (seen[k])
			return ccg_error_set(err, CCG_ERR_DUPLICATE, aw, "given twice");
		seen[k] = true;
		v = xmlNodeListGetString(res->doc, a->children, 1);
		if (v == NULL)
			return ccg_error_set(err, CCG_ERR_MALFORMED, aw, "empty hash value");
		vlen = strlen((const char *)v);
		for (size_t i = 0; i < vlen; i++) {
			char c = (char)v[i];

			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
				xmlFree(v);
				return ccg_error_set(err, CCG_ERR_ENCODING, aw, "not hex at character %zu", i);
			}
		}
		if (vlen != 2 * hlen) {
			xmlFree(v);
			return ccg_error_set(err, CCG_ERR_MALFORMED, aw, "%zu hex digits, expected %zu", vlen,
					     2 * hlen);
		}
		if (ccg_hex_decode_fixed((const char *)v, vlen, m->hashes[k], hlen) != CCG_OK) {
			xmlFree(v);
			return ccg_error_set(err, CCG_ERR_ENCODING, aw, "bad hex");
		}
		xmlFree(v);
		count++;
	}
	if (count != m->alternatives)
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "alternatives=\"%zu\" but %zu Hash attributes",
				     m->alternatives, count);
	return CCG_OK;
}

static enum ccg_status parse_resource(xmlNode *res, size_t pos, struct ccg_rim_measurement *m, struct ccg_error *err)
{
	char where[64];
	char aw[CCG_ERROR_WHERE_MAX];
	char *v = NULL;
	uint32_t u;
	enum ccg_status st;

	memset(m, 0, sizeof(*m));
	snprintf(where, sizeof(where), "rim.Payload.Resource[#%zu]", pos);

	snprintf(aw, sizeof(aw), "%s.index", where);
	st = attr_required(res, NULL, "index", aw, &v, err);
	if (st != CCG_OK)
		goto out;
	/* SPDM block indexes are 1..254, so RIM indexes are 0..253 */
	if (!parse_u32(v, 253, &m->index)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, aw, "\"%.*s\" is not an index in 0..253",
				   ccg_utf8_cut(v, 32), v);
		goto out;
	}
	free(v);
	v = NULL;
	snprintf(where, sizeof(where), "rim.Payload.Resource[index=%u]", m->index);

	snprintf(aw, sizeof(aw), "%s.active", where);
	st = attr_required(res, NULL, "active", aw, &v, err);
	if (st != CCG_OK)
		goto out;
	if (strcmp(v, "True") == 0) {
		m->active = true;
	} else if (strcmp(v, "False") == 0) {
		m->active = false;
	} else {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, aw, "\"%.*s\" is neither True nor False",
				   ccg_utf8_cut(v, 32), v);
		goto out;
	}
	free(v);
	v = NULL;

	snprintf(aw, sizeof(aw), "%s.alternatives", where);
	st = attr_required(res, NULL, "alternatives", aw, &v, err);
	if (st != CCG_OK)
		goto out;
	if (!parse_u32(v, CCG_RIM_MAX_ALTERNATIVES, &u) || u == 0) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, aw, "\"%.*s\" is not a count in 1..%d", ccg_utf8_cut(v, 32),
				   v, CCG_RIM_MAX_ALTERNATIVES);
		goto out;
	}
	m->alternatives = u;
	free(v);
	v = NULL;

	st = parse_hashes(res, m, where, err);
	if (st != CCG_OK)
		goto out;

	v = attr_dup(res, NULL, "size");
	if (v != NULL) {
		snprintf(aw, sizeof(aw), "%s.size", where);
		if (!parse_u32(v, CCG_RIM_HASH_MAX, &u) || u != m->hash_len) {
			st = ccg_error_set(err, CCG_ERR_MALFORMED, aw, "\"%.*s\" but the hashes are %zu bytes",
					   ccg_utf8_cut(v, 32), v, m->hash_len);
			goto out;
		}
		free(v);
		v = NULL;
	}

	v = attr_dup(res, NULL, "name");
	if (v != NULL) {
		if (strlen(v) >= sizeof(m->name)) {
			snprintf(aw, sizeof(aw), "%s.name", where);
			st = ccg_error_set(err, CCG_ERR_TOO_LARGE, aw, "%zu bytes, maximum %zu", strlen(v),
					   sizeof(m->name) - 1);
			goto out;
		}
		memcpy(m->name, v, strlen(v) + 1);
	}
	st = CCG_OK;
out:
	free(v);
	return st;
}

static int cmp_measurement(const void *a, const void *b)
{
	const struct ccg_rim_measurement *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index ? 1 : 0;
}

static enum ccg_status parse_payload(xmlNode *root, struct ccg_rim *rim, struct ccg_error *err)
{
	xmlNode *payload = NULL;
	size_t count = 0, pos = 0;
	enum ccg_status st;

	for (xmlNode *n = root->children; n != NULL; n = n->next) {
		if (!elem_is(n, SWID_NS, "Payload"))
			continue;
		if (payload != NULL)
			return ccg_error_set(err, CCG_ERR_DUPLICATE, "rim.Payload", "more than one Payload element");
		payload = n;
	}
	if (payload == NULL)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "rim.Payload", "element missing");

	for (xmlNode *n = payload->children; n != NULL; n = n->next) {
		char *type;

		if (!elem_is(n, SWID_NS, "Resource"))
			continue;
		type = attr_dup(n, NULL, "type");
		if (type != NULL && strcmp(type, "Measurement") == 0)
			count++;
		free(type);
		if (count > CCG_RIM_MAX_MEASUREMENTS)
			return ccg_error_set(err, CCG_ERR_TOO_LARGE, "rim.Payload", "more than %d measurements",
					     CCG_RIM_MAX_MEASUREMENTS);
	}
	if (count == 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "rim.Payload", "no Measurement resources");
	rim->measurements = calloc(count, sizeof(*rim->measurements));
	if (rim->measurements == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "rim.Payload", "allocating measurements");

	for (xmlNode *n = payload->children; n != NULL; n = n->next) {
		char *type;
		bool is_meas;

		if (!elem_is(n, SWID_NS, "Resource"))
			continue;
		type = attr_dup(n, NULL, "type");
		is_meas = type != NULL && strcmp(type, "Measurement") == 0;
		free(type);
		if (!is_meas)
			continue;
		st = parse_resource(n, pos, &rim->measurements[rim->num_measurements], err);
		if (st != CCG_OK)
			return st;
		rim->num_measurements++;
		pos++;
	}
	qsort(rim->measurements, rim->num_measurements, sizeof(*rim->measurements), cmp_measurement);
	for (size_t i = 1; i < rim->num_measurements; i++) {
		if (rim->measurements[i].index == rim->measurements[i - 1].index) {
			char where[CCG_ERROR_WHERE_MAX];

			snprintf(where, sizeof(where), "rim.Payload.Resource[index=%u]", rim->measurements[i].index);
			return ccg_error_set(err, CCG_ERR_DUPLICATE, where, "index given twice");
		}
	}
	return CCG_OK;
}

static enum ccg_status parse_certs(xmlNode *sig, struct ccg_rim *rim, struct ccg_error *err)
{
	xmlNode *keyinfo = NULL;
	size_t n_certs = 0;
	enum ccg_status st;

	for (xmlNode *n = sig->children; n != NULL; n = n->next) {
		if (!elem_is(n, DSIG_NS, "KeyInfo"))
			continue;
		if (keyinfo != NULL)
			return ccg_error_set(err, CCG_ERR_DUPLICATE, "rim.Signature.KeyInfo",
					     "more than one KeyInfo element");
		keyinfo = n;
	}
	if (keyinfo == NULL)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "rim.Signature.KeyInfo", "element missing");
	rim->certs = sk_X509_new_null();
	if (rim->certs == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "rim.Signature.KeyInfo", "allocating certificates");

	for (xmlNode *x = keyinfo->children; x != NULL; x = x->next) {
		if (!elem_is(x, DSIG_NS, "X509Data"))
			continue;
		for (xmlNode *c = x->children; c != NULL; c = c->next) {
			char where[CCG_ERROR_WHERE_MAX];
			xmlChar *text;
			uint8_t *der = NULL;
			size_t der_len = 0;
			X509 *cert = NULL;
			struct ccg_error cert_err;

			if (!elem_is(c, DSIG_NS, "X509Certificate"))
				continue;
			snprintf(where, sizeof(where), "rim.Signature.KeyInfo.X509Certificate[%zu]", n_certs);
			if (n_certs >= CCG_CHAIN_MAX_CERTS)
				return ccg_error_set(err, CCG_ERR_TOO_LARGE, where, "more than %d certificates",
						     CCG_CHAIN_MAX_CERTS);
			text = xmlNodeGetContent(c);
			if (text == NULL)
				return ccg_error_set(err, CCG_ERR_MALFORMED, where, "empty certificate");
			st = ccg_base64_decode((const char *)text, strlen((const char *)text), RIM_CERT_B64_MAX, &der,
					       &der_len);
			xmlFree(text);
			if (st != CCG_OK) {
				free(der);
				return ccg_error_set(err, st, where, "certificate is not valid, canonical base64");
			}
			ccg_error_clear(&cert_err);
			st = ccg_der_cert_parse(der, der_len, &cert, &cert_err);
			free(der);
			if (st != CCG_OK)
				return ccg_error_set(err, st, where, "certificate is not valid DER: %.200s",
						     cert_err.detail);
			if (sk_X509_push(rim->certs, cert) <= 0) {
				X509_free(cert);
				return ccg_error_set(err, CCG_ERR_NOMEM, where, "storing certificate");
			}
			n_certs++;
		}
	}
	if (n_certs == 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "rim.Signature.KeyInfo.X509Data", "no X509Certificate");
	return CCG_OK;
}

enum ccg_status ccg_rim_parse(const uint8_t *xml, size_t len, struct ccg_rim **out, struct ccg_error *err)
{
	struct ccg_rim *rim = NULL;
	xmlDoc *doc = NULL;
	xmlNode *root, *sig = NULL;
	size_t n_sig;
	enum ccg_status st;

	if (out == NULL || (xml == NULL && len != 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "rim", "no input or output");
	*out = NULL;
	if (len == 0)
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "rim", "empty document");
	if (len > CCG_RIM_MAX_BYTES)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "rim", "%zu bytes, maximum %u", len, CCG_RIM_MAX_BYTES);
	st = lib_ready(err);
	if (st != CCG_OK)
		return st;
	st = read_document(xml, len, &doc, err);
	if (st != CCG_OK)
		goto out;

	rim = calloc(1, sizeof(*rim));
	if (rim == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "rim", "allocating the RIM");
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (!elem_is(root, SWID_NS, "SoftwareIdentity")) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "rim.SoftwareIdentity",
				   "the root element is not a SWID SoftwareIdentity");
		goto out;
	}
	st = attr_required(root, NULL, "tagId", "rim.SoftwareIdentity@tagId", &rim->tag_id, err);
	if (st != CCG_OK)
		goto out;
	st = parse_meta(root, rim, err);
	if (st != CCG_OK)
		goto out;
	st = parse_payload(root, rim, err);
	if (st != CCG_OK)
		goto out;

	n_sig = count_signatures(root, &sig);
	if (n_sig != 1) {
		st = ccg_error_set(err, n_sig == 0 ? CCG_ERR_MALFORMED : CCG_ERR_DUPLICATE, "rim.Signature",
				   "%zu Signature elements, exactly one required", n_sig);
		goto out;
	}
	if (sig->parent != (xmlNode *)root) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "rim.Signature",
				   "the Signature is not a child of SoftwareIdentity");
		goto out;
	}
	st = parse_certs(sig, rim, err);
	if (st != CCG_OK)
		goto out;

	rim->doc = doc;
	doc = NULL;
	*out = rim;
	rim = NULL;
	st = CCG_OK;
out:
	if (doc != NULL)
		xmlFreeDoc(doc);
	ccg_rim_free(rim);
	return st;
}

void ccg_rim_free(struct ccg_rim *rim)
{
	if (rim == NULL)
		return;
	free(rim->tag_id);
	free(rim->product);
	free(rim->colloquial_version);
	free(rim->manufacturer_id);
	free(rim->measurements);
	sk_X509_pop_free(rim->certs, X509_free);
	if (rim->doc != NULL)
		xmlFreeDoc(rim->doc);
	free(rim);
}

/* ---------- signature ---------- */

/* the signing key: the public key of the signer certificate, nothing from KeyInfo */
static enum ccg_status signer_key(X509 *leaf, xmlSecKeyPtr *out, struct ccg_error *err)
{
	EVP_PKEY *pk = X509_get_pubkey(leaf);
	xmlSecKeyDataPtr data = NULL;
	xmlSecKeyPtr key = NULL;

	if (pk == NULL)
		return ccg_openssl_error(err, CCG_ERR_CRYPTO, "rim.Signature", "signer certificate public key");
	data = xmlSecOpenSSLEvpKeyAdopt(pk); /* takes pk */
	if (data == NULL) {
		EVP_PKEY_free(pk);
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "rim.Signature", "signer key type not supported: %s",
				     xmlsec_last_error);
	}
	key = xmlSecKeyCreate();
	if (key == NULL) {
		xmlSecKeyDataDestroy(data);
		return ccg_error_set(err, CCG_ERR_NOMEM, "rim.Signature", "xmlSecKeyCreate failed");
	}
	if (xmlSecKeySetValue(key, data) < 0) {
		xmlSecKeyDataDestroy(data);
		xmlSecKeyDestroy(key);
		return ccg_error_set(err, CCG_ERR_CRYPTO, "rim.Signature", "xmlSecKeySetValue failed");
	}
	*out = key;
	return CCG_OK;
}

static enum ccg_status verify_signature(const struct ccg_rim *rim, struct ccg_error *err)
{
	/* what SignedInfo may name: C14N methods and ECDSA signature methods */
	const xmlSecTransformId signed_info_ids[] = {
		xmlSecTransformInclC14NId,    xmlSecTransformInclC14N11Id,  xmlSecTransformExclC14NId,
		xmlSecTransformEcdsaSha256Id, xmlSecTransformEcdsaSha384Id, xmlSecTransformEcdsaSha512Id,
	};
	/* what a Reference may name: the enveloped transform, C14N, SHA-2 digests */
	const xmlSecTransformId reference_ids[] = {
		xmlSecTransformEnvelopedId, xmlSecTransformInclC14NId, xmlSecTransformInclC14N11Id,
		xmlSecTransformExclC14NId,  xmlSecTransformSha256Id,   xmlSecTransformSha384Id,
		xmlSecTransformSha512Id,
	};
	xmlSecDSigCtxPtr ctx = NULL;
	xmlSecKeyPtr key = NULL;
	xmlSecDSigReferenceCtxPtr ref;
	xmlNode *root, *sig = NULL;
	size_t n_sig;
	enum ccg_status st;

	xmlsec_last_error[0] = '\0';
	if (rim->doc == NULL || rim->certs == NULL || sk_X509_num(rim->certs) < 1)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "rim.Signature", "RIM not parsed");
	root = xmlDocGetRootElement(rim->doc);
	n_sig = count_signatures(root, &sig);
	if (n_sig != 1 || sig->parent != root)
		return ccg_error_set(err, CCG_ERR_SIGNATURE, "rim.Signature",
				     "%zu Signature elements, exactly one child of the root required", n_sig);

	st = signer_key(sk_X509_value(rim->certs, 0), &key, err);
	if (st != CCG_OK)
		goto out;
	/* no keys manager: KeyInfo is never used to find a key */
	ctx = xmlSecDSigCtxCreate(NULL);
	if (ctx == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "rim.Signature", "xmlSecDSigCtxCreate failed");
		goto out;
	}
	ctx->signKey = key;
	key = NULL;
	/* only URI="": the reference must be the whole document */
	ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty;
	for (size_t i = 0; i < sizeof(reference_ids) / sizeof(reference_ids[0]); i++) {
		if (xmlSecDSigCtxEnableReferenceTransform(ctx, reference_ids[i]) < 0) {
			st = ccg_error_set(err, CCG_ERR_NOMEM, "rim.Signature", "setting allowed transforms");
			goto out;
		}
	}
	for (size_t i = 0; i < sizeof(signed_info_ids) / sizeof(signed_info_ids[0]); i++) {
		if (xmlSecDSigCtxEnableSignatureTransform(ctx, signed_info_ids[i]) < 0) {
			st = ccg_error_set(err, CCG_ERR_NOMEM, "rim.Signature", "setting allowed transforms");
			goto out;
		}
	}

	if (xmlSecDSigCtxVerify(ctx, sig) < 0) {
		st = ccg_error_set(err, CCG_ERR_SIGNATURE, "rim.Signature", "XML signature not processed: %s",
				   xmlsec_last_error[0] != '\0' ? xmlsec_last_error : "xmlSecDSigCtxVerify failed");
		goto out;
	}
	if (ctx->status != xmlSecDSigStatusSucceeded) {
		st = ccg_error_set(err, CCG_ERR_SIGNATURE, "rim.Signature",
				   "XML signature does not verify with the signer certificate's key");
		goto out;
	}
	if (xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1) {
		st = ccg_error_set(err, CCG_ERR_SIGNATURE, "rim.Signature.SignedInfo.Reference",
				   "%zu references, exactly one required",
				   (size_t)xmlSecPtrListGetSize(&ctx->signedInfoReferences));
		goto out;
	}
	ref = xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0);
	if (ref == NULL || ref->uri == NULL || ref->uri[0] != '\0' || ref->status != xmlSecDSigStatusSucceeded) {
		st = ccg_error_set(err, CCG_ERR_SIGNATURE, "rim.Signature.SignedInfo.Reference",
				   "the reference is not URI=\"\" (the whole document)");
		goto out;
	}
	st = CCG_OK;
out:
	if (ctx != NULL)
		xmlSecDSigCtxDestroy(ctx); /* destroys signKey and the transform lists */
	if (key != NULL)
		xmlSecKeyDestroy(key);
	return st;
}

enum ccg_status ccg_rim_verify(const struct ccg_rim *rim, const struct ccg_rim_verify_opts *opts,
			       struct ccg_rim_verify_result *out, struct ccg_error *err)
{
	struct ccg_rim_verify_result local;
	struct ccg_chain_opts co;
	enum ccg_status st;

	if (out == NULL)
		out = &local;
	memset(out, 0, sizeof(*out));
	if (rim == NULL || opts == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "rim", "no RIM or options");
	st = lib_ready(err);
	if (st != CCG_OK)
		return st;
	out->schema_valid = rim->doc != NULL && rim->tag_id != NULL && rim->num_measurements > 0;
	st = verify_signature(rim, err);
	if (st != CCG_OK)
		return st;
	out->signature_verified = true;

	memset(&co, 0, sizeof(co));
	co.anchor = opts->rim_root;
	co.now = opts->now;
	co.ignore_expiry = opts->ignore_expiry;
	co.name = "RIM chain";
	st = ccg_chain_verify(rim->certs, &co, &out->chain, err);
	if (st != CCG_OK)
		return st;
	out->chain_verified = true;
	return CCG_OK;
}
