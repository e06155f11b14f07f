"""The tamper table: every way an insider could rewrite the audit, tried on both stores.

One command, from the repository root::

    scripts/uv run --frozen python bench/audit_tamper.py [--stores sqlite,postgresql]

For each store and each case (``tests/audit_tamper.py``): a fresh database (on PostgreSQL
migrated by the owner role, used by the application role), five incidents opened and one
more assessed (an assessment and a DASH record), a signed
checkpoint taken, then the change made as the database owner would make it (the forger
never holds the audit key), then ``verify_audit`` run twice: on the chain alone and
against the checkpoint. It prints whether each found the change, and exits 1 unless every
case is found against the checkpoint on every store.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository, for tests.*
from tests.audit_tamper import CASES, assess_one, tamper  # noqa: E402
from tests.stores import APP_ROLE, OWNER_ROLE, as_role, create_roles, throwaway_postgres  # noqa: E402

from thriives.adapters.db.engine import make_engine  # noqa: E402
from thriives.adapters.db.migrate import upgrade  # noqa: E402
from thriives.adapters.db.roles import grant_application_role  # noqa: E402
from thriives.bootstrap import build  # noqa: E402
from thriives.domain.accounts import Actor, Role  # noqa: E402
from thriives.domain.incidents import Channel, Contact  # noqa: E402
from thriives.services.audit import take_checkpoint, verify_audit  # noqa: E402
from thriives.settings import Settings  # noqa: E402

NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
Fresh = Callable[[str], tuple[str, str]]  # case name -> (application URL, owner URL)


@contextmanager
def sqlite_stores(folder: Path) -> Iterator[Fresh]:
    template = folder / "template.db"
    engine = make_engine(f"sqlite:///{template}")
    upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()

    numbers = iter(range(1, 1000))

    def fresh(_name: str) -> tuple[str, str]:
        path = folder / f"case{next(numbers)}.db"
        path.write_bytes(template.read_bytes())
        return f"sqlite:///{path}", f"sqlite:///{path}"

    yield fresh


@contextmanager
def postgresql_stores() -> Iterator[Fresh]:
    with throwaway_postgres() as base:
        create_roles(base)
        admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE template_audit OWNER {OWNER_ROLE}"))
        template = make_engine(f"{as_role(base, OWNER_ROLE)}/template_audit")
        upgrade(template)
        grant_application_role(template, APP_ROLE)
        template.dispose()
        numbers = iter(range(1, 1000))

        def fresh(_name: str) -> tuple[str, str]:
            name = f"case{next(numbers)}"
            with admin.connect() as connection:
                connection.execute(text(f"CREATE DATABASE {name} TEMPLATE template_audit OWNER {OWNER_ROLE}"))
            return f"{as_role(base, APP_ROLE)}/{name}", f"{as_role(base, OWNER_ROLE)}/{name}"

        try:
            yield fresh
        finally:
            admin.dispose()


def run_case(app_url: str, owner_url: str, key_file: Path, case_name: str) -> tuple[bool, bool, str]:
    """(found by the chain alone, found against the checkpoint, the first problem named)."""
    settings = Settings(
        database_url=app_url,
        audit_key_file=key_file,
        argon2_time_cost=1,
        argon2_memory_kib=64,
        db_pool_size=2,
        worker_in_process=False,
    )
    container = build(settings, clock=lambda: NOW)
    try:
        user = container.accounts.add_user("sup1", "Sup One", Role.SUPERVISOR, "a-long-password", NOW)
        actor = Actor(user, "sup1", Role.SUPERVISOR, "Sup One")
        for _ in range(5):
            container.incidents.open(actor, Contact(Channel.NON_EMERGENCY, NOW, "crime_theft"), NOW)
        assess_one(container, actor, NOW)
        report, line = take_checkpoint(container.uow, NOW)
        assert line is not None, report.problems()
        tamper(owner_url, next(case for case in CASES if case.name == case_name))
        alone = verify_audit(container.uow)
        against = verify_audit(container.uow, [line])
        return not alone.intact, not against.intact, (against.problems() or ["-"])[0]
    finally:
        container.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stores", default="sqlite,postgresql")
    args = parser.parse_args()
    stores = args.stores.split(",")
    results: dict[tuple[str, str], tuple[bool, bool, str]] = {}
    with tempfile.TemporaryDirectory(prefix="thriives-tamper-") as folder:
        key_file = Path(folder) / "audit.key"
        for store in stores:
            opener = sqlite_stores(Path(folder)) if store == "sqlite" else postgresql_stores()
            with opener as fresh:
                for case in CASES:
                    app_url, owner_url = fresh(case.name)
                    results[(store, case.name)] = run_case(app_url, owner_url, key_file, case.name)
    word = {True: "found", False: "MISSED"}
    header = "| case | " + " | ".join(f"{s}: chain alone | {s}: against checkpoint" for s in stores) + " |"
    print(header)
    print("|" + "---|" * (1 + 2 * len(stores)))
    for case in CASES:
        cells = []
        for store in stores:
            alone, against, _ = results[(store, case.name)]
            cells += [word[alone] if alone else "not found", word[against]]
        print(f"| {case.name} | " + " | ".join(cells) + " |")
    missed = [key for key, (_, against, _) in results.items() if not against]
    total = len(results)
    print(f"\nTamper cases detected against the checkpoint: {total - len(missed)} of {total}")
    for store, name in missed:
        print(f"MISSED on {store}: {name}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
