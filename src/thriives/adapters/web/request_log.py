"""One line per request on the server's output: method, path, status, milliseconds, user.

``GET /incidents/TH-261126-0042 200 12.4ms dispatcher``. The path only, never the query
string (a search's terms are personal data); ``-`` when nobody is logged in. A plain ASGI
middleware, so the live streams pass through unbuffered; a stream's line is written when it
ends. The user is the one ``identity`` recognised for the request (``scope["state"]``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

USER_KEY = "thriives_username"


class RequestLog:
    def __init__(self, app: ASGIApp, logger: logging.Logger) -> None:
        self.app = app
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state: dict[str, Any] = scope.setdefault("state", {})
        status = 500  # unless a response starts: an error that escaped every handler

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            self.logger.info(
                "%s %s %d %.1fms %s",
                scope["method"],
                scope["path"],
                status,
                elapsed,
                state.get(USER_KEY) or "-",
            )
