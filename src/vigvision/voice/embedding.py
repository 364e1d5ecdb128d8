"""What a voice sounds like, as one vector: Resemblyzer's trained voice encoder on onnxruntime.

The encoder (GE2E, Apache-2.0; model card: ``models/voice_encoder.md``) maps a stretch of
speech to a 256-number "voiceprint": two stretches by one person lie close together (cosine
similarity ≈ 0.8), stretches by two people further apart (≈ 0.65), whatever is said, and
whoever speaks: a man, a woman, a child. Its weights are the ``pretrained.pt`` file inside
the ``resemblyzer`` wheel, installed without its torch dependency (pyproject.toml): they are
read here with the standard library and set into an ONNX graph of the same network, so
torch is never needed. The front end (a linear mel power spectrogram, 25 ms every 10 ms) is
computed in numpy, as the model card says.
"""

from __future__ import annotations

import collections
import importlib.util
import pickle
import struct
from functools import cache
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from vigvision.errors import MissingModelError
from vigvision.resources import shipped_path
from vigvision.voice.features import Sound
from vigvision.voice.runtime import listening_session, side_by_side, while_listening

MEL: Final = "models/voice_encoder_mel.npy"
RATE: Final = 16000
HOP: Final = 160
_FFT: Final = 400
_HIDDEN: Final = 256
_LAYERS: Final = 3
# Each stretch is brought to this loudness first: how loud a voice is says nothing of whose.
_LEVEL_DBFS: Final = -30.0
# Stretches embedded per call of the model: as fast as 64 (measured: 6.9 s against 7.1 s
# for 2000 prints), for half the working memory (110 MB instead of 230 MB, two at a time).
_BATCH: Final = 16
# Frames of the mel spectrum worked out at a time (20 s: ~25 MB of temporaries).
_MEL_BLOCK: Final = 2000


def _weights_file() -> Path:
    # Found without importing the package: its __init__ imports torch.
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise MissingModelError(
            "the voice encoder's weights (package resemblyzer) are missing", "reinstall vigvision"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"


class _TorchPickle(pickle.Unpickler):
    """Reads a legacy ``torch.save`` file's tensors as numpy arrays, and nothing else."""

    _STORAGES: Final = {"FloatStorage": np.float32, "LongStorage": np.int64}

    def __init__(self, file: Any) -> None:
        super().__init__(file)
        self.storages: dict[str, tuple[type, int]] = {}

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch" and name in self._STORAGES:
            return self._STORAGES[name]
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return lambda storage, offset, size, stride, *_: (storage, offset, size, stride)
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"unexpected {module}.{name} in the voice encoder's file")

    def persistent_load(self, pid: Any) -> Any:
        _, dtype, key, _, size = pid[:5]
        self.storages[key] = (dtype, size)
        return key


def _read_weights(path: Path) -> dict[str, NDArray[np.float32]]:
    """The network's weights from Resemblyzer's ``pretrained.pt`` (legacy torch format)."""
    with path.open("rb") as f:
        # Every part is read by the restricted unpickler: it builds numbers, lists,
        # dictionaries and tensors, never anything that runs code.
        for _ in range(3):  # magic number, protocol version, system information
            _TorchPickle(f).load()
        reader = _TorchPickle(f)
        saved = reader.load()
        data: dict[str, NDArray[Any]] = {}
        for key in _TorchPickle(f).load():
            dtype, size = reader.storages[key]
            (count,) = struct.unpack("<q", f.read(8))
            if count != size:
                raise MissingModelError("the voice encoder's weights are damaged", "reinstall")
            data[key] = np.frombuffer(f.read(count * np.dtype(dtype).itemsize), dtype=dtype)
    weights = {}
    for name, (storage, offset, size, _) in saved["model_state"].items():
        count = int(np.prod(size))
        weights[name] = data[storage][offset : offset + count].reshape(size).astype(np.float32)
    return weights


def _gates(torch_order: NDArray[np.float32]) -> NDArray[np.float32]:
    """Torch's LSTM gate blocks (input, forget, cell, output) in ONNX's order (i, o, f, c)."""
    i, f, c, o = np.split(torch_order, 4, axis=0)
    return np.concatenate([i, o, f, c], axis=0)


def _encoder_graph(weights: dict[str, NDArray[np.float32]]) -> bytes:
    """The network as ONNX: LSTM (40 → 256, 3 layers) → last hidden state → linear → ReLU →
    divided by its L2 norm. Input ``mel`` (batch, frames, 40), output ``embedding``."""
    from onnx import TensorProto, helper, numpy_helper

    nodes = [helper.make_node("Transpose", ["mel"], ["x0"], perm=[1, 0, 2])]
    initializers = []
    for layer in range(_LAYERS):
        w = _gates(weights[f"lstm.weight_ih_l{layer}"])[None]
        r = _gates(weights[f"lstm.weight_hh_l{layer}"])[None]
        bias = np.concatenate(
            [_gates(weights[f"lstm.bias_ih_l{layer}"]), _gates(weights[f"lstm.bias_hh_l{layer}"])]
        )[None]
        names = [f"w{layer}", f"r{layer}", f"b{layer}"]
        initializers += [
            numpy_helper.from_array(v, n) for v, n in zip((w, r, bias), names, strict=True)
        ]
        nodes.append(
            helper.make_node(
                "LSTM",
                [f"x{layer}", *names],
                [f"y{layer}", f"h{layer}"],
                hidden_size=_HIDDEN,
            )
        )
        nodes.append(helper.make_node("Squeeze", [f"y{layer}", "axis1"], [f"x{layer + 1}"]))
    initializers += [
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
        numpy_helper.from_array(np.array([0], np.int64), "axis0"),
        numpy_helper.from_array(weights["linear.weight"], "linear_w"),
        numpy_helper.from_array(weights["linear.bias"], "linear_b"),
    ]
    nodes += [
        helper.make_node("Squeeze", [f"h{_LAYERS - 1}", "axis0"], ["last"]),
        helper.make_node("Gemm", ["last", "linear_w", "linear_b"], ["raw"], transB=1),
        helper.make_node("Relu", ["raw"], ["positive"]),
        helper.make_node("LpNormalization", ["positive"], ["embedding"], axis=1, p=2),
    ]
    graph = helper.make_graph(
        nodes,
        "voice_encoder",
        [helper.make_tensor_value_info("mel", TensorProto.FLOAT, ["batch", "frames", 40])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", _HIDDEN])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return bytes(model.SerializeToString())


@while_listening
def _encoder() -> Any:
    return listening_session(_encoder_graph(_read_weights(_weights_file())))


@cache
def _mel_matrix() -> NDArray[np.float32]:
    return np.asarray(np.load(shipped_path(MEL)), dtype=np.float32)


def mel_power(samples: Sound) -> NDArray[np.float32]:
    """The encoder's input for 16 kHz samples: mel power per 10 ms frame (frames × 40).

    Frame t is centred on sample 160·t (200 zeros padded at each end), periodic Hann window
    of 400 samples, no log.
    """
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(_FFT) / _FFT)).astype(np.float32)
    count = 1 + len(samples) // HOP
    out = np.zeros((count, 40), np.float32)
    # In blocks: a long film's spectrum, or its sound padded, never sits in memory whole.
    for first in range(0, count, _MEL_BLOCK):
        last = min(count, first + _MEL_BLOCK)
        frames = np.lib.stride_tricks.sliding_window_view(
            _padded_part(samples, first * HOP, (last - 1) * HOP + _FFT), _FFT
        )[::HOP]
        power = np.abs(np.fft.rfft(frames * window, _FFT)) ** 2
        out[first:last] = (power @ _mel_matrix().T).astype(np.float32)
    return out


def _padded_part(samples: Sound, start: int, end: int) -> NDArray[np.float32]:
    """Samples ``start:end`` of the sound with ``_FFT // 2`` zeros before and after it."""
    offset = start - _FFT // 2  # where the part starts in the unpadded sound
    part = np.zeros(end - start, np.float32)
    low, high = max(offset, 0), min(offset + len(part), len(samples))
    if high > low:
        part[low - offset : high - offset] = samples[low:high]
    return part


def embed(
    mel: NDArray[np.float32], samples: Sound, spans: list[tuple[int, int]]
) -> NDArray[np.float32]:
    """One L2-normalised voiceprint per span of 10 ms frames [first, last) of ``mel``.

    Each span is brought to the same loudness first (measured on ``samples``).
    """
    out = np.zeros((len(spans), 256), np.float32)
    by_length: dict[int, list[int]] = {}
    for index, (first, last) in enumerate(spans):
        by_length.setdefault(max(1, last - first), []).append(index)
    encoder = _encoder()
    batches = [
        (length, indices[start : start + _BATCH])
        for length, indices in by_length.items()
        for start in range(0, len(indices), _BATCH)
    ]

    def embedded(batch: tuple[int, list[int]]) -> NDArray[np.float32]:
        length, chosen = batch
        mels = np.stack([_levelled(mel, samples, *spans[i], length) for i in chosen])
        (prints,) = encoder.run(None, {"mel": mels})
        return np.asarray(prints, dtype=np.float32)

    for (_, chosen), prints in zip(batches, side_by_side(embedded, batches), strict=True):
        out[chosen] = prints
    return out


def _levelled(
    mel: NDArray[np.float32],
    samples: Sound,
    first: int,
    last: int,
    length: int,
) -> NDArray[np.float32]:
    part = mel[first : first + length]
    if len(part) < length:
        part = np.pad(part, ((0, length - len(part)), (0, 0)))
    sound = samples[first * HOP : last * HOP]
    rms = float(np.sqrt(np.mean(sound.astype(np.float64) ** 2))) if len(sound) else 0.0
    if rms <= 1e-6:
        return part
    gain = 10 ** ((_LEVEL_DBFS - 20 * np.log10(rms)) / 20)
    return (part * np.float32(gain**2)).astype(np.float32)
