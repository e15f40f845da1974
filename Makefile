# e-gorod. `make site` builds the sample site; `make test` runs the whole test suite.
# Both create .venv and install the pinned dependencies first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: site test test-quick lint messages test-tools check serve clean system-deps

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

test: $(STAMP) test-tools
	$(PY) -m pytest -q

# the tests that need no browser, PDF renderer, server or large build: seconds
test-quick: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

# new or changed messages of the code into the catalogs (egorod/locale/); translate the
# empty ones in egorod/locale/ru/LC_MESSAGES/egorod.po (tests/test_i18n.py finds any left)
messages: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg --no-location --sort-output --project=e-gorod -o egorod/locale/egorod.pot .
	$(VENV)/bin/pybabel update -i egorod/locale/egorod.pot -d egorod/locale -D egorod --width 100

# the code checks CI runs (settings in pyproject.toml)
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# The browser, PDF-image and validator tests need Chromium, Poppler and Java, npm for the
# packages of package-lock.json (axe-core, world-atlas; the tests run `npm ci` themselves); the
# deploy and web-server tests rsync, ssh and nginx with its brotli_static module: installed here
# when missing and we may (root), otherwise named so that they can be installed.
TEST_TOOLS := chromium chromedriver pdftoppm java npm rsync ssh nginx
BROTLI_MODULE := /usr/lib/nginx/modules/ngx_http_brotli_static_module.so
test-tools:
	@missing=""; for tool in $(TEST_TOOLS); do PATH="$$PATH:/usr/sbin" command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	[ -f $(BROTLI_MODULE) ] || missing="$$missing nginx-brotli"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing test tools:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      chromium chromium-driver poppler-utils default-jre-headless npm rsync openssh-client nginx \
	      libnginx-mod-http-brotli-static; \
	  else \
	    echo "missing test tools:$$missing — run: sudo make system-deps"; \
	  fi; \
	fi

# Debian/Ubuntu packages used by the browser, PDF, deploy and web-server tests (needs root).
system-deps:
	apt-get update && apt-get install -y --no-install-recommends make git python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 chromium chromium-driver poppler-utils default-jre-headless npm rsync openssh-client nginx libnginx-mod-http-brotli-static

# Never add mail-journal/ here: the mailing journals record who already got an issue.
clean:
	rm -rf output .cache node_modules
