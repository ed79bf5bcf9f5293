"""The error policy: a run whose failed-call share passes --max-error-rate stops as failed with the
counts in one line; a run that completes with failed calls says so and exits 3; never `completed`
with exit 0 when every call failed. Against the fake OpenAI-compatible server through litellm."""

import pytest
from typer.testing import CliRunner

from sandbox.cli import app
from sandbox.errors import ErrorRateError
from sandbox.runner.error_policy import MIN_CALLS, CallTally
from sandbox.runner.summary import summarize
from sandbox.store.reader import RunReader
from sandbox.store.records import LLMCallRecord
from tests.conftest import ROOT

CAFE = ROOT / "worlds" / "cafe.yaml"


def call(failed: bool) -> LLMCallRecord:
    return LLMCallRecord(
        tick=1, seq=0, agent="A", purpose="agent.decide", model="m", backend="b",
        template=None, cache_key="k", cache_hit=False,
        error_type="ModelAnswerError" if failed else None, error="bad" if failed else None,
    )  # fmt: skip


def test_the_share_is_judged_after_enough_calls_and_at_the_end():
    tally = CallTally(0.2)
    tally.add([call(True)])
    tally.check()  # one call: too few to judge mid-run
    with pytest.raises(ErrorRateError, match=r"1 of 1 model calls failed \(100%"):
        tally.check(final=True)
    tally = CallTally(0.2)
    tally.add([call(False)] * (MIN_CALLS - 4) + [call(True)] * 4)  # 20%: not above
    tally.check()
    tally.check(final=True)
    tally.add([call(True)])
    with pytest.raises(ErrorRateError, match="5 of 21 model calls failed"):
        tally.check()
    CallTally(1.0, 10, 10).check(final=True)  # 1 never stops


def run_cli(server, tmp_path, *extra):
    return CliRunner().invoke(
        app,
        [
            "run", str(CAFE), "--model", "openai/fake", "--api-base", server.base_url,
            "--out", str(tmp_path), "--no-cache", "--no-feed", "--ticks", "2",
            "--max-retries", "0", "--timeout", "5", *extra,
        ],
    )  # fmt: skip


def trajectory(tmp_path):
    [path] = tmp_path.glob("*/trajectory.sqlite")
    return path


@pytest.mark.network
@pytest.mark.parametrize("mode", ["garbage", "invalid", "empty"])
def test_a_run_where_every_call_fails_stops_as_failed(fake_server, tmp_path, monkeypatch, mode):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-for-tests")
    fake_server.set_mode(mode)
    result = run_cli(fake_server, tmp_path)
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "error: 12 of 12 model calls failed (100%, above --max-error-rate 0.2)" in text
    assert "Traceback" not in result.output
    with RunReader(trajectory(tmp_path)) as reader:
        meta = reader.run()
        assert meta["status"] == "failed" and "12 of 12 model calls failed" in meta["error"]
        errors = reader.rows("actions", "status = 'error'")
        assert len(errors) == 12 and all(e["value"] is None for e in errors)


@pytest.mark.network
def test_completed_with_failed_calls_exits_3_and_the_summary_counts_them(
    fake_server, tmp_path, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-for-tests")
    fake_server.set_mode("garbage")
    result = run_cli(fake_server, tmp_path, "--max-error-rate", "1")
    assert result.exit_code == 3, result.output
    text = " ".join(result.output.split())
    assert "failed calls" in text and "12 of 12 (llm_calls.error)" in text
    assert "Completed with 12 failed model calls of 12" in text
    summary = summarize(trajectory(tmp_path))
    assert summary.status == "completed" and summary.call_errors == 12


@pytest.mark.network
def test_a_clean_run_exits_0(fake_server, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-for-tests")
    result = run_cli(fake_server, tmp_path)
    assert result.exit_code == 0, result.output
    assert summarize(trajectory(tmp_path)).call_errors == 0


@pytest.mark.network
@pytest.mark.parametrize("rate", ["0.2", "1"])
def test_a_seeded_mix_of_bad_answers_completes_or_stops_in_one_line(
    fake_server, tmp_path, monkeypatch, rate
):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-for-tests")
    fake_server.set_mode("mix:7")
    fake_server.hang_s = 3.0
    result = run_cli(fake_server, tmp_path, "--max-error-rate", rate, "--timeout", "0.5")
    assert "Traceback" not in result.output
    summary = summarize(trajectory(tmp_path))
    if result.exit_code == 1:  # stopped: by the error policy or a server that kept failing
        assert summary.status == "failed"
        assert len([x for x in result.output.splitlines() if x.startswith("error:")]) == 1
    else:
        assert result.exit_code == 3 and summary.status == "completed"
        assert summary.call_errors > 0
        assert summary.call_errors / summary.calls <= float(rate)
