"""No prompt an agent (or the model asked about a population) reads carries an identifier, a trait
label or a personality nickname it should not see.

Every shipped experiment and world is run offline for a few ticks with small samples, every shipped
persona bank is put into a small world in each wording style, and every prompt is read back from the
recorded ``llm_calls``.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
import yaml

from sandbox.personas.banks import load_bank
from sandbox.runner.experiment import arun_experiment
from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.store.reader import RunReader
from sandbox.world.config import WorldConfig, load_world
from tests.conftest import ROOT

EXPERIMENTS = sorted(
    p
    for p in (ROOT / "experiments").glob("*.yaml")
    if "experiment" in (yaml.safe_load(p.read_text()) or {})
    if isinstance(yaml.safe_load(p.read_text()), dict)
)
WORLDS = sorted((ROOT / "worlds").glob("*.yaml"))
BANKS = sorted((ROOT / "personas").glob("*.y*ml")) + sorted((ROOT / "personas").glob("*.jsonl"))

NICKNAMES = [
    "Architect",
    "Logician",
    "Commander",
    "Debater",
    "Advocate",
    "Mediator",
    "Protagonist",
    "Campaigner",
    "Logistician",
    "Defender",
    "Executive",
    "Consul",
    "Virtuoso",
    "Adventurer",
    "Entrepreneur",
    "Entertainer",
]
LEAKS: dict[str, re.Pattern[str]] = {
    "uuid": re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
    "gss id": re.compile(r"gss[ _]?id", re.I),
    "age band": re.compile(r"age[ _]band", re.I),
    "binary": re.compile(r"\bbinary\b", re.I),
    "trait code": re.compile(r"(?<![A-Za-z])(?:[EACNO][+-]){2,5}"),
    "MBTI type": re.compile(r"\b[EI][SN][TF][JP]\b"),
    "nickname": re.compile(r"\b(?:" + "|".join(NICKNAMES) + r")s?\b", re.I),
    "study": re.compile(r"taking part in a study", re.I),
}
# Words that are also nicknames but are ordinary occupations in the shipped worlds.
ALLOWED = {"works as architect"}


def leaks(text: str) -> list[str]:
    for phrase in ALLOWED:
        text = text.replace(phrase, "")
    found = []
    for label, pattern in LEAKS.items():
        match = pattern.search(text)
        if match:
            lo = max(0, match.start() - 40)
            found.append(f"{label}: ...{text[lo : match.end() + 40]}...")
    return found


def prompts_of(run_dir: Path) -> list[tuple[str, str]]:
    """(purpose, text) of every message sent to a model in a run."""
    out = []
    with RunReader(run_dir) as reader:
        for call in reader.rows("llm_calls"):
            for message in json.loads(call["messages"] or "[]"):
                out.append((call["purpose"], str(message.get("content", ""))))
    return out


def assert_clean(prompts: list[tuple[str, str]], where: str) -> None:
    assert prompts, f"{where}: no prompt was recorded"
    bad = [f"{purpose}: {hit}" for purpose, text in prompts for hit in leaks(text)]
    assert not bad, f"{where}: {len(bad)} leak(s), first: " + "\n".join(bad[:5])


def _small_experiment(path: Path, tmp_path: Path) -> Path:
    config = yaml.safe_load(path.read_text())
    config["bank"] = str((path.parent / config.get("bank", "../personas/gss_bank.jsonl")).resolve())
    if "topics_file" in config:
        config["topics_file"] = str((path.parent / config["topics_file"]).resolve())
    if "directions_file" in config:
        config["directions_file"] = str((path.parent / config["directions_file"]).resolve())
    if "situations_file" in config:
        config["situations_file"] = str((path.parent / config["situations_file"]).resolve())
    if config["experiment"] == "trust":
        config.update(personas=12, min_per_level=1, rounds=2, archetypes=[3])
        config["attributes"] = ["age_band", "openness", "political_views"]
    elif config["experiment"] == "tom_inner_speech":
        config.update(dyads=2, turns=4)
    elif config["experiment"] == "trait_expression":
        config.update(traits=["openness", "extraversion"], intensities=["very"], turns=1)
        config.pop("bank")  # role cards, no bank
    else:
        config["personas"] = 8
    if config["experiment"] == "personality_interview":
        config.update(ticks=2, strategies=["generative_agents", "emotional_ca"])
    small = tmp_path / path.name
    small.write_text(yaml.safe_dump(config))
    return small


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiment_prompts_leak_nothing(path, tmp_path):
    folder = asyncio.run(
        arun_experiment(_small_experiment(path, tmp_path), RunSettings(out=tmp_path / "runs"))
    )
    prompts = [x for run in sorted(folder.iterdir()) if run.is_dir() for x in prompts_of(run)]
    assert_clean(prompts, path.name)


@pytest.mark.parametrize("path", WORLDS, ids=lambda p: p.stem)
def test_world_prompts_leak_nothing(path, tmp_path):
    run = Run.create(load_world(path), RunSettings(out=tmp_path, ticks=3))
    run.run()
    run.close()
    assert_clean(prompts_of(run.directory), path.name)


@pytest.mark.parametrize("style", ["biography", "nine_level", "binary"])
@pytest.mark.parametrize("bank", BANKS, ids=lambda p: p.stem)
def test_bank_personas_leak_nothing(bank, style, tmp_path):
    people = load_bank(bank)[:16]
    world = WorldConfig(
        name=f"bank {bank.stem}",
        seed=1,
        ticks=1,
        persona_style=style,
        places=[{"name": "hall", "description": "A community hall."}],
        agents=[{"start": "hall", "persona": p.model_dump()} for p in people],
    )
    run = Run.create(world, RunSettings(out=tmp_path))
    run.run()
    run.close()
    assert_clean(prompts_of(run.directory), f"{bank.name} ({style})")


def test_the_checks_catch_what_they_should():
    assert leaks("You are binary E+A+C+N+O+.")
    assert leaks("gss id: 0023952f-142e-434b-82e2-7a7451b7c55f")
    assert leaks("Felix is a debater who loves arguing")
    assert leaks("You are role-playing the person described below, taking part in a study.")
    assert not leaks("Who you are: Maya (29 years old, works as barista).")
