"""Schemathesis fuzzes the JSON API in-process, on both stores, against its own OpenAPI.

Every generated request (valid and deliberately invalid) is sent with a supervisor's bearer
token, so it reaches the handlers rather than stopping at authentication. The answer must not
be a server error, and its status code, content type, headers and body must be the ones the
OpenAPI document declares.

Schemathesis is driven from inside an ordinary test parametrised by ``database_url``:
``schemathesis.pytest.from_fixture`` would be the natural fit, but schemathesis 4.x renames
``request.node._nodeid``, an attribute pytest 9 no longer has, so it fails before running.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance, response_schema_conformance

from tests.conftest import test_settings as settings_for
from thriives.adapters.web.app import create_app
from thriives.bootstrap import Container, build
from thriives.domain.accounts import Role

PASSWORD = "correct-horse-battery"
MAX_EXAMPLES = 30
# positive_data_acceptance wants every schema-valid request accepted (2xx). The schema cannot
# say everything a valid request is: category, qualifier and closure-reason codes come from the
# force's policy file at run time (GET /api/v1/categories), postcodes and phone numbers are
# checked for their UK form, and a status change must follow the lifecycle from the incident's
# current status. Those requests are rightly refused with a 422 problem naming the field, which
# the schema declares; every other check (server errors, status codes, content types, headers,
# response bodies, rejection of schema-invalid data) runs.
EXCLUDED_CHECKS = [positive_data_acceptance]
# Every answer, error problems included, is checked against the schema the OpenAPI declares
# for it (every $ref resolves: tests/adapters/web/test_security_headers.py).
assert response_schema_conformance not in EXCLUDED_CHECKS
CALL: dict[str, Any] = {
    "channel": "999",
    "opening_category": "domestic_incident",
    "qualifiers": ["domestic"],
    "location_text": "14 Larkspur Row, Ashbury",
    "account": "Shouting next door.",
}


@dataclass
class Fuzzed:
    container: Container
    app: FastAPI
    headers: dict[str, str]


# A one-page PDF: what the report endpoint answers with while fuzzing. Printing with Chromium
# costs about a second a request; the real printer is exercised once per store by
# tests/adapters/web/test_supervision_api.py::test_the_report_prints_to_pdf.
TINY_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def fuzzed(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fuzzed]:
    """The application on a fresh database, with a supervisor's bearer token."""
    monkeypatch.setattr("thriives.adapters.web.supervision_api.print_pdf", lambda html: TINY_PDF)
    container = build(settings_for(database_url))
    now = container.clock()
    container.accounts.add_user("fuzzsup", "Fuzz Supervisor", Role.SUPERVISOR, PASSWORD, now)
    token = container.accounts.issue_token("fuzzsup", "schemathesis", now)
    try:
        yield Fuzzed(container, create_app(container), {"Authorization": f"Bearer {token}"})
    finally:
        container.close()


def _with_policy_codes(strategy: Any, container: Container) -> Any:
    """Positive cases whose policy codes are real, so the happy paths are fuzzed too.

    The free text, channel, times and status stay as schemathesis generates them; category,
    qualifier and closure-reason codes are drawn from the policy; postcode, phone and
    coordinates (checked for their UK form) are dropped so they do not mask the rest.
    """
    policy = container.policy
    categories = sorted(policy.categories)
    qualifiers = sorted(policy.qualifiers)
    reasons = sorted(policy.closure_reasons)

    def fix(drawn: tuple[schemathesis.Case, str, list[str], str, str]) -> schemathesis.Case:
        case, category, quals, reason, asb = drawn
        if not isinstance(case.body, dict):
            return case
        body = dict(case.body)
        chapter = policy.categories[category].chapter
        if "opening_category" in body:
            body["opening_category"] = category
            body["qualifiers"] = quals
            body["asb_qualifier"] = asb if chapter == "asb" else None
        if "closing_category" in body:
            body["closing_category"] = category
            body["closure_reason"] = reason
        for field in ("postcode", "caller_phone", "latitude", "longitude"):
            body.pop(field, None)
        case.body = body
        return case

    return st.tuples(
        strategy,
        st.sampled_from(categories),
        st.lists(st.sampled_from(qualifiers), max_size=3),
        st.sampled_from(reasons),
        st.sampled_from(["personal", "nuisance", "environmental"]),
    ).map(fix)


def _run(strategy: Any, headers: dict[str, str]) -> None:
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=EXCLUDED_CHECKS)

    check()


def test_the_api_conforms_to_its_openapi(fuzzed: Fuzzed) -> None:
    # The SSE stream never ends (it waits for new events for as long as the client listens),
    # so an in-process call to it would hang; its polling twin GET /api/v1/events is fuzzed.
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", fuzzed.app).exclude(
        path="/api/v1/events/stream"
    )

    def open_incident() -> str:
        """A real, open incident, so operations on /incidents/{reference} get past the 404."""
        with TestClient(fuzzed.app) as client:
            opened = client.post("/api/v1/incidents", json=CALL, headers=fuzzed.headers)
        assert opened.status_code == 201, opened.text
        return str(opened.json()["reference"])

    failures: list[str] = []
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations.append(operation.label)
        runs = [
            (mode.value, operation.as_strategy(mode))
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
        if operation.method.upper() == "POST":
            # Each changing operation gets an incident of its own, so one does not close the
            # incident another one needs open.
            fixed = {"reference": open_incident()} if "{reference}" in operation.path else None
            runs.append(
                (
                    "positive, policy codes",
                    _with_policy_codes(
                        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed),
                        fuzzed.container,
                    ),
                )
            )
        elif "{reference}" in operation.path:
            runs.append(
                (
                    "positive, real reference",
                    operation.as_strategy(
                        GenerationMode.POSITIVE, path_parameters={"reference": open_incident()}
                    ),
                )
            )
        for name, strategy in runs:
            try:
                _run(strategy, fuzzed.headers)
            except Unsatisfiable as error:
                # Negative mode has nothing to make invalid in an operation without parameters.
                if name != GenerationMode.NEGATIVE.value:
                    failures.append(f"{operation.label} ({name}):\n{error}")
            except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - report them all
                failures.append(f"{operation.label} ({name}):\n{error}")
    assert "POST /api/v1/incidents" in operations and len(operations) >= 10, operations
    assert not failures, "\n\n".join(failures)
