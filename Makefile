# Two commands do everything on a fresh machine with python3: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test lint bench clean venv

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/dupcheck demo --out demo-out

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

# Normalisation (10M rows), S-tier screening vs Splink, FEBRL4, in a few minutes; larger tiers: benchmarks/bench_screening.py --tier M (docs/benchmarks.md)
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/bench_normalize.py
	$(BIN)/python benchmarks/bench_screening.py --tier S
	$(BIN)/python benchmarks/bench_febrl.py

clean:
	rm -rf $(VENV) demo-out .mypy_cache .ruff_cache
