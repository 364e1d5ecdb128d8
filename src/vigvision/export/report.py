"""``report.html``: the candidates for a guider, readable offline, in one file.

Each candidate with a still from its middle, its times, what goes well in it and the
principles it evidences; above them, a timeline of the whole film with the main cues and
where the candidates are. Everything (pictures, styles, the plot) is inside the file: no
network, no other files, so it can be opened anywhere and deleted with the case.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

import numpy as np

from vigvision.cues.group import GroupMoment
from vigvision.cues.pairs import Pair
from vigvision.cues.table import PairCues
from vigvision.export.clips import data_uri, stills
from vigvision.glance import Stretch, closely_share, left_out
from vigvision.machine import as_typed
from vigvision.selections import evidence_words
from vigvision.suggest import Candidate, Suggestions

# {adult} and {child}: the pair's people, by role or (roles unknown) by number.
_TRACKS: Final = (
    ("facing_each_other", "Facing each other", "#3a7bd5"),
    ("adult_turned_to_child", "{adult} turned to {child}", "#6c5ce7"),
    ("adult_speaks", "{adult} speaks", "#e17055"),
    ("child_speaks", "{child} speaks", "#00b894"),
    ("shared_smile", "Smiling together", "#fdcb6e"),
)
_WIDTH: Final = 900
_FAINT: Final = ' opacity="0.35"'
_TRACK_H: Final = 26

_STYLE: Final = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 960px; color: #222;
       line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
.evidence { color: #445; font-size: .9rem; margin: .2rem 0; }
.settle { background: #fff7e0; padding: .5rem .8rem; border-radius: 4px; }
.note { color: #555; }
.candidate { display: flex; gap: 1rem; border-top: 1px solid #ddd; padding: 1rem 0; }
.candidate img { width: 320px; height: auto; border-radius: 4px; background: #eee; }
.rank { font-weight: 700; font-size: 1.2rem; }
.times { font-variant-numeric: tabular-nums; color: #333; }
.principles span { display: inline-block; background: #eef3fb; color: #234; border-radius: 3px;
                   padding: 0 .4rem; margin: .2rem .3rem 0 0; font-size: .9rem; }
svg text { font-size: 11px; fill: #333; }
@media print { .candidate { break-inside: avoid; } }
"""


def clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def timeline(
    cues: PairCues,
    candidates: list[Candidate],
    duration_s: float,
    glanced: Sequence[Stretch] = (),
) -> str:
    """The whole film as an SVG: a track per main cue, candidates shaded and numbered, and
    the stretches only ``glanced`` at greyed (their tracks are empty because nobody looked,
    not because nothing happened)."""
    label_w = 175
    plot_w = _WIDTH - label_w
    axis_y = _TRACK_H * len(_TRACKS) + 16
    height = axis_y + 46
    svg = f'<svg viewBox="0 0 {_WIDTH} {height}" width="100%" role="img"'
    parts = [svg + ' aria-label="Timeline of the film">']

    def x(t: float) -> float:
        return label_w + plot_w * t / max(duration_s, 1e-9)

    for stretch in glanced:
        parts.append(
            f'<rect x="{x(stretch.start_s):.1f}" y="0" '
            f'width="{max(x(stretch.end_s) - x(stretch.start_s), 1):.1f}" '
            f'height="{axis_y - 12}" fill="#e4e4e4"><title>only glanced at: '
            f"{clock(stretch.start_s)} – {clock(stretch.end_s)}</title></rect>"
        )
    if glanced:
        parts.append(
            f'<text x="{label_w}" y="{height - 6}">'
            "grey: only glanced at, though someone was in view</text>"
        )
    for c in candidates:
        parts.append(
            f'<rect x="{x(c.start_s):.1f}" y="0" width="{max(x(c.end_s) - x(c.start_s), 2):.1f}" '
            f'height="{axis_y - 12}" fill="#ffeaa7" opacity="0.6"/>'
            f'<text x="{x(c.start_s) + 2:.1f}" y="{axis_y - 16}">{c.rank}</text>'
        )
    columns = max(1, plot_w // 2)
    for row, (name, label, colour) in enumerate(_TRACKS):
        top = row * _TRACK_H + 4
        label = _track_label(label, cues.pair)
        parts.append(f'<text x="0" y="{top + 15}">{html.escape(label)}</text>')
        values = cues.cues.get(name)
        if values is None or len(values) == 0:
            continue
        edges = np.linspace(0, len(values), columns + 1).astype(int)
        for k in range(columns):
            chunk = values[edges[k] : max(edges[k + 1], edges[k] + 1)]
            seen = chunk[np.isfinite(chunk)]
            if not len(seen):
                continue
            level = float(np.clip(np.mean(seen), 0, 1))
            # Observed but not there: a thin line (blank is "could not be observed").
            bar = level * (_TRACK_H - 6) if level > 0.02 else 1.0
            left, bottom = label_w + k * plot_w / columns, top + _TRACK_H - 6
            parts.append(
                f'<rect x="{left:.1f}" y="{bottom - bar:.1f}" width="{plot_w / columns:.1f}" '
                f'height="{bar:.1f}" fill="{colour}"{"" if level > 0.02 else _FAINT}/>'
            )
    parts.extend(_time_axis(x, duration_s, y=axis_y))
    parts.append(
        f'<text x="{label_w}" y="{height - 22}">'
        + ("yellow: the moments suggested, numbered as below; " if candidates else "")
        + "a thin line: observed, not there; blank: could not be observed</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _track_label(label: str, pair: Pair) -> str:
    """A track's name for this pair: with their roles unknown, "adult" and "child" are
    only an order, so the people are named by their numbers (as people.json has them)."""
    if pair.roles_known:
        named = label.format(adult="adult", child="child")
    else:
        named = label.format(adult=f"person {pair.adult}", child=f"person {pair.child}")
    return named[0].upper() + named[1:]


def _time_axis(x: Callable[[float], float], duration_s: float, y: float) -> list[str]:
    """Ticks under the tracks, at most 12: every 10 s on a one-minute film."""
    step = next((s for s in (1, 2, 5, 10, 30, 60, 300, 600) if duration_s / s <= 12), 1200)
    marks = []
    # None so near the end that its label would be cut off.
    for k in range(1, int((duration_s * 0.97) // step) + 1):
        marks.append(
            f'<text x="{x(k * step):.1f}" y="{y}" text-anchor="middle" fill="#777">'
            f"{clock(k * step)}</text>"
        )
    return marks


def _turns_of(group: GroupMoment) -> str:
    """What each child got, e.g. "child 2: 3 turns; child 3: the adult turned to them 2 s"."""
    parts = []
    for child in group.children:
        got = []
        if child.turn_passes:
            got.append(f"{child.turn_passes} turn{'s' if child.turn_passes > 1 else ''}")
        if child.adult_turned_to_s >= 1.0:
            got.append(f"the adult turned to them {child.adult_turned_to_s:.0f} s")
        parts.append(f"child {child.child}: {', '.join(got)}")
    return "; ".join(parts)


def _cues_of(pair: str | None, cues: Sequence[PairCues]) -> PairCues | None:
    return next((of_pair for of_pair in cues if of_pair.pair.name == pair), None)


def _both_in_view(candidate: Candidate, cues: Sequence[PairCues]) -> tuple[float, float]:
    """The longest stretch of the moment in which both people of its pair are in view (the
    whole moment if they never are): its still shows them, not whoever else is there."""
    mine = _cues_of(candidate.pair, cues)
    if mine is None:
        return candidate.start_s, candidate.end_s
    t = mine.grid.t
    inside = (t >= candidate.start_s) & (t < candidate.end_s)
    # Where both are in view, as the evidence's "both in view" counts it (windows).
    both = inside & np.isfinite(mine.cues["facing_each_other"])
    edges = np.flatnonzero(np.diff(np.concatenate([[0], both.astype(int), [0]])))
    starts, ends = edges[0::2], edges[1::2]  # each run of instants: [start, end)
    if not len(starts):
        return candidate.start_s, candidate.end_s
    longest = int(np.argmax(ends - starts))
    return float(t[starts[longest]]), float(t[ends[longest] - 1]) + mine.grid.step


def _pair_shown(suggestions: Suggestions) -> PairCues:
    """The pair whose cues the timeline shows: the best moment's (several pairs can be
    formed of the people seen)."""
    best = suggestions.candidates[0].pair if suggestions.candidates else None
    return _cues_of(best, suggestions.cues) or suggestions.cues[0]


def write_report(suggestions: Suggestions, target: Path) -> None:
    info = suggestions.info
    name = html.escape(info.path.name)
    rows = []
    pictures = stills(
        info.path, [_both_in_view(c, suggestions.cues) for c in suggestions.candidates], 480
    )
    for c, image in zip(suggestions.candidates, pictures, strict=True):
        still = data_uri(image)
        picture = f'<img src="{still}" alt="Still from {clock(c.start_s)}">' if still else ""
        principles = "".join(f"<span>{html.escape(p)}</span>" for p in c.principles)
        rows.append(
            f'<section class="candidate">{picture}<div>'
            f'<div class="rank">{c.rank}. '
            f'<span class="times">{clock(c.start_s)} – {clock(c.end_s)}</span></div>'
            f"<p>{html.escape(c.explanation)}</p>"
            f'<p class="evidence">{evidence_words(c.strength, c.seen_together, c.heard)}</p>'
            f'<div class="principles">{principles}</div>'
            f'<p class="note">{html.escape(c.pair)} · {c.end_s - c.start_s:.0f} s</p>'
            "</div></section>"
        )
    plot = (
        timeline(
            _pair_shown(suggestions),
            suggestions.candidates,
            info.duration_s,
            glanced=left_out(suggestions.watched),
        )
        if suggestions.cues
        else ""
    )
    body = (
        "\n".join(rows)
        or "<p>No moments could be suggested: no adult and child were seen together.</p>"
    )
    if suggestions.groups:
        groups = "".join(
            f'<li><span class="times">{clock(g.start_s)} – {clock(g.end_s)}</span> '
            f"{html.escape(g.sentence())} ({html.escape(_turns_of(g))})</li>"
            for g in suggestions.groups
        )
        body += f'\n<h2>The group</h2>\n<ul class="groups">{groups}</ul>'
    unwatched = left_out(suggestions.watched)
    if unwatched:
        share = closely_share(suggestions.watched)
        body = (
            f'<p class="settle">Only {share:.0%} of the film was watched closely: the parts '
            "where a first look found the most promising moments. Moments were not looked for "
            f"in {', '.join(f'{clock(s.start_s)} – {clock(s.end_s)}' for s in unwatched)}. "
            "To look everywhere, run <code>vigvision --set perception.closely_moments=0 "
            "suggest</code> on the film again.</p>\n" + body
        )
    if any(not c.pair.roles_known for c in suggestions.cues):
        body = (
            '<p class="settle">Who is the adult and who the child could not be told from the '
            "film, so the words say “one” and “the other”. To settle it, run suggest again with "
            "<code>--adult left</code>, <code>--adult right</code> or <code>--adult ID</code> "
            "(the person's number in people.json).</p>\n" + body
        )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Moments to look at: {name}</title><style>{_STYLE}</style></head>
<body>
<h1>Moments to look at in {name}</h1>
<p class="note">{clock(info.duration_s)} of film. These are suggestions where the interaction
seems to go well, with what was seen in each; you choose the moments to show.</p>
{plot}
{body}
</body></html>
"""
    target.write_text(as_typed(page), encoding="utf-8")
