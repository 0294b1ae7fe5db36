# The README's commands. Each works on a fresh machine with only python3 and make:
# the first use creates .venv and installs the project with its test and dev extras.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench run check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

demo: $(STAMP)  ## run the whole pipeline once over the bundled sample feeds (offline, no token)
	$(BIN)/python bot.py demo

test: lint  ## ruff, mypy on alerts/, then pytest with warnings as errors (PostgreSQL and systemd-analyze installed if missing)
	sh scripts/ensure-test-tools
	$(BIN)/python -m pytest -W error

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy alerts

bench: $(STAMP)  ## every benchmark in bench/, each printing ratios against a baseline of the same run
	@status=0; for b in bench/bench_*.py bench/dedup_quality.py; do \
		$(BIN)/python $$b || status=1; echo; done; exit $$status

run: $(STAMP)  ## the service on config.yaml (token from TELEGRAM_BOT_TOKEN)
	$(BIN)/python bot.py run --config config.yaml

check: $(STAMP)
	$(BIN)/python bot.py check --config config.yaml

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
