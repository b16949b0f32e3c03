#!/usr/bin/env bash
# LiteLLM, the client library, for tests/openai_compat/test_litellm_e2e.py: a venv of its own
# (.venv-litellm, git-ignored), since LiteLLM pins an openai major other than the test extra's.
# Idempotent: a stamp names the installed version. Usage: litellm-venv.sh [PYTHON]
set -euo pipefail
cd "$(dirname "$0")/.."
LITELLM_VERSION="${LITELLM_VERSION:-1.106.2}"
PYTHON="${1:-${PYTHON:-python3}}"
dir=".venv-litellm"
stamp="$dir/.installed-litellm-mcp-$LITELLM_VERSION"
[ -f "$stamp" ] && exit 0
echo "installing litellm[mcp]==$LITELLM_VERSION into $dir"
rm -rf "$dir"
"$PYTHON" -m venv "$dir"
"$dir/bin/pip" install -q --upgrade pip >/dev/null
"$dir/bin/pip" install -q "litellm[mcp]==$LITELLM_VERSION"  # completion with tools imports mcp
touch "$stamp"
