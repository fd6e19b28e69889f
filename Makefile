# The single entry point: `make mock`, `make test`, `make lint`, `make contract`, `make bench`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 4010

.PHONY: install mock test test-corpus-long lint format clean contract contract-long bench debian-tools

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,granian]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its test tools and granian

mock: install ## serve every spec in specs/ on http://127.0.0.1:$(PORT)
	$(PY) -m mockserver serve --port $(PORT)

# One file's tests stay in one worker (module fixtures: the corpus runs, a built wheel).
test: install debian-tools ## run the whole test suite, one worker per core
	$(PY) -m pytest -n auto --dist loadfile

test-corpus-long: install ## the corpus Schemathesis runs with many more fuzzing examples (tens of minutes)
	CORPUS_LONG=1 $(PY) -m pytest tests/mockserver/test_corpus_schemathesis.py

# The Redis state tests start their own redis-server and the bench tests drive wrk; install
# Debian's packages where they are missing (as root, as CI runs). Where that cannot be done,
# those tests skip and say why.
DEBIAN_TOOLS := redis-server wrk
debian-tools:
	@missing=""; for tool in $(DEBIAN_TOOLS); do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	[ -z "$$missing" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    { apt-get install -y -qq --no-install-recommends $$missing >/dev/null 2>&1 || \
	      { apt-get update -qq >/dev/null 2>&1 && \
	        apt-get install -y -qq --no-install-recommends $$missing >/dev/null 2>&1; }; } || \
	    echo "make: could not install$$missing; the tests that need them will be skipped"; \
	  else echo "make:$$missing missing (not root: not installed); the tests that need them will be skipped"; fi; }

lint: install ## ruff + mypy (strict)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The token reaches the suite through the environment, never the echoed command line.
contract contract-long: export CONTRACT_TOKEN := $(or $(TOKEN),$(CONTRACT_TOKEN))

contract: install ## contract suite: all mocks, or API=omi BASE_URL=... CONTRACT_TOKEN=... for a deployment
	$(PY) -m pytest contracts $(if $(API),--api $(API)) $(if $(BASE_URL),--base-url $(BASE_URL)) $(CONTRACT_ARGS)

contract-long: install ## the contract suite with many more examples
	$(PY) -m pytest contracts --max-examples 500 $(if $(API),--api $(API)) $(if $(BASE_URL),--base-url $(BASE_URL)) $(CONTRACT_ARGS)

PRISM_VERSION := 5.16.0

bench: install debian-tools ## benchmarks (installs wrk and Prism); results in bench/results/, tables into README.md and bench/README.md
	@command -v wrk >/dev/null || { echo "make bench: wrk is missing and cannot be installed here (apt-get install wrk, as root)"; exit 1; }
	@test -x bench/.node/node_modules/.bin/prism || ! command -v npm >/dev/null || \
		npm install --prefix bench/.node --no-audit --no-fund --loglevel=error @stoplight/prism-cli@$(PRISM_VERSION) || \
		echo "make bench: Prism could not be installed; its rows are left out"
	$(PY) -m bench $(BENCH_ARGS)
	$(if $(BENCH_ARGS),@echo "make bench: a partial run (BENCH_ARGS); the README tables are left as they are",$(PY) -m bench.report)

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
