# Two entry points (see README): `make gate` runs the trust gate, `make test` runs the self-tests.
# Both set everything up first, from pinned files, on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.comptrust-setup
export OMP_NUM_THREADS ?= 2
export TOKENIZERS_PARALLELISM ?= false
# pip installs without byte-compiling its 16,700 modules (44 s of CPU, most never imported); Python compiles what
# a run imports on first use and keeps it in the venv, so the recipes let it write bytecode.
unexport PYTHONDONTWRITEBYTECODE
PIP := $(PY) -m pip install -q --disable-pip-version-check --no-compile

.PHONY: setup gate test report test-all clean-cache

setup: $(STAMP)

$(STAMP): requirements/main.txt requirements/data.txt requirements/lock.txt reports/package-lock.json pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# npm fetches the report's packages while Python's are installed.
	@npm=; if command -v npm >/dev/null; then npm ci --prefix reports --no-audit --no-fund --silent & npm=$$!; \
	 else echo "npm not found: the Allure HTML report will not be built (scorecard HTML still is)"; fi; \
	 $(MAKE) --no-print-directory python-stack; rc=$$?; \
	 if [ -n "$$npm" ]; then wait $$npm || rc=1; fi; exit $$rc
	touch $(STAMP)

# uv installs the pinned files with pip's index settings in a third of pip's time (scripts/uv_setup.py); pip is the
# fallback, from the same files.
.PHONY: python-stack
python-stack:
	@$(PY) scripts/uv_setup.py $(PY) || { echo "uv unavailable: installing with pip"; \
	 $(PIP) -c requirements/lock.txt -r requirements/main.txt && \
	 $(PIP) --no-deps -e . && \
	 $(PIP) --no-deps -r requirements/data.txt; }

# The main job: the trust suite on the embedded model family against the dense reference's pinned results
# (baselines/, checked against the reference's weights before use), then the HTML report.
BASELINES ?= baselines
gate: setup
	$(PY) -m pytest --baselines=$(BASELINES) $(ARGS); rc=$$?; $(PY) -m reports.build || true; exit $$rc

report: setup
	$(PY) -m reports.build

# The framework's self-tests.
test: setup
	$(PY) -m pytest tests -p no:randomly $(ARGS)

clean-cache:
	rm -rf $${COMPTRUST_HOME:-$$HOME/.cache/comptrust}
