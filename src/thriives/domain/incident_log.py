"""The incident log: one running record of free-text updates, append-only.

Anyone working the incident (handler, dispatcher, supervisor, public-protection officer)
adds a line: what the caller rang back to say, what the unit reported, what was decided.
Entries are never edited or removed; a correction is a new entry. A short note may be added
after the incident is closed (a late result, a call-back), and is shown as added after closing.
"""

from __future__ import annotations

import re

from thriives.domain.errors import DomainError

MAX_LOG_TEXT = 4_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # newline and tab are allowed


def check_log_text(text: str | None) -> str:
    """The entry as it will be kept (trailing space trimmed), or refused naming ``text``."""
    value = (text or "").replace("\r\n", "\n").strip()
    if not value:
        raise DomainError("write what happened; an empty entry is not kept", "text")
    if len(value) > MAX_LOG_TEXT:
        raise DomainError(f"is {len(value)} characters long; the most is {MAX_LOG_TEXT}", "text")
    if _CONTROL.search(value):
        raise DomainError("may hold only letters, digits, punctuation, spaces, tabs and new lines", "text")
    return value
