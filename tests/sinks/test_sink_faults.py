"""PostgreSQL faults: a lost connection is reconnected, failed writes retried, then spooled and replayed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from feedscrub.sinks.postgres import PostgresSink
from sink_factory import make_article

pytestmark = pytest.mark.postgres


def test_killed_connection_is_reconnected(pg_url: str) -> None:
    import psycopg

    with PostgresSink(pg_url, backoff_s=0.01) as sink:
        sink.write_articles([make_article(1)])
        pid = sink._conn.info.backend_pid
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        stats = sink.write_articles([make_article(2)])
        assert stats.new == [make_article(2).id] and stats.spooled == []
        assert sink.count_articles() == 2


def _failing(times: int) -> Any:
    import psycopg

    calls = {"n": 0}
    original = PostgresSink._apply

    def apply(self: PostgresSink, *args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            raise psycopg.OperationalError("server closed the connection unexpectedly (simulated)")
        return original(self, *args)

    return apply, calls


def test_a_transient_failure_is_retried(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    apply, calls = _failing(2)
    monkeypatch.setattr(PostgresSink, "_apply", apply)
    arts = [make_article(i) for i in range(5)]
    with PostgresSink(pg_url, backoff_s=0.01, spool_dir=tmp_path / "spool") as sink:
        stats = sink.write_articles(arts)
        assert sorted(stats.new) == sorted(a.id for a in arts)
        assert calls["n"] == 3
        assert sink.count_articles() == 5
    assert not list((tmp_path / "spool").rglob("*.jsonl"))


def test_what_cannot_be_written_is_spooled_and_replayed_on_open(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool"
    arts = [make_article(i) for i in range(8)]
    arts[3].text = "lone \ud800 surrogate survives the spool"
    with monkeypatch.context() as m:
        m.setattr(PostgresSink, "_apply", _failing(10**6)[0])
        with PostgresSink(pg_url, retries=2, backoff_s=0.01, spool_dir=spool) as sink:
            stats = sink.write_articles([*arts, make_article(9, id="")])
            assert sorted(stats.spooled) == sorted(a.id for a in arts)
            assert [aid for aid, _ in stats.rejected] == [""]
            assert stats.new == []
    files = list(spool.rglob("*.jsonl"))
    assert len(files) == 1 and len(files[0].read_text().splitlines()) == 8
    with PostgresSink(pg_url, spool_dir=spool) as sink:  # open() replays the spool
        assert sink.count_articles() == 8
        stored = {a.id: a for a in sink.read_articles()}
    assert not list(spool.rglob("*.jsonl"))
    for a in arts:
        if a.id != arts[3].id:
            assert stored[a.id] == a
    assert stored[arts[3].id].text == "lone \ufffd surrogate survives the spool"


def test_a_broken_store_is_a_store_error_not_a_spool(pg_url: str, tmp_path: Path) -> None:
    from feedscrub.errors import StoreError

    with PostgresSink(pg_url, backoff_s=0.01, spool_dir=tmp_path / "spool") as sink:
        sink._conn.execute("DROP TABLE raw_items")
        with pytest.raises(StoreError, match="raw_items"):
            sink.write_articles([make_article(1)])
    assert not list((tmp_path / "spool").rglob("*.jsonl"))
