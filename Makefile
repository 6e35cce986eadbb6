# `make plan` and `make test` set everything up on a fresh machine (Python 3.11+ with venv).
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STACK ?= dev

.PHONY: setup plan test lint format bench schema

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt policy_pack/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

plan: setup
	$(BIN)/python -m automation plan --stack $(STACK)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest -q

schema: setup
	$(BIN)/python -m automation.stack_schema

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
