"""Risk indicators: the national vocabulary that grading rules are written in.

An indicator is a fact about the call that the handler records or an answer implies
("a weapon is present", "danger to life"). Each may carry a national grade floor from the
ACPO National Call Handling Standards (REFERENCE 2.1): an *emergency* when the incident
is, or is likely to be, danger to life, use or immediate threat of violence, serious
injury, serious damage to property; a serious crime in progress, an offender just
disturbed or detained and a risk to others; a road traffic collision with serious injury
or a blocked or dangerous road; or when the handler has strong and objective reasons to
treat it as one. A *priority* when urgency is clear but an emergency response is not
needed: concern for safety, an offender detained, a witness or evidence likely to be lost,
a collision with injuries or serious obstruction, a person in extreme distress or
otherwise vulnerable. These are law-like national definitions, so they are code.
"""

from __future__ import annotations

from enum import IntEnum


class Response(IntEnum):
    """The four national response categories, ordered so that a larger value is more urgent."""

    RESOLUTION = 0  # resolution without deployment
    SCHEDULED = 1
    PRIORITY = 2
    EMERGENCY = 3


EMERGENCY_INDICATORS: dict[str, str] = {
    "danger_to_life": "danger to life",
    "not_breathing": "a person is not breathing",
    "violence": "use, or immediate threat of use, of violence",
    "serious_injury": "serious injury to a person",
    "serious_damage": "serious damage to property",
    "serious_crime_in_progress": "a serious crime is, or is likely to be, in progress",
    "offender_disturbed": "an offender has just been disturbed at the scene",
    "offender_detained_risk": "an offender is detained and poses a risk to others",
    "rtc_serious_injury": "a road traffic collision with serious injury involved or likely",
    "road_blocked": "the road is blocked or there is a dangerous build-up of traffic",
    "handler_belief": "the handler has strong and objective reasons to treat it as an emergency",
}

PRIORITY_INDICATORS: dict[str, str] = {
    "concern_for_safety": "concern for someone's safety",
    "offender_detained": "an offender has been detained",
    "evidence_at_risk": "a witness or evidence is likely to be lost",
    "rtc_injury": "a road traffic collision with injuries or serious obstruction",
    "extreme_distress": "a person in extreme distress",
    "vulnerable_person": "a person who is vulnerable",
}

# Facts that raise factors (through the question sets) but set no grade floor by themselves.
CONTEXT_INDICATORS: dict[str, str] = {
    "suspect_present": "the suspect is present",
    "weapon": "a weapon is used or available",
    "firearm": "a firearm is involved or available",
    "children_present": "children are present or normally resident",
    "previous_da": "there is a history of domestic abuse",
    "previous_marac": "the victim has been referred to MARAC",
    "court_order": "a court order or bail condition applies",
    "intoxication": "someone is under the influence of alcohol or drugs",
    "communication_needs": "someone has communication difficulties or special needs",
    "self_harm": "someone has harmed or threatens to harm themselves",
    "repeat_victim": "the victim has called before about this",
    "strangulation": "attempted strangling, choking or suffocation",
    "threats_to_kill": "threats to kill",
    "stalking": "stalking or harassment",
    "missing_high_risk": "a missing person at high risk",
    "hostages": "hostages are held",
}

INDICATORS: dict[str, str] = EMERGENCY_INDICATORS | PRIORITY_INDICATORS | CONTEXT_INDICATORS


def floor_of(indicator: str) -> Response | None:
    """The national response floor an indicator sets by itself, if any."""
    if indicator in EMERGENCY_INDICATORS:
        return Response.EMERGENCY
    if indicator in PRIORITY_INDICATORS:
        return Response.PRIORITY
    return None


CALL_STATES: dict[str, str] = {
    "silent": "a silent call: the line open, nobody speaking",
    "abandoned": "the caller rang off before speaking",
    "cut_off": "the call was cut off part-way",
}
