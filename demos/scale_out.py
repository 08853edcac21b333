"""Scaling out: the lecture's MLP, exported to PyTorch, trained by two processes at once.

A batch's gradient is the mean of its examples' gradients (lecture idea 9), so it can be
computed in pieces: give each of W workers part of the batch, let each backpropagate its
part, and combine the results.  That is *data parallelism*, and PyTorch's
DistributedDataParallel (DDP) does it: every worker holds a full copy (a replica) of the
network, and after each backward pass DDP *averages* the workers' gradients, so that every
replica takes the same step and they stay identical.

The average needs care.  A batch of 15 split between 2 workers gives them 7 and 8
examples; if each worker used the mean loss of its own part, the average of the two would
count each of the 7 examples 1/14 and each of the 8 examples 1/16, not 1/15: a different
gradient.  So each worker multiplies the *sum* of its examples' losses by W/B = 2/15 (its
part's mean then weighs W·n/B: 14/15 and 16/15); DDP's average of the two is exactly the
batch's mean gradient.

Here our MLP (two moons, cross-entropy, plain SGD) is exported with model.to_torch() and
trained by 2 worker processes, started by torch.multiprocessing (spawn) and talking over
the loopback (127.0.0.1, gloo backend).  They use the very batches nn.fit uses (nn.batches,
the same seed) and the same learning rate, while our own nn.fit trains the same network in
this process.  The two loss curves must agree to 1e-9 (float rounding differs, nothing
else may); if they do not, the demo exits with an error.

The same script runs on several machines with PyTorch's launcher, torchrun (see the README,
"Scaling out"): PyTorch does the rendezvous, our code only reads its rank from the
environment.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd.checks import integer, option, parse_integer, parse_real, real

from ._common import add_network_arguments, new_figure, output_dir, save_figure, table
from .datasets import two_moons

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = [
    "REQUIRES",
    "Plan",
    "Share",
    "WorkerResult",
    "Comparison",
    "ScaleOutResult",
    "TrajectoryMismatch",
    "WorkersFailed",
    "split_batch",
    "compare",
    "train_replica",
    "run",
    "report",
    "add_arguments",
    "torchrun_main",
]

REQUIRES = ("torch", "matplotlib")

LOOPBACK = "127.0.0.1"
TOLERANCE = 1e-9
"""How far the two loss curves (and final weights) may be apart.  Both sides compute in
float64 and differ only in the order of additions (torch's kernels against ours): at most
about 1e-15 over the full run's 700 updates (measured), a million times below this.  A real
difference, e.g. each worker averaging its own part, shows at the first update, near 1e-3."""
TIMEOUT = 60.0  # seconds for the workers, from their start to their last result
GRACE = 5.0  # seconds a worker gets to exit after its result, or after terminate()
# The deep lesson's network (three hidden layers of 16) on two moons; --quick: one layer of
# 8.  An odd batch size makes the two workers' parts unequal, so the weighting is tested at
# every update (7 + 8, and the last batch of each epoch, 200 = 13 * 15 + 5, splits 2 + 3).
N, NOISE, HIDDEN, EPOCHS, BATCH_SIZE, LR = 200, 0.1, (16, 16, 16), 50, 15, 0.1
QUICK_N, QUICK_HIDDEN, QUICK_EPOCHS = 100, (8,), 5


class TrajectoryMismatch(RuntimeError):
    """The DDP workers' loss curve (or final weights) differs from our fit's beyond tolerance."""


class WorkersFailed(RuntimeError):
    """A worker process failed, or the workers did not finish in time; all were stopped."""


@dataclass(frozen=True)
class Plan:
    """What both sides train: the same data, network, batches, learning rate and epochs.

    It is sent to every worker process, which builds the data and the network from it.
    """

    seed: int
    n: int
    hidden: tuple[int, ...]
    epochs: int
    batch_size: int
    lr: float
    timeout: float
    # Test hook: the last worker steps with this rate instead of ``lr``, so its replica
    # drifts and the trajectories must disagree (tests/test_demos.py checks that they do).
    lr_of_last_worker: float | None = None

    def data(self) -> tuple[list[list[float]], list[int]]:
        """The training points and their classes."""
        return two_moons(self.n, noise=NOISE, seed=self.seed)

    def model(self) -> Any:
        """The untrained network, the same on every process (seeded)."""
        import nn

        return nn.MLP(2, [*self.hidden, 2], seed=self.seed)


@dataclass(frozen=True)
class Share:
    """One worker's part of a batch, and how its loss is weighted."""

    rank: int
    indices: list[int]
    batch_size: int  # of the whole batch
    world_size: int  # how many workers share it

    @property
    def loss_scale(self) -> float:
        """W / B: the worker multiplies the sum of its examples' losses by this."""
        return self.world_size / self.batch_size

    @property
    def weight(self) -> float:
        """W·n/B: the same, said of its part's mean loss; the weights add up to W."""
        return self.world_size * len(self.indices) / self.batch_size


def split_batch(batch: Sequence[int], world_size: int) -> list[Share]:
    """Split one batch's indices into ``world_size`` consecutive parts, as even as they go.

    Worker r takes ``batch[r*B//W : (r+1)*B//W]``; with its loss scaled by ``W / B``, DDP's
    average of the workers' gradients is the whole batch's mean gradient.  A part may be
    empty (a batch smaller than W): that worker's loss is 0 and it adds nothing.
    """
    world_size = integer(world_size, "split_batch", "world_size", 1)
    size = len(batch)
    if size == 0:
        raise ValueError("split_batch: the batch is empty")
    return [
        Share(
            rank,
            list(batch[rank * size // world_size : (rank + 1) * size // world_size]),
            size,
            world_size,
        )
        for rank in range(world_size)
    ]


@dataclass
class WorkerResult:
    """What one worker sends back: its batch losses and its replica's final weights."""

    rank: int
    pid: int
    losses: list[float]  # the whole batch's mean loss before each update (all-reduced)
    parameters: list[float]  # in the order of our MLP's parameters()


@dataclass
class _WorkerFailure:
    """What a worker sends instead of its result when it fails: one line saying why."""

    rank: int
    message: str


def train_replica(plan: Plan, rank: int, world_size: int) -> WorkerResult:
    """Train one DDP replica as worker ``rank`` of ``world_size``, with gloo on the CPU.

    The caller has set up the rendezvous: MASTER_ADDR and MASTER_PORT in the environment,
    as torchrun does.  The process group is destroyed before this returns, whatever happens.
    """
    import importlib

    import torch
    import torch.distributed as dist

    # One thread per worker: two workers share this machine's two cores, and the network
    # is far too small for threads to help.
    torch.set_num_threads(1)
    # DDP imports torch._dynamo when it is built.  Imported while a process group exists,
    # it keeps that group alive after destroy_process_group (torch 2.13), and the group's
    # gloo threads then end only in the interpreter's shutdown, where torch now and then
    # aborts ("terminate called without an active exception", exit code -6; seen in 3 of
    # about 40 runs).  Imported before the group exists, it holds nothing: the group ends
    # here, and no gloo thread is left at exit.
    importlib.import_module("torch._dynamo")
    # The timeout bounds every collective: a worker whose peer died stops instead of hanging.
    dist.init_process_group(
        "gloo", rank=rank, world_size=world_size, timeout=timedelta(seconds=plan.timeout)
    )
    try:
        losses, parameters = _train(plan, rank, world_size)
    finally:
        dist.destroy_process_group()
    return WorkerResult(rank, os.getpid(), losses, parameters)


def _train(plan: Plan, rank: int, world_size: int) -> tuple[list[float], list[float]]:
    """The training loop of one replica: its batch losses and its final weights."""
    import torch
    import torch.distributed as dist
    import torch.nn.functional as F
    from torch.nn.parallel import DistributedDataParallel

    import nn

    xs, ys = plan.data()
    inputs = torch.tensor(xs, dtype=torch.float64)
    targets = torch.tensor(ys, dtype=torch.long)
    replica = DistributedDataParallel(plan.model().to_torch())
    lr = plan.lr
    if plan.lr_of_last_worker is not None and rank == world_size - 1:
        lr = plan.lr_of_last_worker
    optimizer = torch.optim.SGD(replica.parameters(), lr=lr)
    losses = []
    for epoch in range(plan.epochs):
        for batch in nn.batches(len(xs), plan.batch_size, seed=plan.seed, epoch=epoch):
            share = split_batch(batch, world_size)[rank]
            part = torch.tensor(share.indices, dtype=torch.long)
            optimizer.zero_grad()
            logits = replica(inputs[part])
            loss = F.cross_entropy(logits, targets[part], reduction="sum") * share.loss_scale
            loss.backward()  # DDP averages the workers' gradients here
            optimizer.step()
            # The workers' losses average to the batch's mean loss, as their gradients do.
            total = loss.detach().clone()
            dist.all_reduce(total)
            losses.append(total.item() / world_size)
    return losses, [p.data for p in nn.from_torch(replica.module).parameters()]


def _loopback_interface() -> str | None:
    """The loopback's network interface ("lo" on Linux, "lo0" on macOS), if there is one."""
    names = {name for _, name in socket.if_nameindex()}
    return next((name for name in ("lo", "lo0") if name in names), None)


def _free_port() -> int:
    """A TCP port on the loopback that nothing uses right now (the system picks it)."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def _spawned_worker(
    rank: int, world_size: int, plan: Plan, port: int, results: Connection
) -> None:
    """A worker process started by ``_Workers``: rendezvous on the loopback, train, report."""
    os.environ["MASTER_ADDR"] = LOOPBACK
    os.environ["MASTER_PORT"] = str(port)
    interface = _loopback_interface()
    if interface is not None:  # gloo's own traffic, too, stays on the loopback
        os.environ["GLOO_SOCKET_IFNAME"] = interface
    try:
        outcome: WorkerResult | _WorkerFailure = train_replica(plan, rank, world_size)
    except Exception as error:  # crossing the process boundary: the parent says it in one line
        outcome = _WorkerFailure(rank, f"{type(error).__name__}: {error}")
    results.send(outcome)
    results.close()


class _Workers:
    """The worker processes: started on entering, every one of them stopped on leaving.

    Leaving waits ``GRACE`` seconds for each worker to exit by itself (none after an error),
    then terminates it, and kills it if it still runs: no process outlives the demo,
    whatever happened.  ``exit_codes`` then holds how each one ended.
    """

    def __init__(self, plan: Plan, count: int, timeout: float) -> None:
        self.plan, self.count, self.timeout = plan, count, timeout
        self.processes: list[Any] = []
        self.connections: list[Connection] = []
        self.deadline = math.inf
        self.exit_codes: list[int | None] = []  # once every worker has been stopped

    def __enter__(self) -> _Workers:
        import torch.multiprocessing as mp

        context = mp.get_context("spawn")  # fresh interpreters: no state copied by fork
        port = _free_port()
        self.deadline = time.monotonic() + self.timeout
        for rank in range(self.count):
            receive, send = context.Pipe(duplex=False)
            process = context.Process(
                target=_spawned_worker,
                args=(rank, self.count, self.plan, port, send),
                name=f"scale_out worker {rank}",
                daemon=True,  # should this process die abruptly, its workers go with it
            )
            process.start()
            send.close()  # the worker holds the only sending end now
            self.processes.append(process)
            self.connections.append(receive)
        return self

    def results(self) -> list[WorkerResult]:
        """Every worker's result, in rank order; a failure or the deadline raises WorkersFailed."""
        from multiprocessing.connection import wait

        results: dict[int, WorkerResult] = {}
        waiting = dict(enumerate(self.connections))
        while waiting:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                ranks = ", ".join(str(rank) for rank in waiting)
                raise WorkersFailed(
                    f"scale_out: the workers did not finish within {self.timeout:g} s "
                    f"(still waiting for worker {ranks}), so all were stopped; on a busy "
                    "machine give them more time with --timeout"
                )
            # A worker's pipe becomes readable with its result, or at its end if it died
            # without one (it holds the only sending end).
            ready = wait(list(waiting.values()), timeout=remaining)
            for rank, connection in list(waiting.items()):
                if connection in ready:
                    results[rank] = self._receive(rank, connection)
                    del waiting[rank]
        return [results[rank] for rank in range(self.count)]

    def _receive(self, rank: int, connection: Connection) -> WorkerResult:
        """Worker ``rank``'s result from its readable pipe, or WorkersFailed saying why not."""
        try:
            outcome = connection.recv()
        except EOFError:  # the pipe closed without a word: the process is gone
            self.processes[rank].join(GRACE)  # reap it, for its exit code
            code = self.processes[rank].exitcode
            raise WorkersFailed(
                f"scale_out: worker {rank} ended (exit code {code}) without a result"
            ) from None
        if isinstance(outcome, _WorkerFailure):
            raise WorkersFailed(f"scale_out: worker {rank} failed: {outcome.message}")
        result: WorkerResult = outcome
        return result

    def __exit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        for process in self.processes:
            # After their results the workers end by themselves; after an error (a failed
            # worker, the deadline, a failed fit here) the others are stopped at once.
            process.join(GRACE if error_type is None else 0)
            if process.is_alive():
                process.terminate()
                process.join(GRACE)
            if process.is_alive():
                process.kill()
                process.join()
        for connection in self.connections:
            connection.close()
        self.exit_codes = [process.exitcode for process in self.processes]


def _gap(a: float, b: float) -> float:
    """|a - b|, and inf where that is NaN (a NaN must never pass for agreement)."""
    gap = abs(a - b)
    return math.inf if math.isnan(gap) else gap


def _largest_gap(xs: Sequence[float], ys: Sequence[float]) -> float:
    """The largest |x - y| over the pairs; inf if the lengths differ."""
    if len(xs) != len(ys):
        return math.inf
    return max((_gap(x, y) for x, y in zip(xs, ys)), default=0.0)


@dataclass
class Comparison:
    """Our fit's loss curve and final weights beside the DDP replicas'."""

    ours: list[float]
    theirs: list[float]  # rank 0's all-reduced batch losses
    differences: list[float]  # |ours - theirs| at each update (inf for a NaN)
    parameter_difference: float  # largest |our weight - a replica's weight|, all replicas
    tolerance: float

    @property
    def loss_difference(self) -> float:
        """The largest difference between the two loss curves (inf if their lengths differ)."""
        return _largest_gap(self.ours, self.theirs)

    @property
    def agree(self) -> bool:
        """Every loss and every final weight within the tolerance."""
        return max(self.loss_difference, self.parameter_difference) <= self.tolerance

    def disagreement(self) -> str:
        """One line saying where the two trajectories part (for the error message)."""
        if len(self.ours) != len(self.theirs):
            return f"our fit made {len(self.ours)} updates but DDP {len(self.theirs)}"
        if self.loss_difference > self.tolerance:
            first = next(i for i, d in enumerate(self.differences) if d > self.tolerance)
            worst = self.differences.index(self.loss_difference)
            return (
                f"the loss curves part at update {first + 1} (ours {self.ours[first]!r}, "
                f"DDP's {self.theirs[first]!r}); the largest difference is "
                f"{self.loss_difference:.3g} at update {worst + 1}, tolerance {self.tolerance:g}"
            )
        return (
            f"the final weights differ by up to {self.parameter_difference:.3g}, "
            f"tolerance {self.tolerance:g}"
        )


def compare(
    ours: Sequence[float],
    replicas: Sequence[WorkerResult],
    our_parameters: Sequence[float],
    tolerance: float = TOLERANCE,
) -> Comparison:
    """Set our fit's losses and final weights beside the replicas' (rank 0's losses)."""
    theirs = list(replicas[0].losses)
    return Comparison(
        ours=list(ours),
        theirs=theirs,
        differences=[_gap(a, b) for a, b in zip(ours, theirs)],
        parameter_difference=max(_largest_gap(our_parameters, r.parameters) for r in replicas),
        tolerance=tolerance,
    )


@dataclass
class FirstBatch:
    """The weighting on the first batch, worked with our engine's gradients."""

    sizes: list[int]  # examples per worker
    weights: list[float]  # the weight of each part's mean loss, W·n/B
    weighted_error: float  # largest |(1/W)·Σ weight·grad(part mean) − grad(batch mean)|
    naive_error: float  # the same for (1/W)·Σ grad(part mean): each worker's own mean


@dataclass
class ScaleOutResult:
    """What the scale_out demo found."""

    architecture: str
    parameters: int
    train_size: int
    batch_size: int
    lr: float
    epochs: int
    updates: int
    workers: int
    worker_pids: list[int]
    exit_codes: list[int | None]  # of the worker processes, after they were joined
    launcher: str  # "torch.multiprocessing" (the demo's own workers) or "torchrun"
    interface: str | None  # the network interface gloo was bound to, if one was chosen
    first_batch: FirstBatch
    comparison: Comparison
    replicas_identical: bool | None  # every replica ended with the very same weights
    # (None under torchrun: only rank 0's replica is at hand)
    train_accuracy: float  # of our fit's model, at the end
    seconds: float  # from starting the workers to the last result (torchrun: on rank 0)
    files: list[Path] = field(default_factory=list)


def _our_fit(plan: Plan) -> tuple[Any, list[float]]:
    """Our own nn.fit on the plan's data, batches and rate: the model and its batch losses."""
    import nn
    from nn.losses import cross_entropy

    xs, ys = plan.data()
    model = plan.model()
    history = nn.fit(
        model,
        xs,
        ys,
        loss=cross_entropy,
        lr=plan.lr,
        batch_size=plan.batch_size,
        epochs=plan.epochs,
        seed=plan.seed,
        compiled=True,
    )
    return model, history.losses


def _first_batch(plan: Plan, world_size: int) -> FirstBatch:
    """Weighted and naive combinations of the parts' gradients on the first batch, by our engine."""
    import autograd
    import nn
    from nn.losses import cross_entropy

    xs, ys = plan.data()
    model = plan.model()
    params = model.parameters()
    batch = next(nn.batches(len(xs), plan.batch_size, seed=plan.seed, epoch=0))

    def gradient(indices: list[int]) -> list[float]:
        loss = cross_entropy([model(xs[i]) for i in indices], [ys[i] for i in indices])
        return autograd.grad(loss, params)

    full = gradient(batch)
    shares = split_batch(batch, world_size)
    parts = [(s.weight, gradient(s.indices)) for s in shares if s.indices]
    weighted = [sum(w * g[k] for w, g in parts) / world_size for k in range(len(params))]
    naive = [sum(g[k] for _, g in parts) / len(parts) for k in range(len(params))]
    return FirstBatch(
        sizes=[len(s.indices) for s in shares],
        weights=[s.weight for s in shares],
        weighted_error=max(abs(a - b) for a, b in zip(weighted, full)),
        naive_error=max(abs(a - b) for a, b in zip(naive, full)),
    )


def _make_plan(
    seed: int,
    quick: bool,
    hidden: Sequence[int] | None,
    epochs: int | None,
    n: int | None,
    batch_size: int,
    lr: float,
    timeout: float,
    lr_of_last_worker: float | None,
) -> Plan:
    """The checked plan: None means the default (smaller with ``quick``)."""
    if hidden is None:
        hidden = QUICK_HIDDEN if quick else HIDDEN
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise TypeError(
            f"scale_out: hidden must be a sequence of layer widths, got {type(hidden).__name__}"
        )
    return Plan(
        seed=integer(seed, "scale_out", "seed", 0),
        n=integer((QUICK_N if quick else N) if n is None else n, "scale_out", "n", 2),
        hidden=tuple(integer(w, "scale_out", f"hidden[{i}]", 1) for i, w in enumerate(hidden)),
        epochs=integer(
            (QUICK_EPOCHS if quick else EPOCHS) if epochs is None else epochs,
            "scale_out",
            "epochs",
            1,
        ),
        batch_size=integer(batch_size, "scale_out", "batch_size", 1),
        lr=real(lr, "scale_out", "lr", positive=True),
        timeout=real(timeout, "scale_out", "timeout", positive=True),
        lr_of_last_worker=None
        if lr_of_last_worker is None
        else real(lr_of_last_worker, "scale_out", "lr_of_last_worker", positive=True),
    )


def _finish(
    out: Path,
    plan: Plan,
    model: Any,
    ours: list[float],
    replicas: list[WorkerResult],
    *,
    workers: int,
    **facts: Any,
) -> ScaleOutResult:
    """Compare, plot, and gather the result (the same after spawn and under torchrun)."""
    import nn

    xs, ys = plan.data()
    comparison = compare(ours, replicas, [p.data for p in model.parameters()])
    first = replicas[0].parameters
    return ScaleOutResult(
        architecture=f"MLP(2, {[*plan.hidden, 2]})",
        parameters=len(model.parameters()),
        train_size=plan.n,
        batch_size=plan.batch_size,
        lr=plan.lr,
        epochs=plan.epochs,
        updates=len(ours),
        workers=workers,
        worker_pids=[r.pid for r in replicas],
        first_batch=_first_batch(plan, workers),
        comparison=comparison,
        replicas_identical=(
            all(r.parameters == first for r in replicas) if len(replicas) == workers else None
        ),
        train_accuracy=nn.accuracy(nn.predict(model, xs), ys),
        files=[_plot(out / "trajectories.png", comparison, plan, workers)],
        **facts,
    )


def run(
    out_dir: str | Path,
    seed: int = 0,
    quick: bool = False,
    *,
    hidden: Sequence[int] | None = None,
    epochs: int | None = None,
    n: int | None = None,
    batch_size: int = BATCH_SIZE,
    lr: float = LR,
    workers: int = 2,
    timeout: float = TIMEOUT,
    progress: bool = False,
    lr_of_last_worker: float | None = None,
) -> ScaleOutResult:
    """Train the MLP with DDP on ``workers`` processes and with our fit; compare the two.

    Raises ``TrajectoryMismatch`` (after writing the plot) if the loss curves or the final
    weights differ by more than ``TOLERANCE``, and ``WorkersFailed`` if a worker fails or
    they do not finish within ``timeout`` seconds.  ``lr_of_last_worker`` is a test hook
    (see ``Plan``).  ``progress`` is accepted for the common interface; nothing here is
    long enough for a progress bar.
    """
    plan = _make_plan(seed, quick, hidden, epochs, n, batch_size, lr, timeout, lr_of_last_worker)
    workers = integer(workers, "scale_out", "workers", 1)
    out = output_dir(out_dir)
    start = time.perf_counter()
    with _Workers(plan, workers, plan.timeout) as started:
        model, ours = _our_fit(plan)  # meanwhile, the workers import torch
        replicas = started.results()
    seconds = time.perf_counter() - start
    unclean = [(rank, code) for rank, code in enumerate(started.exit_codes) if code != 0]
    if unclean:
        rank, code = unclean[0]
        raise WorkersFailed(
            f"scale_out: worker {rank} sent its result but then exited with code {code}, "
            "not 0: its shutdown was not clean"
        )
    result = _finish(
        out,
        plan,
        model,
        ours,
        replicas,
        workers=workers,
        exit_codes=started.exit_codes,
        launcher="torch.multiprocessing",
        interface=_loopback_interface(),
        seconds=seconds,
    )
    if not result.comparison.agree:
        raise TrajectoryMismatch(
            f"scale_out: DDP and our fit disagree: {result.comparison.disagreement()} "
            f"(see {result.files[0]})"
        )
    return result


def _plot(path: Path, comparison: Comparison, plan: Plan, workers: int) -> Path:
    """The two loss curves on top of each other, and their difference against the tolerance."""
    fig = new_figure((11, 4))
    curves, gaps = fig.subplots(1, 2)
    updates = range(1, len(comparison.ours) + 1)
    curves.plot(updates, comparison.ours, color="C0", lw=2.5, label="our nn.fit (one process)")
    curves.plot(
        range(1, len(comparison.theirs) + 1),
        comparison.theirs,
        color="C3",
        lw=1.0,
        ls="--",
        label=f"PyTorch DDP ({workers} processes)",
    )
    curves.set_yscale("log")  # the loss falls by orders of magnitude
    curves.set_xlabel("update")
    curves.set_ylabel("batch loss (cross-entropy, log scale)")
    verdict = "the two curves coincide" if comparison.agree else "the two curves DIFFER"
    curves.set_title(f"Loss of each batch of {plan.batch_size}: {verdict}", fontsize=10)
    curves.legend(fontsize=8)
    curves.grid(alpha=0.3)
    # A log scale cannot show 0: an exact agreement is drawn at the floor.
    floor = 1e-18
    gaps.plot(updates, [max(d, floor) for d in comparison.differences], color="C2", lw=1.0)
    gaps.axhline(comparison.tolerance, color="k", ls=":", lw=1.0, label="tolerance 1e-9")
    gaps.set_yscale("log")
    gaps.set_ylim(floor / 3, 1.0)
    gaps.set_xlabel("update")
    gaps.set_ylabel("|our loss − DDP's loss|")
    gaps.set_title(
        f"Difference: at most {comparison.loss_difference:.1e} (1e-18 means exactly equal)",
        fontsize=10,
    )
    gaps.legend(fontsize=8, loc="upper left")
    gaps.grid(alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, path)


def _sampled_updates(count: int, rows: int = 12) -> list[int]:
    """About ``rows`` update numbers (1-based) spread over ``count``: the first three, the last."""
    step = max(1, count // (rows - 3))
    chosen = {1, 2, 3, count, *range(step, count, step)}
    return sorted(u for u in chosen if 1 <= u <= count)


def _how_it_ran(result: ScaleOutResult) -> str:
    """The line about the worker processes: who started them, where they met, how they ended."""
    interface = f" (interface {result.interface})" if result.interface else ""
    if result.launcher == "torchrun":
        return (
            f"PyTorch: {result.workers} workers started by torchrun, gloo{interface}; "
            f"rank 0 (pid {result.worker_pids[0]}) trained and compared in "
            f"{result.seconds:.1f} s."
        )
    return (
        f"PyTorch: {result.workers} worker processes started by torch.multiprocessing, pids "
        f"{', '.join(map(str, result.worker_pids))};\n"
        f"gloo over {LOOPBACK}{interface}; {result.seconds:.1f} s from start to results, "
        f"imports included; exit codes {', '.join(map(str, result.exit_codes))}."
    )


def report(result: ScaleOutResult) -> str:
    """The printed summary: the split, the two loss curves side by side, the agreement."""
    c, first = result.comparison, result.first_batch
    described = [f"{size} (weight {w:.4g})" for size, w in zip(first.sizes, first.weights)]
    parts = ", ".join(described[:-1]) + " and " + described[-1] if described[1:] else described[0]
    lines = [
        f"Data: two moons, {result.train_size} points; network {result.architecture}, "
        f"{result.parameters} parameters;",
        f"plain SGD, lr {result.lr:g}, batches of {result.batch_size}, {result.epochs} epochs: "
        f"{result.updates} updates.",
        _how_it_ran(result),
        "",
        f"The first batch of {result.batch_size}, split {parts};",
        "each part's mean loss weighted W·n/B, so that DDP's average of the gradients is the",
        "batch's mean gradient.",
        "Checked with our engine's gradients on that batch: the weighted average is off by "
        f"{first.weighted_error:.1g};",
        f"had each worker used its own part's mean, the average would be off by "
        f"{first.naive_error:.2g}.",
        "",
    ]
    rows = [
        [u, f"{c.ours[u - 1]:.12f}", f"{c.theirs[u - 1]:.12f}", f"{c.differences[u - 1]:.1e}"]
        for u in _sampled_updates(min(len(c.ours), len(c.theirs)))
    ]
    headers = ["update", "our fit", f"DDP, {result.workers} workers", "difference"]
    lines += table(headers, rows).splitlines()
    verdict = "agree" if c.agree else "DISAGREE"
    lines += [
        "",
        f"Largest difference over all {len(c.ours)} updates: {c.loss_difference:.1e} in the "
        f"loss, {c.parameter_difference:.1e} in the final weights;",
        f"tolerance {c.tolerance:g}: they {verdict}.",
        f"Our model's training accuracy at the end: {result.train_accuracy:.1%}.",
    ]
    if result.replicas_identical is not None:
        same = "identical" if result.replicas_identical else "DIFFERENT"
        lines.append(f"The {result.workers} replicas ended with {same} weights.")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options: network, data, training length, workers, time limit."""
    add_network_arguments(
        parser,
        hidden="hidden layer widths (default: 16 16 16; 8 with --quick)",
        epochs=f"default: {EPOCHS} ({QUICK_EPOCHS} with --quick)",
    )
    parser.add_argument(
        "--n",
        type=option(parse_integer, minimum=2),
        default=None,
        help=f"training points (default: {N}; {QUICK_N} with --quick)",
    )
    parser.add_argument(
        "--batch-size",
        type=option(parse_integer, minimum=1),
        default=BATCH_SIZE,
        help=f"default: {BATCH_SIZE} (odd: the workers' parts differ by one)",
    )
    parser.add_argument(
        "--lr", type=option(parse_real, positive=True), default=LR, help=f"default: {LR:g}"
    )
    parser.add_argument(
        "--workers",
        type=option(parse_integer, minimum=1),
        default=2,
        help="worker processes (default: 2)",
    )
    parser.add_argument(
        "--timeout",
        type=option(parse_real, positive=True),
        default=TIMEOUT,
        help=f"seconds the workers may take, start included (default: {TIMEOUT:g})",
    )


def _launched_by_torchrun() -> bool:
    """True in a process that torchrun started (it sets these for every worker)."""
    return all(name in os.environ for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))


def torchrun_main(argv: Sequence[str]) -> int:
    """One worker under torchrun: ``torchrun --nproc-per-node=2 -m demos.scale_out [options]``.

    torchrun sets RANK, WORLD_SIZE and the rendezvous address (MASTER_ADDR, MASTER_PORT) for
    every process; LOCAL_RANK (which GPU to use) does not matter on CPUs.  Every process
    trains its replica; rank 0 also runs our fit, compares, prints and writes the plot, and
    returns 1 if the two disagree.  The demo's options apply, except --workers (torchrun's
    --nproc-per-node and --nnodes decide); --timeout bounds each collective.  The network
    interface is gloo's choice: set GLOO_SOCKET_IFNAME to pick one.
    """
    import sys

    from .__main__ import build_parser

    options = vars(build_parser("scale_out", sys.modules[__name__]).parse_args(list(argv)))
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    plan = _make_plan(
        options["seed"],
        options["quick"],
        options["hidden"],
        options["epochs"],
        options["n"],
        options["batch_size"],
        options["lr"],
        options["timeout"],
        None,
    )
    start = time.perf_counter()
    replica = train_replica(plan, rank, world_size)
    if rank != 0:
        return 0
    model, ours = _our_fit(plan)
    result = _finish(
        output_dir(options["out"]),
        plan,
        model,
        ours,
        [replica],
        workers=world_size,
        exit_codes=[],  # torchrun watches its processes
        launcher="torchrun",
        interface=os.environ.get("GLOO_SOCKET_IFNAME"),
        seconds=time.perf_counter() - start,
    )
    print(report(result))
    if not result.comparison.agree:
        print(f"scale_out: error: {result.comparison.disagreement()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    import sys

    if _launched_by_torchrun():
        sys.exit(torchrun_main(sys.argv[1:]))
    from .__main__ import main

    sys.exit(main(["scale_out", *sys.argv[1:]]))
