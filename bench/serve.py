"""Serve one app under uvicorn (one worker, warnings only, no access or request log) for the bench.

``python bench/serve.py app --port N`` serves the real thriives app, built by
``bootstrap.build()`` from the ``THRIIVES_*`` environment (as in production).
``python bench/serve.py bare --port N`` serves the bare-insert ceiling on an engine made
by ``make_engine`` from the same settings.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parent))


def make_app(kind: str) -> FastAPI:
    from thriives.settings import Settings

    if kind == "app":
        from thriives.adapters.web.app import create_app
        from thriives.bootstrap import build

        return create_app(build())
    from bare_app import create_bare_app

    from thriives.adapters.db.engine import make_engine

    settings = Settings()
    return create_bare_app(make_engine(settings.database_url, settings.db_pool_size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("app", "bare"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # A line per request would flood the bench's output; THRIIVES_REQUEST_LOG=true measures it.
    os.environ.setdefault("THRIIVES_REQUEST_LOG", "false")
    uvicorn.run(make_app(args.kind), host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
