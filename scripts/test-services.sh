#!/usr/bin/env bash
# Install and start what the test suite talks to for real: PostgreSQL (Debian's cluster,
# with a role and database for the tests), Redis (the tests start their own servers),
# curl (the README quickstart), Debian's chromium (the dashboard's Playwright tests drive
# /usr/bin/chromium; `playwright install` is never run). Idempotent; needs root or sudo.
set -euo pipefail
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"

missing=""
command -v redis-server >/dev/null || missing="$missing redis-server"
command -v curl >/dev/null || missing="$missing curl"
command -v pg_ctlcluster >/dev/null || missing="$missing postgresql"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
if [ -n "$missing" ]; then
  echo "installing$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
if ! pg_lsclusters -h | grep -q "^$version main"; then
  $SUDO pg_createcluster "$version" main >/dev/null
fi
# A cluster stopped hard replays and fsyncs its whole data directory before it listens,
# which can take minutes on a slow disk: wait up to 15 min rather than pg_ctl's 60 s.
if ! pg_lsclusters -h | grep -q "^$version main .* online"; then
  $SUDO pg_ctlcluster "$version" main start -- -t 900
fi
as_postgres() { $SUDO runuser -u postgres -- "$@"; }
current="$(as_postgres psql -tAqc 'SHOW max_connections')"
if [ "$current" -lt 400 ]; then
  as_postgres psql -qc "ALTER SYSTEM SET max_connections = 400"
  $SUDO pg_ctlcluster "$version" main restart -- -t 900
fi
as_postgres psql -tAqc "SELECT 1 FROM pg_roles WHERE rolname = 'apiinone'" | grep -q 1 \
  || as_postgres psql -qc "CREATE ROLE apiinone LOGIN CREATEDB PASSWORD 'apiinone'"
as_postgres psql -tAqc "SELECT 1 FROM pg_database WHERE datname = 'apiinone'" | grep -q 1 \
  || as_postgres psql -qc "CREATE DATABASE apiinone OWNER apiinone"
# Each suite pass drops the databases it made (tests/support/pg.py); a pass that was killed
# cannot, so what such passes left (named t_...) goes before the next one starts.
as_postgres psql -tAqc "SELECT datname FROM pg_database WHERE datname LIKE 't\_%'" \
  | while read -r stale; do as_postgres psql -qc "DROP DATABASE IF EXISTS \"$stale\" WITH (FORCE)"; done
echo "services ready: PostgreSQL $version on 127.0.0.1:5432, redis-server, curl, chromium"
