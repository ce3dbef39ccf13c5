/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Replays a fuzz target's seed corpus as an ordinary test, so sanitizer
 * builds cover it without libFuzzer. Usage: replay-<target> PATH...
 * where PATH is a file or directory, or "testdata:REL" for a file or
 * directory of the shared real evidence ($CCGPU_TESTDATA/REL; skipped when
 * that is absent outside CI); a file named *.hex is decoded first. Any
 * crash, leak or sanitizer report fails.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/encoding.h"
#include "common/file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0;
	uint8_t *copy;

	if (ccg_file_read(path, 16u << 20, &data, &len, NULL) != CCG_OK) {
		fprintf(stderr, "cannot read %s\n", path);
		return 1;
	}
	/* shared evidence stored as hex text (report.hex) is fed as its bytes */
	if (strlen(path) > 4 && strcmp(path + strlen(path) - 4, ".hex") == 0) {
		uint8_t *bin = NULL;

		if (ccg_hex_decode((const char *)data, len, 16u << 20, &bin, &len) != CCG_OK) {
			fprintf(stderr, "bad hex in %s\n", path);
			free(data);
			return 1;
		}
		free(data);
		data = bin;
	}
	/* exact-size heap copy so ASan catches any read past the end */
	copy = malloc(len != 0 ? len : 1);
	if (copy == NULL)
		return 1;
	memcpy(copy, data, len);
	(void)LLVMFuzzerTestOneInput(copy, len);
	free(copy);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	int files = 0, bad = 0;

	if (LLVMFuzzerInitialize != NULL)
		(void)LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		char td[4096];
		const char *path = argv[i];

		if (strncmp(path, "testdata:", 9) == 0) {
			const char *dir = getenv("CCGPU_TESTDATA"), *ci = getenv("CI");

			snprintf(td, sizeof(td), "%s/%s", dir != NULL ? dir : "", path + 9);
			if ((dir == NULL || stat(td, &st) != 0) && !(ci != NULL && strcmp(ci, "true") == 0)) {
				fprintf(stderr, "skipping %s: shared testdata absent\n", path);
				continue;
			}
			path = td;
		}
		if (stat(path, &st) != 0) {
			fprintf(stderr, "missing %s\n", path);
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			struct dirent **names;
			int n = scandir(path, &names, NULL, alphasort);

			if (n < 0)
				return 1;
			for (int j = 0; j < n; j++) {
				char p[4096 + 320];

				if (names[j]->d_name[0] != '.') {
					snprintf(p, sizeof(p), "%s/%s", path, names[j]->d_name);
					bad += run_file(p);
					files++;
				}
				free(names[j]);
			}
			free(names);
		} else {
			bad += run_file(path);
			files++;
		}
	}
	if (files == 0) {
		fprintf(stderr, "empty corpus\n");
		return 1;
	}
	printf("%d passed, %d failed\n", files - bad, bad);
	return bad != 0;
}
