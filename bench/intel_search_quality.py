"""How well call-time search finds the person meant: corrupted duplicates with known truth.

One command, from the repository root::

    scripts/uv run python bench/intel_search_quality.py

1. Generate the fictional demo population (``--people``, default 20,000) and load it into a
   fresh store (SQLite by default; ``--stores sqlite,postgresql`` for both).
2. Draw ``--queries`` people (default 2,000) and write for each what a caller might give a
   call handler: the name plus one or two of date of birth, address or postcode, phone,
   registration; then spoil it with one or two realistic errors (typos, phonetic spellings,
   nicknames, swapped names, day and month swapped, a digit wrong, missing fields, the
   address written another way). Add ``--absent`` queries (default 200) for people who are
   not on record, whose right answer is "no match".
3. Run every query through the real search service (``IntelService.search``).
4. Score: the top match counts as asserted when the search marks it as the likely person
   (``domain.matching.likely``: strong, or possible and clearly ahead of the next). Precision, recall and
   F1 of the asserted top match; recall within the top 10 (any band). The same queries run
   through an exact-match baseline (exact name and date of birth or postcode) in the same
   run, to show what a plain lookup would have found.
5. PASS/FAIL against F1 >= 0.99 and top-10 recall >= 0.995; exit 1 on FAIL. Results go to
   ``bench/results/intel_search_quality-<store>.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_stores import STORES  # noqa: E402
from report import app_revision  # noqa: E402

from thriives.adapters.db.intel_bulk import BulkLoader  # noqa: E402
from thriives.adapters.db.migrate import upgrade  # noqa: E402
from thriives.bootstrap import build  # noqa: E402
from thriives.domain.accounts import Actor, Role  # noqa: E402
from thriives.domain.demo_population import DemoPerson, households  # noqa: E402
from thriives.domain.nicknames import _GROUPS  # noqa: E402
from thriives.settings import Settings  # noqa: E402

AS_OF = datetime(2026, 11, 1, 12, tzinfo=UTC)
F1_TARGET = 0.99
TOP10_TARGET = 0.995
_NICKNAMES = {formal: names.split() for formal, names in _GROUPS.items()}
_PHONETIC = (("ph", "f"), ("f", "ph"), ("y", "i"), ("i", "y"), ("ck", "k"), ("c", "k"), ("k", "c"),
             ("s", "z"), ("ll", "l"), ("l", "ll"), ("tt", "t"), ("ee", "ea"), ("ou", "ow"),
             ("th", "t"), ("mb", "m"), ("ey", "y"), ("ie", "y"))  # fmt: skip
_ABBREVIATE = {"Road": "Rd", "Street": "St", "Avenue": "Ave", "Lane": "Ln", "Close": "Cl", "Court": "Ct"}


@dataclass
class Truth:
    person: DemoPerson
    address: str


@dataclass
class Query:
    terms: dict[str, str]
    truth: str | None  # person key, or None for someone not on record
    errors: list[str] = field(default_factory=list)


def typo(word: str, rng: random.Random) -> str:
    """One keyboard slip: a letter dropped, doubled, swapped with the next, or replaced."""
    if len(word) < 4:
        return word + rng.choice("aeiou")
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "double", "swap", "replace"))
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice("abcdefghijklmnoprstuvwy") + word[i + 1 :]


def phonetic_spelling(word: str, rng: random.Random) -> str | None:
    lower = word.lower()
    options = [(a, b) for a, b in _PHONETIC if a in lower[1:]]
    if not options:
        return None
    a, b = rng.choice(options)
    at = lower.index(a, 1)
    spelt = lower[:at] + b + lower[at + len(a) :]
    return spelt.capitalize()


def swap_day_month(day: date) -> date | None:
    if day.day > 12 or day.day == day.month:
        return None
    return day.replace(month=day.day, day=day.month)


def digit_wrong(day: date, rng: random.Random) -> date:
    """A date with one digit mistyped (in the day, the month or the year's last two digits),
    still a real date and not after the date the population was made."""
    text = day.strftime("%d%m%Y")
    for _ in range(50):
        at = rng.choice((0, 1, 2, 3, 6, 7))
        digit = rng.choice([d for d in "0123456789" if d != text[at]])
        candidate = text[:at] + digit + text[at + 1 :]
        try:
            changed = date(int(candidate[4:]), int(candidate[2:4]), int(candidate[:2]))
        except ValueError:
            continue
        if changed <= AS_OF.date():
            return changed
    return day


def dob_text(day: date, rng: random.Random) -> str:
    return day.strftime("%d/%m/%Y") if rng.random() < 0.6 else day.isoformat()


def reformat_address(text: str, rng: random.Random) -> str:
    """The same address as someone else would type it."""
    street_part, _, postcode = text.rpartition(" TH")
    postcode = "TH" + postcode
    words = street_part.replace(",", "").split()
    if rng.random() < 0.5:
        words = [_ABBREVIATE.get(w, w) for w in words]
    if words and words[0] == "Flat" and rng.random() < 0.5:
        words = [f"{words[1]}/{words[2]}", *words[3:]]
    if rng.random() < 0.4 and len(words) > 3:
        words = words[:-1]  # the town left off
    code = postcode.replace(" ", "") if rng.random() < 0.5 else postcode
    code = code.lower() if rng.random() < 0.3 else code
    return " ".join(words).lower() + " " + code if rng.random() < 0.3 else " ".join(words) + ", " + code


_GROUPS_OF_ERRORS = (
    ("typo_forename", "nickname", "initial"),
    ("typo_surname", "phonetic_surname"),
    ("swapped",),
    ("dob_transposed", "dob_digit", "no_dob"),
    ("address_format", "postcode_only"),
)


def corrupt(person: DemoPerson, address: str, rng: random.Random) -> Query:
    """One or two errors, at most one to each part (forename, surname, order, date, address)."""
    first, surname = person.forenames.split()[0], person.surname
    dob = person.date_of_birth
    give_dob = rng.random() < 0.75
    give_address = rng.random() < (0.5 if give_dob else 1.0)
    errors: list[str] = []
    for group in rng.sample(_GROUPS_OF_ERRORS, rng.choice((1, 1, 2))):
        kind = rng.choice(group)
        if kind == "typo_surname":
            surname = typo(surname, rng)
        elif kind == "phonetic_surname":
            spelt = phonetic_spelling(surname, rng)
            if spelt is None:
                continue
            surname = spelt
        elif kind == "typo_forename":
            first = typo(first, rng)
        elif kind == "nickname":
            nicknames = _NICKNAMES.get(first.lower())
            if not nicknames:
                spelt = phonetic_spelling(first, rng)  # no nickname: a phonetic spelling instead
                if spelt is None:
                    continue
                first, kind = spelt, "phonetic_forename"
            else:
                first = rng.choice(nicknames).capitalize()
        elif kind == "initial":
            first = first[0]
        elif kind in ("dob_transposed", "dob_digit", "no_dob"):
            if not give_dob:
                continue
            if kind == "no_dob":
                give_dob, give_address = False, True
            elif kind == "dob_digit":
                dob = digit_wrong(dob, rng)
            else:
                swapped = swap_day_month(dob)
                if swapped is None:
                    continue
                dob = swapped
        elif kind in ("address_format", "postcode_only"):
            give_address = True
        errors.append(kind)
    terms = {"name": f"{surname} {first}" if "swapped" in errors else f"{first} {surname}"}
    if give_dob:
        terms["date_of_birth"] = dob_text(dob, rng)
    if give_address:
        if "postcode_only" in errors:
            terms["postcode"] = "TH" + address.rpartition(" TH")[2]
        elif "address_format" in errors:
            terms["address"] = reformat_address(address, rng)
        else:
            terms["address"] = address
    if person.phones and rng.random() < 0.2:
        terms["phone"] = person.phones[0]
    return Query(terms, person.key, errors or ["none"])


def load(container: Any, people: int, seed: int) -> dict[str, Truth]:
    truth: dict[str, Truth] = {}
    with container.uow(write=True) as uow:
        loader = BulkLoader(uow.connection, "legacy", AS_OF)
        for household in households(seed, people, AS_OF):
            loader.add(household)
            for person in household.members:
                truth[person.key] = Truth(person, household.address.text)
        loader.close()
        uow.commit()
    return truth


def queries(truth: dict[str, Truth], count: int, absent: int, seed: int) -> list[Query]:
    rng = random.Random(seed + 1)
    chosen = rng.sample(sorted(truth), count)
    made = [corrupt(truth[key].person, truth[key].address, rng) for key in chosen]
    # People not on record: another seed's population, checked against names and dates here.
    known = {(t.person.forenames, t.person.surname, t.person.date_of_birth) for t in truth.values()}
    for household in households(seed + 999, absent * 3, AS_OF):
        for person in household.members:
            if len(made) >= count + absent:
                break
            if (person.forenames, person.surname, person.date_of_birth) in known:
                continue
            query = corrupt(person, household.address.text, rng)
            made.append(Query(query.terms, None, query.errors))
    return made


def exact_baseline(query: Query, index: dict[tuple[str, ...], list[str]]) -> str | None:
    """A plain lookup: exact forename, surname and date of birth, else exact name and postcode."""
    words = query.terms["name"].lower().split()
    dob = query.terms.get("date_of_birth", "")
    if "/" in dob:
        d, m, y = dob.split("/")
        dob = f"{y}-{m}-{d}"
    postcode = query.terms.get("postcode") or query.terms.get("address", "").rpartition(" ")[2]
    for key in ((words[0], words[-1], dob), (words[0], words[-1], postcode.upper().replace(" ", ""))):
        found = index.get(key, [])
        if len(found) == 1:
            return found[0]
    return None


def run_store(store: Any, args: argparse.Namespace) -> dict[str, Any]:
    container = build(Settings(database_url=store.url))
    upgrade(container.engine)
    started = time.perf_counter()
    truth = load(container, args.people, args.seed)
    load_seconds = time.perf_counter() - started
    now = container.clock()
    user_id = container.accounts.add_user(
        "qualitybench", "Quality Bench", Role.SUPERVISOR, "bench-password-123", now
    )
    actor = Actor(user_id, "qualitybench", Role.SUPERVISOR, "Quality Bench")
    made = queries(truth, args.queries, args.absent, args.seed)
    index: dict[tuple[str, ...], list[str]] = {}
    for key, t in truth.items():
        first, last = t.person.forenames.split()[0].lower(), t.person.surname.lower()
        index.setdefault((first, last, t.person.date_of_birth.isoformat()), []).append(key)
        postcode = t.address.rpartition(" TH")[2]
        index.setdefault((first, last, f"TH{postcode}".replace(" ", "")), []).append(key)
    key_of = {}
    with container.uow() as uow:
        for row in uow.connection.exec_driver_sql("SELECT id, source_id FROM people"):
            key_of[row[0]] = row[1]
    tally = Counter[str]()
    failures: list[dict[str, Any]] = []
    by_error: dict[str, Counter[str]] = {}
    timings = []
    for query in made:
        began = time.perf_counter()
        result = container.intel.search(actor, query.terms, now, None, "search quality benchmark")
        timings.append(time.perf_counter() - began)
        ranked = [key_of[m["match"].person_id] for m in result.matches]
        asserted = key_of[result.likely] if result.likely is not None else None
        base = exact_baseline(query, index)
        for error in query.errors:
            by_error.setdefault(error, Counter())["queries"] += 1
        if query.truth is not None:
            tally["with_truth"] += 1
            tally["top10"] += query.truth in ranked[:10]
            if base is not None:
                tally["base_asserted"] += 1
                tally["base_correct"] += base == query.truth
        elif base is not None:
            tally["base_asserted"] += 1
        if asserted is not None:
            tally["asserted"] += 1
            tally["correct"] += asserted == query.truth
        if asserted != query.truth:
            for error in query.errors:
                by_error[error]["wrong"] += 1
            wrong_person = asserted is not None
            if len(failures) < args.show or (wrong_person and len(failures) < 3 * args.show):
                failures.append(
                    {
                        "terms": query.terms,
                        "errors": query.errors,
                        "truth": query.truth,
                        "asserted": asserted,
                        "kind": "wrong person" if wrong_person else "missed",
                        "top": [
                            (key_of[m["match"].person_id], m["match"].score, m["match"].band)
                            for m in result.matches[:3]
                        ],
                        "truth_rank": ranked.index(query.truth) + 1 if query.truth in ranked else None,
                    }
                )

    def f1(correct: int, asserted: int, relevant: int) -> tuple[float, float, float]:
        precision = correct / asserted if asserted else 1.0
        recall = correct / relevant if relevant else 1.0
        return (
            precision,
            recall,
            (2 * precision * recall / (precision + recall) if precision + recall else 0.0),
        )

    precision, recall, score = f1(tally["correct"], tally["asserted"], tally["with_truth"])
    base_p, base_r, base_f1 = f1(tally["base_correct"], tally["base_asserted"], tally["with_truth"])
    top10 = tally["top10"] / tally["with_truth"]
    timings.sort()
    return {
        "store": store.name,
        "people": len(truth),
        "queries": len(made),
        "absent": len(made) - tally["with_truth"],
        "load_seconds": round(load_seconds, 1),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(score, 4),
        "top10_recall": round(top10, 4),
        "baseline": {"precision": round(base_p, 4), "recall": round(base_r, 4), "f1": round(base_f1, 4)},
        "by_error": {k: dict(v) for k, v in sorted(by_error.items())},
        "search_ms_p50": round(timings[len(timings) // 2] * 1000, 1),
        "search_ms_p95": round(timings[int(len(timings) * 0.95)] * 1000, 1),
        "failures": failures,
        "passed": score >= F1_TARGET and top10 >= TOP10_TARGET,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--absent", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--stores", default="sqlite")
    parser.add_argument("--show", type=int, default=15, help="failures to print")
    parser.add_argument("--results", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    ok = True
    for name in args.stores.split(","):
        with STORES[name]() as store:
            report = run_store(store, args)
        ok = ok and report["passed"]
        print_report(report)
        args.results.mkdir(parents=True, exist_ok=True)
        out = args.results / f"intel_search_quality-{store.name}.json"
        out.write_text(json.dumps(report | {"revision": app_revision()}, indent=2, default=str))
    return 0 if ok else 1


def print_report(r: dict[str, Any]) -> None:
    print(f"\n== search quality on {r['store']}: {r['people']:,} people, {r['queries']:,} queries "
          f"({r['absent']} of people not on record), loaded in {r['load_seconds']} s")  # fmt: skip
    for failure in r["failures"]:
        print("  miss:", json.dumps(failure, default=str))
    print(f"  {'error':<16} {'queries':>8} {'wrong':>6}")
    for error, counts in r["by_error"].items():
        print(f"  {error:<16} {counts.get('queries', 0):>8} {counts.get('wrong', 0):>6}")
    b = r["baseline"]
    print(f"  top match     precision {r['precision']:.4f}  recall {r['recall']:.4f}  F1 {r['f1']:.4f}")
    print(f"  exact lookup  precision {b['precision']:.4f}  recall {b['recall']:.4f}  F1 {b['f1']:.4f}")
    print(f"  top-10 recall {r['top10_recall']:.4f}")
    p50, p95 = r["search_ms_p50"], r["search_ms_p95"]
    print(f"  search p50 {p50} ms, p95 {p95} ms (one at a time, audit write included)")
    f1_ok, top10_ok = r["f1"] >= F1_TARGET, r["top10_recall"] >= TOP10_TARGET
    print(f"  F1 >= {F1_TARGET}: {'PASS' if f1_ok else 'FAIL'}")
    print(f"  top-10 recall >= {TOP10_TARGET}: {'PASS' if top10_ok else 'FAIL'}")


if __name__ == "__main__":
    sys.exit(main())
