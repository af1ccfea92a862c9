# The README's commands: `make run` serves the demo, `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
APP := $(VENV)/bin/events-app
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test test-sqlite test-postgres bench lint smoke clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(APP) migrate
	$(APP) seed-demo
	$(APP) serve --with-worker --host 127.0.0.1 --port 8000

# The whole suite twice: once on SQLite, once on a throwaway PostgreSQL database.
test: install
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite: install
	TEST_DB=sqlite $(PY) -m pytest

test-postgres: install
	TEST_DB=postgres $(PY) -m pytest -m "not browser" --ignore=tests/matching  # pure library: no database

bench: install
	@command -v wrk >/dev/null 2>&1 || apt-get install -y -qq wrk >/dev/null 2>&1 || \
		echo "wrk is not installed (Debian package wrk): the HTTP benchmarks use their slower Python client"
	$(PY) bench/registration_throughput.py
	$(PY) bench/agenda_pages.py
	$(PY) bench/matching_bench.py
	$(PY) bench/badges_bench.py
	$(PY) bench/checkin_bench.py

lint: install
	$(VENV)/bin/ruff check events_app matching tests bench

smoke: install
	bash .ci/smoke-run

clean:
	rm -rf $(VENV) var
