# Guanxi 关系 — the two commands a new user needs are `make demo` and `make test`.
#   make demo      venv + migrate + demo data, then serve http://127.0.0.1:8000 with a worker and the scheduler
#   make test      the whole suite (SQLite by default; set DATABASE_URL=postgres://... for PostgreSQL)
#   make lint      ruff and mypy
#   make messages  compile the translation catalogues (no GNU gettext needed)
# Variables: PYTHON (default python3.11), PYTEST_ARGS (extra pytest arguments, e.g. a path or -k).

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: venv demo test lint messages clean-demo

venv: $(STAMP)

# Reinstalls only when a requirements file changed since the last install.
$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	PYTHON=$(PYTHON) scripts/venv.sh $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

messages: venv
	@if [ -f guanxi/core/management/commands/compile_catalogues.py ]; then \
		$(BIN)/python manage.py compile_catalogues; \
	elif command -v msgfmt >/dev/null 2>&1; then \
		$(BIN)/python manage.py compilemessages --ignore=.venv; \
	else \
		echo "No catalogue compiler available (install gettext); the UI will be in English."; \
	fi

demo: venv messages
	scripts/demo.sh

# pytest exit code 5 means no test was collected: that is a failure, not a pass.
test: venv messages
	@GUANXI_ENV=test $(BIN)/pytest -n auto -q $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "FAILED: pytest collected no tests"; exit 1; fi; exit $$rc

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy .

# Forget the demo database (var/guanxi.sqlite3); the next `make demo` starts afresh.
clean-demo:
	rm -f var/guanxi.sqlite3 var/guanxi.sqlite3-wal var/guanxi.sqlite3-shm
