"""A network backend for httpx tests of the SSRF guard: it connects for real, but only to loopback,
and fails the test if the guard ever lets a connection to another address through."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

import httpcore
import pytest


class LoopbackOnlyBackend(httpcore.AsyncNetworkBackend):
    """Connects for real, but only to loopback; records every address it was asked for."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int]] = []
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None, socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        self.asked.append((host, port))
        if not ipaddress.ip_address(host).is_loopback:
            pytest.fail(f"the guard let a connection to {host} through")
        return await self._real.connect_tcp(host, port, timeout=timeout, local_address=local_address,
                                            socket_options=socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
