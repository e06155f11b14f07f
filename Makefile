# The two commands of the README, and a few more for developers.
.PHONY: run test lint bench bench-scale bench-dispatch bench-compliance

run:  ## set up and start thriives on SQLite with the fictional demo force
	scripts/ensure-uv
	scripts/uv run --frozen thriives demo

test:  ## the whole test suite (installs PostgreSQL and Chromium when run as root)
	scripts/test

lint:
	scripts/uv run --frozen ruff check src tests bench
	scripts/uv run --frozen ruff format --check src tests bench
	scripts/uv run --frozen mypy

bench:
	scripts/uv run --frozen python bench/open_incidents.py
	scripts/uv run --frozen python bench/save_assessments.py
	scripts/uv run --frozen python bench/grading_pure.py
	scripts/uv run --frozen python bench/intel_search_quality.py
	scripts/uv run --frozen python bench/deadlines.py --quick
	scripts/uv run --frozen python bench/board_stream.py --quick
	scripts/uv run --frozen python bench/call_to_unit.py --quick

bench-scale:  ## call-time search at 1,000,000 people on both stores (the first run builds them: long)
	scripts/uv run --frozen python bench/intel_search_scale.py

bench-dispatch:  ## 10,000 deadlines firing and 300 live-board subscribers, both stores (about 6 minutes)
	scripts/uv run --frozen python bench/deadlines.py
	scripts/uv run --frozen python bench/board_stream.py

bench-compliance:  ## the compliance dashboard over a year of 500,000 incidents, both stores (the first run builds them: about 8 minutes more)
	scripts/uv run --frozen python bench/compliance_dashboard.py
