"""The force's intelligence-search policy: marker kinds and how a search ranks and reports.

Which markers exist, which are restricted (shown only to roles allowed to see them, and
opened only with a justification) and which THRIIVES factor each raises are force-local,
so they are data (``policy/intel.json``), checked against the assessment policy on load.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.matching import Bands
from thriives.domain.policy_reader import Problems, Reader, unique


@dataclass(frozen=True)
class MarkerKind:
    code: str
    label: str
    restricted: bool
    raises: Mapping[str, str]  # factor code -> the least level an attached marker implies
    hides_address: bool = False  # a protected address: the address is withheld with the marker
    domestic_abuse: bool = False  # flags a caller's number as linked to domestic abuse


@dataclass(frozen=True)
class IntelPolicy:
    version: str
    markers: Mapping[str, MarkerKind]
    bands: Bands
    history_days: int  # how far back the history summary looks
    repeat_at: int  # this many incidents in the window makes a repeat victim or caller
    shortlist: int  # how many candidates are scored in full
    shown: int  # how many matches a search returns
    per_key: int  # the most people read for one blocking key (bounds every query)
    # What any restricted marker raises, whatever its kind: the highest level each restricted
    # kind raises a factor to. A handler who may not see restricted markers sees only that
    # "a restricted record raises the risk"; a raise that differed by kind would tell them
    # which kind it is.
    restricted_raises: Mapping[str, str] = field(default_factory=dict)

    @property
    def hiding(self) -> tuple[str, ...]:
        """The marker kinds that withhold a person's or an address's addresses."""
        return tuple(sorted(code for code, kind in self.markers.items() if kind.hides_address))


def parse_intel_policy(data: Any, assessment: AssessmentPolicy, source: str = "intel.json") -> IntelPolicy:
    problems = Problems(source)
    top = Reader(data, "", problems)
    top.only("version", "markers", "search")
    factors = sorted({f.code for m in assessment.models.values() for f in m.factors})
    kinds: dict[str, MarkerKind] = {}
    for item in top.items("markers"):
        item.only("code", "label", "restricted", "raises", "hides_address", "domestic_abuse")
        raises = item.child("raises") if "raises" in item.data else Reader({}, "", problems)
        raised = {}
        for factor, level in raises.data.items():
            if factor not in factors:
                problems.add(f"{raises.path}.{factor}", "is not a factor of any model")
            elif level not in assessment.levels:
                problems.add(f"{raises.path}.{factor}", f"must be one of {', '.join(assessment.levels)}")
            else:
                raised[factor] = level
        code = item.code("code")
        kinds[code] = MarkerKind(
            code,
            item.text("label", limit=80),
            item.flag("restricted", False),
            raised,
            item.flag("hides_address", False),
            item.flag("domestic_abuse", False),
        )
    unique([k for k in kinds], "markers", problems)
    search = top.child("search")
    search.only(
        "strong_at",
        "possible_at",
        "clear_margin",
        "history_days",
        "repeat_at",
        "shortlist",
        "shown",
        "per_key",
    )
    strong = search.number("strong_at", 0, 50)
    possible = search.number("possible_at", 0, 50)
    if possible > strong:
        problems.add("search.possible_at", "must not be above strong_at")
    policy = IntelPolicy(
        version=top.text("version", limit=40),
        markers=kinds,
        bands=Bands(strong, possible, search.number("clear_margin", 0, 50)),
        history_days=int(search.number("history_days", 1, 3660)),
        repeat_at=int(search.number("repeat_at", 1, 100)),
        shortlist=int(search.number("shortlist", 1, 1000)),
        shown=int(search.number("shown", 1, 100)),
        per_key=int(search.number("per_key", 10, 10_000)),
        restricted_raises=_restricted_raises(kinds, assessment),
    )
    problems.raise_if_any()
    return policy


def _restricted_raises(kinds: Mapping[str, MarkerKind], assessment: AssessmentPolicy) -> dict[str, str]:
    """Each factor any restricted kind raises, at the highest level any of them raises it."""
    found: dict[str, str] = {}
    for kind in kinds.values():
        if not kind.restricted:
            continue
        for factor, level in kind.raises.items():
            if factor not in found or assessment.rank(level) > assessment.rank(found[factor]):
                found[factor] = level
    return dict(sorted(found.items()))
