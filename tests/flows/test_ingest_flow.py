"""The ingest flow end to end: feeds served from 127.0.0.1 and the bundled samples, into SQLite."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest

pytestmark = pytest.mark.prefect

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Lakeside Courier</title><link>https://courier.example/</link>
<language>en</language>
<item><title>Council approves ferry timetable for the summer - Lakeside Courier</title>
<link>https://courier.example/2024/06/01/ferry-timetable/</link><guid>courier-1</guid>
<pubDate>Sat, 01 Jun 2024 08:00:00 +0000</pubDate><author>news@courier.example (Ana Ruiz)</author>
<description><![CDATA[<p>The council approved on Friday a summer timetable that adds four daily ferry crossings between the harbour and Birch Island from June 15.</p>
<p>The extra crossings will cost about $180,000, paid from the tourism levy.</p>
<p>Leave a Reply</p>]]></description></item>
<item><title>Storm closes the coastal path at Gull Point</title>
<link>https://courier.example/2024/05/30/coastal-path-closed/</link><guid>courier-2</guid>
<pubDate>Thu, 30 May 2024 17:20:00 +0000</pubDate>
<description><![CDATA[<p>A section of the coastal path at Gull Point will stay closed for at least a month after Wednesday's storm washed away a footbridge, the parks department said.</p>]]></description></item>
</channel></rss>"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rows(db: Path, sql: str, *args: object) -> list[sqlite3.Row]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def test_feeds_from_a_local_server_land_in_sqlite_and_a_rerun_adds_nothing(prefect_harness, httpserver, tmp_path):
    from feedscrub.flows.ingest import ingest

    httpserver.expect_request("/courier.rss").respond_with_data(RSS, content_type="application/rss+xml")
    httpserver.expect_request("/broken.rss").respond_with_data("oops", status=500)
    feeds = tmp_path / "feeds.yaml"
    dead = f"http://127.0.0.1:{_free_port()}/gone.rss"
    feeds.write_text(
        "feeds:\n"
        f"  - {{name: Courier, url: '{httpserver.url_for('/courier.rss')}', language: en}}\n"
        f"  - {{name: Broken, url: '{httpserver.url_for('/broken.rss')}'}}\n"
        f"  - {{name: Dead, url: '{dead}'}}\n",
        encoding="utf-8")
    db = tmp_path / "out.db"
    store = f"sqlite:///{db}"

    summary = ingest(feeds=[str(feeds)], store=store)

    by_name = {f.name: f for f in summary.feeds}
    assert by_name["Courier"].status == "ok" and by_name["Courier"].new == 2
    assert by_name["Broken"].status == "failed" and by_name["Broken"].http_status == 500
    assert by_name["Dead"].status == "failed" and by_name["Dead"].error_kind
    rows = _rows(db, "SELECT * FROM articles ORDER BY published_at")
    assert len(rows) == 2
    ferry = rows[1]
    assert ferry["feed_url"] == httpserver.url_for("/courier.rss")
    assert ferry["url"] == "https://courier.example/2024/06/01/ferry-timetable/"
    assert ferry["title"] == "Council approves ferry timetable for the summer"
    assert ferry["text"].startswith("The council approved on Friday a summer timetable")
    assert "Leave a Reply" not in ferry["text"] and "<p>" not in ferry["text"]
    assert ferry["language"] == "en"
    assert not ferry["unedited_feed"] and not ferry["machine_translated"]
    assert str(ferry["published_at"]).startswith("2024-06-01")
    assert ferry["fetched_at"]
    assert len(ferry["content_hash"]) == 64
    assert ferry["pipeline_version"]
    health = {r["url"]: r for r in _rows(db, "SELECT * FROM feeds")}
    assert health[httpserver.url_for("/broken.rss")]["consecutive_failures"] == 1
    assert health[dead]["last_error_kind"]

    again = ingest(feeds=[str(feeds)], store=store)
    assert _rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == 2
    courier = {f.name: f for f in again.feeds}["Courier"]
    assert courier.new == 0 and courier.updated == 0


def test_bundled_samples_are_cleaned_and_flagged(prefect_harness, tmp_path):
    from feedscrub.flows.ingest import ingest

    db = tmp_path / "samples.db"
    summary = ingest(store=f"sqlite:///{db}")
    assert summary.feeds_failed == 0, [(f.name, f.error) for f in summary.feeds]
    rows = {r["title"]: r for r in _rows(db, "SELECT * FROM articles")}
    assert len(rows) == 7
    vigo = rows["Ferry workers end strike after agreement on shifts in the port of Vigo"]
    assert vigo["unedited_feed"] and vigo["machine_translated"]
    for leftover in ("Leave a Comment", "Join Atlantic Daily Wire", "has not been edited", "[la empresa]",
                     "in The middle", "right Now", "). )"):
        assert leftover not in vigo["text"], leftover
    assert "Cíes islands" in vigo["text"]
    hague = rows["Court in The Hague hears appeal over fishing quotas"]
    assert not hague["machine_translated"] and not hague["unedited_feed"]
    assert "in The Hague" in hague["text"] and "El País" in hague["text"] and "[sic]" in hague["text"]
    library = rows["Library extends evening hours at three branches"]
    assert "Share this" not in library["text"] and "appeared first on" not in library["text"]
    rail = rows["Rail operator to add late trains on the coastal line this summer"]
    assert rail["unedited_feed"] and "has not been edited" not in rail["text"]
    assert _rows(db, "SELECT count(*) AS n FROM raw_items")[0]["n"] == 7


def test_a_run_whose_predecessor_still_holds_the_group_skips(prefect_harness, tmp_path):
    from feedscrub.flows.ingest import _run_slot, ingest
    from prefect.concurrency.sync import concurrency

    db = tmp_path / "skip.db"
    with _run_slot("ingest-samples", 10):  # a run of group "samples" is going
        summary = ingest(store=f"sqlite:///{db}", group="samples")
    assert summary.skipped_reason == "previous run still going"
    assert summary.feeds == []
    assert not db.exists() or _rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == 0
    # the slot is free again once the predecessor is done
    with concurrency("feedscrub-ingest-samples", occupy=1, timeout_seconds=5, strict=True):
        pass


def test_parallel_variant_cleans_chunks_in_processes(prefect_harness, httpserver, tmp_path):
    from feedscrub.flows.ingest import ingest_parallel

    for slug in ("one", "two", "three"):
        httpserver.expect_request(f"/{slug}.rss").respond_with_data(
            RSS.replace("courier-", f"{slug}-").replace("courier.example", f"{slug}.example")
               .replace("Birch Island", f"{slug.title()} Island").replace("Gull Point", f"{slug.title()} Point"),
            content_type="application/rss+xml")
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n" + "".join(
        f"  - {{name: {slug}, url: '{httpserver.url_for(f'/{slug}.rss')}'}}\n" for slug in ("one", "two", "three")),
        encoding="utf-8")
    cfg = tmp_path / "settings.yaml"
    cfg.write_text("prefect:\n  chunk_feeds: 1\n", encoding="utf-8")
    db = tmp_path / "parallel.db"

    summary = ingest_parallel(feeds=[str(feeds)], store=f"sqlite:///{db}", config=str(cfg))

    assert sorted(f.name for f in summary.feeds) == ["one", "three", "two"]
    # the three feeds carry near-identical copy: one is stored as original, the others as near-duplicates
    assert all(f.status == "ok" and f.new + f.duplicates == 2 for f in summary.feeds), \
        [(f.name, f.status, f.new, f.duplicates, f.error) for f in summary.feeds]
    assert _rows(db, "SELECT count(DISTINCT id) AS n FROM articles")[0]["n"] == 6


def _two_feeds(httpserver, tmp_path: Path, retries: int) -> tuple[Path, Path]:
    for slug in ("north", "south"):
        httpserver.expect_request(f"/{slug}.rss").respond_with_data(
            RSS.replace("courier-", f"{slug}-").replace("courier.example", f"{slug}.example"),
            content_type="application/rss+xml")
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n" + "".join(
        f"  - {{name: {slug}, url: '{httpserver.url_for(f'/{slug}.rss')}'}}\n" for slug in ("north", "south")),
        encoding="utf-8")
    cfg = tmp_path / "settings.yaml"
    cfg.write_text(f"prefect:\n  task_retries: {retries}\n  task_retry_delay_s: 0\n", encoding="utf-8")
    return feeds, cfg


def test_a_failed_chunk_is_retried_and_the_progress_hook_sees_every_feed(prefect_harness, httpserver, tmp_path,
                                                                         monkeypatch):
    from feedscrub.flows import ingest as flow_module

    feeds, cfg = _two_feeds(httpserver, tmp_path, retries=2)
    attempts: list[int] = []
    real = flow_module.ingest_chunk

    def flaky(chunk, *args, **kwargs):
        attempts.append(chunk.number)
        if len(attempts) == 1:
            raise OSError("the database went away")
        return real(chunk, *args, **kwargs)

    monkeypatch.setattr(flow_module, "ingest_chunk", flaky)
    seen: list[str] = []
    monkeypatch.setattr(flow_module, "progress_hook", lambda fr: seen.append(fr.name))
    db = tmp_path / "retry.db"

    summary = flow_module.ingest(feeds=[str(feeds)], store=f"sqlite:///{db}", config=str(cfg))

    assert [(f.status, f.new + f.duplicates) for f in summary.feeds] == [("ok", 2), ("ok", 2)]
    assert len(attempts) == len(set(attempts)) + 1  # one chunk ran twice
    assert sorted(seen) == ["north", "south"]
    assert _rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == 4


def test_a_chunk_failing_after_its_retries_records_its_feeds_and_keeps_them_due(prefect_harness, httpserver,
                                                                                tmp_path, monkeypatch):
    from feedscrub.flows import ingest as flow_module

    feeds, cfg = _two_feeds(httpserver, tmp_path, retries=0)

    def broken(chunk, *args, **kwargs):
        raise OSError("the database went away")

    monkeypatch.setattr(flow_module, "ingest_chunk", broken)
    db = tmp_path / "failed.db"
    summary = flow_module.ingest(feeds=[str(feeds)], store=f"sqlite:///{db}", config=str(cfg))
    assert summary.feeds_failed == 2
    assert all(f.error_kind == "chunk" and "went away" in (f.error or "") for f in summary.feeds)
    assert _rows(db, "SELECT count(*) AS n FROM feeds WHERE next_fetch_at IS NULL AND consecutive_failures = 1")[0]["n"] == 2

    monkeypatch.undo()
    again = flow_module.ingest(feeds=[str(feeds)], store=f"sqlite:///{db}", config=str(cfg))
    assert [f.status for f in again.feeds] == ["ok", "ok"]
    assert _rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == 4
