#!/usr/bin/env bash
# The suite's two passes at once: on SQLite (the embedded default) and on PostgreSQL.
# Each pass is one process; the two at once keep two cores busy (spreading each pass's
# files over 2 processes was measured slower here: 44 min a pass against 40). Each pass
# writes to its own log, printed as it ends; the exit status is non-zero when either failed.
# Usage: scripts/test-passes.sh PYTHON POSTGRES_URL [pytest args...]
set -uo pipefail

python=$1
postgres=$2
shift 2
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

"$python" -m pytest -q --basetemp="$logs/tmp-sqlite" "$@" >"$logs/sqlite.log" 2>&1 &
sqlite=$!
APIINONE_TEST_POSTGRES=$postgres \
  "$python" -m pytest -q --basetemp="$logs/tmp-pg" "$@" >"$logs/pg.log" 2>&1 &
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
