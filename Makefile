# Everything the project needs is installed by these targets into .venv.
# pip is upgraded first: the pip of a fresh Python 3.11 (23.2) mis-resolves
# scrapy's lxml extras.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m crawler demo

test: $(STAMP)
	$(BIN)/python -m pytest
