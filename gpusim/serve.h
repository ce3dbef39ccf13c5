/* SPDX-License-Identifier: Apache-2.0 */
/* gpusim's servers: the device on a UNIX socket, the RIM service and the OCSP responder on loopback HTTP. */
#ifndef CCGPU_GPUSIM_SERVE_H
#define CCGPU_GPUSIM_SERVE_H

#include <signal.h>

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
CCG_MUST_USE enum ccg_status gpusim_serve_http(const char *what, const char *dir, unsigned port,
					       const char *port_file, unsigned timeout_s, struct ccg_error *err);

#endif
