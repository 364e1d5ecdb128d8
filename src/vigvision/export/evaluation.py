"""``evaluation.html``: an evaluation for researchers, readable offline, in one file.

The pooled figures with their intervals, a recall@k curve, each cue's AUC, the ablation and
each film's figures; the plots are drawn by matplotlib as SVG inside the page (no network,
no other files). Only the batch's names for films (sha256 in a de-identified batch) appear.
"""

from __future__ import annotations

import html
import io
import math
from collections.abc import Sequence
from typing import Any, Final

from vigvision.evaluate import ABLATION_K, AT_K, Evaluation, Figure

_STYLE: Final = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 980px; color: #222;
       line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: .9rem; margin: .5rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: .25rem .6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td { white-space: nowrap; } td.words, th.words { text-align: left; white-space: normal; }
.note { color: #555; font-size: .92rem; }
figure { margin: 1rem 0; } figcaption { color: #555; font-size: .9rem; }
.wide { overflow-x: auto; }
.settle { background: #fff7e0; padding: .5rem .8rem; border-radius: 4px; }
"""


def evaluation_page(evaluation: Evaluation, title: str, notes: Sequence[str] = ()) -> str:
    """The whole page, as text; ``notes``: what a reader of the figures should know."""
    pooled = evaluation.pooled
    grouped = evaluation.grouped_by
    moments = sum(len(f.moments) for f in evaluation.films)
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{_cell(figure)}</td></tr>"
        for name, figure in pooled.items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport"
content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>
<style>{_STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="note">{_count(len(evaluation.films), "film")}, {_count(moments, "coded moment")}; scorer:
{html.escape(evaluation.model)}. A candidate finds a coded moment when its middle lies in the
moment or they overlap by IoU ≥ 0.3. Brackets hold bootstrap 95 % intervals that draw whole
{grouped}s again (2000 draws); none are given for a single {grouped}.</p>
{"".join(f'<p class="settle">{html.escape(note)}.</p>' for note in notes)}
<h2>Found moments, pooled over the films</h2>
<table><tr><th>figure</th><th>value [95 % interval]</th></tr>{rows}</table>
<p class="note">recall@k: share of the coded moments found by a film's first k candidates;
precision@k: share of those candidates that find a coded moment; mAP: mean over films of the
average precision of the ranked candidates; mean IoU: how well the best candidate fits each
moment found.</p>
{_figure(_recall_curve(evaluation), "Recall@k pooled over the films, with its interval.")}
<h2>Each cue: coded against uncoded windows</h2>
<p class="note">AUC: the chance that a window mostly inside a coded moment shows more of the
cue than a window touching none (0.5: the cue does not tell them apart). Counted only over
windows in which the cue was observed and both people were there; windows partly inside a
moment are left out.</p>
{_cue_figure(evaluation)}
{_cue_table(evaluation)}
<h2>Ablation: recall@{ABLATION_K} with each cue family left out</h2>
<p class="note">The family's cues are treated as not observed and the films ranked again;
the drop is recall@{ABLATION_K} with every cue minus this one, paired film by film.</p>
{_ablation_table(evaluation)}
{_codes_table(evaluation)}
<h2>Each film</h2>
{_film_table(evaluation.per_film)}
</body></html>
"""


def _cue_figure(evaluation: Evaluation) -> str:
    if not any(math.isfinite(c.auc.value) for c in evaluation.cues):
        return (
            '<p class="note">No AUC could be counted: no film has both windows inside a coded '
            "moment and windows touching none in which the two people were there.</p>"
        )
    return _figure(_cue_bars(evaluation), "AUC of each cue, with its interval; the line is 0.5.")


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def _cell(figure: Figure) -> str:
    return html.escape(str(figure))


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.2f}" if isinstance(value, float) else html.escape(str(value))


def _cue_table(evaluation: Evaluation) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(c.cue)}</td><td>{html.escape(c.family)}</td><td>{_cell(c.auc)}</td>"
        f"<td>{c.coded}</td><td>{c.uncoded}</td><td>{c.share_observed:.0%}</td>"
        f"<td>{c.observed_in}</td></tr>"
        for c in evaluation.cues
    )
    return (
        "<table><tr><th>cue</th><th>family</th><th>AUC [95 % interval]</th>"
        "<th>coded windows</th><th>uncoded windows</th><th>observed in</th>"
        f"<th>{evaluation.grouped_by}s</th></tr>"
        f"{rows}</table>"
    )


def _ablation_table(evaluation: Evaluation) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(a.family)}</td><td>{_cell(a.recall)}</td><td>{_cell(a.drop)}</td>"
        f'<td class="words">{html.escape(", ".join(a.cues))}</td></tr>'
        for a in evaluation.ablation
    )
    full = evaluation.pooled[f"recall@{ABLATION_K}"]
    return (
        f"<p>With every cue: recall@{ABLATION_K} {_cell(full)}.</p>"
        f"<table><tr><th>left out</th><th>recall@{ABLATION_K}</th><th>drop</th>"
        '<th class="words">cues</th></tr>'
        f"{rows}</table>"
    )


def _codes_table(evaluation: Evaluation) -> str:
    if not evaluation.codes:
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(row.code)}</td><td>{row.moments}</td><td>{_cell(row.recall)}</td></tr>"
        for row in evaluation.codes[:30]
    )
    more = len(evaluation.codes) - 30
    return (
        f"<h2>By code</h2><table><tr><th>code</th><th>moments</th>"
        f"<th>recall@{ABLATION_K}</th></tr>{rows}</table>"
        + (f'<p class="note">{more} more codes in evaluation.json.</p>' if more > 0 else "")
    )


def _film_table(per_film: Sequence[dict[str, Any]]) -> str:
    columns = [
        "film",
        "dyad",
        "moments",
        "candidates",
        *(f"recall@{k}" for k in AT_K),
        *(f"precision@{k}" for k in AT_K),
        "AP",
        "mean IoU",
    ]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_number(film[c])}</td>" for c in columns) + "</tr>"
        for film in per_film
    )
    return f'<div class="wide"><table><tr>{head}</tr>{rows}</table></div>'


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{html.escape(caption)}</figcaption></figure>"


def _svg(figure: Any) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg", bbox_inches="tight")
    text = out.getvalue()
    # The SVG element only: the XML prologue and doctype do not belong inside HTML.
    return text[text.index("<svg") :]


def _recall_curve(evaluation: Evaluation) -> str:
    from matplotlib.figure import Figure as Plot

    curve = evaluation.recall_curve
    ks = list(range(1, len(curve) + 1))
    plot = Plot(figsize=(6, 3.2))
    axes = plot.subplots()
    axes.plot(ks, [f.value for f in curve], marker="o", color="#3a7bd5")
    low = [math.nan if f.low is None else f.low for f in curve]
    high = [math.nan if f.high is None else f.high for f in curve]
    axes.fill_between(ks, low, high, color="#3a7bd5", alpha=0.2)
    axes.set(xlabel="k (candidates per film)", ylabel="recall@k", ylim=(0, 1.02), xticks=ks)
    axes.grid(alpha=0.3)
    return _svg(plot)


def _cue_bars(evaluation: Evaluation) -> str:
    from matplotlib.figure import Figure as Plot

    cues = [c for c in evaluation.cues if math.isfinite(c.auc.value)]
    plot = Plot(figsize=(6.5, 0.28 * len(cues) + 1))
    axes = plot.subplots()
    values = [c.auc.value for c in cues]
    low = [c.auc.value - c.auc.low if c.auc.low is not None else 0.0 for c in cues]
    high = [c.auc.high - c.auc.value if c.auc.high is not None else 0.0 for c in cues]
    axes.barh(
        range(len(cues)),
        values,
        xerr=[low, high],
        color=["#e17055" if c.cue == "scorer" else "#6c5ce7" for c in cues],
        capsize=2,
    )
    axes.axvline(0.5, color="#333", linewidth=1)
    axes.set_yticks(range(len(cues)), [c.cue for c in cues])
    axes.invert_yaxis()
    axes.set(xlim=(0, 1), xlabel="AUC (coded against uncoded windows)")
    return _svg(plot)
