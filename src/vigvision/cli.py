"""The ``vigvision`` command: thin wrappers that parse, call the pipeline and print.

Errors a person can fix are shown as one line with exit code 2 (a traceback only with
``--debug``); results go to stdout, messages and progress to stderr.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import numpy as np
import yaml
from rich.console import Console
from rich.table import Table

from vigvision import __version__, logs
from vigvision.config import Settings, load_settings
from vigvision.errors import ConfigError, FilmError, VigvisionError
from vigvision.film import AudioReader, FilmInfo, FilmWriter, FrameReader, probe
from vigvision.machine import as_typed
from vigvision.progress import bytes_progress, film_progress, stages_progress

if TYPE_CHECKING:
    from vigvision.pipeline import Suggested

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class App:
    """What every command gets from the global options."""

    settings: Settings
    debug: bool
    quiet: bool


def parse_set(values: Sequence[str]) -> dict[str, Any]:
    """``--set KEY=VALUE`` options as settings overrides (values read as YAML)."""
    overrides: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"--set takes KEY=VALUE, not {item!r}", "e.g. --set film.analysis_fps=5"
            )
        overrides[key.strip()] = yaml.safe_load(raw) if raw.strip() else None
    return overrides


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="vigvision")
@click.option("--debug", is_flag=True, help="Show full error traces and the libraries' logs.")
@click.option("-q", "--quiet", is_flag=True, help="Print only results and errors.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Settings file (YAML) overriding configs/default.yaml.",
)
@click.option(
    "--set",
    "set_values",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override one setting, e.g. --set film.analysis_fps=5 (repeatable).",
)
@click.pass_context
def cli(
    ctx: click.Context,
    debug: bool,
    quiet: bool,
    config_path: Path | None,
    set_values: tuple[str, ...],
) -> None:
    """vigvision finds moments where an adult and a child are attuned to each other in a
    film, for Video Interaction Guidance. It suggests; the guider chooses."""
    logs.configure(debug=debug, quiet=quiet)
    settings = load_settings(config_path, parse_set(set_values))
    ctx.obj = App(settings=settings, debug=debug, quiet=quiet)


film_argument = click.argument("film", type=click.Path(path_type=Path))
out_option = click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for the results.",
)


@cli.command("probe")
@film_argument
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (for scripts).")
@click.pass_obj
def probe_command(app: App, film: Path, as_json: bool) -> None:
    """Describe FILM: duration, frame rate, size as displayed, rotation, codecs, sound."""
    info = _film_info(app, film, quiet=as_json)
    if as_json:
        click.echo(json.dumps(info.to_json(), indent=2))
    else:
        Console().print(_probe_table(info))


def _probe_table(info: FilmInfo) -> Table:
    table = Table(title=info.path.name, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Length", _clock(info.duration_s))
    if info.has_video:
        rate = f"{info.fps:.2f} frames/s" if info.fps else "unknown frame rate"
        if info.variable_frame_rate:
            rate += " on average (variable, as phones film)"
        turned = f", turned {info.rotation}° for display" if info.rotation else ""
        table.add_row(
            "Picture", f"{info.width} × {info.height}{turned}, {info.video_codec}, {rate}"
        )
    else:
        table.add_row("Picture", "none (sound only)")
    if info.has_audio:
        channels = {1: "mono", 2: "stereo"}.get(
            info.audio_channels or 0, f"{info.audio_channels} channels"
        )
        table.add_row("Sound", f"{info.audio_codec}, {info.audio_sample_rate} Hz, {channels}")
    else:
        table.add_row("Sound", "none: who speaks when cannot be measured")
    table.add_row("File", f"{info.container}, {info.size_bytes / 1e6:,.1f} MB")
    table.add_row("SHA-256", info.sha256)
    return table


class WholeNumber(click.IntRange):
    """A whole number within bounds: "'abc' is not a valid whole number" (click's own words
    are "integer range", which a guider typing --top abc does not need to know)."""

    name = "whole number"


class Number(click.FloatRange):
    """A number within bounds, said in plain words as ``WholeNumber`` is."""

    name = "number"


def _clock(seconds: float, exact: bool = True) -> str:
    """``2:41.0 (161.00 s)``; without ``exact`` only ``2:41.0`` (tables of moments stay
    within 80 columns: candidates.csv has the seconds)."""
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:04.1f}"
    return f"{minutes}:{secs:04.1f} ({seconds:.2f} s)" if exact else f"{minutes}:{secs:04.1f}"


@cli.command("observe")
@film_argument
@out_option
@click.option("--adult", help="Who the adult is: left, right or a person id (overrides the guess).")
@click.option(
    "--annotate",
    is_flag=True,
    help="Also write preview.mp4 and stills/ with boxes, ids and arrows.",
)
@click.option(
    "--landmarks",
    is_flag=True,
    help="Also write landmarks.npz (478 face and 33 body points per row).",
)
@click.option("--fps", type=Number(min=0), help="Analysed frames per second (film.analysis_fps).")
@click.option(
    "--max-side",
    type=WholeNumber(min=0),
    help="Longest side of analysed frames (film.max_side).",
)
@click.pass_obj
def observe_command(
    app: App,
    film: Path,
    out_dir: Path,
    adult: str | None,
    annotate: bool,
    landmarks: bool,
    fps: float | None,
    max_side: int | None,
) -> None:
    """Who is in FILM, where they face, what their faces do: writes observations.csv."""
    from vigvision.annotate import write_preview
    from vigvision.observe import observe_film
    from vigvision.outputs import output_folder, save_observed

    overrides = {"film.analysis_fps": fps, "film.max_side": max_side}
    settings = app.settings.with_overrides({k: v for k, v in overrides.items() if v is not None})
    if adult is not None and adult not in {"left", "right"} and not adult.isdigit():
        raise ConfigError(f"--adult must be left, right or a person id, not {adult!r}")
    info = _film_info(app, film)
    if not info.has_video:
        raise FilmError(
            f"{film} has sound but no picture", "use `vigvision turns` for audio-only files"
        )
    folder = output_folder(out_dir)
    with film_progress("Watching", info.duration_s, app.quiet) as advance:
        observed = observe_film(
            film, settings, adult=adult, keep_landmarks=landmarks, progress=advance, info=info
        )
    written = save_observed(observed, folder, settings)
    if annotate:
        written += write_preview(film, observed.observations, folder, settings.film)
    if observed.people and not app.quiet:
        Console(stderr=True).print(_people_table(observed))
    for path in written:
        click.echo(str(path))
    if not observed.people:
        raise FilmError(
            f"no faces were found in {film} (observations.csv is empty)",
            "check that the film shows people's faces; --max-side 0 analyses it at full size",
        )


def _people_table(observed: Any) -> Table:
    table = Table(
        "person", "role", "seen", "from", "to", "why", title="People", title_justify="left"
    )
    for p in observed.people:
        share = p.frames / max(observed.frames_analysed, 1)
        table.add_row(
            str(p.person),
            p.role,
            f"{share:.0%} of frames",
            f"{p.first_s:.1f} s",
            f"{p.last_s:.1f} s",
            p.role_reason,
        )
    return table


@cli.command("turns")
@film_argument
@out_option
@click.option(
    "--audio-only",
    is_flag=True,
    help="Do not look at faces (voices are told apart by sound alone).",
)
@click.pass_obj
def turns_command(app: App, film: Path, out_dir: Path, audio_only: bool) -> None:
    """Who speaks when in FILM (or a sound file): writes turns.rttm and turns.csv.

    In a film, voices are tied to the people seen speaking: observations.csv in --out is
    used when it was made from the same film with the same settings, otherwise the film is
    observed first.
    """
    from vigvision.observe import observe_film
    from vigvision.outputs import output_folder, reusable_observed, save_observed, save_speech
    from vigvision.voice.listen import analyse_speech

    info = _film_info(app, film)
    if not info.has_audio:
        raise FilmError(
            f"{film} has no sound track, so who speaks when cannot be measured",
            "use a film with sound; `vigvision observe` still analyses the picture",
        )
    folder = output_folder(out_dir)
    observations = None
    if info.has_video and not audio_only:
        observed = reusable_observed(folder, info, app.settings)
        if observed is None:
            with film_progress("Watching", info.duration_s, app.quiet) as advance:
                observed = observe_film(
                    film,
                    app.settings,
                    progress=advance,
                    info=info,
                    glance_first=app.settings.perception.glance_first,
                )
            save_observed(observed, folder, app.settings)
        observations = observed.observations
    with film_progress("Listening", info.duration_s, app.quiet) as advance:
        speech = analyse_speech(film, app.settings, observations, progress=advance, info=info)
    for path in save_speech(speech, folder, info, app.settings):
        click.echo(str(path))
    if not app.quiet:
        Console(stderr=True).print(_speakers_table(speech))


def _speakers_table(speech: Any) -> Table:
    table = Table(
        "speaker", "person", "role", "speaks", "pitch", "why", title="Voices", title_justify="left"
    )
    for s in speech.speakers:
        person = "" if s.person is None else str(s.person)
        pitch = "" if s.median_pitch_hz != s.median_pitch_hz else f"{s.median_pitch_hz:.0f} Hz"
        table.add_row(s.speaker, person, s.role, f"{s.speech_s:.1f} s", pitch, s.role_reason)
    return table


@cli.command("suggest")
@film_argument
@click.option("--case", "case_name", help="The case (made by `vigvision case new`) to work in.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Folder for the results, with --no-case.",
)
@click.option(
    "--no-case",
    is_flag=True,
    help="Work outside any case (consented research data): results go to --out.",
)
@click.option("--top", type=WholeNumber(min=1), help="How many candidates (suggest.top).")
@click.option("--min-len", type=Number(min=1), help="Shortest candidate, seconds.")
@click.option("--max-len", type=Number(min=1), help="Longest candidate, seconds.")
@click.option("--adult", help="Who the adult is: left, right or a person id (overrides the guess).")
@click.option(
    "--model", type=click.Path(path_type=Path, dir_okay=False), help="A scoring model (.onnx)."
)
@click.option(
    "--goal",
    "goals",
    multiple=True,
    help="Favour moments of this goal: attentive, waiting, receiving, turn-taking, warmth.",
)
@click.option(
    "--profile",
    help="no-eye-contact: averted gaze is no evidence either way; baby: a baby's coos take "
    "turns, and looking at the same thing and replies count more.",
)
@click.option("--timings", is_flag=True, help="Print the wall time of each stage at the end.")
@click.pass_obj
def suggest_command(
    app: App,
    film: Path,
    case_name: str | None,
    out_dir: Path | None,
    no_case: bool,
    top: int | None,
    min_len: float | None,
    max_len: float | None,
    adult: str | None,
    model: Path | None,
    goals: tuple[str, ...],
    profile: str | None,
    timings: bool,
) -> None:
    """Candidate moments of FILM for the guider to choose from: writes candidates.json.

    Also candidates.csv, cues.csv (every cue on the film's time grid) and report.html (for
    reading offline), in the case's folder for this film (--case NAME), or in --out with
    --no-case. Observations of the same film with the same settings there are reused, so
    that changing --top, --goal or the lengths re-ranks in seconds.
    """
    overrides = {"suggest.top": top, "suggest.min_len_s": min_len, "suggest.max_len_s": max_len}
    settings = app.settings.with_overrides({k: v for k, v in overrides.items() if v is not None})
    if settings.suggest.min_len_s > settings.suggest.max_len_s:
        raise ConfigError(
            f"--min-len ({settings.suggest.min_len_s:g} s) is longer than --max-len"
            f" ({settings.suggest.max_len_s:g} s)",
            "give a shorter --min-len or a longer --max-len",
        )
    if model is not None and not model.is_file():
        raise ConfigError(f"no model file at {model}", "check the path given to --model")
    if case_name is not None:
        if out_dir is not None or no_case:
            raise ConfigError(
                "--case cannot go with --out or --no-case", "the case decides where results go"
            )
        from vigvision.cases import cases_root, film_folder, open_case

        info = _film_info(app, film)
        _, out_dir = film_folder(open_case(cases_root(settings), case_name), info, date.today())
    elif not no_case or out_dir is None:
        raise ConfigError(
            "films of children are analysed in a case",
            "give --case NAME (make one: `vigvision case new NAME --consent-ref REF"
            " --consent-date DATE`), or --no-case --out DIR for consented research data",
        )
    else:
        info = _film_info(app, film)
    _suggest_into(app, settings, info, out_dir, adult, model, goals, profile, timings)


def _film_info(app: App, film: Path, quiet: bool = False) -> FilmInfo:
    """The film probed (and read for its hash) once for the whole run."""
    size = film.stat().st_size if film.is_file() else 0
    with bytes_progress("Checksum", size, app.quiet or quiet) as update:
        return probe(film, progress=update)


def _suggest_into(
    app: App,
    settings: Settings,
    info: FilmInfo,
    out_dir: Path,
    adult: str | None,
    model: Path | None = None,
    goals: tuple[str, ...] = (),
    profile: str | None = None,
    timings: bool = False,
) -> Path:
    """Observe, listen, suggest and write everything into ``out_dir``; the report's path."""
    from vigvision.glance import watching_in_words
    from vigvision.outputs import output_folder
    from vigvision.pipeline import suggest_film

    film = info.path
    if not info.has_video:
        raise FilmError(
            f"{film} has sound but no picture",
            "suggest needs a film; `vigvision turns` works on sound",
        )
    folder = output_folder(out_dir)
    with stages_progress(info.duration_s, app.quiet) as progress:
        run = suggest_film(
            info,
            settings,
            folder,
            adult=adult,
            model=model,
            goals=goals,
            profile=profile,
            progress=progress,
        )
    suggestions = run.suggestions
    for path in run.written:
        click.echo(str(path))
    if timings:
        Console(stderr=True).print(_timings_table(run, info.duration_s))
    if not app.quiet:
        if suggestions.candidates:  # else the error below says why there are none
            Console(stderr=True).print(_candidates_table(suggestions))
        from vigvision.export.report import clock

        watching = watching_in_words(run.watched, settings.perception.glance_min_people)
        if watching:
            click.echo(as_typed(watching), err=True)

        for group in suggestions.groups:
            click.echo(
                f"{clock(group.start_s)}–{clock(group.end_s)} (adult {group.adult} with "
                f"children {', '.join(str(c.child) for c in group.children)}): {group.sentence()}",
                err=True,
            )
        analysed = len(suggestions.cues)
        if suggestions.pairs_possible > analysed:
            click.echo(
                f"{suggestions.pairs_possible} pairs could be formed of the people seen: "
                f"the {analysed} seen together longest were analysed.",
                err=True,
            )
        if any(not cues.pair.roles_known for cues in suggestions.cues):
            click.echo(
                "Adult and child could not be told apart: run again with --adult left, "
                "--adult right or --adult ID (the person's number in people.json).",
                err=True,
            )
    if not suggestions.candidates:
        raise FilmError(
            f"no moments could be suggested in {film}: no adult and child were seen together",
            "check that two people's faces are seen; "
            f"`vigvision observe {film} --annotate --out {folder / 'seen'}` shows what is",
        )
    return folder / "report.html"


@cli.command("train")
@click.argument("labels", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The model to write (.onnx); its model card goes beside it (.md).",
)
@click.option("--tier", default="chosen", show_default=True, help="ELAN tier of the moments.")
@click.option(
    "--work",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for what is learnt of each film (default: beside --out, NAME-films).",
)
@click.option("--folds", default=5, show_default=True, type=WholeNumber(min=2))
@click.option(
    "--runs",
    type=click.Path(path_type=Path, file_okay=False),
    help="The --out folder of a `vigvision batch` run: its films are not analysed again.",
)
@click.pass_obj
def train_command(
    app: App,
    labels: tuple[Path, ...],
    out: Path,
    tier: str,
    work: Path | None,
    folds: int,
    runs: Path | None,
) -> None:
    """Train a scorer on moments people marked: ELAN .eaf, CSV (film,start_s,end_s) or
    selections.json files. Negatives come from the rest of the same films.

    Prints AUC and recall@3/5/10 per fold, each fold testing on films it never saw; writes
    the model and its model card. Use it with `vigvision suggest FILM --model OUT`, or
    `vigvision evaluate LABELS --runs DIR --model OUT` on other coded films.
    """
    from pyannote.core import Segment

    from vigvision.batch import batch_film_of, films_done
    from vigvision.files import atomic_write
    from vigvision.labels import read_moments
    from vigvision.model import to_onnx
    from vigvision.outputs import output_folder
    from vigvision.pipeline import saved_analysis, watch_and_listen
    from vigvision.suggest import film_windows
    from vigvision.training import (
        RECALL_AT,
        FilmExamples,
        cross_validate,
        fit,
        label_windows,
        model_card,
    )

    if out.suffix != ".onnx":
        raise ConfigError(f"--out {out} does not end in .onnx", "name the model NAME.onnx")
    by_film: dict[Path, list[Segment]] = {}
    for path in labels:
        for moment in read_moments(path, tier):
            by_film.setdefault(moment.film, []).append(moment.span)
    if len(by_film) < 2:
        raise ConfigError(
            f"the labels mark moments in {len(by_film)} film(s)",
            "training and its evaluation need moments in two films or more",
        )
    work = work or out.with_name(f"{out.stem}-films")
    batch = films_done(runs) if runs is not None else []
    examples = []
    for film, moments in sorted(by_film.items()):
        analysed = batch_film_of(film, batch) if runs is not None else None
        if runs is not None and analysed is not None:
            observed, speech = saved_analysis(runs / analysed.folder, app.settings)
            info = observed.info
        elif runs is not None:
            click.echo(f"not in the batch, left out: {film.name}", err=True)
            continue
        else:
            info = _film_info(app, film)
            folder = output_folder(work / f"{film.stem}-{info.sha256[:8]}")
            with stages_progress(info.duration_s, app.quiet) as progress:
                observed, speech = watch_and_listen(info, app.settings, folder, progress=progress)
        windows = film_windows(observed, speech, app.settings)
        spans, features = windows.spans, windows.features
        if not spans:
            click.echo(f"{film.name}: no adult and child seen together; left out", err=True)
            continue
        examples.append(
            FilmExamples(
                info.sha256,
                info.duration_s,
                spans,
                features,
                label_windows(spans, moments),
                moments,
                speech.speech,
            )
        )
    try:
        results = cross_validate(examples, app.settings, folds)
        model = fit(examples)
    except ValueError as error:
        raise ConfigError(
            f"cannot train: {error}",
            "each fold trains on the films of the others: give more films, or fewer --folds",
        ) from error
    out.parent.mkdir(parents=True, exist_ok=True)
    table = Table("fold", "test films", "AUC", *(f"recall@{k}" for k in RECALL_AT))
    for i, fold in enumerate(results, start=1):
        table.add_row(
            str(i),
            str(fold.films),
            f"{fold.auc:.2f}",
            *(f"{fold.recall[k]:.2f}" for k in RECALL_AT),
        )
    Console().print(table)
    sources = [p.suffix.lstrip(".") for p in labels]
    description = f"vigvision scorer trained on {len(examples)} films"
    trained_on = [film.film for film in examples]
    atomic_write(
        out, lambda path: path.write_bytes(to_onnx(model, "trained", description, trained_on))
    )
    card = out.with_suffix(".md")
    atomic_write(
        card,
        lambda path: path.write_text(
            model_card(out.name, examples, results, sources), encoding="utf-8"
        ),
    )
    click.echo(str(out))
    click.echo(str(card))


@cli.command("demo")
@click.option(
    "--out",
    "out_dir",
    default=Path("vigvision-demo"),
    show_default=True,
    type=click.Path(path_type=Path),
    help="Folder for the demonstration film and its results.",
)
@click.option("--no-open", is_flag=True, help="Do not open the report in a browser.")
@click.pass_obj
def demo_command(app: App, out_dir: Path, no_open: bool) -> None:
    """A demonstration on a one-minute film vigvision makes itself (nothing is downloaded).

    Two people in a room (from a public-domain photograph) taking turns to speak with
    synthetic voices; vigvision finds the moments and opens report.html. On your own film:
    vigvision suggest FILM --case NAME (see vigvision case new).
    """
    from vigvision.demo import make_demo_film
    from vigvision.files import atomic_write
    from vigvision.outputs import output_folder

    folder = output_folder(out_dir)
    film = folder / "demo-film.mp4"
    if not film.is_file():
        if not app.quiet:
            click.echo("Making the demonstration film (once)...", err=True)
        atomic_write(film, make_demo_film)
    report = _suggest_into(app, app.settings, _film_info(app, film), folder, adult="left")
    click.echo(f"Open {report.resolve()} in a browser to see the suggested moments.")
    click.echo(
        as_typed(f"Try the review page, where you choose moments: `vigvision review {folder}`")
    )
    if not no_open and sys.stdout.isatty():
        import webbrowser

        webbrowser.open(report.resolve().as_uri())


def _timings_table(run: Suggested, duration_s: float) -> Table:
    """Each stage's wall time; listening runs beside watching, so they overlap."""
    table = Table("stage", "wall time", title="Timings")
    for stage in run.timings.stages:
        table.add_row(stage.stage, "reused" if stage.reused else f"{stage.seconds:.1f} s")
    speed = f" ({duration_s / run.wall_s:.1f}x real time)" if run.wall_s > 0 else ""
    table.add_row("whole run (after the checksum)", f"{run.wall_s:.1f} s{speed}")
    return table


def _candidates_table(suggestions: Any) -> Table:
    from vigvision.selections import evidence_words

    table = Table(
        "#",
        "from",
        "to",
        "evidence",
        "what goes well",
        title="Candidate moments",
        title_justify="left",
    )
    for c in suggestions.candidates:
        table.add_row(
            str(c.rank),
            _clock(c.start_s, exact=False),
            _clock(c.end_s, exact=False),
            evidence_words(c.strength, c.seen_together, c.heard),
            c.explanation,
        )
    return table


@cli.command("settings")
@click.pass_obj
def settings_command(app: App) -> None:
    """Print the effective settings (defaults, --config and --set applied) as YAML."""
    click.echo(yaml.safe_dump(app.settings.to_dict(), sort_keys=False), nl=False)


@cli.command("check")
@click.pass_obj
def check_command(app: App) -> None:
    """Check this installation offline: models present and loading, films decoding."""
    from vigvision.perception.mediapipe_models import check_shipped_models, load_solutions

    table = Table("check", "result", title="vigvision installation", title_justify="left")
    for purpose, path in check_shipped_models().items():
        table.add_row(
            f"model: {purpose}", f"[green]present[/] ({path.stat().st_size / 1e6:.1f} MB)"
        )
    solutions = load_solutions()
    blank = np.zeros((240, 320, 3), np.uint8)
    for name, solution in solutions.items():
        solution.process(blank)
        solution.close()
        table.add_row(f"runs: {name}", "[green]ok[/]")
    for name, listen in _listening_models().items():
        listen()
        table.add_row(f"runs: {name}", "[green]ok[/]")
    with tempfile.TemporaryDirectory(prefix="vigvision-check-") as folder:
        film = Path(folder) / "check.mp4"
        _write_check_film(film)
        frames = list(FrameReader.from_settings(film, app.settings.film))
        sound = AudioReader.from_settings(film, app.settings.audio).read()
        table.add_row(
            "films: write and read H.264 + AAC",
            f"[green]ok[/] ({len(frames)} frames, {sound.end:.1f} s of sound)",
        )
    if not app.quiet:
        Console().print(table)
    click.echo("vigvision is ready: nothing was downloaded and nothing left this machine.")


def _listening_models() -> dict[str, Callable[[], object]]:
    """Each model that listens, run once on a second of quiet (each fails loudly if missing)."""
    from vigvision.voice.activity import speech_probability
    from vigvision.voice.embedding import embed, mel_power
    from vigvision.voice.segmentation import local_voices

    quiet = np.zeros(16000, np.float32)
    return {
        "voice activity (Silero VAD)": lambda: speech_probability(quiet),
        "voiceprints (Resemblyzer)": lambda: embed(mel_power(quiet), quiet, [(0, 100)]),
        "voices at once (pyannote segmentation)": lambda: local_voices(quiet, [0]),
    }


def _write_check_film(path: Path) -> None:
    rate = 16000
    tone = 0.2 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate).astype(np.float32)
    with FilmWriter(path, width=320, height=240, fps=25, audio_rate=rate) as film:
        for i in range(25):
            film.add_frame(np.full((240, 320, 3), i * 10, np.uint8))
        film.add_audio(tone)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``vigvision`` command."""
    args = _global_flags_first(list(sys.argv[1:] if argv is None else argv))
    debug = "--debug" in args
    noise = None if debug else logs.NativeNoiseFilter()
    try:
        code = _run(args, debug)
    finally:
        if noise is not None:
            noise.close()
    sys.exit(code)


_GLOBAL_FLAGS = ("--debug", "-q", "--quiet")


def _global_flags_first(args: list[str]) -> list[str]:
    """``vigvision observe film -q`` works like ``vigvision -q observe film``."""
    flags = [a for a in args if a in _GLOBAL_FLAGS]
    return flags + [a for a in args if a not in _GLOBAL_FLAGS]


def _run(args: list[str], debug: bool) -> int:
    try:
        result = cli.main(args=args, prog_name="vigvision", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        context: click.Context | None = getattr(error, "ctx", None)
        hint = f" (see: {context.command_path} --help)" if context is not None else ""
        _say_error(f"{error.format_message()}{hint}")
        return 2
    except VigvisionError as error:
        if debug:
            raise
        _say_error(error.one_line())
        return error.exit_code
    except (click.Abort, KeyboardInterrupt):
        _say_error("stopped")
        return 130
    except Exception as error:
        if debug:
            raise
        from vigvision.files import NO_ROOM, no_room

        if isinstance(error, OSError) and error.errno in NO_ROOM:
            # Written by something else than the project's file writer (a video, a cache).
            _say_error(no_room(Path(error.filename or "a file")).one_line())
            return 2
        problem = f"{type(error).__name__}: {error}"
        _say_error(f"unexpected problem ({problem}) — run again with --debug and report it")
        return 1


def _say_error(message: str) -> None:
    click.echo(f"error: {as_typed(message)}", err=True)


# The guider's commands (case, review, export, letter) and the researcher's (batch) live in
# their own modules.
from vigvision import cli_cases, cli_research  # noqa: E402

__all__ = ["App", "cli", "cli_cases", "cli_research", "main"]

if __name__ == "__main__":
    main()
