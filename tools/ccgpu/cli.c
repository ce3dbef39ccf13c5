/* SPDX-License-Identifier: Apache-2.0 */
/* The ccgpu CLI's shared helpers (cli.h): input files, failure and warning messages. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/util.h"
#include "cli.h"

static bool is_hex_text(const uint8_t *p, size_t n)
{
	size_t digits = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
		digits++;
	}
	return digits > 0 && digits % 2 == 0;
}

enum ccg_status cli_read_input(const char *path, size_t max, uint8_t **out, size_t *out_len, struct ccg_error *err)
{
	uint8_t *data = NULL, *bin = NULL, *w;
	size_t len = 0, n = 0;
	enum ccg_status st;

	*out = NULL;
	*out_len = 0;
	st = ccg_file_read(path, 2 * max + 4096, &data, &len, err);
	if (st != CCG_OK)
		return st;
	if (!is_hex_text(data, len)) {
		*out = data;
		*out_len = len;
		return CCG_OK;
	}
	/* drop whitespace, then decode */
	w = data;
	for (size_t i = 0; i < len; i++)
		if (data[i] != ' ' && data[i] != '\n' && data[i] != '\r' && data[i] != '\t')
			w[n++] = data[i];
	st = ccg_hex_decode((const char *)data, n, max, &bin, out_len);
	free(data);
	if (st != CCG_OK) {
		char where[256];

		snprintf(where, sizeof(where), "%s", path);
		return ccg_error_set(err, st, where, "bad hex");
	}
	*out = bin;
	return CCG_OK;
}

int cli_fail(int code, const char *what, const struct ccg_error *err)
{
	char buf[CCG_ERROR_WHERE_MAX + CCG_ERROR_DETAIL_MAX + 64];

	fprintf(stderr, "ccgpu: %s: %s\n", what, ccg_error_format(err, buf, sizeof(buf)));
	return code;
}

void cli_warn_skipped(const char *what, uint32_t skipped, const char *fresh_why)
{
	const char *sep = "";

	if ((skipped & CCG_CHECK_ALL) == 0)
		return;
	fprintf(stderr, "ccgpu: %s: warning: not checked:", what);
	for (uint32_t bit = 1; (bit & CCG_CHECK_ALL) != 0; bit <<= 1) {
		if ((skipped & bit) == 0)
			continue;
		fprintf(stderr, "%s %s", sep, ccg_check_name(bit));
		if (bit == CCG_CHECK_FRESHNESS && fresh_why != NULL)
			fprintf(stderr, " (%s)", fresh_why);
		sep = ",";
	}
	fputc('\n', stderr);
}
