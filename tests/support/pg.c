/* SPDX-License-Identifier: Apache-2.0 */
#include "pg.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char pg_dir[64];

static const char *script(void)
{
	static char path[4096];
	const char *src = getenv("CCGPU_SOURCE_ROOT");

	snprintf(path, sizeof(path), "%s/tests/support/pg.sh", src != NULL ? src : ".");
	return path;
}

char *tp_pg_start(void)
{
	char cmd[8192], url[512];
	const char *ci = getenv("CI");
	FILE *p;
	int rc;

	snprintf(pg_dir, sizeof(pg_dir), "/tmp/ccgpu-pg-XXXXXX");
	if (mkdtemp(pg_dir) == NULL)
		fail_msg("mkdtemp failed");
	snprintf(cmd, sizeof(cmd), "sh '%s' start '%s'", script(), pg_dir);
	p = popen(cmd, "r");
	if (p == NULL)
		fail_msg("popen %s", cmd);
	url[0] = '\0';
	if (fgets(url, sizeof(url), p) == NULL)
		url[0] = '\0';
	rc = pclose(p);
	if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77) {
		rmdir(pg_dir);
		pg_dir[0] = '\0';
		if (ci != NULL && strcmp(ci, "true") == 0)
			fail_msg("PostgreSQL is required under CI");
		printf("1..0 # SKIP PostgreSQL not installed\n");
		exit(77);
	}
	if (rc != 0 || url[0] == '\0')
		fail_msg("PostgreSQL did not start in %s", pg_dir);
	url[strcspn(url, "\n")] = '\0';
	return strdup(url);
}

void tp_pg_stop(void)
{
	char cmd[8192];

	if (pg_dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "sh '%s' stop '%s'", script(), pg_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "pg.sh stop %s failed\n", pg_dir);
	pg_dir[0] = '\0';
}

void tp_raw_sql(const char *url, const char *sql)
{
	if (strncmp(url, "sqlite://", strlen("sqlite://")) == 0) {
		sqlite3 *db = NULL;

		assert_int_equal(sqlite3_open(url + strlen("sqlite://"), &db), SQLITE_OK);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			fail_msg("sqlite: %s: %s", sql, sqlite3_errmsg(db));
		sqlite3_close(db);
	} else {
		PGconn *c = PQconnectdb(url);
		PGresult *r;

		assert_int_equal(PQstatus(c), CONNECTION_OK);
		r = PQexec(c, sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("pg: %s: %s", sql, PQresultErrorMessage(r));
		PQclear(r);
		PQfinish(c);
	}
}
