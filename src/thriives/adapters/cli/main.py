"""``thriives``: serve, migrate, seed the demo force, manage users, verify the audit log."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console

from thriives.adapters.audit_keys import KeyFileError
from thriives.adapters.cli.import_command import import_files
from thriives.adapters.cli.user_commands import register as register_user_commands
from thriives.adapters.db.engine import make_engine
from thriives.adapters.db.migrate import upgrade
from thriives.adapters.db.roles import application_role, grant_application_role
from thriives.bootstrap import Container, build
from thriives.domain.accounts import Actor, Role
from thriives.domain.errors import DomainError
from thriives.policy.loading import (
    PolicyError,
    load_assessment_policy,
    load_category_policy,
    load_dispatch_policy,
    load_intel_policy,
    load_link_policy,
    load_supervision_policy,
)
from thriives.settings import Settings

app = typer.Typer(help="thriives: control-room and public-protection system", no_args_is_help=True)
user_app = typer.Typer(help="Manage users and API tokens", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log", no_args_is_help=True)
policy_app = typer.Typer(help="Force policy files", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(policy_app, name="policy")
qa_app = typer.Typer(help="Quality assurance of call handling", no_args_is_help=True)
app.add_typer(qa_app, name="qa")
app.command("import")(import_files)
console = Console(stderr=True)


def _container(**overrides: object) -> Container:
    try:
        return build(Settings(**overrides))  # type: ignore[arg-type]
    except PolicyError as error:
        console.print(f"[red]policy refused:[/red]\n{error}")
        raise typer.Exit(2) from error
    except KeyFileError as error:
        console.print(f"[red]audit key file refused:[/red] {error}")
        raise typer.Exit(2) from error


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (as the owner role, when one is configured)
    and grant the application's role only the rights it needs."""
    container = _container()
    settings = container.settings
    owner = make_engine(settings.migrate_database_url or settings.database_url, 1)
    try:
        upgrade(owner)
        role = application_role(settings.database_url, settings.migrate_database_url)
        if role is not None:
            grant_application_role(owner, role)
            console.print(f"application role {role}: granted only what it needs")
    finally:
        owner.dispose()
    written = container.supervision.backfill_facts()
    console.print(
        "schema up to date" + (f"; QA facts written for {written} earlier incidents" if written else "")
    )


@app.command()
def serve(
    workers: int = typer.Option(1, min=1, max=32, help="Server processes"),
    reload: bool = typer.Option(False, help="Reload on code changes (development)"),
) -> None:
    """Migrate, then serve the web application and API."""
    import uvicorn

    from thriives.adapters.web.app import create_app

    container = _container()
    upgrade(container.engine)
    container.supervision.backfill_facts()  # incidents from before supervision existed
    settings = container.settings
    console.print(
        f"thriives on http://{settings.host}:{settings.port}{' (demo mode)' if settings.demo else ''}"
    )
    if workers == 1 and not reload:
        uvicorn.run(
            create_app(container),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            access_log=False,
        )
        return
    container.close()
    uvicorn.run(
        "thriives.adapters.web.asgi:create",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        reload=reload,
        log_level="warning",
        access_log=False,
    )


@app.command()
def worker(
    name: str = typer.Option("", help="Name recorded on each deadline it fires (default host:pid)"),
) -> None:
    """Fire deadlines (attendance clocks, reassessment escalations, reviews, appointments).

    Run one or more beside the web server when THRIIVES_WORKER_IN_PROCESS=false. Stops on
    Ctrl+C or SIGTERM; a deadline being fired when it stops is fired by the next worker.
    """
    import signal
    import threading

    from thriives.adapters.worker import run_worker

    container = _container()
    upgrade(container.engine)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    console.print("deadline worker running; Ctrl+C stops it")
    try:
        run_worker(container, stop, name or None)
    finally:
        container.close()


@app.command()
def demo(
    seed: int = typer.Option(2016, help="Seed of the fictional force: same seed, same force"),
    incidents: int = typer.Option(52_000, min=0, help="Past incidents over the last twelve months"),
    people: int = typer.Option(20_000, min=0, help="People on the legacy intelligence records"),
    serve_after: bool = typer.Option(True, "--serve/--no-serve", help="Start the server afterwards"),
) -> None:
    """Set up the fictional demo force (once) and serve thriives in demo mode."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from thriives.services.demo import seed_demo

    os.environ["THRIIVES_DEMO"] = "true"
    container = _container(demo=True)
    upgrade(container.engine)
    with container.uow() as uow:
        seeded = uow.users.by_username("handler") is not None
    if seeded:
        console.print("demo force already in place; not seeding again")
    else:
        with Progress(
            TextColumn("seeding Thornshire"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("seed", total=incidents + people)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            seed_demo(
                container,
                seed=seed,
                as_of=datetime.now(UTC),
                incidents=incidents,
                progress=advance,
                people=people,
            )
        console.print(
            "demo users: handler, dispatcher, supervisor, protection, analyst, admin; password: thriives-demo"
        )
    container.close()
    if serve_after:
        serve(workers=1, reload=False)


@user_app.command("add")
def user_add(
    username: str,
    role: Role = typer.Option(..., help="Role of the new user"),
    display_name: str = typer.Option(None, help="Name shown on screens (default: username)"),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="THRIIVES_NEW_PASSWORD",
        help="10 to 128 characters; not the username, not a common or breached password",
    ),
    team: str = typer.Option(None, help="The watch or team they work in (supervision figures)"),
) -> None:
    """Add a user with a role; the password is asked for (or read from THRIIVES_NEW_PASSWORD)."""
    container = _container()
    upgrade(container.engine)
    try:
        container.accounts.add_user(
            username, display_name or username, role, password, datetime.now(UTC), by="cli", team=team
        )
    except DomainError as error:
        console.print(f"[red]{error.field}: {error.message}[/red]")
        raise typer.Exit(2) from error
    console.print(f"user {username} added as {role.value}")


@user_app.command("token")
def user_token(username: str, label: str = typer.Option("api", help="What the token is for")) -> None:
    """Issue an API bearer token for a user; it is shown once."""
    container = _container()
    try:
        token = container.accounts.issue_token(username, label, datetime.now(UTC), by="cli")
    except DomainError as error:
        console.print(f"[red]{error.field}: {error.message}[/red]")
        raise typer.Exit(2) from error
    typer.echo(token)


register_user_commands(user_app, lambda: _container())


@audit_app.command("verify")
def audit_verify(
    against: Path | None = typer.Option(
        None, "--against", help="Checkpoint file written by `thriives audit checkpoint`"
    ),
) -> None:
    """Check the audit log and the events' chains, the store's guards and, with --against,
    every checkpoint; exit 1 and say what is wrong if anything was tampered with."""
    from thriives.services.audit import verify_audit

    container = _container()
    lines = None
    if against is not None:
        try:
            lines = against.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            typer.echo(f"cannot read the checkpoint file {against}: {error.strerror}")
            raise typer.Exit(2) from error
    report = verify_audit(container.uow, lines)
    for note in report.notes:
        typer.echo(f"note: {note}")
    counted = (
        f"{report.entries} entries, {report.events} sealed events,"
        f" {report.rows.get('assessments', 0)} sealed assessments,"
        f" {report.rows.get('dash_assessments', 0)} sealed DASH records"
    )
    if against is not None:
        counted += f", {report.checkpoints} checkpoints"
    if not report.intact:
        for problem in report.problems():
            typer.echo(f"BROKEN {problem}")
        typer.echo(f"audit log NOT intact: {len(report.problems())} problem(s) in {counted}")
        raise typer.Exit(1)
    typer.echo(f"audit log intact: {counted}")


@audit_app.command("checkpoint")
def audit_checkpoint(
    out: Path = typer.Option(
        ..., "--out", help="File to append the signed checkpoint to (keep it off the database's host)"
    ),
) -> None:
    """Verify (against the checkpoints already in the file), then append a signed checkpoint
    of the audit and events heads to it."""
    from thriives.services.audit import take_checkpoint

    container = _container()
    earlier = out.read_text(encoding="utf-8").splitlines() if out.exists() else None
    report, line = take_checkpoint(container.uow, datetime.now(UTC), earlier)
    if line is None:
        for problem in report.problems():
            typer.echo(f"BROKEN {problem}")
        typer.echo("no checkpoint written: the audit log is not intact")
        raise typer.Exit(1)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    head = report.head
    assert head is not None
    typer.echo(f"checkpoint appended to {out}: entry {head.seq}, {head.event_count} sealed events")


@audit_app.command("rotate-key")
def audit_rotate_key() -> None:
    """Append a new sealing key to the key file; older keys stay to verify what they sealed."""
    from thriives.adapters.audit_keys import rotate_key

    settings = Settings()
    key = rotate_key(settings.audit_key_file, datetime.now(UTC))
    typer.echo(f"new audit key {key.key_id} appended to {settings.audit_key_file}; restart the servers")


@policy_app.command("check")
def policy_check(directory: Path = typer.Argument(None, help="Policy folder (default: bundled)")) -> None:
    """Validate every policy file; name the file, field and problem of each fault."""
    try:
        policy = load_category_policy(directory)
        assessment = load_assessment_policy(directory, policy)
        intel = load_intel_policy(directory, assessment)
        dispatch = load_dispatch_policy(directory, assessment, policy)
        supervision = load_supervision_policy(directory, assessment)
        links = load_link_policy(directory, policy)
    except PolicyError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    typer.echo(
        f"categories {policy.version}: {len(policy.categories)} categories, "
        f"{len(policy.qualifiers)} qualifiers: OK"
    )
    typer.echo(
        f"assessment {assessment.version}: {len(assessment.models)} models, "
        f"{len(assessment.question_sets)} question sets, {len(assessment.questions)} questions, "
        f"{len(assessment.grades)} grades, {len(assessment.dash_questions)} DASH questions, "
        f"{len(assessment.advice)} advice prompts, {len(assessment.cues)} cues: OK"
    )
    restricted = sum(1 for kind in intel.markers.values() if kind.restricted)
    typer.echo(f"intelligence {intel.version}: {len(intel.markers)} markers ({restricted} restricted): OK")
    typer.echo(
        f"dispatch {dispatch.version}: clocks from the {dispatch.clock_from}, reassess at "
        f"{dispatch.reassess_at_share:.0%} of target, {len(dispatch.unit_types)} unit types, "
        f"{len(dispatch.skills)} skills, {len(dispatch.needs)} needs, {len(dispatch.shifts)} shifts: OK"
    )
    targets = ", ".join(
        f"{channel} {minutes} min" for channel, minutes in dispatch.grading.target_minutes.items()
    )
    typer.echo(
        f"grading clock: {targets}; follow-ups for {', '.join(dispatch.follow_up.grades)} within "
        f"{dispatch.follow_up.due_minutes} min, {len(dispatch.follow_up.outcomes)} outcomes: OK"
    )
    typer.echo(
        f"supervision {supervision.version}: review form {supervision.form.version} with "
        f"{len(supervision.form.items)} items, sample {supervision.sample_share:.0%} and at least "
        f"{supervision.sample_per_handler} per handler a month, {len(supervision.shifts)} shifts: OK"
    )
    typer.echo(
        f"links {links.version}: live incidents within {links.live_hours} h and closed ones within "
        f"{links.recent_minutes} min offered as duplicates, nearby within {links.nearby_metres} m: OK"
    )


@app.command()
def assess(
    file: Path = typer.Argument(..., help="JSON: {incident: {...}, assessment: {...}}"),
    directory: Path = typer.Option(None, "--policy", help="Policy folder (default: bundled)"),
) -> None:
    """Print the grade and the reasons for an assessment file (for policy review)."""
    from thriives.adapters.cli.assess_file import grade_file

    try:
        categories = load_category_policy(directory)
        policy = load_assessment_policy(directory, categories)
    except PolicyError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    try:
        lines = grade_file(file, policy, categories)
    except (DomainError, ValueError) as error:
        field = getattr(error, "field", None)
        typer.echo(f"{file}: {field + ': ' if field else ''}{getattr(error, 'message', error)}", err=True)
        raise typer.Exit(2) from error
    for line in lines:
        typer.echo(line)


def _actor_named(container: Container, username: str) -> Actor:
    with container.uow() as uow:
        row = uow.users.by_username(username)
    if row is None:
        console.print(f"[red]--as: no user {username!r}[/red]")
        raise typer.Exit(2)
    return Actor(row["id"], row["username"], Role(row["role"]), row["display_name"])


@qa_app.command("sample")
def qa_sample(
    period: str = typer.Argument(..., help="The month, YYYY-MM (force local time)"),
    seed: str = typer.Option(..., help="The seed: record it; the same seed draws the same sample"),
    as_user: str = typer.Option(..., "--as", help="The supervisor drawing it"),
) -> None:
    """Draw a month's random review sample (at least the policy's share of calls and per handler),
    log the draw, and put the picks in the review queue."""
    container = _container()
    upgrade(container.engine)
    try:
        drawn = container.supervision.draw_sample(
            _actor_named(container, as_user), period, seed, datetime.now(UTC)
        )
    except (DomainError, PermissionError) as error:
        field = getattr(error, "field", None)
        console.print(f"[red]{field + ': ' if field else ''}{getattr(error, 'message', error)}[/red]")
        raise typer.Exit(2) from error
    console.print(
        f"draw {drawn['id']}: {len(drawn['picks'])} picked from {drawn['candidates']} calls in {period}"
    )


@qa_app.command("reproduce")
def qa_reproduce(
    draw_id: int = typer.Argument(..., help="The draw's number"),
    as_user: str = typer.Option(..., "--as", help="The supervisor checking it"),
) -> None:
    """Draw a logged sample again from its seed and say whether the picks are the same."""
    container = _container()
    try:
        again = container.supervision.reproduce(_actor_named(container, as_user), draw_id)
    except (DomainError, PermissionError) as error:
        console.print(f"[red]{getattr(error, 'message', error)}[/red]")
        raise typer.Exit(2) from error
    console.print(f"draw {draw_id}: {'the same picks' if again['same'] else 'DIFFERENT picks'}")
    raise typer.Exit(0 if again["same"] else 1)
