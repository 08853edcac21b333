"""nn.batches and nn.num_batches (nn/data.py): the lecture's batches and epochs."""

from __future__ import annotations

from typing import Any

import pytest

from nn import batches, num_batches


def test_lecture_example_10000_examples_batches_of_10() -> None:
    epoch = list(batches(10000, 10))
    assert len(epoch) == 1000 == num_batches(10000, 10)
    assert all(len(b) == 10 for b in epoch)
    assert sorted(i for b in epoch for i in b) == list(range(10000))


def test_last_partial_batch_is_kept() -> None:
    epoch = list(batches(10, 4, shuffle=False))
    assert epoch == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert num_batches(10, 4) == 3
    assert list(batches(3, 10)) and len(list(batches(3, 10))) == 1
    assert list(batches(0, 4)) == []


def test_shuffled_every_epoch_reproducibly() -> None:
    e0 = list(batches(50, 7, seed=3, epoch=0))
    e1 = list(batches(50, 7, seed=3, epoch=1))
    assert e0 != e1
    assert sorted(i for b in e1 for i in b) == list(range(50))
    assert list(batches(50, 7, seed=3, epoch=1)) == e1  # depends only on (seed, epoch)
    assert list(batches(50, 7, seed=4, epoch=0)) != e0
    assert [i for b in e0 for i in b] != list(range(50))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n": 10, "batch_size": 0}, ValueError, "batches: batch_size must be >= 1"),
        ({"n": -1, "batch_size": 2}, ValueError, "batches: n must be >= 0"),
        ({"n": 10, "batch_size": 2.5}, TypeError, "batches: batch_size must be an int"),
        ({"n": 10, "batch_size": 2, "epoch": -1}, ValueError, "batches: epoch must be >= 0"),
        ({"n": 10, "batch_size": 2, "seed": -(2**64)}, ValueError, "batches: seed must be >= -"),
        ({"n": True, "batch_size": 2}, TypeError, "batches: n must be an int, got bool"),
    ],
)
def test_batches_bad_arguments_fail_at_the_call(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        batches(**kwargs)
