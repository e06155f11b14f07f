"""UK addresses and vehicle registrations as typed at call time, made comparable.

An address is reduced to its parts: flat, building number or name, street, town and
postcode, with common abbreviations written out (``St`` -> ``street``, ``Rd`` -> ``road``)
so that "Flat 2, 14 High St, TH1 2AB" and "2/14 high street th12ab" compare equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from thriives.domain.errors import DomainError
from thriives.domain.names import fold
from thriives.domain.postcodes import normalise_postcode

MAX_ADDRESS = 300

_ABBREVIATIONS = {
    "st": "street", "rd": "road", "ave": "avenue", "av": "avenue", "ln": "lane", "cl": "close",
    "cres": "crescent", "cr": "crescent", "dr": "drive", "ct": "court", "pl": "place",
    "sq": "square", "gdns": "gardens", "gds": "gardens", "ter": "terrace", "terr": "terrace",
    "pk": "park", "hse": "house", "grn": "green", "wy": "way", "mt": "mount", "rise": "rise",
    "bldgs": "buildings", "est": "estate", "apt": "flat", "apartment": "flat", "fl": "flat",
}  # fmt: skip
_FLAT_WORDS = ("flat", "unit", "room")
_POSTCODE_AT_END = re.compile(r"([a-z]{1,2}[0-9][a-z0-9]?)\s*([0-9][a-z]{2})\s*$")
_SLASHED = re.compile(r"^(\d+[a-zA-Z]?)\s*/\s*(\d+[a-zA-Z]?)\b")  # "2/14 High St": flat 2, number 14


@dataclass(frozen=True)
class Address:
    flat: str | None
    number: str | None  # building number, e.g. "14" or "14a"
    street: str  # folded, abbreviations written out, building number removed
    town: str
    postcode: str | None

    @property
    def line(self) -> str:
        """One comparable line: "flat 2 14 high street thornbury TH1 2AB"."""
        parts = [f"flat {self.flat}" if self.flat else "", self.number or "", self.street, self.town]
        return " ".join(p for p in (*parts, self.postcode or "") if p)


def parse_address(raw: str, field: str = "address") -> Address:
    """Split a typed address into parts; refuses one with nothing to search by."""
    if len(raw) > MAX_ADDRESS:
        raise DomainError(f"is {len(raw)} characters long; the most is {MAX_ADDRESS}", field)
    text = fold(_SLASHED.sub(r"flat \1 \2", raw.strip())).replace(",", " ")
    postcode = None
    found = _POSTCODE_AT_END.search(text)
    if found:
        postcode = normalise_postcode(found.group(1) + found.group(2))
        if postcode:
            text = text[: found.start()]
    text = text.strip()
    flat = None
    words = [_ABBREVIATIONS.get(w, w) for w in text.replace("'", "").split()]
    if len(words) >= 2 and words[0] in _FLAT_WORDS:
        flat, words = words[1], words[2:]
    number = None
    for index, word in enumerate(words):
        if re.fullmatch(r"\d+[a-z]?", word):
            number, words = word, words[:index] + words[index + 1 :]
            break
    street, town = _street_and_town(words)
    if not (street or postcode):
        raise DomainError("give a street or a postcode", field)
    return Address(flat, number, street, town, postcode)


_STREET_ENDS = frozenset(
    {"street", "road", "avenue", "lane", "close", "crescent", "drive", "court", "place", "square",
     "gardens", "terrace", "park", "way", "green", "mount", "rise", "row", "walk", "hill", "grove",
     "view", "mews", "parade", "buildings", "estate", "yard"}
)  # fmt: skip


def _street_and_town(words: list[str]) -> tuple[str, str]:
    for index, word in enumerate(words):
        if word in _STREET_ENDS:
            return " ".join(words[: index + 1]), " ".join(words[index + 1 :])
    return " ".join(words), ""


_REGISTRATION = re.compile(r"^[A-Z0-9]{2,8}$")


def normalise_registration(raw: str, field: str = "registration") -> str:
    """A vehicle registration with spaces and case ignored: ``ab12 cde`` -> ``AB12CDE``."""
    compact = re.sub(r"[\s-]+", "", raw).upper()
    if not _REGISTRATION.match(compact):
        raise DomainError("a registration has 2 to 8 letters and digits", field)
    return compact
