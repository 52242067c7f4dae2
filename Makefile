# wangge (网格): two commands do everything — `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PACKAGES := libs/common libs/devstack services/roster services/intake services/routing services/notify services/reporting services/portal

.PHONY: run test test-unit test-integration bench lock clean

LOCKS  := requirements-runtime.lock requirements-dev.lock

$(STAMP): $(LOCKS) $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (or set PYTHON=python3)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(foreach l,$(LOCKS),-r $(l))
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps $(foreach p,$(PACKAGES),-e $(p))
	@touch $(STAMP)

run: $(STAMP)  ## the whole suite on this machine: broker, five services, demo data
	$(VENV)/bin/wangge run

test: $(STAMP)  ## every test: unit tests beside each service, then tests/integration and tests/deploy
	@scripts/ensure-chromium || echo "(no Chromium: the browser tests will be skipped)"
	@scripts/ensure-promtool || echo "(no promtool: the Prometheus rule and config checks will be skipped)"
	$(PY) -m pytest

bench: $(STAMP)  ## intake throughput and latency against the floor (see bench/README.md)
	$(PY) bench/intake_bench.py

# Two locks: the runtime set (the production image installs only this one) and the development set, compiled
# against the runtime lock so shared packages keep one version. Existing pins stay unless you delete the line.
lock:  ## recompile both locks from requirements-runtime.in and requirements-dev.in (needs pip-tools in .venv)
	$(PY) -m piptools compile --quiet --strip-extras --no-header --output-file requirements-runtime.lock requirements-runtime.in
	$(PY) -m piptools compile --quiet --strip-extras --no-header --output-file requirements-dev.lock requirements-dev.in

clean:
	rm -rf var .pytest_cache
