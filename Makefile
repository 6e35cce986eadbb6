# `make plan` and `make test` set everything up on a fresh machine (Python 3.11+ with venv).
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STACK ?= dev

.PHONY: setup plan test lint format bench schema
.PHONY: engine

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt policy_pack/requirements.txt tests/node/package-lock.json
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "error: Python 3.11 or newer is needed; $(PYTHON) is $$($(PYTHON) -V 2>/dev/null || echo missing) (try: make setup PYTHON=python3.11)" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	# The project on the venv's path, as an editable install does (the component plugin imports it from
	# component/, whose venv is this one).
	$(BIN)/python -c 'import pathlib, sysconfig; \
	pathlib.Path(sysconfig.get_paths()["purelib"], "axonius-aws-access.pth").write_text(str(pathlib.Path.cwd()) + "\n")'
	ln -sfn ../$(VENV) component/venv
	npm ci --prefix tests/node --no-audit --no-fund --loglevel=error  # test-only tools (Node.js 20+)
	touch $(STAMP)

plan: setup
	$(BIN)/python -m automation plan --stack $(STACK)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --python-executable $(BIN)/python

test: lint
	$(BIN)/python -m pytest -q

# stacks/schema.json (stack files) and component/schema.json (the component package, as its GetSchema answers),
# both from the config contract; tests compare them with what the code generates.
schema: setup
	$(BIN)/python -m automation.stack_schema
	$(BIN)/python -c 'import json; from pulumi.provider.experimental.component import ComponentProvider; \
	from components.axonius_access import AxoniusAccess; \
	print(json.dumps(json.loads(ComponentProvider([AxoniusAccess], "axonius-aws-access").schema), indent=2))' \
	> component/schema.json

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

PEERS := benchmarks/peers

$(PEERS)/.installed: benchmarks/requirements-peers.txt
	test -x $(PEERS)/bin/python || $(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install --quiet -r benchmarks/requirements-peers.txt
	touch $(PEERS)/.installed

bench: setup $(PEERS)/.installed
	$(BIN)/python benchmarks/run_all.py

# The Pulumi CLI built from source, its language hosts and the stand-in cloud's plugins, under .engine/ (see
# README, "Running with the real engine"); seconds when already built.
engine: setup
	engine/build.sh
