# The single entry point: `make mock`, `make test`, `make lint`, `make contract`, `make bench`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 4010

.PHONY: install mock test lint format clean contract contract-long bench redis-server

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its test tools

mock: install ## serve every spec in specs/ on http://127.0.0.1:$(PORT)
	$(PY) -m mockserver serve --port $(PORT)

test: install redis-server ## run the whole test suite
	$(PY) -m pytest

# The Redis state tests start their own redis-server; install Debian's where it is missing
# (as root, as CI runs). Where that cannot be done, those tests skip and say why.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    { apt-get install -y -qq --no-install-recommends redis-server >/dev/null 2>&1 || \
	      { apt-get update -qq >/dev/null 2>&1 && \
	        apt-get install -y -qq --no-install-recommends redis-server >/dev/null 2>&1; }; } || \
	    echo "make: could not install redis-server; the Redis tests will be skipped"; \
	  else echo "make: redis-server is missing (not root: not installed); the Redis tests will be skipped"; fi; }

lint: install ## ruff + mypy (strict)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

contract: install ## contract suite: all mocks, or API=omi BASE_URL=... TOKEN=... for a deployment
	$(PY) -m pytest contracts $(if $(API),--api $(API)) $(if $(BASE_URL),--base-url $(BASE_URL)) $(if $(TOKEN),--token $(TOKEN)) $(CONTRACT_ARGS)

contract-long: install ## the contract suite with many more examples
	$(PY) -m pytest contracts --max-examples 500 $(if $(API),--api $(API)) $(if $(BASE_URL),--base-url $(BASE_URL)) $(if $(TOKEN),--token $(TOKEN)) $(CONTRACT_ARGS)

bench: install ## throughput/latency/start-up benchmarks; results in bench/results/
	$(PY) -m bench $(BENCH_ARGS)

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
