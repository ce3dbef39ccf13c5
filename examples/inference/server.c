/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgpu-inference: a small confidential inference server built only on the
 * public API (<ccgpu/ccgpu.h>, pkg-config ccgpu), OpenSSL and libmicrohttpd,
 * as an application inside a confidential VM would be.
 *
 * At start, each step named on failure (exit 1, "start refused at STEP"):
 *   guest.*                       the guest API attests to ccgpu-verifierd (CPU evidence from
 *                                 the vTPM or configfs-tsm, GPU evidence from gpusim) with an
 *                                 X25519 TEE key, which is also the OHTTP key
 *   guest.release.<model-secret>  the model key, released only while every party the
 *                                 contract requires for it (model owner, data owner) holds
 *   guest.release.<data-secret>   optionally the data owner's records
 *   model.*                       the sealed weights file opened inside the process
 *                                 (AES-256-GCM under the model key, model.h)
 *   guest.channel.gpu[i]          the encrypted channel to the attested GPU; the weights
 *                                 written through it (ccg_channel_write)
 *   gpu.run                       the data owner's records run once on the GPU (a warm-up
 *                                 evaluation: only their count is logged)
 * Then it serves (docs/protocols.md, "Oblivious HTTP"):
 *   GET  /ccgpu/ohttp-keys   its key configuration (the TEE key)
 *   GET  /ccgpu/attestation  its EAR token (re-attesting when due)
 *   POST /ccgpu/gateway      Oblivious HTTP: inside, POST /v1/generate with the prompt as
 *                            content answers 200 text/plain with the model's answer
 * A prompt becomes the model's int8 input, runs on the GPU (ccg_channel_run)
 * and its scores become text (model.h: model_input, model_answer). Nothing of
 * a prompt, an answer, a weight or a key is ever logged.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem, MADV_DONTDUMP */
#endif
#include <arpa/inet.h>
#include <ccgpu/ccgpu.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model.h"

#define OHTTP_KEY_ID 1
#define MAX_BODY (1u << 20)    /* an encapsulated prompt */
#define MAX_PROMPT (64u << 10) /* the prompt inside it */
#define MAX_RECORDS 4096
#define GENERATE_PATH "/v1/generate"

static const char usage[] =
	"usage: ccgpu-inference --verifier URL --jwks FILE --gpusim SOCKET --gpu-root FILE\n"
	"                       --contract ID --model FILE [--model-secret NAME] [--data-secret NAME]\n"
	"                       [--cpu auto|tpm|snp|tdx] [--tpm-tcti TCTI] [--tpm-ak-handle HEX]\n"
	"                       [--verifier-ca FILE] [--reattest-margin S] [--gpu N] [--listen ADDR:PORT]\n"
	"                       [--port-file FILE]\n"
	"\n"
	"Attests to ccgpu-verifierd, gets the model key released, decrypts the sealed\n"
	"model inside the process, loads it onto the GPU through the encrypted channel\n"
	"and answers Oblivious HTTP prompts (POST /v1/generate inside /ccgpu/gateway).\n"
	"\n"
	"  --verifier URL       ccgpu-verifierd (http://, https:// or unix:PATH)\n"
	"  --jwks FILE          the verifier's JWKS (its token-signing keys)\n"
	"  --verifier-ca FILE   PEM CA bundle for an https verifier\n"
	"  --reattest-margin S  re-attest S seconds before the token expires (default 60)\n"
	"  --cpu KIND           CPU evidence: auto (default), tpm, snp, tdx\n"
	"  --tpm-tcti TCTI      the vTPM (e.g. swtpm:host=127.0.0.1,port=2321)\n"
	"  --tpm-ak-handle HEX  the vTPM's attestation key handle (default 81000003)\n"
	"  --gpusim SOCKET      the GPU: ccgpu-gpusim's socket (evidence and channel)\n"
	"  --gpu-root FILE      PEM root the GPU's device chain must reach\n"
	"  --gpu N              the GPU to load the model on (default 0)\n"
	"  --contract ID        the contract the secrets are released under\n"
	"  --model-secret NAME  the model key's secret name (default model-key)\n"
	"  --data-secret NAME   the data owner's records, run once on the GPU at start\n"
	"  --model FILE         the sealed model (seal_model)\n"
	"  --listen ADDR:PORT   where to serve (default 127.0.0.1:8480; port 0: any)\n"
	"  --port-file FILE     write the port served on, once ready\n"
	"\n"
	"While no valid token is held (a re-attestation failed), /ccgpu/attestation and\n"
	"/ccgpu/gateway answer 503: no prompt is answered on a state it cannot prove.\n"
	"\n"
	"Exit status: 0 stopped by SIGTERM/SIGINT, 1 start refused (the step named), 2 usage.\n";

struct app {
	struct ccg_guest *guest;
	struct ccg_ohttp_gateway *gateway;
	struct ccg_session *session;
	struct ccg_channel *channel;
	struct model model;
	uint8_t *key_config;
	size_t key_config_len;
	uint64_t prompts;
};

/* one request's body, gathered across libmicrohttpd's calls */
struct body {
	uint8_t *data;
	size_t len;
	bool too_large;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("ccgpu-inference: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int refused(const struct ccg_error *err)
{
	char msg[700];

	say("start refused at %s", ccg_error_format(err, msg, sizeof(msg)));
	return 1;
}

static enum ccg_status set_err(struct ccg_error *err, enum ccg_status st, const char *where, const char *detail)
{
	if (err->status == CCG_OK) {
		err->status = st;
		snprintf(err->where, sizeof(err->where), "%s", where);
		snprintf(err->detail, sizeof(err->detail), "%s", detail);
	}
	return st;
}

/* runs the model on the GPU over input; the answer text into answer (outputs + 1 bytes) */
static enum ccg_status run_model(struct app *a, const uint8_t *prompt, size_t len, char *answer, struct ccg_error *err)
{
	const struct model_shape *s = &a->model.shape;
	size_t outputs = s->layer[s->layers - 1].rows, cmd_len = 0, got = 0;
	int8_t input[MODEL_MAX_DIM];
	uint8_t cmd[4 + 16 * MODEL_MAX_LAYERS + MODEL_MAX_DIM];
	int32_t scores[MODEL_MAX_OUTPUTS];
	uint8_t out[4 * MODEL_MAX_OUTPUTS];
	enum ccg_status st;

	model_input(prompt, len, input, s->layer[0].cols);
	if ((st = model_run_cmd(s, 0, input, cmd, sizeof(cmd), &cmd_len, err)) == CCG_OK &&
	    (st = ccg_channel_run(a->channel, cmd, cmd_len, out, sizeof(out), &got, err)) == CCG_OK &&
	    got != 4 * outputs)
		st = set_err(err, CCG_ERR_PROTOCOL, "gpu.run", "the device answered another number of scores");
	if (st == CCG_OK) {
		for (size_t i = 0; i < outputs; i++)
			scores[i] = (int32_t)((uint32_t)out[4 * i] | (uint32_t)out[4 * i + 1] << 8 |
					      (uint32_t)out[4 * i + 2] << 16 | (uint32_t)out[4 * i + 3] << 24);
		model_answer(scores, outputs, answer);
	}
	OPENSSL_cleanse(input, sizeof(input));
	OPENSSL_cleanse(cmd, sizeof(cmd));
	OPENSSL_cleanse(out, sizeof(out));
	OPENSSL_cleanse(scores, sizeof(scores));
	return st;
}

/* the data owner's records (one per line) run once on the GPU; only their count is told */
static enum ccg_status run_records(struct app *a, const uint8_t *data, size_t len, size_t *n, struct ccg_error *err)
{
	char answer[MODEL_MAX_OUTPUTS + 1];
	size_t start = 0;
	enum ccg_status st = CCG_OK;

	*n = 0;
	for (size_t i = 0; i <= len && st == CCG_OK; i++) {
		if (i < len && data[i] != '\n')
			continue;
		if (i > start) {
			if (*n == MAX_RECORDS)
				return set_err(err, CCG_ERR_TOO_LARGE, "gpu.run", "more than 4096 records");
			st = run_model(a, data + start, i - start, answer, err);
			(*n)++;
		}
		start = i + 1;
	}
	OPENSSL_cleanse(answer, sizeof(answer));
	return st;
}

/* ---- HTTP ---- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, const void *data, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	if (type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* the Binary HTTP answer to one decapsulated request */
static enum ccg_status answer_request(struct app *a, const struct ccg_bhttp_msg *req, struct ccg_bhttp_msg **out,
				      struct ccg_error *err)
{
	const char *method = ccg_bhttp_msg_method(req), *path = ccg_bhttp_msg_path(req);
	char answer[MODEL_MAX_OUTPUTS + 2];
	const uint8_t *prompt;
	size_t len = 0;
	unsigned status = 200;
	const char *text = NULL;
	enum ccg_status st;

	prompt = ccg_bhttp_msg_content(req, &len);
	if (strcmp(path, GENERATE_PATH) != 0) {
		status = 404;
		text = "no such route (POST " GENERATE_PATH ")\n";
	} else if (strcmp(method, "POST") != 0) {
		status = 405;
		text = "POST the prompt as the content\n";
	} else if (len == 0 || len > MAX_PROMPT) {
		status = 400;
		text = "the prompt is 1 byte to 64 KiB\n";
	}
	if (text == NULL) {
		if ((st = run_model(a, prompt, len, answer, err)) != CCG_OK)
			return st;
		strcat(answer, "\n");
		text = answer;
		a->prompts++;
	}
	if ((st = ccg_bhttp_response_new(status, out, err)) == CCG_OK &&
	    (st = ccg_bhttp_msg_add_field(*out, CCG_BHTTP_HEADERS, "content-type",
					  (const uint8_t *)"text/plain; charset=utf-8", 25, err)) == CCG_OK)
		st = ccg_bhttp_msg_set_content(*out, (const uint8_t *)text, strlen(text), err);
	OPENSSL_cleanse(answer, sizeof(answer));
	if (st != CCG_OK) {
		ccg_bhttp_msg_free(*out);
		*out = NULL;
	}
	return st;
}

static enum MHD_Result gateway(struct app *a, struct MHD_Connection *c, const struct body *b)
{
	const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct ccg_ohttp_exchange *ex = NULL;
	struct ccg_bhttp_msg *resp = NULL;
	struct ccg_error err = {0};
	char *token = NULL, msg[700];
	uint8_t *enc = NULL;
	size_t enc_len = 0;
	enum MHD_Result ret;

	if (type == NULL || strcasecmp(type, "message/ohttp-req") != 0)
		return reply(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, NULL, "", 0);
	if (b->too_large)
		return reply(c, MHD_HTTP_CONTENT_TOO_LARGE, NULL, "", 0);
	/* no prompt is answered on a state this server can no longer prove */
	if (ccg_guest_token(a->guest, &token, &err) != CCG_OK) {
		say("gateway: no valid attestation: %s", ccg_error_format(&err, msg, sizeof(msg)));
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "", 0);
	}
	free(token);
	if (ccg_ohttp_gateway_decapsulate(a->gateway, b->data, b->len, &ex, &err) != CCG_OK) {
		say("gateway: request refused: %s", ccg_error_format(&err, msg, sizeof(msg)));
		return reply(c, MHD_HTTP_BAD_REQUEST, NULL, "", 0);
	}
	if (answer_request(a, ccg_ohttp_exchange_request(ex), &resp, &err) != CCG_OK ||
	    ccg_ohttp_exchange_respond(ex, resp, &enc, &enc_len, &err) != CCG_OK) {
		say("gateway: %s", ccg_error_format(&err, msg, sizeof(msg)));
		ret = reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "", 0);
	} else {
		ret = reply(c, MHD_HTTP_OK, "message/ohttp-res", enc, enc_len);
	}
	ccg_bhttp_msg_free(resp);
	ccg_ohttp_exchange_free(ex);
	free(enc);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_len, void **state)
{
	struct app *a = cls;
	struct body *b = *state;
	struct ccg_error err = {0};
	char *token = NULL, msg[700];
	enum MHD_Result ret;

	(void)version;
	if (strcmp(method, "POST") == 0 && strcmp(url, CCG_CLIENT_ROUTE_GATEWAY) == 0) {
		if (b == NULL) {
			if ((b = calloc(1, sizeof(*b))) == NULL)
				return MHD_NO;
			*state = b;
			return MHD_YES;
		}
		if (*upload_len > 0) {
			if (b->too_large || b->len + *upload_len > MAX_BODY) {
				b->too_large = true;
			} else {
				uint8_t *n = realloc(b->data, b->len + *upload_len);

				if (n == NULL)
					return MHD_NO;
				memcpy(n + b->len, upload, *upload_len);
				b->data = n;
				b->len += *upload_len;
			}
			*upload_len = 0;
			return MHD_YES;
		}
		return gateway(a, c, b);
	}
	if (strcmp(method, "GET") != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "", 0);
	if (strcmp(url, CCG_CLIENT_ROUTE_KEYS) == 0)
		return reply(c, MHD_HTTP_OK, "application/ohttp-keys", a->key_config, a->key_config_len);
	if (strcmp(url, CCG_CLIENT_ROUTE_ATTESTATION) == 0) {
		if (ccg_guest_token(a->guest, &token, &err) != CCG_OK) {
			say("attestation: %s", ccg_error_format(&err, msg, sizeof(msg)));
			return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "", 0);
		}
		ret = reply(c, MHD_HTTP_OK, "application/jwt", token, strlen(token));
		free(token);
		return ret;
	}
	return reply(c, MHD_HTTP_NOT_FOUND, NULL, "", 0);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode code)
{
	struct body *b = *state;

	(void)cls, (void)c, (void)code;
	if (b != NULL) {
		if (b->data != NULL)
			OPENSSL_cleanse(b->data, b->len);
		free(b->data);
		free(b);
		*state = NULL;
	}
}

/* ---- start ---- */

struct opts {
	struct ccg_guest_opts g;
	const char *jwks_file, *contract, *model_file, *model_secret, *data_secret, *listen, *port_file;
	unsigned gpu;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	enum {
		O_VERIFIER = 256,
		O_JWKS,
		O_CA,
		O_MARGIN,
		O_CPU,
		O_TCTI,
		O_AK,
		O_GPUSIM,
		O_ROOT,
		O_GPU,
		O_CONTRACT,
		O_MSECRET,
		O_DSECRET,
		O_MODEL,
		O_LISTEN,
		O_PORTFILE,
		O_HELP
	};
	static const struct option lo[] = {
		{"verifier", required_argument, NULL, O_VERIFIER},
		{"jwks", required_argument, NULL, O_JWKS},
		{"verifier-ca", required_argument, NULL, O_CA},
		{"reattest-margin", required_argument, NULL, O_MARGIN},
		{"cpu", required_argument, NULL, O_CPU},
		{"tpm-tcti", required_argument, NULL, O_TCTI},
		{"tpm-ak-handle", required_argument, NULL, O_AK},
		{"gpusim", required_argument, NULL, O_GPUSIM},
		{"gpu-root", required_argument, NULL, O_ROOT},
		{"gpu", required_argument, NULL, O_GPU},
		{"contract", required_argument, NULL, O_CONTRACT},
		{"model-secret", required_argument, NULL, O_MSECRET},
		{"data-secret", required_argument, NULL, O_DSECRET},
		{"model", required_argument, NULL, O_MODEL},
		{"listen", required_argument, NULL, O_LISTEN},
		{"port-file", required_argument, NULL, O_PORTFILE},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->model_secret = "model-key";
	o->listen = "127.0.0.1:8480";
	o->g.cpu = CCG_GUEST_CPU_AUTO;
	o->g.gpu = CCG_GUEST_GPU_GPUSIM;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_VERIFIER: o->g.verifier_url = optarg; break;
		case O_JWKS: o->jwks_file = optarg; break;
		case O_CA: o->g.verifier_ca_file = optarg; break;
		case O_MARGIN:
			o->g.reattest_margin = (unsigned)strtoul(optarg, &end, 10);
			if (end == optarg || *end != '\0' || o->g.reattest_margin == 0 || o->g.reattest_margin > 86400)
				return fprintf(stderr, "ccgpu-inference: --reattest-margin: 1..86400 seconds\n"), 2;
			break;
		case O_CPU:
			if (strcmp(optarg, "auto") == 0)
				o->g.cpu = CCG_GUEST_CPU_AUTO;
			else if (strcmp(optarg, "tpm") == 0)
				o->g.cpu = CCG_GUEST_CPU_TPM;
			else if (strcmp(optarg, "snp") == 0)
				o->g.cpu = CCG_GUEST_CPU_SNP;
			else if (strcmp(optarg, "tdx") == 0)
				o->g.cpu = CCG_GUEST_CPU_TDX;
			else
				return fprintf(stderr, "ccgpu-inference: --cpu: auto, tpm, snp or tdx\n"), 2;
			break;
		case O_TCTI: o->g.tpm_tcti = optarg; break;
		case O_AK:
			o->g.tpm_ak_handle = (uint32_t)strtoul(optarg, &end, 16);
			if (end == optarg || *end != '\0')
				return fprintf(stderr, "ccgpu-inference: --tpm-ak-handle: a hex handle\n"), 2;
			break;
		case O_GPUSIM: o->g.gpusim_socket = optarg; break;
		case O_ROOT: o->g.gpu_root_file = optarg; break;
		case O_GPU:
			o->gpu = (unsigned)strtoul(optarg, &end, 10);
			if (end == optarg || *end != '\0' || o->gpu > 255)
				return fprintf(stderr, "ccgpu-inference: --gpu: 0..255\n"), 2;
			break;
		case O_CONTRACT: o->contract = optarg; break;
		case O_MSECRET: o->model_secret = optarg; break;
		case O_DSECRET: o->data_secret = optarg; break;
		case O_MODEL: o->model_file = optarg; break;
		case O_LISTEN: o->listen = optarg; break;
		case O_PORTFILE: o->port_file = optarg; break;
		case O_HELP: fputs(usage, stdout); exit(0);
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind != argc || o->g.verifier_url == NULL || o->jwks_file == NULL || o->g.gpusim_socket == NULL ||
	    o->g.gpu_root_file == NULL || o->contract == NULL || o->model_file == NULL) {
		fprintf(stderr,
			"ccgpu-inference: give --verifier, --jwks, --gpusim, --gpu-root, --contract and "
			"--model (--help)\n");
		return 2;
	}
	return 0;
}

static int listen_addr(const char *spec, struct sockaddr_in *sa)
{
	const char *colon = strrchr(spec, ':');
	char host[64];
	char *end;
	unsigned long port;

	if (colon == NULL || (size_t)(colon - spec) >= sizeof(host))
		return -1;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (end == colon + 1 || *end != '\0' || port > 65535)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* attest, get the model key (and records), open the sealed model, load it onto the GPU */
static int start(struct app *a, const struct opts *o, struct ccg_error *err)
{
	struct ccg_guest_secret *key = NULL, *records = NULL;
	uint8_t *sealed = NULL;
	size_t sealed_len = 0, key_len = 0, rec_len = 0, n = 0;
	const uint8_t *k, *r;
	int rc = 1;

	if (ccg_guest_new(&o->g, &a->guest, err) != CCG_OK ||
	    ccg_guest_key_generate(a->guest, CCG_GUEST_KEY_X25519, err) != CCG_OK ||
	    ccg_guest_attest(a->guest, err) != CCG_OK)
		goto out;
	say("attested: CPU and GPU evidence affirmed by the verifier (EAR token until %lld), TEE key X25519",
	    (long long)ccg_guest_token_exp(a->guest));
	if (ccg_guest_secret(a->guest, o->contract, o->model_secret, &key, err) != CCG_OK)
		goto out;
	say("model key '%s' of contract '%s' released to this TEE (version %lld)", o->model_secret, o->contract,
	    (long long)ccg_guest_secret_version(key));
	if (o->data_secret != NULL && ccg_guest_secret(a->guest, o->contract, o->data_secret, &records, err) != CCG_OK)
		goto out;
	if (ccg_file_read(o->model_file, MODEL_MAX_FILE, &sealed, &sealed_len, err) != CCG_OK)
		goto out;
	k = ccg_guest_secret_data(key, &key_len);
	if (model_open(sealed, sealed_len, k, key_len, &a->model, err) != CCG_OK)
		goto out;
	say("model decrypted inside the TEE: %u layers, %zu weight bytes", a->model.shape.layers, a->model.weights_len);
	if (ccg_guest_channel_open(a->guest, o->gpu, NULL, &a->session, &a->channel, err) != CCG_OK ||
	    ccg_channel_write(a->channel, 0, a->model.weights, a->model.weights_len, err) != CCG_OK)
		goto out;
	say("weights loaded onto GPU %u through the encrypted channel (session %08x)", o->gpu,
	    ccg_session_id(a->session));
	if (records != NULL) {
		r = ccg_guest_secret_data(records, &rec_len);
		if (run_records(a, r, rec_len, &n, err) != CCG_OK)
			goto out;
		say("the data owner's '%s': %zu records evaluated on the GPU", o->data_secret, n);
	}
	if (ccg_guest_ohttp_gateway(a->guest, OHTTP_KEY_ID, &a->gateway, err) != CCG_OK ||
	    ccg_ohttp_gateway_key_config(a->gateway, &a->key_config, &a->key_config_len, err) != CCG_OK)
		goto out;
	rc = 0;
out:
	ccg_guest_secret_free(key);
	ccg_guest_secret_free(records);
	free(sealed);
	return rc;
}

static void app_free(struct app *a)
{
	ccg_ohttp_gateway_free(a->gateway);
	free(a->key_config);
	ccg_channel_free(a->channel);
	ccg_session_end_quiet(a->session);
	ccg_session_free(a->session);
	model_cleanup(&a->model);
	ccg_guest_free(a->guest);
}

int main(int argc, char **argv)
{
	struct app a = {0};
	struct opts o;
	struct ccg_error err = {0};
	struct sockaddr_in sa;
	struct MHD_Daemon *d = NULL;
	const union MHD_DaemonInfo *info;
	uint8_t *jwks = NULL;
	size_t jwks_len = 0;
	sigset_t sigs;
	int rc, sig = 0;
	FILE *f;

	if ((rc = parse_args(argc, argv, &o)) != 0)
		return rc;
	if (listen_addr(o.listen, &sa) != 0) {
		fprintf(stderr, "ccgpu-inference: --listen: IPv4-ADDRESS:PORT\n");
		return 2;
	}
	if (ccg_file_read(o.jwks_file, 1u << 20, &jwks, &jwks_len, &err) != CCG_OK)
		return refused(&err);
	o.g.verifier_jwks = (const char *)jwks;
	/* the signals that stop the server are taken by sigwait below, in this thread only */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (start(&a, &o, &err) != 0) {
		rc = refused(&err);
		goto out;
	}
	/* one libmicrohttpd thread: requests (and so the channel) are served one at a time */
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, ntohs(sa.sin_port), NULL, NULL,
			     on_request, &a, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	info = d != NULL ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	if (info == NULL) {
		say("start refused at listen: cannot serve on %s", o.listen);
		rc = 1;
		goto out;
	}
	if (o.port_file != NULL) {
		if ((f = fopen(o.port_file, "w")) == NULL || fprintf(f, "%u\n", info->port) < 0 || fclose(f) != 0) {
			say("start refused at listen: cannot write %s", o.port_file);
			rc = 1;
			goto out;
		}
	}
	say("serving on %s:%u: GET %s, GET %s, POST %s (POST %s inside)", inet_ntoa(sa.sin_addr), info->port,
	    CCG_CLIENT_ROUTE_KEYS, CCG_CLIENT_ROUTE_ATTESTATION, CCG_CLIENT_ROUTE_GATEWAY, GENERATE_PATH);
	sigwait(&sigs, &sig);
	say("stopping (signal %d) after %llu prompts", sig, (unsigned long long)a.prompts);
	rc = 0;
out:
	if (d != NULL)
		MHD_stop_daemon(d);
	app_free(&a);
	free(jwks);
	return rc;
}
