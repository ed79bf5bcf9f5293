"""Debates, classic games and self-report vs behaviour, runnable as a script.

    python experiments/social.py debate [--model MODEL] [--api-base URL] [--out runs]
    python experiments/social.py games
    python experiments/social.py personality_illusion

Each reads experiments/<name>.yaml (or --config), writes a folder of runs under runs/, prints its
tables and writes its figures into that folder. The same with ``sandbox run experiments/<name>.yaml``.
"""

from pathlib import Path

from sandbox.scripts import experiment_main

HERE = Path(__file__).resolve().parent
EXPERIMENTS = {e: HERE / f"{e}.yaml" for e in ("debate", "games", "personality_illusion")}

if __name__ == "__main__":
    raise SystemExit(experiment_main(__doc__.splitlines()[0], EXPERIMENTS))
