#!/usr/bin/env bash
# A private PostgreSQL cluster for the job store's tests (issue 13 §3): `start DIR PORT` makes one
# in DIR (initdb, trust authentication, listening on 127.0.0.1:PORT only, its socket in DIR) unless
# DIR holds one already, starts it, makes the database `pnode_test`, and prints the URL to put in
# PNODE_TEST_POSTGRES_URL; `stop DIR` stops it. initdb and the server refuse to run as root, so as
# root they run as the `postgres` user Debian's package makes.
set -euo pipefail
command="${1:-}"
dir="${2:-}"
if [ -z "$command" ] || [ -z "$dir" ]; then echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2; fi
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -z "$bin" ]; then echo "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)" >&2; exit 3; fi
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$command" in
  start)
    port="${3:-55432}"
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1
    fi
    if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on" start >/dev/null
    fi
    as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'pnode_test'" | grep -q 1 ||
      as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE pnode_test" >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/pnode_test"
    ;;
  stop)
    if [ -f "$dir/data/PG_VERSION" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true; fi
    ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
