"""Thornshire Constabulary: a fictional county force for demonstrations, built from a seed.

Nothing here is real. Towns, streets and people are invented; postcodes use the made-up
"TH" area; coordinates sit in a small box of the English Midlands (lat 52.0-52.6, lon -1.9
to -1.0). Phone numbers come only from the ranges Ofcom reserves for drama (mobiles 07700
900000-900999, landlines 01632 960000-960999), so no real phone can ever be rung. Those
ranges hold 2,000 numbers, which bounds the population: every number belongs to one person
or one household, so a history search by phone never links strangers.

The same seed gives exactly the same force, and the same seed and ``as_of`` give exactly
the same history (``random.Random`` is seeded with a string, which does not depend on the
process's hash seed; nothing iterates a set).

1. ``build_force(seed)`` lays out districts, stations, units and a population with
   domestic-abuse households and repeat callers.
2. ``demo_history.build_history(force, seed, as_of, codes, ...)`` yields closed incidents received in
   the twelve months before ``as_of``, oldest first.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

FORCE_NAME = "Thornshire Constabulary"
LATITUDES = (52.0, 52.6)
LONGITUDES = (-1.9, -1.0)
MOBILES = tuple(f"07700900{n:03d}" for n in range(1000))  # Ofcom drama range
LANDLINES = tuple(f"01632960{n:03d}" for n in range(1000))  # Ofcom drama range


@dataclass(frozen=True, slots=True)
class District:
    code: str
    name: str
    kind: str  # "urban" or "rural": picks the attendance target


@dataclass(frozen=True, slots=True)
class Station:
    code: str
    name: str  # also the town it serves
    district_code: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Unit:
    call_sign: str
    unit_type: str
    station_code: str
    skills: tuple[str, ...]
    status: str = "available"


@dataclass(frozen=True, slots=True)
class Street:
    name: str
    town: str
    district_code: str
    postcode: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Household:
    number: int
    street: int  # index into Population.streets
    members: tuple[int, ...]  # indexes into Population.people
    landline: str | None
    has_children: bool


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    household: int  # index into Population.households
    adult: bool
    mobile: str | None


@dataclass(frozen=True, slots=True)
class AbuseCase:
    """A domestic-abuse household: the same victim and perpetrator, call after call."""

    household: int
    victim: int
    perpetrator: int  # may live elsewhere (an ex-partner)
    intensity: float  # relative share of the force's DA calls


@dataclass(frozen=True, slots=True)
class RepeatCaller:
    person: int
    intensity: float


@dataclass(frozen=True)
class Population:
    streets: tuple[Street, ...]
    households: tuple[Household, ...]
    people: tuple[Person, ...]
    abuse_cases: tuple[AbuseCase, ...]
    repeat_callers: tuple[RepeatCaller, ...]

    def address(self, household: int) -> str:
        home = self.households[household]
        street = self.streets[home.street]
        return f"{home.number} {street.name}, {street.town}"

    def phone(self, person: int) -> str | None:
        """The number a person calls from: their mobile, else their household's landline."""
        who = self.people[person]
        return who.mobile or self.households[who.household].landline


@dataclass(frozen=True)
class DemoForce:
    name: str
    districts: tuple[District, ...]
    stations: tuple[Station, ...]
    units: tuple[Unit, ...]
    population: Population


# District code, name, kind, and its stations: code, town, latitude, longitude.
_LAYOUT: tuple[tuple[str, str, str, tuple[tuple[str, str, float, float], ...]], ...] = (
    (
        "TBR",
        "Thornbridge",
        "urban",
        (
            ("TBC", "Thornbridge", 52.31, -1.46),
            ("COL", "Collerby", 52.34, -1.50),
            ("WEX", "Wexholme", 52.28, -1.41),
        ),
    ),
    ("ASV", "Ashvale", "urban", (("ASH", "Ashvale", 52.46, -1.72), ("BRN", "Brindlecote", 52.49, -1.67))),
    ("MRL", "Marlcaster", "urban", (("MRL", "Marlcaster", 52.13, -1.31),)),
    (
        "FEN",
        "Fenwold",
        "rural",
        (
            ("FEN", "Fenwold Magna", 52.55, -1.16),
            ("OXL", "Oxlade", 52.51, -1.26),
            ("HRN", "Little Harnby", 52.57, -1.06),
        ),
    ),
    ("HTM", "Hartmoor", "rural", (("HTM", "Hartmoor", 52.06, -1.80), ("DNS", "Dunsley Cross", 52.11, -1.69))),
    (
        "WYC",
        "Wychdale",
        "rural",
        (
            ("WYC", "Wychdale", 52.40, -1.11),
            ("SAL", "Sallowby", 52.36, -1.21),
            ("QHM", "Quillhampton", 52.44, -1.04),
        ),
    ),
)
_FIRST_NAMES = (
    "Alex",
    "Avery",
    "Billie",
    "Blake",
    "Cameron",
    "Casey",
    "Charlie",
    "Dana",
    "Drew",
    "Eden",
    "Ellis",
    "Emery",
    "Finley",
    "Frankie",
    "Glen",
    "Harper",
    "Hayden",
    "Jamie",
    "Jesse",
    "Jordan",
    "Kai",
    "Kit",
    "Lee",
    "Logan",
    "Marley",
    "Max",
    "Morgan",
    "Nico",
    "Parker",
    "Quinn",
    "Reese",
    "Remy",
    "Riley",
    "Robin",
    "Rowan",
    "Sam",
    "Sasha",
    "Sky",
    "Taylor",
    "Toni",
)
# Surnames and street names are made of invented parts, so the combinations are fictional.
_SURNAME_PARTS = (
    (
        "Ash",
        "Brack",
        "Cold",
        "Dun",
        "Fen",
        "Garr",
        "Hal",
        "Kell",
        "Lamb",
        "Marl",
        "Nor",
        "Orr",
        "Pell",
        "Quill",
        "Rook",
        "Sall",
        "Tarn",
        "Vell",
        "Wick",
        "Yarr",
    ),
    ("bury", "combe", "dale", "forth", "ham", "ley", "mere", "ridge", "stone", "wood"),
)
_STREET_PARTS = (
    (
        "Alder",
        "Beacon",
        "Chantry",
        "Copper",
        "Dovecote",
        "Ferrier",
        "Gorse",
        "Heron",
        "Kiln",
        "Larch",
        "Maltings",
        "Mill",
        "Orchard",
        "Pound",
        "Quarry",
        "Rope",
        "Sedge",
        "Tanner",
        "Teasel",
        "Weir",
    ),
    ("Lane", "Road", "Street", "Close", "Way", "Avenue", "Grove", "Row", "Walk", "Court"),
)
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters Royal Mail uses in an inward code
# Per station: (unit type, call-sign letter, how many, skills and their chances).
_LOCAL_UNITS = (
    ("response", "R", {"urban": 4, "rural": 3}, (("taser", 0.45), ("public_order", 0.2), ("welsh", 0.03))),
    ("neighbourhood", "N", {"urban": 2, "rural": 2}, (("da_trained", 0.2), ("bsl", 0.05), ("welsh", 0.05))),
)
# Force-wide units, based at these stations.
_SPECIALIST_UNITS = (
    ("firearms", "F", ("TBC", "ASH", "MRL"), 2, ("firearms", "taser")),
    ("dog", "K", ("TBC", "FEN"), 2, ("dog_handler",)),
    ("roads", "P", ("COL", "OXL", "DNS"), 2, ("advanced_driver", "tpac")),
    ("traffic", "T", ("WEX", "SAL"), 2, ("advanced_driver",)),
)
HOUSEHOLDS = 2_000
ABUSE_CASES = 300
REPEAT_CALLERS = 40


def build_force(seed: int) -> DemoForce:
    """The whole fictional force for a seed: the same seed always gives the same force."""
    rng = random.Random(f"thornshire-force:{seed}")
    districts = tuple(District(code, name, kind) for code, name, kind, _ in _LAYOUT)
    stations = tuple(
        Station(code, town, district, lat, lon)
        for district, _, _, places in _LAYOUT
        for code, town, lat, lon in places
    )
    kinds = {d.code: d.kind for d in districts}
    units = _units(rng, stations, kinds)
    return DemoForce(FORCE_NAME, districts, stations, units, _population(rng, stations, kinds))


def _units(rng: random.Random, stations: tuple[Station, ...], kinds: Mapping[str, str]) -> tuple[Unit, ...]:
    """Call signs are TH-<letter><station number><n>, e.g. TH-R21: response unit 1 of station 2."""
    number = {s.code: index for index, s in enumerate(stations, start=1)}
    units: list[Unit] = []
    for station in stations:
        kind = kinds[station.district_code]
        for unit_type, letter, counts, chances in _LOCAL_UNITS:
            for n in range(1, counts[kind] + 1):
                skills = tuple(skill for skill, chance in chances if rng.random() < chance)
                call_sign = f"TH-{letter}{number[station.code]}{n}"
                units.append(Unit(call_sign, unit_type, station.code, skills))
    first_station: dict[str, str] = {}
    for station in stations:
        first_station.setdefault(station.district_code, station.code)
    for code in first_station.values():  # one domestic-abuse car per district
        units.append(Unit(f"TH-D{number[code]}1", "domestic_abuse", code, ("da_trained",)))
    for unit_type, letter, bases, count, skills in _SPECIALIST_UNITS:
        for base in bases:
            for n in range(1, count + 1):
                units.append(Unit(f"TH-{letter}{number[base]}{n}", unit_type, base, skills))
    return tuple(units)


def _population(rng: random.Random, stations: tuple[Station, ...], kinds: Mapping[str, str]) -> Population:
    """Streets in each town, households on them, people in households, then the DA cases
    and repeat callers, who get mobiles first so that they can always be called back."""
    streets = _streets(rng, stations, kinds)
    town_weights = [3.0 if kinds[s.district_code] == "urban" else 1.0 for s in stations]
    by_town: dict[str, list[int]] = {}
    for index, street in enumerate(streets):
        by_town.setdefault(street.town, []).append(index)
    with_landline = set(rng.sample(range(HOUSEHOLDS), len(LANDLINES)))
    landlines = iter(LANDLINES)
    households: list[Household] = []
    people: list[Person] = []
    seen: set[tuple[int, int]] = set()
    while len(households) < HOUSEHOLDS:
        town = rng.choices(stations, town_weights)[0].name
        on, number = rng.choice(by_town[town]), rng.randint(1, 180)
        if (on, number) in seen:
            continue
        seen.add((on, number))
        index = len(households)
        grown_ups = rng.choices((1, 2, 3), (35, 55, 10))[0]
        children = rng.choices((0, 1, 2), (60, 22, 18))[0]
        surname = _surname(rng)
        members = []
        for position in range(grown_ups + children):
            name = f"{rng.choice(_FIRST_NAMES)} {surname if rng.random() < 0.8 else _surname(rng)}"
            members.append(len(people))
            people.append(Person(name, index, position < grown_ups, None))
        landline = next(landlines) if index in with_landline else None
        households.append(Household(number, on, tuple(members), landline, children > 0))
    cases, callers = _abuse_cases(rng, households, people), _repeat_callers(rng, people)
    adults = [i for i, p in enumerate(people) if p.adult]
    priority = [c.victim for c in cases] + [c.perpetrator for c in cases]
    priority += [c.person for c in callers]
    adults_in_order = list(dict.fromkeys(priority + rng.sample(adults, len(adults))))
    for mobile, person in zip(MOBILES, adults_in_order, strict=False):
        who = people[person]
        people[person] = Person(who.name, who.household, who.adult, mobile)
    return Population(tuple(streets), tuple(households), tuple(people), cases, callers)


def _surname(rng: random.Random) -> str:
    return rng.choice(_SURNAME_PARTS[0]) + rng.choice(_SURNAME_PARTS[1])


def _streets(rng: random.Random, stations: tuple[Station, ...], kinds: Mapping[str, str]) -> list[Street]:
    """Twelve streets a town, each one postcode unit in the town's own TH district."""
    streets: list[Street] = []
    names = [f"{a} {b}" for a in _STREET_PARTS[0] for b in _STREET_PARTS[1]]
    for outward, station in enumerate(stations, start=1):
        spread = 0.012 if kinds[station.district_code] == "urban" else 0.03
        inwards = rng.sample(
            [f"{d}{a}{b}" for d in range(10) for a in _INWARD_LETTERS for b in _INWARD_LETTERS], 12
        )
        for name, inward in zip(rng.sample(names, 12), inwards, strict=True):
            lat = min(max(rng.gauss(station.latitude, spread), LATITUDES[0]), LATITUDES[1])
            lon = min(max(rng.gauss(station.longitude, spread), LONGITUDES[0]), LONGITUDES[1])
            streets.append(
                Street(
                    name,
                    station.name,
                    station.district_code,
                    f"TH{outward} {inward}",
                    round(lat, 5),
                    round(lon, 5),
                )
            )
    return streets


def _abuse_cases(
    rng: random.Random, households: list[Household], people: list[Person]
) -> tuple[AbuseCase, ...]:
    """Victim and perpetrator share a home when it has two adults; otherwise the
    perpetrator is an ex-partner from another household."""
    adults = [i for i, p in enumerate(people) if p.adult]
    cases = []
    for home in rng.sample(range(len(households)), ABUSE_CASES):
        grown = [m for m in households[home].members if people[m].adult]
        victim = grown[0]
        perpetrator = grown[1] if len(grown) > 1 else rng.choice(adults)
        if perpetrator == victim:
            continue
        # A few households account for many repeat calls, as in real demand; the cap keeps
        # the busiest to a plausible few dozen calls a year.
        cases.append(AbuseCase(home, victim, perpetrator, min(rng.paretovariate(1.2), 10.0)))
    return tuple(cases)


def _repeat_callers(rng: random.Random, people: list[Person]) -> tuple[RepeatCaller, ...]:
    adults = [i for i, p in enumerate(people) if p.adult]
    chosen = rng.sample(adults, REPEAT_CALLERS)
    return tuple(RepeatCaller(i, min(rng.paretovariate(1.1), 12.0)) for i in chosen)
