"""Reading back: exact Article round-trips, windows, streaming; feed states and state documents."""

from __future__ import annotations

import sqlite3
import zlib
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta

import pytest
from feedscrub.sinks import open_sink
from feedscrub.sinks.sqlite import SqliteSink
from sink_factory import BASE_TIME, NON_UTC, make_article

from feedscrub.errors import StoreError
from feedscrub.models import Article, FeedState


def assert_same_article(got: Article, want: Article) -> None:
    for f in fields(Article):
        assert getattr(got, f.name) == getattr(want, f.name), f"{want.id}: field {f.name} differs"
    assert got == want


def test_round_trip_is_exact_field_by_field(store_url: str, articles: list[Article]) -> None:
    odd = make_article(
        100,
        published_at=datetime(2024, 4, 30, 23, 59, 59, 999999, tzinfo=NON_UTC),
        updated_at=None,
        source=None,
        url=None,
        guid=None,
        title=None,
        author=None,
        summary=None,
        language=None,
        feed_language=None,
        raw_title=None,
        raw_content="",
        raw_content_type="text/plain",
        text="",
    )
    want = [*articles, odd]
    with open_sink(store_url) as sink:
        sink.write_articles(want)
        got = {a.id: a for a in sink.read_articles()}
    assert set(got) == {a.id for a in want}
    for a in want:
        assert_same_article(got[a.id], a)
    assert got[odd.id].published_at.tzinfo is not None  # type: ignore[union-attr]
    assert got[odd.id].published_at.utcoffset() == timedelta(0)  # type: ignore[union-attr]


def test_naive_datetimes_are_read_as_utc(store_url: str) -> None:
    a = make_article(1, fetched_at=datetime(2024, 5, 1, 12, 0), published_at=datetime(2024, 5, 1, 10, 0))
    with open_sink(store_url) as sink:
        sink.write_articles([a])
        got = next(sink.read_articles())
    assert got.fetched_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert got.published_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def test_window_and_feed_filters_oldest_first(store_url: str) -> None:
    arts = [make_article(i) for i in range(30)]  # fetched over five days from BASE_TIME
    since, until = BASE_TIME + timedelta(days=1), BASE_TIME + timedelta(days=3)
    with open_sink(store_url) as sink:
        sink.write_articles(arts)
        got = list(sink.read_articles(since=since, until=until))
        want = sorted((a for a in arts if since <= a.fetched_at < until), key=lambda a: (a.fetched_at, a.id))
        assert [a.id for a in got] == [a.id for a in want]
        feed = arts[0].feed_url
        assert {a.feed_url for a in sink.read_articles(feed_url=feed)} == {feed}
        assert len(list(sink.read_articles(feed_url=feed))) == sum(a.feed_url == feed for a in arts)
        naive = list(sink.read_articles(since=since.replace(tzinfo=None), until=until.replace(tzinfo=None)))
        assert [a.id for a in naive] == [a.id for a in want]


def test_streams_more_rows_than_one_fetch_and_allows_writes_meanwhile(store_url: str) -> None:
    arts = [make_article(i, size=100) for i in range(1300)]
    with open_sink(store_url) as sink:
        sink.write_articles(arts)
        seen = 0
        for i, a in enumerate(sink.read_articles()):
            seen += 1
            if i == 10:  # a re-clean writes while it reads
                sink.write_articles([replace(a, text="rewritten", content_hash="h-new")])
        assert seen == 1300
        assert sink.count_articles() == 1300


def test_raw_item_is_stored_compressed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    a = make_article(3)
    path = tmp_path / "s.db"
    with open_sink(f"sqlite:///{path}") as sink:
        sink.write_articles([a])
    conn = sqlite3.connect(path)
    blob, ctype, title = conn.execute(
        "SELECT raw_content, raw_content_type, raw_title FROM raw_items WHERE article_id = ?", (a.id,)
    ).fetchone()
    conn.close()
    assert zlib.decompress(blob).decode() == a.raw_content
    assert (ctype, title) == (a.raw_content_type, a.raw_title)


def test_read_without_raw_leaves_raw_fields_empty(store_url: str) -> None:
    with open_sink(store_url) as sink:
        sink.write_articles([make_article(1)])
        got = next(sink.read_articles(include_raw=False))
    assert got.raw_content == "" and got.raw_title is None


# --- feed states and state ---------------------------------------------------------------------


def full_state() -> FeedState:
    t = datetime(2024, 5, 1, 6, 0, 0, 123000, tzinfo=UTC)
    return FeedState(
        url="https://news.example.com/rss",
        name="Example News – Welt",
        etag='W/"abc"',
        last_modified="Wed, 01 May 2024 06:00:00 GMT",
        body_hash="f" * 64,
        last_status=503,
        last_error_kind="http",
        last_error="Service Unavailable ü",
        consecutive_failures=3,
        failing_since=t - timedelta(days=1),
        last_fetched_at=t,
        last_ok_at=t - timedelta(days=2),
        next_fetch_at=t + timedelta(hours=4),
        permanent_redirect="https://news.example.com/feed",
        redirect_count=2,
        retired=True,
        articles_seen=1234,
    )


def test_feed_state_round_trip(store_url: str) -> None:
    full, bare = full_state(), FeedState(url="https://blog.example.org/atom.xml")
    with open_sink(store_url) as sink:
        sink.save_feed_states([full, bare])
        assert sink.get_feed_states([full.url, bare.url, "https://unknown.example/"]) == {
            full.url: full,
            bare.url: bare,
        }
        changed = replace(full, consecutive_failures=0, last_status=200, retired=False, last_error=None)
        sink.save_feed_states([changed])
        assert sink.all_feed_states() == [bare, changed]  # ordered by url
        sink.save_feed_states([])


def test_state_documents(store_url: str) -> None:
    doc = {
        "boilerplate": ["Abonnieren Sie unseren Newsletter!", "Suscríbete"],
        "n": 3,
        "score": 0.25,
        "nested": {"ok": True, "none": None},
    }
    with open_sink(store_url) as sink:
        assert sink.get_states(["learned:example"]) == {}
        sink.put_states({"learned:example": doc, "learned:other": {"n": 1}})
        assert sink.get_states(["learned:example", "learned:other", "learned:never"]) == {
            "learned:example": doc, "learned:other": {"n": 1}}
        sink.put_states({"learned:example": {"n": 4}})
        assert sink.get_states(["learned:example", "learned:other"]) == {
            "learned:example": {"n": 4}, "learned:other": {"n": 1}}
        sink.put_states({"odd": {"text": "nul\x00 and \ud800"}})
        assert sink.get_states(["odd"]) == {"odd": {"text": "nul and \ufffd"}}
        many = {f"learned:source-{i}": {"n": i} for i in range(1200)}  # more keys than one IN (...) takes
        sink.put_states(many)
        assert sink.get_states(list(many)) == many


def test_context_manager_closes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    sink = SqliteSink(tmp_path / "s.db")
    with sink as s:
        assert s is sink
        assert s.count_articles() == 0
    with pytest.raises(StoreError, match="not open"):
        sink.count_articles()


@pytest.mark.postgres
def test_postgres_context_manager_closes(pg_url: str) -> None:
    sink = open_sink(pg_url)
    with sink:
        sink.write_articles([make_article(1)])
    with pytest.raises(StoreError, match="not open"):
        sink.count_articles()
