# Every target sets itself up: a fresh clone needs only `make run` or `make test`.
PYTHON ?= $(shell command -v python3.12 || (pyenv which python3.12 2>/dev/null) || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-cluster lint bench clean data data-check app validate

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Python >= 3.12 is needed (found " + sys.version.split()[0] + "); see .python-version")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,app]"
	touch $(STAMP)

# make run: the experiment compare_strategies (seven strategies and the baseline x RUN_SEEDS seeds, paired) on the
# Nièvre: about 2.5 minutes on 2 cores with 5 seeds (README, "Quick start"); make run RUN_SEEDS=10 for tighter
# intervals, RUN_SEEDS=3 for a quicker look.
RUN_SEEDS ?= 5
RUN_LAUNCHER ?= hydra/launcher=joblib hydra.launcher.n_jobs=2

run: $(STAMP)
	$(BIN)/lieux experiment=compare_strategies seeds=$(RUN_SEEDS) $(RUN_LAUNCHER)

# make app: the dashboard (Run, Compare, Place) on http://localhost:$(APP_PORT); Ctrl-C stops it.
APP_PORT ?= 8765

app: $(STAMP)
	$(BIN)/lieux-app --port $(APP_PORT)

test: $(STAMP)
	$(BIN)/python -m pytest -q

# make test-cluster: the opt-in launcher tests (Ray, Submitit/SLURM; about 2-3 minutes) after installing the cluster
# extra into the environment (it moves joblib back to 1.5.3: hydra-ray-launcher requires cloudpickle<3)
CLUSTER_STAMP := $(VENV)/.cluster-installed

$(CLUSTER_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[test,app,cluster]"
	touch $(CLUSTER_STAMP)

test-cluster: $(CLUSTER_STAMP)
	$(BIN)/python -m pytest -q tests/test_launchers.py --run-cluster

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/ruff format --check src tests scripts benchmarks

# make validate: the baseline against every field pattern of docs/ODD.md 1 (5 seeds, about 2 minutes)
validate: $(STAMP)
	$(BIN)/lieux-validate --seeds 5

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_run.py

data: $(STAMP)
	$(BIN)/python scripts/build_nievre.py
	$(BIN)/python scripts/build_france.py

# make data-check: rebuild the national extract in memory and name what differs from data/france/ (exit 1)
data-check: $(STAMP)
	$(BIN)/python scripts/build_france.py --check

clean:
	rm -rf $(VENV) results/runs results/sweeps
