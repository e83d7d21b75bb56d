# Every target sets up what it needs: the venv, the package, Airflow's metadata DB, the emulator.
PYTHON ?= python3.11
AIRFLOW_VERSION ?= 3.3.2
VENV ?= .venv
PY_TAG := py$(shell $(PYTHON) -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")' 2>/dev/null)
CONSTRAINTS ?= constraints/airflow-$(AIRFLOW_VERSION)-$(PY_TAG).txt
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(AIRFLOW_VERSION)

.PHONY: venv demo test lint bench ui test-matrix test-airflow2 clean

venv: $(STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -c $(CONSTRAINTS) "apache-airflow==$(AIRFLOW_VERSION)" -e ".[test,lint]"
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: venv
	@VENV=$(VENV) bash scripts/demo.sh

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

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

# The oldest supported Airflow, in a virtualenv of its own.
test-airflow2:
	$(MAKE) test AIRFLOW_VERSION=2.11.2 VENV=.venv-airflow2

test-matrix: test test-airflow2

clean:
	rm -rf .demo .pytest_cache .mypy_cache .ruff_cache
