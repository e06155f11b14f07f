"""The scale bench's population: generated, loaded with ``BulkLoader``, counted and sized.

1. People, their homes, previous addresses and their own past incidents come from
   ``demo_population.households`` (``phones=False``: only 2,000 fictional numbers exist).
2. More past incidents are added to each household as it is generated (``ExtraHistory``),
   so that person-incident links reach the target (5 a person). How many a household gets
   is drawn from a long-tailed distribution: most have a few, some have dozens (the repeat
   callers and repeat victims of a real force), kept on course by a small correction.
3. Addresses no one now lives at (``extra_addresses``) bring the addresses to the target.
4. Each 50,000 households are one unit of work, so no transaction grows without bound.

Everything is deterministic from the seed, and the searches are sampled in the same pass
(``intel_queries.Sampler``). The build runs in a child process, so the bench process's
peak memory is that of the search, not of the load.
"""

from __future__ import annotations

import random
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from intel_queries import QueryCase, Sampler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import Connection, Engine, text

from thriives.adapters.db.intel_bulk import BulkLoader
from thriives.adapters.db.migrate import upgrade
from thriives.bootstrap import build
from thriives.domain.demo_population import (
    CATEGORIES,
    GRADES,
    DemoAddress,
    DemoHousehold,
    DemoPastIncident,
    households,
)
from thriives.settings import Settings

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)  # the population's "today"; fixed, so a cache stays true
CHUNK_HOUSEHOLDS = 50_000
INTEL_TABLES = (
    "people", "aliases", "addresses", "person_addresses", "phones", "vehicles", "markers",
    "past_incidents", "past_links", "search_keys",
)  # fmt: skip
_ROLES = (("victim", 35), ("caller", 30), ("witness", 15), ("suspect", 15), ("other", 5))
_STREETS = ("Wren", "Cobble", "Flint", "Hopfield", "Lantern", "Mistle", "Pewter", "Saddler", "Tallow")
_WAYS = ("Lane", "Road", "Street", "Close", "Way", "Row")
_TOWNS = ("Thornbury", "Ashcombe", "Sallowby", "Quillhampton", "Brackmere", "Fenwick", "Halstone")
_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Plan:
    seed: int
    people: int
    queries: int

    @property
    def addresses(self) -> int:
        return self.people  # 1,000,000 at full size

    @property
    def links(self) -> int:
        return 5 * self.people  # 5,000,000 person-incident links at full size


@dataclass
class BuildReport:
    load_s: float
    counts: dict[str, int]
    peak_rss_mib: float
    cases: list[QueryCase] = field(default_factory=list)


class ExtraHistory:
    """Past incidents beyond the generator's own, for the households as they come."""

    def __init__(self, plan: Plan) -> None:
        self.rng = random.Random(f"thriives-intel-history-{plan.seed}")
        self.plan = plan
        self.people = 0
        self.links = 0
        self.count = 0

    def for_household(self, household: DemoHousehold) -> list[DemoPastIncident]:
        members = household.members
        self.people += len(members)
        self.links += sum(len(incident.links) for incident in household.incidents)
        rate = self.plan.links / self.plan.people
        deficit = self.plan.links * self.people / self.plan.people - self.links
        weight = min(40.0, self.rng.lognormvariate(0.0, 1.2)) / 2.05  # long-tailed, mean about 1
        wanted = round(weight * rate * len(members) + 0.05 * deficit)
        if self.people >= self.plan.people:  # the last household: reach the target exactly
            wanted = max(wanted, self.plan.links - self.links)
        made = []
        while wanted > 0:
            incident = self._incident(members, wanted)
            self.links += len(incident.links)
            wanted -= len(incident.links)
            made.append(incident)
        return made

    def _incident(self, members: tuple[Any, ...], room: int) -> DemoPastIncident:
        rng = self.rng
        self.count += 1
        category = rng.choices([c for c, _ in CATEGORIES], [w for _, w in CATEGORIES])[0]
        grade = rng.choices([g for g, _ in GRADES], [w for _, w in GRADES])[0]
        at = AS_OF - timedelta(minutes=rng.randint(60, 10 * 365 * 24 * 60))  # ten years of records
        if category == "domestic_incident" and len(members) >= 2 and room >= 2:
            pair = members[:2] if rng.random() < 0.75 else members[1::-1]
            links = [(pair[0].key, "victim"), (pair[1].key, "suspect")]
        else:
            weights = [4 if i < 2 else 1 for i in range(len(members))]
            first = rng.choices(members, weights)[0]
            links = [(first.key, rng.choices([r for r, _ in _ROLES], [w for _, w in _ROLES])[0])]
            if room >= 2 and len(members) > 1 and rng.random() < 0.2:
                other = rng.choice([m for m in members if m is not first])
                links.append((other.key, "witness"))
        dash = rng.choice(("standard", "medium", "high")) if category == "domestic_incident" else None
        return DemoPastIncident(f"H{self.count}", at, category, grade, dash, tuple(links))


def extra_addresses(seed: int, count: int) -> Iterator[DemoAddress]:
    """Addresses no generated person now lives at: fictional streets, "TH" postcodes."""
    rng = random.Random(f"thriives-intel-addresses-{seed}")
    for n in range(1, count + 1):
        town = rng.randrange(len(_TOWNS))
        inward = f"{rng.randrange(10)}{rng.choice(_LETTERS)}{rng.choice(_LETTERS)}"
        postcode = f"TH{town * 9 + rng.randint(1, 9)} {inward}"
        street = f"{rng.choice(_STREETS)} {rng.choice(_WAYS)}"
        flat = f"Flat {rng.randint(1, 12)}, " if rng.random() < 0.15 else ""
        text_ = f"{flat}{rng.randint(1, 240)} {street}, {_TOWNS[town]} {postcode}"
        markers = ("child_at_address",) if rng.random() < 0.02 else ()
        latitude, longitude = round(52.0 + rng.random() * 0.6, 5), round(-1.9 + rng.random() * 0.9, 5)
        yield DemoAddress(f"X{n}", text_, postcode, latitude, longitude, markers)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        refresh_per_second=2,
    )


def _tune_for_load(connection: Connection) -> None:
    """A larger page cache for the load only (this child process's connections)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA cache_size=-524288")  # 512 MiB


def build_population(url: str, plan: Plan) -> BuildReport:
    """Migrate the empty store at ``url`` and load the population; run in a child process."""
    container = build(Settings(database_url=url))
    upgrade(container.engine)
    started = time.perf_counter()
    history = ExtraHistory(plan)
    sampler = Sampler(plan.seed, plan.people, plan.queries)
    stream = households(plan.seed, plan.people, AS_OF, phones=False)
    addresses_made = 0
    with _progress() as bar:
        people_task = bar.add_task("people and history", total=plan.people)
        more = True
        while more:
            more = False
            with container.uow(write=True) as uow:
                _tune_for_load(uow.connection)
                loader = BulkLoader(uow.connection, "bench", AS_OF)
                for _, household in zip(range(CHUNK_HOUSEHOLDS), stream, strict=False):
                    more = True
                    loader.add(household)
                    for incident in history.for_household(household):
                        loader.add_incident(incident)
                    sampler.offer(household, loader.person_ids)
                    bar.advance(people_task, len(household.members))
                loader.close()
                addresses_made = loader.ids["addresses"]
                uow.commit()
        wanted = max(0, plan.addresses - addresses_made)
        address_task = bar.add_task("addresses (extra)", total=wanted)
        places = extra_addresses(plan.seed, wanted)
        for _ in range(0, wanted, 200_000):
            with container.uow(write=True) as uow:
                loader = BulkLoader(uow.connection, "bench", AS_OF)
                for _, place in zip(range(200_000), places, strict=False):
                    loader.add_address(place)
                    bar.advance(address_task)
                loader.close()
                uow.commit()
    settle(container.engine)
    load_s = time.perf_counter() - started
    counts = count_rows(container.engine)
    container.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return BuildReport(load_s, counts, peak, sampler.cases)


def settle(engine: Engine) -> None:
    """After a bulk load: SQLite folds its WAL into the file; PostgreSQL vacuums and analyses,
    as autovacuum would soon do on its own (thriives itself never runs ANALYZE on SQLite)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


def count_rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: int(connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one())
            for name in INTEL_TABLES
        }


def sizes(engine: Engine) -> tuple[int, dict[str, int]]:
    """Bytes on disk: the whole database, and each intelligence table with its indexes."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            owner: dict[str, str] = dict(
                connection.exec_driver_sql("SELECT name, tbl_name FROM sqlite_master").all()
            )
            per: dict[str, int] = {}
            for name, size in connection.exec_driver_sql(
                "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"
            ):
                table = owner.get(name, name)
                per[table] = per.get(table, 0) + int(size)
            path = Path(str(engine.url.database))
            wal = path.with_name(path.name + "-wal")
            total = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
        else:
            per = {
                name: int(connection.execute(text(f"SELECT pg_total_relation_size('{name}')")).scalar_one())
                for name in INTEL_TABLES
            }
            total = int(connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    return total, {name: per.get(name, 0) for name in INTEL_TABLES}
