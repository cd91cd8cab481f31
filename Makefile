# Everything the tests need is installed by these targets; a fresh clone runs
# `make test` and nothing else.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PEERS_STAMP := tests/peers/.installed

.PHONY: test lint typecheck pytest install peers demo bench bench-codec clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

peers: $(PEERS_STAMP)

$(PEERS_STAMP): tests/peers/install.sh tests/peers/package.json
	bash tests/peers/install.sh
	touch $(PEERS_STAMP)

lint: $(STAMP)
	$(BIN)/ruff check sioproxy tests bench
	$(BIN)/ruff format --check sioproxy tests bench

typecheck: $(STAMP)
	$(BIN)/mypy --strict sioproxy

pytest: $(STAMP) peers
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

demo: $(STAMP)
	$(BIN)/python -m sioproxy.demo.run

bench-codec: $(STAMP)
	$(BIN)/python bench/codec.py

clean:
	rm -rf $(VENV) tests/peers/node_modules $(PEERS_STAMP)
