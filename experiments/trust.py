"""The trust studies of Mannekote et al. (2025), runnable as a script.

    python experiments/trust.py population [--model MODEL] [--api-base URL] [--out runs]
    python experiments/trust.py conditioning
    python experiments/trust.py forecast

Each reads experiments/trust_<study>.yaml (or --config), writes a folder of runs under runs/,
prints the study's tables and writes its figures into that folder. The same studies run with
``sandbox run experiments/trust_<study>.yaml``.
"""

from pathlib import Path

from sandbox.scripts import experiment_main

HERE = Path(__file__).resolve().parent
STUDIES = {s: HERE / f"trust_{s}.yaml" for s in ("population", "conditioning", "forecast")}

if __name__ == "__main__":
    raise SystemExit(experiment_main(__doc__.splitlines()[0], STUDIES))
