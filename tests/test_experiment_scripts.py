"""The scripts in experiments/ run as a researcher runs them (a fresh interpreter)."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("script", "name", "expected"),
    [
        ("trust.py", "forecast", "Forecast MAE by horizon"),
        ("social.py", "games", "Games: mean behaviour"),
    ],
)
def test_script_runs_and_reports(tmp_path, script, name, expected):
    out = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / script), name, "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert expected in " ".join(out.stdout.split())
    assert list(tmp_path.glob("*/*.png"))


def test_script_bad_config_is_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("experiment: trust\nstudy: nonsense\n")
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "experiments" / "trust.py"),
            "population",
            "--config",
            str(bad),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1 and "error:" in out.stderr and "Traceback" not in out.stderr
