/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A real PostgreSQL server for tests, through tests/support/pg.sh: initdb
 * and pg_ctl in a fresh directory under /tmp, UNIX socket only (no TCP), run
 * as user nobody when the test runs as root.
 */
#ifndef CCGPU_TESTS_PG_H
#define CCGPU_TESTS_PG_H

/*
 * tp_pg_start: starts a server and returns its store URL
 * ("postgresql:///postgres?host=DIR&user=ccgpu", malloc'd). Without
 * PostgreSQL installed: a TAP skip and exit 77 outside CI, a failure under
 * CI=true. Fails the test when the server does not start.
 */
char *tp_pg_start(void);
/*
 * tp_raw_sql: runs sql on the database behind a store URL ("sqlite://PATH" or
 * a PostgreSQL URL), bypassing the store: what an operator with the database
 * can do (plant a newer schema, edit or delete rows). Fails the test on error.
 */
void tp_raw_sql(const char *url, const char *sql);
/* tp_pg_stop: stops the server tp_pg_start started and removes its directory; safe to call twice. */
void tp_pg_stop(void);

#endif
