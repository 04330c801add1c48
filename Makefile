# Two entry points, both safe to run on a fresh machine:
#   make build   set up .venv and build every brief into out/
#   make test    set up .venv (and the PDF tools the tests use) and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: build test setup system-tools clean

build: setup
	$(BIN)/make-brief build

test: setup system-tools
	$(BIN)/python -m pytest

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# poppler-utils (pdftotext, pdffonts, pdfinfo) and qpdf check the PDFs in the tests.
system-tools:
	@bash scripts/system-tools.sh

clean:
	rm -rf $(VENV) out .cache
