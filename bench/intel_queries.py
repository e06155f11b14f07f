"""The searches of the scale bench: what a call handler would type, and whom they meant.

While the population is generated, every k-th person is taken as the person a caller is
talking about (chosen up front from the person's number, so nothing but the sample is
kept). For each one the sampler writes one search in one of the forms a handler uses:

| kind                | terms                                                           |
|---------------------|-----------------------------------------------------------------|
| name_dob            | "Forename Surname" (or "Surname, Forename") + date of birth      |
| name_dob_typo       | the same with one slip in the surname or one digit of the date   |
| name_dob_swapped    | the same with day and month swapped (when the date allows it)    |
| name_postcode       | name + the postcode of the home                                  |
| name_only           | name alone                                                      |
| initial_dob         | "J Surname" + date of birth                                      |
| registration        | a registration alone (people with a vehicle; otherwise name_dob) |
| house_postcode_name | name + "14, TH3 4AB" (house number and postcode) as the address  |

The choice and the slips come from their own generator seeded from the bench seed, so the
same seed gives the same searches, and the population's own generator is left untouched.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from thriives.domain.demo_population import DemoHousehold, DemoPerson
from thriives.domain.matching import swapped_day_month

KINDS = (
    ("name_dob", 20),
    ("name_dob_typo", 8),
    ("name_dob_swapped", 7),
    ("name_postcode", 15),
    ("name_only", 10),
    ("initial_dob", 15),
    ("registration", 10),
    ("house_postcode_name", 15),
)
_KEYBOARD_NEIGHBOURS = "qwertyuiopasdfghjklzxcvbnm"
_HOUSE_NUMBER = re.compile(r"^(?:Flat \d+, )?(\d+) ")


@dataclass(frozen=True)
class QueryCase:
    kind: str
    terms: dict[str, str]
    person_id: int  # the person the caller meant
    person_key: str  # "P<n>" in the generated population


class Sampler:
    """Takes every ``step``-th generated person and writes one search for them."""

    def __init__(self, seed: int, people: int, count: int) -> None:
        self.step = max(1, people // max(1, count))
        self.count = count
        self.rng = random.Random(f"thriives-intel-queries-{seed}")
        self.cases: list[QueryCase] = []
        self.seen = 0

    def offer(self, household: DemoHousehold, person_ids: dict[str, int]) -> None:
        for person in household.members:
            self.seen += 1
            if self.seen % self.step == 0 and len(self.cases) < self.count:
                self.cases.append(self._case(household, person, person_ids[person.key]))

    def _case(self, household: DemoHousehold, person: DemoPerson, person_id: int) -> QueryCase:
        rng = self.rng
        kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
        if kind == "registration" and not person.vehicles:
            kind = "name_dob"
        if kind == "name_dob_swapped" and swapped_day_month(person.date_of_birth) is None:
            kind = "name_dob_typo"
        name = self._name(person)
        born = person.date_of_birth
        terms: dict[str, str]
        if kind == "name_dob":
            terms = {"name": name, "date_of_birth": self._date(born)}
        elif kind == "name_dob_typo":
            if rng.random() < 0.6:
                terms = {"name": self._name(person, slip=True), "date_of_birth": self._date(born)}
            else:
                terms = {"name": name, "date_of_birth": self._date_slip(born)}
        elif kind == "name_dob_swapped":
            swapped = swapped_day_month(born)
            assert swapped is not None
            terms = {"name": name, "date_of_birth": self._date(swapped)}
        elif kind == "name_postcode":
            terms = {"name": name, "postcode": household.address.postcode}
        elif kind == "name_only":
            terms = {"name": name}
        elif kind == "initial_dob":
            terms = {"name": f"{person.forenames[0]} {person.surname}", "date_of_birth": self._date(born)}
        elif kind == "registration":
            terms = {"registration": person.vehicles[0]}
        else:
            found = _HOUSE_NUMBER.match(household.address.text)
            number = found.group(1) if found else ""
            terms = {"name": name, "address": f"{number}, {household.address.postcode}"}
        return QueryCase(kind, terms, person_id, person.key)

    def _name(self, person: DemoPerson, slip: bool = False) -> str:
        first = person.forenames.split()[0]
        last = _slip(self.rng, person.surname) if slip else person.surname
        return f"{last}, {first}" if self.rng.random() < 0.2 else f"{first} {last}"

    def _date(self, day: date) -> str:
        return day.isoformat() if self.rng.random() < 0.2 else f"{day:%d/%m/%Y}"

    def _date_slip(self, day: date) -> str:
        """One digit of the year or day wrong, as long as it is still a real past date."""
        for _ in range(10):
            year = day.year + self.rng.choice((-1, 1, -10, 10))
            try:
                slipped = day.replace(year=year) if self.rng.random() < 0.5 else day.replace(day=day.day ^ 1)
            except ValueError:
                continue
            if slipped != day and slipped.year < 2026:
                return self._date(slipped)
        return self._date(day)


def _slip(rng: random.Random, word: str) -> str:
    """One typing slip after the first letter: two letters swapped, or one letter wrong."""
    if len(word) < 4:
        return word
    at = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5 and word[at] != word[at + 1]:
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    wrong = rng.choice([c for c in _KEYBOARD_NEIGHBOURS if c != word[at].lower()])
    return word[:at] + wrong + word[at + 1 :]


def save_cases(cases: list[QueryCase], path: Path) -> None:
    path.write_text(json.dumps([asdict(case) for case in cases]) + "\n")


def load_cases(path: Path) -> list[QueryCase]:
    return [QueryCase(**row) for row in json.loads(path.read_text())]
