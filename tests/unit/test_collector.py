"""While bulk builds run, the garbage collector's young collections are rarer; after the last one, as they were."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from projections.collector import THRESHOLD, collecting_less


@pytest.fixture(autouse=True)
def default_threshold() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*before)


def test_a_build_raises_the_young_threshold_and_puts_it_back(default_threshold: tuple[int, int, int]) -> None:
    with collecting_less():
        assert gc.get_threshold() == (THRESHOLD, 10, 10)
    assert gc.get_threshold() == default_threshold


def test_a_failing_build_puts_it_back_too(default_threshold: tuple[int, int, int]) -> None:
    with pytest.raises(RuntimeError), collecting_less():
        raise RuntimeError("a build that failed")
    assert gc.get_threshold() == default_threshold


def test_it_comes_back_only_when_the_last_of_two_overlapping_builds_ends(
    default_threshold: tuple[int, int, int],
) -> None:
    first_in, first_may_end = threading.Event(), threading.Event()

    def first() -> None:
        with collecting_less():
            first_in.set()
            first_may_end.wait(10)

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(10)
    with collecting_less():  # a second build, started after the first and ending before it
        pass
    assert gc.get_threshold() == (THRESHOLD, 10, 10)  # the first still runs
    first_may_end.set()
    thread.join(10)
    assert gc.get_threshold() == default_threshold
