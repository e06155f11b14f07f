"""Browser tests: Debian's Chromium, driven by Playwright, against the real server process.

The server is started as ``thriives serve`` in a subprocess with its settings in the
environment, on a free loopback port, once per test and per store (``database_url`` is
parametrised over SQLite and PostgreSQL), so each test sees an empty force with two users.
No ``playwright install``: Chromium comes from ``apt-get install chromium``. When it is
missing the browser tests are skipped, or fail when ``CI`` is set.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import AUDIT_KEY_FILE, PASSWORD, test_settings
from tests.stores import free_port, in_ci
from thriives.adapters.web.compliance_report import CHROMIUM as PRINTER_CHROMIUM
from thriives.adapters.web.compliance_report import CHROMIUM_ARGS as PRINTER_ARGS
from thriives.bootstrap import build
from thriives.domain.accounts import Role

# The same Chromium, launched the same way, as the compliance report's PDF printer.
CHROMIUM, CHROMIUM_ARGS = PRINTER_CHROMIUM, PRINTER_ARGS
SERVER_START_SECONDS = 30.0


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium with no network chatter; pytest-playwright passes this to launch()."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found; apt-get install chromium"
        if in_ci():
            pytest.fail(f"Chromium is required in CI: {message}")
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A control-room desk screen, British English, the force's time zone."""
    return {
        **browser_context_args,
        "viewport": {"width": 1366, "height": 768},
        "locale": "en-GB",
        "timezone_id": "Europe/London",
    }


@dataclass(frozen=True)
class LiveServer:
    url: str
    handler: str
    dispatcher: str
    password: str
    log: Path

    def log_in(self, page: Page, username: str, password: str | None = None) -> None:
        """Log in through the form, as a person would."""
        page.goto(f"{self.url}/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password or self.password)
        page.get_by_role("button", name="Log in").click()


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=1) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@pytest.fixture
def live_server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """``thriives serve`` in a subprocess on the test's database, with two users."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "THRIIVES_DATABASE_URL": database_url,
        "THRIIVES_AUDIT_KEY_FILE": str(AUDIT_KEY_FILE),
        "THRIIVES_HOST": "127.0.0.1",
        "THRIIVES_PORT": str(port),
        "THRIIVES_ARGON2_TIME_COST": "1",
        "THRIIVES_ARGON2_MEMORY_KIB": "64",
        "THRIIVES_EVENT_POLL_SECONDS": "0.1",
        "THRIIVES_DB_POOL_SIZE": "4",
        "THRIIVES_DEMO": "false",
    }
    log = tmp_path / "server.log"
    # The CLI module has no ``__main__`` guard, so call its typer app directly.
    command = [sys.executable, "-c", "from thriives.adapters.cli.main import app; app()", "serve"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        # Users are made while the server process is still importing: it starts faster so.
        container = build(test_settings(database_url))
        try:
            now = container.clock()
            container.accounts.add_user("handler", "Hana Handler", Role.CALL_HANDLER, PASSWORD, now)
            container.accounts.add_user("dispatcher", "Dev Dispatcher", Role.DISPATCHER, PASSWORD, now)
        finally:
            container.close()
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not _ready(url):
            if process.poll() is not None:
                pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"server not ready after {SERVER_START_SECONDS} s:\n{log.read_text()}")
            time.sleep(0.05)
        yield LiveServer(url, "handler", "dispatcher", PASSWORD, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(autouse=True)
def _short_timeouts() -> None:
    """Fail in seconds, not the default 30 s, when something on a page is missing."""
    expect.set_options(timeout=10_000)
