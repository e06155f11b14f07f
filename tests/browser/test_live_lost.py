"""A lost live connection is seen: the board greys, a banner says since when, the clocks are
marked as computed from stale data, and all of it clears when the stream comes back.

The connection is lost as it is at 3 a.m.: the server process stops. The test then starts
the same server again on the same port and database, and the page reconnects by itself.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.adapters.web.test_dispatch_pages import seed_force
from tests.browser.conftest import SERVER_START_SECONDS, LiveServer, _ready
from tests.browser.test_board import graded_call, services

pytestmark = pytest.mark.browser


def _server_pid(port: int) -> int:
    """The ``thriives serve`` child of this test run listening on ``port``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = re.search(r"^PPid:\s+(\d+)$", status, re.M)
        if parent and int(parent[1]) == os.getpid() and f"THRIIVES_PORT={port}".encode() in environ:
            return int(entry.name)
    raise AssertionError(f"no server of this test on port {port}")


class Outage:
    """Stops the test's server and starts the same one again (same port, settings, store)."""

    def __init__(self, live_server: LiveServer, tmp_path: Path) -> None:
        self.live_server, self.tmp_path = live_server, tmp_path
        self.restarted: list[subprocess.Popen[bytes]] = []

    @contextmanager
    def server_down(self) -> Iterator[None]:
        url = self.live_server.url
        port = urlsplit(url).port
        assert port is not None
        pid = _server_pid(port)
        words = Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
        environ = dict(item.split("=", 1) for item in words if "=" in item)
        command = Path(f"/proc/{pid}/cmdline").read_bytes().decode().rstrip("\0").split("\0")
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _ready(url) and time.monotonic() < deadline:
            time.sleep(0.05)
        yield
        with (self.tmp_path / "restarted.log").open("wb") as out:
            again = subprocess.Popen(
                command, env=environ, stdout=out, stderr=subprocess.STDOUT, cwd=self.tmp_path
            )
        self.restarted.append(again)
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not _ready(url):
            assert again.poll() is None and time.monotonic() < deadline, "the server did not start again"
            time.sleep(0.05)


@pytest.fixture
def outage(live_server: LiveServer, tmp_path: Path) -> Iterator[Outage]:
    made = Outage(live_server, tmp_path)
    yield made
    for process in made.restarted:
        process.terminate()
        process.wait(timeout=10)


def test_the_board_greys_and_says_since_when_the_live_updates_were_lost(
    live_server: LiveServer, database_url: str, page: Page, outage: Outage
) -> None:
    with services(database_url) as container:
        seed_force(container)
    reference = graded_call(database_url, live_server.dispatcher, "domestic_incident", ("domestic",))
    live_server.log_in(page, live_server.dispatcher)
    page.goto(f"{live_server.url}/board")
    expect(page.locator("#live-state")).to_have_text("live")
    expect(page.locator("#board-queue")).to_contain_text(reference)
    expect(page.locator("#live-lost")).to_have_count(0)
    board, banner = page.locator("#board"), page.locator("#live-lost")
    clock = page.locator(f'#board-queue tr[data-reference="{reference}"] .clock')
    expect(board).not_to_have_class(re.compile("live-stale"))

    with outage.server_down():
        expect(banner).to_have_text(re.compile(r"^Live updates lost since \d\d:\d\d:\d\d; reconnecting…$"))
        expect(banner).to_have_attribute("role", "alert")
        expect(board).to_have_class(re.compile("live-stale"))
        expect(page.locator("#live-state")).to_have_text("reconnecting…")
        expect(clock).to_have_class(re.compile(r"\bstale\b"))
        expect(clock).to_have_attribute("data-stale-since", re.compile(r"^\d\d:\d\d:\d\d$"))
        assert "grayscale" in board.evaluate("element => getComputedStyle(element).filter")

    expect(page.locator("#live-state")).to_have_text("live", timeout=20_000)
    expect(banner).to_have_count(0)
    expect(board).not_to_have_class(re.compile("live-stale"))
    expect(clock).not_to_have_class(re.compile(r"\bstale\b"))
