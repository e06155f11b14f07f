"""Errors as JSON problem details (RFC 9457), each naming the field and the problem.

Domain errors, validation errors, refused permissions and malformed bodies all end here,
mapped in one place, with a message a call handler can act on. A page request (outside
``/api/``) gets the same answer as a page instead (``error_pages``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from thriives.adapters.web.error_pages import error_page, is_page
from thriives.adapters.web.security_headers import ALWAYS, POLICY
from thriives.domain.errors import DomainError

PROBLEM = "application/problem+json"


class FieldProblem(BaseModel):
    field: str | None
    message: str


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = []


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its ``$defs`` written in place.

    Pydantic's ``#/$defs/...`` references point at the root of the document they sit in;
    inside an OpenAPI document that root is the OpenAPI itself, where they do not resolve,
    so a client or fuzzer could not check an error response against them.
    """
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined


PROBLEM_SCHEMA = _inlined(Problem.model_json_schema())


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of the problem responses a route may give."""
    titles = {
        400: "Malformed request",
        401: "Not logged in",
        403: "Not allowed",
        404: "Not found",
        409: "Conflict",
        422: "Invalid input",
    }
    return {
        status: {
            "description": titles[status],
            "content": {PROBLEM: {"schema": PROBLEM_SCHEMA}},
        }
        for status in statuses
    }


def problem(
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "errors": errors or []}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _with_422_everywhere(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The OpenAPI document, with the 422 problem declared on every operation.

    Any operation may answer 422: a control character in any input is refused before the
    handler runs (``input_guard``), and a path parameter holding one after routing. FastAPI's
    own default 422 (``HTTPValidationError``, ``application/json``) is never what is sent.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = build()
            invalid = problem_responses(422)[422]
            for operations in doc.get("paths", {}).values():
                for operation in operations.values():
                    answers = operation.setdefault("responses", {})
                    declared = answers.get("422", {}).get("content", {})
                    if PROBLEM not in declared:
                        answers["422"] = invalid
            app.openapi_schema = doc
        return app.openapi_schema

    return openapi


def install(app: FastAPI) -> None:
    app.openapi = _with_422_everywhere(app)  # type: ignore[method-assign]

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> Response:
        if is_page(request):
            return await error_page(request, error.status, error.message)
        titles = {404: "Not found", 409: "Conflict", 403: "Not allowed", 401: "Not logged in"}
        return problem(
            error.status,
            titles.get(error.status, "Invalid input"),
            f"{error.field}: {error.message}" if error.field else error.message,
            [{"field": error.field, "message": error.message}],
        )

    @app.exception_handler(PermissionError)
    async def permission_error(request: Request, error: PermissionError) -> Response:
        if is_page(request):
            return await error_page(request, 403, str(error))
        return problem(403, "Not allowed", str(error))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        items = error.errors()
        if any(item.get("type") == "json_invalid" for item in items):
            return problem(
                400,
                "Malformed request",
                "the body is not valid JSON",
                [{"field": "body", "message": "not valid JSON"}],
            )
        errors = [{"field": _location(tuple(item["loc"])), "message": item["msg"]} for item in items]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, "Invalid input", detail, errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        headers = getattr(error, "headers", None)
        if is_page(request) and (error.status_code in (403, 404, 409) or error.status_code >= 500):
            # Starlette's own details ("Not Found") say nothing a user can act on.
            return await error_page(request, error.status_code, "", headers)
        return problem(error.status_code, str(error.detail), str(error.detail), headers=headers)

    @app.exception_handler(Exception)
    async def server_error(request: Request, _error: Exception) -> Response:
        # Starlette re-raises the error after this answer, so the server logs its traceback.
        # This answer is sent from outside every middleware: it takes the headers itself.
        if is_page(request):
            answer: Response = await error_page(request, 500, "")
        else:
            answer = problem(
                500, "Server error", "something went wrong on the server; the change was not saved"
            )
        answer.headers.update(ALWAYS | {"Content-Security-Policy": POLICY, "Cache-Control": "no-store"})
        return answer
