"""The demo force's legacy intelligence records: a generated population and its DA cases.

Two parts, both fictional and deterministic from the seed:
1. ``people`` generated people in households (``domain.demo_population``), with markers,
   vehicles and past incidents, as if imported from the force's old system.
2. The demo force's domestic-abuse households (``domain.demo_force``): each victim and
   perpetrator on record with their address, phone, DA markers and earlier incidents, so a
   search from a live DA call on the demo queue finds them and their history.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from thriives.adapters.db.intel_bulk import BulkLoader
from thriives.domain.audit_chain import Operation
from thriives.domain.demo_force import DemoForce
from thriives.domain.demo_population import (
    DemoAddress,
    DemoHousehold,
    DemoPastIncident,
    DemoPerson,
    households,
)

if TYPE_CHECKING:  # the composition root imports services, not the other way round
    from thriives.bootstrap import Container

SOURCE = "legacy"


def seed_intel(container: Container, force: DemoForce, seed: int, as_of: datetime, people: int) -> int:
    """Load the demo's intelligence records in one transaction; the number of people."""
    with container.uow(write=True) as uow:
        loader = BulkLoader(uow.connection, SOURCE, as_of)
        for household in households(seed, people, as_of, phones=False):
            loader.add(household)
        for household in _abuse_households(force, seed, as_of):
            loader.add(household)
        loader.close()
        detail = {"people": loader.people, "addresses": loader.ids["addresses"]}
        uow.journal.audit(
            as_of, "system", Operation.COLLECTION, "demo_import", "intel", "demo force seeded", detail
        )
        uow.commit()
    return loader.people


def _abuse_households(force: DemoForce, seed: int, as_of: datetime) -> list[DemoHousehold]:
    """One household record per DA case; someone in two cases is on record once, at the
    first, and the second case's incidents link to that record."""
    rng = random.Random(f"intel-{seed}")
    population = force.population
    made: list[DemoHousehold] = []
    keys: dict[int, str] = {}
    for number, case in enumerate(population.abuse_cases, start=1):
        home = population.households[case.household]
        street = population.streets[home.street]
        address = DemoAddress(
            f"DA{number}",
            f"{population.address(case.household)} {street.postcode}",
            street.postcode,
            street.latitude,
            street.longitude,
            ("child_at_address",) if home.has_children else (),
        )
        members = []
        for index, markers in (
            (case.victim, ["da_victim"] + (["marac_12m"] if case.intensity > 3 else [])),
            (
                case.perpetrator,
                ["da_perpetrator"]
                + (["weapons"] if rng.random() < 0.2 else [])
                + (["dvpn_dvpo"] if case.intensity > 3 and rng.random() < 0.5 else []),
            ),
        ):
            if index in keys:
                continue
            keys[index] = f"DA{number}-{index}"
            who = population.people[index]
            person = _person(rng, keys[index], who.name, population.phone(index), as_of)
            members.append(replace(person, markers=tuple(markers)))
        calls = tuple(
            DemoPastIncident(
                f"DI{number}-{n}",
                as_of - timedelta(days=rng.randint(5, 360), minutes=rng.randint(0, 1440)),
                "domestic_incident",
                rng.choice(("emergency", "priority")),
                rng.choice(("standard", "medium", "high")),
                ((keys[case.victim], "victim"), (keys[case.perpetrator], "suspect")),
            )
            for n in range(1, 2 + min(int(case.intensity), 5))
        )
        made.append(DemoHousehold(address, tuple(members), calls))
    return made


def _person(rng: random.Random, key: str, name: str, phone: str | None, as_of: datetime) -> DemoPerson:
    forenames, _, surname = name.rpartition(" ")
    born = as_of.date() - timedelta(days=rng.randint(19 * 365, 70 * 365))
    return DemoPerson(key, forenames, surname, born, "unknown", (), (phone,) if phone else (), (), (), None)
