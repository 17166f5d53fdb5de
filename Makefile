# Every set-up step lives here: a fresh machine with Python 3.11 and make needs nothing else.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test lint bench bytecode chromium sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Byte-compile the app once (as installing a package does): where PYTHONDONTWRITEBYTECODE is set,
# Python would otherwise compile every module again at each start.
bytecode: $(VENV)/.runtime
	@$(BIN)/python -m compileall -q app.py cx pages

## Serve the app at http://localhost:$(PORT) with the bundled sample survey loaded.
run: $(VENV)/.runtime bytecode
	$(BIN)/streamlit run app.py --server.port $(PORT)

## Debian's chromium for the browser tests (never `playwright install`: it downloads, and cannot here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core fonts-noto-color-emoji; }

## The whole suite: unit, AppTest and real-browser tests.
test: $(VENV)/.dev chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .

## Benchmarks on a generated 1,000,000-response survey; writes BENCHMARKS.md.
bench: $(VENV)/.dev bytecode
	$(BIN)/python bench/run_all.py

## Regenerate the bundled sample survey (seeded: the output is identical every time).
sample: $(VENV)/.runtime
	$(BIN)/python data/make_sample.py
	$(BIN)/python data/make_demo_base.py

clean:
	rm -rf $(VENV) .pytest_cache
