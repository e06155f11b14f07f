"""NSIR opening and closing categories, qualifiers and closure reasons, as force policy.

The National Incident Category List (REFERENCE 3) groups incidents into chapters (crime,
anti-social behaviour, public safety and welfare, transport, administration) and adds
qualifiers. The exact national list is not confirmed, so the list is policy data that a
force edits; this module only checks that a policy is well formed and answers questions
about it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from thriives.domain.errors import DomainError

CHAPTERS = ("crime", "asb", "public_safety", "transport", "administration")
ASB_QUALIFIERS = ("personal", "nuisance", "environmental")
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    chapter: str


@dataclass(frozen=True)
class CategoryPolicy:
    version: str
    categories: Mapping[str, Category]
    qualifiers: Mapping[str, str]
    closure_reasons: Mapping[str, str]

    def require_category(self, code: str, name: str) -> Category:
        category = self.categories.get(code)
        if category is None:
            raise DomainError(f"{code[:40]!r} is not a category in policy {self.version}", name)
        return category

    def require_qualifier(self, code: str, name: str) -> None:
        if code not in self.qualifiers:
            raise DomainError(f"{code[:40]!r} is not a qualifier in policy {self.version}", name)

    def require_closure_reason(self, code: str, name: str) -> None:
        if code not in self.closure_reasons:
            raise DomainError(f"{code[:40]!r} is not a closure reason in policy {self.version}", name)

    def require_asb_qualifier(self, category_code: str, asb_qualifier: str | None) -> None:
        """NSIR: an ASB incident carries exactly one of personal, nuisance, environmental."""
        chapter = self.categories[category_code].chapter
        if chapter == "asb" and asb_qualifier not in ASB_QUALIFIERS:
            raise DomainError(
                f"an anti-social behaviour incident needs one of {', '.join(ASB_QUALIFIERS)}",
                "asb_qualifier",
            )
        if chapter != "asb" and asb_qualifier is not None:
            raise DomainError("only anti-social behaviour incidents take one", "asb_qualifier")


def parse_category_policy(data: Any, source: str = "policy") -> CategoryPolicy:
    """Build a policy from parsed JSON, or raise ValueError listing every problem found.

    Problems are reported as ``source: path: problem`` so that a force's policy editor can
    find them; nothing of a bad policy is ever returned.
    """
    problems: list[str] = []

    def problem(path: str, text: str) -> None:
        problems.append(f"{source}: {path}: {text}")

    if not isinstance(data, dict):
        raise ValueError(f"{source}: the file must hold a JSON object")
    known = {"version", "categories", "qualifiers", "closure_reasons"}
    for key in sorted(set(data) - known):
        problem(key, f"unknown key (expected one of {', '.join(sorted(known))})")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        problem("version", "must be a non-empty string")
    categories: dict[str, Category] = {}
    raw_categories = data.get("categories")
    if not isinstance(raw_categories, list) or not raw_categories:
        problem("categories", "must be a non-empty list")
        raw_categories = []
    for index, item in enumerate(raw_categories):
        path = f"categories[{index}]"
        if not isinstance(item, dict) or set(item) != {"code", "label", "chapter"}:
            problem(path, "must be an object with exactly code, label and chapter")
            continue
        code, label, chapter = item["code"], item["label"], item["chapter"]
        if not isinstance(code, str) or not _CODE.match(code):
            problem(f"{path}.code", "must be 2-40 lower-case letters, digits or _")
            continue
        if code in categories:
            problem(f"{path}.code", f"{code!r} is listed twice")
        if not isinstance(label, str) or not label.strip():
            problem(f"{path}.label", "must be a non-empty string")
        if chapter not in CHAPTERS:
            problem(f"{path}.chapter", f"must be one of {', '.join(CHAPTERS)}")
        categories[code] = Category(code, str(label), str(chapter))
    qualifiers = _code_map(data.get("qualifiers"), "qualifiers", problem)
    reasons = _code_map(data.get("closure_reasons"), "closure_reasons", problem)
    if problems:
        raise ValueError("\n".join(problems))
    return CategoryPolicy(str(version), categories, qualifiers, reasons)


def _code_map(raw: Any, name: str, problem: Any) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw:
        problem(name, "must be a non-empty object of code: label")
        return {}
    result: dict[str, str] = {}
    for code, label in raw.items():
        if not _CODE.match(code):
            problem(f"{name}.{code}", "codes are 2-40 lower-case letters, digits or _")
        elif not isinstance(label, str) or not label.strip():
            problem(f"{name}.{code}", "label must be a non-empty string")
        else:
            result[code] = label
    return result
