# The FLS registry. Two commands on a fresh machine (Python >= 3.11 is all it needs):
#   make run    install, migrate, load the demo data, serve on http://127.0.0.1:8000
#   make test   install what the tests need, lint, run the whole suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
# pytest-xdist workers for `make test` (each has its own test database and Redis database).
TEST_WORKERS ?= 3

# Python may cache compiled modules: `make test` starts many Python processes (pytest-xdist
# workers, Celery workers, commands under test), each of which would otherwise compile Django and
# the project afresh from source; pytest also caches its rewritten test modules this way.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-failover install install-test lint migrate demo demo-code worker beat system-packages stop-embedded clean backup restore messages screenshots bench

$(PY):
	$(PYTHON) -c 'import sys; assert (3, 11) <= sys.version_info[:2] < (3, 13), "Python 3.11 or 3.12 is needed (found %s); run make PYTHON=python3.12" % sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv || true

$(VENV)/.installed: requirements.lock | $(PY)
	$(PY) -m uv pip install --quiet --python $(PY) -r requirements.lock || $(PY) -m pip install --quiet -r requirements.lock
	touch $@

$(VENV)/.installed-test: requirements-test.lock | $(PY)
	$(PY) -m uv pip install --quiet --python $(PY) -r requirements-test.lock || $(PY) -m pip install --quiet -r requirements-test.lock
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

run: demo
	@echo "Serving the FLS registry on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	DJANGO_DEBUG=true SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(PY) manage.py runserver $(HOST):$(PORT)

demo-code: install
	@$(PY) manage.py demo_code

system-packages:
	@scripts/ensure-system-packages.sh

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

test: install-test system-packages lint
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist worksteal --durations=20 $(PYTEST_ARGS)

# The primary killed mid-load (tests/failover): needs Debian's pg_auto_failover, installed here
# when run as root; about three minutes. Run before each release (docs/architecture.md).
test-failover: install-test
	scripts/ensure-failover-packages.sh
	FLS_FAILOVER=1 $(VENV)/bin/pytest -p no:randomly -s -m failover tests/failover

worker: install
	$(VENV)/bin/celery -A fls_registry worker -Q default,kpis,email --loglevel=info

beat: install
	$(VENV)/bin/celery -A fls_registry beat --loglevel=info

# The database with pg_dump's custom format (FILE= to choose where; default backups/fls-<time>.dump).
backup: install
	$(PY) manage.py backup_database $(if $(FILE),--output $(FILE))

# Replaces the configured database's tables with the dump's, in one transaction.
restore: install
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=backups/fls-....dump"; exit 2; }
	$(PY) manage.py restore_database $(FILE)

# The translation catalogues: extract every marked string into locale/<lang>/LC_MESSAGES/django.po
# (translate what is new or changed there), then compile the .mo files the registry reads.
LANGS := ru fr it es zh_Hant
MESSAGES_IGNORE := --ignore ".venv/*" --ignore "tests/*" --ignore "bench/*" --ignore "*/migrations/*" --ignore "docs/*" --ignore "deploy/*"
messages: install system-packages
	for lang in $(LANGS); do $(PY) manage.py makemessages --locale $$lang --add-location file --no-obsolete $(MESSAGES_IGNORE) || exit 1; done
	$(PY) manage.py compilemessages $(foreach lang,$(LANGS),--locale $(lang)) --ignore ".venv/*"

# Screenshots of each role's main pages from the demo data, in English and Russian, into
# docs/screenshots/ (the accessibility walk of tests/e2e/test_every_role.py takes them).
screenshots: install-test system-packages
	FLS_SCREENSHOTS=$(CURDIR)/docs/screenshots $(VENV)/bin/pytest -q -p no:cacheprovider tests/e2e/test_every_role.py

# Every benchmark on the machine's PostgreSQL (DATABASE_ADMIN_URL, else 127.0.0.1:5432, when one
# answers) and on the embedded one, into one markdown table (bench/all.py; about 15 minutes; the README's table).
bench: install-test system-packages
	$(VENV)/bin/python bench/all.py --both --output bench/results.md

stop-embedded:
	-$(PY) -c 'from fls_registry.embedded import stop_embedded_database; stop_embedded_database()'

clean: stop-embedded
	rm -rf $(VENV) .data staticfiles test-artifacts .pytest_cache .ruff_cache
