"""``thriives import`` on both stores: exit codes, the per-row report, dry runs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Table, create_engine, func, select
from typer.testing import CliRunner

from tests.cli.test_cli import env
from thriives.adapters.cli.main import app
from thriives.adapters.db.intel_tables import people, phones

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "import"
GOOD_PEOPLE = "id,forenames,surname,date_of_birth\nP1,Testy,McTestface,1984-03-07\n"


def count(database_url: str, table: Table) -> int:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        found = int(connection.execute(select(func.count()).select_from(table)).scalar_one())
    engine.dispose()
    return found


def legacy(tmp_path: Path, files: dict[str, str]) -> list[str]:
    """Write files into a folder of their own (the SQLite store is in tmp_path too)."""
    folder = tmp_path / "legacy"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [str(folder / name) for name in files]


def test_the_example_files_import_and_import_again_without_duplicates(database_url: str) -> None:
    files = [str(path) for path in sorted(EXAMPLES.iterdir())]
    first = runner.invoke(app, ["import", *files, "--source", "legacy-rms"], env=env(database_url))
    assert first.exit_code == 0, first.output
    assert "people.csv (people): 3 rows: 3 new, 0 updated, 0 unchanged" in first.stdout
    assert "incident_people.csv (incident_people): 3 rows: 3 new" in first.stdout
    again = runner.invoke(app, ["import", *files, "--source", "legacy-rms"], env=env(database_url))
    assert again.exit_code == 0, again.output
    assert "people.csv (people): 3 rows: 0 new, 0 updated, 3 unchanged" in again.stdout
    assert count(database_url, people) == 3
    verified = runner.invoke(app, ["audit", "verify"], env=env(database_url))
    assert "audit log intact: 16 entries" in verified.stdout  # one a file, each time


def test_a_refused_file_is_reported_line_by_line_and_stops_the_files_after_it(
    database_url: str, tmp_path: Path
) -> None:
    files = legacy(
        tmp_path,
        {
            "phones.csv": "person_id,number\nP1,07700 900123\n",
            "people.csv": GOOD_PEOPLE + "P2,Dora,Dummy,31/02/1990\nP3,,Unknown,\n",
        },
    )
    result = runner.invoke(app, ["import", *files, "--source", "legacy-rms"], env=env(database_url))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:3] == [
        "people.csv (people): REFUSED, nothing written: 2 problem(s) in 3 rows",
        "  line 3: date_of_birth: is not a real date",
        "  line 4: surname: holds no name: only titles, initials or words like 'unknown'",
    ]
    assert "not imported: phones.csv" in result.stdout
    assert count(database_url, people) == 0 and count(database_url, phones) == 0


def test_a_long_report_is_cut_short_with_a_count(database_url: str, tmp_path: Path) -> None:
    rows = "".join(f"P{n},Testy,McTestface,1984-02-30\n" for n in range(60))
    files = legacy(tmp_path, {"people.csv": "id,forenames,surname,date_of_birth\n" + rows})
    result = runner.invoke(app, ["import", *files, "--source", "legacy-rms"], env=env(database_url))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len([line for line in lines if line.startswith("  line ")]) == 50
    assert "  ... and 10 more" in lines


def test_a_dry_run_checks_and_writes_nothing(database_url: str, tmp_path: Path) -> None:
    files = legacy(tmp_path, {"people.csv": GOOD_PEOPLE, "phones.csv": "person_id,number\nP1,07700 900123\n"})
    result = runner.invoke(
        app, ["import", *files, "--source", "legacy-rms", "--dry-run"], env=env(database_url)
    )
    assert result.exit_code == 0, result.output
    assert "people.csv (people): 1 rows, all good (dry run: nothing written)" in result.stdout
    assert "phones.csv (phones): 1 rows, all good" in result.stdout  # P1 would be there by then
    assert count(database_url, people) == 0
    bad = legacy(tmp_path, {"people.csv": GOOD_PEOPLE + "P2,Dora,Dummy,tomorrow\n"})
    refused = runner.invoke(
        app, ["import", *bad, "--source", "legacy-rms", "--dry-run"], env=env(database_url)
    )
    assert refused.exit_code == 1 and "line 3: date_of_birth" in refused.stdout


def test_a_file_named_for_no_kind_needs_kind(database_url: str, tmp_path: Path) -> None:
    files = legacy(tmp_path, {"persons-2024.csv": GOOD_PEOPLE})
    refused = runner.invoke(app, ["import", *files, "--source", "legacy-rms"], env=env(database_url))
    assert refused.exit_code == 2 and "does not say what it holds" in refused.output
    told = runner.invoke(
        app, ["import", *files, "--source", "legacy-rms", "--kind", "people"], env=env(database_url)
    )
    assert told.exit_code == 0, told.output
    assert count(database_url, people) == 1


def test_a_bad_source_or_a_user_who_may_not_import_cannot_start(database_url: str, tmp_path: Path) -> None:
    files = legacy(tmp_path, {"people.csv": GOOD_PEOPLE})
    variables = env(database_url)
    bad_source = runner.invoke(app, ["import", *files, "--source", "Legacy RMS"], env=variables)
    assert bad_source.exit_code == 2 and "source: 1-40 characters" in bad_source.output
    nobody = runner.invoke(app, ["import", *files, "--source", "legacy-rms", "--as", "nobody"], env=variables)
    assert nobody.exit_code == 2 and "no active user 'nobody'" in nobody.output
    runner.invoke(app, ["user", "add", "jo.handler", "--role", "call_handler"], env=variables)
    handler = runner.invoke(
        app, ["import", *files, "--source", "legacy-rms", "--as", "jo.handler"], env=variables
    )
    assert handler.exit_code == 2 and "may not import intel" in handler.output
    runner.invoke(app, ["user", "add", "jo.admin", "--role", "admin"], env=variables)
    admin = runner.invoke(
        app, ["import", *files, "--source", "legacy-rms", "--as", "jo.admin"], env=variables
    )
    assert admin.exit_code == 0, admin.output
    assert count(database_url, people) == 1
