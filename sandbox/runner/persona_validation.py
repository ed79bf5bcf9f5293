"""The persona validation study: give a questionnaire to every persona of a bank, store it all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from sandbox.agents.survey import SurveyMode, administer
from sandbox.llm.calls import CallLog, collect_calls
from sandbox.llm.client import ModelClient
from sandbox.personas.banks import load_bank
from sandbox.personas.questionnaire import load_instrument
from sandbox.personas.sampling import sample
from sandbox.personas.wording import WordingStyle
from sandbox.runner.run import client_for
from sandbox.runner.settings import RunSettings
from sandbox.store.reader import TRAJECTORY_FILE
from sandbox.store.writer import TrajectoryWriter


class ValidationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instrument: str = "ipip-neo-120"
    mode: SurveyMode = "item"
    batch_size: int = 10
    style: WordingStyle = "nine_level"
    limit: int | None = None
    seed: int = 0
    personas_at_once: int = 8


async def avalidate_bank(
    bank: str | Path,
    settings: RunSettings | None = None,
    validation: ValidationSettings | None = None,
    *,
    directory: str | Path | None = None,
    client: ModelClient | None = None,
    on_persona: Callable[[str], None] | None = None,
) -> Path:
    """Administer the instrument to each persona; returns the run directory."""
    settings = settings or RunSettings()
    validation = validation or ValidationSettings()
    personas = load_bank(bank)
    if validation.limit is not None and validation.limit < len(personas):
        personas = sample(personas, validation.limit, validation.seed)
    instrument = load_instrument(validation.instrument)
    client = client or client_for(settings)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = Path(directory) if directory else settings.out / f"validate-{Path(bank).stem}-{stamp}"
    writer = TrajectoryWriter(run_dir / TRAJECTORY_FILE)
    writer.start_run(
        run_id=run_dir.name,
        config={
            "name": f"persona validation: {Path(bank).name}",
            "kind": "persona-validation",
            "seed": validation.seed,
            "bank": str(bank),
            **validation.model_dump(),
        },
        world_file=None,
        model=client.model_id,
        api_base=settings.api_base,
        ticks_planned=0,
        settings=settings.model_dump(mode="json"),
        personas=[(p, "") for p in personas],
    )
    import asyncio

    calls = CallLog()
    try:
        for start in range(0, len(personas), validation.personas_at_once):
            chunk = personas[start : start + validation.personas_at_once]
            with collect_calls() as calls:
                results = await asyncio.gather(
                    *(
                        administer(
                            p,
                            instrument,
                            client,
                            mode=validation.mode,
                            batch_size=validation.batch_size,
                            style=validation.style,
                            seed=validation.seed,
                        )
                        for p in chunk
                    )
                )
            for result in results:
                writer.record_survey(result.to_record())
                if on_persona is not None:
                    on_persona(result.respondent)
            writer.record_calls(calls.take())
    except BaseException as exc:
        writer.record_calls(calls.take())  # the failed chunk's calls (made, maybe paid for)
        writer.set_status("failed", f"{type(exc).__name__}: {exc}")
        writer.close()
        raise
    writer.set_status("completed")
    writer.close()
    return run_dir
