"""Who is the adult and who the child: a cautious guess, and the user's word above it.

A young child's head is large for their shoulders, whatever their distance from the camera;
that proportion, measured where face and torso face the camera, is the only cue used. Face
size alone says more about distance than age, so it is not. When the cue is weak the role
stays "unknown", and ``--adult`` (or the review page) settles it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
from numpy.typing import NDArray

from vigvision.config import RoleSettings
from vigvision.errors import ConfigError
from vigvision.observations import Observations

log = logging.getLogger(__name__)

# Ratios outside this range come from a pose fitted badly (a body cut by the frame edge).
_PLAUSIBLE_HEAD_RATIO: Final = (0.25, 0.95)


@dataclass(frozen=True)
class PersonSummary:
    """One person across the film, as ``people.json`` lists them."""

    person: int
    role: str
    role_confidence: float
    role_reason: str
    frames: int
    first_s: float
    last_s: float
    face_size: float
    """Median face box width, fraction of the frame width."""
    centre_x: float
    """Median horizontal position of the face, fraction of the frame width."""
    head_to_shoulders: float
    """Median face width over shoulder width (NaN when the shoulders were not seen)."""


def _median(values: NDArray[np.float64]) -> float:
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if len(finite) else math.nan


def summarise(table: Observations, settings: RoleSettings) -> list[PersonSummary]:
    """Each person's frames, times, size and position, with the role left unknown."""
    people = []
    for person in table.people:
        rows = table.of_person(person)
        ratio = rows["w"] / rows["shoulder_w"]
        low, high = _PLAUSIBLE_HEAD_RATIO
        # Widths compare only when face and torso both roughly face the camera.
        frontal = settings.frontal_dx
        turned = (np.abs(rows["facing_dx"]) > frontal) | (np.abs(rows["body_dx"]) > frontal)
        # A head placed from the body pose is sized from the shoulders: it says nothing.
        from_body = rows["seen_by"] == "body"
        ratio[(ratio < low) | (ratio > high) | turned | from_body] = np.nan
        people.append(
            PersonSummary(
                person=person,
                role="unknown",
                role_confidence=0.0,
                role_reason="",
                frames=len(rows),
                first_s=float(rows["t"].min()),
                last_s=float(rows["t"].max()),
                face_size=_median(rows["w"]),
                centre_x=_median(rows["x"] + rows["w"] / 2),
                head_to_shoulders=_median(ratio),
            )
        )
    return people


def _main_people(people: list[PersonSummary]) -> list[PersonSummary]:
    """The people seen for a good part of the film (not someone passing by)."""
    most = max(p.frames for p in people)
    return [p for p in people if p.frames >= 0.2 * most]


def guess_roles(people: list[PersonSummary], settings: RoleSettings) -> list[PersonSummary]:
    """Roles from head-to-shoulder proportions; unknown when unsure."""
    if not people:
        return people
    main = _main_people(people)
    guesses = {p.person: ("unknown", 0.0, "too few cues") for p in people}
    measured = [p for p in main if math.isfinite(p.head_to_shoulders)]
    if len(measured) >= 2:
        adult = min(measured, key=lambda p: p.head_to_shoulders)
        for p in measured:
            ratio = p.head_to_shoulders / adult.head_to_shoulders
            if p is not adult and ratio >= settings.child_ratio_over_adult:
                reason = f"head {ratio:.1f}× larger for the shoulders than person {adult.person}'s"
                guesses[p.person] = ("child", min(1.0, 0.5 + ratio - 1), reason)
                guesses[adult.person] = ("adult", 0.7, "head smallest for the shoulders")
    for p in measured:
        ratio = p.head_to_shoulders
        if guesses[p.person][0] != "unknown":
            continue
        if ratio >= settings.child_head_ratio:
            guesses[p.person] = ("child", 0.6, f"head large for the shoulders ({ratio:.2f})")
        elif ratio <= settings.adult_head_ratio and len(main) == 1:
            guesses[p.person] = ("adult", 0.6, f"head in adult proportion ({ratio:.2f})")
    guessed = []
    for p in people:
        role, confidence, reason = guesses[p.person]
        if confidence < settings.min_confidence:
            role = "unknown"
        guessed.append(_with_role(p, role, confidence, reason))
    return guessed


def apply_adult_choice(people: list[PersonSummary], adult: str) -> list[PersonSummary]:
    """The user's word: ``left``, ``right`` or a person id is the adult; the others children."""
    if not people:
        return people
    main = _main_people(people)
    if adult == "left":
        chosen = min(main, key=lambda p: p.centre_x).person
    elif adult == "right":
        chosen = max(main, key=lambda p: p.centre_x).person
    elif adult.isdigit() and int(adult) in {p.person for p in people}:
        chosen = int(adult)
    elif adult.isdigit():
        # Said after the whole film was watched: keep the work, keep the guess, say so.
        known = ", ".join(str(p.person) for p in people)
        log.warning(
            "there is no person %s in this film (people: %s): roles were guessed", adult, known
        )
        return people
    else:
        raise ConfigError(f"--adult must be left, right or a person id, not {adult!r}")
    return [
        _with_role(p, "adult" if p.person == chosen else "child", 1.0, "set by the user")
        for p in people
    ]


def _with_role(p: PersonSummary, role: str, confidence: float, reason: str) -> PersonSummary:
    return replace(p, role=role, role_confidence=round(confidence, 3), role_reason=reason)


def label_rows(table: Observations, people: list[PersonSummary]) -> Observations:
    roles = {p.person: p.role for p in people}
    column = np.array([roles.get(int(pid), "unknown") for pid in table["person"]], dtype=object)
    return table.with_column("role", column)
