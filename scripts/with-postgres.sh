#!/usr/bin/env bash
# Runs its arguments with CONCERNDESK_TEST_POSTGRES_URL pointing at a throwaway PostgreSQL
# cluster on a free loopback port, in a temp dir removed afterwards. Without PostgreSQL
# installed it runs the command as it is, and the PostgreSQL tests skip saying why.
#   scripts/with-postgres.sh .venv/bin/python -m pytest tests/frontdoor
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: scripts/with-postgres.sh COMMAND [ARGS...]" >&2; exit 2; }

pg_bin=""
for dir in /usr/lib/postgresql/*/bin; do
  [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && pg_bin="$dir"   # the glob sorts: newest last
done
if [ -z "$pg_bin" ]; then
  echo "with-postgres: PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb);" \
       "running without it" >&2
  unset CONCERNDESK_TEST_POSTGRES_URL
  exec "$@"
fi

as_pg() {  # initdb refuses to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

tmp="$(mktemp -d "${TMPDIR:-/tmp}/concerndesk-pg.XXXXXX")"
chmod 755 "$tmp"
[ "$(id -u)" = 0 ] && chown postgres: "$tmp"
cleanup() {
  as_pg "$pg_bin/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
as_pg "$pg_bin/initdb" -D "$tmp/data" -U postgres -A trust -E UTF8 --no-sync >"$tmp/initdb.log" 2>&1 \
  || { cat "$tmp/initdb.log" >&2; exit 1; }
as_pg "$pg_bin/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off -c max_connections=200" start \
  >/dev/null || { cat "$tmp/server.log" >&2; exit 1; }

export CONCERNDESK_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$port/postgres"
echo "with-postgres: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
set +e
"$@"
status=$?
set -e
exit "$status"
