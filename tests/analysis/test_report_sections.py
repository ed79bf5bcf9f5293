"""Report sections are found by module: a study's analysis module declares ``REPORTS`` and
``report_section`` and ``experiment_report`` picks it up without being edited."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sandbox.analysis.sections import DEFAULT_ORDER, ReportInput, report_sections


def test_the_built_in_sections_in_report_order() -> None:
    found = [(s.module.rsplit(".", 1)[1], s.scenarios) for s in report_sections()]
    assert found == [
        ("trust", ("trust",)),
        ("character_fidelity", ("character_fidelity",)),
        ("personality_interview", ("open-world",)),
        ("debate", ("debate",)),
        ("tom", ("tom_inner_speech",)),
        ("traits", ("trait_expression",)),
        ("games", ("games",)),
    ]


def _package(root: Path, name: str, modules: dict[str, str]) -> None:
    pkg = root / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for module, text in modules.items():
        (pkg / f"{module}.py").write_text(text)


NEW_STUDY = """
from pathlib import Path

REPORTS = ("my_study",)


def report_section(ctx):
    return {"My study: rows": len(ctx.rs)}, [ctx.folder / "my_study.png"]
"""


def test_a_new_analysis_module_is_picked_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _package(
        tmp_path,
        "extra_analysis",
        {
            "zeta": NEW_STUDY,
            "alpha": 'REPORTS = ("first",)\nREPORT_ORDER = 5\n'
            "def report_section(ctx):\n    return {}, []\n",
            "helpers": "def not_a_section():\n    return None\n",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    sections = report_sections("extra_analysis")
    assert [(s.module, s.scenarios, s.order) for s in sections] == [
        ("extra_analysis.alpha", ("first",), 5),
        ("extra_analysis.zeta", ("my_study",), DEFAULT_ORDER),
    ]
    tables, figures = sections[1].build(
        ReportInput(rs=[1, 2], folder=tmp_path, source=tmp_path)  # type: ignore[arg-type]
    )
    assert tables == {"My study: rows": 2}
    assert figures == [tmp_path / "my_study.png"]
    for name in [m for m in sys.modules if m.startswith("extra_analysis")]:
        del sys.modules[name]  # imported by the test; not left for the next one


def test_reports_without_a_section_function_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _package(tmp_path, "broken_analysis", {"half": 'REPORTS = ("x",)\n'})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(TypeError, match="no report_section"):
        report_sections("broken_analysis")
    for name in [m for m in sys.modules if m.startswith("broken_analysis")]:
        del sys.modules[name]  # imported by the test; not left for the next one


def test_every_reported_scenario_is_one_the_runs_can_name() -> None:
    """A section keyed by a misspelt scenario would silently never run."""
    from sandbox.scenarios.registry import builtin_scenarios
    from sandbox.world.open_world import OpenWorldRules

    known = set(builtin_scenarios()) | {OpenWorldRules.name}
    for section in report_sections():
        assert set(section.scenarios) <= known, section.module
