"""The real ingest (``run_shard`` in a child process) killed with SIGKILL mid-run, then run again; and
two runs over the same feeds at once. Zero articles lost, zero duplicated, on a real SQLite file and
on PostgreSQL (a throwaway schema).

The child runs with the near-duplicate index installed, so its tables are checked as well.
The feeds come from ``feed_farm.py``: 40 feeds × 8 items on 127.0.0.1, each response 0.3 s late,
at most 2 requests at once (``per_host_concurrency``), so a run takes ~6 s and is killed while
feeds are still being fetched and written. The child is ``shard_child.py`` (no Prefect).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from feed_farm import FeedFarm
from feedscrub.sinks.neardup import BANDS

CHILD = Path(__file__).with_name("shard_child.py")
PG_BASE = os.environ.get("FEEDSCRUB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
FEEDS, ITEMS = 40, 8


# --- stores --------------------------------------------------------------------------------------


class SqliteStore:
    def __init__(self, tmp_path: Path) -> None:
        self.path = tmp_path / "store" / "feedscrub.db"
        self.url = f"sqlite:///{self.path}"

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if not self.path.exists():
            return []
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            return conn.execute(sql).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
        finally:
            conn.close()


class PostgresStore:
    def __init__(self, url: str) -> None:
        self.url = url

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url) as conn:
            try:
                return conn.execute(sql).fetchall()
            except psycopg.errors.UndefinedTable:
                return []


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    try:
        import psycopg

        psycopg.connect(PG_BASE, connect_timeout=3).close()
    except Exception as exc:
        pytest.skip(f"PostgreSQL at {PG_BASE} is unreachable: {exc}")
    schema = f"fs_crash_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_BASE else "?"
    try:
        yield f"{PG_BASE}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        return SqliteStore(tmp_path)
    return PostgresStore(request.getfixturevalue("pg_schema_url"))


@pytest.fixture
def farm() -> Iterator[FeedFarm]:
    with FeedFarm(feeds=FEEDS, items=ITEMS, delay_s=0.3) as f:
        yield f


# --- the child run ---------------------------------------------------------------------------------


def start_run(store: Any, farm: FeedFarm, tmp_path: Path, **extra: Any) -> subprocess.Popen[str]:
    args = {
        **extra,
        "store": store.url,
        "feeds": [farm.url(n) for n in range(farm.feeds)],
        "batch_size": 4,
        "per_host": 2,
        "near_duplicate_threshold": 0.4,  # the index's tables are checked too
    }
    env = {**os.environ, "FEEDSCRUB_SPOOL_DIR": str(tmp_path / "spool")}
    env.pop("PREFECT_API_URL", None)
    return subprocess.Popen(
        [sys.executable, str(CHILD), json.dumps(args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[dict[str, Any], str]:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1]), err


def stored_count(store: Any) -> int:
    rows = store.rows("SELECT count(*) FROM articles")
    return int(rows[0][0]) if rows else 0


def assert_every_item_stored_once(store: Any, farm: FeedFarm) -> None:
    served = farm.served()
    pairs = store.rows("SELECT feed_url, guid FROM articles")
    assert len(pairs) == len(set(pairs)) == len(served)  # nothing duplicated by (feed_url, guid)
    assert set(pairs) == served  # nothing lost, nothing invented
    assert store.rows("SELECT count(*), count(DISTINCT id) FROM articles") == [(len(served), len(served))]
    assert store.rows("SELECT count(*) FROM raw_items") == [(len(served),)]  # every row has its raw item
    # the near-duplicate index: one signature and BANDS band keys per article, none left over
    assert store.rows("SELECT count(*), count(DISTINCT article_id) FROM near_dup_signatures") == [
        (len(served), len(served))
    ]
    assert store.rows("SELECT count(*) FROM near_dup_bands") == [(len(served) * BANDS,)]
    assert store.rows("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL") == [(0,)]


# --- SIGKILL mid-run ---------------------------------------------------------------------------------


def test_killed_mid_run_then_run_again_loses_and_duplicates_nothing(
    store: Any, farm: FeedFarm, tmp_path: Path
) -> None:
    """SIGKILL while the 21st batch (4 articles) is applied but not committed, feeds still being
    fetched; the next run must store exactly the rest, nothing twice, nothing half-written."""
    total, hang_at, batch = FEEDS * ITEMS, 21, 4
    marker = tmp_path / "inside-write"
    proc = start_run(store, farm, tmp_path, hang_at_write=hang_at, marker=str(marker))
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert proc.poll() is None, (
            f"the run ended before it could be killed: {proc.communicate()[1][-2000:]}"
        )
        assert time.monotonic() < deadline, "the run did not reach its 21st write in 30 s"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    time.sleep(0.2)  # PostgreSQL notices the dead client and rolls its transaction back
    at_kill = stored_count(store)
    assert at_kill == (hang_at - 1) * batch  # the killed transaction left nothing behind
    if isinstance(store, SqliteStore):
        assert store.rows("PRAGMA integrity_check") == [("ok",)]

    report, err = finish(start_run(store, farm, tmp_path))
    assert report["failed"] == [] and report["rejected"] == report["spooled"] == 0, report
    assert "database is locked" not in err
    assert report["new"] == total - at_kill  # the second run stored exactly what the first had not
    assert report["updated"] == 0  # and rewrote nothing the first had stored
    assert_every_item_stored_once(store, farm)
    print(f"killed with {at_kill}/{total} stored; the second run stored {report['new']} more")


# --- two runs at once ------------------------------------------------------------------------------


def test_two_overlapping_runs_store_everything_once(store: Any, farm: FeedFarm, tmp_path: Path) -> None:
    total = FEEDS * ITEMS
    runs = [start_run(store, farm, tmp_path), start_run(store, farm, tmp_path)]
    results = [finish(p) for p in runs]
    for report, err in results:
        assert "database is locked" not in err, err[-2000:]
        assert report["failed"] == [] and report["rejected"] == report["spooled"] == 0, report
        assert report["feeds"] == FEEDS
    # each article was inserted by exactly one of the two runs and found unchanged by the other
    assert sum(r["new"] for r, _ in results) == total
    assert sum(r["unchanged"] for r, _ in results) == total
    assert sum(r["duplicates"] + r["updated"] for r, _ in results) == 0
    assert_every_item_stored_once(store, farm)
