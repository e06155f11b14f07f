"""Malformed import files are refused with a clear line naming the file, row and field;
nothing is written and no traceback is shown, on both stores."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Table, create_engine, func, select
from typer.testing import CliRunner

from tests.cli.test_cli import env
from thriives.adapters.cli.main import app
from thriives.adapters.db import intel_tables

runner = CliRunner()
PEOPLE = "id,forenames,surname,date_of_birth\n"
INCIDENT = '"reference": "L1", "category": "domestic_incident", "grade": "priority"'
CASES = {
    "binary": ("people.csv", bytes(range(256)) * 8, "line 1: is not UTF-8 text"),
    "latin-1": ("people.csv", (PEOPLE + "P1,José,Smith,\n").encode("latin-1"), "is not UTF-8 text"),
    "empty": ("people.csv", b"", "file: is empty"),
    "header only": ("people.csv", PEOPLE.encode(), "line 2: has no rows under its header"),
    "truncated": ("people.csv", (PEOPLE + 'P1,"Testy,Mc').encode(), "line 2: has 2 values"),
    "ragged": ("people.csv", (PEOPLE + "P1,A,B,,extra\n").encode(), "line 2: has 5 values"),
    "huge field": ("people.csv", (PEOPLE + f"P1,{'A' * 200_000},B,\n").encode(), "line 2: cannot be read"),
    "long field": ("people.csv", (PEOPLE + f"P1,A,{'B' * 5000},\n").encode(), "line 2: surname: is 5000"),
    "NUL": ("people.csv", (PEOPLE + "P1,Te\x00sty,Smith,\n").encode(), "line 2: forenames: holds a control"),
    "NUL in header": ("people.csv", b"id,fore\x00names,surname\n", "fore?names: a column's name holds"),
    "not JSON": ("incidents.json", b'[{"id": "I1",', "file: is not JSON"),
    "empty JSON": ("incidents.json", b"[]", "file: holds no records"),
    "wrong shape": ("incidents.json", b'{"id": "I1"}', "file: must hold a JSON array of objects"),
    "nested value": (
        "incidents.json",
        ('[{"id": {"a": 1}, "occurred_at": "2026-01-01T00:00:00Z", ' + INCIDENT + "}]").encode(),
        "item 1: id: must be text or a number",
    ),
    "nests deeply": ("incidents.json", b"[" * 100_000 + b"]" * 100_000, "file: is not an array of records"),
    "huge number": ("incidents.json", b'[{"id": ' + b"9" * 5000 + b"}]", "file: holds a value that cannot"),
    "lone surrogate": (
        "incidents.json",
        ('[{"id": "I\\ud800", "occurred_at": "2026-01-01T00:00:00Z", ' + INCIDENT + "}]").encode(),
        "item 1: id: holds a control character",
    ),
    "year 1 at +14:00": (
        "incidents.json",
        ('[{"id": "I1", "occurred_at": "0001-01-01T00:00:00+14:00", ' + INCIDENT + "}]").encode(),
        "item 1: occurred_at: is not a plausible date and time",
    ),
    "year 9999 at -14:00": (
        "incidents.json",
        ('[{"id": "I1", "occurred_at": "9999-12-31T23:59:59-14:00", ' + INCIDENT + "}]").encode(),
        "item 1: occurred_at: is not a plausible date and time",
    ),
    "year 1": (
        "incidents.json",
        ('[{"id": "I1", "occurred_at": "0001-01-01T00:00:00", ' + INCIDENT + "}]").encode(),
        "item 1: occurred_at: is before 1900",
    ),
}


def _rows(database_url: str) -> int:
    engine = create_engine(database_url)
    tables = [value for value in vars(intel_tables).values() if isinstance(value, Table)]
    with engine.connect() as connection:
        found = sum(int(connection.execute(select(func.count()).select_from(t)).scalar_one()) for t in tables)
    engine.dispose()
    return found


@pytest.mark.parametrize("case", list(CASES))
def test_a_malformed_file_is_refused_by_line_and_field_and_nothing_is_written(
    database_url: str, tmp_path: Path, case: str
) -> None:
    name, content, expected = CASES[case]
    folder = tmp_path / "legacy"
    folder.mkdir()
    (folder / name).write_bytes(content)
    result = runner.invoke(
        app, ["import", str(folder / name), "--source", "legacy-rms"], env=env(database_url)
    )
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert f"{name} (" in result.stdout and "REFUSED, nothing written" in result.stdout
    assert expected in result.stdout, result.stdout
    assert "Traceback" not in result.output and "\x00" not in result.output
    assert _rows(database_url) == 0
