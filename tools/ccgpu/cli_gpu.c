/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The GPU appraisal options shared by ccgpu verify gpu and ccgpu verify
 * composite: trust anchors, reference values, revocation, network and cache.
 * One parser and one configuration step, so the two commands mean the same
 * by each option.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/attest.h"
#include "ccgpu/util.h"
#include "cli.h"

#define OCSP_RESPONSE_MAX (64 * 1024)

void cli_gpu_opts_init(struct cli_gpu_opts *o, const struct cli_gpu_defaults *d)
{
	memset(o, 0, sizeof(*o));
	o->defaults = *d;
	o->ocsp = d->ocsp;
}

static int usage_error(const char *what, const char *fmt, ...) CCG_PRINTF(2, 3);

static int usage_error(const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ccgpu: %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see ccgpu %s --help)\n", what);
	return CLI_EXIT_USAGE;
}

int cli_gpu_opt(struct cli_gpu_opts *o, int c, const char *arg, const char *what)
{
	switch (c) {
	case CLI_GPU_OPT_RIM_DIR: o->rim_dir = arg; break;
	case CLI_GPU_OPT_RIM_URL: o->rim_url = arg; break;
	case CLI_GPU_OPT_NO_RIMS: o->no_rims = true; break;
	case CLI_GPU_OPT_RIM_IGNORE_EXPIRY: o->rim_ignore_expiry = true; break;
	case CLI_GPU_OPT_OCSP:
		o->ocsp_set = true;
		if (strcmp(arg, "off") == 0)
			o->ocsp = CCG_GPU_OCSP_OFF;
		else if (strcmp(arg, "cache") == 0)
			o->ocsp = CCG_GPU_OCSP_CACHE;
		else if (strcmp(arg, "online") == 0)
			o->ocsp = CCG_GPU_OCSP_ONLINE;
		else
			return usage_error(what, "--ocsp must be off, cache or online, not \"%s\"", arg);
		break;
	case CLI_GPU_OPT_OCSP_URL: o->ocsp_url = arg; break;
	case CLI_GPU_OPT_OCSP_MAX_AGE: {
		char *end;
		long long v = strtoll(arg, &end, 10);

		if (*arg == '\0' || *end != '\0' || v < 0)
			return usage_error(what, "--ocsp-max-age needs a number of seconds, not \"%s\"", arg);
		o->ocsp_max_age = v;
		break;
	}
	case CLI_GPU_OPT_OCSP_RESPONSE:
		if (o->num_ocsp_files == CLI_GPU_MAX_OCSP_FILES)
			return usage_error(what, "at most %d --ocsp-response files", CLI_GPU_MAX_OCSP_FILES);
		o->ocsp_files[o->num_ocsp_files++] = arg;
		break;
	case CLI_GPU_OPT_OFFLINE: o->offline = true; break;
	case CLI_GPU_OPT_CACHE_DIR: o->cache_dir = arg; break;
	case CLI_GPU_OPT_NO_CACHE: o->no_cache = true; break;
	case CLI_GPU_OPT_DEVICE_ROOT: o->device_root = arg; break;
	case CLI_GPU_OPT_RIM_ROOT: o->rim_root = arg; break;
	default: return -1;
	}
	o->given = true;
	return 0;
}

int cli_gpu_opts_finish(struct cli_gpu_opts *o, const char *what)
{
	if (o->offline && !o->ocsp_set && o->ocsp == CCG_GPU_OCSP_ONLINE)
		o->ocsp = CCG_GPU_OCSP_CACHE;
	if (o->offline && o->ocsp == CCG_GPU_OCSP_ONLINE)
		return usage_error(what, "--ocsp online contradicts --offline");
	/* with no source of reference values named, a command either asks NVIDIA's service or compares none */
	if (o->rim_dir == NULL && o->rim_url == NULL && !o->no_rims) {
		if (o->defaults.nvidia_rim_service && !o->offline)
			o->rim_url = CLI_NVIDIA_RIM_SERVICE;
		else if (!o->defaults.nvidia_rim_service)
			o->no_rims = true;
	}
	return 0;
}

enum ccg_status cli_gpu_configure(struct ccg_gpu_verifier *v, const struct cli_gpu_opts *o, struct ccg_error *err)
{
	const char *cache = o->cache_dir;
	char cache_buf[4096];
	enum ccg_status st;

	if (o->device_root != NULL && (st = ccg_gpu_verifier_set_device_anchor(v, o->device_root, err)) != CCG_OK)
		return st;
	if (o->rim_root != NULL && (st = ccg_gpu_verifier_set_rim_anchor(v, o->rim_root, err)) != CCG_OK)
		return st;
	if (cache == NULL && !o->no_cache) {
		const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

		if (xdg != NULL && xdg[0] == '/')
			snprintf(cache_buf, sizeof(cache_buf), "%s/ccgpu", xdg);
		else if (home != NULL && home[0] == '/')
			snprintf(cache_buf, sizeof(cache_buf), "%s/.cache/ccgpu", home);
		else
			cache_buf[0] = '\0';
		cache = cache_buf[0] != '\0' ? cache_buf : NULL;
	}
	if (!o->no_cache && cache != NULL && (st = ccg_gpu_verifier_set_cache_dir(v, cache, err)) != CCG_OK)
		return st;
	ccg_gpu_verifier_set_offline(v, o->offline);
	if ((st = ccg_gpu_verifier_set_rims(v, o->rim_dir, o->offline ? NULL : o->rim_url, err)) != CCG_OK)
		return st;
	ccg_gpu_verifier_skip_rims(v, o->no_rims);
	ccg_gpu_verifier_set_rim_ignore_expiry(v, o->rim_ignore_expiry);
	if ((st = ccg_gpu_verifier_set_ocsp(v, o->ocsp, o->ocsp_url != NULL ? o->ocsp_url : CLI_NVIDIA_OCSP,
					    o->ocsp_max_age, err)) != CCG_OK)
		return st;
	for (size_t i = 0; i < o->num_ocsp_files; i++) {
		uint8_t *der = NULL;
		size_t len = 0;

		st = ccg_file_read(o->ocsp_files[i], OCSP_RESPONSE_MAX, &der, &len, err);
		if (st == CCG_OK)
			st = ccg_gpu_verifier_add_ocsp_response(v, der, len, err);
		free(der);
		if (st != CCG_OK)
			return st;
	}
	return CCG_OK;
}
