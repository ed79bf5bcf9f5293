"""How a run is executed: model, server, cache, limits. Everything that is not the world itself."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox import defaults
from sandbox.seeds import Seed

DEFAULT_MAX_ERROR_RATE = defaults.MAX_ERROR_RATE


class RunSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        defaults.OFFLINE_MODEL, description="'heuristic' (offline) or any litellm model id"
    )
    api_base: str | None = Field(None, description="base URL of an OpenAI-compatible server")
    judge_model: str | None = Field(
        None, description="model for judging calls (stance, evaluations); default: the agents'"
    )
    judge_api_base: str | None = Field(
        None, description="server of the judge model (default: the provider's own endpoint)"
    )
    ticks: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(  # world.config.MAX_TICKS
        None, description="overrides the world's (at most 1,000,000)"
    )
    seed: Seed | None = Field(None, description="overrides the world's seed (0 to 2**63 - 1)")
    out: Path = Field(Path(defaults.OUT_DIR), description="where run directories are created")
    cache: Path | None = Field(None, description="response cache file; default OUT/cache.sqlite")
    use_cache: bool = True
    concurrency: Annotated[int, Field(ge=1)] = defaults.CONCURRENCY
    rpm: Annotated[float, Field(gt=0)] | None = defaults.RPM
    timeout: Annotated[float, Field(gt=0)] = defaults.TIMEOUT_S
    max_retries: Annotated[int, Field(ge=0)] = defaults.MAX_RETRIES
    max_repairs: Annotated[int, Field(ge=0)] = defaults.MAX_REPAIRS
    structured_output: Literal["auto", "json_schema", "json_object", "prompt"] = (
        defaults.STRUCTURED_OUTPUT
    )
    http_client: Literal["auto", "lean", "litellm"] = Field(
        defaults.HTTP_CLIENT,
        description="'lean' (one shared httpx client) for an OpenAI-compatible server, 'litellm' "
        "for anything; 'auto': lean for openai/, hosted_vllm/, lm_studio/ and openai_like/ models "
        "with an api_base, else litellm",
    )
    decide_workers: Annotated[int, Field(ge=0, le=256)] = Field(
        defaults.DECIDE_WORKERS,
        description="worker processes a tick's model calls are spread over (offline backends: "
        "heuristic, replay); 0: all in this process",
    )
    decide_pool: Literal["process", "ray"] = Field(
        defaults.DECIDE_POOL,
        description="where the decide workers run: local processes, or Ray actors",
    )
    max_error_rate: Annotated[float, Field(ge=0, le=1)] = Field(
        DEFAULT_MAX_ERROR_RATE,
        description="stop the run as failed once more than this share of its model calls failed "
        "(judged after 20 calls, and at the end); 1 never stops",
    )

    def cache_path(self) -> Path | None:
        if not self.use_cache:
            return None
        return self.cache if self.cache is not None else self.out / defaults.CACHE_FILE
