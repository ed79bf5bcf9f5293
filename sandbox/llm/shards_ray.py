"""Decide shards held by Ray actors: the same ``ShardPool`` as the local processes, on a cluster.

Each actor builds its ``ModelClient`` once from the pool's spec and answers chunks of a batch
(``sandbox.llm.shards``). Ray is imported only when the pool starts. Without a running Ray
instance in this process, ``ray.init()`` starts a local one, or joins the cluster that
``RAY_ADDRESS`` names; its nodes need this package installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.errors import ConfigError, ShardError
from sandbox.llm.shards import START_TIMEOUT_S, Batch, Shard, ShardPool

if TYPE_CHECKING:
    from sandbox.llm.client import ModelClient


class ShardActor:
    """One shard: a worker-side ``Shard`` in a Ray actor."""

    def __init__(self, spec_bytes: bytes) -> None:
        self.shard = Shard(spec_bytes)

    def ready(self) -> bool:
        return True

    def handle(self, payload: bytes) -> bytes:
        return self.shard.handle(payload)


class RayShards(ShardPool):
    kind = "ray"

    def __init__(self, client: ModelClient, workers: int) -> None:
        super().__init__(client, workers)
        try:
            import ray
        except ImportError:
            raise ConfigError(
                "--decide-pool ray needs Ray, which is not installed; install the ray extra: "
                "pip install -e '.[ray]'"
            ) from None
        self._ray = ray
        if not ray.is_initialized():
            ray.init(log_to_driver=False)
        actor = ray.remote(num_cpus=1, max_restarts=0)(ShardActor)
        self._actors: list[Any] = [actor.remote(self.spec_bytes) for _ in range(workers)]
        # Start-up is paid while the run is set up, and an actor that cannot start says so now.
        try:
            ray.get([a.ready.remote() for a in self._actors], timeout=START_TIMEOUT_S)
        except (ray.exceptions.RayError, TimeoutError) as exc:
            self.close()
            raise ShardError(
                f"the {workers} decide actors did not start ({str(exc).splitlines()[0]}); "
                "check the Ray cluster's free CPUs, or run without --decide-workers"
            ) from None

    def _begin(self, tick: int | None) -> Batch:
        return _RayBatch(self, tick)

    def close(self) -> None:
        if self.closed and not self._actors:
            return
        super().close()
        for actor in self._actors:
            self._ray.kill(actor)
        self._actors = []


class _RayBatch(Batch):
    """Blocks go out as actor calls at once (an actor answers its calls in order)."""

    def __init__(self, pool: RayShards, tick: int | None) -> None:
        self.pool, self.tick = pool, tick
        self.refs: list[Any] = []

    def submit(self, worker: int, payload: bytes) -> None:
        self.refs.append(self.pool._actors[worker].handle.remote(payload))

    async def finish(self) -> list[bytes]:
        import asyncio

        ray = self.pool._ray
        try:
            return list(await asyncio.gather(*self.refs))
        except ray.exceptions.RayActorError as exc:
            self.pool.closed = True
            raise ShardError(
                f"a decide actor died while answering tick {self.tick}'s requests "
                f"({str(exc).splitlines()[0]}); that tick was not committed, the ones before it "
                "are intact: resume the run (sandbox run --resume RUN)"
            ) from None
