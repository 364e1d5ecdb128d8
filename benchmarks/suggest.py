"""Does ``suggest`` find the moments that go well, whole, with true words? Several films.

    uv run python benchmarks/suggest.py [--films far-phone,zoomed-home,small-meeting]

Composes three 5-minute 1080p films from ../shared/media (cached in the temp folder) that
differ in sound and framing, each of 20 s stretches: five *positives* (two people seated
facing each other, a real conversation laid under them) among distractors (the same people
mirrored to face away with the same conversation; facing each other in silence or under
music; one person alone; nobody; a crowd):

- far-phone: the room seen whole, a two-person telephone call;
- zoomed-home: the camera zoomed in on the two, a home recording of an adult and a small
  child (room noise, a child's voice);
- small-meeting: the two small in a corner of a dark frame, a four-person meeting
  (overlapping voices);
- side-by-side: a shared activity, not face to face: two people side by side at a kitchen
  counter both looking at what one of them holds, a home recording of an adult and a child
  laid under them; the distractors are the same people with one of them mirrored in place
  (turned to look elsewhere), with the same sound.

Runs ``vigvision suggest`` on each and prints recall@3/5/10 (a positive is found when a
candidate's centre lies inside it, or IoU ≥ 0.3), the mean IoU of the found positives with
the candidate that found them, top-5 slots spent twice on one positive, false claims
(sentences that ``cues.csv`` does not bear out, ``vigvision.claims``), × real time and
peak memory; for the first film also the time to re-rank from the cache and the
no-eye-contact profile.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2
import numpy as np
from pyannote.core import Segment
from tests.films import each_half_mirrored

from benchmarks._common import CACHE, MEDIA
from vigvision.claims import false_claims
from vigvision.film import AudioReader, FilmWriter, FrameReader
from vigvision.training import is_found, overlap

SIZE = (1920, 1080)
FPS = 25
STRETCH_S = 20.0
# (picture, sound) of each 20 s stretch; "facing" + "conversation" is a positive.
SCRIPT = [
    ("nobody", "silence"),
    ("facing", "conversation"),
    ("away", "conversation"),
    ("alone", "music"),
    ("facing", "conversation"),
    ("facing", "silence"),
    ("alone", "conversation"),
    ("facing", "conversation"),
    ("facing", "music"),
    ("away", "silence"),
    ("facing", "conversation"),
    ("crowd", "silence"),
    ("away", "conversation"),
    ("facing", "conversation"),
    ("nobody", "silence"),
]
# The shared-activity film: "together" (both look at one place) + "conversation" is a
# positive; "apart" is the same picture with one person turned to look elsewhere.
SIDE_BY_SIDE_SCRIPT = [
    ("nobody", "silence"),
    ("together", "conversation"),
    ("apart", "conversation"),
    ("alone", "music"),
    ("together", "conversation"),
    ("apart", "silence"),
    ("alone", "conversation"),
    ("together", "conversation"),
    ("apart", "music"),
    ("apart", "conversation"),
    ("together", "conversation"),
    ("crowd", "silence"),
    ("apart", "conversation"),
    ("together", "conversation"),
    ("nobody", "silence"),
]
POSITIVE = {("facing", "conversation"), ("together", "conversation")}


def positives(script: list[tuple[str, str]]) -> list[Segment]:
    return [
        Segment(i * STRETCH_S, (i + 1) * STRETCH_S)
        for i, kind in enumerate(script)
        if kind in POSITIVE
    ]


@dataclass(frozen=True)
class Film:
    name: str
    framing: Callable[[np.ndarray], np.ndarray]
    """How the camera sees the scene: the 1080p frame made of a source picture."""
    conversation: str
    """The sound laid under the conversation stretches (a file of ../shared/media)."""
    script: list[tuple[str, str]] = field(default_factory=lambda: SCRIPT)


def fit(image: np.ndarray) -> np.ndarray:
    """A picture scaled and cropped to fill the 1080p frame."""
    width, height = SIZE
    scale = max(width / image.shape[1], height / image.shape[0])
    resized = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)))
    top = (resized.shape[0] - height) // 2
    left = (resized.shape[1] - width) // 2
    return np.ascontiguousarray(resized[top : top + height, left : left + width])


def one_mirrored(image: np.ndarray) -> np.ndarray:
    """The kitchen with the person on the left mirrored in place: they look out of the window."""
    out = image.copy()
    left, right = round(0.22 * image.shape[1]), round(0.47 * image.shape[1])
    out[:, left:right] = image[:, left:right][:, ::-1]
    return out


def pictures(kind: str) -> list[np.ndarray]:
    """One loop of frames for a kind of stretch (played forwards then backwards: no jumps)."""
    source, start, end = {
        "facing": ("two_seated_facing.mp4", 0.0, None),
        "away": ("two_seated_facing.mp4", 0.0, None),
        "together": ("two_kitchen_side_by_side.mp4", 0.0, None),
        "apart": ("two_kitchen_side_by_side.mp4", 0.0, None),
        "alone": ("one_seated_gesturing.mp4", 0.0, None),
        "crowd": ("crowd_walking_1080p.mp4", 0.0, None),
        "nobody": ("face_then_noface_hevc.mov", 3.5, 6.3),
    }[kind]
    frames = [
        fit(f.image)
        for f in FrameReader(MEDIA / source, fps=FPS, max_side=1920, start_s=start, end_s=end)
    ]
    if kind == "away":
        frames = [each_half_mirrored(f) for f in frames]
    if kind == "apart":
        frames = [one_mirrored(f) for f in frames]
    return frames + frames[::-1]


def zoomed(image: np.ndarray) -> np.ndarray:
    """The picture zoomed in on the two people (85 % of it, the room's right side left out)."""
    height, width = image.shape[:2]
    top, crop_h, crop_w = round(0.03 * height), round(0.85 * height), round(0.85 * width)
    return fit(image[top : top + crop_h, :crop_w])


def small_in_a_corner(image: np.ndarray) -> np.ndarray:
    """The scene at 55 % in the lower left of a dark frame, as filmed from far off-centre."""
    width, height = SIZE
    scene = cv2.resize(fit(image), (round(width * 0.55), round(height * 0.55)))
    out = np.full((height, width, 3), 24, np.uint8)
    out[height - scene.shape[0] :, : scene.shape[1]] = scene
    return out


FILMS = {
    "far-phone": Film("far-phone", fit, "two_speaker_phone_call.wav"),
    "zoomed-home": Film("zoomed-home", zoomed, "home_adult_child_voices.wav"),
    "small-meeting": Film("small-meeting", small_in_a_corner, "four_speaker_meeting.wav"),
    "side-by-side": Film("side-by-side", fit, "home_adult_child_voices.wav", SIDE_BY_SIDE_SCRIPT),
}


def sounds(conversation_file: str, script: list[tuple[str, str]]) -> Iterator[np.ndarray]:
    """The sound of each stretch of a script in turn (a conversation from a new place each time)."""
    rate = 16000
    length = round(STRETCH_S * rate)
    talk = AudioReader(MEDIA / conversation_file).read().samples
    talk = np.concatenate([talk, np.zeros(rate // 2, np.float32)])
    music = AudioReader(MEDIA / "adult_talking_head.mp4").read().samples
    rng = np.random.default_rng(0)
    for index, (_, sound) in enumerate(script):
        if sound == "conversation":
            start = (index * 7 * rate) % len(talk)
            yield np.resize(np.roll(talk, -start), length).astype(np.float32)
        elif sound == "music":
            yield np.resize(music, length).astype(np.float32)
        else:
            yield (0.002 * rng.standard_normal(length)).astype(np.float32)


def loop(frames: list[np.ndarray], count: int) -> Iterator[np.ndarray]:
    for index in range(count):
        yield frames[index % len(frames)]


def composed_film(film: Film) -> Path:
    """The benchmark film (made once, kept in the temp folder)."""
    target = CACHE / f"suggest_benchmark_{film.name}_5min_1080p.mp4"
    if target.exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = target.with_name("partial_" + target.name)
    width, height = SIZE
    seen: dict[str, list[np.ndarray]] = {}
    with FilmWriter(
        partial,
        width=width,
        height=height,
        fps=FPS,
        audio_rate=16000,
        options={"preset": "veryfast", "crf": "23"},
    ) as out:
        for picture, _ in film.script:
            if picture not in seen:
                seen[picture] = [film.framing(f) for f in pictures(picture)]
            for image in loop(seen[picture], round(STRETCH_S * FPS)):
                out.add_frame(image)
        out.add_audio(np.concatenate(list(sounds(film.conversation, film.script))))
    partial.rename(target)
    return target


def found(candidate: dict[str, Any], positive: Segment) -> bool:
    return is_found(Segment(candidate["start_s"], candidate["end_s"]), positive)


def iou(candidate: dict[str, Any], positive: Segment) -> float:
    return overlap(Segment(candidate["start_s"], candidate["end_s"]), positive)


def run(film: Path, out: Path, *extra: str) -> tuple[float, float]:
    """Seconds and peak memory (MB) of one ``vigvision suggest`` run."""
    command = [
        "/usr/bin/time",
        "-f",
        "%M",
        sys.executable,
        "-m",
        "vigvision.cli",
        "suggest",
        str(film),
        "--no-case",
        "--out",
        str(out),
        "-q",
        *extra,
    ]
    # As on a user's machine, Python keeps its compiled modules (this one is told not to).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"suggest failed: {done.stderr}")
    peak_kb = float(done.stderr.strip().splitlines()[-1])
    return seconds, peak_kb / 1024


def measure(candidates: list[dict[str, Any]], positives: list[Segment]) -> dict[str, Any]:
    """Recall@k, mean IoU of the found positives, top-5 slots spent twice on one positive."""
    figures: dict[str, Any] = {}
    for k in (3, 5, 10):
        hits = sum(any(found(c, p) for c in candidates[:k]) for p in positives)
        figures[f"recall@{k}"] = hits / len(positives)
    overlaps = [
        max(iou(c, p) for c in candidates[:10] if found(c, p))
        for p in positives
        if any(found(c, p) for c in candidates[:10])
    ]
    figures["mean IoU"] = float(np.mean(overlaps)) if overlaps else float("nan")
    hit_by = [
        next((i for i, p in enumerate(positives) if found(c, p)), None) for c in candidates[:5]
    ]
    figures["top-5 twice"] = sum(
        1 for i, h in enumerate(hit_by) if h is not None and h in hit_by[:i]
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--films", default=",".join(FILMS), help="films to run, by name")
    parser.add_argument("--show", action="store_true", help="list each film's candidates")
    args = parser.parse_args()
    duration = len(SCRIPT) * STRETCH_S
    print(
        f"{duration / 60:.0f}-min 1080p films, {len(positives(SCRIPT))} positive stretches of "
        f"{STRETCH_S:.0f} s each; bars: recall@5 >= 0.8, mean IoU >= 0.6, 0 false claims"
    )
    for name in args.films.split(","):
        path = composed_film(FILMS[name])
        out = CACHE / f"suggest_benchmark_{name}_out"
        for old in out.glob("*"):
            if old.is_file():
                old.unlink()
        seconds, peak = run(path, out, "--top", "10")
        candidates = json.loads((out / "candidates.json").read_text())["candidates"]
        figures = measure(candidates, positives(FILMS[name].script))
        wrong = false_claims(out)
        print(
            f"{name}: "
            + ", ".join(
                f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items()
            )
            + f", false claims {len(wrong)}; {duration / seconds:.1f}x real time "
            f"({seconds:.0f} s), peak RSS {peak:.0f} MB"
        )
        for problem in wrong:
            print(f"    false claim: {problem}")
        if args.show:
            show(candidates, FILMS[name].script)
        if name == "far-phone":
            again, _ = run(path, out, "--top", "5", "--goal", "turn-taking")
            print(f"  re-ranking from the cache (--top 5 --goal turn-taking): {again:.1f} s")
            # Facing each other and gaze count for nothing under this profile: the same
            # conversation with the two turned away is then as good a moment as a positive.
            run(path, out, "--top", "10", "--profile", "no-eye-contact")
            candidates = json.loads((out / "candidates.json").read_text())["candidates"]
            conversations = [
                Segment(i * STRETCH_S, (i + 1) * STRETCH_S)
                for i, (p, s) in enumerate(SCRIPT)
                if p in ("facing", "away") and s == "conversation"
            ]
            hits = sum(any(found(c, p) for c in candidates[:10]) for p in conversations)
            print(
                f"  with --profile no-eye-contact: conversations seen together, facing or "
                f"turned away, in the top 10: {hits} of {len(conversations)}"
            )


def show(candidates: list[dict[str, Any]], script: list[tuple[str, str]]) -> None:
    for c in candidates:
        span = f"{c['start_s']:6.1f}-{c['end_s']:6.1f} s"
        kind = script[min(len(script) - 1, int((c["start_s"] + c["end_s"]) / 2 // STRETCH_S))]
        print(
            f"  {c['rank']:2d}. {span}  {c['score']:.3f} {c['strength']:6s} "
            f"[{'+'.join(kind)}] {c['explanation']}"
        )


if __name__ == "__main__":
    main()
