# The two commands of the README, and a few more for developers.
.PHONY: run test lint bench

run:  ## set up and start thriives on SQLite with the fictional demo force
	scripts/ensure-uv
	PATH="$$HOME/.local/bin:$$PATH" uv run --frozen thriives demo

test:  ## the whole test suite (installs PostgreSQL and Chromium when run as root)
	scripts/test

lint:
	PATH="$$HOME/.local/bin:$$PATH" uv run --frozen ruff check src tests bench
	PATH="$$HOME/.local/bin:$$PATH" uv run --frozen mypy

bench:
	PATH="$$HOME/.local/bin:$$PATH" uv run --frozen python bench/open_incidents.py
