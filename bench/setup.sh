#!/usr/bin/env bash
# What the bench needs besides the gateway's own .venv, installed once (idempotent):
#   wrk (Debian), PostgreSQL + Redis (scripts/test-services.sh), and two venvs of its own
#   under bench/.venvs/ (git-ignored): litellm (the LiteLLM proxy, pinned) and tools
#   (matplotlib for the plot, py-spy for profiles).
# A LiteLLM that cannot be installed is reported and left out; the rest still runs.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"

LITELLM_VERSION="${LITELLM_VERSION:-1.106.2}"
MATPLOTLIB_VERSION="${MATPLOTLIB_VERSION:-3.11.2}"
PY_SPY_VERSION="${PY_SPY_VERSION:-0.4.3}"
PYTHON="${PYTHON:-python3}"

if ! command -v wrk >/dev/null || ! command -v valgrind >/dev/null; then
  echo "installing wrk and valgrind"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk valgrind >/dev/null
fi

bash scripts/test-services.sh

venv() {  # venv NAME PACKAGES...: create bench/.venvs/NAME with these packages
  local name="$1"; shift
  local dir="bench/.venvs/$name" stamp="bench/.venvs/$name/.installed-$(echo "$*" | md5sum | cut -c1-12)"
  [ -f "$stamp" ] && return 0
  echo "installing $* into $dir"
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir" || return 1
  "$dir/bin/pip" install -q --upgrade pip >/dev/null || return 1
  "$dir/bin/pip" install -q "$@" || return 1
  touch "$stamp"
}

venv tools "matplotlib==$MATPLOTLIB_VERSION" "py-spy==$PY_SPY_VERSION" \
  || echo "WARNING: bench/.venvs/tools could not be installed: no plot, no profile"
if [ "${1:-}" != "--soak" ] && [ "${LITELLM:-1}" != "0" ]; then
  venv litellm "litellm[proxy]==$LITELLM_VERSION" \
    || echo "WARNING: LiteLLM $LITELLM_VERSION could not be installed; the bench leaves it out"
fi
