# The two commands of the README: `make serve` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint typecheck cfn-lint pytest package clean bench-search bench-activity

$(STAMP): pyproject.toml layers/csr_common/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

serve: $(STAMP)
	PYTHONPATH=.:layers/csr_common $(BIN)/python -m infra.local_server

test: $(STAMP) lint typecheck cfn-lint pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy layers/csr_common/csr functions infra

cfn-lint: $(STAMP)
	$(BIN)/cfn-lint template.yaml

# Not part of `make test`: activity-log reads on a customer with 50,000 entries (calls and items read).
bench-activity: $(STAMP)
	PYTHONPATH=.:layers/csr_common $(BIN)/python -m bench.activity

pytest: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

# The deploy-ready artifact for the template's runtime and architecture (see README: Deploy).
package: $(STAMP)
	$(BIN)/python -m infra.package --arch arm64 --python 3.13

# Not part of `make test`: seeds 100,000 customers into moto (several minutes).
bench-search: $(STAMP)
	$(BIN)/python -m bench.search

clean:
	rm -rf $(VENV) .aws-sam build dist

# Not part of `make test`: import time of each built handler beside `import boto3` and a minimal Powertools
# handler, in fresh processes (medians and ratios).
.PHONY: bench-coldstart
bench-coldstart: $(STAMP)
	PYTHONPATH=.:layers/csr_common $(BIN)/python -m bench.coldstart
