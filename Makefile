# GraphCDP: `make run` starts everything with demo data; `make test` passes the whole suite.
# Both set everything up first: the virtualenv, the local stack (Neo4j, Kafka, OpenSearch,
# Redis; no Docker) and the graph schema. The stack stays up until `make stack-down`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: venv stack-up stack-down stack-status schema run test check lint typecheck clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

stack-up: venv
	$(BIN)/graphcdp stack up

stack-down: venv
	$(BIN)/graphcdp stack down

stack-status: venv
	$(BIN)/graphcdp stack status

schema: stack-up
	$(BIN)/graphcdp schema apply

run: schema
	$(BIN)/graphcdp dev

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

check: lint typecheck

test: check schema
	$(BIN)/pytest

clean: stack-down
	rm -rf .stack $(VENV)
