"""Reading policy JSON with every problem named by its path, and nothing half-accepted.

A ``Reader`` wraps one JSON object at a path (``questions.json: sets[2].questions[0]``);
each accessor checks a type and records a problem instead of raising, so a policy editor
sees every mistake in one pass. The caller raises once at the end if any were recorded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, path: str, text: str) -> None:
        self.items.append(f"{self.source}: {path}: {text}")

    def raise_if_any(self) -> None:
        if self.items:
            raise ValueError("\n".join(self.items))


class Reader:
    def __init__(self, data: Any, path: str, problems: Problems) -> None:
        self.path = path
        self.problems = problems
        self.ok = isinstance(data, dict)
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        if not self.ok:
            problems.add(path or "(top)", "must be a JSON object")

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def only(self, *allowed: str) -> None:
        for key in sorted(set(self.data) - set(allowed)):
            self.problems.add(self._at(key), f"unknown key (expected one of {', '.join(allowed)})")

    def text(self, key: str, default: str | None = None, limit: int = 4000) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            self.problems.add(self._at(key), f"must be a non-empty string of at most {limit} characters")
            return ""
        return value

    def code(self, key: str) -> str:
        value = self.data.get(key)
        if not isinstance(value, str) or not CODE.match(value):
            self.problems.add(self._at(key), "must be a code: 2-40 lower-case letters, digits or _")
            return ""
        return value

    def number(self, key: str, low: float, high: float, default: float | None = None) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            self.problems.add(self._at(key), f"must be a number from {low:g} to {high:g}")
            return low
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.problems.add(self._at(key), "must be true or false")
            return default
        return value

    def one_of(self, key: str, allowed: Sequence[str], default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value not in allowed:
            self.problems.add(self._at(key), f"must be one of {', '.join(allowed)}")
            return allowed[0]
        return str(value)

    def codes(
        self, key: str, allowed: Sequence[str] | None = None, required: bool = False
    ) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or (required and not value):
            self.problems.add(
                self._at(key), "must be a " + ("non-empty " if required else "") + "list of codes"
            )
            return ()
        result = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not CODE.match(item):
                self.problems.add(f"{self._at(key)}[{index}]", "must be a code")
            elif allowed is not None and item not in allowed:
                self.problems.add(f"{self._at(key)}[{index}]", f"{item!r} is not known here")
            else:
                result.append(item)
        return tuple(result)

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.problems.add(self._at(key), "must be a list of non-empty strings")
            return ()
        return tuple(value)

    def items(self, key: str, required: bool = True) -> Iterator[Reader]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or (required and not value):
            self.problems.add(self._at(key), "must be a non-empty list" if required else "must be a list")
            return
        for index, item in enumerate(value):
            yield Reader(item, f"{self._at(key)}[{index}]", self.problems)

    def child(self, key: str) -> Reader:
        return Reader(self.data.get(key), self._at(key), self.problems)


def unique(codes: Sequence[str], path: str, problems: Problems) -> None:
    seen: set[str] = set()
    for code in codes:
        if code and code in seen:
            problems.add(path, f"{code!r} is listed twice")
        seen.add(code)
