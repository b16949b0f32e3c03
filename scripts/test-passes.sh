#!/usr/bin/env bash
# The suite's two passes at once: on SQLite (the embedded default) and on PostgreSQL.
# Most of a pass is waiting on the processes it starts (gateways, fake upstreams, a
# browser), so two passes on two cores take little longer than one. Each pass writes to
# its own log, printed as it ends; the exit status is non-zero when either failed.
# TEST_WORKERS=N spreads each pass's files over N processes (pytest-xdist; a file's tests stay
# together so its module fixtures start once; the longest files start first). The default, 0,
# runs each pass in one process: on 2 cores the two passes already keep both busy (with 2
# workers a pass took 44 min against 40 in one process).
# Usage: scripts/test-passes.sh PYTHON POSTGRES_URL [pytest args...]
set -uo pipefail

python=$1
postgres=$2
shift 2
workers=${TEST_WORKERS:-0}
spread=()
[ "$workers" -gt 0 ] && spread=(-n "$workers" --dist loadfile)
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

"$python" -m pytest -q "${spread[@]}" --basetemp="$logs/tmp-sqlite" "$@" >"$logs/sqlite.log" 2>&1 &
sqlite=$!
APIINONE_TEST_POSTGRES=$postgres \
  "$python" -m pytest -q "${spread[@]}" --basetemp="$logs/tmp-pg" "$@" >"$logs/pg.log" 2>&1 &
pg=$!

status=0
for pass in sqlite pg; do
  pid=${!pass}
  wait "$pid"
  code=$?
  echo "=== pass: $pass (exit $code) ==="
  cat "$logs/$pass.log"
  [ "$code" -eq 0 ] || status=1
done
exit $status
