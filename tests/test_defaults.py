"""Run defaults come from one module: settings, model layer and command line agree with it."""

import inspect

from sandbox import defaults
from sandbox.cli import RunOptions, _settings, run
from sandbox.cli_sweep import sweep
from sandbox.llm.ask import Ask
from sandbox.llm.client import ModelClient
from sandbox.llm.factory import make_backend, make_client
from sandbox.llm.heuristic import HeuristicBackend
from sandbox.llm.litellm_backend import LiteLLMBackend
from sandbox.llm.request import LLMRequest
from sandbox.runner.settings import RunSettings

LIMITS = {
    "concurrency": defaults.CONCURRENCY,
    "rpm": defaults.RPM,
    "timeout": defaults.TIMEOUT_S,
    "max_retries": defaults.MAX_RETRIES,
}


def default_of(function, name):
    return inspect.signature(function).parameters[name].default


def test_run_settings_take_the_defaults():
    s = RunSettings()
    assert s.model == defaults.OFFLINE_MODEL and str(s.out) == defaults.OUT_DIR
    assert {k: getattr(s, k) for k in LIMITS} == LIMITS
    assert s.max_repairs == defaults.MAX_REPAIRS
    assert s.structured_output == defaults.STRUCTURED_OUTPUT
    assert s.max_error_rate == defaults.MAX_ERROR_RATE
    assert s.cache_path().name == defaults.CACHE_FILE


def test_model_layer_takes_the_defaults():
    for name in ("concurrency", "rpm", "timeout", "max_retries"):
        assert default_of(make_client, name) == LIMITS[name]
    for function in (make_backend, LiteLLMBackend.__init__):
        assert default_of(function, "timeout") == defaults.TIMEOUT_S
        assert default_of(function, "max_retries") == defaults.MAX_RETRIES
    assert default_of(LiteLLMBackend.__init__, "backoff_cap") == defaults.BACKOFF_CAP_S
    client = ModelClient(HeuristicBackend())
    assert client.concurrency == defaults.CONCURRENCY
    assert client.max_repairs == defaults.MAX_REPAIRS
    assert LLMRequest.model_fields["temperature"].default == defaults.TEMPERATURE
    assert Ask(template="t", answer=RunSettings, purpose="p").temperature == defaults.TEMPERATURE


def test_command_line_takes_the_defaults():
    for function in (run, sweep):
        for name in ("concurrency", "timeout", "max_retries"):
            assert default_of(function, name) == LIMITS[name], (function.__name__, name)
    assert default_of(run, "max_error_rate") == defaults.MAX_ERROR_RATE
    # options the command line was not given leave RunSettings' own defaults
    assert _settings(RunOptions()) == RunSettings()
