# Everything runs from .venv, built from pyproject.toml with versions pinned by constraints.txt.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: docs site demo test lint typecheck pytest pytest-fast emulator bench bench-emulator bench-alibaba bench-memory clean lock lambda-zip fc-zip

demo: $(STAMP)
	$(BIN)/cloudsweep demo

test: $(STAMP) lint typecheck site pytest

lint: $(STAMP)
	$(BIN)/ruff check scanner checks emulator tests bench scripts
	$(BIN)/ruff format --check scanner checks emulator tests bench scripts
	$(BIN)/hadolint --no-color --failure-threshold style Dockerfile

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy scripts

# The suite starts about 200 Python processes (CLI scans, workers, emulators). Each reads cloudsweep's, the
# emulator's and the tests' bytecode from __pycache__ (ignored by git), even where the environment sets
# PYTHONDONTWRITEBYTECODE: otherwise every one of them compiles them from source again.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest

pytest: $(STAMP)
	$(PYTEST) -n auto

# The tests marked slow (over 1 s each, 144 of them) left out, for the edit loop; `make test` and CI run every test.
pytest-fast: $(STAMP)
	$(PYTEST) -n auto -m 'not slow'

# The documentation site (mkdocs.yml, docs/): strict, so a page left out of the nav, a broken link or a missing anchor
# fails it. Part of `make test`; nothing is fetched. build/ is ignored by git.
SITE := build/site
site: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir $(SITE)

# docs/checks.md and docs/alibaba-checks.md come from the checks' metadata; tests/test_check_docs.py fails when stale.
# Then the site, from the regenerated pages. `make test` builds the site without regenerating, so that a stale page
# fails the test rather than being rewritten.
docs: $(STAMP)
	$(BIN)/python -m scanner.check_docs > docs/checks.md
	$(BIN)/python -m scanner.check_docs --cloud alibaba > docs/alibaba-checks.md
	$(BIN)/mkdocs build --strict --site-dir $(SITE)

emulator: $(STAMP)
	$(BIN)/cloudsweep emulator --seed demo

# sample-style vs threaded boto3 vs cloudsweep on a synthetic AWS (workloads a, b, c and a memory pair): ~5 minutes.
bench: $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python bench/run.py $(BENCH_ARGS)

bench-emulator: $(STAMP)
	$(BIN)/python bench/emulator_startup.py 5

# A periodic Alibaba Cloud Config rule: the handler against a sample-style sequential baseline (~15 s).
bench-alibaba: $(STAMP)
	$(BIN)/python bench/alibaba_periodic.py

bench-memory: $(STAMP)
	$(BIN)/python bench/memory_scaling.py

$(STAMP): pyproject.toml emulator/pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,alibaba]' -e ./emulator
	touch $(STAMP)

# Re-resolve the pins (needs the package registry); commit the result.
lock:
	rm -rf /tmp/cloudsweep-lock && $(PYTHON) -m venv /tmp/cloudsweep-lock
	/tmp/cloudsweep-lock/bin/pip install --quiet -e '.[dev,lambda,alibaba]' -e ./emulator
	/tmp/cloudsweep-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

# dist/cloudsweep-lambda.zip for the Lambda python3.12 runtime on x86_64 (manylinux wheels, pinned by constraints.txt).
# Downloads from the package registry, so it is not part of `make test`.
lambda-zip: $(STAMP)
	$(BIN)/python scripts/build_lambda_zip.py

# dist/cloudsweep-fc.zip: the same build for Alibaba Cloud Function Compute (python3.12, handler index.handler).
fc-zip: $(STAMP)
	$(BIN)/python scripts/build_lambda_zip.py --function-compute

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
