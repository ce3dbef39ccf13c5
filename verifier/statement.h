/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signed party statements, the daemon's side (issue 14): the format, signing,
 * verification and request checks are the party layer's (party/statement.h);
 * here each statement's jti is kept in the store (table "statement.jti")
 * until its iat is past the window, so a statement is accepted once.
 */
#ifndef CCGPU_VERIFIER_STATEMENT_H
#define CCGPU_VERIFIER_STATEMENT_H

#include <stdint.h>

#include "ccgpu/status.h"
#include "party/statement.h"

struct ccg_store_txn;

#define CCG_STATEMENT_JTI_TABLE "statement.jti"

/*
 * ccg_statement_jti_use: records the statement's (party, jti) in the store
 * inside txn, to be kept until iat + window; a pair already there is
 * CCG_ERR_STATEMENT_REPLAY ("statement.jti"), and the transaction must then
 * be rolled back. Entries whose keep-until is <= now are purged first (they
 * can no longer pass ccg_statement_check). Use it in the same transaction as
 * the change the statement asks for, so a request either happens once or
 * not at all.
 */
CCG_MUST_USE enum ccg_status ccg_statement_jti_use(struct ccg_store_txn *txn, const struct ccg_statement *st,
						   int64_t now, int64_t window, struct ccg_error *err);

#endif
