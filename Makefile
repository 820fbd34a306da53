# The two commands of the README: `make serve` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint importlint typecheck cfn-lint scan pytest package clean bench-search bench-activity bench-groups catalogs browser-deps check-table soak

$(STAMP): pyproject.toml layers/csr_common/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

serve: $(STAMP)
	PYTHONPATH=.:layers/csr_common $(BIN)/python -m infra.local_server

# On a fresh machine the installs mostly wait on downloads, so the three venvs and the browser are made at
# once; then the static checks run two at a time, then the tests.
test:
	$(MAKE) -j4 --output-sync=target $(STAMP) $(SCAN)/.installed $(SDK_VENV)/.installed browser-deps
	$(MAKE) -j2 --output-sync=target lint importlint typecheck cfn-lint scan
	$(MAKE) pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The layer contracts of pyproject.toml ([tool.importlinter]).
importlint: $(STAMP)
	PYTHONPATH=layers/csr_common $(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy layers/csr_common/csr functions infra bench tests

cfn-lint: $(STAMP)
	$(BIN)/cfn-lint template.yaml

# The IaC scanners, in a venv of their own (checkov pins many packages; .venv stays as it is): cfn-lint with
# AWS's serverless rules, and checkov. Both must report nothing; what does not apply is suppressed in
# template.yaml's Metadata with its reason (docs/operations.md, Scanners).
SCAN := .venv-scan
$(SCAN)/.installed:
	test -x $(SCAN)/bin/python || $(PYTHON) -m venv $(SCAN)
	$(SCAN)/bin/python -m pip install --quiet checkov==3.3.30 cfn-lint==1.58.0 cfn-lint-serverless==0.3.6
	touch $@

scan: $(SCAN)/.installed
	$(SCAN)/bin/cfn-lint template.yaml --append-rules cfn_lint_serverless.rules
	BC_SKIP_MAPPING=TRUE $(SCAN)/bin/checkov --file template.yaml --framework cloudformation --quiet --compact --skip-download

# Not part of `make test`: activity-log reads on a customer with 50,000 entries (calls and items read).
bench-activity: $(STAMP)
	PYTHONPATH=.:layers/csr_common $(BIN)/python -m bench.activity

# The browser tests (tests/browser) share one local server and one Chromium, so they stay on one worker.
pytest: $(STAMP) browser-deps sdk-tools
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

# Debian's chromium and chromium-driver for the console's browser tests (no browser can be downloaded).
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		$$(test "$$(id -u)" -eq 0 || echo sudo) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$(test "$$(id -u)" -eq 0 || echo sudo) \
			apt-get install -y -qq chromium chromium-driver; \
	fi

# The deploy-ready artifact for the template's runtime and architecture (see README: Deploy).
package: $(STAMP)
	$(BIN)/python -m infra.package --arch arm64 --python 3.13

# Not part of `make test`: seeds 100,000 customers into moto (several minutes).
# The table checker over the data `make serve` seeds (docs/consistency.md); CUSTOMERS=N seeds fewer.
check-table: $(STAMP)
	PYTHONPATH=.:layers/csr_common $(BIN)/python -m infra.check_table --seeded $(if $(CUSTOMERS),--customers $(CUSTOMERS))

# The stateful consistency test for thousands of steps (docs/consistency.md); SOAK_STEPS=N sets how many.
soak: $(STAMP)
	SOAK_STEPS=$${SOAK_STEPS:-5000} $(BIN)/python -m pytest -p no:xdist -q -s tests/integration/test_consistency_machine.py

bench-search: $(STAMP)
	$(BIN)/python -m bench.search

clean:
	rm -rf $(VENV) $(SDK_VENV) $(SCAN) .aws-sam build dist

# The OpenAPI tools, whose pinned dependencies are their own, in a venv of their own: tests/e2e/test_sdk.py
# validates the served document and drives a client generated from it (docs/api-reference.md).
SDK_VENV := .venv-sdk
SDK_TOOLS := openapi-spec-validator==0.9.0 openapi-python-client==0.29.1
.PHONY: sdk-tools
sdk-tools: $(SDK_VENV)/.installed

$(SDK_VENV)/.installed: Makefile
	test -x $(SDK_VENV)/bin/python || $(PYTHON) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SDK_VENV)/bin/python -m pip install --quiet $(SDK_TOOLS)
	touch $@

# Not part of `make test`: a group of 10,000 clients created, then 5,000 removed (calls, not time).
bench-groups: $(STAMP)
	PYTHONPATH=.:layers/csr_common $(BIN)/python -m bench.groups

# Backfill the available-clients index of a table written before it (docs/client-groups.md). Needs TABLE_NAME
# and AWS credentials for the target account.
.PHONY: migrate-available-clients
migrate-available-clients: $(STAMP)
	PYTHONPATH=.:layers/csr_common $(BIN)/python -m infra.migrate_available_clients $(ARGS)

# Not part of `make test`: the available-clients page with 100 and 10,000 grouped clients (calls, items read).
.PHONY: bench-available-clients
bench-available-clients: $(STAMP)
	PYTHONPATH=.:layers/csr_common $(BIN)/python -m bench.available_clients

# Backfill the search index (postings with cards, district counters) of an existing table: resumable and
# idempotent. Needs TABLE_NAME and AWS credentials for the target account (README: Search index migration).
.PHONY: migrate-search
migrate-search: $(STAMP)
	PYTHONPATH=.:layers/csr_common $(BIN)/python -m infra.migrate_search $(ARGS)

# The French and Spanish message catalogs (csr.i18n): new message ids added, .mo compiled (commit both).
catalogs: $(STAMP)
	PYTHONPATH=.:layers/csr_common $(BIN)/python -m infra.catalogs

# Not part of `make test`: import time of each built handler beside `import boto3` and a minimal Powertools
# handler, in fresh processes (medians and ratios).
.PHONY: bench-coldstart
bench-coldstart: $(STAMP)
	PYTHONPATH=.:layers/csr_common $(BIN)/python -m bench.coldstart

# Not part of `make test`: `make serve` from a fresh start, seconds to the first search answer (wall and CPU).
.PHONY: bench-serve
bench-serve: $(STAMP)
	PYTHONPATH=.:layers/csr_common $(BIN)/python -m bench.serve_start

# Not part of `make test`: the scheduled cleanup with 10,000 and 100,000 live records and 10,000 expired
# ones (items read per item deleted).
.PHONY: bench-cleanup cleanup
bench-cleanup: $(STAMP)
	PYTHONPATH=.:layers/csr_common $(BIN)/python -m bench.cleanup

# Runs the scheduled cleanup once on the local server (`make serve` in another terminal; PORT as for it).
cleanup:
	@curl -sS --fail-with-body -X POST "http://127.0.0.1:$${PORT:-3000}/_local/jobs/cleanup"; echo

# Register a machine caller (an app client of the user pool) to one tenant and role: docs/deploy.md. Needs
# TABLE_NAME and AWS credentials, e.g. ARGS="--user-pool-id <id> --tenant utility-a --role portal --name portal".
.PHONY: register-client
register-client: $(STAMP)
	PYTHONPATH=.:layers/csr_common $(BIN)/python -m infra.register_client $(ARGS)

# docs/api.md's routes, statuses, transitions and activity types, written from the OpenAPI document (commit it).
.PHONY: api-reference
api-reference: $(STAMP)
	PYTHONPATH=.:layers/csr_common $(BIN)/python -m infra.api_reference
