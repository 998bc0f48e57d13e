"""Fixtures for the sink tests: real SQLite files, a throwaway PostgreSQL schema per test.

PostgreSQL tests use the server at ``FEEDSCRUB_TEST_PG`` (default
``postgresql://postgres@127.0.0.1:5432/test``); each test gets a fresh schema with a random name,
dropped afterwards. Tests marked ``postgres`` skip, with the reason, when the server is unreachable.
The article factory is ``sink_factory.py`` (this folder is put on sys.path for it).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sink_factory import make_article

from feedscrub.models import Article

PG_BASE = os.environ.get("FEEDSCRUB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def articles() -> list[Article]:
    return [make_article(i) for i in range(20)]


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path}/store/feedscrub.db"


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_reachable() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install feedscrub[test])"
    try:
        psycopg.connect(PG_BASE, connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"PostgreSQL at {PG_BASE} is unreachable: {str(exc).strip()}"
    return None


def _with_schema(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The base URL of the test server; skips the test when it cannot be reached."""
    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    yield PG_BASE


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A URL whose search_path is a fresh, empty schema; the schema is dropped after the test."""
    import psycopg

    schema = f"fs_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield _with_schema(pg_server, schema)
    finally:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """Each backend in turn: the same behaviour is asserted against SQLite and PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store/feedscrub.db"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(autouse=True)
def _spool_in_tmp(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never spool into the working tree from a test."""
    monkeypatch.setenv("FEEDSCRUB_SPOOL_DIR", str(tmp_path / "spool"))
