"""What the shared-activity cues say of each real clip: levels, not grades.

    uv run python benchmarks/activities.py

Observes each clip of ../shared/media named below, hears its sound if it has any, and for
each pair prints the mean level (0-1) of each cue of a shared activity and the share of
the clip in which it could be observed ("seen"). There are no labelled VIG films here:
what each clip shows is written beside it, and the figures are read against that.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks._common import MEDIA, run_quietly
from vigvision.config import load_settings
from vigvision.cues.grid import Grid
from vigvision.cues.pairs import pairs_of
from vigvision.cues.table import pair_cues
from vigvision.observe import observe_film
from vigvision.turns import Speech, analyse_speech

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


if __name__ == "__main__":
    run_quietly(main)
