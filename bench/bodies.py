"""Realistic call bodies for ``POST /api/v1/incidents``.

Categories and qualifiers come from the bundled policy (``thriives/policy/categories.json``),
so every body is one the service accepts. Personal data is fictional: phone numbers are in
Ofcom's drama range (07700 900000-900999) and postcodes are in the made-up ``TH`` area.
"""

from __future__ import annotations

import json
import random
from importlib.resources import files
from typing import Any

CHANNELS = ("999", "999", "101", "101", "101", "online", "other")
ASB_QUALIFIERS = ("personal", "nuisance", "environmental")
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # Royal Mail inward codes skip C I K M O V
FIRST = ("Alex", "Sam", "Priya", "Tomasz", "Aisha", "Gareth", "Mei", "Olu", "Siobhan", "Ravi")
LAST = ("Hughes", "Patel", "Nowak", "Okafor", "Evans", "Chen", "MacLeod", "Singh", "Brown")
STREETS = (
    "Mill Lane",
    "Station Road",
    "Church Street",
    "Victoria Terrace",
    "Oak Avenue",
    "Market Square",
    "Canal Walk",
    "Hillside Close",
)
ACCOUNT_PARTS = (
    "Caller says a group of four or five males are shouting outside the address.",
    "She can hear glass breaking and thinks someone has been hurt.",
    "Caller is calm but worried; the neighbours have been arguing for about an hour.",
    "A silver hatchback drove off towards the high street at speed.",
    "Caller believes one of them is carrying a knife but did not see it clearly.",
    "The front door of the shop has been forced and the alarm is sounding.",
    "An elderly man has not been seen for two days and his curtains are still closed.",
    "Caller states her ex-partner is outside and banging on the windows.",
    "Caller reports the smell of cannabis and people coming and going all evening.",
    "A child aged about six is alone on the footpath and appears distressed.",
)


def load_policy() -> dict[str, Any]:
    """The bundled category policy as parsed JSON."""
    text = (files("thriives.policy") / "categories.json").read_text(encoding="utf-8")
    policy: dict[str, Any] = json.loads(text)
    return policy


def call_body(rng: random.Random, policy: dict[str, Any]) -> dict[str, Any]:
    """One contact as a call handler's client would send it."""
    category = rng.choice(policy["categories"])
    body: dict[str, Any] = {
        "channel": rng.choice(CHANNELS),
        "opening_category": category["code"],
        "qualifiers": rng.sample(sorted(policy["qualifiers"]), rng.randint(0, 3)),
        "caller_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        "caller_phone": f"07700 900{rng.randint(0, 999):03d}",
        "location_text": f"{rng.randint(1, 240)} {rng.choice(STREETS)}, Thrivesby",
        "postcode": (
            f"TH{rng.randint(1, 29)} {rng.randint(0, 9)}"
            f"{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
        ),
        "account": " ".join(rng.sample(ACCOUNT_PARTS, rng.randint(2, 5))),
    }
    if category["chapter"] == "asb":
        body["asb_qualifier"] = rng.choice(ASB_QUALIFIERS)
    if rng.random() < 0.5:
        body["latitude"] = round(rng.uniform(52.90, 53.10), 6)
        body["longitude"] = round(rng.uniform(-1.30, -1.00), 6)
    return body


def body_pool(size: int, seed: int = 26) -> list[bytes]:
    """``size`` distinct encoded call bodies, the same for every run with the same seed."""
    rng = random.Random(seed)
    policy = load_policy()
    return [json.dumps(call_body(rng, policy)).encode() for _ in range(size)]
