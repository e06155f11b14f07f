"""The fictional people of Thornshire on the legacy intelligence system, generated.

Households are generated one at a time from a seed (the same seed gives the same people,
so a benchmark's truth can be rebuilt), which lets a benchmark stream a million people
without holding them. Everything is invented:
- surnames and street names are built from invented parts (Brackmere, Heronwick Road);
- postcodes are in the "TH" area, which Royal Mail does not use;
- phone numbers are in Ofcom's drama ranges (07700 900xxx, 01632 960xxx);
- registrations use the age identifier "00", which DVLA has never issued.
Forenames are common English ones, so that nicknames (Bill for William) can be tested; a
forename with an invented surname, birth date and address is no one.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from thriives.domain.demo_force import LANDLINES, MOBILES

_MALE = (
    "William", "James", "John", "Robert", "Michael", "David", "Richard", "Thomas", "Christopher",
    "Daniel", "Matthew", "Andrew", "Anthony", "Stephen", "Peter", "Paul", "Mark", "Edward",
    "Joseph", "Samuel", "Benjamin", "Alexander", "Jonathan", "Nicholas", "Patrick", "Henry",
    "Charles", "George", "Oliver", "Harry", "Jack", "Jacob", "Noah", "Leo", "Oscar", "Arthur",
    "Frederick", "Lawrence", "Kenneth", "Raymond", "Gregory", "Timothy", "Philip", "Gerald",
    "Ronald", "Terence", "Douglas", "Donald", "Stuart", "Nathan", "Adam", "Liam", "Connor",
    "Ryan", "Kieran", "Aaron", "Jamal", "Tariq", "Imran", "Kwame", "Tomasz", "Piotr", "Declan",
    "Rhys", "Owen", "Callum", "Ewan", "Shaun", "Craig", "Dean", "Wayne", "Lee", "Gary",
)  # fmt: skip
_FEMALE = (
    "Margaret", "Elizabeth", "Katherine", "Catherine", "Mary", "Patricia", "Susan", "Deborah",
    "Rebecca", "Victoria", "Samantha", "Jennifer", "Jessica", "Sarah", "Emma", "Charlotte",
    "Olivia", "Amelia", "Isabella", "Sophie", "Grace", "Lucy", "Hannah", "Chloe", "Megan",
    "Abigail", "Eleanor", "Florence", "Dorothy", "Jacqueline", "Theresa", "Christine",
    "Caroline", "Amanda", "Gillian", "Helen", "Nicola", "Joanne", "Alexandra", "Penelope",
    "Matilda", "Josephine", "Barbara", "Lauren", "Zoe", "Aisha", "Fatima", "Priya", "Amara",
    "Agnieszka", "Siobhan", "Niamh", "Bethan", "Kirsty", "Leanne", "Stacey", "Kelly", "Claire",
)  # fmt: skip
_SURNAME_HEADS = (
    "Ash", "Brack", "Cold", "Dun", "Fen", "Garr", "Hal", "Kell", "Lamb", "Marl", "Nor", "Orr",
    "Pell", "Quill", "Rook", "Sall", "Tarn", "Vell", "Wick", "Yarr", "Bram", "Crow", "Dray",
    "Elm", "Fox", "Gold", "Hart", "Ivy", "Kirk", "Lind", "Moss", "Nettle", "Oak", "Pike",
    "Rush", "Stan", "Thorn", "Under", "Wald", "Whit", "Birch", "Clay", "Dale", "Frost",
    "Glen", "Hazel", "Marsh", "Penn", "Rad", "Shaw",
)  # fmt: skip
_SURNAME_TAILS = (
    "bury", "combe", "dale", "forth", "ham", "ley", "mere", "ridge", "stone", "wood", "well",
    "by", "ton", "field", "worth", "ford", "wick", "croft", "hurst", "more", "shaw", "brook",
)  # fmt: skip
_STREET_HEADS = (
    "Alder", "Beacon", "Chantry", "Copper", "Dovecote", "Ferrier", "Gorse", "Heron", "Kiln",
    "Larch", "Maltings", "Mill", "Orchard", "Pound", "Quarry", "Rope", "Sedge", "Tanner",
    "Teasel", "Weir", "Bramble", "Cinder", "Drover", "Fallow", "Glebe", "Hollow", "Lark",
    "Meadow", "Nutmeg", "Osier", "Pippin", "Reed", "Sorrel", "Tithe", "Willow", "Yew",
)  # fmt: skip
_STREET_TAILS = ("Lane", "Road", "Street", "Close", "Way", "Avenue", "Grove", "Row", "Walk", "Court")
_TOWNS = (
    "Thornbury", "Ashcombe", "Sallowby", "Quillhampton", "Brackmere", "Fenwick", "Halstone",
    "Marlow Cross", "Rookley", "Tarnford",
)  # fmt: skip
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_REG_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"
# Marker kinds on a person and their chance; address markers separately.
PERSON_MARKERS = (
    ("violence", 0.03), ("weapons", 0.01), ("da_victim", 0.02), ("da_perpetrator", 0.015),
    ("marac_12m", 0.003), ("firearms_certificate", 0.005), ("registered_sex_offender", 0.002),
    ("ocg_nominal", 0.002), ("bail_conditions", 0.005), ("dvpn_dvpo", 0.002),
    ("clares_law", 0.002), ("mental_health", 0.02), ("vulnerable_adult", 0.01),
    ("protected_address", 0.001), ("intelligence", 0.005),
)  # fmt: skip
CATEGORIES = (
    ("domestic_incident", 0.25), ("crime_violence", 0.12), ("asb_neighbours", 0.12),
    ("concern_for_safety", 0.1), ("crime_theft", 0.1), ("crime_damage", 0.08),
    ("suspicious_circumstances", 0.08), ("mental_health", 0.06), ("missing_person", 0.04),
    ("crime_burglary", 0.05),
)  # fmt: skip
GRADES = (("emergency", 0.2), ("priority", 0.45), ("scheduled", 0.25), ("resolution", 0.1))


@dataclass(frozen=True, slots=True)
class DemoAddress:
    key: str
    text: str  # "14 Heron Road, Thornbury TH3 4AB" or "Flat 2, 14 ..."
    postcode: str
    latitude: float
    longitude: float
    markers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoPerson:
    key: str
    forenames: str
    surname: str
    date_of_birth: date
    gender: str
    aliases: tuple[tuple[str, str], ...]
    phones: tuple[str, ...]
    vehicles: tuple[str, ...]
    markers: tuple[str, ...]
    previous_address: DemoAddress | None


@dataclass(frozen=True, slots=True)
class DemoPastIncident:
    key: str
    occurred_at: datetime
    category: str
    grade: str
    dash_risk: str | None
    links: tuple[tuple[str, str], ...]  # (person key, role)


@dataclass(frozen=True, slots=True)
class DemoHousehold:
    address: DemoAddress
    members: tuple[DemoPerson, ...]
    incidents: tuple[DemoPastIncident, ...]


def surname(rng: random.Random) -> str:
    # A skewed choice, so that some surnames are common (as Smith is) and most are rare.
    head = _SURNAME_HEADS[min(int(rng.paretovariate(0.9)) - 1, len(_SURNAME_HEADS) - 1)]
    return head + rng.choice(_SURNAME_TAILS)


def forename(rng: random.Random, gender: str) -> str:
    pool = _MALE if gender == "male" else _FEMALE
    return pool[min(int(rng.expovariate(1 / 18)), len(pool) - 1)]


class _Places:
    """Streets and postcodes: each postcode unit is one side of one street in one town."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0

    def address(self, flat_chance: float = 0.15) -> DemoAddress:
        rng = self.rng
        self.count += 1
        town_index = rng.randrange(len(_TOWNS))
        street = f"{rng.choice(_STREET_HEADS)} {rng.choice(_STREET_TAILS)}"
        outward = town_index * 9 + rng.randint(1, 9)
        inward = f"{rng.randrange(10)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
        postcode = f"TH{outward} {inward}"
        number = rng.randint(1, 240)
        flat = f"Flat {rng.randint(1, 12)}, " if rng.random() < flat_chance else ""
        markers = ("child_at_address",) if rng.random() < 0.05 else ()
        return DemoAddress(
            f"A{self.count}",
            f"{flat}{number} {street}, {_TOWNS[town_index]} {postcode}",
            postcode,
            round(52.0 + rng.random() * 0.6, 5),
            round(-1.9 + rng.random() * 0.9, 5),
            markers,
        )


def _registration(rng: random.Random) -> str:
    letters = "".join(rng.choice(_REG_LETTERS) for _ in range(2))
    tail = "".join(rng.choice(_REG_LETTERS) for _ in range(3))
    return f"{letters}00 {tail}"  # age identifier 00: never issued


def households(seed: int, people: int, as_of: datetime, phones: bool = True) -> Iterator[DemoHousehold]:
    """Yield households until ``people`` people have been made (deterministic from ``seed``).

    Phones come from Ofcom's 2,000 drama numbers, so only the first 2,000 adults get one
    (``phones=False`` gives none, for large benchmark populations).
    """
    rng = random.Random(seed)
    places = _Places(rng)
    made = incidents = 0
    numbers = iter((*MOBILES, *LANDLINES)) if phones else iter(())
    while made < people:
        home = places.address()
        family = surname(rng)
        size = min(rng.choices((1, 2, 3, 4, 5), (30, 34, 16, 14, 6))[0], people - made)
        members: list[DemoPerson] = []
        for position in range(size):
            made += 1
            person = _person(rng, places, f"P{made}", family, position, as_of, numbers)
            while any(m.forenames.split()[0] == person.forenames.split()[0] for m in members):
                person = _person(
                    rng, places, f"P{made}", family, position, as_of, numbers
                )  # one Joseph a home
            members.append(person)
        events = []
        for _ in range(rng.choices((0, 1, 2, 3, 6), (70, 15, 8, 5, 2))[0]):
            incidents += 1
            events.append(_incident(rng, f"I{incidents}", members, as_of))
        yield DemoHousehold(home, tuple(members), tuple(events))


def _person(
    rng: random.Random,
    places: _Places,
    key: str,
    family: str,
    position: int,
    as_of: datetime,
    numbers: Iterator[str],
) -> DemoPerson:
    gender = rng.choice(("male", "female"))
    name = forename(rng, gender)
    if rng.random() < 0.25:
        name = f"{name} {forename(rng, gender)}"  # a middle name
    last = family if position < 3 or rng.random() < 0.5 else surname(rng)
    adult = position < 2
    age_days = rng.randint(18 * 365, 85 * 365) if adult else rng.randint(0, 17 * 365)
    born = as_of.date() - timedelta(days=age_days)
    aliases: tuple[tuple[str, str], ...] = ()
    if rng.random() < 0.03:
        aliases = ((name.split()[0], surname(rng)),)  # a former or other surname
    phone = next(numbers, None) if adult and rng.random() < 0.7 else None
    vehicles = (_registration(rng),) if adult and rng.random() < 0.3 else ()
    markers = tuple(kind for kind, chance in PERSON_MARKERS if rng.random() < chance)
    previous = places.address() if rng.random() < 0.3 else None
    return DemoPerson(
        key, name, last, born, gender, aliases, (phone,) if phone else (), vehicles, markers, previous
    )


def _incident(rng: random.Random, key: str, members: list[DemoPerson], as_of: datetime) -> DemoPastIncident:
    category = rng.choices([c for c, _ in CATEGORIES], [w for _, w in CATEGORIES])[0]
    grade = rng.choices([g for g, _ in GRADES], [w for _, w in GRADES])[0]
    at = (as_of - timedelta(minutes=rng.randint(60, 3 * 365 * 24 * 60))).astimezone(UTC)
    first = members[0]
    links = [(first.key, "victim" if category == "domestic_incident" else rng.choice(("caller", "victim")))]
    if len(members) > 1 and category in ("domestic_incident", "crime_violence"):
        links.append((members[1].key, "suspect"))
    dash = rng.choice(("standard", "medium", "high")) if category == "domestic_incident" else None
    return DemoPastIncident(key, at, category, grade, dash, tuple(links))
