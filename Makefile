# Every target sets up what it needs: the venv, the package, Airflow's metadata DB, the emulator.
#
# A "cell" is one Airflow release on one Python, pinned by constraints/airflow-<AIRFLOW>-py<X.Y>.txt.
# The default cell (Airflow 3.3.2 on python3.11) lives in .venv; any other in .venv-<AIRFLOW>-py<X.Y>:
#   make test                                             the default cell
#   make test AIRFLOW_VERSION=3.0.6 PYTHON=python3.12     (or make test-cell ...) another cell
#   make test-matrix                                      every cell CI tests, one after the other
PYTHON ?= python3.11
AIRFLOW_VERSION ?= 3.3.2
# pyenv's shims (python3.12, ...) run only the versions pyenv has selected (pyenv global/local);
# when the shim refuses, the interpreter is taken from pyenv's own install of that version.
PYTHON_EXE := $(shell if $(PYTHON) -c '' 2>/dev/null; then echo $(PYTHON); else \
	ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$(patsubst python%,%,$(notdir $(PYTHON))).*/bin/$(notdir $(PYTHON)) \
	2>/dev/null | sort -V | tail -n 1; fi)
PY_TAG := py$(shell $(PYTHON_EXE) -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")' 2>/dev/null)
CELL := $(AIRFLOW_VERSION)-$(PY_TAG)
DEFAULT_CELL := 3.3.2-py3.11
VENV ?= $(if $(filter $(DEFAULT_CELL),$(CELL)),.venv,.venv-$(CELL))
CONSTRAINTS ?= constraints/airflow-$(CELL).txt
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(AIRFLOW_VERSION)

# The cells CI tests (AIRFLOW/PYTHON): one per declared Airflow line, on its oldest or newest Python.
MATRIX := 3.3.2/python3.11 2.11.2/python3.10 3.0.6/python3.12 3.1.8/python3.12 3.2.2/python3.13 3.3.2/python3.13

# Per Airflow line (3.0.6 -> 3.0): requirements installed beside Airflow, pinned by the same constraints.
# On Airflow 3.0 and 3.1 the connection form's widgets and field behaviours come from the hook's
# classmethods, which Airflow only loads with Flask-AppBuilder, i.e. the FAB provider, installed.
# (2.x has FAB built in; >= 3.2 builds the form from the provider info.)
AIRFLOW_LINE := $(basename $(AIRFLOW_VERSION))
EXTRA_REQS_3.0 := apache-airflow-providers-fab
EXTRA_REQS_3.1 := apache-airflow-providers-fab
EXTRA_REQS ?= $(EXTRA_REQS_$(AIRFLOW_LINE))

# Used only by `make constraints`, when resolving a cell: one aiohttp in every cell, and upper
# bounds on releases newer than an Airflow line that break every DAG run on it.
RESOLVE_PINS_3.0 := fastapi<0.117 cadwyn<6 svcs<26
RESOLVE_PINS_3.2 := fastapi<0.137 svcs<26
RESOLVE_PINS ?= aiohttp==3.14.5 $(RESOLVE_PINS_$(AIRFLOW_LINE))
RESOLVE_VENV := .venv-resolve-$(CELL)

.PHONY: venv demo test test-cell lint bench ui test-matrix test-airflow2 constraints python-found which-python clean

venv: $(STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS) | python-found
	@test -x $(BIN)/python || $(PYTHON_EXE) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; sys.exit(f"py{sys.version_info[0]}.{sys.version_info[1]}" != "$(PY_TAG)")' \
		|| { echo "$(VENV) is not a $(PY_TAG) venv: remove it, or set VENV=..." >&2; exit 1; }
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -c $(CONSTRAINTS) "apache-airflow==$(AIRFLOW_VERSION)" $(EXTRA_REQS) -e ".[test,lint]"
	@rm -f $(VENV)/.installed-*
	@touch $@

constraints/%.txt:
	@echo "No $@: no cell pins Airflow $(AIRFLOW_VERSION) on $(PY_TAG). Cells: $(MATRIX)" >&2
	@echo "(make constraints AIRFLOW_VERSION=... PYTHON=... resolves a new one)" >&2
	@exit 1

demo: venv
	@VENV=$(VENV) bash scripts/demo.sh

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# One cell: make test-cell AIRFLOW_VERSION=3.0.6 PYTHON=python3.12 (the same as make test with them).
test-cell: test

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The official SDK (extra "bench") is compared side by side; it installs within the constraints
# (it only adds python-intercom). If it cannot be installed, the bench prints "not installed".
bench: venv
	@$(BIN)/python -c 'from intercom import Intercom' 2>/dev/null || $(BIN)/python -m pip install -q -c $(CONSTRAINTS) -e ".[bench]" \
		|| echo "python-intercom could not be installed: the bench skips the SDK rows."
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

ui: venv
	@VENV=$(VENV) bash scripts/ui.sh

# The oldest supported Airflow.
test-airflow2:
	$(MAKE) test AIRFLOW_VERSION=2.11.2 PYTHON=python3.10

# Every cell, one after the other (they share 2 cores); the failed ones are listed at the end.
test-matrix:
	@failed=""; for cell in $(MATRIX); do \
		echo "=== Airflow $${cell%/*} on $${cell#*/} ==="; \
		$(MAKE) test AIRFLOW_VERSION=$${cell%/*} PYTHON=$${cell#*/} || failed="$$failed $$cell"; \
	done; \
	if [ -n "$$failed" ]; then echo "test-matrix: failed in$$failed" >&2; exit 1; fi

# (Re)write this cell's constraints file from a resolved install in a scratch venv: pip freeze of
# Airflow, EXTRA_REQS and the project with [test,lint] (the project itself left out). An existing
# file is kept as constraints, so only what changed is resolved anew; delete it for a fresh resolve.
constraints: python-found
	rm -rf $(RESOLVE_VENV)
	$(PYTHON_EXE) -m venv $(RESOLVE_VENV)
	$(RESOLVE_VENV)/bin/python -m pip install -q --upgrade "pip>=24"
	$(RESOLVE_VENV)/bin/python -m pip install -q $(if $(wildcard $(CONSTRAINTS)),-c $(CONSTRAINTS)) \
		"apache-airflow==$(AIRFLOW_VERSION)" $(EXTRA_REQS) $(patsubst %,"%",$(RESOLVE_PINS)) -e ".[test,lint]"
	$(RESOLVE_VENV)/bin/python -m pip check
	$(RESOLVE_VENV)/bin/python -m pip freeze --exclude-editable > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	rm -rf $(RESOLVE_VENV)

python-found:
	@test -n "$(filter-out py,$(PY_TAG))" || { echo "$(PYTHON) not found (nor in pyenv's versions): set PYTHON=..." >&2; exit 1; }

# The interpreter a cell's venv is made with: make -s which-python PYTHON=python3.12
which-python: python-found
	@echo "$(PYTHON_EXE) (Python $(patsubst py%,%,$(PY_TAG)))"

# Any variable as this invocation sees it, e.g. make -s print-VENV AIRFLOW_VERSION=3.0.6 PYTHON=python3.12
print-%:
	@echo '$($*)'

clean:
	rm -rf .demo .pytest_cache .mypy_cache .ruff_cache
