"""Fixtures of the fetch / parse / health tests: a threaded local HTTP server, the shared real feeds."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from feedscrub.settings import FetchSettings

REALFEEDS = Path(__file__).parents[2] / ".." / "shared" / "realfeeds"


@pytest.fixture(scope="session")
def realfeeds_dir() -> Path:
    if not (REALFEEDS / "MANIFEST.jsonl").is_file():
        pytest.skip(f"the shared real-feed corpus is not there ({REALFEEDS.resolve()}); it lives in ../shared/realfeeds")
    return REALFEEDS


@pytest.fixture(scope="session")
def realfeeds_manifest(realfeeds_dir: Path) -> list[dict[str, Any]]:
    lines = (realfeeds_dir / "MANIFEST.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="session")
def _threaded_server() -> Iterator[HTTPServer]:
    # threaded, so a stalled or endless response does not block the other requests of a test
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def feed_server(_threaded_server: HTTPServer) -> Iterator[HTTPServer]:
    """A local HTTP server (pytest-httpserver), its handlers cleared after each test."""
    yield _threaded_server
    _threaded_server.clear()


@pytest.fixture
def fast_settings() -> FetchSettings:
    """Short timeouts so hostile endpoints fail within a fraction of a second."""
    return FetchSettings(
        connect_timeout_s=1.0,
        read_timeout_s=0.3,
        total_timeout_s=3.0,
        max_bytes=1024 * 1024,
        max_redirects=3,
        concurrency=8,
        per_host_concurrency=4,
        backoff_base_s=60,
        backoff_max_s=3600,
    )


@pytest.fixture
def dead_url() -> str:
    """An http URL on a local port nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"
