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
    produced = _produced(solution, image, name)
    if produced is None:
        return None
    return solution._get_packet_content(solution._output_stream_type_info[name], produced)


def landmark_lists(
    solution: Any, image: NDArray[np.uint8], name: str, values: int = 3
) -> list[NDArray[np.float64]]:
    """The landmark lists of output ``name`` (one per face or body found; empty: none), each
    as an array of points × ``values`` (x, y, z, visibility, presence: the first so many).

    The same numbers as reading them from the protobuf messages ``output`` gives, read
    straight from the bytes the graph serialised: making a message for each of a face's
    478 points, and reading their fields one by one, held Python's lock over a second of
    a 10-minute film.
    """
    from mediapipe.python._framework_bindings import _packet_getter
    from mediapipe.python.solution_base import PacketDataType

    produced = _produced(solution, image, name)
    if produced is None:
        return []
    if solution._output_stream_type_info[name] == PacketDataType.PROTO_LIST:
        serialised = list(_packet_getter._get_serialized_proto_list(produced))
    else:
        serialised = [_packet_getter._get_serialized_proto(produced)]
    return [_points(each, values) for each in serialised]


# The tags of a landmark's fields as serialised: fields 1-5 (x, y, z, visibility,
# presence), each a 32-bit float (wire type 5).
_FIELD_TAGS: Final = (0x0D, 0x15, 0x1D, 0x25, 0x2D)
# A landmark list's points: field 1 (tag 0x0A) of the list, each a length-prefixed message.
_POINT_TAG: Final = 0x0A


def _points(serialised: bytes, values: int) -> NDArray[np.float64]:
    """A serialised ``NormalizedLandmarkList``'s points × ``values``.

    Every point the graph writes has the same fields in the same order, so the points are
    rows of one table of bytes; anything else (a field missing, another order) is read the
    ordinary way, by protobuf.
    """
    data = np.frombuffer(serialised, np.uint8)
    if len(data) >= 2 and data[0] == _POINT_TAG and data[1] < 0x80 and (data[1] % 5) == 0:
        stride = 2 + int(data[1])
        if len(data) % stride == 0:
            rows = data.reshape(-1, stride)
            fields = rows[:, 2:].reshape(len(rows), -1, 5)
            tags = fields[0, :, 0]
            wanted = [
                int(np.flatnonzero(tags == tag)[0]) for tag in _FIELD_TAGS[:values] if tag in tags
            ]
            if (
                len(wanted) == values
                and (rows[:, :2] == rows[0, :2]).all()
                and (fields[:, :, 0] == tags).all()
            ):
                floats = np.ascontiguousarray(fields[:, wanted, 1:]).view("<f4")[..., 0]
                return floats.astype(np.float64)
    from mediapipe.framework.formats import landmark_pb2

    parsed = landmark_pb2.NormalizedLandmarkList.FromString(serialised)
    names = ("x", "y", "z", "visibility", "presence")[:values]
    return np.array(
        [[getattr(point, field) for field in names] for point in parsed.landmark], np.float64
    ).reshape(-1, values)


def _produced(solution: Any, image: NDArray[np.uint8], name: str) -> Any:
    """The packet of output ``name`` for ``image`` (None: nothing)."""
    solution._graph_outputs.clear()
    ((stream, kind),) = solution._input_stream_type_info.items()
    solution._simulated_timestamp += 33333
    packet = solution._make_packet(kind, image).at(solution._simulated_timestamp)
    solution._graph.add_packet_to_input_stream(stream=stream, packet=packet)
    solution._graph.wait_until_idle()
    produced = solution._graph_outputs.get(name)
    if produced is None or produced.is_empty():
        return None
    return produced
