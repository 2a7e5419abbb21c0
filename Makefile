# All set-up happens here: the first `make run` or `make test` creates .venv and installs into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint ui bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/mspplan solve scenarios/demo.yaml --out out --time-limit 10

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy models solver ui scenarios

test: lint
	$(BIN)/pytest -q -n 2

ui: $(STAMP)
	$(BIN)/streamlit run ui/streamlit_app.py --server.address 127.0.0.1 --server.port 8501

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --repeats 3
	$(BIN)/python benchmarks/simulate.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
