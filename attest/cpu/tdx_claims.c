/* SPDX-License-Identifier: Apache-2.0 */
/* TDX claims. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/cpu/tdx.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"

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
	} else if ((st = ccg_json_set_new(o, "tdx-tcb-status", json_string("unknown"))) != CCG_OK ||
		   (r != NULL &&
		    (st = ccg_json_set_new(o, "tdx-collateral-stale", json_boolean(r->collateral_stale))) != CCG_OK)) {
		goto out;
	}
	*out = o;
	o = NULL;
out:
	json_decref(o);
	return st;
}
