"""The Ray executor: each run is a Ray Core task, and the permit bank is a named async actor.

The driver bounds submission (never more than ``workers`` tasks out), so Ray holds no long
queue of its own. The actor wraps the same ``PermitBank`` as the local manager process; runs
lease permits from it in blocks through a ``RayLink`` (an actor serves only a few hundred calls a
second, so a call per model request would be the bottleneck).

``address=None`` starts a local cluster with ``workers`` CPUs (or joins the one this process
already started); ``address='auto'`` or ``'ray://host:10001'`` joins an existing cluster, whose
nodes must have this package installed. When some node is another machine, runs write their
trajectory locally and ship it back to the driver (``ship``).

Ray is imported only here, and only when the executor starts.
"""

from __future__ import annotations

import logging
import os
import uuid
from typing import Any

from sandbox.errors import ConfigError
from sandbox.runner.sweep.limiter import Limits, PermitBank
from sandbox.runner.sweep.worker import RunOutcome, RunTask, execute

log = logging.getLogger(__name__)

INSTALL_HINT = "install the ray extra: pip install -e '.[ray]'"
NAMESPACE = "sandbox"


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError(
            f"--executor ray needs Ray, which is not installed; {INSTALL_HINT}"
        ) from None
    return ray


class BankActor:
    """The permit bank as an async actor: one event loop, so the bank's calls never wait on
    each other (its lock is never contended)."""

    def __init__(self, max_in_flight: int | None, rpm: float | None) -> None:
        self.bank = PermitBank(max_in_flight, rpm)

    async def lease(
        self, holder: str, slots: int, tokens: int, used: int
    ) -> tuple[int, int, float]:
        return self.bank.lease(holder, slots, tokens, used)

    async def give_back(self, holder: str, slots: int, tokens: int, used: int) -> None:
        self.bank.give_back(holder, slots, tokens, used)

    async def release_all(self, holder: str) -> None:
        self.bank.release_all(holder)

    async def stats(self) -> dict[str, Any]:
        return self.bank.stats()


class RayLink:
    """A ``BankLink`` to the bank actor (pickled into every task with the actor's handle)."""

    def __init__(self, actor: Any, limits: Limits) -> None:
        self.actor = actor
        self.limits = limits

    async def lease(
        self, holder: str, slots: int, tokens: int, used: int
    ) -> tuple[int, int, float]:
        got = await self.actor.lease.remote(holder, slots, tokens, used)
        return int(got[0]), int(got[1]), float(got[2])

    async def give_back(self, holder: str, slots: int, tokens: int, used: int) -> None:
        await self.actor.give_back.remote(holder, slots, tokens, used)

    def release_all(self, holder: str) -> None:
        import ray

        ray.get(self.actor.release_all.remote(holder))


def _run_task(task: RunTask, link: RayLink | None) -> RunOutcome:
    """The task body: what a local worker process runs."""
    logging.basicConfig(level=logging.WARNING)
    return execute(task, link)


class RayExecutor:
    """Runs tasks as Ray Core tasks (one CPU each); the same interface as ``LocalExecutor``."""

    name = "ray"

    def __init__(self, workers: int, limits: Limits | None = None, address: str | None = None):
        self.workers = workers
        self.limits = limits
        self.address = address
        self.ship = False
        self._ray: Any = None
        self._started = False  # this executor started the cluster (and stops it)
        self._actor: Any = None
        self._link: RayLink | None = None
        self._remote: Any = None
        self._refs: dict[Any, str] = {}

    def __enter__(self) -> RayExecutor:
        ray = self._ray = import_ray()
        if not ray.is_initialized():
            self._connect(ray)
        self.ship = self._remote_nodes(ray)
        if self.limits is not None and self.limits.active:
            name = f"permit-bank-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            actor_cls = ray.remote(num_cpus=0, max_restarts=0)(BankActor)
            self._actor = actor_cls.options(
                name=name, namespace=NAMESPACE, max_concurrency=1000
            ).remote(self.limits.max_in_flight, self.limits.rpm)
            ray.get(self._actor.stats.remote())  # up before any run asks it
            self._link = RayLink(self._actor, self.limits)
        self._remote = ray.remote(num_cpus=1, max_retries=0)(_run_task)
        return self

    def _connect(self, ray: Any) -> None:
        quiet = {"include_dashboard": False, "logging_level": logging.WARNING}
        try:
            if self.address is None:
                ray.init(num_cpus=self.workers, **quiet)
            else:
                ray.init(address=self.address, **quiet)
        except ConnectionError as exc:
            raise ConfigError(
                f"cannot join the Ray cluster at {self.address!r} ({exc}); start one with "
                "'ray start --head' and pass --address auto, or omit --address for a local one"
            ) from None
        self._started = True

    @staticmethod
    def _remote_nodes(ray: Any) -> bool:
        """Whether some live node is another machine (then there is no shared filesystem)."""
        here = ray.util.get_node_ip_address()
        return any(n["Alive"] and n["NodeManagerAddress"] != here for n in ray.nodes())

    def __exit__(self, *exc: object) -> None:
        ray = self._ray
        if ray is None:
            return
        for ref in list(self._refs):  # interrupted: stop the runs still out
            ray.cancel(ref, force=True)
        self._refs.clear()
        if self._actor is not None:
            ray.kill(self._actor)
            self._actor = None
        if self._started:
            ray.shutdown()
            self._started = False

    def submit(self, task: RunTask) -> None:
        ref = self._remote.remote(task, self._link)
        self._refs[ref] = task.spec.run_id

    def running(self) -> int:
        return len(self._refs)

    def wait(self, timeout: float) -> list[tuple[str, RunOutcome | BaseException]]:
        if not self._refs:
            return []
        ray = self._ray
        refs = list(self._refs)
        ready, _ = ray.wait(refs, num_returns=1, timeout=timeout)
        if ready:  # and whatever else has finished meanwhile
            ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        out: list[tuple[str, RunOutcome | BaseException]] = []
        for ref in ready:
            run_id = self._refs.pop(ref)
            try:
                out.append((run_id, ray.get(ref)))
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # the task or its worker failed: the driver retries
                out.append((run_id, exc))
            self.forget(run_id)
        return out

    def forget(self, run_id: str) -> None:
        """Return whatever permits the run still holds (its worker may have died)."""
        if self._actor is not None:
            self._actor.release_all.remote(run_id)

    def stats(self) -> dict[str, Any] | None:
        if self._actor is None:
            return None
        return self._ray.get(self._actor.stats.remote())
