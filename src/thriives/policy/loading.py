"""Load policy files from disk. A bad file is refused whole, with every problem named."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from thriives.domain.categories import CategoryPolicy, parse_category_policy


class PolicyError(ValueError):
    """A policy file could not be loaded; the message names the file, field and problem."""


def default_policy_dir() -> Path:
    return Path(str(resources.files("thriives.policy")))


def load_category_policy(directory: Path | None = None) -> CategoryPolicy:
    path = (directory or default_policy_dir()) / "categories.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise PolicyError(f"{path}: file not found") from error
    except json.JSONDecodeError as error:
        raise PolicyError(f"{path}: line {error.lineno}: not valid JSON ({error.msg})") from error
    try:
        return parse_category_policy(data, source=str(path))
    except ValueError as error:
        raise PolicyError(str(error)) from error
