"""A draft of the guider's written feedback, printable to PDF, for the guider to edit.

VIG feedback is about what goes well: the adult's goals, then each chosen moment with a
still, its time and what the guider wrote of it. The words are the guider's; vigvision adds
only the film's plain description of each moment. Nothing grades the adult or the child.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path
from typing import Any, Final

from vigvision.export.clips import still_data_uri
from vigvision.export.report import clock
from vigvision.files import atomic_write
from vigvision.film import FilmInfo
from vigvision.selections import Moment, chosen

_STYLE: Final = """
body { font-family: Georgia, serif; max-width: 720px; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.55; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.hint { font-family: system-ui, sans-serif; background: #fff8dc; padding: .6rem .8rem;
        border-radius: 4px; font-size: .9rem; }
figure { margin: 1rem 0; break-inside: avoid; }
figure img { max-width: 100%; border-radius: 4px; }
.when { color: #555; font-variant-numeric: tabular-nums; }
[contenteditable]:focus { outline: 2px dashed #9ab; }
@media print { .hint { display: none; } }
"""


def goals_of(candidates: dict[str, Any]) -> list[str]:
    """The goals the suggestions were asked to favour (``suggest --goal``)."""
    return sorted({g for c in candidates["candidates"] for g in c.get("goals", [])})


def write_letter(
    target: Path, info: FilmInfo, moments: list[Moment], goals: list[str], today: date
) -> Path:
    """``letter.html``: goals, chosen moments with stills, times and notes; editable."""
    parts = [
        _moment_html(info, m, f"Moment {number}", "h2", said_in_the_film=True)
        for number, m in enumerate(chosen(moments), start=1)
    ]
    goal_text = (
        ", ".join(html.escape(g) for g in goals) if goals else "[the goals we agreed together]"
    )
    moments_html = "\n".join(parts) or "<p>[Choose moments on the review page first.]</p>"
    body = f"""<p>Thank you for watching the film with me. We looked at moments where things
went well between you, and at what you did that helped.</p>
<p>Your goals: {goal_text}.</p>
{moments_html}
<h2>Looking ahead</h2>
<p>[What you would like to do more of, in your words.]</p>"""
    return _write_page(target, "Our shared review", today, body)


def write_case_letter(
    target: Path,
    goals: tuple[str, ...],
    goals_in_words: str,
    cycles: list[tuple[int, FilmInfo, list[Moment]]],
    today: date,
) -> Path:
    """``letter.html`` at the end of the work: the adult's goals (in their words), then the
    chosen moments of each cycle, each with its still, time and the guider's note."""
    from vigvision.errors import ConfigError

    if not any(chosen(moments) for _, _, moments in cycles):
        raise ConfigError(
            "no moment is chosen in any film of this case yet",
            "choose moments on the review page of each film first",
        )
    sections = []
    for cycle, info, moments in cycles:
        parts = [
            _moment_html(info, m, f"Moment {number}", "h3")
            for number, m in enumerate(chosen(moments), start=1)
        ]
        if parts:
            sections.append(f"<h2>Film {cycle}</h2>\n" + "\n".join(parts))
    words = html.escape(goals_in_words) if goals_in_words else "[your goals, in your words]"
    named = f" ({', '.join(html.escape(g) for g in goals)})" if goals else ""
    body = f"""<p>Thank you for filming with me and for watching the films together. Here are
the moments we chose, film by film, and what we saw you do that helped.</p>
<p>What you wanted from our work: {words}{named}.</p>
{chr(10).join(sections)}
<h2>Looking ahead</h2>
<p>[What you would like to go on doing, in your words.]</p>"""
    return _write_page(target, "Our work together", today, body)


def _write_page(target: Path, title: str, today: date, body: str) -> Path:
    """A letter's page: editable, printable, with everything inside it."""
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{title}</title><style>{_STYLE}</style></head>
<body><main contenteditable="true">
<p class="hint">A draft for you to edit: click anywhere to change the words, then print to
PDF. Your changes stay only while this page is open (reloading it brings the draft back), so
print it when you are done. Nothing here leaves this computer.</p>
<h1>{title}</h1>
<p class="when">{today:%d %B %Y}</p>
{body}
</main></body></html>
"""
    target.parent.mkdir(mode=0o700, exist_ok=True)
    return atomic_write(target, lambda path: path.write_text(page, encoding="utf-8"))


def _moment_html(
    info: FilmInfo, moment: Moment, title: str, heading: str, said_in_the_film: bool = False
) -> str:
    """One chosen moment: its still, its times and the guider's note (and, if asked, what
    the film shows in it, in vigvision's plain words)."""
    uri = still_data_uri(info.path, moment.start_s, moment.end_s, max_side=640)
    picture = f'<img alt="{html.escape(title)}" src="{uri}">' if uri else ""
    note = html.escape(moment.note) or "[What you see working in this moment.]"
    seen = (
        f"<p>In the film: {html.escape(moment.explanation)}</p>"
        if said_in_the_film and moment.explanation
        else ""
    )
    return (
        f"<{heading}>{html.escape(title)}</{heading}>\n<figure>{picture}<figcaption class='when'>"
        f"{clock(moment.start_s)} to {clock(moment.end_s)}</figcaption></figure>\n"
        f"<p>{note}</p>\n{seen}"
    )
