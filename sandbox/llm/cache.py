"""The content-addressed response cache, and a read-only view of a recorded run's answers."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel

from sandbox.errors import StoreError

BUSY_TIMEOUT_S = 30.0
SETUP_TRIES = 20


def _with_busy_retry(statement: Callable[[], object]) -> None:
    """Run a set-up statement, retrying while another process holds a lock SQLite's busy handler
    does not wait for (switching to WAL, recovering a WAL after a kill)."""
    for attempt in range(SETUP_TRIES):
        try:
            statement()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if attempt == SETUP_TRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


class CachedAnswer(BaseModel):
    """A final answer (validated text) or a final answer error, as first produced."""

    text: str | None
    error_type: str | None = None
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None


class AnswerSource(Protocol):
    def get(self, key: str) -> CachedAnswer | None: ...


class ResponseCache:
    """SQLite-backed cache keyed by ``LLMRequest.cache_key``; shared by every run that points at it.

    Answers are written as soon as they arrive (not at tick commit), so a run killed mid-tick re-uses
    what it had already paid for when it resumes.
    """

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        """``readonly`` opens an existing cache as an answer source only (replay): the file is
        never created, changed or upgraded."""
        self.path = Path(path)
        self.readonly = readonly
        if readonly:
            self._conn = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, check_same_thread=False
            )
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Several processes (a sweep's workers) open one cache at once: wait for each other's
            # locks rather than fail a run on a busy database.
            self._conn = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_S
            )
            _with_busy_retry(lambda: self._conn.execute("PRAGMA journal_mode=WAL"))
            self._conn.execute("PRAGMA synchronous=NORMAL")
            _with_busy_retry(
                lambda: self._conn.execute(
                    "CREATE TABLE IF NOT EXISTS responses ("
                    " key TEXT PRIMARY KEY, model TEXT NOT NULL, purpose TEXT NOT NULL,"
                    " text TEXT, error_type TEXT, error TEXT,"
                    " prompt_tokens INTEGER NOT NULL DEFAULT 0,"
                    " completion_tokens INTEGER NOT NULL DEFAULT 0,"
                    " cost_usd REAL, created REAL NOT NULL)"
                )
            )
        except (OSError, sqlite3.OperationalError, sqlite3.DatabaseError) as exc:
            detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise StoreError(
                f"cannot open the response cache {self.path}: {detail}; give a writable --out "
                "or --cache, or run with --no-cache"
            ) from None

    def get(self, key: str) -> CachedAnswer | None:
        row = self._conn.execute(
            "SELECT text, error_type, error, prompt_tokens, completion_tokens, cost_usd"
            " FROM responses WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        return CachedAnswer(
            text=row[0],
            error_type=row[1],
            error=row[2],
            prompt_tokens=row[3],
            completion_tokens=row[4],
            cost_usd=row[5],
        )

    def put(self, key: str, model: str, purpose: str, answer: CachedAnswer) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO responses VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                key,
                model,
                purpose,
                answer.text,
                answer.error_type,
                answer.error,
                answer.prompt_tokens,
                answer.completion_tokens,
                answer.cost_usd,
                time.time(),
            ),
        )

    def __len__(self) -> int:
        return self._conn.execute("SELECT count(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        self._conn.close()


class RecordedCalls:
    """The answers a run recorded in its own ``llm_calls`` table, as a read-only answer source.

    This makes a run file self-sufficient for replay: ``sandbox replay`` needs nothing but the file.
    """

    def __init__(self, run_file: str | Path) -> None:
        conn = sqlite3.connect(f"file:{Path(run_file)}?mode=ro", uri=True)
        try:
            rows = conn.execute(
                "SELECT cache_key, response, error_type, error, prompt_tokens, completion_tokens,"
                " cost_usd FROM llm_calls ORDER BY id"
            ).fetchall()
        finally:
            conn.close()
        self._answers: dict[str, CachedAnswer] = {}
        for key, text, error_type, error, p_tok, c_tok, cost in rows:
            if error_type is None and text is not None:
                answer = CachedAnswer(text=text)
            elif error_type == "ModelAnswerError":
                # A recorded answer failure replays as the same failure.
                answer = CachedAnswer(text=None, error_type=error_type, error=error)
            else:
                continue  # unavailability and replay misses are not answers
            answer.prompt_tokens, answer.completion_tokens, answer.cost_usd = p_tok, c_tok, cost
            self._answers[key] = answer

    def get(self, key: str) -> CachedAnswer | None:
        return self._answers.get(key)

    def __len__(self) -> int:
        return len(self._answers)
