/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgpu-party: a party's client of ccgpu-verifierd (issue 14; the wire
 * contract is docs/protocols.md, "Secret release"), on the public party API
 * (ccgpu/party.h) alone. Every command first appraises the verifier's own TEE
 * evidence (GET /v1/verifier/evidence with a fresh nonce, ccg_vevidence_check),
 * which yields the keys it trusts for this call: keys.token verifies signed
 * tree heads, keys.upload receives sealed secrets. State-changing requests
 * carry a signed statement (ccg_statement_sign). After every call the party
 * fetches the log's signed tree head and checks that it extends the one kept
 * in --state DIR (ccg_party_log_advance): a rewritten history is refused and
 * named.
 *
 *   main.c  options and commands
 *   cli.c   the exit status of a failed command (tested by tests/unit/test_party.c)
 */
#ifndef CCGPU_TOOLS_PARTY_CLI_H
#define CCGPU_TOOLS_PARTY_CLI_H

#include "ccgpu/status.h"

/* exit statuses of ccgpu-party (ccgpu-party(1), EXIT STATUS) */
enum {
	PARTY_EXIT_OK = 0,          /* done, and every check held */
	PARTY_EXIT_CHECK = 1,       /* a check of the party's failed: the verifier's evidence, the log */
	PARTY_EXIT_USAGE = 2,       /* bad arguments or unreadable input */
	PARTY_EXIT_REFUSED = 3,     /* the verifier refused the request (a 4xx problem answer) */
	PARTY_EXIT_UNAVAILABLE = 4, /* the verifier could not be reached or failed (transport, 5xx) */
};

/* party_exit_for: the exit status for a failed command's error. */
int party_exit_for(const struct ccg_error *err);

#endif
