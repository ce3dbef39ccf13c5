/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Replays a fuzz target's seed corpus as an ordinary test, so sanitizer
 * builds cover it without libFuzzer, and checks each seed's verdict.
 *
 * Usage: replay-<target> EXPECT PATH...
 *        replay-<target> --list PATH...
 * PATH is a file or directory, or "testdata:REL" for a file or directory of
 * the shared real evidence ($CCGPU_TESTDATA/REL; skipped when that is absent
 * outside CI); a file named *.hex is decoded first. Each input gets a key:
 * a seed's file name, or "testdata:REL" (with "/NAME" for a file of a
 * directory). EXPECT is the corpus manifest: one "KEY VERDICT" per line
 * (VERDICT as ccg_status_name writes it: OK, ERR_SIGNATURE, …; '#' starts a
 * comment). The test fails when a seed's verdict (ccg_fuzz_verdict) differs
 * from its line, when a seed has no line, when a line names no replayed
 * input (testdata lines excepted when the testdata is absent), and on any
 * crash, leak or sanitizer report. --list prints "KEY VERDICT" lines instead,
 * to write a manifest (whose verdicts must then be checked by hand). A
 * target whose ccg_fuzz_init finds no testdata is skipped (exit 77), or
 * fails under CI=true.
 */
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccgpu/status.h"
#include "common/encoding.h"
#include "common/file.h"
#include "fuzz.h"

#define MAX_EXPECT 512
#define KEY_MAX 320

struct expect {
	char key[KEY_MAX];
	char verdict[40];
	bool used;
};

static struct expect expects[MAX_EXPECT];
static size_t nexpects;
static bool listing;
static const char *current; /* the input being replayed, named when it crashes */

static void crashed(int sig)
{
	static const char msg[] = "crash while replaying ";

	if (current != NULL) {
		CCG_IGNORE(write(2, msg, sizeof(msg) - 1));
		CCG_IGNORE(write(2, current, strlen(current)));
		CCG_IGNORE(write(2, "\n", 1));
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static int load_expect(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int lineno = 0, bad = 0;

	if (f == NULL) {
		fprintf(stderr, "cannot read the manifest %s\n", path);
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char key[KEY_MAX], verdict[40], extra[2];
		int n;

		lineno++;
		if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
			continue;
		n = sscanf(line, "%319s %39s %1s", key, verdict, extra);
		if (n != 2 || nexpects == MAX_EXPECT) {
			fprintf(stderr, "%s:%d: not \"KEY VERDICT\" (or over %d lines)\n", path, lineno, MAX_EXPECT);
			bad = 1;
			continue;
		}
		for (size_t i = 0; i < nexpects; i++)
			if (strcmp(expects[i].key, key) == 0) {
				fprintf(stderr, "%s:%d: %s listed twice\n", path, lineno, key);
				bad = 1;
			}
		snprintf(expects[nexpects].key, KEY_MAX, "%s", key);
		snprintf(expects[nexpects].verdict, sizeof(expects[nexpects].verdict), "%s", verdict);
		nexpects++;
	}
	fclose(f);
	return bad;
}

/* expectations for the testdata under key prefix pre: mark them as accounted for when that testdata is absent */
static void skip_expect(const char *pre)
{
	size_t n = strlen(pre);

	for (size_t i = 0; i < nexpects; i++)
		if (strncmp(expects[i].key, pre, n) == 0 && (expects[i].key[n] == 0 || expects[i].key[n] == '/'))
			expects[i].used = true;
}

static int check_verdict(const char *key, int verdict)
{
	const char *got = ccg_status_name((enum ccg_status)verdict);

	if (listing) {
		printf("%s %s\n", key, got);
		return 0;
	}
	for (size_t i = 0; i < nexpects; i++) {
		if (strcmp(expects[i].key, key) != 0)
			continue;
		expects[i].used = true;
		if (strcmp(expects[i].verdict, got) != 0) {
			fprintf(stderr, "%s: verdict %s, expected %s\n", key, got, expects[i].verdict);
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "%s: verdict %s, and the manifest has no line for it\n", key, got);
	return 1;
}

static int run_file(const char *path, const char *key)
{
	uint8_t *data = NULL;
	size_t len = 0;
	uint8_t *copy;
	int verdict;

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
	if (copy == NULL) {
		free(data);
		return 1;
	}
	memcpy(copy, data, len);
	current = key;
	verdict = ccg_fuzz_verdict(copy, len);
	current = NULL;
	free(copy);
	free(data);
	return check_verdict(key, verdict);
}

int main(int argc, char **argv)
{
	int files = 0, bad = 0, first = 2;

	if (argc < 3) {
		fprintf(stderr, "usage: %s EXPECT|--list PATH...\n", argv[0]);
		return 2;
	}
	signal(SIGABRT, crashed);
	signal(SIGSEGV, crashed);
	if (strcmp(argv[1], "--list") == 0)
		listing = true;
	else if (load_expect(argv[1]) != 0)
		return 1;
	if (ccg_fuzz_init != NULL && ccg_fuzz_init() != 0) {
		const char *ci = getenv("CI");

		fprintf(stderr, "skipping: this target needs the shared testdata ($CCGPU_TESTDATA)\n");
		return ci != NULL && strcmp(ci, "true") == 0 ? 1 : 77;
	}
	for (int i = first; i < argc; i++) {
		struct stat st;
		char td[4096];
		const char *path = argv[i], *pre = NULL;

		if (strncmp(path, "testdata:", 9) == 0) {
			const char *dir = getenv("CCGPU_TESTDATA"), *ci = getenv("CI");

			pre = path;
			snprintf(td, sizeof(td), "%s/%s", dir != NULL ? dir : "", path + 9);
			if ((dir == NULL || stat(td, &st) != 0) && !(ci != NULL && strcmp(ci, "true") == 0)) {
				fprintf(stderr, "skipping %s: shared testdata absent\n", path);
				skip_expect(pre);
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
				char p[4096 + 320], key[KEY_MAX];

				if (names[j]->d_name[0] != '.') {
					snprintf(p, sizeof(p), "%s/%s", path, names[j]->d_name);
					if (pre != NULL)
						snprintf(key, sizeof(key), "%s/%s", pre, names[j]->d_name);
					else
						snprintf(key, sizeof(key), "%s", names[j]->d_name);
					bad += run_file(p, key);
					files++;
				}
				free(names[j]);
			}
			free(names);
		} else {
			const char *slash = strrchr(path, '/');

			bad += run_file(path, pre != NULL ? pre : slash != NULL ? slash + 1 : path);
			files++;
		}
	}
	for (size_t i = 0; i < nexpects; i++)
		if (!expects[i].used) {
			fprintf(stderr, "%s: in the manifest, but no such input was replayed\n", expects[i].key);
			bad++;
		}
	if (files == 0) {
		fprintf(stderr, "empty corpus\n");
		return 1;
	}
	printf("%d inputs, %d failed\n", files, bad);
	return bad != 0;
}
