# Two commands for a fresh machine (see README):
#   make run   install into .venv, update the index from corpus/, serve the web chat on 127.0.0.1 (PORT=… HOST=… to change)
#   make test  install into .venv with test extras and Chromium, then run the tests
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check --quiet

.PHONY: run test install install-test chromium lint eval bench reliability clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install torch==2.13.0
	$(PIP) install -e '.[st,test,milvus]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

chromium:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum >/dev/null)
	@fc-list 2>/dev/null | grep -qi nanum || (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-nanum >/dev/null || true)

# make run PORT=8080 HOST=0.0.0.0 serves elsewhere than 127.0.0.1:7860 (the configuration's defaults)
run: install
	$(VENV)/bin/assistant run $(if $(PORT),--port $(PORT)) $(if $(HOST),--host $(HOST))

test: install-test chromium
	$(VENV)/bin/ruff check assistant tests
	$(PY) -m pytest -q

lint: install-test
	$(VENV)/bin/ruff check assistant tests

eval: install
	$(VENV)/bin/assistant eval eval/questions/*.jsonl eval/questions/seoul/*.jsonl --fold dev --report eval/reports/latest --floor eval/floor.json

bench: install
	$(VENV)/bin/assistant bench --json eval/bench/results.json --markdown eval/bench/RESULTS.md

reliability: install-test chromium
	$(VENV)/bin/assistant check --full

clean:
	rm -rf $(VENV) index/main index/eval index/cache
