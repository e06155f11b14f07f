"""The tamper suite: every way an insider could rewrite the audit is found, on both stores.

Each case fills a store (incidents, an assessment and a DASH record), takes a signed
checkpoint, tampers as the database owner would (never holding the audit key) and
verifies against the checkpoint. The table of results
is printed (``-s``) and asserted.
"""

from __future__ import annotations

import pytest

from tests.audit_tamper import CASES, Case, assess_one, tamper
from tests.conftest import FakeClock, People
from thriives.bootstrap import Container
from thriives.domain.accounts import Role
from thriives.domain.incidents import Channel, Contact
from thriives.services.audit import AuditReport, take_checkpoint, verify_audit


def fill(container: Container, people: People, clock: FakeClock) -> None:
    actor = people(Role.SUPERVISOR)
    for _ in range(5):
        container.incidents.open(actor, Contact(Channel.NON_EMERGENCY, clock(), "crime_theft"), clock())
    assess_one(container, actor, clock())


def checkpointed(container: Container, people: People, clock: FakeClock) -> list[str]:
    fill(container, people, clock)
    report, line = take_checkpoint(container.uow, clock())
    assert report.intact and line is not None, report.problems()
    return [line]


def test_an_untouched_store_verifies_against_its_checkpoint(
    container: Container, people: People, clock: FakeClock
) -> None:
    lines = checkpointed(container, people, clock)
    fill(container, people, clock)  # written after the checkpoint: still intact
    report = verify_audit(container.uow, lines)
    assert report.intact, report.problems()
    assert report.entries == 18 and report.events == 18 and report.checkpoints == 1
    assert report.rows == {"assessments": 2, "dash_assessments": 2}
    assert report.legacy_rows == {"assessments": 0, "dash_assessments": 0}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_tampering_is_detected(
    container: Container, people: People, clock: FakeClock, owner_url: str, case: Case
) -> None:
    lines = checkpointed(container, people, clock)
    tamper(owner_url, case)
    report: AuditReport = verify_audit(container.uow, lines)
    assert not report.intact, f"{case.name}: went unnoticed"
    RESULTS[(container.engine.dialect.name, case.name)] = report.problems()[0]


RESULTS: dict[tuple[str, str], str] = {}


def test_print_the_tamper_table() -> None:
    """Runs last in the file: the table of what was detected, and how."""
    if not RESULTS:
        pytest.skip("no tamper case ran")
    print("\ncase | store | detected as")
    for (store, name), problem in sorted(RESULTS.items(), key=lambda item: (item[0][1], item[0][0])):
        print(f"{name} | {store} | {problem}")
