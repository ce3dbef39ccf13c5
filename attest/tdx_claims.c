/* SPDX-License-Identifier: Apache-2.0 */
/* TDX claims, and collateral from a PCS-compatible service with cache and offline mode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/collateral.h"
#include "attest/tdx.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"

#define PCS_DEFAULT "https://api.trustedservices.intel.com"

enum ccg_status ccg_tdx_quote_claims(const struct ccg_tdx_quote *q, const struct ccg_tdx_result *r, json_t **out)
{
	json_t *o = json_object();
	const struct ccg_tdx_report_body *b = &q->body;
	enum ccg_status st = CCG_ERR_NOMEM;
	char key[16];

	*out = NULL;
	if (o == NULL)
		return st;
	if ((st = ccg_json_set_new(o, "tdx-quote-version", json_integer(q->version))) != CCG_OK ||
	    (st = ccg_json_set_new(o, "tdx-body-type", json_string(q->body_type == 3 ? "TD15" : "TD10"))) != CCG_OK ||
	    (st = ccg_json_set_hex(o, "tdx-mrtd", b->mrtd, 48)) != CCG_OK ||
	    (st = ccg_json_set_hex(o, "tdx-mrconfigid", b->mrconfigid, 48)) != CCG_OK ||
	    (st = ccg_json_set_hex(o, "tdx-mrowner", b->mrowner, 48)) != CCG_OK ||
	    (st = ccg_json_set_hex(o, "tdx-mrownerconfig", b->mrownerconfig, 48)) != CCG_OK ||
	    (st = ccg_json_set_hex(o, "tdx-mrseam", b->mrseam, 48)) != CCG_OK ||
	    (st = ccg_json_set_hex(o, "tdx-mrsignerseam", b->mrsignerseam, 48)) != CCG_OK ||
	    (st = ccg_json_set_hex(o, "tdx-tee-tcb-svn", b->tee_tcb_svn, 16)) != CCG_OK ||
	    (st = ccg_json_set_hex(o, "tdx-td-attributes", b->td_attributes, 8)) != CCG_OK ||
	    (st = ccg_json_set_hex(o, "tdx-xfam", b->xfam, 8)) != CCG_OK ||
	    (st = ccg_json_set_hex(o, "tdx-report-data", b->report_data, 64)) != CCG_OK ||
	    (st = ccg_json_set_new(o, "tdx-debug", json_boolean(b->td_attributes[0] & 1))) != CCG_OK ||
	    (st = ccg_json_set_new(o, "tdx-sept-ve-disable", json_boolean(b->td_attributes[3] & 0x10))) != CCG_OK)
		goto out;
	for (int i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "tdx-rtmr%d", i);
		if ((st = ccg_json_set_hex(o, key, b->rtmr[i], 48)) != CCG_OK)
			goto out;
	}
	if (q->body_type == 3 && (st = ccg_json_set_hex(o, "tdx-mrservicetd", b->mrservicetd, 48)) != CCG_OK)
		goto out;
	if (r != NULL && r->tcb_known) {
		if ((st = ccg_json_set_new(o, "tdx-tcb-status", json_string(ccg_tdx_tcb_status_name(r->overall)))) !=
			    CCG_OK ||
		    (st = ccg_json_set_new(o, "tdx-platform-tcb-status",
					   json_string(ccg_tdx_tcb_status_name(r->tcb_status)))) != CCG_OK ||
		    (st = ccg_json_set_new(o, "tdx-module-tcb-status",
					   json_string(ccg_tdx_tcb_status_name(r->module_status)))) != CCG_OK ||
		    (st = ccg_json_set_new(o, "tdx-qe-tcb-status",
					   json_string(ccg_tdx_tcb_status_name(r->qe_status)))) != CCG_OK ||
		    (st = ccg_json_set_new(o, "tdx-tcb-date", json_string(r->tcb_date))) != CCG_OK ||
		    (st = ccg_json_set_new(o, "tdx-fmspc", json_string(r->fmspc))) != CCG_OK ||
		    (st = ccg_json_set_new(o, "tdx-collateral-stale", json_boolean(r->collateral_stale))) != CCG_OK ||
		    (st = ccg_json_set_new(o, "tdx-collateral-signer-expired", json_boolean(r->signer_expired))) !=
			    CCG_OK ||
		    (st = ccg_json_set_new(o, "tdx-advisory-ids", json_copy(r->advisories))) != CCG_OK)
			goto out;
	} else if ((st = ccg_json_set_new(o, "tdx-tcb-status", json_string("unknown"))) != CCG_OK) {
		goto out;
	}
	*out = o;
	o = NULL;
out:
	json_decref(o);
	return st;
}

enum ccg_status ccg_tdx_collateral_fetch(const struct ccg_tdx_pcs_config *cfg, const char *fmspc_hex,
					 const char *ca, struct ccg_tdx_collateral **out, struct ccg_error *err)
{
	struct ccg_collateral_src src = {.cache_dir = cfg->cache_dir, .offline = cfg->offline, .what = "Intel PCS"};
	const char *base = cfg->base_url != NULL ? cfg->base_url : PCS_DEFAULT;
	struct ccg_tdx_collateral *c = NULL;
	uint8_t *tcb = NULL, *qe = NULL, *chain = NULL, *pckcrl = NULL, *rootcrl = NULL, f[6];
	size_t tcb_len = 0, qe_len = 0, chain_len = 0, pckcrl_len = 0, rootcrl_len = 0;
	bool tcb_net = false, qe_net = false, crl_net = false, other = false;
	char url[1024], name[64];
	enum ccg_status st;

	*out = NULL;
	if (fmspc_hex == NULL || ccg_hex_decode_fixed(fmspc_hex, strlen(fmspc_hex), f, sizeof(f)) != CCG_OK ||
	    ca == NULL || (strcmp(ca, "platform") != 0 && strcmp(ca, "processor") != 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "Intel PCS", "fmspc must be 12 hex digits, ca platform|processor");
	if ((st = ccg_tdx_collateral_new(&c)) != CCG_OK)
		return st;
	snprintf(url, sizeof(url), "%s/tdx/certification/v4/tcb?fmspc=%s", base, fmspc_hex);
	snprintf(name, sizeof(name), "tcbinfo-%s.json", fmspc_hex);
	if ((st = ccg_collateral_get(&src, name, url, "application/json", &tcb, &tcb_len, &tcb_net, err)) != CCG_OK)
		goto out;
	snprintf(url, sizeof(url), "%s/tdx/certification/v4/qe/identity", base);
	if ((st = ccg_collateral_get(&src, "qe_identity.json", url, "application/json", &qe, &qe_len, &qe_net, err)) !=
	    CCG_OK)
		goto out;
	snprintf(url, sizeof(url), "%s/sgx/certification/v4/pckcrl?ca=%s&encoding=der", base, ca);
	snprintf(name, sizeof(name), "pckcrl-%s.der", ca);
	if ((st = ccg_collateral_get(&src, name, url, NULL, &pckcrl, &pckcrl_len, &crl_net, err)) != CCG_OK ||
	    (st = ccg_collateral_get(&src, "rootcrl.der", NULL, NULL, &rootcrl, &rootcrl_len, &other, err)) != CCG_OK ||
	    (st = ccg_collateral_get(&src, "tcb_signing_chain.pem", NULL, NULL, &chain, &chain_len, &other, err)) !=
		    CCG_OK)
		goto out;
	if ((st = ccg_tdx_collateral_set_tcb_info(c, tcb, tcb_len, err)) != CCG_OK ||
	    (st = ccg_tdx_collateral_set_qe_identity(c, qe, qe_len, err)) != CCG_OK ||
	    (st = ccg_tdx_collateral_set_signing_chain(c, chain, chain_len, err)) != CCG_OK ||
	    (st = ccg_tdx_collateral_set_crls(c, pckcrl, pckcrl_len, rootcrl, rootcrl_len, err)) != CCG_OK)
		goto out;
	/* cached only once parsed; signatures are checked at appraisal against the configured root */
	snprintf(name, sizeof(name), "tcbinfo-%s.json", fmspc_hex);
	if ((tcb_net && (st = ccg_collateral_store(&src, name, tcb, tcb_len, err)) != CCG_OK) ||
	    (qe_net && (st = ccg_collateral_store(&src, "qe_identity.json", qe, qe_len, err)) != CCG_OK))
		goto out;
	snprintf(name, sizeof(name), "pckcrl-%s.der", ca);
	if (crl_net && (st = ccg_collateral_store(&src, name, pckcrl, pckcrl_len, err)) != CCG_OK)
		goto out;
	*out = c;
	c = NULL;
out:
	free(tcb);
	free(qe);
	free(chain);
	free(pckcrl);
	free(rootcrl);
	ccg_tdx_collateral_free(c);
	return st;
}
