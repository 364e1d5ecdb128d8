"""``suggest`` against a plain decode of every frame, and its memory, at two film lengths.

    uv run python benchmarks/throughput.py [--minutes 10,50] [--clip two_kitchen_side_by_side.mp4]
                                           [--cores 1,2] [--moments 10]
                                           [--sound two_speaker_phone_call.wav]
                                           [--repeat 1] [--against KEY=VALUE ...]

For each length, a 1080p film looped from a real two-person clip of ../shared/media (packets
copied; cached in the temp folder), a real conversation laid under it (``--sound``), is
decoded whole (every frame, as fast as PyAV can) and then run through ``vigvision suggest``
(default settings) in a fresh folder, one after the other in the same run. Prints both wall
times, suggest's speed as a share of the plain decode's and × real time, suggest's peak RSS,
and how much more memory each extra minute of film took between the lengths. ``--repeat N``
measures each length N times, decode and suggest in turn, and prints each pair and the
median of their ratios: on a shared machine one pair can be off by a tenth. ``--against
perception.tiles_every_s=8`` also runs suggest with that setting (as vigvision --set) right
after each default run, on the same film: the two ratios side by side tell what a setting
is worth on this machine today. With ``--cores
1,2`` each length is measured on one core, then on two (the decode and suggest both held to
those cores, as ``taskset`` holds them), and the speed-up two cores give is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import av

from benchmarks._common import looped_film, with_conversation
from vigvision.film import probe


def plain_decode_s(film: Path) -> float:
    started = time.perf_counter()
    with av.open(str(film)) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_type = "AUTO"
        for _ in container.decode(stream):
            pass
    return time.perf_counter() - started


def suggest_s_and_peak_mb(
    film: Path, out: Path, cores: set[int] | None = None, sets: tuple[str, ...] = ()
) -> tuple[float, float]:
    command = ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "vigvision", "-q"]
    for item in sets:
        command += ["--set", item]
    command += ["suggest", str(film), "--no-case", "--out", str(out)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        preexec_fn=None if cores is None else (lambda: os.sched_setaffinity(0, cores)),
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 2):  # 2: no moment could be suggested, still measured
        sys.exit(f"suggest failed: {done.stderr}")
    return seconds, float(done.stderr.strip().splitlines()[-1]) / 1024


def talking_film(args: argparse.Namespace, minutes: float) -> Path:
    film = looped_film(args.clip, minutes)
    return with_conversation(film, args.sound) if args.sound else film


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", default="10,50", help="film lengths, comma-separated")
    parser.add_argument("--clip", default="two_kitchen_side_by_side.mp4")
    parser.add_argument(
        "--sound",
        default="two_speaker_phone_call.wav",
        help="a conversation of ../shared/media laid under the film, repeated ('': none)",
    )
    parser.add_argument("--cores", help="core counts to hold each run to, e.g. 1,2")
    parser.add_argument(
        "--repeat", type=int, default=1, help="decode and suggest this many times in turn"
    )
    parser.add_argument(
        "--moments",
        type=int,
        help="perception.closely_moments for suggest: watch closely only around that many "
        "moments a first look ranks best (0: everything; the default setting when not given)",
    )
    parser.add_argument(
        "--against",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="also run suggest with this setting after each default run (repeatable: all "
        "of them together)",
    )
    args = parser.parse_args()
    args.sets = () if args.moments is None else (f"perception.closely_moments={args.moments}",)
    if args.cores:
        by_cores(args)
        return
    peaks: dict[float, float] = {}
    columns = (("minutes", 8), ("decode s", 10), ("suggest s", 11), ("vs decode", 11))
    print("".join(f"{name:>{width}}" for name, width in (*columns, ("x real", 8), ("peak MB", 9))))
    for minutes in [float(m) for m in args.minutes.split(",")]:
        film = talking_film(args, minutes)
        duration = probe(film).duration_s
        ratios: dict[tuple[str, ...], list[float]] = {}
        ways = [args.sets] + ([(*args.sets, *args.against)] if args.against else [])
        for _ in range(max(1, args.repeat)):
            decode = plain_decode_s(film)
            for sets in ways:
                with tempfile.TemporaryDirectory(prefix="vigvision-throughput-") as out:
                    seconds, peak = suggest_s_and_peak_mb(film, Path(out), sets=sets)
                if sets == args.sets:
                    peaks[minutes] = max(peak, peaks.get(minutes, 0.0))
                ratios.setdefault(sets, []).append(decode / seconds)
                print(
                    f"{minutes:>8g}{decode:>10.0f}{seconds:>11.0f}{decode / seconds:>10.2f}x"
                    f"{duration / seconds:>7.1f}x{peak:>9.0f}  {' '.join(sets) or 'defaults'}"
                )
        for sets, each in ratios.items():
            if len(each) > 1:
                print(
                    f"{minutes:>8g}  median of {len(each)}: {statistics.median(each):.2f}x"
                    f"  {' '.join(sets) or 'defaults'}"
                )
    lengths = sorted(peaks)
    if len(lengths) >= 2:
        short, long = lengths[0], lengths[-1]
        growth = (peaks[long] - peaks[short]) / (long - short)
        print(f"peak RSS grows by {growth:.1f} MB per extra minute ({short:g} -> {long:g} min)")


def by_cores(args: argparse.Namespace) -> None:
    """The same film on 1, 2... cores: how suggest and a plain decode scale with cores."""
    everything = sorted(os.sched_getaffinity(0))
    print(f"{'minutes':>8}{'cores':>6}{'decode s':>10}{'suggest s':>11}{'x real':>8}")
    for minutes in [float(m) for m in args.minutes.split(",")]:
        film = talking_film(args, minutes)
        duration = probe(film).duration_s
        speeds: dict[int, float] = {}
        for count in [int(c) for c in args.cores.split(",")]:
            cores = set(everything[:count])
            os.sched_setaffinity(0, cores)
            try:
                decode = plain_decode_s(film)
            finally:
                os.sched_setaffinity(0, set(everything))
            with tempfile.TemporaryDirectory(prefix="vigvision-throughput-") as out:
                seconds, _ = suggest_s_and_peak_mb(film, Path(out), cores, args.sets)
            speeds[count] = duration / seconds
            print(
                f"{minutes:>8g}{count:>6}{decode:>10.0f}{seconds:>11.0f}{duration / seconds:>7.1f}x"
            )
        counts = sorted(speeds)
        if len(counts) >= 2:
            low, high = counts[0], counts[-1]
            print(
                f"{high} cores: {speeds[high] / speeds[low]:.2f}x the speed of {low} "
                f"({minutes:g}-min film)"
            )


if __name__ == "__main__":
    main()
