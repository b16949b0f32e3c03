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
if ! pg_lsclusters -h | grep -q "^$version main .* online"; then
  $SUDO pg_ctlcluster "$version" main start
fi
as_postgres() { $SUDO runuser -u postgres -- "$@"; }
current="$(as_postgres psql -tAqc 'SHOW max_connections')"
if [ "$current" -lt 400 ]; then
  as_postgres psql -qc "ALTER SYSTEM SET max_connections = 400"
  $SUDO pg_ctlcluster "$version" main restart
fi
as_postgres psql -tAqc "SELECT 1 FROM pg_roles WHERE rolname = 'apiinone'" | grep -q 1 \
  || as_postgres psql -qc "CREATE ROLE apiinone LOGIN CREATEDB PASSWORD 'apiinone'"
as_postgres psql -tAqc "SELECT 1 FROM pg_database WHERE datname = 'apiinone'" | grep -q 1 \
  || as_postgres psql -qc "CREATE DATABASE apiinone OWNER apiinone"
echo "services ready: PostgreSQL $version on 127.0.0.1:5432, redis-server, curl, chromium"
