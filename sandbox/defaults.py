"""Run defaults, in one place: the model, the limits around it, where runs and the cache go.

``RunSettings`` (``sandbox.runner.settings``), the model layer (``llm/factory.py``,
``llm/client.py``, ``llm/litellm_backend.py``, ``llm/ask.py``) and the command line (``cli.py``,
``cli_sweep.py``) all take their defaults from here, so a default changed here changes everywhere,
``--help`` included. Plain constants: importing this module costs nothing (the command line reads
it before any heavy import).
"""

from __future__ import annotations

from typing import Final

OFFLINE_MODEL: Final = "heuristic"  # the deterministic offline backend; any other name is litellm's
TEMPERATURE: Final = 0.7  # sampling temperature of a request that does not set one
CONCURRENCY: Final = 64  # model calls in flight at once, within one run
RPM: Final[float | None] = None  # requests per minute; None: no rate limit
TIMEOUT_S: Final = 60.0  # seconds before one HTTP request to a model times out
MAX_RETRIES: Final = 4  # transport retries (429, 5xx, timeouts, connection errors) per call
BACKOFF_BASE_S: Final = 0.5  # first retry waits about this long, doubling each time
BACKOFF_CAP_S: Final = 30.0  # and never longer than this
MAX_REPAIRS: Final = 2  # turns asking the model to fix an answer that does not fit its schema
STRUCTURED_OUTPUT: Final = "auto"  # auto | json_schema | json_object | prompt (litellm backend)
HTTP_CLIENT: Final = "auto"  # auto | lean | litellm: the path calls to a model server take
MAX_CONNECTIONS: Final = 64  # keep-alive connections of the lean path's shared HTTP client
OUT_DIR: Final = "runs"  # where run directories are created
CACHE_FILE: Final = "cache.sqlite"  # the response cache, inside OUT unless --cache says otherwise
DECIDE_WORKERS: Final = 0  # worker processes a tick's model calls are spread over; 0: none
DECIDE_POOL: Final = "process"  # process (local processes) | ray (Ray actors)
MAX_ERROR_RATE: Final = 0.2  # a run stops as failed once more than this share of its calls failed
