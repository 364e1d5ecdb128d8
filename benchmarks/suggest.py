"""Does ``suggest`` find the moments that go well? Recall on a composed film, and speed.

    uv run python benchmarks/suggest.py

Composes a 10-minute 1080p film from ../shared/media (cached in the temp folder) of 30 s
stretches: five *positives* (two people seated facing each other, a real two-person
conversation laid under them) among distractors (the same people mirrored to face away
with the same conversation; facing each other in silence or under one long monologue;
one person alone; nobody; a crowd). Runs ``vigvision suggest`` on it and prints
recall@3/5/10 (a positive is found when a candidate's centre lies inside it, or IoU ≥ 0.3),
× real time, peak memory, and the time to re-rank from the cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2
import numpy as np

from benchmarks._common import CACHE, MEDIA
from vigvision.film import AudioReader, FilmWriter, FrameReader
from vigvision.training import is_found

SIZE = (1920, 1080)
FPS = 25
STRETCH_S = 30.0
# (picture, sound) of each 30 s stretch; "facing" + "conversation" is a positive.
SCRIPT = [
    ("nobody", "silence"),
    ("facing", "conversation"),
    ("away", "conversation"),
    ("alone", "monologue"),
    ("facing", "silence"),
    ("facing", "conversation"),
    ("crowd", "silence"),
    ("facing", "monologue"),
    ("away", "silence"),
    ("facing", "conversation"),
    ("alone", "conversation"),
    ("away", "conversation"),
    ("facing", "silence"),
    ("facing", "conversation"),
    ("crowd", "monologue"),
    ("alone", "silence"),
    ("facing", "monologue"),
    ("facing", "conversation"),
    ("away", "monologue"),
    ("nobody", "silence"),
]


def fit(image: np.ndarray) -> np.ndarray:
    """A picture scaled and cropped to fill the 1080p frame."""
    width, height = SIZE
    scale = max(width / image.shape[1], height / image.shape[0])
    resized = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)))
    top = (resized.shape[0] - height) // 2
    left = (resized.shape[1] - width) // 2
    return np.ascontiguousarray(resized[top : top + height, left : left + width])


def mirrored_halves(image: np.ndarray) -> np.ndarray:
    half = image.shape[1] // 2
    out = image.copy()
    out[:, :half] = image[:, :half][:, ::-1]
    out[:, half:] = image[:, half:][:, ::-1]
    return out


def pictures(kind: str) -> list[np.ndarray]:
    """One loop of frames for a kind of stretch (played forwards then backwards: no jumps)."""
    source, start, end = {
        "facing": ("two_seated_facing.mp4", 0.0, None),
        "away": ("two_seated_facing.mp4", 0.0, None),
        "alone": ("one_seated_gesturing.mp4", 0.0, None),
        "crowd": ("crowd_walking_1080p.mp4", 0.0, None),
        "nobody": ("face_then_noface_hevc.mov", 3.5, 6.3),
    }[kind]
    frames = [
        fit(f.image)
        for f in FrameReader(MEDIA / source, fps=FPS, max_side=1920, start_s=start, end_s=end)
    ]
    if kind == "away":
        frames = [mirrored_halves(f) for f in frames]
    return frames + frames[::-1]


def sounds() -> dict[str, np.ndarray]:
    rate = 16000
    conversation = AudioReader(MEDIA / "two_speaker_phone_call.wav", start_s=6.0).read().samples
    monologue = AudioReader(MEDIA / "adult_talking_head.mp4").read().samples
    length = round(STRETCH_S * rate)

    def filled(samples: np.ndarray) -> np.ndarray:
        return np.resize(samples, length).astype(np.float32)

    rng = np.random.default_rng(0)
    return {
        "conversation": filled(np.concatenate([conversation, np.zeros(rate // 2, np.float32)])),
        "monologue": filled(monologue),
        "silence": (0.002 * rng.standard_normal(length)).astype(np.float32),
    }


def loop(frames: list[np.ndarray], count: int) -> Iterator[np.ndarray]:
    for index in range(count):
        yield frames[index % len(frames)]


def composed_film() -> tuple[Path, list[tuple[float, float]]]:
    """The benchmark film (made once) and its positive stretches."""
    target = CACHE / "suggest_benchmark_10min_1080p.mp4"
    positives = [
        (i * STRETCH_S, (i + 1) * STRETCH_S)
        for i, (p, s) in enumerate(SCRIPT)
        if (p, s) == ("facing", "conversation")
    ]
    if target.exists():
        return target, positives
    CACHE.mkdir(parents=True, exist_ok=True)
    audio = sounds()
    partial = target.with_name("partial_" + target.name)
    width, height = SIZE
    with FilmWriter(
        partial,
        width=width,
        height=height,
        fps=FPS,
        audio_rate=16000,
        options={"preset": "veryfast", "crf": "23"},
    ) as film:
        for picture, _ in SCRIPT:
            for image in loop(pictures(picture), round(STRETCH_S * FPS)):
                film.add_frame(image)
        film.add_audio(np.concatenate([audio[sound] for _, sound in SCRIPT]))
    partial.rename(target)
    return target, positives


def found(candidate: dict[str, Any], positive: tuple[float, float]) -> bool:
    return is_found(candidate["start_s"], candidate["end_s"], positive)


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


def main() -> None:
    film, positives = composed_film()
    out = CACHE / "suggest_benchmark_out"
    for old in out.glob("*"):
        if old.is_file():
            old.unlink()
    seconds, peak = run(film, out, "--top", "10")
    candidates = json.loads((out / "candidates.json").read_text())["candidates"]
    duration = len(SCRIPT) * STRETCH_S
    print(f"film: {film.name}, {duration / 60:.0f} min 1080p, {len(positives)} positive stretches")
    print_recall(candidates, positives)
    print(f"suggest: {seconds:.0f} s = {duration / seconds:.1f}x real time, peak RSS {peak:.0f} MB")
    show(candidates)
    again, _ = run(film, out, "--top", "5", "--goal", "turn-taking")
    print(f"re-ranking from the cache (--top 5 --goal turn-taking): {again:.1f} s")
    # Facing each other and gaze count for nothing under this profile: the same conversation
    # with the two turned away ("away") is then as good a moment as a positive.
    run(film, out, "--top", "10", "--profile", "no-eye-contact")
    candidates = json.loads((out / "candidates.json").read_text())["candidates"]
    print("with --profile no-eye-contact:")
    print_recall(candidates, positives)
    conversations = [
        (i * STRETCH_S, (i + 1) * STRETCH_S)
        for i, (p, s) in enumerate(SCRIPT)
        if p in ("facing", "away") and s == "conversation"
    ]
    hits = sum(any(found(c, p) for c in candidates[:10]) for p in conversations)
    print(f"  conversations seen together, facing or turned away, in the top 10: {hits} of 8")
    show(candidates)


def print_recall(candidates: list[dict[str, Any]], positives: list[tuple[float, float]]) -> None:
    for k in (3, 5, 10):
        hits = sum(any(found(c, p) for c in candidates[:k]) for p in positives)
        print(f"recall@{k}: {hits / len(positives):.2f} ({hits} of {len(positives)})")


def show(candidates: list[dict[str, Any]]) -> None:
    for c in candidates:
        span = f"{c['start_s']:6.1f}-{c['end_s']:6.1f} s"
        kind = SCRIPT[min(len(SCRIPT) - 1, int((c["start_s"] + c["end_s"]) / 2 // STRETCH_S))]
        print(f"  {c['rank']:2d}. {span}  {c['score']:.3f}  [{'+'.join(kind)}] {c['explanation']}")


if __name__ == "__main__":
    main()
