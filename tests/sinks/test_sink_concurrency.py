"""Overlapping writers (threads and processes) over the same articles leave one row per article."""

from __future__ import annotations

import multiprocessing
import random
import threading
from pathlib import Path
from typing import Any

import pytest
from feedscrub.sinks import WriteStats, open_sink
from sink_factory import make_article, run_together

N = 400


def _write_all(url: str, seed: int, out: dict[int, Any]) -> None:
    arts = [make_article(i, size=300) for i in range(N)]
    random.Random(seed).shuffle(arts)
    stats = WriteStats()
    try:
        with open_sink(url) as sink:  # one sink object per thread, as the flows do
            for i in range(0, N, 50):
                stats.merge(sink.write_articles(arts[i : i + 50]))
        out[seed] = stats
    except BaseException as exc:
        out[seed] = exc


def _run_threads(url: str, n: int = 3) -> dict[int, Any]:
    out: dict[int, Any] = {}
    threads = [threading.Thread(target=_write_all, args=(url, seed, out)) for seed in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


def _assert_one_row_each(url: str, results: dict[int, Any]) -> None:
    for r in results.values():
        assert isinstance(r, WriteStats), r
    new = [i for r in results.values() for i in r.new]
    unchanged = [i for r in results.values() for i in r.unchanged]
    assert len(new) == len(set(new)) == N  # each article inserted exactly once, by one writer
    assert len(unchanged) == N * (len(results) - 1)
    with open_sink(url) as sink:
        assert sink.count_articles() == N
        assert {r["revision"] for r in sink.read_records(include_raw=False)} == {1}


def test_overlapping_threads_sqlite(sqlite_url: str) -> None:
    _assert_one_row_each(sqlite_url, _run_threads(sqlite_url))


@pytest.mark.postgres
def test_overlapping_threads_postgres(pg_url: str) -> None:
    _assert_one_row_each(pg_url, _run_threads(pg_url))


def _process_target(url: str, seed: int, queue: Any) -> None:
    out: dict[int, Any] = {}
    _write_all(url, seed, out)
    r = out[seed]
    queue.put((seed, (r.new, r.unchanged) if isinstance(r, WriteStats) else repr(r)))


def _run_processes(url: str, n: int = 2) -> dict[int, Any]:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_process_target, args=(url, seed, queue)) for seed in range(n)]
    for p in procs:
        p.start()
    results = dict(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(30)
    out: dict[int, Any] = {}
    for seed, r in results.items():
        assert isinstance(r, tuple), r
        out[seed] = WriteStats(new=r[0], unchanged=r[1])
    return out


def test_overlapping_processes_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shared.db"
    _assert_one_row_each(url, _run_processes(url))


@pytest.mark.postgres
def test_overlapping_processes_postgres(pg_url: str) -> None:
    _assert_one_row_each(pg_url, _run_processes(pg_url))


def _race_same_content(url: str) -> list[dict[str, Any]]:
    """Many writers store the same text under different ids at once: exactly one is the original."""
    from dataclasses import replace

    base = make_article(7)
    def writer(k: int, barrier: threading.Barrier) -> None:
        with open_sink(url) as sink:
            barrier.wait()
            sink.write_articles([replace(base, id=f"copy-{k}", feed_url=f"https://f{k}.example/rss")])

    run_together(4, writer)
    with open_sink(url) as sink:
        return list(sink.read_records(include_raw=False))


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_racing_exact_duplicates_have_one_original(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/s.db" if backend == "sqlite" else request.getfixturevalue("pg_url")
    recs = _race_same_content(url)
    originals = [r["id"] for r in recs if r["duplicate_of"] is None]
    assert len(recs) == 4 and len(originals) == 1
    assert {r["duplicate_of"] for r in recs if r["duplicate_of"]} == set(originals)


def test_one_sqlite_sink_shared_by_threads(sqlite_url: str) -> None:
    errors: list[BaseException] = []
    with open_sink(sqlite_url) as sink:

        def writer(k: int) -> None:
            try:
                for i in range(k * 100, k * 100 + 100, 20):
                    sink.write_articles([make_article(j, size=200) for j in range(i, i + 20)])
                    sink.count_articles()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        assert sink.count_articles() == 400
