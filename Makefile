# Two commands: `make run` starts the bot on the embedded default, `make test` runs every test
# (`make test-fast`: the unit tests and the layer check alone, in seconds).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test test-fast chat bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py seed --demo
	$(PY) main.py serve

chat: $(STAMP)
	$(PY) main.py chat --as demo-resident

test: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest -q tests/unit tests/test_layers.py $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) bench/webhook.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
