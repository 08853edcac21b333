"""Mini-batches: split N example indices into batches of B, reshuffled every epoch."""

from __future__ import annotations

import random
from collections.abc import Iterator

from autograd.checks import integer

__all__ = ["batches", "num_batches"]

# The smallest shuffling seed that batches (and so fit) accepts.
_SEED_MINIMUM = -(2**63)


def num_batches(n: int, batch_size: int) -> int:
    """ceil(n / batch_size): the number of batches, so of updates, in one epoch."""
    n = integer(n, "num_batches", "n", 0)
    batch_size = integer(batch_size, "num_batches", "batch_size", 1)
    return -(-n // batch_size)


def batches(
    n: int, batch_size: int, *, shuffle: bool = True, seed: int = 0, epoch: int = 0
) -> Iterator[list[int]]:
    """Yield one epoch of index lists covering ``range(n)``, each of ``batch_size`` indices.

    The last batch keeps the remainder, so an epoch has ``ceil(n / batch_size)`` batches
    (n = 10000, batch_size = 10: 1000).  With ``shuffle`` the order is a permutation that
    depends only on ``(seed, epoch)``: pass ``epoch=0, 1, 2, ...`` for a fresh order each
    epoch, reproducible and resumable from any epoch without replaying the earlier ones.
    """
    n = integer(n, "batches", "n", 0)
    batch_size = integer(batch_size, "batches", "batch_size", 1)
    seed = integer(seed, "batches", "seed", _SEED_MINIMUM)
    epoch = integer(epoch, "batches", "epoch", 0)
    order = list(range(n))
    if shuffle:
        # A string seed is hashed with SHA-512 by random.Random, independent of
        # PYTHONHASHSEED, so the same (seed, epoch) gives the same order on every run.
        random.Random(f"nn.batches:{seed}:{epoch}").shuffle(order)
    # A plain function returning a generator, so bad arguments fail at the call.
    return (order[start : start + batch_size] for start in range(0, n, batch_size))
