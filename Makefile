# The project's front door: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run totp test lint format bench bench-embedded system-packages clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# System packages: PostgreSQL and Redis servers, Debian's Chromium for browser tests,
# and the Pango libraries WeasyPrint renders with. Installed only when missing, as root.
system-packages:
	@scripts/system-packages

run: $(STAMP)
	@scripts/system-packages --run
	@scripts/run

# The current two-factor code of a demo login, e.g. `make totp USER=manager`.
totp: $(STAMP)
	@if [ "$(origin USER)" != "command line" ]; then \
		echo "Usage: make totp USER=<demo username>   (e.g. make totp USER=manager)" >&2; exit 2; fi
	@scripts/manage demo_totp "$(USER)"

test: $(STAMP) system-packages lint
	scripts/with-services $(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Production settings need a SECRET_KEY: a throwaway one unless the environment has one.
bench: $(STAMP) system-packages
	SECRET_KEY="$${SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')}" \
		scripts/with-services $(BIN)/python manage.py bench $(BENCH_ARGS)

# The embedded default (`make run`'s shape) under a team's load: a fresh SQLite file, gunicorn,
# a Celery worker with beat on the throwaway Redis, 20 simulated staff for 60 s (BENCHMARKS.md).
bench-embedded: $(STAMP) system-packages
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	SECRET_KEY="$${SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')}" \
		scripts/with-services env DATABASE_URL="sqlite:///$$tmp/casework.sqlite3" \
		$(BIN)/python manage.py bench --embedded $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles db.sqlite3
