# `make plan` and `make test` set everything up on a fresh machine (Python 3.11+ with venv; `make test` also npm).
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
STACK ?= dev
# make plan STACK=org ORGANIZATION=stacks/organization.org.json: the offline plan of an organization stack.
ORGANIZATION ?=
PY311 := import sys; sys.exit(sys.version_info < (3, 11))

.PHONY: setup setup-dev venv-check plan test lint format bench schema engine

# What the program and the policy pack need, nothing more: `make plan` and deploys install only this.
setup: $(STAMP)
# The test tools on top: pytest, linters, the AWS emulator (requirements-dev.txt) and the npm tools in tests/node/.
setup-dev: $(DEV_STAMP)

# Runs every time: a venv/ made by an older Python (or a missing interpreter) is one line, never a traceback.
venv-check:
	@if test -e $(BIN)/python; then \
	  $(BIN)/python -c '$(PY311)' 2>/dev/null || { echo "error: venv/ was made by $$($(BIN)/python -V 2>&1 | head -n 1); \
	Python 3.11 or newer is needed: remove it (rm -rf venv) and run make again" >&2; exit 1; }; \
	else \
	  $(PYTHON) -c '$(PY311)' 2>/dev/null || { echo "error: Python 3.11 or newer is needed; $(PYTHON) is \
	$$($(PYTHON) -V 2>/dev/null || echo missing) (try: make setup PYTHON=python3.11)" >&2; exit 1; }; \
	fi

$(STAMP): requirements.txt policy_pack/requirements.txt | venv-check
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	# The project on the venv's path, as PYTHONPATH=<checkout> does: tests and tools import it from anywhere.
	# component_provider/venv is this venv (the plugin puts its own checkout first on the path).
	$(BIN)/python -c 'import pathlib, sysconfig; \
	pathlib.Path(sysconfig.get_paths()["purelib"], "axonius-aws-access.pth").write_text(str(pathlib.Path.cwd()) + "\n")'
	ln -sfn ../$(VENV) component_provider/venv
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.txt tests/node/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "error: make test needs npm (Node.js 20+) for the test-only tools in \
	tests/node/ (on Debian: apt-get install nodejs npm); make plan does not" >&2; exit 1; }
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	npm ci --prefix tests/node --no-audit --no-fund --loglevel=error  # test-only tools (Node.js 20+)
	touch $(DEV_STAMP)

plan: setup
	$(BIN)/python -m automation plan --stack $(STACK)$(if $(ORGANIZATION), --organization $(ORGANIZATION))

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --python-executable $(BIN)/python

test: lint
	$(BIN)/python -m pytest -q

# stacks/schema.json (stack files) and component_provider/schema.json (the component package, as its GetSchema
# answers), both from the config contract; tests compare them with what the code generates.
schema: setup
	$(BIN)/python -m automation.stack_schema
	$(BIN)/python -c 'import json; from components.component_host import provider; \
	print(json.dumps(json.loads(provider().schema), indent=2))' > component_provider/schema.json

format: setup-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

PEERS := benchmarks/peers

$(PEERS)/.installed: benchmarks/requirements-peers.txt
	test -x $(PEERS)/bin/python || $(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install --quiet -r benchmarks/requirements-peers.txt
	touch $(PEERS)/.installed

bench: setup-dev $(PEERS)/.installed
	$(BIN)/python benchmarks/run_all.py

# The Pulumi CLI built from source, its language hosts and the stand-in cloud's plugins, under .engine/ (see
# README, "Running with the real engine"); seconds when already built.
engine: setup
	engine/build.sh
