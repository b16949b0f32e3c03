#!/usr/bin/env bash
# openai for Node, for the API docs' JavaScript example (tests/docs/test_spec_examples_e2e.py):
# installed into .node-openai (git-ignored) when node is present. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
OPENAI_NODE_VERSION="${OPENAI_NODE_VERSION:-7.60.0}"
command -v node >/dev/null && command -v npm >/dev/null || { echo "no node: JavaScript examples skipped"; exit 0; }
dir=".node-openai"
stamp="$dir/.installed-openai-$OPENAI_NODE_VERSION"
[ -f "$stamp" ] && exit 0
echo "installing openai@$OPENAI_NODE_VERSION (npm) into $dir"
rm -rf "$dir"
mkdir -p "$dir"
echo '{"private": true}' > "$dir/package.json"
npm install --prefix "$dir" --silent --no-audit --no-fund "openai@$OPENAI_NODE_VERSION"
touch "$stamp"
