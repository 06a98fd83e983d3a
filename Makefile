# The two commands a newcomer needs:   make run   and   make test
# Everything else here is a step they depend on.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
RASA    := $(PY) -m bot rasa
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONHASHSEED := 0

TRAINING_INPUTS := config.yml domain.yml $(shell find data knowledge/lexicon nlu_components -type f \( -name '*.yml' -o -name '*.txt' -o -name '*.py' \) 2>/dev/null)
MODEL_STAMP := models/.trained

.PHONY: help run run-instances test install lint train validate unit-test browser-test story-test nlu-test e2e-test bench lock clean

help:
	@echo "make run    start the assistant on http://127.0.0.1:5005 and its API on http://127.0.0.1:8080"
	@echo "make test   validate data, unit tests, train, story tests, held-out NLU evaluation, end-to-end tests"
	@echo "make bench  benchmarks: bench/turn_latency, bench/screening, bench/leads, bench/hotline, bench/wechat, bench/rescreen, bench/scale"
	@echo "make run-instances N=2   several Rasa servers behind haproxy (needs PostgreSQL and Redis, see README)"

# --- environment -------------------------------------------------------------------------------
$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(PY) || "$$(scripts/find-python310.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "pip==24.0"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

install: $(VENV)/.installed

# Regenerate requirements.lock from pyproject.toml in a throwaway environment.
lock:
	rm -rf /tmp/jiuzhu-lock && "$$(scripts/find-python310.sh)" -m venv /tmp/jiuzhu-lock
	/tmp/jiuzhu-lock/bin/pip install --quiet "pip==24.0" && /tmp/jiuzhu-lock/bin/pip install --quiet ".[test]"
	{ head -2 requirements.lock; /tmp/jiuzhu-lock/bin/pip freeze --exclude-editable | grep -v '^jiuzhu'; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

# --- model: trained only when its inputs changed ------------------------------------------------
$(MODEL_STAMP): $(VENV)/.installed $(TRAINING_INPUTS)
	@mkdir -p models var
	$(PY) -m bot train
	@touch $@

train: $(MODEL_STAMP)

# --- run ---------------------------------------------------------------------------------------
run: $(MODEL_STAMP)
	$(PY) -m bot run

N ?= 2
run-instances: $(MODEL_STAMP)
	scripts/ensure-haproxy.sh
	$(PY) -m bot run --instances $(N)

# --- test --------------------------------------------------------------------------------------
# Lint and format first: seconds, and before anything slow.
PY_FILES := . $(wildcard bench/*)
lint: install
	$(VENV)/bin/ruff check $(PY_FILES)
	$(VENV)/bin/ruff format --check $(PY_FILES)

validate: install
	$(PY) scripts/policy_nlu.py --check
	$(RASA) data validate --fail-on-warnings

# haproxy: the balancer's configuration is checked against the real binary (tests/channels/test_instances_config.py).
unit-test: install
	scripts/ensure-haproxy.sh
	$(PY) -m pytest -m "not e2e and not browser" -q

# Browser tests that need no model; those that drive the running product (web chat) are e2e, after training.
browser-test: install
	scripts/ensure-browser.sh
	$(PY) -m pytest -m "browser and not e2e" -q

story-test: $(MODEL_STAMP)
	$(RASA) test core --stories tests/stories --fail-on-prediction-errors --out results/core

nlu-test: $(MODEL_STAMP)
	$(PY) scripts/nlu_gate.py prepare results/heldout.yml
	$(RASA) test nlu --nlu results/heldout.yml --out results/nlu
	$(PY) scripts/nlu_gate.py judge results/nlu

e2e-test: $(MODEL_STAMP)
	scripts/ensure-browser.sh
	scripts/ensure-haproxy.sh
	$(PY) -m pytest -m e2e -q

test: lint validate unit-test browser-test train story-test nlu-test e2e-test
	@echo "all test steps passed"

bench: $(MODEL_STAMP)
	$(PY) bench/turn_latency
	$(PY) bench/screening
	$(PY) bench/leads
	$(PY) bench/hotline
	$(PY) bench/wechat
	$(PY) bench/rescreen
	scripts/ensure-haproxy.sh
	$(PY) bench/scale

clean:
	rm -rf models results var/test-* .pytest_cache
