"""Commands for researchers' datasets: ``batch`` (many films, on this machine or a Dask
cluster) and ``evaluate`` (its candidates against human coding).

Registered on the main ``vigvision`` command group by ``vigvision.cli``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Column, Table

from vigvision.batch import SOME_FAILED, Outcome, read_manifest, run_batch
from vigvision.cli import App, WholeNumber, cli
from vigvision.errors import ConfigError
from vigvision.logs import stderr_console

if TYPE_CHECKING:
    from vigvision.evaluate import Evaluation


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
    type=WholeNumber(min=1),
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


@cli.command("evaluate")
@click.argument("labels", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--runs",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="The --out folder of a `vigvision batch` run over the coded films.",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write evaluation.json (default: in --runs); the page goes beside it, "
    "with the same name ending in .html.",
)
@click.option("--tier", default="chosen", show_default=True, help="ELAN tier of the moments.")
@click.option(
    "--model",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Rank with this scorer (e.g. one made by `vigvision train`) instead of the shipped one.",
)
@click.pass_obj
def evaluate_command(
    app: App,
    labels: tuple[Path, ...],
    runs: Path,
    out_file: Path | None,
    tier: str,
    model: Path | None,
) -> None:
    """Compare a batch's candidates with moments people coded: ELAN .eaf, CSV
    (film,start_s,end_s[,code]) or review selections.json files.

    Prints recall@k, precision@k, mAP and IoU pooled over the films with bootstrap 95 %
    intervals (over dyads when the manifest names them), each cue's AUC and recall@5 with
    each cue family left out; writes evaluation.json and evaluation.html. Films are not
    analysed again: what the batch saved is ranked again, as suggest ranks it.
    """
    from vigvision.evaluate import coded_films, evaluate_batch, notes_of
    from vigvision.export.evaluation import evaluation_page
    from vigvision.files import atomic_write, write_json

    if model is not None and model.suffix != ".onnx":
        raise ConfigError(f"--model {model} is not an .onnx file", "give a model made by train")
    coded = coded_films(labels, runs, tier)
    if not coded.films:
        raise ConfigError(
            f"none of the labelled films is in the batch in {runs}",
            "give the labels of films the batch analysed (paths as in its manifest, or sha256)",
        )
    console = stderr_console()
    show = not app.quiet and console.is_terminal
    with Progress(
        TextColumn("Evaluating"),
        BarColumn(),
        TextColumn("{task.completed:.0f} / {task.total:.0f} films"),
        console=console,
        disable=not show,
    ) as bar:
        task = bar.add_task("films", total=len(coded.films))
        evaluation = evaluate_batch(
            coded,
            runs,
            app.settings,
            model=model,
            progress=lambda done, _total: bar.update(task, completed=done),
        )
    target = out_file or runs / "evaluation.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    notes = notes_of(coded, evaluation)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    write_json(target, evaluation.to_json(coded.unmatched, notes))
    page = target.with_suffix(".html")
    title = f"Evaluation of {runs.name} against {', '.join(p.name for p in labels)}"
    atomic_write(
        page,
        lambda path: path.write_text(evaluation_page(evaluation, title, notes), encoding="utf-8"),
    )
    if not app.quiet:
        out = Console(stderr=True)
        for table in _evaluation_tables(evaluation):
            out.print(table)
    click.echo(str(target))
    click.echo(str(page))


def _evaluation_tables(evaluation: Evaluation) -> list[Table]:
    from vigvision.evaluate import ABLATION_K

    grouped = evaluation.grouped_by
    pooled = Table(
        "figure",
        "value [95 % interval]",
        title=f"{_films(len(evaluation.films))}, intervals over {grouped}s",
        title_justify="left",
    )
    for name, figure in evaluation.pooled.items():
        pooled.add_row(name, str(figure))
    cues = Table(
        Column("cue", no_wrap=True),
        Column("AUC [95 % interval]", no_wrap=True),
        "coded",
        "uncoded",
        f"{grouped}s",
        title="Each cue, over the windows (coded, uncoded) in which it was observed",
        title_justify="left",
    )
    for cue in evaluation.cues:
        cues.add_row(cue.cue, str(cue.auc), str(cue.coded), str(cue.uncoded), str(cue.observed_in))
    ablation = Table(
        "left out",
        f"recall@{ABLATION_K}",
        "drop",
        title="Each cue family left out",
        title_justify="left",
    )
    for row in evaluation.ablation:
        ablation.add_row(row.family, str(row.recall), str(row.drop))
    tables = [pooled, cues, ablation]
    if evaluation.codes:
        codes = Table(
            "code", "moments", f"recall@{ABLATION_K}", title="By code", title_justify="left"
        )
        for code in evaluation.codes:
            codes.add_row(code.code, str(code.moments), str(code.recall))
        tables.append(codes)
    if len(evaluation.per_film) <= 20:  # more are in evaluation.json and the page
        films = Table(
            "film", "moments", "recall@5", "AP", "mean IoU", title="Each film", title_justify="left"
        )
        for film in evaluation.per_film:
            films.add_row(
                film["film"],
                str(film["moments"]),
                _share(film["recall@5"]),
                _share(film["AP"]),
                _share(film["mean IoU"]),
            )
        tables.append(films)
    return tables


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _films(n: int) -> str:
    return "1 film" if n == 1 else f"{n} films"
