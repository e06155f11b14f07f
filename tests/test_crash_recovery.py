"""A real server, killed with SIGKILL while call handlers are opening incidents, on both stores.

What a control room needs from a crash: every incident the server acknowledged is still there,
exactly as acknowledged; nothing is half written (an incident without its journal event or
audit entry, or an event or audit entry about an incident that does not exist); the audit
chain still verifies; and a client that never got its answer can retry with the same
Idempotency-Key and gets the incident it opened, or a new one, never two.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.conftest import AUDIT_KEY_FILE
from tests.conftest import test_settings as settings_for
from tests.stores import free_port
from thriives.adapters.db.tables import audit_log, events, incidents
from thriives.bootstrap import build
from thriives.domain.accounts import Role
from thriives.services.audit import verify_audit

pytestmark = pytest.mark.slow

CLIENTS = 8
KILL_AFTER_ACKS = 60  # SIGKILL once this many incidents are acknowledged ...
KILL_AFTER_SECONDS = 1.0  # ... or this long after the first acknowledgement, if sooner
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 15.0
BODY: dict[str, Any] = {
    "channel": "999",
    "opening_category": "domestic_incident",
    "qualifiers": ["domestic", "child"],
    "caller_phone": "+44 7700 900123",
    "location_text": "14 Larkspur Row, Ashbury",
    "postcode": "th4 7qx",
}


@dataclass
class Attempt:
    key: str
    body: dict[str, Any]
    acknowledged: dict[str, Any] | None = None  # the 2xx body, once the client has read it
    error: str | None = None


@dataclass
class Load:
    attempts: list[Attempt] = field(default_factory=list)
    acks: int = 0
    first_ack: float | None = None
    surprises: list[str] = field(default_factory=list)  # answers that are neither 2xx nor a crash
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log: Path


def _kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the server's whole process group (it leads its own session)."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@contextmanager
def running_server(database_url: str, log: Path) -> Iterator[Server]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("THRIIVES_")}
    env |= {
        "THRIIVES_DATABASE_URL": database_url,
        "THRIIVES_AUDIT_KEY_FILE": str(AUDIT_KEY_FILE),
        "THRIIVES_PORT": str(port),
        "THRIIVES_HOST": "127.0.0.1",
        "THRIIVES_ARGON2_TIME_COST": "1",
        "THRIIVES_ARGON2_MEMORY_KIB": "64",
    }
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-c", "from thriives.adapters.cli.main import app; app()", "serve"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_ready(server)
        yield server
    finally:
        _kill(process)


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"the server exited with {server.process.returncode}:\n"
                f"{server.log.read_text(errors='replace')}"
            )
        try:
            if httpx.get(f"{server.base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(
        f"the server was not ready after {START_TIMEOUT} s:\n{server.log.read_text(errors='replace')}"
    )


def _call_handler(server: Server, headers: dict[str, str], number: int, load: Load) -> None:
    """Open incidents one after another until the server dies or the test says stop."""
    with httpx.Client(base_url=server.base, headers=headers, timeout=REQUEST_TIMEOUT) as client:
        for sequence in itertools.count():
            if load.stop.is_set():
                return
            attempt = Attempt(
                key=f"crash-{uuid.uuid4()}",
                body=BODY
                | {
                    "caller_name": f"Caller {number}-{sequence}",
                    "account": f"crash test call {number}-{sequence}: shouting next door",
                },
            )
            with load.lock:
                load.attempts.append(attempt)
            try:
                response = client.post(
                    "/api/v1/incidents", json=attempt.body, headers={"Idempotency-Key": attempt.key}
                )
            except httpx.HTTPError as error:  # the crash: refused, reset, or cut short
                attempt.error = f"{type(error).__name__}: {error}"
                return
            if response.status_code in (200, 201) and "reference" in response.json():
                attempt.acknowledged = response.json()
                with load.lock:
                    load.acks += 1
                    load.first_ack = load.first_ack or time.monotonic()
            else:
                attempt.error = f"HTTP {response.status_code}"
                with load.lock:
                    load.surprises.append(f"{response.status_code}: {response.text[:500]}")
                return


Rows = list[dict[str, Any]]


def _rows(database_url: str) -> tuple[Rows, Rows, Rows]:
    container = build(settings_for(database_url))
    try:
        with container.engine.connect() as connection:
            found = [dict(r._mapping) for r in connection.execute(select(incidents))]
            journal = [dict(r._mapping) for r in connection.execute(select(events))]
            audited = [dict(r._mapping) for r in connection.execute(select(audit_log))]
        return found, journal, audited
    finally:
        container.close()


def _assert_nothing_half_written(database_url: str) -> list[dict[str, Any]]:
    found, journal, audited = _rows(database_url)
    ids = {row["id"] for row in found}
    references = {row["reference"] for row in found}
    opened = {row["incident_id"] for row in journal if row["kind"] == "incident.opened"}
    collections = [
        row["record_id"]
        for row in audited
        if row["record_type"] == "incident" and row["operation"] == "collection"
    ]
    collected = set(collections)
    assert len(collections) == len(collected), "an incident's collection was audited twice"
    assert ids <= opened, f"incidents without their incident.opened event: {ids - opened}"
    assert references <= collected, f"incidents without their audit entry: {references - collected}"
    orphans = {row["incident_id"] for row in journal if row["incident_id"] is not None} - ids
    assert not orphans, f"events about incidents that do not exist: {orphans}"
    about = {row["record_id"] for row in audited if row["record_type"] == "incident"}
    assert about <= references, f"audit entries about missing incidents: {about - references}"
    assert len(opened) == len([r for r in journal if r["kind"] == "incident.opened"]), (
        "an incident was journalled as opened twice"
    )
    return found


def test_a_killed_server_loses_no_acknowledged_incident_and_half_writes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    container = build(settings_for(database_url))
    try:
        now = container.clock()
        container.accounts.add_user(
            "crashcall", "Crash Caller", Role.CALL_HANDLER, "correct-horse-battery", now
        )
        token = container.accounts.issue_token("crashcall", "crash test", now)
    finally:
        container.close()
    headers = {"Authorization": f"Bearer {token}"}
    log = tmp_path / "server.log"
    load = Load()

    # 1. Load the real server with concurrent call handlers, and SIGKILL it mid-flight.
    with running_server(database_url, log) as server:
        threads = [
            threading.Thread(target=_call_handler, args=(server, headers, n, load), daemon=True)
            for n in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with load.lock:
                acks, first = load.acks, load.first_ack
            waited = time.monotonic() - first if first else 0.0
            if acks >= KILL_AFTER_ACKS or waited >= KILL_AFTER_SECONDS:
                break
            if not any(t.is_alive() for t in threads):
                break
            time.sleep(0.01)
        _kill(server.process)
        load.stop.set()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT + 5)
        assert not any(t.is_alive() for t in threads), "a client thread hung after the kill"

    assert not load.surprises, f"answers that were neither 2xx nor a crash: {load.surprises}"
    acknowledged = [a for a in load.attempts if a.acknowledged is not None]
    unanswered = [a for a in load.attempts if a.acknowledged is None]
    assert acknowledged, f"no incident was acknowledged before the kill; log:\n{log.read_text()}"
    assert unanswered, "the kill came after every request was answered; nothing was in flight"

    # 2. On disk, before any restart: nothing half written, and the audit chain verifies.
    found = _assert_nothing_half_written(database_url)
    by_reference = {row["reference"]: row for row in found}
    for attempt in acknowledged:
        assert attempt.acknowledged is not None
        row = by_reference.get(attempt.acknowledged["reference"])
        assert row is not None, f"acknowledged incident lost: {attempt.acknowledged['reference']}"
        assert (row["caller_name"], row["account"]) == (
            attempt.body["caller_name"],
            attempt.body["account"],
        ), "an acknowledged reference holds another call's details"
    _assert_audit_verifies(database_url)
    on_disk_before_retry = {row["account"]: row["reference"] for row in found}
    assert len(on_disk_before_retry) == len(found), "one call was stored twice"

    # 3. Restart: every acknowledged incident reads back exactly as acknowledged; every
    # unanswered request, retried with its key, finds its incident (200) or opens it (201).
    with (
        running_server(database_url, log) as server,
        httpx.Client(base_url=server.base, headers=headers, timeout=REQUEST_TIMEOUT) as client,
    ):
        for attempt in acknowledged:
            assert attempt.acknowledged is not None
            reference = attempt.acknowledged["reference"]
            read = client.get(f"/api/v1/incidents/{reference}")
            assert read.status_code == 200, read.text
            stored = read.json()
            # opened, and (a domestic-abuse call) queued for supervisor review, in one commit
            assert [e["kind"] for e in stored.pop("timeline")] == ["incident.opened", "review.queued"]
            assert stored.pop("initial_grade") is None  # read back with the incident, never given here
            assert stored == attempt.acknowledged
        for attempt in unanswered + acknowledged[:3]:
            retry = client.post(
                "/api/v1/incidents", json=attempt.body, headers={"Idempotency-Key": attempt.key}
            )
            earlier = on_disk_before_retry.get(attempt.body["account"])
            if earlier is not None:
                assert retry.status_code == 200, (attempt.error, retry.text)
                assert retry.json()["reference"] == earlier
            else:
                assert retry.status_code == 201, (attempt.error, retry.text)
        # Shown with -s or on failure: how much the crash caught in flight.
        print(
            f"crash: {len(acknowledged)} acknowledged, {len(unanswered)} unanswered, "
            f"{sum(a.body['account'] in on_disk_before_retry for a in unanswered)} of those "
            f"committed; errors: {sorted({(a.error or '').split(':')[0] for a in unanswered})}"
        )
        fresh = client.post("/api/v1/incidents", json=BODY | {"account": "after the crash"})
        assert fresh.status_code == 201, fresh.text
        queue = client.get("/api/v1/incidents", params={"limit": 1000})
        assert queue.status_code == 200

    # 4. After the retries: one incident per call, none twice, and still nothing half written.
    found = _assert_nothing_half_written(database_url)
    accounts = [row["account"] for row in found]
    assert len(accounts) == len(set(accounts)), "a retry opened a duplicate incident"
    assert set(accounts) == {a.body["account"] for a in load.attempts} | {"after the crash"}
    assert len(queue.json()) == len(found)
    _assert_audit_verifies(database_url)


def _assert_audit_verifies(database_url: str) -> None:
    container = build(settings_for(database_url))
    try:
        report = verify_audit(container.uow)
        count, findings = report.entries, report.problems()
    finally:
        container.close()
    assert not findings, findings
    assert count > 0
