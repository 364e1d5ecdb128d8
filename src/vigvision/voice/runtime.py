"""The one way the listening models run: an onnxruntime session on a single thread.

Listening runs beside the watching of the picture, which keeps the other core busy: a
model spreading over every core would only make the two wait for each other.
"""

from __future__ import annotations

from typing import Any


def listening_session(model: str | bytes) -> Any:
    """An onnxruntime session of ``model`` (a file's path or the model's bytes), one thread."""
    import onnxruntime  # imported here: only listening needs it

    options = onnxruntime.SessionOptions()
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = 1
    return onnxruntime.InferenceSession(
        model, sess_options=options, providers=["CPUExecutionProvider"]
    )
