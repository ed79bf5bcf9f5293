"""Sweeps: conditions x models x seeds as independent runs, on a local process pool or Ray.

    from sandbox.runner.sweep import sweep
    result = sweep("experiments/trust_population.yaml", "runs/trust-sweep", seeds=5)

- ``grid``: an experiment or world file -> one ``RunSpec`` per condition, model and seed;
- ``ids``: the run id, derived from the resolved config, model and seed;
- ``worker``: executes one run in a worker process (create, or resume from the last tick);
- ``limiter``: one in-flight and per-minute limit on model calls across all workers, leased in
  blocks from a central bank (a manager process locally, a named actor on Ray);
- ``local`` and ``ray``: the executors; ``driver``: the manifest-keeping loop over either.

Nothing heavy is imported here; Ray is imported only by the ``ray`` executor.
"""

from sandbox.runner.sweep.driver import SweepOptions, SweepResult, run_sweep, sweep
from sandbox.runner.sweep.grid import RunSpec, plan_grid

__all__ = ["RunSpec", "SweepOptions", "SweepResult", "plan_grid", "run_sweep", "sweep"]
