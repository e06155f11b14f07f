"""Headers every answer carries, so a browser holds the pages to what they are.

- ``Content-Security-Policy``: the pages run their own scripts only, from ``/static/``
  (no inline script, no ``eval``: htmx is told ``allowEval: false`` in ``base.html``), take
  styles only from their own style sheets (no ``style`` attribute, no ``<style>``), and are
  never framed by another site (``frame-ancestors 'none'``, with ``X-Frame-Options`` for
  older browsers). A response that sets its own policy (the printable report, whose styles
  and charts are inline by design) keeps it, with ``frame-ancestors 'none'`` added.
- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer``: a reference in
  a path (an incident's) never leaves in a ``Referer``.
- ``Cache-Control: no-store`` on every page and API answer (almost all hold personal data,
  and a shared control-room PC must not keep them); static files keep their own caching.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_PREFIX = "/static/"
POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    headers[name] = value
                own = headers.get("content-security-policy")
                if own is None:
                    headers["Content-Security-Policy"] = POLICY
                elif "frame-ancestors" not in own:
                    headers["Content-Security-Policy"] = f"{own}; frame-ancestors 'none'"
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
