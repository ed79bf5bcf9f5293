"""The error policy of a run: stop once too large a share of its model calls failed.

A failed call (``llm_calls.error_type`` set: an answer that never validated, or a call that failed
otherwise) is recorded and the run goes on, but a run in which most calls fail measures nothing. So
after each committed tick, once ``MIN_CALLS`` calls were made, and again at the end, the share of
failed calls is compared with ``max_error_rate`` (``--max-error-rate``, default 0.2); above it the
run stops as ``failed`` with the counts in one line. Calls of earlier sessions of a resumed run
count too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.errors import ErrorRateError
from sandbox.store.queries import CallCounts
from sandbox.store.records import LLMCallRecord

MIN_CALLS = 20  # judging the share on fewer calls would stop runs on their first failure


@dataclass
class CallTally:
    max_error_rate: float
    calls: int = 0
    failed: int = 0
    first_error: str | None = None

    @classmethod
    def resumed(cls, recorded: CallCounts, max_error_rate: float) -> CallTally:
        """A tally that starts from the calls a trajectory file already holds (a resumed run)."""
        return cls(max_error_rate, recorded.calls, recorded.failed, recorded.first_error)

    def add(self, calls: list[LLMCallRecord]) -> None:
        for c in calls:
            self.calls += 1
            if c.error_type is not None:
                self.failed += 1
                if self.first_error is None:
                    self.first_error = f"{c.error_type}: {c.error}"

    @property
    def share(self) -> float:
        return self.failed / self.calls if self.calls else 0.0

    def check(self, *, final: bool = False) -> None:
        """Raise ``ErrorRateError`` when the share of failed calls is above the limit (judged
        once ``MIN_CALLS`` calls were made, and at the end of the run whatever their number)."""
        if self.failed == 0 or (self.calls < MIN_CALLS and not final):
            return
        if self.share > self.max_error_rate:
            raise ErrorRateError(self.message())

    def message(self) -> str:
        first = (self.first_error or "").splitlines()[0][:200] if self.first_error else ""
        return (
            f"{self.failed} of {self.calls} model calls failed ({self.share:.0%}, above "
            f"--max-error-rate {self.max_error_rate:g}); first: {first}. Check the model and "
            "server (llm_calls.error has every failure), or raise --max-error-rate"
        )
