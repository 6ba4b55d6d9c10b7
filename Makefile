# Two commands for a newcomer: `make demo` and `make test`. Each sets up what it needs first.
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup prometheus victoria alertmanager chromium demo test test-long lint bench screenshots

setup: $(VENV)/.installed prometheus

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# Debian's prometheus package brings both `prometheus` and `promtool` (2.42 on bookworm).
prometheus:
	@command -v promtool >/dev/null && command -v prometheus >/dev/null || \
	  ( echo "installing Prometheus (Debian package prometheus)"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq prometheus >/dev/null )

# Debian's victoria-metrics package brings `victoria-metrics` and `vmalert` (the compatibility tests).
victoria:
	@command -v victoria-metrics >/dev/null && command -v vmalert >/dev/null || \
	  ( echo "installing VictoriaMetrics (Debian package victoria-metrics)"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq victoria-metrics >/dev/null )

# Debian's prometheus-alertmanager brings `prometheus-alertmanager` and `amtool` (the routing tests).
alertmanager:
	@command -v prometheus-alertmanager >/dev/null && command -v amtool >/dev/null || \
	  ( echo "installing Alertmanager (Debian package prometheus-alertmanager)"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq prometheus-alertmanager >/dev/null )

# Debian's chromium and chromium-driver: the console's browser tests drive this browser (playwright's
# own browser downloads are never used); poppler-utils' pdftotext reads the review packs' PDFs back.
chromium:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v pdftotext >/dev/null || \
	  ( echo "installing Chromium (Debian packages chromium, chromium-driver, poppler-utils)"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver poppler-utils >/dev/null )

demo: setup
	$(VENV)/bin/pledge demo

# The API and VictoriaMetrics worlds run a second time, ending in the first hour of a Berlin month,
# where calendar math breaks first. Replay another moment: `make test EDGE_END=2026-03-29T03:30:00+02:00`
# (PLEDGE_WORLD_END moves the first run's worlds too; tests/support/moments.py).
EDGE_END ?= 2026-12-01T00:40:00+01:00

# Both runs go at once, each on pytest-xdist workers: most of the suite's time is waiting on servers
# (Alertmanager, Prometheus' block reloads), not CPU. Each world shared by tests is still built once per
# run, on one worker (tests/support/parallel.py). The edge run's report follows the main one's.
# TEST_WORKERS: workers of the main run. 4 on 2 cores, as most workers wait at any moment: the main
# run took 9:38 with 4 workers where the serial run took 31 minutes on the same busy machine (issue 25).
TEST_WORKERS ?= 4
EDGE_TEST = PLEDGE_WORLD_END=$(EDGE_END) $(PY) -m pytest -q -n 2 --dist loadgroup tests/api tests/victoria -k 'not fuzz'

test: setup victoria alertmanager chromium lint
	@edge=$$(mktemp -d); echo "$(EDGE_TEST)  # in the background, reported below"; \
	$(EDGE_TEST) --basetemp=$$edge/tmp > $$edge/log 2>&1 & edge_pid=$$!; \
	echo "$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup --durations=15"; \
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup --durations=15; main=$$?; \
	wait $$edge_pid; edge_status=$$?; \
	echo; echo "== $(EDGE_TEST)"; cat $$edge/log; rm -rf $$edge; \
	[ $$main = 0 ] && [ $$edge_status = 0 ]

# promtool over a 93-day quarter (15 minutes here): not in `make test`, run before changing calendar rules.
test-long: setup
	$(PY) -m pytest -q -m long

lint: lint-js
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# eslint (pinned in package.json and package-lock.json) over the console's ES modules; no warning passes.
.PHONY: lint-js
lint-js: node_modules/.package-lock.json
	npx --no-install eslint --max-warnings 0 pledge/console/static

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || \
	  ( echo "installing Node.js and npm (Debian packages nodejs, npm) for eslint"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm >/dev/null )
	npm ci --silent --no-audit --no-fund

# The console's screenshots in docs/screenshots/, taken in Chromium over the API tests' world.
screenshots: setup chromium
	$(PY) -m tests.console.screenshots docs/screenshots
	$(PY) docs/screenshots/review_pages.py docs/screenshots

bench: setup
	$(PY) bench/rule_generation.py
	$(PY) bench/rule_evaluation.py
	$(PY) bench/operator_reconcile.py
	$(PY) bench/api_bench.py
	$(PY) bench/forecast.py
	$(PY) bench/console_bench.py
