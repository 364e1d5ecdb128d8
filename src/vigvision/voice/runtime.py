"""The one way the listening models run: onnxruntime sessions on a single thread each,
their independent batches spread over every core.

Each session keeps to one thread: beside the watching of the picture, a model spreading
over every core would only make the two wait for each other. Batches that do not depend on
each other (voiceprints, the segmentation's chunks, Silero's stretches) run side by side
instead, one per core: while the first look waits for the sound (``suggest`` ranks the
film with it), the listening then has the whole machine (on a 10-minute film a core stood
idle for 15 s, measured).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any, TypeVar

from vigvision import machine
from vigvision.memory import give_back_freed_memory

T = TypeVar("T")
R = TypeVar("R")


def listening_session(model: str | bytes) -> Any:
    """An onnxruntime session of ``model`` (a file's path or the model's bytes), one thread."""
    import onnxruntime  # imported here: only listening needs it

    options = onnxruntime.SessionOptions()
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = 1
    return onnxruntime.InferenceSession(
        model, sess_options=options, providers=["CPUExecutionProvider"]
    )


_LOADED: list[Any] = []


def while_listening(load: Callable[[], R]) -> Callable[[], R]:
    """``load`` (a model's session) made once, and kept until ``let_go_of_models``."""
    kept = cache(load)
    _LOADED.append(kept)
    return kept


def let_go_of_models() -> None:
    """Forget the listening models once a sound track is heard: onnxruntime keeps each
    session's working memory as large as its largest batch (about 200 MB for the three on a
    10-minute film), which the watching of the picture would otherwise carry on its back.
    The next film's listening loads them again (a fifth of a second)."""
    for kept in _LOADED:
        kept.cache_clear()
    give_back_freed_memory()


# Batches side by side at most: each holds its model's working memory (the segmentation's
# ~45 MB), and beyond a few the listening no longer holds up the watching.
_MAX_SIDE_BY_SIDE = 4


def cores() -> int:
    """The cores the listening spreads over: those this process may run on (``taskset``
    included), at most four."""
    return min(_MAX_SIDE_BY_SIDE, machine.cores())


def side_by_side(work: Callable[[T], R], batches: Iterable[T]) -> list[R]:
    """``work`` done on each batch, one batch per core at a time, results in order.

    A session may be run from several threads at once; onnxruntime and numpy let go of the
    interpreter while they compute, so the threads do run side by side.
    """
    batches = list(batches)
    if len(batches) < 2 or cores() < 2:
        return [work(batch) for batch in batches]
    workers = min(cores(), len(batches))
    with ThreadPoolExecutor(workers, thread_name_prefix="vigvision-listen") as pool:
        return list(pool.map(work, batches))
