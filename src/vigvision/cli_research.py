"""Commands for researchers' datasets: ``batch`` (many films, on this machine or a Dask
cluster).

Registered on the main ``vigvision`` command group by ``vigvision.cli``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from vigvision.batch import SOME_FAILED, Outcome, read_manifest, run_batch
from vigvision.cli import App, cli
from vigvision.logs import stderr_console


@cli.command("batch")
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the results: one folder per film, batch.csv and summary.csv.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Films analysed at once on this machine (default: one per core).",
)
@click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT",
    help="Run the films on this Dask cluster instead (its workers see the same paths).",
)
@click.option(
    "--deidentify",
    is_flag=True,
    help="No images, stills, clips or paths in the results: films by sha256, times only.",
)
@click.pass_obj
def batch_command(
    app: App,
    manifest: Path,
    out_dir: Path,
    workers: int | None,
    scheduler: str | None,
    deidentify: bool,
) -> int:
    """Analyse every film of MANIFEST (a CSV: film[,dyad][,cycle], paths relative to it).

    Films done by an earlier run into the same --out are skipped; a film stopped half-way
    continues. Exit code 0 when every film is ok, 3 when some failed (see batch.csv).
    """
    entries = read_manifest(manifest)
    cores = os.cpu_count() or 1
    started = time.perf_counter()
    console = stderr_console()
    show = not app.quiet and console.is_terminal
    columns = (
        TextColumn("Films"),
        BarColumn(),
        TextColumn("{task.completed:.0f} / {task.total:.0f}"),
        TextColumn("{task.fields[rate]}"),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, disable=not show) as bar:
        task = bar.add_task("films", total=len(entries), rate="")
        skipped: list[Outcome] = []

        def report(outcome: Outcome, done: int, total: int) -> None:
            hours = (time.perf_counter() - started) / 3600
            fresh = done - len(skipped)
            rate = f"{fresh / hours:.1f} films/hour" if fresh and hours > 0 else ""
            bar.update(task, completed=done, rate=rate)
            if outcome.status != "ok" and not app.quiet:
                bar.console.print(f"failed: {outcome.film}: {outcome.error}", markup=False)

        outcomes = run_batch(
            entries,
            out_dir,
            app.settings,
            workers=workers or cores,
            scheduler=scheduler,
            deidentify=deidentify,
            report=report,
        )
    if not app.quiet:
        Console(stderr=True).print(_summary_table(outcomes))
    click.echo(str(out_dir / "batch.csv"))
    click.echo(str(out_dir / "summary.csv"))
    return 0 if all(o.ok for o in outcomes) else SOME_FAILED


def _summary_table(outcomes: list[Outcome]) -> Table:
    ok = sum(o.ok for o in outcomes)
    table = Table(
        "film",
        "status",
        "candidates",
        "seconds",
        "error",
        title=f"Batch: {ok} of {len(outcomes)} films ok",
        title_justify="left",
    )
    for o in outcomes:
        table.add_row(o.film, o.status, str(o.candidates), f"{o.seconds:.0f}", o.error)
    return table
