/* SPDX-License-Identifier: Apache-2.0 */
/* ccgpu-verifierd's `key = value` configuration file. */
#include "verifier/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/attest.h"
#include "common/error.h"
#include "common/file.h"

enum kind { K_STR, K_PATH, K_BOOL, K_UINT, K_SIZE, K_OCSP, K_CRL, K_HEX32 };

struct key {
	const char *name;
	enum kind kind;
	size_t off;
	unsigned long long min, max;
};

#define F(field) offsetof(struct vd_config, field)

/* every key; ccgpu-verifierd(8) documents each (a test compares the two lists) */
static const struct key keys[] = {
	{"listen", K_STR, F(listen), 0, 0},
	{"tls_cert", K_PATH, F(tls_cert), 0, 0},
	{"tls_key", K_PATH, F(tls_key), 0, 0},
	{"allow_plain_http_on_network", K_BOOL, F(allow_plain_http_on_network), 0, 0},
	{"max_body", K_SIZE, F(max_body), 1024, 64u << 20},
	{"max_header", K_SIZE, F(max_header), 4096, 1u << 20},
	{"max_connections", K_UINT, F(max_connections), 1, 65536},
	{"connection_timeout", K_UINT, F(connection_timeout), 1, 3600},
	{"threads", K_UINT, F(threads), 1, 256},
	{"json_max_depth", K_UINT, F(json_max_depth), 4, 1024},
	{"state_dir", K_PATH, F(state_dir), 0, 0},
	{"store", K_STR, F(store), 0, 0},
	{"store_connections", K_UINT, F(store_connections), 1, 64},
	{"signing_key", K_PATH, F(signing_key), 0, 0},
	{"nonce_ttl", K_UINT, F(nonce_ttl), 1, 86400},
	{"token_ttl", K_UINT, F(token_ttl), 1, 7 * 86400},
	{"public_url", K_STR, F(public_url), 0, 0},
	{"policy", K_PATH, F(policy), 0, 0},
	{"gpu_device_root", K_PATH, F(gpu_device_root), 0, 0},
	{"gpu_rim_root", K_PATH, F(gpu_rim_root), 0, 0},
	{"gpu_rim_dir", K_PATH, F(gpu_rim_dir), 0, 0},
	{"gpu_rim_url", K_STR, F(gpu_rim_url), 0, 0},
	{"gpu_ocsp", K_OCSP, F(gpu_ocsp), 0, 0},
	{"gpu_ocsp_url", K_STR, F(gpu_ocsp_url), 0, 0},
	{"gpu_cache_dir", K_PATH, F(gpu_cache_dir), 0, 0},
	{"gpu_offline", K_BOOL, F(gpu_offline), 0, 0},
	{"amd_ark", K_PATH, F(amd_ark), 0, 0},
	{"amd_crl", K_CRL, F(amd_crls), 0, 0},
	{"intel_root", K_PATH, F(intel_root), 0, 0},
	{"tpm_ak", K_PATH, F(tpm_ak), 0, 0},
	{"require_fresh_collateral", K_BOOL, F(require_fresh_collateral), 0, 0},
	/* secret release (branch release) */
	{"kek", K_STR, F(kek), 0, 0},
	{"statement_window", K_UINT, F(statement_window), 1, 3600},
	/* the verifier's own TPM (branch vtee): its evidence and the TPM-sealed KEK */
	{"tpm_tcti", K_STR, F(tpm_tcti), 0, 0},
	{"tpm_ak_handle", K_HEX32, F(tpm_ak_handle), 0x81000000u, 0x81FFFFFFu},
};

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

enum ccg_status vd_config_defaults(struct vd_config *c, const char *state_dir)
{
	char *url;

	memset(c, 0, sizeof(*c));
	c->max_body = 4u << 20;
	c->max_header = 16 * 1024;
	c->max_connections = 512;
	c->connection_timeout = 15;
	c->threads = 2;
	c->json_max_depth = 32;
	c->nonce_ttl = 300;
	c->token_ttl = 3600;
	c->store_connections = 8;
	c->gpu_ocsp = CCG_GPU_OCSP_OFF;
	c->gpu_offline = true;
	c->tpm_ak_handle = VD_TPM_AK_HANDLE;
	c->listen = strdup("127.0.0.1:8400");
	c->state_dir = strdup(state_dir);
	c->signing_key = join(state_dir, "ear-signing-key.pem");
	c->statement_window = 300;
	{
		char *kek = join(state_dir, "kek");

		if (kek != NULL && asprintf(&c->kek, "file:%s", kek) < 0)
			c->kek = NULL;
		free(kek);
	}
	url = join(state_dir, "verifier.db");
	if (url != NULL) {
		c->store = malloc(strlen(url) + 10);
		if (c->store != NULL)
			snprintf(c->store, strlen(url) + 10, "sqlite://%s", url);
	}
	free(url);
	if (c->listen == NULL || c->state_dir == NULL || c->signing_key == NULL || c->store == NULL || c->kek == NULL)
		return CCG_ERR_NOMEM;
	return CCG_OK;
}

void vd_config_cleanup(struct vd_config *c)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (keys[i].kind == K_STR || keys[i].kind == K_PATH) {
			char **p = (char **)((char *)c + keys[i].off);

			free(*p);
			*p = NULL;
		}
	}
	for (size_t i = 0; i < c->n_amd_crls; i++)
		free(c->amd_crls[i]);
	c->n_amd_crls = 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static enum ccg_status set_value(struct vd_config *c, const struct key *k, const char *v, const char *where,
				 struct ccg_error *err)
{
	void *field = (char *)c + k->off;
	char *end = NULL;
	unsigned long long n;

	switch (k->kind) {
	case K_STR:
	case K_PATH:
		if (k->kind == K_PATH && v[0] != '/')
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "%s: not an absolute path", k->name);
		free(*(char **)field);
		if ((*(char **)field = strdup(v)) == NULL)
			return CCG_ERR_NOMEM;
		return CCG_OK;
	case K_CRL:
		if (v[0] != '/')
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "%s: not an absolute path", k->name);
		if (c->n_amd_crls == VD_MAX_AMD_CRLS)
			return ccg_error_set(err, CCG_ERR_TOO_LARGE, where, "%s: at most %d", k->name, VD_MAX_AMD_CRLS);
		if ((c->amd_crls[c->n_amd_crls] = strdup(v)) == NULL)
			return CCG_ERR_NOMEM;
		c->n_amd_crls++;
		return CCG_OK;
	case K_BOOL:
		if (strcmp(v, "true") == 0)
			*(bool *)field = true;
		else if (strcmp(v, "false") == 0)
			*(bool *)field = false;
		else
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "%s: true or false", k->name);
		return CCG_OK;
	case K_OCSP:
		if (strcmp(v, "off") == 0)
			*(int *)field = CCG_GPU_OCSP_OFF;
		else if (strcmp(v, "cache") == 0)
			*(int *)field = CCG_GPU_OCSP_CACHE;
		else if (strcmp(v, "online") == 0)
			*(int *)field = CCG_GPU_OCSP_ONLINE;
		else
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "%s: off, cache or online", k->name);
		return CCG_OK;
	case K_UINT:
	case K_SIZE:
		errno = 0;
		if (!isdigit((unsigned char)v[0]))
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "%s: not a number", k->name);
		n = strtoull(v, &end, 10);
		if (errno != 0 || *end != '\0' || n < k->min || n > k->max)
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "%s: a number in [%llu, %llu]", k->name,
					     k->min, k->max);
		if (k->kind == K_UINT)
			*(unsigned *)field = (unsigned)n;
		else
			*(size_t *)field = (size_t)n;
		return CCG_OK;
	case K_HEX32:
		/* a TPM handle as TPM tools write it: 0x and up to 8 hex digits */
		errno = 0;
		if (v[0] != '0' || (v[1] != 'x' && v[1] != 'X') || !isxdigit((unsigned char)v[2]))
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "%s: not 0x and hex digits", k->name);
		n = strtoull(v + 2, &end, 16);
		if (errno != 0 || *end != '\0' || n < k->min || n > k->max)
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, where,
					     "%s: a persistent handle in [0x%llx, 0x%llx]", k->name, k->min, k->max);
		*(uint32_t *)field = (uint32_t)n;
		return CCG_OK;
	}
	return ccg_error_set(err, CCG_ERR_INTERNAL, where, "key kind");
}

enum ccg_status vd_config_parse(struct vd_config *c, const char *name, const char *text, size_t len,
				struct ccg_error *err)
{
	bool seen[sizeof(keys) / sizeof(keys[0])] = {false};
	char *copy, *line, *save = NULL, where[CCG_ERROR_WHERE_MAX];
	enum ccg_status st = CCG_OK;
	unsigned lineno = 0;

	if (len > VD_CONFIG_MAX)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, name, "over %d bytes", VD_CONFIG_MAX);
	if (memchr(text, '\0', len) != NULL)
		return ccg_error_set(err, CCG_ERR_MALFORMED, name, "a NUL byte");
	if ((copy = strndup(text, len)) == NULL)
		return CCG_ERR_NOMEM;
	/* strtok_r would skip empty lines and lose the count: split by hand */
	for (line = copy; line != NULL && st == CCG_OK; line = save) {
		char *nl = strchr(line, '\n'), *eq, *k, *v;
		size_t i;

		save = nl != NULL ? nl + 1 : NULL;
		if (nl != NULL)
			*nl = '\0';
		lineno++;
		snprintf(where, sizeof(where), "%.100s:%u", name, lineno);
		k = trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			st = ccg_error_set(err, CCG_ERR_MALFORMED, where, "not key = value");
			break;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		if (v[0] == '"') {
			size_t n = strlen(v);

			if (n < 2 || v[n - 1] != '"') {
				st = ccg_error_set(err, CCG_ERR_MALFORMED, where, "%s: unterminated quote", k);
				break;
			}
			v[n - 1] = '\0';
			v++;
		}
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(keys[i].name, k) == 0)
				break;
		if (i == sizeof(keys) / sizeof(keys[0])) {
			st = ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "unknown key \"%.64s\"", k);
			break;
		}
		if (seen[i] && keys[i].kind != K_CRL) {
			st = ccg_error_set(err, CCG_ERR_DUPLICATE, where, "%s given twice", k);
			break;
		}
		seen[i] = true;
		st = set_value(c, &keys[i], v, where, err);
	}
	free(copy);
	return st;
}

enum ccg_status vd_config_load(struct vd_config *c, const char *path, struct ccg_error *err)
{
	uint8_t *text = NULL;
	size_t len = 0;
	enum ccg_status st = ccg_file_read(path, VD_CONFIG_MAX, &text, &len, err);

	if (st == CCG_OK)
		st = vd_config_parse(c, path, (const char *)text, len, err);
	free(text);
	return st;
}

bool vd_listen_is_local(const char *listen)
{
	if (strncmp(listen, "unix:", 5) == 0)
		return true;
	return strncmp(listen, "127.", 4) == 0 || strncmp(listen, "[::1]:", 6) == 0 ||
	       strncmp(listen, "localhost:", 10) == 0;
}

enum ccg_status vd_config_check(const struct vd_config *c, struct ccg_error *err)
{
	if ((c->tls_cert == NULL) != (c->tls_key == NULL))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "tls_cert", "tls_cert and tls_key go together");
	if (c->listen == NULL || c->listen[0] == '\0')
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "listen", "empty");
	if (strncmp(c->listen, "unix:", 5) == 0) {
		if (c->listen[5] != '/' || strlen(c->listen + 5) >= 100)
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, "listen",
					     "unix: needs an absolute path under 100 bytes");
		if (c->tls_cert != NULL)
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, "listen",
					     "TLS on a UNIX socket is not supported");
	} else if (strrchr(c->listen, ':') == NULL) {
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "listen", "HOST:PORT or unix:/PATH");
	}
	if (c->tls_cert == NULL && !c->allow_plain_http_on_network && !vd_listen_is_local(c->listen))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "listen",
				     "plain HTTP on %s: set tls_cert and tls_key, listen on loopback or a UNIX socket, "
				     "or set allow_plain_http_on_network = true",
				     c->listen);
	if (c->store == NULL || c->signing_key == NULL || c->state_dir == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "store",
				     "store, signing_key and state_dir are required");
	if (c->kek == NULL || (strncmp(c->kek, "file:/", 6) != 0 && strncmp(c->kek, "tpm:/", 5) != 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "kek", "file:/ABSOLUTE-PATH or tpm:/ABSOLUTE-PATH");
	if (c->public_url != NULL && strncmp(c->public_url, "http://", 7) != 0 &&
	    strncmp(c->public_url, "https://", 8) != 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "public_url", "http:// or https://");
	return CCG_OK;
}
