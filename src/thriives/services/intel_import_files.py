"""Reading an import file: rows of a CSV file (streamed) or a JSON array, numbered as the
file numbers them, each a raw row or the reason it cannot be one."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from thriives.domain.errors import DomainError
from thriives.domain.intel_import import ImportKind, check_columns, from_json, row_of

Raw = dict[str, str] | DomainError  # a row as read, or why it cannot be read as a row


class Unreadable(Exception):
    """The file cannot be read on (not UTF-8, not CSV or JSON, a bad header)."""

    def __init__(self, line: int, error: DomainError) -> None:
        super().__init__(error.message)
        self.line, self.error = line, error


def unit(path: Path) -> str:
    return "item" if path.suffix.lower() == ".json" else "line"


def digest(path: Path) -> str:
    """The file's SHA-256: the audit entry names exactly what was imported."""
    sha = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            sha.update(block)
    return sha.hexdigest()


def rows(path: Path, kind: ImportKind) -> Iterator[tuple[int, Raw]]:
    """(line or item number, raw row) of a CSV or JSON file."""
    return _json_rows(path, kind) if path.suffix.lower() == ".json" else _csv_rows(path, kind)


def _csv_rows(path: Path, kind: ImportKind) -> Iterator[tuple[int, Raw]]:
    """Streamed; numbered by the line a row starts on (a quoted value may span lines)."""
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file)
        try:
            header = next(reader, None)
            if header is None:
                raise Unreadable(0, DomainError("is empty: its first line must name the columns"))
            try:
                columns = check_columns(kind, header)
            except DomainError as error:
                raise Unreadable(1, error) from None
            line, found = reader.line_num, False
            for values in reader:
                start, line = line + 1, reader.line_num
                if not any(value.strip() for value in values):
                    continue  # a blank line
                raw: Raw
                try:
                    raw = row_of(columns, values)
                except DomainError as error:
                    raw = error
                found = True
                yield start, raw
            if not found:  # more likely a failed export than a wish to import nothing
                raise Unreadable(2, DomainError("has no rows under its header: was the export cut short?"))
        except csv.Error as error:
            raise Unreadable(reader.line_num, DomainError(f"cannot be read as CSV: {error}")) from None
        except UnicodeDecodeError:
            error = DomainError("is not UTF-8 text: save the file as UTF-8")
            raise Unreadable(reader.line_num + 1, error) from None


def _json_rows(path: Path, kind: ImportKind) -> Iterator[tuple[int, Raw]]:
    """A JSON array of objects, read whole: use CSV for a file too big for memory."""
    try:
        with path.open(encoding="utf-8-sig") as file:
            data = json.load(file)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise Unreadable(0, DomainError(f"is not JSON: {error.msg} at {where}")) from None
    except UnicodeDecodeError:
        raise Unreadable(0, DomainError("is not UTF-8 text: save the file as UTF-8")) from None
    except RecursionError:
        raise Unreadable(0, DomainError("is not an array of records: it nests too deeply")) from None
    except ValueError as error:  # a number of thousands of digits: Python will not read it
        raise Unreadable(0, DomainError(f"holds a value that cannot be read: {error}")) from None
    if not isinstance(data, list):
        raise Unreadable(0, DomainError("must hold a JSON array of objects"))
    if not data:  # more likely a failed export than a wish to import nothing
        raise Unreadable(0, DomainError("holds no records (an empty array): was the export cut short?"))
    for number, item in enumerate(data, start=1):
        raw: Raw
        try:
            raw = from_json(item, kind)
        except DomainError as error:
            raw = error
        yield number, raw
