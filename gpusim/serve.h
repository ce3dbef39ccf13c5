/* SPDX-License-Identifier: Apache-2.0 */
/* gpusim's servers: the device on a UNIX socket, the RIM service and the OCSP responder on loopback HTTP. */
#ifndef CCGPU_GPUSIM_SERVE_H
#define CCGPU_GPUSIM_SERVE_H

#include <signal.h>
#include <sys/types.h>

#include "gpusim/gpusim.h"

/* set by SIGTERM/SIGINT (installed by gpusim_serve_signals) or a deadline: the servers return */
extern volatile sig_atomic_t gpusim_stop;
void gpusim_serve_signals(void);

/* gpusim_serve_socket: answers frames on a UNIX socket at path until stopped or timeout_s (0: none). */
CCG_MUST_USE enum ccg_status gpusim_serve_socket(struct gpusim *s, const char *path, unsigned timeout_s,
						 struct ccg_error *err);
/*
 * gpusim_serve_http: serves RIMs ("rims": GET /<id> from dir, NVIDIA's RIM
 * service JSON) or OCSP ("ocsp": POST application/ocsp-request, state dir)
 * on 127.0.0.1:port (0: any; the port chosen is written to port_file if
 * not NULL) until stopped or timeout_s.
 */
CCG_MUST_USE enum ccg_status gpusim_serve_http(const char *what, const char *dir, unsigned port, const char *port_file,
					       unsigned timeout_s, struct ccg_error *err);

/*
 * For tests and benchmarks that run a device beside the guest code:
 * gpusim_pki_generate_child: gpusim_pki_generate in a child process (xmlsec1
 * is initialised once per process, and the caller's verifier may have done
 * it); CCG_ERR_IO when the child failed.
 * gpusim_serve_child: a child process serving state_dir on the UNIX socket
 * path (fault: a report fault spec or NULL; ce: the copy engine) for at most
 * timeout_s (0: no limit), and never beyond the caller's life; returns its
 * pid once it accepts connections, -1 on failure. The caller stops it with
 * SIGTERM and reaps it.
 */
CCG_MUST_USE enum ccg_status gpusim_pki_generate_child(const char *dir, const struct gpusim_pki_opts *opts);
pid_t gpusim_serve_child(const char *state_dir, const char *path, const char *fault, enum gpusim_copy_engine ce,
			 unsigned timeout_s);

#endif
