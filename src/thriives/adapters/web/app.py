"""The FastAPI application, built from a container (never at import time)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from thriives.adapters.web import (
    account_pages,
    api,
    assessment_api,
    assessment_pages,
    dispatch_api,
    dispatch_pages,
    follow_up_api,
    initial_grade_api,
    initial_grade_pages,
    intel_api,
    intel_pages,
    links_api,
    links_pages,
    live,
    pages,
    problems,
    reassessment_api,
    supervision_api,
    supervision_pages,
    units_api,
)
from thriives.adapters.web.feed import store_feed
from thriives.adapters.web.identity import LoginRequired
from thriives.adapters.web.input_guard import InputGuard, path_parameters
from thriives.adapters.web.request_log import RequestLog
from thriives.adapters.web.route_permissions import write_permission
from thriives.adapters.web.security_headers import SecurityHeaders
from thriives.adapters.worker import InProcessWorker
from thriives.bootstrap import Container, request_logger

STATIC = Path(__file__).parent / "static"
# The API docs' assets are served from here, never from a CDN: a control room may be offline.
SWAGGER_UI = "5.36.0"
API_DOCS = f"""<!doctype html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <title>thriives API</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/static/vendor/swagger-ui-{SWAGGER_UI}.css">
</head>
<body>
  <div id="swagger-ui" data-openapi="/api/v1/openapi.json"></div>
  <script src="/static/vendor/swagger-ui-bundle-{SWAGGER_UI}.js"></script>
  <script src="/static/api_docs.js"></script>
</body>
</html>
"""


def create_app(container: Container) -> FastAPI:
    feed = store_feed(container)
    worker = InProcessWorker(container) if container.settings.worker_in_process else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if worker is not None:
            worker.start()
        yield
        await feed.stop()
        if worker is not None:
            worker.stop()

    app = FastAPI(
        title="thriives",
        version="0.1.0",
        description="Control-room and public-protection system: JSON API",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served below with vendored assets
        redoc_url=None,
        lifespan=lifespan,
        # Path parameters refused for control characters; who may use each write route: one table.
        dependencies=[Depends(path_parameters), Depends(write_permission)],
    )
    app.state.container = container
    app.state.feed = feed
    problems.install(app)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _error: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.get("/api/v1/docs", include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        """The interactive API documentation, with its scripts and styles from this server
        (started by ``api_docs.js``, not an inline script, so the page keeps the strict CSP)."""
        return HTMLResponse(API_DOCS)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "alive"}

    @app.get("/readyz", tags=["health"], responses={503: {"description": "database unreachable"}})
    async def readyz() -> JSONResponse:
        """The database answers."""

        def ping() -> None:
            with container.engine.connect() as connection:
                connection.execute(text("SELECT 1"))

        try:
            await run_in_threadpool(ping)
        except Exception as error:  # noqa: BLE001 - any failure means not ready
            return JSONResponse({"status": "unready", "detail": type(error).__name__}, 503)
        return JSONResponse({"status": "ready"})

    app.include_router(links_api.router)  # before api: /incidents/search is not a reference
    app.include_router(api.router)
    app.include_router(assessment_api.router)
    app.include_router(intel_api.router)
    app.include_router(dispatch_api.router)
    app.include_router(initial_grade_api.router)
    app.include_router(units_api.router)
    app.include_router(reassessment_api.router)
    app.include_router(follow_up_api.router)
    app.include_router(supervision_api.router)
    app.include_router(live.router)
    app.include_router(links_pages.router)  # before pages: /incidents/search is a page
    app.include_router(pages.router)
    app.include_router(account_pages.router)
    app.include_router(assessment_pages.router)
    app.include_router(intel_pages.router)
    app.include_router(dispatch_pages.router)
    app.include_router(initial_grade_pages.router)
    app.include_router(supervision_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(InputGuard)
    app.add_middleware(SecurityHeaders)
    logger = request_logger(container.settings)
    if logger is not None:
        app.add_middleware(RequestLog, logger=logger)
    return app
