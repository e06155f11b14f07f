"""UK postcode validation and normalisation.

The format is the Royal Mail one: an outward code (area letters, district digits, an
optional letter or digit) and an inward code (a digit and two letters), e.g. ``SW1A 1AA``,
``M1 1AE``, ``B33 8TH``. The inward code never uses C, I, K, M, O or V. GIR 0AA (Girobank)
is accepted as the one historical exception. Validation is of form only: whether the code
exists is a question for an address gazetteer, not for this module.
"""

from __future__ import annotations

import re

_OUTWARD = (
    r"(?:[A-PR-UWYZ][0-9][0-9]?"  # A9, A99
    r"|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"  # AA9, AA99
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"  # A9A
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"  # AA9A
)
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_POSTCODE = re.compile(rf"^(?:(?P<out>{_OUTWARD})(?P<in>{_INWARD})|GIR0AA)$")


def normalise_postcode(raw: str) -> str | None:
    """Return the postcode in canonical form (upper case, one space), or None if invalid.

    Spaces anywhere and letter case are ignored: ``" sw1a1aa "`` becomes ``"SW1A 1AA"``.
    """
    compact = re.sub(r"\s+", "", raw).upper()
    if compact == "GIR0AA":
        return "GIR 0AA"
    match = _POSTCODE.match(compact)
    if match is None:
        return None
    return f"{match.group('out')} {match.group('in')}"
