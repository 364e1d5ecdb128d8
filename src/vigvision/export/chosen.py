"""The guider's chosen moments as files to show and keep: clips, stills, ELAN, CSV.

Everything goes into the ``exports`` folder beside the suggestions (inside the case), named
as the moment's card on the review page and by its times: ``moment-3_5m12.4s-5m20.9s.mp4``
for suggestion 3, ``added-1_...`` for the first moment the guider added.
"""

from __future__ import annotations

import csv
import mimetypes
import os
from pathlib import Path
from typing import Final

import pympi

from vigvision.export.clips import write_clip, write_still
from vigvision.files import atomic_write
from vigvision.film import FilmInfo
from vigvision.selections import Moment, card_labels, chosen, in_card_order

KINDS: Final = ("clips", "stills", "eaf", "csv")
FOLDER: Final = "exports"


def export_chosen(
    folder: Path, info: FilmInfo, moments: list[Moment], kinds: tuple[str, ...]
) -> list[Path]:
    """Files for the chosen moments of ``moments``, of the ``kinds`` asked for."""
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown export {sorted(unknown)[0]}")
    picked = chosen(moments)
    labels = card_labels(moments)
    target = folder / FOLDER
    target.mkdir(mode=0o700, exist_ok=True)
    # Files of an earlier choice go: the folder holds the moments chosen now.
    for kind, suffix in (("clips", ".mp4"), ("stills", ".png")):
        if kind in kinds:
            for prefix in ("moment", "added", "earlier"):
                for old in target.glob(f"{prefix}-*{suffix}"):
                    old.unlink()
    written = []
    for moment in in_card_order(picked):
        label = labels[moment.id]
        card = f"moment-{label}" if label.isdigit() else label.replace(" ", "-")
        name = f"{card}_{_time(moment.start_s)}-{_time(moment.end_s)}"
        if "clips" in kinds:
            written.append(write_clip(info, moment.start_s, moment.end_s, target / f"{name}.mp4"))
        if "stills" in kinds:
            written.append(
                write_still(info.path, moment.start_s, moment.end_s, target / f"{name}.png")
            )
    if "eaf" in kinds:
        written.append(atomic_write(target / "chosen.eaf", lambda p: _eaf(info, picked, p)))
    if "csv" in kinds:
        written.append(atomic_write(target / "chosen.csv", lambda p: _csv(info, picked, p)))
    return written


def _eaf(info: FilmInfo, moments: list[Moment], path: Path) -> None:
    # The tier is named "chosen": `vigvision train` reads it as labels.
    eaf = pympi.Elan.Eaf(author="vigvision")
    mime = mimetypes.guess_type(info.path.name)[0] or "video/mp4"
    relative = os.path.relpath(info.path, path.parent)
    eaf.add_linked_file(info.path.resolve().as_uri(), relpath=relative, mimetype=mime)
    eaf.add_tier("chosen")
    for m in moments:
        eaf.add_annotation("chosen", round(m.start_s * 1000), round(m.end_s * 1000), m.note)
    eaf.remove_tier("default")
    eaf.to_file(str(path))


def _csv(info: FilmInfo, moments: list[Moment], path: Path) -> None:
    # film,start_s,end_s first: the columns `vigvision train` reads.
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["film", "start_s", "end_s", "note", "source", "explanation"])
        for m in moments:
            writer.writerow(
                [str(info.path.resolve()), m.start_s, m.end_s, m.note, m.source, m.explanation]
            )


def _time(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}m{rest:04.1f}s"
