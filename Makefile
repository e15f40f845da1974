# e-gorod. `make site` builds the sample site; `make test` runs the whole test suite.
# Both create .venv and install the pinned dependencies first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: site test check serve clean system-deps

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

site: $(STAMP)
	$(PY) build.py build

check: $(STAMP)
	$(PY) build.py check

serve: $(STAMP)
	$(PY) build.py serve

test: $(STAMP)
	$(PY) -m pytest -q

# Debian/Ubuntu packages used by the browser and PDF tests (needs root).
system-deps:
	apt-get update && apt-get install -y --no-install-recommends make git python3-venv libpango-1.0-0 libpangoft2-1.0-0 chromium chromium-driver poppler-utils default-jre-headless

# Never add mail-journal/ here: the mailing journals record who already got an issue.
clean:
	rm -rf output .cache
