#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on 127.0.0.1 from Debian's packages, for the tests.
# Prints the asyncpg URL on stdout. Usage: scripts/postgres.sh start|stop [DIR]
set -euo pipefail
action=${1:-start}
dir=${2:-/tmp/auditor-pg}
port=${PGPORT_TEST:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "postgres.sh: PostgreSQL server binaries not installed (apt-get install postgresql)" >&2
  exit 3
fi
as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$action" in
  start)
    if [ ! -f "$dir/PG_VERSION" ]; then
      mkdir -p "$dir"
      [ "$(id -u)" = "0" ] && chown postgres:postgres "$dir"
      as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust >/dev/null
    fi
    if ! as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir" start >/dev/null
    fi
    for db in refservice refservice_test; do
      as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" \
        | grep -q 1 || as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db"
    done
    echo "postgresql+asyncpg://postgres@127.0.0.1:$port/refservice_test"
    ;;
  stop)
    as_pg "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 start|stop [DIR]" >&2
    exit 2
    ;;
esac
