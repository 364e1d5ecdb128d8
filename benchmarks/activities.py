"""What the shared-activity cues say of each real clip: levels, not grades.

    uv run python benchmarks/activities.py

Observes each clip of ../shared/media named below, hears its sound if it has any, and for
each pair prints the mean level (0-1) of each cue of a shared activity and the share of
the clip in which it could be observed ("seen"). There are no labelled VIG films here:
what each clip shows is written beside it, and the figures are read against that.

Then ``imitation`` on films composed of adult_laughing_expressive.mp4 beside a mirrored copy
of itself 1.5 s later (a repeat), at the same time (moving together, not a repeat), and
beside child_face_closeup.mp4 (unrelated): its mean above chance for each.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tempfile

import numpy as np
from tests.compose import load_clip

from benchmarks._common import MEDIA, run_quietly
from vigvision.config import Settings, load_settings
from vigvision.cues.grid import Grid
from vigvision.cues.pairs import pairs_of
from vigvision.cues.table import pair_cues
from vigvision.film import FilmWriter
from vigvision.observe import observe_film
from vigvision.turns import Speech
from vigvision.voice.listen import analyse_speech

CLIPS = {
    "two_kitchen_side_by_side.mp4": "side by side, both working at the counter in front",
    "two_armwrestle_lowres.mp4": "hands joined over a table; the second person seen by an arm",
    "two_seated_facing.mp4": "seated, turned to each other (one in profile)",
    "performer_and_audience.mp4": "a performer and an audience: many faces",
    "crowd_walking_1080p.mp4": "a crowd walking towards the camera",
    "one_seated_gesturing.mp4": "one person alone: no shared cue",
}
CUES = (
    "facing_each_other",
    "looking_at_same_place",
    "adult_follows_child_look",
    "hands_in_shared_space",
    "turns_in_activity",
    "hand_turn",
    "imitation",
)
# Events are counted, levels averaged.
EVENTS = {"adult_follows_child_look", "hand_turn"}


def main() -> None:
    # Every frame of these short clips (pairs need five seconds of frames together).
    settings = load_settings(overrides={"film.analysis_fps": 0})
    for clip, what in CLIPS.items():
        path = MEDIA / clip
        if not path.exists():
            print(f"{clip}: not in {MEDIA}, skipped")
            continue
        started = time.perf_counter()
        observed = observe_film(path, settings)
        info = observed.info
        speech = (
            analyse_speech(path, settings, observed.observations)
            if info.has_audio
            else Speech(observable=False, duration_s=info.duration_s)
        )
        grid = Grid.over(info.duration_s, settings.suggest.grid_step_s)
        pairs = pairs_of(observed.people, observed.observations)
        seconds = time.perf_counter() - started
        print(
            f"{clip} ({what}): {len(observed.people)} people, {len(pairs)} pairs, "
            f"{info.duration_s:.1f} s of film in {seconds:.1f} s"
        )
        if not pairs:
            print("    no pair: no shared cue")
        for pair in pairs:
            cues = pair_cues(pair, observed.observations, speech, grid)
            parts = []
            for name in CUES:
                values = cues.cues.get(name, np.full(len(grid), np.nan))
                seen = float(np.isfinite(values).mean())
                if name in EVENTS:
                    parts.append(f"{name} {int(np.nansum(values))} (seen {seen:.0%})")
                elif seen > 0:
                    parts.append(f"{name} {np.nanmean(values):.2f} (seen {seen:.0%})")
                else:
                    parts.append(f"{name} - (seen 0%)")
            print(f"    {pair.name}: " + ", ".join(parts))

    imitation(settings)


def imitation(settings: Settings) -> None:
    """``imitation`` where the right person repeats the left 1.5 s later, does it at once,
    or is someone else."""
    if not (MEDIA / "adult_laughing_expressive.mp4").exists():
        print(f"imitation: adult_laughing_expressive.mp4 not in {MEDIA}, skipped")
        return
    side, fps = 300, 25.0
    left = load_clip(MEDIA / "adult_laughing_expressive.mp4", side=side, fps=fps)
    other = load_clip(MEDIA / "child_face_closeup.mp4", side=side, fps=fps)
    later = round(1.5 * fps)
    beside = {
        "a mirrored copy 1.5 s later (a repeat)": lambda i: left.frames[max(0, i - later)][:, ::-1],
        "a mirrored copy at the same time": lambda i: left.frames[i][:, ::-1],
        "an unrelated child": lambda i: other.frames[i % len(other.frames)],
    }
    # A gap between them: each one's movement is measured around their own face only.
    gap = np.full((side, 680, 3), 90, np.uint8)
    with tempfile.TemporaryDirectory() as folder:
        for what, right in beside.items():
            path = Path(folder) / "imitation.mp4"
            with FilmWriter(path, width=2 * side + gap.shape[1], height=side, fps=fps) as film:
                for i in range(len(left.frames)):
                    frame = np.concatenate([left.frames[i], gap, right(i)], axis=1)
                    film.add_frame(np.ascontiguousarray(frame))
            observed = observe_film(path, settings)
            grid = Grid.over(observed.info.duration_s, settings.suggest.grid_step_s)
            silent = Speech(observable=False, duration_s=observed.info.duration_s)
            levels = [
                np.nanmean(pair_cues(pair, observed.observations, silent, grid).cues["imitation"])
                for pair in pairs_of(observed.people, observed.observations)
            ]
            shown = ", ".join(f"{level:.2f}" for level in levels) or "no pair"
            print(f"imitation, a laughing adult beside {what}: {shown}")


if __name__ == "__main__":
    run_quietly(main)
