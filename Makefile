# The two commands of the README: `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
DEMO_PORT ?= 8000
# Second factor for staff in the demo: off by default so every role can be tried at once;
# `make demo MFA=true` turns the requirement on.
MFA ?= false

.PHONY: demo test venv venv-demo system-deps messages lint serve-demo clean
# pip's notices about the local index and setuptools' banner about folders named like the
# project are noise here (only those lines: pip's own errors stay visible).
QUIET_PIP := { grep -v -e "WARNING: Location" -e "BuildBackendWarning" -e "^ *!!$$" -e "^ *\*\**$$"   -e "Please be careful with folders" -e "name as your package as they may take"   -e "with strategy, WheelFile" -e "^ *$$" || true; }

# The demo needs the application and its `demo` extra only; the tests add theirs on top.
$(VENV)/.installed-demo: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel 2>&1 | $(QUIET_PIP)
	$(PIP) install -q -e ".[demo]" 2>&1 | $(QUIET_PIP)
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.installed-demo
	$(PIP) install -q -e ".[test,demo]" 2>&1 | $(QUIET_PIP)
	touch $@

venv-demo: $(VENV)/.installed-demo

venv: $(VENV)/.installed

# Debian packages the project needs on a fresh machine (installed only when missing).
system-deps:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Please install:$$missing (sudo apt-get install$$missing)"; fi; \
	fi

messages: venv-demo
	$(PY) tools/compile_messages.py

lint: venv
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) tools/long_functions.py

# PostgreSQL under var/ (migrated as the owner, served as constel_app under RLS), fresh demo
# data, the periodic jobs, the server; logins printed once it answers (tools/demo.py).
demo: venv-demo messages
	DEMO_PORT=$(DEMO_PORT) CONSTEL_REQUIRE_STAFF_MFA=$(MFA) $(PY) tools/demo.py

test: venv system-deps messages lint
	# Two workers, a test database and a Redis database each; the fault drills (they stop
	# PostgreSQL and Redis under the suite's feet) run alone afterwards.
	$(PY) tools/with_services.py bash -c '$(PY) -m pytest -n 2 -m "not faults" --durations=25 \
	  && $(PY) -m pytest -m faults --durations=5'

clean:
	rm -rf $(VENV) var
