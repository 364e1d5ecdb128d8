"""Typed settings: ``configs/default.yaml``, then ``--config FILE``, then command options.

Each section is a frozen dataclass; the YAML file is the single source of the default values
and of their meaning (its comments). Values are checked against the field's type and bounds,
and a mistake names the key it is in.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, TypeVar, Union, cast, get_args, get_origin, get_type_hints

import yaml

from vigvision.errors import ConfigError
from vigvision.resources import shipped_path

DEFAULT_CONFIG = "configs/default.yaml"
# The settings sections that what is heard of a sound track depends on: saved speech (or
# voices kept by a stopped run) is used again only when these are the same.
LISTENING_SECTIONS = ("audio", "voice")


def _bounds(ge: float | None = None, le: float | None = None) -> Any:
    return field(metadata={"ge": ge, "le": le})


@dataclass(frozen=True)
class FilmSettings:
    analysis_fps: float = _bounds(ge=0, le=240)
    max_side: int = _bounds(ge=0, le=8192)
    decode_threads: int = _bounds(ge=0, le=64)
    prefetch_frames: int = _bounds(ge=1, le=256)
    truncation_tolerance_s: float = _bounds(ge=0)
    deblock: bool = _bounds()


@dataclass(frozen=True)
class AudioSettings:
    sample_rate: int = _bounds(ge=8000, le=48000)
    chunk_s: float = _bounds(ge=0.5, le=600)
    max_gap_s: float = _bounds(ge=0, le=10)


@dataclass(frozen=True)
class PerceptionSettings:
    find_every_s: float = _bounds(ge=0.05, le=60)
    find_in_tiles: bool = _bounds()
    tiles_every_s: float = _bounds(ge=0, le=600)
    find_min_confidence: float = _bounds(ge=0, le=1)
    find_overlap: float = _bounds(ge=0, le=1)
    measure_min_confidence: float = _bounds(ge=0, le=1)
    crop_scale: float = _bounds(ge=1.2, le=5)
    crop_px: int = _bounds(ge=96, le=1024)
    max_people: int = _bounds(ge=1, le=64)
    body_every_s: float = _bounds(ge=0.05, le=60)
    hands_every_s: float = _bounds(ge=0.05, le=60)
    find_bodies: bool = _bounds()
    glance_first: bool = _bounds()
    glance_every_s: float = _bounds(ge=0, le=60)
    glance_min_people: int = _bounds(ge=1, le=64)
    glance_max_gap_s: float = _bounds(ge=0, le=600)
    closely_moments: int = _bounds(ge=0)
    closely_pad_s: float = _bounds(ge=0, le=60)
    closely_all_below_s: float = _bounds(ge=0)
    save_every_s: float = _bounds(ge=1)
    smile_width_neutral: float = _bounds(ge=0, le=3)
    smile_width_full: float = _bounds(ge=0, le=3)
    smile_lift_neutral: float = _bounds(ge=-1, le=1)
    smile_lift_full: float = _bounds(ge=-1, le=1)


@dataclass(frozen=True)
class TrackingSettings:
    lost_after_s: float = _bounds(ge=0, le=60)
    remember_s: float = _bounds(ge=0)
    max_step_faces: float = _bounds(ge=0.1, le=20)
    reidentify_below: float = _bounds(ge=0, le=1)
    appearance_update: float = _bounds(ge=0, le=1)
    min_frames: int = _bounds(ge=1)
    scene_cut_below: float = _bounds(ge=0, le=1)


@dataclass(frozen=True)
class RoleSettings:
    child_ratio_over_adult: float = _bounds(ge=1, le=5)
    child_head_ratio: float = _bounds(ge=0, le=2)
    adult_head_ratio: float = _bounds(ge=0, le=2)
    frontal_dx: float = _bounds(ge=0, le=1)
    min_confidence: float = _bounds(ge=0, le=1)


@dataclass(frozen=True)
class VoiceSettings:
    speech_threshold: float = _bounds(ge=0.05, le=0.95)
    speech_pad_s: float = _bounds(ge=0, le=1)
    energy_margin_db: float = _bounds(ge=0, le=60)
    bridge_gap_s: float = _bounds(ge=0, le=5)
    min_speech_s: float = _bounds(ge=0, le=5)
    steady_min_s: float = _bounds(ge=2, le=600)
    window_s: float = _bounds(ge=0.3, le=10)
    window_hop_s: float = _bounds(ge=0.1, le=10)
    segment_step_s: float = _bounds(ge=0.5, le=10)
    same_voice_similarity: float = _bounds(ge=0, le=1)
    min_voice_s: float = _bounds(ge=0, le=600)
    child_pitch_hz: float = _bounds(ge=50, le=1000)
    adult_pitch_hz: float = _bounds(ge=50, le=1000)
    higher_voice: float = _bounds(ge=1, le=3)
    turn_gap_s: float = _bounds(ge=0, le=30)
    monologue_s: float = _bounds(ge=1)
    mouth_margin: float = _bounds(ge=0, le=1)


@dataclass(frozen=True)
class SuggestSettings:
    grid_step_s: float = _bounds(ge=0.05, le=2)
    window_lengths_s: tuple[float, ...] = _bounds()
    window_step_s: float = _bounds(ge=0.1, le=60)
    top: int = _bounds(ge=1, le=200)
    min_len_s: float = _bounds(ge=1, le=600)
    max_len_s: float = _bounds(ge=1, le=600)
    min_gap_s: float = _bounds(ge=0, le=600)
    whole_moment_share: float = _bounds(ge=0, le=1)
    min_seen_together: float = _bounds(ge=0, le=1)
    snap_to_pause_s: float = _bounds(ge=0, le=10)
    repeat_principle_penalty: float = _bounds(ge=0, le=1)
    goal_boost: float = _bounds(ge=0, le=10)


@dataclass(frozen=True)
class CaseSettings:
    root: str = _bounds()
    retain_days: int = _bounds(ge=1, le=3650)
    proxy_max_side: int = _bounds(ge=240, le=1920)


@dataclass(frozen=True)
class AppSettings:
    film_folders: tuple[str, ...] = _bounds()


@dataclass(frozen=True)
class Settings:
    film: FilmSettings
    audio: AudioSettings
    perception: PerceptionSettings
    tracking: TrackingSettings
    roles: RoleSettings
    voice: VoiceSettings
    suggest: SuggestSettings
    cases: CaseSettings
    app: AppSettings

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain data, to record in every output."""
        return cast(dict[str, Any], _as_dict(self))

    def with_overrides(self, overrides: Mapping[str, Any], source: str = "options") -> Settings:
        """A copy with dotted keys (``"film.analysis_fps"``) replaced, validated like a file."""
        tree: dict[str, Any] = {}
        for dotted, value in overrides.items():
            node = tree
            *parents, leaf = dotted.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value
        return _merge(self, tree, source, prefix="")


T = TypeVar("T")


def load_settings(path: Path | None = None, overrides: Mapping[str, Any] | None = None) -> Settings:
    """The effective settings: shipped defaults, then the user's file, then overrides."""
    default_path = shipped_path(DEFAULT_CONFIG)
    defaults = _read_yaml(default_path)
    settings = _build(Settings, defaults, str(default_path), prefix="")
    if path is not None:
        settings = _merge(settings, _read_yaml(path), str(path), prefix="")
    if overrides:
        settings = settings.with_overrides(overrides)
    return settings


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"no settings file at {path}", "check the path given to --config")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise ConfigError(
            f"{path} is not valid YAML{line}",
            "fix the file or start again from a copy of default.yaml",
        ) from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path} must hold sections of settings (key: value)", "see configs/default.yaml"
        )
    return data


def _build(cls: type[T], data: Mapping[str, Any], source: str, prefix: str) -> T:
    """A complete settings object from a mapping that must give every key."""
    _reject_unknown(cls, data, source, prefix)
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in fields(cast(Any, cls)):
        key = f"{prefix}{f.name}"
        if f.name not in data:
            raise ConfigError(f"setting '{key}' is missing from {source}", "add it back")
        values[f.name] = _value(hints[f.name], f.metadata, data[f.name], key, source)
    return cls(**values)


def _merge(current: T, data: Mapping[str, Any], source: str, prefix: str) -> T:
    """A copy of ``current`` with the keys that ``data`` gives replaced."""
    cls = type(current)
    _reject_unknown(cls, data, source, prefix)
    hints = get_type_hints(cls)
    changes: dict[str, Any] = {}
    for f in fields(cast(Any, current)):
        if f.name not in data:
            continue
        key = f"{prefix}{f.name}"
        old = getattr(current, f.name)
        if is_dataclass(old):
            if not isinstance(data[f.name], Mapping):
                raise ConfigError(f"setting '{key}' in {source} must be a section of settings")
            changes[f.name] = _merge(old, data[f.name], source, prefix=f"{key}.")
        else:
            changes[f.name] = _value(hints[f.name], f.metadata, data[f.name], key, source)
    return replace(cast(Any, current), **changes)  # type: ignore[no-any-return]


def _reject_unknown(cls: type[Any], data: Mapping[str, Any], source: str, prefix: str) -> None:
    known = [f.name for f in fields(cls)]
    for name in data:
        if name not in known:
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = (
                f"did you mean '{prefix}{close[0]}'?"
                if close
                else f"known here: {', '.join(known)}"
            )
            raise ConfigError(f"unknown setting '{prefix}{name}' in {source}", hint)


def _value(kind: Any, meta: Mapping[str, Any], raw: Any, key: str, source: str) -> Any:
    if isinstance(kind, type) and is_dataclass(kind):
        if not isinstance(raw, Mapping):
            raise ConfigError(f"setting '{key}' in {source} must be a section of settings")
        return _build(kind, raw, source, prefix=f"{key}.")
    origin = get_origin(kind)
    if origin in (Union, types.UnionType) and type(None) in get_args(kind):
        if raw is None:
            return None
        (kind,) = [arg for arg in get_args(kind) if arg is not type(None)]
    value = _coerce(kind, raw, key, source)
    low, high = meta.get("ge"), meta.get("le")
    if isinstance(value, tuple):
        return value
    if (low is not None and value < low) or (high is not None and value > high):
        span = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise ConfigError(f"setting '{key}' in {source} must be {span}, not {raw!r}")
    return value


def _coerce(kind: Any, raw: Any, key: str, source: str) -> Any:
    wrong = ConfigError(f"setting '{key}' in {source} must be {_describe(kind)}, not {raw!r}")
    if kind is bool:
        if not isinstance(raw, bool):
            raise wrong
        return raw
    if kind is int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise wrong
        return raw
    if kind is float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise wrong
        return float(raw)
    if kind is str:
        if not isinstance(raw, str):
            raise wrong
        return raw
    if get_origin(kind) is tuple:
        (item,) = {arg for arg in get_args(kind) if arg is not Ellipsis}
        if not isinstance(raw, list | tuple) or not raw:
            raise wrong
        return tuple(_coerce(item, value, key, source) for value in raw)
    raise TypeError(f"unsupported settings type {kind!r} for {key}")


def _describe(kind: Any) -> str:
    if get_origin(kind) is tuple:
        return "a list of numbers, e.g. [4, 8, 12]"
    return {bool: "true or false", int: "a whole number", float: "a number", str: "text"}.get(
        kind, str(kind)
    )


def _as_dict(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _as_dict(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple):
        return list(value)
    return value
