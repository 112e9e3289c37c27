# Readout: `make demo` plans the bundled example; `make test` runs the whole suite.
# Both bootstrap from a fresh clone: uv is installed with pip when missing, then `uv sync --frozen`.

PYTHON ?= python3
UV := $(PYTHON) -m uv
VENV := .venv
STAMP := $(VENV)/.synced

.PHONY: demo demo-caldav serve test bench lint typecheck check clean

$(STAMP): pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen --compile-bytecode
	@touch $(STAMP)

demo: $(STAMP)
	bash examples/demo.sh

demo-caldav: $(STAMP)
	$(VENV)/bin/python examples/demo_caldav.py

# The HTTP API on a demo store seeded from the examples (http://127.0.0.1:8000/docs; docs/api.md).
serve: $(STAMP)
	$(VENV)/bin/python examples/serve_demo.py

test: $(STAMP)
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q

bench: $(STAMP)
	$(VENV)/bin/python -m benchmarks.run

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests

typecheck: $(STAMP)
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .demo .mypy_cache .pytest_cache .ruff_cache .hypothesis
