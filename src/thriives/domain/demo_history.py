"""Twelve months of past incidents for the fictional demo force, built from a seed.

``build_history(force, seed, as_of, codes, ...)`` yields closed incidents received in the
twelve months before ``as_of``, oldest first: the channel mix, the hour, weekday and season
of demand, domestic-abuse households calling again and again, repeat callers. The same
seed and ``as_of`` give exactly the same history. See ``demo_force`` for the force itself.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from math import cos, log, pi

from thriives.domain.categories import ASB_QUALIFIERS
from thriives.domain.demo_force import DemoForce, Population, Street
from thriives.domain.incidents import Channel


@dataclass(frozen=True)
class PolicyCodes:
    """The force's category policy as plain codes: this module never reads a policy file."""

    chapters: Mapping[str, str]  # category code -> NSIR chapter
    qualifiers: Sequence[str]
    closure_reasons: Sequence[str]


@dataclass(frozen=True, slots=True)
class PastIncident:
    received_at: datetime
    closed_at: datetime
    channel: str
    opening_category: str
    qualifiers: tuple[str, ...]
    asb_qualifier: str | None
    caller_name: str | None
    caller_phone: str | None
    location_text: str
    postcode: str
    latitude: float
    longitude: float
    account: str
    closing_category: str
    closure_reason: str
    closure_note: str


_CHANNELS = {Channel.EMERGENCY: 35, Channel.NON_EMERGENCY: 45, Channel.ONLINE: 15, Channel.OTHER: 5}
_HOURLY = (
    3.0,
    2.4,
    1.8,
    1.3,
    1.0,
    1.0,
    1.4,
    2.2,
    3.0,
    3.6,
    3.9,
    4.1,
    4.3,
    4.4,
    4.6,
    5.0,
    5.4,
    5.6,
    5.6,
    5.5,
    5.2,
    4.8,
    4.3,
    3.6,
)  # local hour
_WEEKDAY = (0.95, 0.93, 0.95, 0.98, 1.08, 1.12, 0.99)  # Monday first
# Relative demand per category and what a caller might say. A code missing here gets
# weight 1 and a plain account; a code here but not in the force's policy is never used.
_CATEGORIES: dict[str, tuple[float, str]] = {
    "crime_violence": (6, "Caller says {other} punched them outside a shop on {place}."),
    "crime_sexual": (1, "Caller reports being groped by a stranger near {place}."),
    "crime_robbery": (0.5, "Caller says two people took their phone by force on {place}."),
    "crime_burglary": (2.5, "Caller came home to find the back door forced and a laptop gone."),
    "crime_vehicle": (2.5, "Caller reports the window of their {vehicle} smashed on {place}."),
    "crime_theft": (6, "Caller reports a bicycle stolen from outside a house on {place}."),
    "crime_damage": (3, "Caller reports paint thrown over their front door on {place}."),
    "crime_drugs": (1.5, "Caller reports people dealing from a {vehicle} on {place}."),
    "crime_fraud": (2.5, "Caller paid £{amount} to a caller who claimed to be from the bank."),
    "asb_rowdy": (3, "Caller reports a group shouting and throwing bottles on {place}."),
    "asb_neighbours": (2.5, "Caller says the neighbours are banging on the walls again."),
    "asb_vehicle_nuisance": (1.5, "Caller reports off-road bikes racing along {place}."),
    "asb_noise": (2, "Caller reports loud music from a house on {place} past midnight."),
    "asb_malicious_comms": (1, "Caller keeps getting abusive messages from {other}."),
    "asb_street_drinking": (0.7, "Caller reports drinkers swearing at passers-by on {place}."),
    "domestic_incident": (4, "Caller reports an argument with {other} getting out of hand."),
    "concern_for_safety": (9, "Caller is worried about {other}, not seen for two days."),
    "missing_person": (2.5, "Caller reports {other} has not come home and is not answering."),
    "mental_health": (4, "Caller says {other} is very distressed and talking of self-harm."),
    "suspicious_circumstances": (5, "Caller reports someone trying car door handles on {place}."),
    "sudden_death": (0.6, "Caller has found {other} unresponsive at home."),
    "firearms_incident": (0.3, "Caller thinks they saw a person with a gun on {place}."),
    "civil_dispute": (2, "Caller is in a dispute with {other} over a tenancy deposit."),
    "abandoned_call": (4, "Silent 999 call, line open, no speech heard."),
    "rtc_injury": (1.5, "Caller reports a car hit a cyclist on {place}; the cyclist is hurt."),
    "rtc_damage": (4, "Caller reports a minor collision on {place}; no one hurt, road blocked."),
    "highway_disruption": (4, "Caller reports a fallen tree across {place}."),
    "admin_lost_found": (2.5, "Caller has found a wallet on {place}."),
    "admin_other": (4, "Caller asks for an update on an earlier report."),
}
_PLAIN_ACCOUNT = "Caller reports a matter on {place}; details taken."
# How much more (or less) likely a category is on a channel than on average.
_CHANNEL_BIAS: dict[str, dict[str, float]] = {
    Channel.EMERGENCY: {
        "crime_violence": 3,
        "crime_robbery": 3,
        "crime_burglary": 2,
        "domestic_incident": 3,
        "concern_for_safety": 2,
        "missing_person": 2,
        "sudden_death": 3,
        "firearms_incident": 4,
        "rtc_injury": 4,
        "abandoned_call": 4,
    },
    Channel.ONLINE: {
        "crime_fraud": 4,
        "crime_theft": 2,
        "crime_vehicle": 2,
        "asb_noise": 2,
        "asb_neighbours": 2,
        "admin_lost_found": 3,
        "sudden_death": 0,
        "firearms_incident": 0,
        "rtc_injury": 0,
        "abandoned_call": 0,
    },
    Channel.NON_EMERGENCY: {"abandoned_call": 0, "firearms_incident": 0.2},
    Channel.OTHER: {"abandoned_call": 0},
}
_DEFAULT_BIAS = {Channel.EMERGENCY: 0.5, Channel.ONLINE: 0.5}
# Where the caller usually is: these happen at the caller's home, the rest out and about.
_AT_HOME = (
    "crime_burglary",
    "asb_neighbours",
    "asb_malicious_comms",
    "domestic_incident",
    "concern_for_safety",
    "missing_person",
    "mental_health",
    "sudden_death",
    "civil_dispute",
    "crime_fraud",
    "admin_other",
)
# (qualifier, chance, only for these categories, or for all when empty)
_QUALIFIER_CHANCES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("domestic", 1.0, ("domestic_incident",)),
    ("mental_health", 0.9, ("mental_health",)),
    ("missing", 0.95, ("missing_person",)),
    ("drugs", 0.8, ("crime_drugs",)),
    ("weapon", 0.3, ("crime_robbery", "firearms_incident", "crime_violence")),
    ("alcohol", 0.08, ()),
    ("child", 0.04, ()),
    ("vulnerable_adult", 0.04, ()),
    ("hate", 0.01, ()),
)
_ASB_MIX = {
    "asb_malicious_comms": (90, 10, 0),
    "asb_street_drinking": (10, 50, 40),
    "asb_vehicle_nuisance": (10, 50, 40),
}  # personal, nuisance, environmental
_CLOSURES: dict[str, dict[str, float]] = {
    "crime": {
        "crime_recorded": 60,
        "attended_resolved": 8,
        "advice_given": 10,
        "no_trace": 8,
        "referred_partner": 4,
        "duplicate": 5,
        "cancelled_by_caller": 5,
    },
    "abandoned_call": {
        "no_trace": 40,
        "cancelled_by_caller": 20,
        "hoax": 20,
        "duplicate": 10,
        "attended_resolved": 10,
    },
    "": {
        "attended_resolved": 35,
        "advice_given": 25,
        "referred_partner": 10,
        "no_trace": 10,
        "crime_recorded": 6,
        "duplicate": 5,
        "cancelled_by_caller": 8,
        "hoax": 1,
    },
}
_MEDIAN_MINUTES_OPEN = {
    Channel.EMERGENCY: 100,
    Channel.NON_EMERGENCY: 480,
    Channel.ONLINE: 2880,
    Channel.OTHER: 1440,
}
_DA_ACCOUNTS = (
    "Caller says {other} has pushed them and will not leave the house.",
    "Caller reports {other} is shouting and smashing things at the address.",
    "Caller says {other} keeps turning up at the house despite being told to stay away.",
    "Caller says {other} threatened them over money and took their phone.",
)
_DA_NEIGHBOUR = "Caller hears shouting and screaming from {address}; it has happened before."
_REPEAT_CATEGORIES = {
    "asb_neighbours": 3,
    "asb_noise": 3,
    "concern_for_safety": 2,
    "suspicious_circumstances": 2,
    "mental_health": 1,
    "civil_dispute": 1,
}
_DA_CHANNELS = (Channel.EMERGENCY, Channel.NON_EMERGENCY, Channel.ONLINE)
_VEHICLES = ("silver hatchback", "white van", "black saloon", "red estate", "blue people carrier")


def arrival_times(
    rng: random.Random, start: datetime, end: datetime, count: int, zone: tzinfo
) -> list[datetime]:
    """``count`` UTC times in [start, end), sorted, shaped by local hour, weekday and season."""
    first = start.astimezone(zone).date()
    days = [first + timedelta(days=n) for n in range((end - start).days + 2)]
    day_weights = [_WEEKDAY[d.weekday()] * _season(d) for d in days]
    times: list[datetime] = []
    while len(times) < count:  # redraw the few that fall outside the window
        need = count - len(times)
        for day, hour in zip(
            rng.choices(days, day_weights, k=need), rng.choices(range(24), _HOURLY, k=need), strict=True
        ):
            local = datetime(
                day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=zone
            )
            moment = local.astimezone(UTC)
            if start <= moment < end:
                times.append(moment)
    return sorted(times)


def _season(day: date) -> float:
    """About 8% more demand in high summer than in midwinter."""
    return 1 + 0.04 * cos(2 * pi * (day.timetuple().tm_yday - 196) / 365)


def build_history(
    force: DemoForce,
    seed: int,
    as_of: datetime,
    codes: PolicyCodes,
    incidents: int = 52_000,
    zone: tzinfo = UTC,
) -> Iterator[PastIncident]:
    """Closed incidents received in the 365 days before ``as_of``, oldest first.

    ``zone`` is the force's time zone, because the daily rhythm of demand is local.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must be an aware datetime")
    as_of = as_of.astimezone(UTC)
    rng = random.Random(f"thornshire-history:{seed}:{as_of.isoformat()}")
    calls = _Calls(force.population, codes, rng, as_of)
    for received in arrival_times(rng, as_of - timedelta(days=365), as_of, incidents, zone):
        yield calls.make(received)


@dataclass(frozen=True, slots=True)
class _Place:
    text: str
    postcode: str
    latitude: float
    longitude: float
    street: str


def _weighted(weights: Mapping[str, float], chapters: Mapping[str, str]) -> tuple[list[str], list[float]]:
    """The weighted codes that the force's policy has, in the table's (fixed) order."""
    codes = [code for code in weights if code in chapters]
    return codes, [weights[code] for code in codes]


def _channel_weight(code: str, channel: Channel) -> float:
    base = _CATEGORIES[code][0] if code in _CATEGORIES else 1.0
    return base * _CHANNEL_BIAS[channel].get(code, _DEFAULT_BIAS.get(channel, 1.0))


class _Calls:
    """Makes past incidents one at a time, in time order, so that a domestic-abuse
    household's second and later calls can carry the repeat-victim qualifier."""

    def __init__(
        self, population: Population, codes: PolicyCodes, rng: random.Random, as_of: datetime
    ) -> None:
        self._pop, self._rng, self._as_of = population, rng, as_of
        self._chapters = codes.chapters
        self._known = sorted(codes.chapters)
        self._qualifiers = frozenset(codes.qualifiers)
        self._reasons = sorted(codes.closure_reasons)
        self._channel_mix = {ch: [_channel_weight(c, ch) for c in self._known] for ch in _CHANNELS}
        self._adults = [i for i, p in enumerate(population.people) if p.adult]
        self._reachable = [i for i in self._adults if population.phone(i)]
        self._reachable_on: dict[int, list[int]] = {}
        for person in self._reachable:
            on = population.households[population.people[person].household].street
            self._reachable_on.setdefault(on, []).append(person)
        self._streets: dict[str, list[Street]] = {}
        for street in population.streets:
            self._streets.setdefault(street.district_code, []).append(street)
        self._da_mix = _weighted(
            {"domestic_incident": 70, "crime_violence": 20, "crime_damage": 10}, codes.chapters
        )
        self._repeat_mix = _weighted(_REPEAT_CATEGORIES, codes.chapters)
        self._abuse_weights = [case.intensity for case in population.abuse_cases]
        self._caller_weights = [caller.intensity for caller in population.repeat_callers]
        self._abuse_seen: set[int] = set()

    def make(self, received: datetime) -> PastIncident:
        roll = self._rng.random()
        if roll < 0.05 and self._abuse_weights:
            return self._domestic(received)
        if roll < 0.10 and self._caller_weights:
            return self._repeat(received)
        return self._general(received)

    def _general(self, received: datetime) -> PastIncident:
        rng = self._rng
        channel = rng.choices(list(_CHANNELS), list(_CHANNELS.values()))[0]
        category = rng.choices(self._known, self._channel_mix[channel])[0]
        phoned = channel in (Channel.EMERGENCY, Channel.NON_EMERGENCY)
        caller = rng.choice(self._reachable if phoned else self._adults)
        home = self._pop.people[caller].household
        place = self._home(home) if category in _AT_HOME else self._out(home)
        template = _CATEGORIES[category][1] if category in _CATEGORIES else _PLAIN_ACCOUNT
        return self._finish(
            received,
            channel,
            category,
            self._qualifiers_for(category),
            caller,
            place,
            template,
            rng.choice(self._adults),
        )

    def _domestic(self, received: datetime) -> PastIncident:
        """A call from (or about) one of the force's domestic-abuse households."""
        rng = self._rng
        index = rng.choices(range(len(self._abuse_weights)), self._abuse_weights)[0]
        case = self._pop.abuse_cases[index]
        channel = rng.choices(_DA_CHANNELS, (70, 25, 5))[0]
        category = rng.choices(*self._da_mix)[0] if self._da_mix[0] else rng.choice(self._known)
        chances = (
            ("domestic", 1.0),
            ("repeat_victim", 1.0 if index in self._abuse_seen else 0.0),
            ("child", 0.6 if self._pop.households[case.household].has_children else 0.0),
            ("alcohol", 0.25),
            ("weapon", 0.05),
        )
        qualifiers = tuple(q for q, chance in chances if q in self._qualifiers and rng.random() < chance)
        self._abuse_seen.add(index)
        if rng.random() < 0.8:
            caller, template = case.victim, rng.choice(_DA_ACCOUNTS)
        else:  # a neighbour on the same street hears it
            street = self._pop.households[case.household].street
            caller = rng.choice(self._reachable_on.get(street) or self._reachable)
            template = _DA_NEIGHBOUR
        return self._finish(
            received,
            channel,
            category,
            qualifiers,
            caller,
            self._home(case.household),
            template,
            case.perpetrator,
        )

    def _repeat(self, received: datetime) -> PastIncident:
        """A call from one of the people who ring again and again, about home."""
        rng = self._rng
        who = rng.choices(self._pop.repeat_callers, self._caller_weights)[0].person
        channel = rng.choices(_DA_CHANNELS, (30, 60, 10))[0]
        mix = self._repeat_mix
        category = rng.choices(*mix)[0] if mix[0] else rng.choice(self._known)
        qualifiers = self._qualifiers_for(category)
        if "repeat_victim" in self._qualifiers and rng.random() < 0.5:
            qualifiers += ("repeat_victim",)
        template = _CATEGORIES[category][1] if category in _CATEGORIES else _PLAIN_ACCOUNT
        return self._finish(
            received,
            channel,
            category,
            qualifiers,
            who,
            self._home(self._pop.people[who].household),
            template,
            rng.choice(self._adults),
        )

    def _finish(
        self,
        received: datetime,
        channel: Channel,
        category: str,
        qualifiers: tuple[str, ...],
        caller: int,
        place: _Place,
        template: str,
        other: int,
    ) -> PastIncident:
        """Caller details, account, ASB qualifier, closure and closing time."""
        rng, people = self._rng, self._pop.people
        phone = self._pop.phone(caller)
        if channel in (Channel.ONLINE, Channel.OTHER) and rng.random() < 0.3:
            phone = None  # not every online or front-counter report leaves a number
        silent = category == "abandoned_call"
        account = template.format(
            other=people[other].name,
            place=place.street,
            address=place.text,
            vehicle=rng.choice(_VEHICLES),
            amount=rng.randrange(50, 4000, 10),
        )
        asb = None
        if self._chapters[category] == "asb":
            asb = rng.choices(ASB_QUALIFIERS, _ASB_MIX.get(category, (30, 55, 15)))[0]
        reason = self._closure_reason(category)
        minutes = rng.lognormvariate(_log_median(channel), 0.9)
        closed = min(received + timedelta(seconds=int(60 * max(minutes, 2))), self._as_of)
        return PastIncident(
            received,
            closed,
            channel.value,
            category,
            qualifiers,
            asb,
            None if silent else people[caller].name,
            phone,
            place.text,
            place.postcode,
            place.latitude,
            place.longitude,
            account,
            self._closing_category(category, reason, "domestic" in qualifiers),
            reason,
            _CLOSURE_NOTES.get(reason, "Closed."),
        )

    def _qualifiers_for(self, category: str) -> tuple[str, ...]:
        return tuple(
            q
            for q, chance, only in _QUALIFIER_CHANCES
            if (not only or category in only) and q in self._qualifiers and self._rng.random() < chance
        )

    def _closure_reason(self, category: str) -> str:
        mix = _CLOSURES.get(category) or _CLOSURES.get(self._chapters[category]) or _CLOSURES[""]
        options = [reason for reason in self._reasons if mix.get(reason, 0) > 0]
        if not options:
            return self._rng.choice(self._reasons)
        return self._rng.choices(options, [mix[reason] for reason in options])[0]

    def _closing_category(self, category: str, reason: str, domestic: bool) -> str:
        """Usually the opening category; NSIR lets the closing one differ when the facts did."""
        chapters = self._chapters
        if reason == "crime_recorded" and chapters[category] != "crime":
            wanted = "crime_violence" if domestic else "crime_other"
            if wanted in chapters:
                return wanted
        roll = self._rng.random()
        if roll < 0.88:
            return category
        if roll < 0.97:
            return self._rng.choice([c for c in self._known if chapters[c] == chapters[category]])
        return self._rng.choice(self._known)

    def _home(self, household: int) -> _Place:
        street = self._pop.streets[self._pop.households[household].street]
        return _Place(
            self._pop.address(household), street.postcode, street.latitude, street.longitude, street.name
        )

    def _out(self, household: int) -> _Place:
        """Somewhere in the caller's own district, out of doors."""
        district = self._pop.streets[self._pop.households[household].street].district_code
        street = self._rng.choice(self._streets[district])
        text = f"outside {self._rng.randint(1, 180)} {street.name}, {street.town}"
        return _Place(text, street.postcode, street.latitude, street.longitude, street.name)


_CLOSURE_NOTES = {
    "attended_resolved": "Officers attended; matter resolved.",
    "crime_recorded": "Crime recorded and passed for investigation.",
    "advice_given": "Advice given by phone; no deployment needed.",
    "referred_partner": "Referred to the partner agency best placed to help.",
    "duplicate": "Duplicate of an earlier call about the same matter.",
    "no_trace": "Area searched; no trace.",
    "hoax": "Call found to be malicious.",
    "cancelled_by_caller": "Caller rang back to cancel.",
}


def _log_median(channel: Channel) -> float:
    return log(_MEDIAN_MINUTES_OPEN.get(channel, 1440))
