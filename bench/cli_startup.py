"""Cold-start time of ``sandbox --help`` (a fresh interpreter each run).

python bench/cli_startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    exe = shutil.which("sandbox") or str(
        __import__("pathlib").Path(sys.executable).with_name("sandbox")
    )
    subprocess.run([exe, "--help"], capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run([exe, "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    print(
        f"sandbox --help over {args.runs} runs: median {statistics.median(times):.3f} s, "
        f"min {min(times):.3f} s, max {max(times):.3f} s (aim: under 0.5 s)"
    )


if __name__ == "__main__":
    main()
