"""ASGI entry point for process managers: ``uvicorn --factory thriives.adapters.web.asgi:create``."""

from __future__ import annotations

from fastapi import FastAPI

from thriives.adapters.web.app import create_app
from thriives.bootstrap import build


def create() -> FastAPI:
    return create_app(build())
