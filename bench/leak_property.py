"""The leak property over at least 10,000 generated cases, on SQLite (issue #13).

One command, from the repository root::

    scripts/uv run python bench/leak_property.py [--cases 10000]

1. Make a fresh migrated SQLite store and one user of each role that may search.
2. Let hypothesis draw worlds (people on shared addresses, protected addresses, restricted
   and open markers, each active, expired or not yet in force; ``tests/services/leak_world``)
   with up to 40 searches each, by any of the four searching roles.
3. For every search (a *case*): the results must equal the pure matching rules on the
   world with the protected addresses taken away (so a protected address played no part
   in matching, ranking or explanations), show no protected address, and show restricted
   markers and the withheld flag only to roles that may see them.
4. For every world, also through HTTP: the page fragment of a search, attaching the best
   match, the proposal (page and API), the attached list, the incident's record of
   searches (page and API), the incident page, its timeline (page and API) and the event
   stream; and once at the end the compliance CSV and the printable report (the PDF is the
   same HTML printed by Chromium).
5. Print the cases, the worlds, the HTTP reads and the leaks found (any leak fails the
   run with the case that showed it).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from tests.conftest import PASSWORD, FakeClock, test_settings  # noqa: E402
from tests.services.leak_world import (  # noqa: E402
    SEARCHING,
    Pages,
    World,
    check_outputs,
    check_search,
    hidden_from,
    leaks,
    load,
    person_specs,
    terms,
)
from tests.services.test_assessments import open_call  # noqa: E402

from thriives.adapters.db.engine import make_engine  # noqa: E402
from thriives.adapters.db.migrate import upgrade  # noqa: E402
from thriives.adapters.web.app import create_app  # noqa: E402
from thriives.bootstrap import build  # noqa: E402
from thriives.domain.accounts import Actor, Role  # noqa: E402

PLACES_COUNT = 6


class Enough(Exception):
    """Raised once the cases asked for have run: ends hypothesis's run."""


big_worlds = st.builds(
    World,
    st.lists(person_specs, min_size=1, max_size=7).map(tuple),
    st.lists(
        st.tuples(st.integers(0, PLACES_COUNT - 1), st.sampled_from(("active", "expired", "future"))),
        max_size=2,
    ).map(tuple),
    st.lists(st.tuples(st.sampled_from(SEARCHING), terms()), min_size=20, max_size=40).map(tuple),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="leaks-"))
    url = f"sqlite:///{folder / 'leaks.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    clock = FakeClock()
    container = build(test_settings(url), clock=clock)
    users: dict[Role, Actor] = {}
    for role in (*SEARCHING, Role.ANALYST):
        name = f"{role.value.replace('_', '')}1"
        uid = container.accounts.add_user(name, name.title(), role, PASSWORD, clock())
        users[role] = Actor(uid, name, role, name.title())
    counts = {"cases": 0, "worlds": 0, "http reads": 0}
    started = time.perf_counter()
    with TestClient(create_app(container)) as client:
        pages = Pages(client, container, {r: users[r] for r in SEARCHING})
        typed_ever: dict[str, str] = {}

        @settings(
            max_examples=10**6,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(world=big_worlds)
        def one(world: World) -> None:
            if counts["cases"] >= args.cases:
                raise Enough
            reference = open_call(container, users[Role.CALL_HANDLER], clock)["reference"]
            loaded = load(container, world, clock())
            for role, typed in world.searches:
                result = container.intel.search(users[role], dict(typed), clock(), reference)
                check_search(container, loaded, users[role], result)
                counts["cases"] += 1
                typed_ever.update({f"{counts['cases']}{k}": v for k, v in typed.items()})
            counts["http reads"] += check_outputs(pages, world, loaded, reference, 0)
            counts["worlds"] += 1
            if counts["worlds"] % 50 == 0:
                print(f"  {counts['cases']} cases, {counts['worlds']} worlds", flush=True)
            if counts["cases"] >= args.cases:
                analyst = {
                    "Authorization": f"Bearer {container.accounts.issue_token('analyst1', 'leaks', clock())}"
                }
                day = clock().date().isoformat()
                for path in (
                    f"/api/v1/compliance.csv?start={day}&end={day}",
                    f"/api/v1/compliance/report?start={day}&end={day}",
                ):
                    shown = client.get(path, headers=analyst)
                    assert shown.status_code == 200, shown.text
                    found = leaks(shown.text, hidden_from(Role.ANALYST, loaded, typed_ever))
                    assert not found, f"{path} shows {found}"
                    counts["http reads"] += 1

        with contextlib.suppress(Enough):
            one()
    container.close()
    took = time.perf_counter() - started
    print(
        f"leak property: {counts['cases']} cases in {counts['worlds']} worlds, "
        f"{counts['http reads']} HTTP reads checked, 0 leaks ({took:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
