"""MediaPipe's models, loaded only from the files its wheel ships (never downloaded).

mediapipe 0.10.21 is the last release whose wheel carries its models; newer releases and
the other pose complexities (lite, heavy) fetch theirs from the internet at first use,
which offline laptops cannot do. Only what is listed here is used.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from vigvision.errors import MissingModelError

MEDIAPIPE_VERSION: Final = "0.10.21"

SHIPPED_MODELS: Final = {
    "face detection (full range: faces across a room)": (
        "face_detection/face_detection_full_range_sparse.tflite"
    ),
    "face detection (short range)": "face_detection/face_detection_short_range.tflite",
    "face landmarks with iris": "face_landmark/face_landmark_with_attention.tflite",
    "body pose detection": "pose_detection/pose_detection.tflite",
    "body pose landmarks": "pose_landmark/pose_landmark_full.tflite",
}

_REINSTALL = (
    f"reinstall it with `uv sync --reinstall-package mediapipe` (mediapipe=={MEDIAPIPE_VERSION})"
)


def modules_dir() -> Path:
    """mediapipe's ``modules`` folder, found without importing mediapipe (which is slow)."""
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise MissingModelError("mediapipe is not installed", _REINSTALL)
    return Path(next(iter(spec.submodule_search_locations))) / "modules"


def check_shipped_models() -> dict[str, Path]:
    """The path of each model file; a ``MissingModelError`` names the first one missing."""
    try:
        version = importlib.metadata.version("mediapipe")
    except importlib.metadata.PackageNotFoundError:
        raise MissingModelError("mediapipe is not installed", _REINSTALL) from None
    if version != MEDIAPIPE_VERSION:
        raise MissingModelError(
            f"mediapipe {version} is installed, but vigvision needs {MEDIAPIPE_VERSION}, the last"
            " release that ships its models",
            _REINSTALL,
        )
    root = modules_dir()
    found: dict[str, Path] = {}
    for purpose, relative in SHIPPED_MODELS.items():
        path = root / relative
        if not path.is_file() or path.stat().st_size == 0:
            raise MissingModelError(
                f"mediapipe's model for {purpose} is missing: {path}", _REINSTALL
            )
        found[purpose] = path
    return found


def load_solutions() -> dict[str, Any]:
    """One instance of each MediaPipe solution vigvision uses, to check that they run."""
    import mediapipe as mp

    return {
        "face detection": mp.solutions.face_detection.FaceDetection(model_selection=1),
        "face landmarks": mp.solutions.face_mesh.FaceMesh(
            static_image_mode=True, refine_landmarks=True, max_num_faces=1
        ),
        "body pose": mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1),
    }


def output(solution: Any, image: NDArray[np.uint8], name: str) -> Any:
    """What ``solution.process(image).<name>`` holds (None: nothing), for an RGB picture.

    The steps of ``SolutionBase.process`` (mediapipe 0.10.21, pinned above) without the
    rest of it: process makes a new named-tuple class at every call (about 0.25 ms holding
    Python's lock, and garbage to collect: over a second of a 10-minute film, on the thread
    that every frame waits for) and reads out every output, also those not used.
    """
    solution._graph_outputs.clear()
    ((stream, kind),) = solution._input_stream_type_info.items()
    solution._simulated_timestamp += 33333
    packet = solution._make_packet(kind, image).at(solution._simulated_timestamp)
    solution._graph.add_packet_to_input_stream(stream=stream, packet=packet)
    solution._graph.wait_until_idle()
    produced = solution._graph_outputs.get(name)
    if produced is None:
        return None
    return solution._get_packet_content(solution._output_stream_type_info[name], produced)
