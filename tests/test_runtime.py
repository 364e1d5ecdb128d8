"""How the listening models run: batches side by side, models let go of after a film."""

from __future__ import annotations

import threading

from vigvision.voice.runtime import cores, let_go_of_models, side_by_side, while_listening


def test_batches_heard_side_by_side_come_back_in_their_order() -> None:
    threads: set[str] = set()

    def squared(batch: list[int]) -> list[int]:
        threads.add(threading.current_thread().name)
        return [n * n for n in batch]

    batches = [[1, 2], [3], [4, 5, 6], [7]]
    assert side_by_side(squared, batches) == [[1, 4], [9], [16, 25, 36], [49]]
    assert side_by_side(squared, []) == []
    if cores() >= 2:  # one core: done one after the other, where the caller runs
        assert threads and all(name.startswith("vigvision-listen") for name in threads)


def test_a_model_is_loaded_once_until_the_listening_lets_go_of_it() -> None:
    loads = []

    @while_listening
    def model() -> object:
        loads.append(1)
        return object()

    first = model()
    assert model() is first and len(loads) == 1
    let_go_of_models()
    assert model() is not first and len(loads) == 2
