# Two commands set up everything on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export PATH := $(CURDIR)/$(BIN):$(PATH)
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
# Installed packages are compiled once: with PYTHONDONTWRITEBYTECODE set (as on CI machines),
# every `retention`, `dbt` and Dagster process would otherwise recompile ~12,000 files (~4 s).
export UV_COMPILE_BYTECODE := 1
# The suite's temp files (DuckDB files, Dagster homes with thousands of small SQLite commits,
# ~1 GB per run) go to tmpfs when the machine has one with 4 GB free (a container's default
# 64 MB /dev/shm is too small), else to .pytest_tmp.
SHM_TMPDIR := $(shell df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 && $$4 > 4000000 {print "/dev/shm/retention-tests"}')
TEST_TMPDIR ?= $(or $(SHM_TMPDIR),$(CURDIR)/.pytest_tmp)

.PHONY: install demo test test-fast dev docs lint format clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --all-extras --python $(PYTHON)
	touch $@

install: $(VENV)/.installed ## create .venv and install pinned dependencies from uv.lock

# Customers in the demo's sample store: `make demo CUSTOMERS=2000` for a quicker first run.
CUSTOMERS ?= 10000

demo: install ## sample store -> ingest -> build -> sync to local emulators -> report
	$(BIN)/retention demo --customers $(CUSTOMERS)

test: install ## run the whole test suite
	$(BIN)/python -m compileall -q -j 0 retention orchestration ml activation tests
	mkdir -p $(TEST_TMPDIR)
	TMPDIR=$(TEST_TMPDIR) $(BIN)/pytest -n 2 --dist loadgroup --no-loadscope-reorder --durations=25

# The edit loop: in-process unit tests with no dbt build, Dagster run or CLI subprocess
# (tests/ml/test_ml_features.py runs dbt on a simulated store since the features moved to dbt).
FAST_TESTS := tests/activation/test_config.py tests/activation/test_http.py \
	tests/activation/test_connection.py tests/activation/test_connection_limits.py \
	tests/activation/test_klaviyo_contract.py tests/ingest/test_adapters.py \
	tests/ingest/test_canonical.py tests/ingest/test_shopify.py tests/ml/test_ml_bgnbd.py \
	tests/sample_store tests/orchestration/test_warehouse_lock.py \
	tests/ux/test_audience_docs.py tests/ux/test_units.py tests/ux/test_dbt_failures.py

test-fast: install ## a fast subset (< 30 s) for the edit loop; `make test` before a merge
	$(BIN)/pytest -n 2 -m "not slow" -p no:cacheprovider --no-dbt-parse $(FAST_TESTS)

dev: install ## Dagster UI on http://127.0.0.1:3000 (the demo's instance), syncs pointed at local emulators
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/retention dev --port 3000

docs: install ## regenerate docs/audiences.md from the audience ymls
	$(BIN)/retention docs

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .tools .pytest_tmp warehouse artifacts reports demo_data dbt_project/target .dagster_home
