/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated GPU's reference integrity manifests: SWID tags shaped like
 * NVIDIA's driver and VBIOS RIMs (same namespaces, Meta attributes and
 * Resource entries), signed with xmlsec1's C API: an enveloped XML-DSig
 * over the whole document, C14N 1.1, ECDSA-SHA384 / SHA-384, KeyInfo with
 * the X.509 chain, signer first.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xmlsec/crypto.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "gpusim/internal.h"

static pthread_once_t xmlsec_once = PTHREAD_ONCE_INIT;
static bool xmlsec_ok;

static void xmlsec_init(void)
{
	xmlInitParser();
	if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1 || xmlSecOpenSSLAppInit(NULL) < 0 || xmlSecOpenSSLInit() < 0)
		return;
	xmlsec_ok = true;
}

static const char head_fmt[] =
	"<SoftwareIdentity xmlns=\"http://standards.iso.org/iso/19770/-2/2015/schema.xsd\" "
	"xmlns:ns0=\"http://standards.iso.org/iso/19770/-2/2015/schema.xsd\" "
	"xmlns:ns2=\"http://www.w3.org/2001/04/xmlenc#sha384\" corpus=\"false\" name=\"%s\" "
	"patch=\"false\" supplemental=\"false\" tagId=\"%s\" version=\"1.0\" tagVersion=\"0\">\n"
	"    <ns0:Entity name=\"NVIDIA Corporation\" role=\"softwareCreator tagCreator\"/>\n"
	"    <ns0:Meta xmlns:ns1=\"https://trustedcomputinggroup.org/resource/"
	"tcg-reference-integrity-manifest-rim-information-model/\" colloquialVersion=\"%s\" edition=\"GPU\" "
	"product=\"%s\" revision=\"r1\" PayloadType=\"direct\" ns1:BindingSpec=\"RIMIM\" "
	"ns1:BindingSpecVersion=\"1.01\" ns1:PlatformManufacturerId=\"5703\" "
	"ns1:PlatformManufacturerStr=\"NVIDIA Corporation\" ns1:PlatformModel=\"%s\" "
	"ns1:FirmwareManufacturer=\"NVIDIA Corporation\" ns1:FirmwareManufacturerId=\"5703\"/>\n"
	"    <ns0:Payload xmlns:SHA384=\"http://www.w3.org/2001/04/xmlenc#sha384\">\n";

static const char sig_template[] =
	"<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>"
	"<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2006/12/xml-c14n11\"/>"
	"<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384\"/>"
	"<ds:Reference URI=\"\"><ds:Transforms>"
	"<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"
	"<ds:Transform Algorithm=\"http://www.w3.org/2006/12/xml-c14n11\"/></ds:Transforms>"
	"<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#sha384\"/>"
	"<ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>"
	"<ds:SignatureValue></ds:SignatureValue><ds:KeyInfo></ds:KeyInfo></ds:Signature></SoftwareIdentity>";

static enum ccg_status build_text(char which, const struct gpusim_firmware *fw, struct ccg_buf *b,
				  struct ccg_error *err)
{
	uint8_t tag[48];
	char tag_hex[97], line[1400];
	enum ccg_status st;

	if ((st = ccg_random(tag, sizeof(tag))) != CCG_OK)
		return ccg_error_set(err, st, "gpusim.rim", "tagId");
	ccg_hex_encode(tag, sizeof(tag), tag_hex);
	snprintf(line, sizeof(line), "%s", "");
	{
		char head[2048];

		const char *chip = which == 's' ? "LS_10" : fw->blackwell ? "GB100" : "GH100";

		snprintf(head, sizeof(head), head_fmt, chip, tag_hex,
			 which == 'd'   ? fw->driver_version
			 : which == 's' ? fw->bios_version
					: fw->vbios_version,
			 chip, chip);
		if ((st = ccg_buf_append_str(b, head)) != CCG_OK)
			return ccg_error_set(err, st, "gpusim.rim", "text");
	}
	for (unsigned i = 0; i < GPUSIM_BLOCKS; i++) {
		unsigned alts = 1;
		bool active = which == 's' ? i < GPUSIM_SWITCH_BLOCKS : gpusim_rim_owner(i, &alts) == which;
		char hashes[8 * 120] = "";
		size_t used = 0;

		if (!active)
			alts = 1;
		for (unsigned k = 0; k < alts; k++) {
			uint8_t d[GPUSIM_DIGEST_LEN];
			char hex[2 * GPUSIM_DIGEST_LEN + 1];

			if (active && which == 's')
				memcpy(d, fw->switch_golden[i], sizeof(d));
			else if (active)
				gpusim_alternative(fw, i, k, alts, d);
			else
				memset(d, 0, sizeof(d));
			ccg_hex_encode(d, sizeof(d), hex);
			used += (size_t)snprintf(hashes + used, sizeof(hashes) - used, " ns2:Hash%u=\"%s\"", k, hex);
		}
		snprintf(line, sizeof(line),
			 "        <ns0:Resource type=\"Measurement\" index=\"%u\" active=\"%s\" alternatives=\"%u\"%s "
			 "name=\"Measurement_%u\" size=\"48\"/>\n",
			 i, active ? "True" : "False", alts, hashes, i);
		if ((st = ccg_buf_append_str(b, line)) != CCG_OK)
			return ccg_error_set(err, st, "gpusim.rim", "text");
	}
	if ((st = ccg_buf_append_str(b, "    </ns0:Payload>\n")) != CCG_OK ||
	    (st = ccg_buf_append_str(b, sig_template)) != CCG_OK)
		return ccg_error_set(err, st, "gpusim.rim", "text");
	return CCG_OK;
}

/* KeyInfo/X509Data: each certificate as base64 DER in 64-column lines, signer first (as NVIDIA's) */
static enum ccg_status add_x509_data(xmlNodePtr sig, STACK_OF(X509) *chain, struct ccg_error *err)
{
	xmlNodePtr key_info = xmlSecFindNode(sig, xmlSecNodeKeyInfo, xmlSecDSigNs), data;
	xmlNsPtr ns = xmlSearchNsByHref(sig->doc, sig, xmlSecDSigNs);

	if (key_info == NULL || ns == NULL)
		return ccg_error_set(err, CCG_ERR_INTERNAL, "gpusim.rim.KeyInfo", "template");
	data = xmlNewChild(key_info, ns, BAD_CAST "X509Data", NULL);
	if (data == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "gpusim.rim.KeyInfo", "X509Data");
	for (int i = 0; i < sk_X509_num(chain); i++) {
		unsigned char *der = NULL;
		int der_len = i2d_X509(sk_X509_value(chain, i), &der);
		char *b64 = der_len > 0 ? ccg_base64_encode_alloc(der, (size_t)der_len) : NULL;
		struct ccg_buf text;
		size_t n = b64 != NULL ? strlen(b64) : 0;
		bool ok = b64 != NULL;

		OPENSSL_free(der);
		ccg_buf_init(&text, 0);
		for (size_t off = 0; ok && off < n; off += 64)
			ok = ccg_buf_append(&text, b64 + off, n - off < 64 ? n - off : 64) == CCG_OK &&
			     ccg_buf_append_u8(&text, '\n') == CCG_OK;
		ok = ok && ccg_buf_terminate(&text) == CCG_OK &&
		     xmlNewTextChild(data, ns, BAD_CAST "X509Certificate", text.data) != NULL;
		free(b64);
		ccg_buf_cleanup(&text);
		if (!ok)
			return ccg_error_set(err, CCG_ERR_NOMEM, "gpusim.rim.KeyInfo", "certificate %d", i);
	}
	return CCG_OK;
}

enum ccg_status gpusim_rim_write(const char *path, char which, const struct gpusim_firmware *fw, EVP_PKEY *key,
				 STACK_OF(X509) *chain, struct ccg_error *err)
{
	struct ccg_buf text;
	xmlDocPtr doc = NULL;
	xmlNodePtr sig;
	xmlSecDSigCtxPtr ctx = NULL;
	xmlSecKeyDataPtr kd = NULL;
	xmlBufferPtr out = NULL;
	xmlSaveCtxtPtr save = NULL;
	enum ccg_status st;

	ccg_buf_init(&text, 1u << 20);
	if (pthread_once(&xmlsec_once, xmlsec_init) != 0 || !xmlsec_ok)
		return ccg_error_set(err, CCG_ERR_CRYPTO, "gpusim.rim", "xmlsec1 initialisation failed");
	if ((st = build_text(which, fw, &text, err)) != CCG_OK)
		goto out;
	doc = xmlReadMemory((const char *)text.data, (int)text.len, "rim.xml", NULL, XML_PARSE_NONET);
	if (doc == NULL) {
		st = ccg_error_set(err, CCG_ERR_INTERNAL, "gpusim.rim", "template does not parse");
		goto out;
	}
	sig = xmlSecFindNode(xmlDocGetRootElement(doc), xmlSecNodeSignature, xmlSecDSigNs);
	ctx = xmlSecDSigCtxCreate(NULL);
	if (sig == NULL || ctx == NULL || EVP_PKEY_up_ref(key) != 1) {
		st = ccg_error_set(err, CCG_ERR_INTERNAL, "gpusim.rim", "signature context");
		goto out;
	}
	kd = xmlSecOpenSSLEvpKeyAdopt(key);
	ctx->signKey = xmlSecKeyCreate();
	if (kd == NULL || ctx->signKey == NULL || xmlSecKeySetValue(ctx->signKey, kd) < 0) {
		if (kd == NULL)
			EVP_PKEY_free(key);
		else
			xmlSecKeyDataDestroy(kd);
		st = ccg_error_set(err, CCG_ERR_CRYPTO, "gpusim.rim", "signing key");
		goto out;
	}
	if (xmlSecDSigCtxSign(ctx, sig) < 0 || ctx->status != xmlSecDSigStatusSucceeded) {
		st = ccg_error_set(err, CCG_ERR_CRYPTO, "gpusim.rim.Signature", "xmlSecDSigCtxSign failed");
		goto out;
	}
	if ((st = add_x509_data(sig, chain, err)) != CCG_OK)
		goto out;
	out = xmlBufferCreate();
	save = out != NULL ? xmlSaveToBuffer(out, "UTF-8", XML_SAVE_NO_DECL) : NULL;
	if (save == NULL || xmlSaveDoc(save, doc) < 0) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "gpusim.rim", "serialising");
		goto out;
	}
	xmlSaveClose(save);
	save = NULL;
	st = ccg_file_write_atomic(path, xmlBufferContent(out), (size_t)xmlBufferLength(out), err);
out:
	if (save != NULL)
		xmlSaveClose(save);
	xmlBufferFree(out);
	if (ctx != NULL)
		xmlSecDSigCtxDestroy(ctx);
	xmlFreeDoc(doc);
	ccg_buf_cleanup(&text);
	return st;
}
