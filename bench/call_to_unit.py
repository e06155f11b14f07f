"""From "call opened" to "unit assigned" for an emergency: the quick-grade path beside the
full-assessment path, on SQLite then PostgreSQL.

One command: ``scripts/uv run --frozen python bench/call_to_unit.py`` (``--quick`` for a
short run). For each store, on a fresh database with a small force (one station, its units):

1. A browser script (Playwright, Debian's Chromium) against the real app under uvicorn
   (``bench/serve.py app``): a call handler opens a domestic-abuse call and a dispatcher
   sends a unit. Every key press (and every run of typed text) is one keyboard action; the
   script counts them, and sums the server time of the requests each one caused (time to
   first byte of each request, as the browser measured it). The quick path: Alt+G, the
   reason, Enter; the dispatcher opens the incident from the board, Tab, Enter. The full
   path: every THRIIVES factor rated with its rationale and the advice recorded, by Tab,
   arrow keys, Space and typing, then Ctrl+Enter; then the same three dispatcher actions.
2. The same HTTP requests from 32 concurrent simulated handlers (one keep-alive connection
   each, bench/lean_http.py; API tokens): open the call, grade it (quick grade, or the full
   assessment), read the recommendations, assign. Each assigned unit is then taken away
   again (not measured) so the force never runs dry. Twice:
   - at a handler's pace (the goal): each handler pauses before each action for a random
     0.5 to 1.5 s (1 s on average; faster than any person: the reason alone is a sentence
     to type). Staggered starts, so the 32 do not move in step.
   - flat out (the saturation figure, reported, not a goal): no pause at all, a closed loop.
     The server is then never idle, so each action's latency is mostly its place in the
     queue; the figure shows how much a single server can take: paths per second, and per
     hour.
   p99 latency per action; the ceiling in the same run is a bare ``GET /healthz`` at the
   same concurrency, flat out.

Goals (PASS/FAIL, exit 1 on FAIL): the quick path takes at most 6 keyboard actions, and
each of its actions has a p99 of at most 300 ms at 32 concurrent handlers at a handler's
pace on each store. The full-assessment path, and both paths flat out, are reported beside
it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, Request, sync_playwright
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_stores import STORES, Store, free_port  # noqa: E402
from harness import serving  # noqa: E402
from lean_http import Connection  # noqa: E402

from thriives.adapters.db.migrate import upgrade  # noqa: E402
from thriives.adapters.db.tables import districts, stations, units  # noqa: E402
from thriives.adapters.web.compliance_report import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from thriives.bootstrap import build  # noqa: E402
from thriives.domain.accounts import Role  # noqa: E402
from thriives.settings import Settings  # noqa: E402

PASSWORD = "bench-password-not-secret"
STATION = (52.30, -1.50)
MAX_ACTIONS = 6
MAX_P99_MS = 300.0
CLIENTS = 32
PAUSE_S = (0.5, 1.5)  # a handler's pause before each action, at a handler's pace
UNITS = 200
BROWSER_UNITS = 4
CALL = {
    "channel": "999",
    "opening_category": "domestic_incident",
    "qualifiers": ["domestic"],
    "account": "He's come back, he's banging on the door, please hurry.",
    "latitude": STATION[0] + 0.004,
    "longitude": STATION[1],
}
REASON = "partner at the door now, kicking it in"


def progress(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def prepare(store: Store, unit_count: int) -> dict[str, str]:
    """Migrate; add a handler and a dispatcher with API tokens; one station and its units."""
    container = build(Settings(database_url=store.url))
    try:
        upgrade(container.engine)
        now = datetime.now(UTC)
        tokens = {}
        for username, role in (("handler", Role.CALL_HANDLER), ("dispatcher", Role.DISPATCHER)):
            container.accounts.add_user(username, username.title(), role, PASSWORD, now)
            tokens[username] = container.accounts.issue_token(username, "call_to_unit bench", now)
        with container.uow(write=True) as uow:
            c = uow.connection
            c.execute(insert(districts), [{"code": "TC", "name": "Thorn City", "kind": "urban"}])
            c.execute(
                insert(stations),
                [
                    {
                        "code": "TCS",
                        "name": "Thorn Central",
                        "district_code": "TC",
                        "latitude": STATION[0],
                        "longitude": STATION[1],
                    }
                ],
            )
            c.execute(
                insert(units),
                [
                    {
                        "call_sign": f"TC-{n:04d}",
                        "unit_type": "response",
                        "station_code": "TCS",
                        "skills": [],
                        "status": "available",
                        "latitude": STATION[0] + n * 1e-5,
                        "longitude": STATION[1],
                        "version": 1,
                    }
                    for n in range(unit_count)
                ],
            )
            uow.commit()
        return tokens
    finally:
        container.close()


# ---- 1. the browser script ------------------------------------------------------------------


class Actions:
    """Counts keyboard actions and the server time of the requests each one caused."""

    def __init__(self, *pages: Page) -> None:
        self.done: list[tuple[str, float]] = []
        self._finished: list[tuple[float, float]] = []  # (when, server ms)
        for page in pages:
            page.on("requestfinished", self._record)

    def _record(self, request: Request) -> None:
        if "/static/" in request.url or request.url.endswith("/stream"):
            return
        timing = request.timing
        if timing["responseStart"] >= 0 and timing["requestStart"] >= 0:
            self._finished.append((time.monotonic(), timing["responseStart"] - timing["requestStart"]))

    def do(self, name: str, act: Callable[[], None], settle: Callable[[], None] | None = None) -> None:
        start = time.monotonic()
        act()
        if settle is not None:
            settle()
        self.done.append((name, start))

    def server_ms(self) -> float:
        if not self.done:
            return 0.0
        first = self.done[0][1]
        return sum(ms for when, ms in self._finished if when >= first)


def _log_in(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda u: "/login" not in u)


def _open_call(page: Page, url: str) -> str:
    page.goto(f"{url}/calls/new")
    page.get_by_label("Caller's account, in their words").fill(CALL["account"])  # type: ignore[arg-type]
    page.get_by_label("Opening category").select_option("domestic_incident")
    page.locator("input[name=qualifiers][value=domestic]").check()
    page.get_by_role("button", name="Open incident").click()
    page.wait_for_url("**/assess")
    page.wait_for_load_state("networkidle")
    return page.url.split("/")[-2]


def _focused(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement ? document.activeElement.id : ''"))


def _tab_to(actions: Actions, page: Page, element_id: str, limit: int = 300) -> None:
    for _ in range(limit):
        if _focused(page) == element_id:
            return
        actions.do("Tab", lambda: page.keyboard.press("Tab"))
    raise RuntimeError(f"Tab never reached #{element_id}")


def _dispatch(actions: Actions, desk: Page, url: str, reference: str) -> None:
    actions.do(
        "open the incident from the board",
        lambda: desk.goto(f"{url}/board/incidents/{reference}"),
        lambda: desk.wait_for_selector("#recommended input[type=radio]:focus"),
    )
    actions.do("Tab", lambda: desk.keyboard.press("Tab"))
    actions.do(
        "Enter (assign)", lambda: desk.keyboard.press("Enter"), lambda: desk.wait_for_selector("#held-unit")
    )


def browser_paths(url: str) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for path in ("quick", "full"):
                call = browser.new_context(locale="en-GB", timezone_id="Europe/London").new_page()
                desk = browser.new_context(locale="en-GB", timezone_id="Europe/London").new_page()
                _log_in(call, url, "handler")
                _log_in(desk, url, "dispatcher")
                reference = _open_call(call, url)
                actions = Actions(call, desk)
                opened = time.monotonic()
                if path == "quick":
                    _quick_grade(actions, call)
                else:
                    _full_assessment(actions, call)
                _dispatch(actions, desk, url, reference)
                desk.wait_for_timeout(300)  # let the last requests' timings land
                results[path] = {
                    "keyboard_actions": len(actions.done),
                    "server_ms": round(actions.server_ms(), 1),
                    "seconds": round(time.monotonic() - opened, 2),
                }
                call.context.close()
                desk.context.close()
        finally:
            browser.close()
    return results


def _quick_grade(actions: Actions, page: Page) -> None:
    actions.do("Alt+G", lambda: page.keyboard.press("Alt+g"))
    actions.do("type the reason", lambda: page.keyboard.type(REASON))
    actions.do(
        "Enter (Emergency)",
        lambda: page.keyboard.press("Enter"),
        lambda: page.wait_for_selector("#ig-record"),
    )


def _full_assessment(actions: Actions, page: Page) -> None:
    """Rate every factor low with a rationale, record the advice, save: keyboard only."""
    page.locator("body").focus()
    for level in page.locator("input[id^='level-'][id$='-none']").all():
        code = str(level.get_attribute("id"))[len("level-") : -len("-none")]
        _tab_to(actions, page, f"level-{code}-none")
        actions.do("ArrowRight (low)", lambda: page.keyboard.press("ArrowRight"))
        _tab_to(actions, page, f"rationale_{code}")
        actions.do("type the rationale", lambda: page.keyboard.type("as the caller said"))
    for given in page.locator("input[id^='advice-'][id$='-given']").all():
        _tab_to(actions, page, str(given.get_attribute("id")))
        actions.do("Space (given)", lambda: page.keyboard.press("Space"))
    actions.do(
        "Ctrl+Enter (save)",
        lambda: page.keyboard.press("Control+Enter"),
        lambda: page.wait_for_url(lambda u: not u.endswith("/assess")),
    )


# ---- 2. the same requests from 32 concurrent handlers --------------------------------------


def _assessment_body(policy_factors: list[str], advice: list[str]) -> dict[str, Any]:
    return {
        "model": "thriives",
        "ratings": {f: {"level": "low", "rationale": "as the caller said"} for f in policy_factors},
        "advice": {a: {"given": True} for a in advice},
    }


async def _worker(
    n: int,
    path: str,
    client: Connection,
    tokens: dict[str, str],
    window: tuple[float, float],
    timings: dict[str, list[float]],
    errors: list[str],
    body: dict[str, Any],
    paced: bool,
    paths: list[float],
) -> None:
    """One simulated handler (and dispatcher), in a closed loop: at a handler's pace (a
    pause before each action) or flat out. Worker ``n`` sends only the units whose number
    is ``n`` modulo the clients, so two never race for one unit. Each path completed in the
    measured window adds its end time to ``paths``."""
    hh = {"Authorization": f"Bearer {tokens['handler']}"}
    dh = {"Authorization": f"Bearer {tokens['dispatcher']}"}
    measure_from, until = window
    # The nearest few units were sent in the browser paths and are still committed.
    mine = [f"TC-{k:04d}" for k in range(BROWSER_UNITS, UNITS) if k % CLIENTS == n]
    turn = 0

    async def timed(name: str, method: str, url: str, **kw: Any) -> Any:
        if paced:
            await asyncio.sleep(random.uniform(*PAUSE_S))
        start = time.perf_counter()
        try:
            response = await client.request(method, url, **kw)
        except (OSError, asyncio.IncompleteReadError) as error:
            errors.append(f"{name}: {type(error).__name__} {error}")
            return None
        if time.monotonic() >= measure_from:  # after the warm-up
            timings.setdefault(name, []).append((time.perf_counter() - start) * 1000)
        if response.status_code >= 300:
            errors.append(f"{name} {response.status_code} {response.text[:120]}")
            return None
        return response.json()

    if paced:  # staggered starts: the 32 do not move in step
        await asyncio.sleep(random.uniform(0, PAUSE_S[1]))
    while time.monotonic() < until:
        opened = await timed("open the call", "POST", "/api/v1/incidents", json=CALL, headers=hh)
        if opened is None:
            continue
        ref = opened["reference"]
        if path == "quick":
            graded = await timed(
                "quick grade",
                "POST",
                f"/api/v1/incidents/{ref}/initial-grade",
                json={"grade": "emergency", "indicators": ["violence"], "reason": REASON},
                headers=hh,
            )
        else:
            graded = await timed(
                "full assessment", "POST", f"/api/v1/incidents/{ref}/assessments", json=body, headers=hh
            )
        if graded is None:
            continue
        found = await timed("recommendations", "GET", f"/api/v1/incidents/{ref}/recommendations", headers=dh)
        if not found or not found.get("units"):
            continue
        pick = mine[turn % len(mine)]  # one of this worker's own units, named with a reason
        turn += 1
        assigned = await timed(
            "assign",
            "POST",
            f"/api/v1/incidents/{ref}/assign",
            json={"call_sign": pick, "reason": "bench: spread the load"},
            headers=dh,
        )
        if assigned is not None:  # free the unit again (not measured)
            await client.post(f"/api/v1/units/{pick}/take-away", json={"reason": "bench"}, headers=dh)
            if time.monotonic() >= measure_from:
                paths.append(time.monotonic())


async def _ceiling(client: Connection, window: tuple[float, float], timings: dict[str, list[float]]) -> None:
    measure_from, until = window
    while time.monotonic() < until:
        start = time.perf_counter()
        await client.get("/healthz")
        if time.monotonic() >= measure_from:
            timings.setdefault("GET /healthz (ceiling)", []).append((time.perf_counter() - start) * 1000)


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.99 + 0.5) - 1)] if ordered else float("nan")


async def load(base: str, tokens: dict[str, str], seconds: float, body: dict[str, Any]) -> dict[str, Any]:
    """One keep-alive connection per simulated handler (bench/lean_http.py: httpx's async
    client cost more CPU than the server it measured), opened before any timing; each run
    has a warm-up of a fifth of its time (at least 1 s) that is not measured."""
    out: dict[str, Any] = {}
    clients = [Connection(base) for _ in range(CLIENTS)]

    def window(length: float) -> tuple[float, float]:
        now = time.monotonic()
        warmup = max(1.0, length / 5)
        return now + warmup, now + warmup + length

    try:
        timings: dict[str, list[float]] = {}
        ceiling = window(max(2.0, seconds / 4))
        await asyncio.gather(*(_ceiling(client, ceiling, timings) for client in clients))
        out["ceiling"] = timings
        for mode in ("paced", "flat"):
            for path in ("quick", "full"):
                timings, errors, paths = {}, [], []
                paced = mode == "paced"
                # At a handler's pace a path takes seconds: a longer window, so each handler
                # completes several in it.
                run = window(seconds * 2 if mode == "paced" else seconds)
                await asyncio.gather(
                    *(
                        _worker(n, path, clients[n], tokens, run, timings, errors, body, paced, paths)
                        for n in range(CLIENTS)
                    )
                )
                out[f"{mode} {path}"] = timings
                out[f"{mode} {path} errors"] = errors
                out[f"{mode} {path} paths/s"] = len(paths) / (run[1] - run[0])
    finally:
        for client in clients:
            await client.close()
    return out


def report(store: str, browser: dict[str, Any], loaded: dict[str, Any]) -> bool:
    ok = True
    print(f"\n== {store} == (load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    for path in ("quick", "full"):
        b = browser[path]
        print(
            f"{path:5} path in the browser: {b['keyboard_actions']} keyboard actions, "
            f"{b['server_ms']} ms of server time, {b['seconds']} s from call opened to unit assigned"
        )
    print(f"{'action at 32 concurrent handlers':44} {'n':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for name, values in loaded["ceiling"].items():
        print(f"{name:44} {len(values):6} {statistics.median(values):8.1f} {p99(values):8.1f}")
    for mode in ("paced", "flat"):
        print(
            "at a handler's pace (0.5-1.5 s before each action): the goal"
            if mode == "paced"
            else "flat out (no pause; saturation, not a goal):"
        )
        for path in ("quick", "full"):
            run = f"{mode} {path}"
            for name, values in loaded[run].items():
                print(
                    f"  {path + ': ' + name:42} {len(values):6} "
                    f"{statistics.median(values):8.1f} {p99(values):8.1f}"
                )
            rate = loaded[f"{run} paths/s"]
            print(f"  {path + ': paths completed':42} {rate:6.1f} a second, {rate * 3600:,.0f} an hour")
            errors = loaded[f"{run} errors"]
            if errors:
                print(f"  {path}: {len(errors)} errors, e.g. {errors[0]}")
    checks = [
        (f"quick path keyboard actions <= {MAX_ACTIONS}", browser["quick"]["keyboard_actions"] <= MAX_ACTIONS)
    ]
    for name, values in loaded["paced quick"].items():
        checks.append(
            (f"quick: {name} p99 <= {MAX_P99_MS:.0f} ms at a handler's pace", p99(values) <= MAX_P99_MS)
        )
    errors_seen = loaded["paced quick errors"] + loaded["flat quick errors"]
    checks.append(("quick path without errors", not errors_seen))
    for name, passed in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {store}: {name}")
        ok = ok and passed
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--quick", action="store_true", help="a short run (5 s of load per path)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds of load per path")
    args = parser.parse_args(argv)
    seconds = args.seconds or (5.0 if args.quick else 20.0)
    ok = True
    for name in args.stores.split(","):
        with STORES[name]() as store:
            tokens = prepare(store, unit_count=UNITS)
            progress(f"{name}: migrated, force and users ready")
            port = free_port()
            with serving("app", store.url, port):
                base = f"http://127.0.0.1:{port}"
                browser = browser_paths(base)
                progress(
                    f"{name}: browser paths done; loading with {CLIENTS} handlers for {seconds:.0f} s a path"
                )
                container = build(Settings(database_url=store.url))
                policy = container.assessment_policy
                advice = [
                    a.code
                    for a in policy.advice
                    if "domestic_incident" in a.categories or "domestic" in a.qualifiers
                ]
                body = _assessment_body([f.code for f in policy.models["thriives"].factors], advice)
                container.close()
                loaded = asyncio.run(load(base, tokens, seconds, body))
            ok = report(name, browser, loaded) and ok
    print("\nPASS" if ok else "\nFAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
