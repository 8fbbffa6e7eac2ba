# Two commands matter: `make run` (portal + worker + Smile sandbox) and `make test`.
# Both create .venv and install what they need, so they work on a fresh machine.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CHROMIUM := /usr/bin/chromium
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run serve test test-postgres e2e e2e-postgres bench lint format install install-dev clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Browser tests drive Debian's Chromium; never a browser downloaded by Playwright.
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq --no-install-recommends chromium

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev $(CHROMIUM)

# The portal on :8000, its django-q2 worker and the offline Smile sandbox on :8765, on SQLite.
# Each Smile setting can still be overridden from the environment (`?=`).
run: export DEBUG ?= true
run: export SMILE_API_URL ?= http://127.0.0.1:8765/v1
run: export SMILE_LINK_API_URL ?= http://127.0.0.1:8765/link/v1
run: export SMILE_WINK_SCRIPT_URL ?= http://127.0.0.1:8765/v2/smile.v2.js
run: export SMILE_CLIENT_ID ?= sandbox-client-id
run: export SMILE_CLIENT_SECRET ?= sandbox-client-secret
run: export SMILE_WEBHOOK_SECRET ?= sandbox-webhook-secret
run: export SMILE_SANDBOX_WEBHOOK_URL ?= http://127.0.0.1:8000/webhooks/smile/
run: export SMILE_SANDBOX_STATE_FILE ?= sandbox-state.json
run: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(VENV)/bin/honcho start -f Procfile

# The portal and worker only, configured by .env (e.g. against Smile's real sandbox).
serve: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(VENV)/bin/honcho start -f Procfile web worker

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: install-dev lint
	$(VENV)/bin/pytest

test-postgres: install-dev
	DATABASE_URL=$(POSTGRES_URL) $(VENV)/bin/pytest

# The whole journey with real processes (gunicorn, qcluster, sandbox, Chromium). SQLite and the
# ORM broker by default; E2E_DATABASE_URL / E2E_REDIS_URL switch to PostgreSQL and Redis.
e2e: install-dev
	$(VENV)/bin/pytest tests/e2e -m e2e

e2e-postgres: install-dev
	E2E_DATABASE_URL=postgres://postgres@127.0.0.1:5432/verification_e2e \
	E2E_REDIS_URL=redis://127.0.0.1:6379/0 $(VENV)/bin/pytest tests/e2e -m e2e

# Benchmarks against PostgreSQL and Redis on this machine; never part of the tests.
# One benchmark: `.venv/bin/python -m bench webhook_ack|sync_rate|admin_scale` (bench/README.md).
bench: install-dev
	$(PY) -m bench all

clean:
	rm -rf $(VENV) staticfiles .pytest_cache test-artifacts
