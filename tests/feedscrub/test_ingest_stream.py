"""Fetch first, then only changed feeds to the workers: what crosses, what is held, what a failure costs.

The feeds are served by ``httpx.MockTransport`` (ETags and 304s like a real server), so these tests
count every request and every chunk without a network.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from feedscrub import ingest
from feedscrub.config import load_settings
from feedscrub.ingest import Chunk, ingest_chunk, ingest_feeds, pipeline_for, run_shard
from feedscrub.settings import FeedSpec, FetchSettings

PARAGRAPHS = [
    "The harbour board approved a new timetable for the island ferry on Monday evening.",
    "Crews will resurface the coastal road between the bridge and the school from next week.",
    "The library extends its evening hours at three branches after a vote by the council.",
    "Divers will inspect the timber piles under the old fish market before the summer works.",
]


def rss(n: int, items: int = 3) -> str:
    body = "".join(
        f"<item><title>Town {n} notice {i}</title><link>https://town{n}.example/{i}</link><guid>t{n}-{i}</guid>"
        f"<description>&lt;p&gt;Notice {i} of town {n}. {PARAGRAPHS[(n + i) % 4]}&lt;/p&gt;"
        f"&lt;p&gt;{PARAGRAPHS[(n + i + 1) % 4]} Story {n}-{i}.&lt;/p&gt;</description></item>"
        for i in range(items))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Town {n}</title>{body}</channel></rss>'


class Farm:
    """Feeds at http://farm{host}.example/{n}.xml with ETags; counts every request."""

    def __init__(self, feeds: int, hosts: int = 4) -> None:
        self.feeds, self.hosts = feeds, hosts
        self.requests: list[str] = []
        self.lock = threading.Lock()

    def url(self, n: int) -> str:
        return f"http://farm{n % self.hosts}.example/{n}.xml"

    def specs(self) -> list[FeedSpec]:
        return [FeedSpec(url=self.url(n), name=f"town-{n}") for n in range(self.feeds)]

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(str(request.url))
        n = int(request.url.path.strip("/").split(".")[0])
        etag = f'"v1-{n}"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"ETag": etag})
        return httpx.Response(200, text=rss(n), headers={"ETag": etag, "Content-Type": "application/rss+xml"})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


def stored(report) -> int:
    """Articles this run stored (near-copies of another feed's item are stored as duplicates)."""
    return sum(f.new + f.duplicates for f in report.feeds)


def count(db: Path, sql: str = "SELECT count(*) FROM articles") -> int:
    con = sqlite3.connect(db)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


@pytest.fixture
def settings():
    return load_settings().model_copy(update={"fetch": FetchSettings(concurrency=4, per_host_concurrency=2)})


def test_an_all_304_run_sends_nothing_to_the_workers(tmp_path, settings):
    farm = Farm(12)
    store = f"sqlite:///{tmp_path / 'w.db'}"
    first = run_shard(farm.specs(), settings, store, transport=farm.transport())
    assert stored(first) == 36 and {f.status for f in first.feeds} == {"ok"}

    chunks: list[Chunk] = []

    def run_chunk(chunk: Chunk) -> Future:
        chunks.append(chunk)
        raise AssertionError("nothing changed: no chunk expected")

    second = asyncio.run(ingest_feeds(farm.specs(), settings, store, run_chunk, transport=farm.transport()))
    assert chunks == []
    assert [f.status for f in second.feeds] == ["not_modified"] * 12
    assert count(tmp_path / "w.db") == 36


def test_only_changed_feeds_travel_to_workers_in_small_chunks(tmp_path, settings):
    farm = Farm(30)
    store = f"sqlite:///{tmp_path / 'c.db'}"
    seen: list[int] = []
    with ThreadPoolExecutor(1) as pool:

        def run_chunk(chunk: Chunk) -> Future:
            seen.append(len(chunk.feeds))
            assert all(item.result.body for item in chunk.feeds)
            return pool.submit(ingest_chunk, chunk, settings, store)

        report = asyncio.run(ingest_feeds(farm.specs(), settings, store, run_chunk, workers=1, chunk_feeds=5,
                                          transport=farm.transport()))
    assert sum(seen) == 30 and max(seen) <= 5 and len(seen) >= 6
    assert sorted(f.name for f in report.feeds) == sorted(f"town-{n}" for n in range(30))
    assert count(tmp_path / "c.db") == 90


def test_fetching_waits_for_busy_workers_so_memory_is_bounded_by_concurrency(tmp_path, settings):
    """Workers that do not finish stop the fetching: the bodies held are bounded by the fetch window
    (``fetch.concurrency``) plus the chunks in flight, not by the number of feeds."""
    farm = Farm(200)
    store = f"sqlite:///{tmp_path / 'b.db'}"
    held: list[tuple[Chunk, Future]] = []
    release = threading.Event()
    with ThreadPoolExecutor(1) as pool:

        def run_chunk(chunk: Chunk) -> Future:
            def later() -> object:
                release.wait(30)
                return ingest_chunk(chunk, settings, store)

            fut = pool.submit(later)
            held.append((chunk, fut))
            return fut

        result: dict[str, object] = {}
        runner = threading.Thread(target=lambda: result.update(report=asyncio.run(ingest_feeds(
            farm.specs(), settings, store, run_chunk, workers=1, chunk_feeds=5, transport=farm.transport()))))
        runner.start()
        deadline = threading.Event()
        for _ in range(50):  # let the run go as far as it can while no chunk finishes
            before = len(farm.requests)
            deadline.wait(0.1)
            if len(farm.requests) == before and len(held) >= 2:
                break
        stalled_at = len(farm.requests)
        in_flight = len(held)
        release.set()
        runner.join(60)
    # 2 chunks in flight (2 x workers) of <= 5 feeds, one pending chunk, a window of 4 fetches
    assert in_flight == 2
    assert stalled_at <= 2 * 5 + 5 + 4 + 1, stalled_at
    report = result["report"]
    assert len(report.feeds) == 200 and count(tmp_path / "b.db") == 600  # type: ignore[attr-defined]


def test_a_chunk_that_fails_keeps_its_feeds_due_and_loses_nothing(tmp_path, settings, monkeypatch):
    farm = Farm(6)
    store = f"sqlite:///{tmp_path / 'f.db'}"

    def broken(chunk, *a, **k):
        raise OSError("the worker lost its disk")

    monkeypatch.setattr(ingest, "ingest_chunk", broken)
    failed = run_shard(farm.specs(), settings, store, transport=farm.transport())
    assert {f.status for f in failed.feeds} == {"failed"}
    assert {f.error_kind for f in failed.feeds} == {"chunk"}
    assert all("lost its disk" in (f.error or "") and f.consecutive_failures == 1 for f in failed.feeds)
    assert count(tmp_path / "f.db") == 0
    # health remembers the failure, the feed stays due, and no ETag was kept from the lost body
    assert count(tmp_path / "f.db", "SELECT count(*) FROM feeds WHERE last_error_kind = 'chunk' "
                                    "AND next_fetch_at IS NULL AND etag IS NULL") == 6

    monkeypatch.undo()
    farm.requests.clear()
    again = run_shard(farm.specs(), settings, store, transport=farm.transport())
    assert {f.status for f in again.feeds} == {"ok"} and stored(again) == 18
    assert all(f.consecutive_failures == 0 for f in again.feeds)
    assert count(tmp_path / "f.db") == 18


def test_a_feed_whose_storing_fails_is_fetched_whole_next_time(tmp_path, settings, monkeypatch):
    farm = Farm(2)
    store = f"sqlite:///{tmp_path / 's.db'}"
    def disk_full(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest, "_write", disk_full)
    first = run_shard(farm.specs(), settings, store, transport=farm.transport())
    assert {(f.status, f.error_kind) for f in first.feeds} == {("failed", "internal")}
    monkeypatch.undo()
    second = run_shard(farm.specs(), settings, store, transport=farm.transport())
    assert [f.status for f in second.feeds] == ["ok", "ok"]  # not a 304: the body was never stored
    assert count(tmp_path / "s.db") == 6


def test_each_article_is_parsed_as_html_once(tmp_path, settings, monkeypatch):
    """Learned boilerplate counts the text the pipeline converted: no second parse of the HTML."""
    from feedscrub.cleaners import html

    calls = []
    real = html.html_to_text
    monkeypatch.setattr(html, "html_to_text", lambda s: calls.append(1) or real(s))
    farm = Farm(4)
    report = run_shard(farm.specs(), settings, f"sqlite:///{tmp_path / 'h.db'}", transport=farm.transport())
    assert stored(report) == 12
    assert len(calls) == 12


def test_the_pipeline_is_built_once_per_process_and_settings():
    a = load_settings()
    assert pipeline_for(a) is pipeline_for(load_settings())
    other = a.model_copy(update={"cleaning": a.cleaning.model_copy(update={"learned_min_count": 7})})
    assert pipeline_for(other) is not pipeline_for(a)
    assert pipeline_for(other).settings.learned_min_count == 7
