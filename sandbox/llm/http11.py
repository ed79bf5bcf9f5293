"""A small HTTP/1.1 client on asyncio streams: POST a JSON body, read the answer, keep the
connection for the next request.

It exists for speed: httpx/httpcore spend milliseconds of CPU per request (their pool checks every
idle connection's socket on every request and answer), which, serial on one event loop, is what
bounded a tick of hundreds of agents. This client does one write per request and reads the status
line, headers and a ``Content-Length`` or chunked body; nothing else (no proxies, no compression,
no redirects), which is all an OpenAI-compatible server needs.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_HEADER_LINES = 100


class HTTPError(Exception):
    """The exchange failed below HTTP (connection refused or closed, malformed answer)."""


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    def usable(self) -> bool:
        """Still open: the server has not closed it while it was idle."""
        return not (self.reader.at_eof() or self.writer.is_closing())

    def close(self) -> None:
        self.writer.close()


class ConnectionPool:
    """Kept-alive connections to one server (``base_url``), at most ``limit`` at once; for use on
    one event loop. ``connections_opened`` counts the TCP connections made."""

    def __init__(
        self, base_url: str, headers: dict[str, str], limit: int, timeout: float | None = None
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.path = parts.path.rstrip("/")
        self.ssl = _tls_context() if parts.scheme == "https" else None
        self.timeout = timeout  # seconds for connecting, and for each exchange
        default_port = self.port == (443 if self.ssl else 80)
        host = self.host if default_port else f"{self.host}:{self.port}"
        self._head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": host, **headers}.items())
        self._idle: deque[_Connection] = deque()
        self._slots = asyncio.Semaphore(limit)
        self.connections_opened = 0

    async def post(self, path: str, body: bytes) -> Response:
        """POST ``body`` to ``<base path><path>``; raises ``HTTPError``, ``OSError``,
        ``EOFError`` (an answer cut short) or ``TimeoutError`` (``timeout`` passed while connecting
        or waiting for the answer; waiting for a free connection does not count)."""
        request = (
            f"POST {self.path}{path} HTTP/1.1\r\n{self._head}Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        async with self._slots:
            while self._idle:
                conn = self._idle.pop()
                if not conn.usable():
                    conn.close()
                    continue
                try:
                    async with asyncio.timeout(self.timeout):
                        return await self._exchange(conn, request)
                except _StaleConnection:
                    continue  # closed by the server as we reused it: nothing was answered
            try:
                async with asyncio.timeout(self.timeout):
                    conn = await self._open()
                    return await self._exchange(conn, request, fresh=True)
            except _StaleConnection:
                raise HTTPError("the server closed the connection without answering") from None

    async def _open(self) -> _Connection:
        reader, writer = await asyncio.open_connection(
            self.host, self.port, ssl=self.ssl, server_hostname=self.host if self.ssl else None
        )
        self.connections_opened += 1
        return _Connection(reader, writer)

    async def _exchange(self, conn: _Connection, request: bytes, fresh: bool = False) -> Response:
        ok = False
        try:
            conn.writer.write(request)
            await conn.writer.drain()
            status_line = await conn.reader.readline()
            if not status_line:
                raise _StaleConnection()
            response, keep = await _read_response(conn.reader, status_line)
            ok = keep
            return response
        except (ConnectionResetError, BrokenPipeError) as exc:
            if fresh:
                raise
            raise _StaleConnection() from exc
        finally:
            if ok:
                self._idle.append(conn)
            else:
                conn.close()

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()


def _tls_context() -> ssl.SSLContext:
    """Certificate checks against certifi's CAs when installed (as with httpx), else the system's."""
    try:
        import certifi
    except ImportError:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


class _StaleConnection(Exception):
    """A reused connection was closed before any answer came back."""


async def _read_response(reader: asyncio.StreamReader, status_line: bytes) -> tuple[Response, bool]:
    """The response after its status line, and whether the connection can be reused."""
    try:
        version, status, *reason = status_line.decode("latin-1").split(" ", 2)
        code = int(status)
    except ValueError:
        raise HTTPError(f"not an HTTP status line: {status_line[:60]!r}") from None
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADER_LINES):
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    else:
        raise HTTPError("too many header lines")
    keep = version.upper() == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif code in (204, 304) or 100 <= code < 200:
        body = b""
    else:  # delimited by the end of the connection
        body, keep = await reader.read(), False
    reason_text = reason[0].strip() if reason else ""
    return Response(code, reason_text, headers, body), keep


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readline()
        try:
            size = int(size_line.split(b";")[0].strip(), 16)
        except ValueError:
            raise HTTPError(f"bad chunk size line: {size_line[:40]!r}") from None
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readline()  # the CRLF after the chunk
