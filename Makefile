# hotline1999 — `make run` serves the system on SQLite; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

# Translations: gettext catalogues under app/translations, two domains ("messages": the API's and the server's;
# "console": the console's words), whose message ids are the keys. The .po files are the source, the .mo files
# build output. The keywords each domain's extraction looks for are in its .cfg (pybabel insists on one -k too).
I18N := app/translations
DOMAINS := messages console
PO := $(foreach locale,zh_TW en,$(foreach domain,$(DOMAINS),$(I18N)/$(locale)/LC_MESSAGES/$(domain).po))
MO := $(PO:.po=.mo)
# As a module, so that the extraction method in app/ can be imported.
PYBABEL := $(BIN)/python -m babel.messages.frontend -q
EXTRACT_OPTIONS := --no-default-keywords --no-location --sort-output --omit-header --add-comments=TRANSLATORS:

.PHONY: setup setup-dev run db demo test test-sqlite test-postgres lint bench clean translations

setup: $(VENV)/.installed $(MO)

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

setup-dev: setup $(VENV)/.installed-dev

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

db: setup
	$(FLASK) db upgrade
	$(FLASK) seed
	$(FLASK) knowledge load config/knowledge/articles.yaml

# A month of realistic data for a newcomer to look at (the last 30 days, a tenth of the customer's volumes);
# a second run says the days already have cases and adds nothing.
demo: db
	$(FLASK) demo generate --days 30 --scale 0.1 --seed 1 --if-empty

run: db
	@# On an empty database (development only): an `admin` with a random password, printed once; else nothing.
	$(FLASK) user first-admin
	@echo ""
	@echo "  hotline1999 is starting: console http://$(HOST):$(PORT)/console/live, API http://$(HOST):$(PORT)/api/v1/docs"
	@echo "  More users: the administration pages (/console/admin), or $(FLASK) user create NAME --role ROLE"
	@echo ""
	$(BIN)/gunicorn --workers 1 --threads 100 --bind $(HOST):$(PORT) 'wsgi:app_with_worker()'

$(I18N)/%.mo: $(I18N)/%.po | $(VENV)/.installed
	$(PYBABEL) compile -i $< -o $@

# After adding, renaming or removing a key in the code: refresh the templates (.pot) and both languages' .po
# (a new key arrives with an empty msgstr to fill in; a removed one is dropped), then compile them.
translations: setup
	$(PYBABEL) extract $(EXTRACT_OPTIONS) -F $(I18N)/messages.cfg -k message -o $(I18N)/messages.pot .
	$(PYBABEL) extract $(EXTRACT_OPTIONS) -F $(I18N)/console.cfg -k label -o $(I18N)/console.pot .
	for domain in $(DOMAINS); do \
		$(PYBABEL) update -i $(I18N)/$$domain.pot -d $(I18N) -D $$domain --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date || exit 1; \
	done
	$(MAKE) --no-print-directory $(MO)

# The whole suite on SQLite under coverage (this process and every web and worker process the tests start,
# see .coveragerc) and, when TEST_DATABASE_URL is set, the same suite on PostgreSQL without coverage, at the
# same time: the two passes share nothing (each test picks free ports and its own Redis channel), and on two
# cores side by side they take about the time of one after the other on one. The PostgreSQL pass writes to
# .test-postgresql.log, printed when both are done; either failing fails the target.
COVERAGE := $(BIN)/coverage
test: setup-dev
	rm -f .coverage .coverage.* .test-postgresql.log
	@set -u; postgres_pid=; \
	if [ -n "$${TEST_DATABASE_URL:-}" ]; then \
		echo "== the same suite on PostgreSQL ($$TEST_DATABASE_URL), alongside; its output follows"; \
		HOTLINE_TEST_BACKEND=postgresql $(BIN)/pytest -q -p no:cacheprovider >.test-postgresql.log 2>&1 & \
		postgres_pid=$$!; \
	fi; \
	sqlite_status=0; $(COVERAGE) run -m pytest -q || sqlite_status=$$?; \
	$(COVERAGE) combine -q; \
	echo "== coverage, web and worker processes together: overall $$($(COVERAGE) report --format=total)%," \
		"sla/ $$($(COVERAGE) report --format=total --include='sla/*')%," \
		"dispatch/ $$($(COVERAGE) report --format=total --include='dispatch/*')%" \
		"(the table: .venv/bin/coverage report)"; \
	postgres_status=0; \
	if [ -n "$$postgres_pid" ]; then \
		wait $$postgres_pid || postgres_status=$$?; \
		echo "== PostgreSQL pass ($$TEST_DATABASE_URL)"; cat .test-postgresql.log; \
	fi; \
	echo "== exit status: SQLite $$sqlite_status, PostgreSQL $$postgres_status"; \
	[ $$sqlite_status -eq 0 ] && [ $$postgres_status -eq 0 ]

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: setup-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(MO)
