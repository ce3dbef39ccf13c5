/* SPDX-License-Identifier: Apache-2.0 */
/* TDX quote v4/v5 parser (Intel TDX DCAP Quote Library API, "Quote Format"). */
#include "attest/cpu/tdx.h"

#include <string.h>

#include "common/cursor.h"
#include "common/error.h"

#define HEADER_LEN 48
#define TD10_BODY_LEN 584
#define TD15_BODY_LEN 648
#define QE_REPORT_LEN 384
#define ATT_KEY_ECDSA_P256 2
#define CERT_TYPE_QE_REPORT 6
#define CERT_TYPE_PCK_CHAIN 5
#define MAX_AUTH_DATA 4096

static bool get(struct ccg_cursor *c, uint8_t *out, size_t len)
{
	return ccg_cursor_copy_bytes(c, out, len);
}

static bool parse_body(struct ccg_cursor *c, uint16_t type, struct ccg_tdx_report_body *b)
{
	if (!get(c, b->tee_tcb_svn, 16) || !get(c, b->mrseam, 48) || !get(c, b->mrsignerseam, 48) ||
	    !get(c, b->seam_attributes, 8) || !get(c, b->td_attributes, 8) || !get(c, b->xfam, 8) ||
	    !get(c, b->mrtd, 48) || !get(c, b->mrconfigid, 48) || !get(c, b->mrowner, 48) ||
	    !get(c, b->mrownerconfig, 48) || !get(c, b->rtmr[0], 48) || !get(c, b->rtmr[1], 48) ||
	    !get(c, b->rtmr[2], 48) || !get(c, b->rtmr[3], 48) || !get(c, b->report_data, 64))
		return false;
	if (type == 3)
		return get(c, b->tee_tcb_svn2, 16) && get(c, b->mrservicetd, 48);
	return true;
}

static bool parse_qe_report(struct ccg_cursor *c, struct ccg_tdx_qe_report *q)
{
	struct ccg_cursor r;

	if (!ccg_cursor_copy_bytes(c, q->raw, QE_REPORT_LEN))
		return false;
	ccg_cursor_init(&r, q->raw, QE_REPORT_LEN);
	return get(&r, q->cpusvn, 16) && ccg_cursor_get_u32le(&r, &q->miscselect) && ccg_cursor_skip(&r, 28) &&
	       get(&r, q->attributes, 16) && get(&r, q->mrenclave, 32) && ccg_cursor_skip(&r, 32) &&
	       get(&r, q->mrsigner, 32) && ccg_cursor_skip(&r, 96) && ccg_cursor_get_u16le(&r, &q->isvprodid) &&
	       ccg_cursor_get_u16le(&r, &q->isvsvn) && ccg_cursor_skip(&r, 60) && get(&r, q->report_data, 64) &&
	       r.len == 0;
}

enum ccg_status ccg_tdx_quote_parse(const uint8_t *data, size_t len, struct ccg_tdx_quote *q, struct ccg_error *err)
{
	struct ccg_cursor c, start, sig, cert, inner, pem;
	uint32_t body_size = TD10_BODY_LEN, sig_len, cert_size, inner_size;
	uint16_t cert_type, inner_type, auth_len;
	struct ccg_cursor auth;

	memset(q, 0, sizeof(*q));
	if (data == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "tdx.quote", "no quote");
	if (len > CCG_TDX_QUOTE_MAX)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "tdx.quote", "%zu bytes, maximum %d", len,
				     CCG_TDX_QUOTE_MAX);
	ccg_cursor_init(&c, data, len);
	start = c;
	if (!ccg_cursor_get_u16le(&c, &q->version) || !ccg_cursor_get_u16le(&c, &q->att_key_type) ||
	    !ccg_cursor_get_u32le(&c, &q->tee_type) || !ccg_cursor_get_u16le(&c, &q->qe_svn) ||
	    !ccg_cursor_get_u16le(&c, &q->pce_svn) || !get(&c, q->qe_vendor_id, 16) || !get(&c, q->user_data, 20))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "tdx.quote.header", NULL);
	if (q->version == 3 || q->tee_type == CCG_TDX_TEE_SGX)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "tdx.quote.header.tee_type",
				     "an SGX quote (version %u, tee_type 0x%x) is not TDX evidence", q->version,
				     q->tee_type);
	if (q->version != 4 && q->version != 5)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "tdx.quote.header.version",
				     "quote version %u (ccgpu accepts 4 and 5)", q->version);
	if (q->tee_type != CCG_TDX_TEE_TDX)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "tdx.quote.header.tee_type", "tee_type 0x%x",
				     q->tee_type);
	if (q->att_key_type != ATT_KEY_ECDSA_P256)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "tdx.quote.header.att_key_type",
				     "attestation key type %u (2 = ECDSA P-256)", q->att_key_type);
	q->body_type = 2;
	if (q->version == 5) {
		if (!ccg_cursor_get_u16le(&c, &q->body_type) || !ccg_cursor_get_u32le(&c, &body_size))
			return ccg_error_set(err, CCG_ERR_TRUNCATED, "tdx.quote.body_descriptor", NULL);
		if (q->body_type == 1)
			return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "tdx.quote.body_type",
					     "an SGX enclave report body is not TDX evidence");
		if (!((q->body_type == 2 && body_size == TD10_BODY_LEN) ||
		      (q->body_type == 3 && body_size == TD15_BODY_LEN)))
			return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "tdx.quote.body_type",
					     "body type %u of %u bytes (2: TD 1.0, 584; 3: TD 1.5, 648)", q->body_type,
					     body_size);
	}
	if (!parse_body(&c, q->body_type, &q->body))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "tdx.quote.body", NULL);
	q->signed_data = data;
	q->signed_len = ccg_cursor_offset(&start, &c);
	if (!ccg_cursor_get_u32le(&c, &sig_len) || !ccg_cursor_get_bytes(&c, &sig, sig_len))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "tdx.quote.signature_data", NULL);
	q->padding = c.len; /* quote files may be padded after the signature data */
	if (!get(&sig, q->quote_sig, 64) || !get(&sig, q->att_key, 64) || !ccg_cursor_get_u16le(&sig, &cert_type) ||
	    !ccg_cursor_get_u32le(&sig, &cert_size) || !ccg_cursor_get_bytes(&sig, &cert, cert_size))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "tdx.quote.signature_data", NULL);
	if (sig.len != 0)
		return ccg_error_set(err, CCG_ERR_TRAILING_DATA, "tdx.quote.signature_data",
				     "%zu bytes after the certification data", sig.len);
	if (cert_type != CERT_TYPE_QE_REPORT)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "tdx.quote.certification_data.type",
				     "certification data type %u (6 = QE report)", cert_type);
	if (!parse_qe_report(&cert, &q->qe_report) || !get(&cert, q->qe_report_sig, 64) ||
	    !ccg_cursor_get_u16le(&cert, &auth_len) || !ccg_cursor_get_bytes(&cert, &auth, auth_len) ||
	    !ccg_cursor_get_u16le(&cert, &inner_type) || !ccg_cursor_get_u32le(&cert, &inner_size) ||
	    !ccg_cursor_get_bytes(&cert, &inner, inner_size))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "tdx.quote.qe_report_certification_data", NULL);
	if (auth_len > MAX_AUTH_DATA)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "tdx.quote.qe_auth_data", "%u bytes", auth_len);
	if (cert.len != 0)
		return ccg_error_set(err, CCG_ERR_TRAILING_DATA, "tdx.quote.qe_report_certification_data", NULL);
	if (inner_type != CERT_TYPE_PCK_CHAIN)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "tdx.quote.pck_certification_data.type",
				     "type %u (5 = PCK certificate chain)", inner_type);
	/* the PEM chain may end in NUL padding */
	pem = inner;
	while (pem.len > 0 && pem.data[pem.len - 1] == 0)
		pem.len--;
	q->qe_auth_data = auth.data;
	q->qe_auth_len = auth.len;
	q->pck_chain_pem = pem.data;
	q->pck_chain_len = pem.len;
	return CCG_OK;
}

static const char *const status_names[] = {
	"UpToDate",
	"SWHardeningNeeded",
	"ConfigurationNeeded",
	"ConfigurationAndSWHardeningNeeded",
	"OutOfDate",
	"OutOfDateConfigurationNeeded",
	"Revoked",
};

const char *ccg_tdx_tcb_status_name(enum ccg_tdx_tcb_status s)
{
	return (size_t)s < sizeof(status_names) / sizeof(status_names[0]) ? status_names[s] : "unknown";
}

bool ccg_tdx_tcb_status_parse(const char *s, enum ccg_tdx_tcb_status *out)
{
	for (size_t i = 0; s != NULL && i < sizeof(status_names) / sizeof(status_names[0]); i++) {
		if (strcmp(s, status_names[i]) == 0) {
			*out = (enum ccg_tdx_tcb_status)i;
			return true;
		}
	}
	return false;
}
