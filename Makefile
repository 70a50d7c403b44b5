# Every target bootstraps .venv on first use, so a fresh clone needs only Python.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NAME ?= digits_cnn
ARGS ?=
# GNU make presets AS to the assembler ("as"); here AS= is a name the user gives (make publish, make recipe DATA=).
ifeq ($(origin AS),default)
AS :=
endif
RUNS ?= runs
PORT ?= 6006
# Which TensorFlow build: cpu (tensorflow-cpu) or gpu (tensorflow[and-cuda]); see pyproject.toml's extras.
TF ?= cpu
STAMP := $(VENV)/.installed-$(TF)
# make test spreads tests over one process per core (pytest-xdist); files with module fixtures stay together.
PYTEST_ARGS ?=
WORKERS ?= 0

.DEFAULT_GOAL := help
.PHONY: help install recipe tune compare publish list show new tensorboard test test-portable lint bench predict export evaluate serve docs docs-serve
help:
	@echo "make recipe [NAME=digits_cnn] [ARGS=\"epochs=5 optimizer.learning_rate=0.01\"] [WORKERS=2]"
	@echo "make recipe NAME=digits_cnn ARGS=\"resume=runs/digits_cnn/<run>\"   # continue an unfinished run"
	@echo "make recipe NAME=table DATA=my.csv TARGET=label [AS=my_name]   # your own data: NAME=table|images|text"
	@echo "make tune [NAME=digits_cnn] [ARGS=\"tuner=hyperband max_trials=20\"] [WORKERS=2]"
	@echo "make compare [NAME=digits_cnn]   # without NAME: every recipe's runs"
	@echo "make publish RUN=runs/<recipe>/<run> [AS=name] [OVERWRITE=1]"
	@echo "make predict RUN=runs/<recipe>/<run> INPUT=rows.csv [OUTPUT=file.csv]   # default: <run>/predictions/; or MODEL=<zoo name>"
	@echo "make export RUN=runs/<recipe>/<run> [FORMAT=saved_model|onnx|litert]"
	@echo "make serve RUN=runs/<recipe>/<run> [PORT=8501] [NAME=...]   # or MODEL=<zoo name>; TF Serving's REST API"
	@echo "make evaluate RUN=runs/<recipe>/<run> [EPISODES=100] [SEED=7]   # a trained agent's greedy return"
	@echo "make show [NAME=digits_cnn] (every key: value, accepted range, meaning)"
	@echo "make new NAME=my_recipe FROM=penguins_tabular   # an editable copy; then make recipe NAME=my_recipe.py"
	@echo "make list | make tensorboard [PORT=6006] | make test | make test-portable | make bench | make lint | make install [TF=gpu]"
	@echo "make docs | make docs-serve [DOCS_PORT=8000]   # the documentation site (MkDocs), built strictly into site/"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@# Switching builds: remove the other one first, since both install the `tensorflow` module.
	@if [ "$(TF)" = gpu ]; then $(PY) -m pip uninstall --quiet -y tensorflow-cpu 2>/dev/null || true; \
	 else $(PY) -m pip uninstall --quiet -y tensorflow 2>/dev/null || true; fi
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev,$(TF)]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

# The export packages (tf2onnx, onnx, onnxruntime, ai-edge-litert) are an extra: make export and make test add them.
EXPORT_STAMP := $(VENV)/.installed-export
$(EXPORT_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[export,$(TF)]"
	@touch $(EXPORT_STAMP)

recipe: $(STAMP)
	@$(PY) -m engine recipe $(NAME) $(ARGS) --runs-dir $(RUNS) --workers $(WORKERS) $(if $(DATA),--data $(DATA)) \
	  $(if $(TARGET),--target $(TARGET)) $(if $(AS),--as $(AS))

tune: $(STAMP)
	@$(PY) -m engine tune $(NAME) $(ARGS) --runs-dir $(RUNS) --workers $(WORKERS)

compare: $(STAMP)
	@$(PY) -m engine compare $(if $(filter-out file,$(origin NAME)),$(NAME)) --runs-dir $(RUNS)

publish: $(STAMP)
	@$(PY) -m engine publish $(RUN) $(if $(AS),--as $(AS)) $(if $(OVERWRITE),--overwrite)

predict: $(STAMP)
	@$(PY) -m engine predict $(or $(RUN),$(MODEL)) $(INPUT) $(if $(OUTPUT),--output $(OUTPUT))

FORMAT ?= saved_model
export: $(EXPORT_STAMP)
	@$(PY) -m engine export $(RUN) --format $(FORMAT)

# TF Serving's REST API on 127.0.0.1: make serve RUN=runs/<recipe>/<run> [PORT=8501] [NAME=...], or MODEL=<zoo name>.
# PORT and NAME have other defaults above (TensorBoard's port, the recipe to train): serve takes them only when given.
SERVE_PORT = $(if $(filter file,$(origin PORT)),8501,$(PORT))
serve: $(STAMP)
	@$(PY) -m engine serve $(or $(RUN),$(MODEL)) --port $(SERVE_PORT) $(if $(filter-out file,$(origin NAME)),--name $(NAME))

list: $(STAMP)
	@$(PY) -m engine list

# An editable copy of a catalog recipe: make new NAME=my_recipe FROM=penguins_tabular, then make recipe NAME=my_recipe.py
FROM ?= digits_cnn
new: $(STAMP)
	@$(PY) -m engine new $(NAME) --from $(FROM)

# Every key a recipe's overrides can set: its value, what it accepts and what it means. make show NAME=iris_mlp
show: $(STAMP)
	@$(PY) -m engine show $(NAME) $(ARGS)

# A trained agent's greedy return: make evaluate RUN=runs/cartpole_dqn/<run> [EPISODES=100] [SEED=7], or RUN=<zoo name>.
EPISODES ?= 100
evaluate: $(STAMP)
	@$(PY) -m engine evaluate $(RUN) --episodes $(EPISODES) $(if $(SEED),--seed $(SEED))

tensorboard: $(STAMP)
	@mkdir -p $(RUNS)
	$(VENV)/bin/tensorboard --logdir $(RUNS) --host 127.0.0.1 --port $(PORT)

test: $(STAMP) $(EXPORT_STAMP)
	$(PY) -m pytest -n auto --dist loadgroup $(PYTEST_ARGS)

# The tests that hold a trained or reproduced figure to a bound (marker `figures`), again under each numeric
# path another CPU may take (benchmarks/numeric_paths.py): TensorFlow's kernels without oneDNN, and oneDNN,
# NumPy and OpenBLAS capped at AVX2. `make test` has already run them on this CPU's own path.
PORTABLE_PATHS ?= no_onednn avx2
test-portable: $(STAMP) $(EXPORT_STAMP)
	@for path in $(PORTABLE_PATHS); do \
	  $(PY) -m benchmarks.numeric_paths $$path -- $(PY) -m pytest -n auto --dist loadgroup -m figures $(PYTEST_ARGS) \
	  || exit 1; done

# Every benchmark runs; the target fails at the end if any of them missed its goal.
BENCHMARKS = catalog transfer pipeline overhead speed sixteen streaming memory rl active_learning curriculum serve cli
bench: $(STAMP)
	@failed=""; for name in $(BENCHMARKS); do $(PY) -m benchmarks.$$name || failed="$$failed $$name"; done; \
	if [ -n "$$failed" ]; then echo "make bench: goals missed by:$$failed"; exit 1; fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# The documentation site (MkDocs with the Material theme, mkdocs.yml): the `docs` extra goes into .venv on first
# use; `make docs` builds it into site/ with --strict (a broken link or reference fails), `make docs-serve` serves
# it on 127.0.0.1.
DOCS_STAMP := $(VENV)/.installed-docs
DOCS_PORT ?= 8000
$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[docs,$(TF)]"
	@touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir site

docs-serve: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs serve --strict --dev-addr 127.0.0.1:$(DOCS_PORT)
