/* SPDX-License-Identifier: Apache-2.0 */
/* ccgpu-party: the exit status of a failed command (cli.h). */
#include <string.h>

#include "cli.h"

int party_exit_for(const struct ccg_error *err)
{
	switch (err->status) {
	case CCG_OK: return PARTY_EXIT_OK;
	case CCG_ERR_PEER_REFUSED: return PARTY_EXIT_REFUSED;
	case CCG_ERR_NETWORK:
	case CCG_ERR_TIMEOUT: return PARTY_EXIT_UNAVAILABLE;
	default: break;
	}
	/* the party's own checks of what the verifier sent */
	if (strncmp(err->where, "party.", 6) == 0 && strcmp(err->where, "party.state") != 0 &&
	    strcmp(err->where, "party.input") != 0)
		return PARTY_EXIT_CHECK;
	return PARTY_EXIT_USAGE;
}
