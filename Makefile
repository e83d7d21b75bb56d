# The user's entry point. The cell matrix (Airflow/Python pairs, each pinned by
# constraints/airflow-<AIRFLOW>-py<X.Y>.txt) and how each cell is built and tested live in
# noxfile.py; these targets run its sessions (`make sessions` lists them). nox and uv come from
# PyPI into .venv-nox, pinned below; every target sets up what else it needs.
#   make test                                           the default cell (the first in noxfile.py)
#   make test AIRFLOW_VERSION=3.0.6 PYTHON=python3.12   another cell (or make test-cell ...)
#   make test-matrix                                    every cell, one after the other
#   make test PYTEST_ARGS='-k resume'                   arguments for pytest
TOOLS := .venv-nox
TOOL_PINS := nox==2026.10.20 uv==0.13.9
# nox finds uv beside it; the sessions call uv too.
NOX = PATH="$(CURDIR)/$(TOOLS)/bin:$$PATH" $(TOOLS)/bin/nox $(NOX_ARGS)
# A cell is chosen with both variables, or neither (the default cell).
CELL = $(if $(AIRFLOW_VERSION)$(PYTHON),$(AIRFLOW_VERSION)-py$(patsubst python%,%,$(notdir $(PYTHON))))
VENV = $(if $(CELL),.venv-$(CELL),.venv)

.PHONY: tools venv demo test test-cell test-matrix lint bench ui constraints sessions clean

tools: $(TOOLS)/.installed
$(TOOLS)/.installed: Makefile
	@test -x $(TOOLS)/bin/python || python3 -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install -q --disable-pip-version-check $(TOOL_PINS)
	@touch $@

# The virtualenv make demo, ui and bench use: .venv (default cell) or .venv-<cell>.
venv: tools
	$(NOX) -s dev -- $(CELL)

demo: venv
	@VENV=$(VENV) bash scripts/demo.sh

test: tools
	$(NOX) $(if $(CELL),-s test-$(CELL),-t default) -- $(PYTEST_ARGS)

test-cell: test

# Every cell, one after the other (the suite has timing-sensitive tests; the machine has 2 cores).
# MATRIX_TAG=others: all but the default cell.
MATRIX_TAG ?= cells
test-matrix: tools
	$(NOX) -t $(MATRIX_TAG) -- $(PYTEST_ARGS)

lint: tools
	$(NOX) -s lint

bench: venv
	$(VENV)/bin/python benchmarks/run.py $(BENCH_ARGS)

ui: venv
	@VENV=$(VENV) bash scripts/ui.sh

# (Re)write a cell's constraints file from a resolved install: make constraints AIRFLOW_VERSION=... PYTHON=...
constraints: tools
	$(NOX) -s constraints-$(or $(CELL),$(error name the cell: AIRFLOW_VERSION=... PYTHON=...))

sessions: tools
	@$(NOX) -l

clean:
	rm -rf .demo .pytest_cache .mypy_cache .ruff_cache .nox
