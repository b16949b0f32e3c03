# Two commands do all set-up on a fresh Debian machine with Python 3.11:
#   make run    install into .venv and start the gateway (SQLite, sandbox provider)
#   make test   install what the tests need (system services included) and run them

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SUDO   := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: run test install system-deps client-libs client-wheels lint format typecheck check clean bench bench-soak fuzz screenshots

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "installing python3-venv"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv >/dev/null; \
	  rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	@$(BIN)/python -m pip install -q --upgrade pip

# Two distributions from one tree, both editable: the client (clients/python, `apiinone`, which
# owns the `apiinone` command) and the server (here, `apiinone-server`, which depends on it).
$(STAMP): pyproject.toml setup.py clients/python/pyproject.toml clients/python/setup.py | $(BIN)/python
	$(BIN)/pip install -q -e ./clients/python -e ".[test]"
	@touch $@

install: $(STAMP)

run: install
	$(BIN)/apiinone serve

# Services and tools the suite uses for real: PostgreSQL, Redis, curl.
system-deps:
	@bash scripts/test-services.sh

TEST_POSTGRES ?= postgresql://apiinone:apiinone@127.0.0.1:5432/apiinone

# Client libraries the tests drive, kept apart from .venv: LiteLLM in a venv of its own (its
# openai pin is not ours), openapi-python-client in one of its own (its typer pin is not ours),
# openai for Node (the API docs' JavaScript example; when node is present).
client-libs: client-wheels
	@bash scripts/litellm-venv.sh $(PYTHON)
	@bash scripts/openapi-client-venv.sh $(PYTHON)
	@bash scripts/node-openai.sh

# Wheels of what the client distribution needs (httpx, rich; typer for its `cli` extra; setuptools
# to build it), at .venv's versions, in clients/python/wheelhouse (git-ignored):
# tests/client/test_install.py installs the client alone from them into a fresh venv, offline.
CLIENT_WHEELS := clients/python/wheelhouse

client-wheels: $(CLIENT_WHEELS)/.stamp

$(CLIENT_WHEELS)/.stamp: clients/python/pyproject.toml $(STAMP)
	rm -rf $(CLIENT_WHEELS)
	$(BIN)/pip freeze --exclude-editable > $(VENV)/client-constraints.txt
	$(BIN)/pip wheel -q -w $(CLIENT_WHEELS) -c $(VENV)/client-constraints.txt \
	  "./clients/python[cli]" setuptools wheel
	rm -f $(CLIENT_WHEELS)/apiinone-*.whl
	@touch $@

# The whole suite runs twice, both passes at once: on SQLite (the embedded default) and on
# PostgreSQL, which leaves out the client-side files (tests/conftest.py, ONE_DATABASE).
# The SQLite pass alone takes 27 min on a quiet 2-core machine.
test: install system-deps client-libs
	@bash scripts/test-passes.sh $(BIN)/python $(TEST_POSTGRES)

# Benchmarks (not part of `make test`): see docs/benchmarks.md. QUICK=1 for a smoke run;
# ROUNDS, DURATION, CONNECTIONS, SYSTEMS, SCENARIOS tune it; SOAK_SECONDS (600) the soak.
bench: install
	@bash bench/setup.sh
	$(BIN)/python bench/run.py

bench-soak: install
	@bash bench/setup.sh --soak
	$(BIN)/python bench/soak.py

# A long schemathesis run (`make test` runs a bounded one): see docs/fuzzing.md.
# FUZZ_EXAMPLES is the number of generated requests per operation.
FUZZ_EXAMPLES ?= 500

fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q tests/security/test_fuzz.py

# Refresh docs/screenshots/ from the dashboard journeys (a normal test run leaves them be).
screenshots: install system-deps
	APIINONE_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/dashboard/test_journeys.py \
	  tests/dashboard/test_phone_browser.py tests/dashboard/test_playground_chat.py \
	  tests/dashboard/test_price_form_browser.py tests/dashboard/test_channels_console.py

lint:
	$(BIN)/ruff check src tests clients setup.py
	$(BIN)/ruff format --check src tests clients setup.py

format:
	$(BIN)/ruff format src tests clients setup.py
	$(BIN)/ruff check --fix src tests clients setup.py

typecheck:
	$(BIN)/mypy

check: lint typecheck

clean:
	rm -rf $(VENV) .venv-litellm .node-openai $(CLIENT_WHEELS) data .pytest_cache .mypy_cache .ruff_cache
