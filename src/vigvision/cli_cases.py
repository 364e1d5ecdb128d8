"""Commands around the guider's work: cases, the review page, exports and the letter.

Registered on the main ``vigvision`` command group by ``vigvision.cli``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from datetime import date
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from vigvision.cases import (
    CASE_FILE,
    Case,
    cases_root,
    list_cases,
    new_case,
    open_case,
    purge,
    worked_on,
)
from vigvision.cli import App, WholeNumber, cli
from vigvision.config import Settings
from vigvision.errors import ConfigError
from vigvision.machine import as_typed

target_argument = click.argument("target", metavar="DIR_OR_CASE")
film_option = click.option(
    "--film", "film_name", help="Which film of the case (the start of its name), if several."
)

# The app's usual port: one address for the guider to keep.
APP_PORT = 8765


def review_folder(
    target: str, settings: Settings, film_name: str | None
) -> tuple[Path, Case | None]:
    """The suggestions folder meant by a folder or a case name, and its case (if any)."""
    given = Path(target)
    if (given / "candidates.json").is_file():
        maybe_case = given.resolve().parent.parent
        case = (
            open_case(maybe_case.parent, maybe_case.name)
            if (maybe_case / CASE_FILE).is_file()
            else None
        )
        return given, case
    if (given / CASE_FILE).is_file():
        case = open_case(given.resolve().parent, given.resolve().name)
    elif given.exists():
        raise ConfigError(f"{target} holds neither suggestions nor a case", "check the path")
    else:
        case = open_case(cases_root(settings), target)
    folders = case.film_folders()
    if film_name:
        folders = [f for f in folders if f.name.startswith(film_name)]
    if not folders:
        raise ConfigError(
            f"no film of case {case.name} has suggestions"
            + (f" matching '{film_name}'" if film_name else ""),
            f"run `vigvision suggest FILM --case {case.name}` first",
        )
    if len(folders) > 1:
        names = ", ".join(f.name for f in folders)
        raise ConfigError(f"case {case.name} has several films: {names}", "choose one with --film")
    return folders[0], case


@cli.group("case")
def case_group() -> None:
    """Case folders: one per family or class, with its consent; deleted in one command."""


@case_group.command("new")
@click.argument("name")
@click.option("--consent-ref", required=True, help="The reference of the signed consent.")
@click.option("--consent-date", required=True, help="The date consent was given (YYYY-MM-DD).")
@click.option(
    "--retain-days",
    type=WholeNumber(min=1, max=3650),
    help="Keep derived files this many days after the last work (default: cases.retain_days).",
)
@click.pass_obj
def case_new(
    app: App, name: str, consent_ref: str, consent_date: str, retain_days: int | None
) -> None:
    """Make case NAME (a code such as family-07, not a child's name), readable by you only."""
    root = cases_root(app.settings)
    days = retain_days or app.settings.cases.retain_days
    case = new_case(root, name, consent_ref, consent_date, days, date.today())
    click.echo(str(case.folder))
    if not app.quiet:
        click.echo(
            as_typed(
                f"Derived files are kept until {case.retain_until} ({days} days after the last"
                " work on the case); `vigvision case purge` deletes them sooner."
            ),
            err=True,
        )


@case_group.command("list")
@click.pass_obj
def case_list(app: App) -> None:
    """Every case with its consent and how long its files are kept."""
    today = date.today()
    table = Table("case", "consent", "films", "last work", "kept until", "state")
    for case in list_cases(cases_root(app.settings)):
        state = "past retention: `case expire` deletes it" if case.expired(today) else "kept"
        table.add_row(
            case.name,
            f"{case.consent_ref} ({case.consent_date})",
            str(len(case.films)),
            case.last_worked,
            str(case.retain_until),
            state,
        )
    Console().print(table)


@case_group.command("purge")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@click.pass_obj
def case_purge(app: App, name: str, yes: bool) -> None:
    """Delete every file vigvision made for case NAME (the films themselves are kept)."""
    root = cases_root(app.settings)
    case = open_case(root, name)
    if not yes:
        if not sys.stdin.isatty():
            raise ConfigError("purging needs a confirmation", "add --yes to purge from a script")
        click.confirm(
            f"Delete every derived file of case {name} (features, clips, stills, reports)?",
            abort=True,
        )
    done = purge(root, case, "asked")
    click.echo(f"Purged case {name}: {done.files} files deleted.")
    for kept in done.kept:
        click.echo(f"Kept the original film {kept} (vigvision never deletes films).")


@case_group.command("expire")
@click.option("--dry-run", is_flag=True, help="Only list the cases past their retention date.")
@click.pass_obj
def case_expire(app: App, dry_run: bool) -> None:
    """Purge the cases past their retention date."""
    root = cases_root(app.settings)
    today = date.today()
    expired = [c for c in list_cases(root) if c.expired(today)]
    for case in expired:
        if dry_run:
            click.echo(f"{case.name}: past retention since {case.retain_until}")
        else:
            done = purge(root, case, "retention ended")
            click.echo(f"Purged case {case.name}: {done.files} files deleted.")
    if not expired and not app.quiet:
        click.echo("No case is past its retention date.", err=True)


@cli.command("review")
@target_argument
@film_option
@click.option("--no-browser", is_flag=True, help="Print the address without opening a browser.")
@click.option("--port", type=WholeNumber(0, 65535), default=0, help="Port (default: a free one).")
@click.pass_obj
def review_command(
    app: App, target: str, film_name: str | None, no_browser: bool, port: int
) -> None:
    """Open the review page of a case (or a suggest folder) in the browser.

    The page plays the film, lists the candidates and saves the moments you choose and your
    notes at once. It runs on this computer only (127.0.0.1); Ctrl+C stops it.
    """
    import uvicorn

    from vigvision.review.server import make_app, open_review
    from vigvision.web import loopback_listener

    folder, case = review_folder(target, app.settings, film_name)
    review = open_review(folder, app.settings)
    if case is not None:
        review.on_change = lambda: _worked_on(case)
        _worked_on(case)
    listener = loopback_listener(port)
    port = listener.getsockname()[1]
    token = secrets.token_urlsafe(24)
    address = f"http://127.0.0.1:{port}/?token={token}"
    server = uvicorn.Server(
        uvicorn.Config(make_app(review, token, port), log_level="warning", access_log=False)
    )
    click.echo(f"Review page: {address}", nl=True)
    sys.stdout.flush()
    if not app.quiet:
        click.echo("Keep this window open while you review; Ctrl+C stops the page.", err=True)
    if not no_browser:
        import webbrowser

        webbrowser.open(address)
    # Ctrl+C is how the page is closed, not a failure.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[listener])
    if not app.quiet:
        click.echo(
            "The review page is closed. Every choice and note was saved as you made it.", err=True
        )


@cli.command("app")
@click.option("--no-browser", is_flag=True, help="Print the address without opening a browser.")
@click.option(
    "--port",
    type=WholeNumber(0, 65535),
    help=f"Port (default: {APP_PORT} when free, so that the address stays the same; else any).",
)
@click.pass_obj
def app_command(app: App, no_browser: bool, port: int | None) -> None:
    """The guider's page for the whole work: cases and consent, goals, films of each cycle,
    their analysis, the review of each film, what grew, the letter, purge.

    It runs on this computer only (127.0.0.1); Ctrl+C stops it. Analyses asked for before
    it last stopped go on where they were.
    """
    import uvicorn

    from vigvision.app.jobs import Analyses
    from vigvision.app.server import GuiderApp, make_app
    from vigvision.web import loopback_listener

    root = cases_root(app.settings)
    analyses = Analyses(root, app.settings)
    resumed = analyses.resume()
    if port is None:
        try:
            listener = loopback_listener(APP_PORT)
        except ConfigError:  # taken (another program, or the app already open)
            listener = loopback_listener(0)
    else:
        listener = loopback_listener(port)
    port = listener.getsockname()[1]
    # The same key each time (kept in the cases' private folder): a page left open, or a
    # bookmark, works again once the app is started again.
    token = app_token(root)
    address = f"http://127.0.0.1:{port}/?token={token}"
    guider = GuiderApp(root, app.settings, analyses)
    server = uvicorn.Server(
        uvicorn.Config(make_app(guider, token, port), log_level="warning", access_log=False)
    )
    click.echo(f"vigvision app: {address}")
    sys.stdout.flush()
    if not app.quiet:
        if resumed:
            click.echo(f"Going on with the analysis of {len(resumed)} film(s).", err=True)
        click.echo("Keep this window open while you work; Ctrl+C stops the page.", err=True)
    if not no_browser:
        import webbrowser

        webbrowser.open(address)
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[listener])
    if not app.quiet:
        click.echo("The app is closed. Everything you did was saved as you did it.", err=True)


def app_token(root: Path) -> str:
    """The app's key, made once and kept (owner only) in the cases' root."""
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = root / ".app-token"
    if path.is_file():
        kept = path.read_text(encoding="utf-8").strip()
        if len(kept) >= 32:
            return kept
    token = secrets.token_urlsafe(24)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as f:
        f.write(token)
    return token


def _worked_on(case: Case) -> None:
    worked_on(open_case(case.folder.parent, case.name), date.today())


@cli.command("export")
@target_argument
@film_option
@click.option("--clips", is_flag=True, help="MP4 clips of the chosen moments (H.264 + AAC).")
@click.option("--stills", is_flag=True, help="A PNG still of each chosen moment.")
@click.option("--eaf", is_flag=True, help="An ELAN file with the chosen moments and notes.")
@click.option("--csv", "as_csv", is_flag=True, help="A CSV of the chosen moments and notes.")
@click.pass_obj
def export_command(
    app: App,
    target: str,
    film_name: str | None,
    clips: bool,
    stills: bool,
    eaf: bool,
    as_csv: bool,
) -> None:
    """Files of the moments chosen on the review page (all kinds unless some are named)."""
    from vigvision import selections
    from vigvision.export.chosen import export_chosen
    from vigvision.review.server import open_review

    folder, case = review_folder(target, app.settings, film_name)
    review = open_review(folder, app.settings)
    moments = selections.load(folder, review.candidates)
    if not selections.chosen(moments):
        raise ConfigError(
            "no moment is chosen yet", f"choose moments on the page: vigvision review {target}"
        )
    asked = [
        k for k, on in (("clips", clips), ("stills", stills), ("eaf", eaf), ("csv", as_csv)) if on
    ]
    kinds = tuple(asked) or ("clips", "stills", "eaf", "csv")
    for path in export_chosen(folder, review.info, moments, kinds):
        click.echo(str(path))
    if case is not None:
        _worked_on(case)


@cli.command("letter")
@target_argument
@film_option
@click.pass_obj
def letter_command(app: App, target: str, film_name: str | None) -> None:
    """A printable draft of your written feedback: goals, chosen moments, stills, notes."""
    from vigvision import selections
    from vigvision.export.chosen import FOLDER
    from vigvision.export.letter import goals_of, write_letter
    from vigvision.review.server import open_review

    folder, case = review_folder(target, app.settings, film_name)
    review = open_review(folder, app.settings)
    moments = selections.load(folder, review.candidates)
    if not selections.chosen(moments):
        raise ConfigError(
            "no moment is chosen yet: the letter is made of the moments you choose",
            f"choose moments on the page first: vigvision review {target}",
        )
    target_file = folder / FOLDER / "letter.html"
    letter = write_letter(
        target_file, review.info, moments, goals_of(review.candidates), date.today()
    )
    click.echo(str(letter))
    if case is not None:
        _worked_on(case)
