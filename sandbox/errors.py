"""The exceptions the sandbox raises on purpose.

Every message is written for the researcher: it says what was wrong and how to fix it. The command
line prints ``SandboxError`` messages as one line and exits non-zero; anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations


class SandboxError(Exception):
    """Base class for errors whose message is meant for the user."""


class ConfigError(SandboxError):
    """A world file, persona file or setting is invalid."""


class PersonaError(ConfigError):
    """A persona or persona file is invalid."""


class ModelError(SandboxError):
    """A language-model call failed."""


class ModelUnavailableError(ModelError):
    """The model cannot be reached or is unknown (bad id, server down, auth). Retrying won't help.

    ``attempts`` is the number of HTTP requests made before giving up (transport retries included).
    """

    def __init__(self, message: str, *, attempts: int = 0) -> None:
        super().__init__(message)
        self.attempts = attempts


class ModelAuthError(ModelUnavailableError):
    """The provider refused the credentials (401/403) or none are set. Never retried."""


class ModelAnswerError(ModelError):
    """The model answered, but the answer did not validate against the expected schema.

    Raised after the bounded repair attempts are used up. Carries the raw text for the log.
    """

    def __init__(self, message: str, *, raw: str, purpose: str, agent: str | None) -> None:
        super().__init__(message)
        self.raw = raw
        self.purpose = purpose
        self.agent = agent


class CacheMissError(ModelError):
    """Replay asked for an answer that the recorded run and the cache do not hold."""


class ShardError(SandboxError):
    """A decide worker (``--decide-workers``) died or could not answer its share of a batch."""


class StoreError(SandboxError):
    """A trajectory file is missing, unreadable or of an unknown schema version."""


class PartialTickError(StoreError):
    """A trajectory file holds a tick whose commit did not finish (an older sandbox, killed)."""


class ErrorRateError(ModelError):
    """Too large a share of a run's model calls failed (``--max-error-rate``): the run stops."""


class UnknownNameError(SandboxError, KeyError):
    """A name (an agent's, a place's) that the world does not have. Also a ``KeyError``, so code
    that looks names up with ``except KeyError`` keeps working; the message lists the valid names."""

    def __str__(self) -> str:  # KeyError would quote the message as a repr
        return str(self.args[0]) if self.args else ""


class UnknownAgentError(UnknownNameError):
    """No agent of that name in the world."""


class UnknownPlaceError(UnknownNameError):
    """No place of that name in the world."""
