#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A throwaway PostgreSQL server for tests (Debian's postgresql package):
#   pg.sh start DIR   initdb + pg_ctl start in DIR (new or empty; reachable by
#                     user nobody when run as root), UNIX socket in DIR only,
#                     no TCP; prints the store URL (also written to DIR/url)
#   pg.sh stop DIR    stops it (immediate) and removes DIR
# Exit 77 when PostgreSQL is not installed (the caller skips outside CI).
# Run as root (CI on a fresh Debian 12), the server runs as user nobody:
# PostgreSQL refuses to run as root.
set -eu
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pg.sh start|stop DIR" >&2; exit 2; }
bindir=${CCGPU_PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
runas=""
if [ "$(id -u)" = 0 ]; then
	runas="runuser -u nobody --"
fi
case "$cmd" in
start)
	if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
		echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
		exit 77
	fi
	mkdir -p "$dir"
	[ -n "$runas" ] && chown nobody "$dir"
	$runas "$bindir/initdb" -D "$dir/data" -A trust -U ccgpu --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		exit 1
	}
	# fsync off: the tests kill the verifier, never the database server
	$runas "$bindir/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/server.log" \
		-o "-c listen_addresses='' -k $dir -c fsync=off -c max_connections=300" start >/dev/null || {
		cat "$dir/server.log" >&2
		exit 1
	}
	echo "postgresql:///postgres?host=$dir&user=ccgpu" >"$dir/url"
	cat "$dir/url"
	;;
stop)
	if [ -f "$dir/data/postmaster.pid" ]; then
		$runas "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "usage: pg.sh start|stop DIR" >&2
	exit 2
	;;
esac
