"""The quality-assurance sample: reproducible from its seed, and meeting its policy.

Each candidate incident gets a score in [0, 1) from a keyed hash of the seed, the period and
its reference, so the same seed and candidates always give the same sample, and adding a
candidate never changes another's score: whoever the share picked stays picked. (No sample
can both meet a per-handler minimum and only ever grow with the pool; a newcomer may take
at most one place a minimum or the top-up gave another, and none if it is not picked.)
The sample is:

1. every candidate whose score is below the policy's share (about that share of calls);
2. then, for each handler with fewer than the policy's minimum picks, their lowest-scoring
   other candidates until the minimum is met (or they have no more);
3. then, if the whole is still below the share of all candidates (rounded up), the
   lowest-scoring remaining candidates until it is not.

Each pick says which rule picked it, so a draw can be explained and re-run.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class SamplePolicy:
    share: float  # at least this share of the period's calls, e.g. 0.02
    per_handler: int  # at least this many per handler per period, e.g. 3


@dataclass(frozen=True)
class Candidate:
    reference: str
    handler: str


@dataclass(frozen=True)
class Pick:
    reference: str
    handler: str
    score: float
    why: str  # "share", "handler_min" or "share_top_up"


def score(seed: str, period: str, reference: str) -> float:
    digest = hashlib.blake2b(f"{seed}|{period}|{reference}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def draw(seed: str, period: str, candidates: Iterable[Candidate], policy: SamplePolicy) -> list[Pick]:
    """The sample for one period, in reference order."""
    scored = sorted(
        ((score(seed, period, c.reference), c) for c in {c.reference: c for c in candidates}.values()),
        key=lambda pair: (pair[0], pair[1].reference),
    )
    picks: dict[str, Pick] = {}
    for value, candidate in scored:
        if value < policy.share:
            picks[candidate.reference] = Pick(candidate.reference, candidate.handler, value, "share")
    per_handler: dict[str, int] = defaultdict(int)
    for pick in picks.values():
        per_handler[pick.handler] += 1
    for value, candidate in scored:
        if candidate.reference not in picks and per_handler[candidate.handler] < policy.per_handler:
            picks[candidate.reference] = Pick(candidate.reference, candidate.handler, value, "handler_min")
            per_handler[candidate.handler] += 1
    needed = math.ceil(policy.share * len(scored))
    for value, candidate in scored:
        if len(picks) >= needed:
            break
        if candidate.reference not in picks:
            picks[candidate.reference] = Pick(candidate.reference, candidate.handler, value, "share_top_up")
    return sorted(picks.values(), key=lambda p: p.reference)


def meets(picks: list[Pick], candidates: Iterable[Candidate], policy: SamplePolicy) -> list[str]:
    """What a sample falls short of, if anything (empty when it meets the policy)."""
    pool = list({c.reference: c for c in candidates}.values())
    problems = []
    if len(picks) < math.ceil(policy.share * len(pool)):
        problems.append(f"{len(picks)} picked of {len(pool)}: below {policy.share:.0%}")
    available: dict[str, int] = defaultdict(int)
    for candidate in pool:
        available[candidate.handler] += 1
    got: dict[str, int] = defaultdict(int)
    for pick in picks:
        got[pick.handler] += 1
    for handler, count in sorted(available.items()):
        if got[handler] < min(policy.per_handler, count):
            problems.append(f"{handler}: {got[handler]} picked, needs {min(policy.per_handler, count)}")
    return problems
