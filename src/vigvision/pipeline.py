"""The one place that runs the stages of a film's analysis, and reuses what it may.

probe (the film is read for its hash once a run) → watch and listen at once (the sound is
heard on the second core while the picture is watched) → name the voices by the faces
that speak → cues, windows, scores, candidates → save. What a folder already holds from
the same film (by hash) and the same settings is reused. Front ends (the command line,
``train``, the demo) call these functions and print; they never chain stages themselves,
and stages never decide what to reuse.

Each stage reports progress as ``progress(stage, film_seconds_reached)`` and its wall time
into ``Timings``; ``cancel`` (a ``threading.Event``) stops a run between two frames.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vigvision import resume
from vigvision.config import LISTENING_SECTIONS, Settings
from vigvision.errors import ConfigError, VigvisionError
from vigvision.film import FilmInfo
from vigvision.glance import Stretch, left_out

if TYPE_CHECKING:
    from vigvision.observe import Observed
    from vigvision.suggest import Suggestions
    from vigvision.turns import Speech, Voices

# Where the watching done so far, and the voices heard, are kept until a run's results are
# saved (in the results folder): a stopped run continues from them.
WATCHING_SO_FAR = ".watching-so-far.pickle"
HEARD_SO_FAR = ".heard-so-far.pickle"

Progress = Callable[[str, float], None]
"""``progress(stage, t)``: the stage ("Watching", "Listening") has reached film time ``t``."""


class CancelledError(VigvisionError):
    """The run was stopped on request; what was saved before stays as it was."""


@dataclass(frozen=True)
class StageTime:
    stage: str
    seconds: float
    reused: bool = False


@dataclass
class Timings:
    """Wall time of each stage of one run, in the order the stages ended."""

    stages: list[StageTime] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stages.append(StageTime(name, time.perf_counter() - started))

    def reused(self, name: str) -> None:
        self.stages.append(StageTime(name, 0.0, reused=True))


def _reporter(
    stage: str, progress: Progress | None, cancel: threading.Event | None
) -> Callable[[float], None]:
    def report(t: float) -> None:
        if cancel is not None and cancel.is_set():
            raise CancelledError("the analysis was stopped", "run it again to start over")
        if progress is not None:
            progress(stage, t)

    return report


@dataclass(frozen=True)
class Focus:
    """How ``suggest`` will rank the film: its first look ranks the same way, to know
    where to watch closely."""

    model: Path | None = None
    goals: tuple[str, ...] = ()
    profile: str | None = None


def watch_and_listen(
    info: FilmInfo,
    settings: Settings,
    folder: Path,
    *,
    adult: str | None = None,
    focus: Focus | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    timings: Timings | None = None,
) -> tuple[Observed, Speech]:
    """Observations and speech of the film, each reused when ``folder`` holds them for this
    film (same hash) and these settings; what is computed is saved there.

    With ``perception.glance_first`` the key frames are looked at first, and stretches with
    nobody in view are not watched closely; with a ``focus`` (``suggest``'s), only the
    stretches around the ``perception.closely_moments`` moments the first look ranks best
    are. Without one (``train``) everything with someone in view is watched closely.
    """
    from vigvision.observe import observe_film
    from vigvision.outputs import reusable_observed, reusable_speech, save_observed, save_speech
    from vigvision.roles import apply_adult_choice
    from vigvision.turns import Speech
    from vigvision.voice.listen import hear_voices, name_voices

    timings = timings if timings is not None else Timings()
    observed = reusable_observed(folder, info, settings)
    if focus is None and observed is not None and left_out(observed.watched):
        observed = None  # watched only around a first look's best moments: watch it all now
    reused = observed is not None and adult is None
    heard: Voices | Speech | None = None
    if observed is None:
        with ThreadPoolExecutor(1, thread_name_prefix="vigvision-hear") as pool:
            hearing = (
                pool.submit(_heard, info, settings, timings, folder) if info.has_audio else None
            )
            # The watching done so far is saved now and then: a run stopped on the way
            # continues from there the next time.
            partial = folder / WATCHING_SO_FAR
            first_look = Timings()

            def plan() -> tuple[Stretch, ...]:
                with first_look.stage("first look"):
                    report = _reporter("First look", progress, cancel)
                    return _first_look_plan(info, settings, hearing, focus, report)

            started = time.perf_counter()
            observed = observe_film(
                info.path,
                settings,
                adult=adult,
                progress=_reporter("Watching", progress, cancel),
                info=info,
                resume_from=partial,
                plan=plan if settings.perception.glance_first else None,
            )
            looked = sum(stage.seconds for stage in first_look.stages)
            timings.stages += first_look.stages
            timings.stages.append(StageTime("watch", time.perf_counter() - started - looked))
            save_observed(observed, folder, settings)
            partial.unlink(missing_ok=True)
            heard = hearing.result() if hearing is not None else None
    else:
        timings.reused("watch")
        if adult is not None:
            observed = observed.with_people(apply_adult_choice(observed.people, adult))
    speech = Speech(observable=False, duration_s=info.duration_s)
    if info.has_audio:
        saved = reusable_speech(folder, info, settings) if reused else None
        if saved is not None:
            timings.reused("listen")
            speech = saved
        else:
            if heard is None:
                with timings.stage("listen"):
                    report = _reporter("Listening", progress, cancel)
                    heard = hear_voices(info.path, settings, progress=report, info=info)
            with timings.stage("name voices"):
                speech = name_voices(heard, settings, observed.observations)
            save_speech(speech, folder, info, settings)
            (folder / HEARD_SO_FAR).unlink(missing_ok=True)
    return observed, speech


def _first_look_plan(
    info: FilmInfo,
    settings: Settings,
    hearing: Future[Voices | Speech] | None,
    focus: Focus | None,
    progress: Callable[[float], None],
) -> tuple[Stretch, ...]:
    """Which stretches to watch closely, from a first look at the key frames and (with a
    ``focus``) the sound track, ranked as ``suggest`` will rank the close watch."""
    from vigvision.film.frames import key_frames_before
    from vigvision.glance import closely_where, from_key_frames, glance_at_film, in_view
    from vigvision.observe import first_look
    from vigvision.suggest import promising_order
    from vigvision.turns import Speech
    from vigvision.voice.listen import name_voices

    p = settings.perception
    if focus is None or not p.closely_moments or info.duration_s <= p.closely_all_below_s:
        # Only where somebody is in view: counting faces at the key frames is enough.
        glances = glance_at_film(info.path, settings, progress=progress)
        return in_view(glances, info.duration_s, settings)
    look = first_look(info.path, settings, progress=progress)
    seen = in_view(look.glances, info.duration_s, settings)
    glanced = look.observed(info, settings)
    # The sound is heard on the other core meanwhile; the ranking needs it (turns).
    heard = hearing.result() if hearing is not None else None
    speech = (
        name_voices(heard, settings, glanced.observations)
        if heard is not None
        else Speech(observable=False, duration_s=info.duration_s)
    )
    promising = promising_order(
        glanced, speech, settings, model=focus.model, goals=focus.goals, profile=focus.profile
    )
    if not promising:  # nobody seen together at any glance: nothing to choose by
        return seen
    plan = closely_where(promising, seen, moments=p.closely_moments, pad_s=p.closely_pad_s)
    starts = [s.start_s for s in plan[1:] if s.closely]
    keys = dict(zip(starts, key_frames_before(info.path, starts), strict=True))
    return from_key_frames(plan, keys, within_s=p.closely_pad_s)


def _heard(info: FilmInfo, settings: Settings, timings: Timings, folder: Path) -> Voices | Speech:
    """The voices of the sound track: kept in ``folder`` until the speech is saved, so that
    a run stopped while watching does not listen again."""
    from vigvision.voice.listen import hear_voices

    kept = resume.kept(folder / HEARD_SO_FAR, info.sha256, settings, LISTENING_SECTIONS)
    if kept is not None:
        timings.reused("listen")
        return kept  # type: ignore[no-any-return]
    with timings.stage("listen"):
        heard = hear_voices(info.path, settings, info=info)
    resume.keep(folder / HEARD_SO_FAR, info.sha256, settings, LISTENING_SECTIONS, heard)
    return heard


@dataclass(frozen=True)
class Suggested:
    """One ``suggest`` run: its candidates, the files written, the time of each stage."""

    suggestions: Suggestions
    written: list[Path]
    timings: Timings
    wall_s: float
    """The whole run, every stage included."""
    watched: tuple[Stretch, ...]
    """Which stretches of the film were watched closely, which only glanced at."""


def suggest_film(
    info: FilmInfo,
    settings: Settings,
    folder: Path,
    *,
    adult: str | None = None,
    model: Path | None = None,
    goals: tuple[str, ...] = (),
    profile: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    everywhere: bool = False,
) -> Suggested:
    """Watch, listen, suggest and save everything into ``folder``.

    ``everywhere``: watch closely wherever someone is in view, not only around the moments
    a first look ranks best (a dataset's tables, which ``train`` and ``evaluate`` read,
    cover the whole film)."""
    from vigvision.files import all_or_none
    from vigvision.outputs import save_observed, save_suggestions
    from vigvision.suggest import suggest

    started = time.perf_counter()
    timings = Timings()
    observed, speech = watch_and_listen(
        info,
        settings,
        folder,
        adult=adult,
        focus=None if everywhere else Focus(model, goals, profile),
        progress=progress,
        cancel=cancel,
        timings=timings,
    )
    with timings.stage("cues, scores, candidates"):
        suggestions = suggest(observed, speech, settings, model=model, goals=goals, profile=profile)
    with timings.stage("save"), all_or_none():
        if adult is not None:
            # The roles the user gave are what people.json and observations.csv say from
            # now: saved with the suggestions made with them, or not at all.
            save_observed(observed, folder, settings)
        written = save_suggestions(suggestions, speech, folder, settings)
    wall_s = time.perf_counter() - started
    return Suggested(suggestions, written, timings, wall_s, observed.watched)


def saved_analysis(folder: Path, settings: Settings) -> tuple[Observed, Speech]:
    """What an earlier run (``suggest``, ``batch``) saved in ``folder``, read back without
    the film: ``evaluate`` and ``train`` on a batch never analyse a film again."""
    import json

    from vigvision.outputs import reusable_observed, reusable_speech
    from vigvision.turns import Speech

    try:
        info = FilmInfo.from_json(
            json.loads((folder / "people.json").read_text(encoding="utf-8"))["film"]
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(
            f"{folder} holds no finished analysis of a film",
            "run `vigvision batch` (or suggest) into it again",
        ) from error
    observed = reusable_observed(folder, info, settings)
    speech = reusable_speech(folder, info, settings) if info.has_audio else None
    if observed is None or (info.has_audio and speech is None):
        raise ConfigError(
            f"the analysis in {folder} was made with other settings than these",
            "give the same --set options (or --config) as for the run that made it",
        )
    return observed, speech or Speech(observable=False, duration_s=info.duration_s)
