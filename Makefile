# Two entry points, both safe to run on a fresh machine:
#   make build   set up .venv and build every brief into out/
#   make test    set up .venv, the system tools and the npm checkers, and run the whole suite
#                (browser tests included: pytest -m "not browser" skips them while iterating)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: build test setup system-tools node-tools serve clean

build: setup
	$(BIN)/make-brief build

test: setup system-tools node-tools
	$(BIN)/python -m pytest

serve: setup
	$(BIN)/make-brief serve

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# poppler-utils and qpdf check the PDFs; chromium and java run the browser tests.
system-tools:
	@bash scripts/system-tools.sh

# axe-core and the Nu HTML Checker, pinned by package-lock.json. --ignore-scripts: vnu-jar's
# install script would fetch a Java runtime when none is found; system-tools.sh provides one.
node-tools: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

clean:
	rm -rf $(VENV) out .cache node_modules
