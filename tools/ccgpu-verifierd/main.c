/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgpu-verifierd: the verifier service (docs/man/ccgpu-verifierd.8).
 * Loads the configuration, opens and migrates the store, loads or creates
 * the signing key, starts the HTTP API, tells systemd it is ready, and then
 * waits for signals: SIGTERM/SIGINT drain and exit, SIGHUP reloads the
 * configuration's appraisal part and the policy. Expired nonces are purged
 * once a minute.
 */
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "ccgpu/util.h"
#include "verifier/daemon.h"
#include "verifier/release.h"
#include "verifier/vevidence.h"

#define PURGE_EVERY_S 60

static const char usage[] =
	"usage: ccgpu-verifierd [--config FILE] [--state-dir DIR] [--check-config]\n"
	"                       [--listen ADDR] [--store URL] [--port-file FILE]\n"
	"\n"
	"The ccgpu verifier service: POST /v1/challenge, POST /v1/attest,\n"
	"GET /.well-known/jwks.json, /healthz, /readyz, /metrics (docs/api/openapi.yaml).\n"
	"\n"
	"  --config FILE     configuration (key = value; every key in ccgpu-verifierd(8));\n"
	"                    without it: SQLite under the state directory, 127.0.0.1:8400\n"
	"  --state-dir DIR   state directory (default /var/lib/ccgpu): database and signing key\n"
	"  --check-config    check the configuration, the policy and the anchors, then exit\n"
	"  --listen ADDR     overrides the configuration's listen (HOST:PORT or unix:/PATH)\n"
	"  --store URL       overrides the configuration's store (sqlite:///PATH, postgresql://...)\n"
	"  --port-file FILE  once listening, write the TCP port bound there (for listen ...:0)\n"
	"  --list-routes     print every route served (METHOD PATH) and exit\n"
	"  --help, --version\n"
	"\n"
	"Signals: SIGTERM drains and exits, SIGHUP reloads the policy and configuration.\n"
	"Exit status: 0 stopped cleanly (or the configuration is good), 1 a runtime failure,\n"
	"2 a usage or configuration error.\n";

static void log_event(const char *event, const struct ccg_error *err)
{
	json_t *o = json_object();
	char ts[21], text[CCG_ERROR_WHERE_MAX + CCG_ERROR_DETAIL_MAX + 64];

	ccg_time_iso((int64_t)time(NULL), ts);
	json_object_set_new(o, "ts", json_string(ts));
	json_object_set_new(o, "event", json_string(event));
	if (err != NULL && err->status != CCG_OK)
		json_object_set_new(o, "error", json_string(ccg_error_format(err, text, sizeof(text))));
	vd_log(o);
}

/* the configuration: defaults for the state dir, the file over them, then the command line's overrides */
static enum ccg_status load_config(struct vd_config *c, const char *path, const char *state_dir, const char *listen,
				   const char *store, struct ccg_error *err)
{
	enum ccg_status st;

	if ((st = vd_config_defaults(c, state_dir)) != CCG_OK)
		return ccg_error_set(err, st, "config", "defaults");
	if (path != NULL && (st = vd_config_load(c, path, err)) != CCG_OK)
		return st;
	if (listen != NULL) {
		free(c->listen);
		c->listen = strdup(listen);
	}
	if (store != NULL) {
		free(c->store);
		c->store = strdup(store);
	}
	if (c->listen == NULL || c->store == NULL)
		return CCG_ERR_NOMEM;
	return vd_config_check(c, err);
}

static void reload(struct vd *d, const char *state_dir, const char *listen, const char *store)
{
	struct vd_config c;
	struct vd_runtime *rt = NULL, *old;
	struct ccg_error err;

	sd_notify(0, "RELOADING=1");
	ccg_error_clear(&err);
	if (load_config(&c, d->config_path, state_dir, listen, store, &err) != CCG_OK ||
	    vd_runtime_new(&c, &rt, &err) != CCG_OK) {
		/* a bad new configuration leaves the running one in force */
		log_event("reload-refused", &err);
		vd_config_cleanup(&c);
		sd_notify(0, "READY=1");
		return;
	}
	if (strcmp(c.listen, d->cfg.listen) != 0 || strcmp(c.store, d->cfg.store) != 0 ||
	    strcmp(c.signing_key, d->cfg.signing_key) != 0 || c.threads != d->cfg.threads ||
	    strcmp(c.kek, d->cfg.kek) != 0 || c.statement_window != d->cfg.statement_window ||
	    (c.tls_cert == NULL) != (d->cfg.tls_cert == NULL))
		log_event(
			"reload-restart-needed: listen, store, signing_key, threads, TLS, kek and statement_window "
			"apply at start",
			NULL);
	pthread_rwlock_wrlock(&d->lock);
	old = d->rt;
	d->rt = rt;
	pthread_rwlock_unlock(&d->lock);
	vd_runtime_free(old);
	vd_config_cleanup(&c);
	log_event("reloaded", NULL);
	sd_notify(0, "READY=1");
}

/*
 * The verifier's own TPM (branch vtee): its AK at tpm_ak_handle, created and
 * persisted there at the first start (ccgpu-verifierd(8) says how a party
 * learns its public key).
 */
static enum ccg_status vd_tpm_start(const struct vd_config *c, struct ccg_error *err)
{
	bool created = false;
	enum ccg_status st;

	if ((st = ccg_vevidence_ak_ensure(c->tpm_tcti, c->tpm_ak_handle, &created, err)) == CCG_OK && created)
		log_event("tpm-ak-created", NULL);
	return st;
}

static int write_port(const char *path, int port, struct ccg_error *err)
{
	char text[16];

	snprintf(text, sizeof(text), "%d\n", port);
	return ccg_file_write_atomic(path, (const uint8_t *)text, strlen(text), err) == CCG_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"state-dir", required_argument, NULL, 's'},
		{"check-config", no_argument, NULL, 'k'}, {"listen", required_argument, NULL, 'l'},
		{"store", required_argument, NULL, 'S'},  {"port-file", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
		{"list-routes", no_argument, NULL, 'r'},  {NULL, 0, NULL, 0},
	};
	const char *state_dir = "/var/lib/ccgpu", *listen = NULL, *store = NULL, *port_file = NULL;
	struct vd d;
	struct ccg_error err;
	struct vd_runtime *rt = NULL;
	bool check = false;
	sigset_t set;
	int o, code = 1, migrated = 0;
	struct timespec wait = {PURGE_EVERY_S, 0};

	memset(&d, 0, sizeof(d));
	d.listen_fd = -1;
	umask(077); /* the database, its WAL and the signing key are the daemon's alone */
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c': d.config_path = optarg; break;
		case 's': state_dir = optarg; break;
		case 'k': check = true; break;
		case 'l': listen = optarg; break;
		case 'S': store = optarg; break;
		case 'p': port_file = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': puts("ccgpu-verifierd 0.1.0"); return 0;
		case 'r': vd_routes_print(stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	ccg_error_clear(&err);
	if (load_config(&d.cfg, d.config_path, state_dir, listen, store, &err) != CCG_OK ||
	    vd_runtime_new(&d.cfg, &rt, &err) != CCG_OK) {
		char text[600];

		fprintf(stderr, "ccgpu-verifierd: %s\n", ccg_error_format(&err, text, sizeof(text)));
		vd_config_cleanup(&d.cfg);
		return 2;
	}
	if (check) {
		printf("configuration ok: listen %s, store %s, policy %s\n", d.cfg.listen,
		       strncmp(d.cfg.store, "sqlite:", 7) == 0 ? d.cfg.store : "postgresql (URL not shown)",
		       vd_appraiser_policy_id(rt->appraiser));
		vd_runtime_free(rt);
		vd_config_cleanup(&d.cfg);
		return 0;
	}
	d.rt = rt;
	pthread_rwlock_init(&d.lock, NULL);
	/* signals are taken by sigtimedwait below, in this thread only: block them before any thread starts */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (ccg_mkdir_p(d.cfg.state_dir, &err) != CCG_OK ||
	    ccg_store_open(d.cfg.store, &(struct ccg_store_opts){.max_conns = d.cfg.store_connections}, &d.store,
			   &err) != CCG_OK ||
	    ccg_store_migrate(d.store, &migrated, &err) != CCG_OK ||
	    ccg_ear_key_load_or_create(d.cfg.signing_key, &d.key, &err) != CCG_OK ||
	    vd_release_init(&d, &err) != CCG_OK || vd_tpm_start(&d.cfg, &err) != CCG_OK ||
	    vd_server_start(&d, &err) != CCG_OK ||
	    (port_file != NULL && write_port(port_file, d.bound_port, &err) != 0)) {
		log_event("start-failed", &err);
		goto out;
	}
	{
		json_t *e = json_object();
		char ts[21];

		ccg_time_iso((int64_t)time(NULL), ts);
		json_object_set_new(e, "ts", json_string(ts));
		json_object_set_new(e, "event", json_string("ready"));
		json_object_set_new(e, "listen", json_string(d.cfg.listen));
		json_object_set_new(e, "port", json_integer(d.bound_port));
		json_object_set_new(e, "store", json_string(ccg_store_backend(d.store)));
		json_object_set_new(e, "schema_version", json_integer(migrated));
		json_object_set_new(e, "kid", json_string(ccg_ear_key_kid(d.key)));
		/* the public HPKE upload key (parties take it from the attested evidence route; this line is for the operator) */
		json_object_set_new(e, "upload_jwk", json_deep_copy(vd_upload_jwk(&d)));
		json_object_set_new(e, "policy", json_string(vd_appraiser_policy_id(d.rt->appraiser)));
		json_object_set_new(e, "tls", json_boolean(d.cfg.tls_cert != NULL));
		vd_log(e);
	}
	sd_notifyf(0, "READY=1\nSTATUS=listening on %s, store %s", d.cfg.listen, ccg_store_backend(d.store));
	for (;;) {
		int sig = sigtimedwait(&set, NULL, &wait);

		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP) {
			reload(&d, state_dir, listen, store);
		} else if (sig < 0) {
			uint64_t n = 0;

			if (ccg_store_nonce_purge(d.store, (int64_t)time(NULL), &n, &err) != CCG_OK)
				log_event("purge-failed", &err);
		}
	}
	sd_notify(0, "STOPPING=1");
	log_event("draining", NULL);
	vd_server_drain(&d, d.cfg.connection_timeout < 10 ? d.cfg.connection_timeout : 10);
	log_event("stopped", NULL);
	code = 0;
out:
	if (d.mhd != NULL)
		vd_server_drain(&d, 0);
	ccg_ear_key_free(d.key);
	vd_release_cleanup(&d);
	ccg_store_close(d.store);
	vd_runtime_free(d.rt);
	vd_config_cleanup(&d.cfg);
	pthread_rwlock_destroy(&d.lock);
	return code;
}
