"""Settings are declared as data, so an undocumented one fails here."""

from pathlib import Path

from thriives.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_is_in_the_readme_table() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"`THRIIVES_{name.upper()}`" not in text]
    assert missing == []


def test_the_readme_documents_no_setting_that_does_not_exist() -> None:
    import re

    documented = set(re.findall(r"`THRIIVES_([A-Z0-9_]+)`", README.read_text(encoding="utf-8")))
    known = {name.upper() for name in Settings.model_fields} | {"NEW_PASSWORD"}
    assert documented - known == set()
