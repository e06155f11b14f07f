"""Load policy files from disk. A bad file is refused whole, with every problem named."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from thriives.domain.assessment_policy import FILES, AssessmentPolicy, parse_assessment_policy
from thriives.domain.categories import CategoryPolicy, parse_category_policy
from thriives.domain.dispatch_policy import DispatchPolicy, parse_dispatch_policy
from thriives.domain.duplicates import LinkPolicy, parse_link_policy
from thriives.domain.intel_policy import IntelPolicy, parse_intel_policy
from thriives.domain.review_form import SupervisionPolicy, parse_supervision_policy
from thriives.domain.time_window import TimeWindow, parse_time_window


class PolicyError(ValueError):
    """A policy file could not be loaded; the message names the file, field and problem."""


def default_policy_dir() -> Path:
    return Path(str(resources.files("thriives.policy")))


def _read(path: Path) -> Any:
    """One policy file's JSON; a missing or malformed file is refused by name and line."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise PolicyError(f"{path}: file not found") from error
    except json.JSONDecodeError as error:
        raise PolicyError(f"{path}: line {error.lineno}: not valid JSON ({error.msg})") from error


def load_category_policy(directory: Path | None = None) -> CategoryPolicy:
    path = (directory or default_policy_dir()) / "categories.json"
    data = _read(path)
    try:
        return parse_category_policy(data, source=str(path))
    except ValueError as error:
        raise PolicyError(str(error)) from error


def read_policy_files(directory: Path | None = None) -> dict[str, Any]:
    """Parse each assessment policy file; a missing or malformed file is refused by name."""
    folder = directory or default_policy_dir()
    files: dict[str, Any] = {}
    for name in FILES:
        files[name] = _read(folder / name)
    return files


def load_assessment_policy(
    directory: Path | None = None, categories: CategoryPolicy | None = None
) -> AssessmentPolicy:
    categories = categories or load_category_policy(directory)
    try:
        return parse_assessment_policy(read_policy_files(directory), categories)
    except ValueError as error:
        raise PolicyError(str(error)) from error


def load_intel_policy(directory: Path | None, assessment: AssessmentPolicy) -> IntelPolicy:
    path = (directory or default_policy_dir()) / "intel.json"
    data = _read(path)
    try:
        return parse_intel_policy(data, assessment, source=str(path))
    except ValueError as error:
        raise PolicyError(str(error)) from error


def load_dispatch_policy(
    directory: Path | None, assessment: AssessmentPolicy, categories: CategoryPolicy
) -> DispatchPolicy:
    path = (directory or default_policy_dir()) / "dispatch.json"
    data = _read(path)
    try:
        return parse_dispatch_policy(data, assessment, categories, source=str(path))
    except ValueError as error:
        raise PolicyError(str(error)) from error


def load_supervision_policy(directory: Path | None, assessment: AssessmentPolicy) -> SupervisionPolicy:
    path = (directory or default_policy_dir()) / "supervision.json"
    data = _read(path)
    try:
        return parse_supervision_policy(data, assessment.levels, source=str(path))
    except ValueError as error:
        raise PolicyError(str(error)) from error


def load_link_policy(directory: Path | None, categories: CategoryPolicy) -> LinkPolicy:
    path = (directory or default_policy_dir()) / "links.json"
    data = _read(path)
    try:
        return parse_link_policy(data, categories, source=str(path))
    except ValueError as error:
        raise PolicyError(str(error)) from error


def load_time_window(directory: Path | None = None) -> TimeWindow:
    """How far back and ahead a time sent by a client may be (``times.json``)."""
    path = (directory or default_policy_dir()) / "times.json"
    data = _read(path)
    try:
        return parse_time_window(data, source=str(path))
    except ValueError as error:
        raise PolicyError(str(error)) from error
