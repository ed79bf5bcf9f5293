"""Call records returned by the work that made them, not by a buffer someone must drain.

``with collect_calls() as calls:`` opens a collector for the current task and every task it starts
(a context variable): each model call made inside the block, by any ``ModelClient`` (the agents'
and the judge's alike), lands in it, numbered (``seq``) in the order the requests were issued.
A tick opens one and returns ``calls.take()`` in its record; a failed tick takes what is left and
logs it (those calls were made, maybe paid for). A collector opened inside another one (an
interview inside end-of-run interviews) keeps its own list and hands every record to the outer one
too, numbered by the outermost, so nesting changes no recorded ``seq``.

Calls made where no collector is open go to the client's own ``CallLog`` (``client.drain_calls``),
for scripts and tests that call a client directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sandbox.store.records import LLMCallRecord


class CallLog:
    """Call records, numbered in the order their requests were issued (by the outermost log)."""

    def __init__(self, parent: CallLog | None = None) -> None:
        self.calls: list[LLMCallRecord] = []
        self.seq = 0
        self.parent = parent

    def next_seq(self) -> int:
        if self.parent is not None:
            return self.parent.next_seq()
        seq, self.seq = self.seq, self.seq + 1
        return seq

    def add(self, record: LLMCallRecord) -> None:
        self.calls.append(record)
        if self.parent is not None:
            self.parent.add(record)

    def records(self) -> list[LLMCallRecord]:
        """The records so far, in the order the requests were issued."""
        return sorted(self.calls, key=lambda c: c.seq)

    def take(self) -> list[LLMCallRecord]:
        """Hand over the records so far (in issue order) and forget them; numbering goes on."""
        calls, self.calls = self.records(), []
        return calls


_OPEN: ContextVar[CallLog | None] = ContextVar("sandbox_open_call_log", default=None)


def open_call_log() -> CallLog | None:
    """The innermost collector open in this task, if any."""
    return _OPEN.get()


@contextmanager
def collect_calls() -> Iterator[CallLog]:
    """Collect the records of every model call made inside the block (see the module's doc)."""
    log = CallLog(parent=_OPEN.get())
    token = _OPEN.set(log)
    try:
        yield log
    finally:
        _OPEN.reset(token)
