"""``thriives import``: load a legacy system's records into the intelligence tables.

Exit codes: 0 every file imported (or, with ``--dry-run``, every file good); 1 a file was
refused (its report is printed, and the files after it were not imported); 2 the command
could not start (an unknown user, a role that may not import, a bad source name, a file
whose kind cannot be told from its name).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from thriives.adapters.db.migrate import upgrade
from thriives.bootstrap import Container
from thriives.domain.accounts import Actor, Role
from thriives.domain.errors import DomainError
from thriives.domain.intel_import import ImportKind, check_source, kind_of
from thriives.services.intel_import import FileReport, IntelImport
from thriives.services.intel_import import Progress as Tell

SHOWN = 50  # problems printed for a refused file
SYSTEM_USER = "import"


def import_files(
    files: list[Path] = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="CSV or JSON files, e.g. people.csv"
    ),
    source: str = typer.Option(..., help="Name of the legacy system, e.g. niche-rms (kept with each record)"),
    kind: ImportKind | None = typer.Option(
        None, help="What every file holds (default: told by each file's name)"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the files and report; write nothing"),
    as_user: str = typer.Option(SYSTEM_USER, "--as", help="The user the import is audited as"),
) -> None:
    """Import people, addresses, links, markers and past incidents; each file all or nothing."""
    from thriives.adapters.cli.main import _container, console

    try:
        check_source(source)
        named = [(path, kind or kind_of(path.name)) for path in files]
    except DomainError as error:
        typer.echo(f"{error.field}: {error.message}", err=True)
        raise typer.Exit(2) from error
    container = _container()
    try:
        upgrade(container.engine)
        actor = _actor(container, as_user)
        importer = IntelImport(container.uow, container.intel.policy, container.settings.force_timezone)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            run = importer.import_files(
                named, source, actor, container.clock(), _progress_for(bar), dry_run=dry_run
            )
    except PermissionError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    finally:
        container.close()
    for report in run.reports:
        _print(report, dry_run)
    if run.skipped:
        names = ", ".join(path.name for path in run.skipped)
        typer.echo(
            f"not imported: {names}. Fix the refused file and run the same command again: "
            "files already imported are updated in place, never duplicated."
        )
    if any(report.refused for report in run.reports):
        raise typer.Exit(1)


def _actor(container: Container, username: str) -> Actor:
    """The user named by ``--as``; the default ``import`` may be a system actor (an
    administrator) when no user of that name exists."""
    with container.uow() as uow:
        row = uow.users.by_username(username)
    if row is None and username == SYSTEM_USER:
        return Actor(0, SYSTEM_USER, Role.ADMIN, "Import")
    if row is None or not row["active"]:
        typer.echo(f"as: no active user {username!r}", err=True)
        raise typer.Exit(2)
    return Actor(row["id"], row["username"], Role(row["role"]), row["display_name"])


def _progress_for(bar: Progress) -> Callable[[Path, ImportKind], Tell]:
    """A progress bar for each stage of each file: rows checked, then rows written."""

    def for_file(path: Path, kind: ImportKind) -> Tell:
        tasks: dict[str, int] = {}

        def tell(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{stage} {path.name}", total=total)
            bar.update(tasks[stage], completed=done, total=total)

        return tell

    return for_file


def _print(report: FileReport, dry_run: bool) -> None:
    name = f"{report.path.name} ({report.kind.value})"
    if report.refused:
        typer.echo(
            f"{name}: REFUSED, nothing written: {report.problem_count} problem(s) in {report.rows} rows"
        )
        for problem in report.problems[:SHOWN]:
            typer.echo(f"  {problem}")
        if report.problem_count > SHOWN:
            typer.echo(f"  ... and {report.problem_count - SHOWN} more")
    elif dry_run:
        typer.echo(f"{name}: {report.rows} rows, all good (dry run: nothing written)")
    else:
        typer.echo(
            f"{name}: {report.rows} rows: {report.inserted} new, {report.updated} updated, "
            f"{report.unchanged} unchanged"
        )
