# research-ci: every target creates or reuses what it needs. A fresh machine needs only
# python3, make and git: uv is bootstrapped into .tools/, the environment comes from uv.lock.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
# The uv version every environment is bootstrapped with (the action reads the same file).
UV_REQUIREMENT := locks/uv.txt
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
# The TFDV environment is kept apart from the engine's (TFDV pins numpy<2, pandas<2).
# research-ci provisions its own from the same lock on first use; `make test` keeps one here
# (.venv-data, an editable research-ci) so that the suite measures the data code's coverage.
DATA_VENV := .venv-data
DATA_LOCK := locks/data/requirements.txt
DEMO_DIR := build/demo
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install install-data lint format reference test docs demo benchmark clean

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(UV): $(UV_REQUIREMENT)
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check -r $(UV_REQUIREMENT)

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(VENV)/.synced ## Create or update .venv from uv.lock.

$(DATA_VENV)/.synced: $(DATA_LOCK) pyproject.toml | $(UV)
	$(UV) venv --allow-existing --python $(PYTHON) $(DATA_VENV)
	$(UV) pip sync --python $(DATA_VENV)/bin/python $(DATA_LOCK)
	$(UV) pip install --python $(DATA_VENV)/bin/python --no-deps -e .
	@touch $@

install-data: $(DATA_VENV)/.synced ## Create or update the TFDV environment .venv-data.

format: install ## Reformat the code (black, ruff --fix).
	$(BIN)/black scripts tests benchmarks build_hooks
	$(BIN)/ruff check --fix scripts tests benchmarks build_hooks

lint: install ## black --check, ruff, mypy --strict.
	$(BIN)/black --check scripts tests benchmarks build_hooks
	$(BIN)/ruff check scripts tests benchmarks build_hooks
	$(BIN)/mypy

reference: install ## Regenerate docs/rubric.md and docs/cli.md from the code.
	$(BIN)/research-ci rubric --output docs/rubric.md
	$(BIN)/research-ci cli-reference --output docs/cli.md

docs: install ## Build the mkdocs site with --strict (fails when a generated page is stale).
	$(BIN)/research-ci rubric --output docs/rubric.md --check
	$(BIN)/research-ci cli-reference --output docs/cli.md --check
	$(BIN)/mkdocs build --strict --quiet --site-dir build/site

test: install install-data lint docs ## The whole suite: lint, docs, pytest with coverage.
	$(DATA_ENV) \
	$(BIN)/pytest -n 2 --dist loadgroup --cov --cov-report=term --cov-report=xml:build/coverage.xml

DATA_ENV := RESEARCH_CI_DATA_PYTHON=$(CURDIR)/$(DATA_VENV)/bin/python
DEMO_PROJECT := $(DEMO_DIR)/my-research-project

# The demo takes a user's path: no RESEARCH_CI_DATA_PYTHON, no .venv-data. research-ci
# provisions its data environment itself (once, in ~/.cache/research-ci) on the first data run.
demo: install ## Bake a project from the template, check it (code, data, model), badge, summary.
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(BIN)/research-ci new $(DEMO_DIR) --no-input
	@status=0; \
	$(BIN)/research-ci check $(DEMO_PROJECT) || status=$$?; \
	$(BIN)/research-ci data validate --schema $(DEMO_PROJECT)/data/schema.pbtxt \
		--data $(DEMO_PROJECT)/data/serving.csv --environment SERVING \
		--training $(DEMO_PROJECT)/data/train.csv --report $(DEMO_DIR)/serving-report.json \
		--html $(DEMO_DIR)/data-report.html > /dev/null || status=$$?; \
	$(BIN)/research-ci badge $(DEMO_PROJECT) --svg $(DEMO_DIR)/badges && \
	$(BIN)/research-ci summary --report $(DEMO_PROJECT)/.research-ci/report.json && \
	echo && echo "README badge block of $(DEMO_PROJECT):" && \
	sed -n '/research-ci:badges:start/,/research-ci:badges:end/p' $(DEMO_PROJECT)/README.md && \
	echo && echo "Report: $(DEMO_PROJECT)/.research-ci/report.json" && \
	echo "Data report (HTML, offline): $(DEMO_DIR)/data-report.html" && \
	echo "Model report by slice (HTML, offline): $(DEMO_PROJECT)/.research-ci/model/report.html" && \
	echo "SVG badges: $(DEMO_DIR)/badges/"; \
	exit $$status

benchmark: install install-data ## Print the speed figures (check parallelism, data statistics, model analysis).
	$(DATA_ENV) $(BIN)/python benchmarks/bench_check.py
	$(DATA_ENV) $(BIN)/python benchmarks/bench_template.py
	$(DATA_ENV) $(BIN)/python benchmarks/bench_data_stats.py
	$(DATA_ENV) $(BIN)/python benchmarks/bench_data_drift.py
	$(DATA_ENV) $(BIN)/python benchmarks/bench_data_import.py
	$(BIN)/python benchmarks/bench_model.py

clean: ## Remove build output (keeps the environments).
	rm -rf build .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*
