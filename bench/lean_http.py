"""A lean HTTP/1.1 keep-alive client for load generators on this two-core machine.

httpx's async client spends more CPU per request than the server it measures: at 32
concurrent requests on two cores it managed about 120 requests a second against a
``/healthz`` that answers 3,700 a second to a raw socket, so its own queueing was most of
what a benchmark timed. One ``Connection`` is one simulated person's browser: one socket,
kept alive, reopened when the server closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json as jsonlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Reply:
    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class Connection:
    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, json: Any = None, headers: dict[str, str] | None = None
    ) -> Reply:
        """Send one request and read its whole answer; one retry on a connection the server
        closed while it was idle (keep-alive timeout)."""
        body = b"" if json is None else jsonlib.dumps(json).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines.append(f"Content-Length: {len(body)}")
        if json is not None:
            lines.append("Content-Type: application/json")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        message = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        for attempt in (1, 2):
            fresh = self._writer is None
            if fresh:
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            assert self._reader is not None and self._writer is not None
            try:
                self._writer.write(message)
                await self._writer.drain()
                return await self._read(self._reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if fresh or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return await self.request("GET", path, headers=headers)

    async def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None) -> Reply:
        return await self.request("POST", path, json=json, headers=headers)

    async def _read(self, reader: asyncio.StreamReader) -> Reply:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        pairs = (line.partition(":") for line in head[1:] if line)
        fields = {k.strip().lower(): v.strip() for k, _, v in pairs}
        if fields.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                chunk = await reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            content = b"".join(chunks)
        else:
            content = await reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return Reply(status, content)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None
