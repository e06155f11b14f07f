"""Matching what a caller gives against the people on record, and saying why each matched.

A search runs in two steps, both here and both pure:

1. **Blocking keys.** ``person_keys`` lists short keys for a person (phonetic name pair,
   surname with one letter left out plus forename initial, date of birth, surname sound
   with birth year and with birth day and month, postcode, street and number, phone,
   registration); ``query_keys`` lists the keys a query could share with
   the person it means, allowing for swapped names and a swapped day and month. The store
   finds candidates by key, so a search never scans everyone.
2. **Scoring.** ``score`` compares the query with one candidate field by field. Each field
   scores points for how it agreed (exact, nickname, phonetic, typo, transposed date,
   postcode only, ...) or lost points for a clear disagreement, and records that as a
   ``FieldMatch``: the explanation shown to the handler. The weights follow the
   Fellegi-Sunter idea: an agreement that is rare by chance (a full date of birth) counts
   more than one that is common (a postcode).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from thriives.domain.addresses import Address
from thriives.domain.names import canonical_forenames, deletions, osa_distance, phonetic, typo_allowance


@dataclass(frozen=True)
class Name:
    forenames: tuple[str, ...]  # folded words; may be empty
    surname: str  # folded, one word (double-barrelled names are joined)


@dataclass(frozen=True)
class PersonFacts:
    """What the store holds about one person, as matching needs it."""

    person_id: int
    names: tuple[Name, ...]  # the recorded name first, then aliases
    dob: date | None
    addresses: tuple[Address, ...] = ()
    phones: frozenset[str] = frozenset()
    vehicles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Query:
    name: Name | None
    dob: date | None = None
    phone: str | None = None
    address: Address | None = None
    registration: str | None = None


@dataclass(frozen=True)
class FieldMatch:
    field: str  # name, date_of_birth, phone, address, registration
    how: str  # exact, nickname, phonetic, typo, swapped, alias, initial, transposed, ...
    points: float
    detail: str


@dataclass(frozen=True)
class Match:
    person_id: int
    score: float
    band: str  # strong, possible, weak
    fields: tuple[FieldMatch, ...]


@dataclass(frozen=True)
class Bands:
    strong_at: float = 9.0
    possible_at: float = 5.0
    clear_margin: float = 3.0  # a possible match this far ahead of the next is the likely one

    def of(self, score: float) -> str:
        return "strong" if score >= self.strong_at else "possible" if score >= self.possible_at else "weak"


# Key kinds and how much sharing one says before scoring: the store ranks candidates by the
# sum of the weights of the kinds of key they share (each kind once) to pick whom to score.
KEY_WEIGHTS = {"n": 3, "s": 2, "o": 1, "d": 3, "y": 2, "m": 2, "p": 2, "a": 2, "t": 3, "v": 2}
BROAD_KEYS = frozenset({"o", "s"})  # kinds many people share; the store reads fewer of each
NARROW_KEYS = frozenset({"d", "y", "m", "p", "a", "t", "v"})  # kinds few people share


def key_id(key: str) -> int:
    """A key as a signed 64-bit number: small to store and index on either store."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def _name_keys(forename: str | None, surname: str) -> set[str]:
    keys = {f"o:{phonetic(surname)}"}
    if not forename:
        return keys
    formal = canonical_forenames(forename)
    for given in formal:
        keys.add(f"n:{phonetic(surname)}:{phonetic(given)}")
    initials = {given[0] for given in formal}
    for variant in deletions(surname):
        keys.update(f"s:{variant}:{initial}" for initial in initials)
    return keys


def _address_keys(address: Address) -> set[str]:
    keys = set()
    if address.postcode:
        keys.add(f"p:{address.postcode}")
    if address.street and address.number:
        keys.add(f"a:{address.street}:{address.number}")
    return keys


def _birth_keys(surname: str, born: date) -> set[str]:
    """Surname sound with the year, and with the day and month: a date with one digit
    wrong keeps one of the two, so a common name with a mistyped date is still found."""
    sound = phonetic(surname)
    return {f"y:{sound}:{born.year}", f"m:{sound}:{born.month:02d}{born.day:02d}"}


def person_keys(person: PersonFacts) -> set[str]:
    keys: set[str] = set()
    for name in person.names:
        keys |= _name_keys(name.forenames[0] if name.forenames else None, name.surname)
        if person.dob:
            keys |= _birth_keys(name.surname, person.dob)
    if person.dob:
        keys.add(f"d:{person.dob.isoformat()}")
    for address in person.addresses:
        keys |= _address_keys(address)
    keys.update(f"t:{phone}" for phone in person.phones)
    keys.update(f"v:{registration}" for registration in person.vehicles)
    return keys


def swapped_day_month(day: date) -> date | None:
    if day.day > 12 or day.day == day.month:
        return None
    try:
        return day.replace(month=day.day, day=day.month)
    except ValueError:
        return None


def query_keys(query: Query) -> set[str]:
    keys: set[str] = set()
    if query.name:
        first = query.name.forenames[0] if query.name.forenames else None
        keys |= _name_keys(first, query.name.surname)
        if first:  # said the other way round: the phonetic keys only (a swap and a slip is rare)
            keys |= {k for k in _name_keys(query.name.surname, first) if not k.startswith("s:")}
    if query.dob:
        days = [query.dob, *filter(None, [swapped_day_month(query.dob)])]
        keys.update(f"d:{day.isoformat()}" for day in days)
        if query.name:
            for day in days:
                keys |= _birth_keys(query.name.surname, day)
    if query.address:
        keys |= _address_keys(query.address)
    if query.phone:
        keys.add(f"t:{query.phone}")
    if query.registration:
        keys.add(f"v:{query.registration}")
    return keys


# Points for each way a field can agree, and for a clear disagreement.
SURNAME = {"exact": 4.0, "phonetic": 3.0, "typo": 2.5, "different": -3.0}
FORENAME = {"exact": 3.0, "nickname": 2.5, "phonetic": 2.5, "typo": 2.0, "initial": 1.0, "different": -2.0}
DOB = {"exact": 5.0, "transposed": 3.5, "typo": 3.0, "different": -4.0}
SWAP_PENALTY = 0.5
ALIAS_PENALTY = 0.5


@lru_cache(maxsize=262_144)
def compare_word(heard: str, recorded: str, nicknames: bool) -> str:
    """How two name words agree: exact, nickname, phonetic, typo, initial or different."""
    if heard == recorded:
        return "exact"
    if len(heard) == 1 or len(recorded) == 1:
        return "initial" if heard[0] == recorded[0] else "different"
    if nicknames and canonical_forenames(heard) & canonical_forenames(recorded):
        return "nickname"
    if phonetic(heard) == phonetic(recorded):
        return "phonetic"
    allowance = min(typo_allowance(heard), typo_allowance(recorded))
    if allowance and osa_distance(heard, recorded, allowance) <= allowance:
        return "typo"
    return "different"


def _points(table: dict[str, float], how: str, heard: str, recorded: str) -> float:
    """Points for an agreement; a phonetic one spelt far apart (Jon and Jane) counts less
    than one spelt close (Jon and John), so the closer spelling ranks first."""
    if how == "phonetic" and not _spelt_close(heard, recorded):
        return table[how] - 0.5
    return table[how]


@lru_cache(maxsize=262_144)
def _spelt_close(heard: str, recorded: str) -> bool:
    return osa_distance(heard, recorded, 1) <= 1


def _name_points(query: Name, name: Name) -> tuple[float, str]:
    surname_how = compare_word(query.surname, name.surname, nicknames=False)
    surname_how = "different" if surname_how == "initial" else surname_how
    points = _points(SURNAME, surname_how, query.surname, name.surname)
    words = [f"surname {surname_how}"]
    if query.forenames and name.forenames:
        given = name.forenames[:2]
        hows = [compare_word(query.forenames[0], word, nicknames=True) for word in given]
        scored = [
            _points(FORENAME, how, query.forenames[0], word) for how, word in zip(hows, given, strict=True)
        ]
        scored = [points - (0.5 if i > 0 else 0.0) for i, points in enumerate(scored)]  # a middle name
        at = max(range(len(hows)), key=lambda i: (scored[i], -i))
        best = hows[at]
        points += scored[at]
        words.append(f"forename {best}" + (" (middle name)" if at > 0 else ""))
    return points, ", ".join(words)


def _score_name(query: Name, person: PersonFacts) -> FieldMatch:
    best: FieldMatch | None = None
    for index, name in enumerate(person.names):
        tries = [(query, "")]
        if query.forenames:
            swapped = Name((query.surname,), query.forenames[0])
            tries.append((swapped, "swapped"))
        for heard, swap in tries:
            points, detail = _name_points(heard, name)
            how = swap or ("alias" if index else "")
            points -= (SWAP_PENALTY if swap else 0.0) + (ALIAS_PENALTY if index else 0.0)
            if best is None or points > best.points:
                kind = how or _kind(detail)
                label = f"{detail}{' (names swapped)' if swap else ''}{' (alias)' if index else ''}"
                best = FieldMatch("name", kind, points, label)
    assert best is not None
    return best


def _kind(detail: str) -> str:
    for how in ("different", "typo", "phonetic", "nickname", "initial"):
        if how in detail:
            return how
    return "exact"


@lru_cache(maxsize=65_536)
def _score_dob(heard: date, recorded: date | None) -> FieldMatch | None:
    if recorded is None:
        return None
    if heard == recorded:
        return FieldMatch("date_of_birth", "exact", DOB["exact"], "same date of birth")
    if swapped_day_month(heard) == recorded:
        return FieldMatch("date_of_birth", "transposed", DOB["transposed"], "day and month swapped")
    if osa_distance(heard.isoformat(), recorded.isoformat(), 1) <= 1:
        return FieldMatch("date_of_birth", "typo", DOB["typo"], "one digit different")
    return FieldMatch("date_of_birth", "different", DOB["different"], f"recorded {recorded:%d/%m/%Y}")


def _score_address(heard: Address, known: tuple[Address, ...]) -> FieldMatch | None:
    best: FieldMatch | None = None
    for address in known:
        same_building = bool(heard.number) and heard.number == address.number
        same_street = bool(heard.street) and heard.street == address.street
        same_flat = heard.flat == address.flat
        if heard.postcode and heard.postcode == address.postcode:
            if same_building and same_flat:
                found = FieldMatch("address", "exact", 4.0, "same address")
            elif same_building:
                found = FieldMatch("address", "partial", 3.0, "same building and postcode, other flat")
            else:
                found = FieldMatch("address", "postcode", 2.0, "same postcode")
        elif same_street and same_building:
            found = FieldMatch("address", "partial", 2.5, "same street and number, postcode differs")
        elif same_street:
            found = FieldMatch("address", "street", 0.5, "same street")
        else:
            continue
        if best is None or found.points > best.points:
            best = found
    return best


def score(query: Query, person: PersonFacts, bands: Bands) -> Match:
    """Compare a query with one person; every field given gets an explanation."""
    fields: list[FieldMatch] = []
    if query.name:
        fields.append(_score_name(query.name, person))
    if query.dob:
        found = _score_dob(query.dob, person.dob)
        fields.append(found or FieldMatch("date_of_birth", "unknown", 0.0, "no date of birth on record"))
    if query.phone:
        fields.append(
            FieldMatch("phone", "exact", 4.0, "same phone number")
            if query.phone in person.phones
            else FieldMatch("phone", "none", 0.0, "not a number on record")
        )
    if query.address:
        found = _score_address(query.address, person.addresses)
        fields.append(found or FieldMatch("address", "none", 0.0, "not an address on record"))
    if query.registration:
        fields.append(
            FieldMatch("registration", "exact", 3.0, "same vehicle")
            if query.registration in person.vehicles
            else FieldMatch("registration", "none", 0.0, "not a vehicle on record")
        )
    total = round(sum(f.points for f in fields), 2)
    return Match(person.person_id, total, bands.of(total), tuple(fields))


def rank(query: Query, people: list[PersonFacts], bands: Bands, limit: int) -> list[Match]:
    """Score everyone given and return the best first (ties by lower id, for a stable order)."""
    matches = [score(query, person, bands) for person in people]
    matches.sort(key=lambda m: (-m.score, m.person_id))
    return matches[:limit]


def likely(matches: list[Match], bands: Bands) -> Match | None:
    """The match to put first as "likely the person": strong, or possible and clearly ahead
    of the next; never one tied with the next (twins, namesakes at one address), and never
    on the name alone (a namesake who is not on record would look the same): something
    besides the name must agree."""
    if not matches or matches[0].band == "weak":
        return None
    first = matches[0]
    if not any(f.field != "name" and f.points > 0 for f in first.fields):
        return None
    margin = first.score - matches[1].score if len(matches) > 1 else first.score
    if margin <= 0:
        return None
    return first if first.band == "strong" or margin >= bands.clear_margin else None
