"""PostgreSQL going away in the middle of a run, through a real server: a TCP proxy (``tcp_proxy.py``)
sits between the sink and PostgreSQL and is cut and restored, so the shared server keeps running.

What is proven: a short outage is bridged by retries with backoff; a connection cut inside a
write transaction loses nothing (the server rolls the batch back, the sink retries, then spools);
what cannot be written is spooled to a local file and replayed by the next ``open()``; after the
replay every article is stored exactly once (by id and by (feed_url, guid)), equal to what was
written, at revision 1, with one near-duplicate signature each.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from feedscrub.sinks.neardup import NearDuplicateIndex
from feedscrub.sinks.postgres import PostgresSink
from sink_factory import make_article
from tcp_proxy import TcpProxy

from feedscrub.errors import StoreError

pytestmark = pytest.mark.postgres


@pytest.fixture
def proxied(pg_url: str) -> Any:
    """(proxy, URL through the proxy) for the test's throwaway schema."""
    parts = urlsplit(pg_url)
    with TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432) as proxy:
        netloc = parts.netloc.rsplit("@", 1)[0] + f"@127.0.0.1:{proxy.port}"
        yield proxy, urlunsplit(parts._replace(netloc=netloc))


def _direct(pg_url: str, sql: str) -> list[tuple[Any, ...]]:
    """A query on the real server, not through the proxy."""
    import psycopg

    with psycopg.connect(pg_url) as conn:
        return conn.execute(sql).fetchall()


def _sink(url: str, spool: Path, **kw: Any) -> PostgresSink:
    return PostgresSink(
        url,
        retries=3,
        backoff_s=0.05,
        spool_dir=spool,
        connect_timeout_s=2,
        near_duplicates=NearDuplicateIndex(0.4),
        **kw,
    )


def test_a_short_outage_is_bridged_by_retries(proxied: Any, tmp_path: Path, caplog: Any) -> None:
    proxy, url = proxied
    arts = [make_article(i) for i in range(20)]
    with PostgresSink(
        url, retries=4, backoff_s=0.1, spool_dir=tmp_path / "spool", connect_timeout_s=2
    ) as sink:
        sink.write_articles(arts[:10])
        proxy.down()
        threading.Timer(0.35, proxy.up).start()  # back before the retries run out (0.1+0.2+0.4+0.8 s)
        t0 = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="feedscrub.sinks.postgres"):
            stats = sink.write_articles(arts[10:])
        waited = time.monotonic() - t0
        assert sorted(stats.new) == sorted(a.id for a in arts[10:]) and stats.spooled == []
        assert sink.count_articles() == 20
    assert waited >= 0.3  # it did wait for the server: 0.1 s, then 0.2 s more, ...
    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert retries and "retry 1/4 in 0.1s" in retries[0]
    assert not list((tmp_path / "spool").rglob("*.jsonl"))


def test_postgres_stopped_mid_run_spools_then_replays_without_loss_or_duplicates(
    proxied: Any, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    proxy, url = proxied
    spool = tmp_path / "spool"
    arts = [make_article(i, size=400) for i in range(50)]
    batches = [arts[0:10], arts[10:20], arts[20:30], arts[15:25] + arts[30:40], arts[40:50]]
    cut_inside = {"done": False}
    real_apply = PostgresSink._apply

    def apply_then_cut(self: PostgresSink, conn: Any, rows: Any, *more: Any) -> Any:
        out = real_apply(self, conn, rows, *more)
        if not cut_inside["done"] and rows[0].id == arts[20].id:
            cut_inside["done"] = True
            proxy.down()  # PostgreSQL "stops" after the batch's statements, before its COMMIT
        return out

    monkeypatch.setattr(PostgresSink, "_apply", apply_then_cut)
    spooled: list[str] = []
    with caplog.at_level(logging.WARNING, logger="feedscrub.sinks.postgres"), _sink(url, spool) as sink:
        for b in batches[:2]:
            assert sink.write_articles(b).spooled == []
        t0 = time.monotonic()
        for b in batches[2:]:
            stats = sink.write_articles(b)
            assert stats.new == stats.updated == stats.unchanged == [] and stats.rejected == []
            spooled += stats.spooled
        # each batch: 3 retries waiting 0.05 + 0.1 + 0.2 s (reconnecting is refused at once)
        assert time.monotonic() - t0 >= 3 * 0.35
    assert sorted(spooled) == sorted(a.id for b in batches[2:] for a in b)
    assert sum("retry 3/3" in r.getMessage() for r in caplog.records) == 3
    assert len(list(spool.rglob("*.jsonl"))) == 3
    # the batch cut before its COMMIT was rolled back by the server: nothing half-written
    assert _direct(pg_url, "SELECT count(*) FROM articles") == [(20,)]

    with pytest.raises(StoreError, match="cannot connect"):  # still down: open() fails, spool kept
        _sink(url, spool).open()
    assert len(list(spool.rglob("*.jsonl"))) == 3

    proxy.up()
    with _sink(url, spool) as sink:  # the next run: open() replays the spool
        stored = {a.id: a for a in sink.read_articles()}
    assert not list(spool.rglob("*.jsonl"))
    assert sorted(stored) == sorted(a.id for a in arts)  # nothing lost
    assert all(stored[a.id] == a for a in arts)  # exactly what was written
    assert _direct(pg_url, "SELECT count(*), count(DISTINCT id) FROM articles") == [(50, 50)]
    assert _direct(
        pg_url,
        "SELECT count(*) FROM (SELECT feed_url, guid FROM articles WHERE guid IS NOT NULL "
        "GROUP BY 1, 2 HAVING count(*) > 1) d",
    ) == [(0,)]
    assert _direct(pg_url, "SELECT DISTINCT revision FROM articles") == [(1,)]  # no replay applied twice
    assert _direct(pg_url, "SELECT count(*), count(DISTINCT article_id) FROM near_dup_signatures") == [
        (50, 50)
    ]


def test_a_replayed_spool_does_not_overwrite_a_newer_version(pg_url: str, tmp_path: Path) -> None:
    """A batch spooled during an outage holds an article's old version; the store got a newer one
    meanwhile (a later run, another process). Replaying must not put the old text back."""
    from dataclasses import replace
    from datetime import timedelta

    from sink_factory import with_text

    spool = tmp_path / "spool"
    old = make_article(1)
    new = with_text(replace(old, fetched_at=old.fetched_at + timedelta(hours=1)), old.text + " Corrected.")
    other = make_article(2)
    with PostgresSink(pg_url, spool_dir=spool) as sink:
        sink.write_articles([new])
    PostgresSink(pg_url, spool_dir=spool).spool.add([old, other])  # what an outage left behind
    with PostgresSink(pg_url, spool_dir=spool) as sink:  # the next open() replays
        stored = {a.id: a for a in sink.read_articles()}
        recs = {r["id"]: r for r in sink.read_records(include_raw=False)}
    assert not list(spool.rglob("*.jsonl"))
    assert stored[old.id] == new and recs[old.id]["revision"] == 1  # the newer text stays, untouched
    assert stored[other.id] == other  # what the store did not have is written
