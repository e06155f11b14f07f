"""Importing legacy records on both stores: all or nothing per file, no duplicates, audited."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, func, select

from tests.conftest import FakeClock, People
from thriives.adapters.db import intel_tables as t
from thriives.adapters.db.tables import audit_log
from thriives.bootstrap import Container
from thriives.domain.accounts import Actor, Role
from thriives.domain.intel_import import ImportKind, kind_of
from thriives.services import intel_import
from thriives.services.intel_import import FileReport, IntelImport, RowProblem

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "import"
SOURCE = "legacy-rms"
TABLES = (
    t.people,
    t.aliases,
    t.addresses,
    t.person_addresses,
    t.phones,
    t.vehicles,
    t.markers,
    t.past_incidents,
    t.past_links,
)
PEOPLE_CSV = """id,forenames,surname,date_of_birth,gender,aliases
P1001,Testy,McTestface,1984-03-07,male,Ted McTestface
P1002,Dora,Dummy-Record,02/11/1990,female,
P1003,Sam,Placeholder,,,
"""


@pytest.fixture
def importer(container: Container) -> IntelImport:
    return IntelImport(container.uow, container.intel.policy, container.settings.force_timezone)


@pytest.fixture
def admin(people: People) -> Actor:
    return people(Role.ADMIN)


def examples() -> list[tuple[Path, ImportKind]]:
    return [(path, kind_of(path.name)) for path in sorted(EXAMPLES.iterdir())]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def count(container: Container, table: Table) -> int:
    with container.uow() as uow:
        return int(uow.connection.execute(select(func.count()).select_from(table)).scalar_one())


def counts(container: Container) -> dict[str, int]:
    return {table.name: count(container, table) for table in TABLES}


def imports(container: Container) -> list[dict[str, Any]]:
    with container.uow() as uow:
        query = select(audit_log).where(audit_log.c.record_type == "intel_import").order_by(audit_log.c.seq)
        return [dict(row) for row in uow.connection.execute(query).mappings()]


def import_one(
    importer: IntelImport, actor: Actor, clock: FakeClock, path: Path, kind: ImportKind | None = None
) -> FileReport:
    return importer.import_file(path, kind or kind_of(path.name), SOURCE, actor, clock())


def test_every_kind_of_file_imports_and_a_search_finds_the_person_with_marker_and_history(
    container: Container, importer: IntelImport, admin: Actor, people: People, clock: FakeClock
) -> None:
    run = importer.import_files(examples(), SOURCE, admin, clock())
    assert run.skipped == []
    assert [(r.kind.value, r.rows, r.inserted, r.written) for r in run.reports] == [
        ("people", 3, 3, True),
        ("addresses", 2, 2, True),
        ("person_addresses", 3, 3, True),
        ("phones", 2, 2, True),
        ("vehicles", 1, 1, True),
        ("markers", 2, 2, True),
        ("incidents", 2, 2, True),
        ("incident_people", 3, 3, True),
    ]
    found = container.intel.search(
        people(Role.SUPERVISOR), {"name": "Testy McTestface"}, clock(), None, "checking the legacy import"
    )
    best = found.matches[0]
    person = best["person"]
    assert (person["forenames"], person["surname"]) == ("Testy", "McTestface")
    assert person["aliases"] == ["Ted McTestface", "Testy McTest"]
    assert person["phones"] == ["07700900123"] and person["vehicles"] == ["TH12ABC"]
    assert [a["postcode"] for a in person["addresses"]] == ["TH1 2AB"]
    assert [m.code for m in best["markers"]] == ["weapons"]
    assert [(h.reference, h.role, h.dash_risk) for h in best["history"].incidents] == [
        ("LEG-9001", "suspect", "medium")
    ]
    by_phone = container.intel.search(
        people(Role.CALL_HANDLER), {"phone": "07700 900456"}, clock(), None, "checking the legacy import"
    )
    assert by_phone.matches[0]["person"]["surname"] == "Placeholder"
    assert [m.code for m in by_phone.matches[0]["markers"]] == ["child_at_address"]


def test_a_time_without_an_offset_is_read_as_uk_local_time(
    container: Container, importer: IntelImport, admin: Actor, clock: FakeClock
) -> None:
    importer.import_files(examples(), SOURCE, admin, clock())
    with container.uow() as uow:
        query = select(t.past_incidents.c.reference, t.past_incidents.c.occurred_at)
        stored = {row.reference: row.occurred_at.isoformat() for row in uow.connection.execute(query)}
    # 2026-10-01 22:15+01:00 as given; 2026-03-14 09:30 is before the clocks go forward (GMT).
    assert stored == {"LEG-9001": "2026-10-01T21:15:00+00:00", "LEG-9002": "2026-03-14T09:30:00+00:00"}


def test_a_file_with_one_bad_row_imports_nothing_and_names_its_line_and_field(
    container: Container, importer: IntelImport, admin: Actor, clock: FakeClock, tmp_path: Path
) -> None:
    text = PEOPLE_CSV + "P1004,Testy,Testerson,31/02/1990,,\nP1005,Dora,Example,,,\n"
    report = import_one(importer, admin, clock, write(tmp_path, "people.csv", text))
    assert report.refused and not report.written
    assert report.rows == 5
    assert report.problems == [RowProblem(5, "date_of_birth", "is not a real date")]
    assert str(report.problems[0]) == "line 5: date_of_birth: is not a real date"
    assert counts(container)["people"] == 0 and imports(container) == []


def test_every_bad_row_is_reported_not_only_the_first(
    importer: IntelImport, admin: Actor, clock: FakeClock, tmp_path: Path
) -> None:
    text = (
        "id,forenames,surname\n"
        "P1,Testy,McTestface\n"
        'P2,"Dora\nAnn",Unknown\n'  # a quoted value over two lines: the row starts on line 3
        "P3,Sam\n"
        "P1,Sam,Placeholder\n"
        "\n"
        "P4,Testy,Testerson\n"
    )
    report = import_one(importer, admin, clock, write(tmp_path, "people.csv", text))
    assert [(p.line, p.field) for p in report.problems] == [(3, "surname"), (5, None), (6, "id")]
    assert report.problems[1].message == "has 2 values; the header has 3 columns"
    assert report.problems[2].message == "is the id of line 2 too"
    assert report.rows == 5  # the blank line is not a row


def test_a_bad_json_item_is_reported_by_its_number(
    container: Container, importer: IntelImport, admin: Actor, clock: FakeClock, tmp_path: Path
) -> None:
    items = [
        {"id": "P1", "forenames": "Testy", "surname": "McTestface", "date_of_birth": "1984-03-07"},
        {"id": "P2", "forenames": "Dora", "surname": "Dummy", "eye_colour": "blue"},
        "P3",
    ]
    report = import_one(importer, admin, clock, write(tmp_path, "people.json", json.dumps(items)))
    assert [str(p) for p in report.problems] == [
        "item 2: eye_colour: is not a column of people (they are: id, forenames, surname, "
        "date_of_birth, gender, aliases)",
        "item 3: is not a JSON object",
    ]
    assert counts(container)["people"] == 0


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("people.csv", "id,forenames,surname,nickname\nP1,Testy,McTestface,TT\n", "line 1: nickname: is not"),
        ("people.csv", "", "file: is empty"),
        ("people.csv", b"id,forenames,surname\nP1,J\xf6rg,Smith\n", "is not UTF-8 text"),
        ("people.json", '[{"id": "P1",}]', "file: is not JSON: Expecting property name"),
        ("people.json", '{"id": "P1"}', "file: must hold a JSON array of objects"),
    ],
    ids=["unknown column", "empty", "not UTF-8", "not JSON", "not an array"],
)
def test_a_file_that_cannot_be_read_is_refused_whole(
    importer: IntelImport,
    admin: Actor,
    clock: FakeClock,
    tmp_path: Path,
    name: str,
    content: str | bytes,
    problem: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    report = import_one(importer, admin, clock, path)
    assert report.refused and problem in str(report.problems[0])


def test_running_the_same_files_again_does_not_duplicate_anything(
    container: Container, importer: IntelImport, admin: Actor, clock: FakeClock
) -> None:
    importer.import_files(examples(), SOURCE, admin, clock())
    first, keys = counts(container), count(container, t.search_keys)
    again = importer.import_files(examples(), SOURCE, admin, clock())
    assert counts(container) == first and count(container, t.search_keys) == keys
    assert first == {
        "people": 3,
        "aliases": 2,
        "addresses": 2,
        "person_addresses": 3,
        "phones": 2,
        "vehicles": 1,
        "markers": 2,
        "past_incidents": 2,
        "past_links": 3,
    }
    assert all(r.written and r.inserted == r.updated == 0 and r.unchanged == r.rows for r in again.reports)


def test_a_changed_record_is_updated_in_place_and_found_by_its_new_name(
    container: Container,
    importer: IntelImport,
    admin: Actor,
    people: People,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    import_one(importer, admin, clock, write(tmp_path, "people.csv", PEOPLE_CSV))
    changed = PEOPLE_CSV.replace("Sam,Placeholder", "Samantha,Placemat")
    report = import_one(importer, admin, clock, write(tmp_path, "people.csv", changed))
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2)
    assert count(container, t.people) == 3
    found = container.intel.search(
        people(Role.CALL_HANDLER), {"name": "Samantha Placemat"}, clock(), None, "checking the re-import"
    )
    assert found.matches[0]["person"]["surname"] == "Placemat"


def test_an_unknown_reference_is_reported_with_its_field(
    container: Container, importer: IntelImport, admin: Actor, clock: FakeClock, tmp_path: Path
) -> None:
    import_one(importer, admin, clock, write(tmp_path, "people.csv", PEOPLE_CSV))
    text = "person_id,number\nP1001,07700 900123\nP9999,07700 900999\n"
    report = import_one(importer, admin, clock, write(tmp_path, "phones.csv", text))
    assert [str(p) for p in report.problems] == [
        "line 3: person_id: no person 'P9999' has been imported from legacy-rms"
    ]
    other = importer.import_file(tmp_path / "phones.csv", ImportKind.PHONES, "another-rms", admin, clock())
    assert other.problem_count == 2  # references are to records of the same source only
    assert count(container, t.phones) == 0


def test_a_crash_part_way_through_writing_leaves_nothing(
    container: Container,
    importer: IntelImport,
    admin: Actor,
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(intel_import, "BATCH", 2)
    write_batch = intel_import.write_sourced
    batches: list[int] = []

    def crash_on_the_second_batch(*args: Any) -> None:
        batches.append(len(args[3]))
        if len(batches) == 2:
            raise RuntimeError("the power went")
        write_batch(*args)

    monkeypatch.setattr(intel_import, "write_sourced", crash_on_the_second_batch)
    with pytest.raises(RuntimeError, match="the power went"):
        import_one(importer, admin, clock, write(tmp_path, "people.csv", PEOPLE_CSV))
    assert batches == [2, 1]  # two people written in the transaction, then the crash
    assert counts(container)["people"] == 0 and count(container, t.search_keys) == 0
    assert imports(container) == []


def test_a_file_changed_between_checking_and_writing_is_refused(
    container: Container, importer: IntelImport, admin: Actor, clock: FakeClock, tmp_path: Path
) -> None:
    path = write(tmp_path, "people.csv", PEOPLE_CSV)

    def append_a_row(stage: str, done: int, total: int | None) -> None:
        if stage == "checking" and total is not None:
            with path.open("a", encoding="utf-8") as file:
                file.write("P1004,Testy,Testerson,,,\n")

    report = importer.import_file(path, ImportKind.PEOPLE, SOURCE, admin, clock(), append_a_row)
    assert report.refused and "changed while it was imported" in str(report.problems[0])
    assert counts(container)["people"] == 0


def test_each_file_is_audited_as_one_collection_with_its_counts(
    container: Container, importer: IntelImport, admin: Actor, clock: FakeClock, tmp_path: Path
) -> None:
    report = import_one(importer, admin, clock, write(tmp_path, "people.csv", PEOPLE_CSV))
    assert report.written
    [entry] = imports(container)
    assert (entry["actor"], entry["operation"], entry["justification"]) == (
        admin.username,
        "collection",
        "import from legacy-rms",
    )
    assert len(entry["record_id"]) == 64  # the file's SHA-256
    assert json.loads(entry["detail"]) == {
        "file": "people.csv",
        "kind": "people",
        "source": "legacy-rms",
        "rows": 3,
        "inserted": 3,
        "updated": 0,
        "unchanged": 0,
    }


def test_files_go_in_dependency_order_and_a_refused_file_stops_those_after_it(
    container: Container, importer: IntelImport, admin: Actor, clock: FakeClock, tmp_path: Path
) -> None:
    folder = tmp_path / "legacy"
    folder.mkdir()
    good = {path.name: path.read_text(encoding="utf-8") for path in EXAMPLES.iterdir()}
    for name, text in good.items():
        write(folder, name, text.replace("07700 900123", "07700 9OO123") if name == "phones.csv" else text)
    files = [(path, kind_of(path.name)) for path in sorted(folder.iterdir(), reverse=True)]
    run = importer.import_files(files, SOURCE, admin, clock())
    assert [r.kind.value for r in run.reports] == ["people", "addresses", "person_addresses", "phones"]
    assert [r.written for r in run.reports] == [True, True, True, False]
    assert [p.name for p in run.skipped] == [
        "vehicles.csv",
        "markers.csv",
        "incidents.json",
        "incident_people.csv",
    ]
    assert str(run.reports[-1].problems[0]).startswith("line 2: number: ")
    write(folder, "phones.csv", good["phones.csv"])
    again = importer.import_files(files, SOURCE, admin, clock())
    assert again.skipped == [] and all(r.written for r in again.reports)
    assert [r.inserted for r in again.reports] == [0, 0, 0, 2, 1, 2, 2, 3]
    assert counts(container)["people"] == 3 and counts(container)["person_addresses"] == 3


def test_a_dry_run_checks_every_file_and_writes_nothing(
    container: Container, importer: IntelImport, admin: Actor, clock: FakeClock
) -> None:
    run = importer.import_files(examples(), SOURCE, admin, clock(), dry_run=True)
    assert [r.problem_count for r in run.reports] == [0] * 8  # later files may name earlier files' ids
    assert not any(r.written for r in run.reports)
    assert sum(counts(container).values()) == 0 and imports(container) == []


def test_a_role_that_may_not_import_is_refused(
    importer: IntelImport, people: People, clock: FakeClock, tmp_path: Path
) -> None:
    with pytest.raises(PermissionError):
        import_one(importer, people(Role.CALL_HANDLER), clock, write(tmp_path, "people.csv", PEOPLE_CSV))
