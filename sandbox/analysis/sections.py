"""The report sections of the studies, found by module: how ``experiment_report`` learns them.

An analysis module of ``sandbox.analysis`` that reports a scenario declares it with two names and
needs no other registration (``report.py`` is not edited for a new study):

- ``REPORTS``: the scenario names (``runs.scenario`` in the trajectory) it reports, e.g.
  ``("tom_inner_speech",)``;
- ``report_section(ctx: ReportInput) -> (tables, figures)``: its titled tables (in order) and the
  figures it wrote into ``ctx.folder``.

An optional ``REPORT_ORDER`` (an int, default ``DEFAULT_ORDER``) places the section in the report;
sections come by ``REPORT_ORDER``, then module name. The built-in ones: trust 10,
character_fidelity 20, personality_interview 30, debate 40, tom 50, traits 60, games 70. Finding
them imports the modules of ``sandbox.analysis`` (none has an import-time side effect).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.analysis.runs import RunSet

DEFAULT_ORDER = 1000

Tables = dict[str, Any]
Section = tuple[Tables, list[Path]]


@dataclass(frozen=True)
class ReportInput:
    """What a section may read: the loaded runs, the folder figures go to, where the runs were
    loaded from (a folder or trajectory files), and the personality-directions file, if any."""

    rs: RunSet
    folder: Path
    source: Path | list[Path]
    directions: Path | None = None


@dataclass(frozen=True)
class ReportSection:
    """One analysis module's section: the scenarios it reports and the function that builds it."""

    module: str
    scenarios: tuple[str, ...]
    order: int
    build: Callable[[ReportInput], Section]


def _section(module: ModuleType) -> ReportSection | None:
    scenarios = getattr(module, "REPORTS", None)
    if scenarios is None:
        return None
    build = getattr(module, "report_section", None)
    if not callable(build):
        raise TypeError(
            f"{module.__name__} declares REPORTS but no report_section(ctx) function; "
            "define report_section or remove REPORTS"
        )
    return ReportSection(
        module=module.__name__,
        scenarios=tuple(scenarios),
        order=int(getattr(module, "REPORT_ORDER", DEFAULT_ORDER)),
        build=build,
    )


def report_sections(package: str = "sandbox.analysis") -> list[ReportSection]:
    """The sections declared by the modules of ``package``, in report order."""
    pkg = importlib.import_module(package)
    found = []
    for info in pkgutil.iter_modules(pkg.__path__):
        section = _section(importlib.import_module(f"{package}.{info.name}"))
        if section is not None:
            found.append(section)
    return sorted(found, key=lambda s: (s.order, s.module))
