"""Human-readable incident references.

A reference is ``<prefix>-<YYMMDD>-<n>``: the day the call was received (in the force's
local calendar) and the n-th incident opened that day, counted by the store. ``n`` has a
minimum width of four digits and no maximum, so there is no cap per day. Uniqueness comes
from the store's counter (one atomic increment per incident), not from this module.
"""

from __future__ import annotations

import re
from datetime import date

_REFERENCE = re.compile(r"^[A-Z]{1,6}-\d{6}-\d{4,}$")


def format_reference(prefix: str, day: date, number: int) -> str:
    if number < 1:
        raise ValueError("incident numbers start at 1")
    return f"{prefix}-{day:%y%m%d}-{number:04d}"


def looks_like_reference(text: str) -> bool:
    return _REFERENCE.match(text) is not None
