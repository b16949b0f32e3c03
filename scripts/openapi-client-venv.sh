#!/usr/bin/env bash
# openapi-python-client, the generator, for tests/openapi/test_generated_client_e2e.py: a venv of
# its own (.venv-openapi-client, git-ignored), since it pins typer below the server's typer.
# Idempotent: a stamp names the installed version. Usage: openapi-client-venv.sh [PYTHON]
set -euo pipefail
cd "$(dirname "$0")/.."
GENERATOR_VERSION="${OPENAPI_PYTHON_CLIENT_VERSION:-0.29.1}"
PYTHON="${1:-${PYTHON:-python3}}"
dir=".venv-openapi-client"
stamp="$dir/.installed-openapi-python-client-$GENERATOR_VERSION"
[ -f "$stamp" ] && exit 0
echo "installing openapi-python-client==$GENERATOR_VERSION into $dir"
rm -rf "$dir"
"$PYTHON" -m venv "$dir"
"$dir/bin/pip" install -q --upgrade pip >/dev/null
"$dir/bin/pip" install -q "openapi-python-client==$GENERATOR_VERSION"
touch "$stamp"
