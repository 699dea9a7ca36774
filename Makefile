# Two commands on a fresh machine (only python3 and pip): `make demo` and `make test`.
# uv is bootstrapped with pip when it is missing; `uv sync --frozen` installs the locked stack.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen

.PHONY: install demo test test-fast proto clean notebooks-strip

install: .venv/.synced

.venv/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

demo: install
	$(RUN) delta plan examples/flox-testbed.yaml --observations examples/flox-observations.csv --no-store
	DELTA_DB=$$(mktemp -d)/demo.sqlite3 $(RUN) delta run examples/flox-testbed.yaml \
		--rounds 3 --epochs 3 --strategy delta --seed 0

test: install
	$(RUN) pytest -q

test-fast: install
	$(RUN) pytest -q -m "not slow"

# Regenerate delta/_proto from proto/delta/v1/delta.proto (tests/test_proto.py fails when stale).
proto: install
	$(RUN) python proto/generate.py

# Clear notebook outputs before committing (tests/test_notebooks.py fails on committed outputs).
notebooks-strip: install
	$(RUN) python notebooks/strip_outputs.py

clean:
	rm -rf .venv .pytest_cache
