"""Control characters are refused at the door, naming the field, before any handler runs.

A NUL byte cannot be stored by PostgreSQL (a server error) and is stored silently by SQLite;
other control characters are never typed by a call handler and only hide text on screens and
in reports. So every request is read once for them, in one place, whoever it is from (the
log-in form included): the path's parameters, the query string, and a JSON or form body.

1. Path parameters are checked once the request is routed (``path_parameters``, a dependency
   of every route), so a refusal names the parameter (``reference``).
2. Query parameters are named by their key.
3. A JSON body is walked and a value named by its dotted path (``people.0.name``), as the
   validation errors name it; a form field by its name.
4. Tab, line feed and carriage return are allowed in bodies (a text area sends them); nowhere
   else. NUL, the other C0 controls, DEL and unpaired surrogates are refused everywhere.

The answer is a 422 problem for the API and a page for the pages, and nothing is written:
the request never reaches a handler.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from thriives.adapters.web.error_pages import error_page, is_page
from thriives.adapters.web.problems import problem
from thriives.domain.errors import DomainError

ANYWHERE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
IN_A_BODY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
MESSAGE = "contains a control character (such as NUL); remove it"
NESTED = {"field": "body", "message": "nests too deeply"}
MULTIPART = "multipart/form-data"
READ_BODIES = ("application/json", "application/problem+json", "application/x-www-form-urlencoded", MULTIPART)
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a JSON value (keys too), with its dotted path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            yield where, str(key)  # a key is a field name: refused as its path
            yield from _strings(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}" if path else str(index))


def _pairs(text: str) -> list[tuple[str, str]]:
    return parse_qsl(text, keep_blank_values=True)


def _in_pairs(pairs: Sequence[tuple[str, str]], pattern: re.Pattern[str]) -> str | None:
    for key, value in pairs:
        if pattern.search(key) or pattern.search(value):
            return key
    return None


async def path_parameters(request: Request) -> None:
    """Refuse a path parameter holding a control character (a dependency of every route)."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and ANYWHERE.search(value):
            raise DomainError(f"the {name} in the address {MESSAGE}", name)


def _in_body(kind: str, body: bytes) -> str | None:
    text = body.decode("utf-8", "replace")
    if kind.startswith("application/x-www-form-urlencoded"):
        return _in_pairs(_pairs(text), IN_A_BODY)
    try:
        data = json.loads(text)
        found = next((where for where, value in _strings(data, "") if IN_A_BODY.search(value)), None)
    except ValueError:
        return None  # not JSON: the handler's own validation says so
    except RecursionError:
        raise TooDeep() from None
    return (found or "body") if found is not None else None


async def _in_multipart(scope: Scope, body: bytes) -> str | None:
    """A multipart form's text fields (no route takes a file, but ``request.form()`` reads
    this form too, so a NUL could come in by it)."""

    async def nothing_more() -> Message:
        return {"type": "http.disconnect"}

    try:
        form = await Request(scope, _replay(body, nothing_more)).form()
    except Exception:  # noqa: BLE001 - a malformed form: the handler's own parsing says so
        return None
    for key, value in form.multi_items():
        if IN_A_BODY.search(key) or (isinstance(value, str) and IN_A_BODY.search(value)):
            return key
    return None


class TooDeep(Exception):
    """A JSON body nested deeper than Python reads: a malformed request (400), not a crash."""


class InputGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("utf-8", "replace")
        field = _in_pairs(_pairs(query), ANYWHERE)
        kind = dict(scope.get("headers", [])).get(b"content-type", b"").decode("latin-1").lower()
        if field is None and scope["method"] in UNSAFE and kind.startswith(READ_BODIES):
            body = await _read(receive)
            try:
                field = (
                    await _in_multipart(scope, body) if kind.startswith(MULTIPART) else _in_body(kind, body)
                )
            except TooDeep:
                too_deep = problem(400, "Malformed request", "body: nests too deeply", [NESTED])
                await too_deep(scope, receive, send)
                return
            receive = _replay(body, receive)
        if field is None:
            await self.app(scope, receive, send)
            return
        field = ANYWHERE.sub("?", field)  # a name at fault itself is shown without them
        request = Request(scope)
        if is_page(request):
            response = await error_page(request, 422, f"{field}: {MESSAGE}")
        else:
            response = problem(
                422, "Invalid input", f"{field}: {MESSAGE}", [{"field": field, "message": MESSAGE}]
            )
        await response(scope, receive, send)


async def _read(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, then: Receive) -> Receive:
    """The body read, once; afterwards the client's own messages (its disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await then()

    return receive
