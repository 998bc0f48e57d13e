"""open_sink: URL forms, schema creation and migration, the tables and columns the docs promise."""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from feedscrub.sinks import Sink, open_sink
from feedscrub.sinks.serialize import ALL_COLUMNS
from feedscrub.sinks.sqlite import STORE_SCHEMA_VERSION, SqliteSink

from feedscrub.errors import StoreError
from feedscrub.models import Article, FeedState

ARTICLE_FIELDS_NOT_COLUMNS = {"flags", "raw_content", "raw_content_type", "raw_title"}
FLAG_COLUMNS = {
    "unedited_feed",
    "machine_translated",
    "machine_translated_score",
    "language_mismatch",
    "flags_evidence",
}


def test_relative_sqlite_url_creates_parent_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with open_sink("sqlite:///data/nested/feedscrub.db") as sink:
        assert sink.count_articles() == 0
    assert (tmp_path / "data" / "nested" / "feedscrub.db").is_file()


def test_absolute_sqlite_url(tmp_path: Path) -> None:
    path = tmp_path / "abs" / "store.db"
    with open_sink(f"sqlite:///{path}") as sink:  # sqlite:////tmp/... : four slashes
        assert isinstance(sink, SqliteSink)
        assert sink.path == str(path)
    assert path.is_file()


def test_unknown_scheme_names_the_url() -> None:
    with pytest.raises(StoreError, match="mysql://db/feeds"):
        open_sink("mysql://db/feeds")


def test_sink_satisfies_the_protocol(sqlite_url: str) -> None:
    with open_sink(sqlite_url) as sink:
        assert isinstance(sink, Sink)


def test_wal_mode_and_schema_version(sqlite_url: str) -> None:
    with open_sink(sqlite_url) as sink:
        assert isinstance(sink, SqliteSink)
        assert sink.schema_version() == STORE_SCHEMA_VERSION
        conn = sqlite3.connect(sink.path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.close()


def test_open_twice_is_idempotent(sqlite_url: str) -> None:
    sink = open_sink(sqlite_url)
    sink.open()
    sink.close()
    with open_sink(sqlite_url) as again:
        assert isinstance(again, SqliteSink)
        conn = sqlite3.connect(again.path)
        assert conn.execute("SELECT count(*) FROM schema_meta").fetchone()[0] == STORE_SCHEMA_VERSION
        conn.close()


def test_newer_store_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with open_sink(f"sqlite:///{path}"):
        pass
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_meta VALUES (99, 'from the future', '2030-01-01')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="schema version 99 is newer"):
        open_sink(f"sqlite:///{path}")


def test_columns_cover_every_article_and_feed_field(sqlite_url: str) -> None:
    with open_sink(sqlite_url) as sink:
        assert isinstance(sink, SqliteSink)
        conn = sqlite3.connect(sink.path)
        cols = {
            t: {r[1] for r in conn.execute(f"PRAGMA table_info({t})")}
            for t in ("articles", "raw_items", "feeds", "state", "schema_meta")
        }
        conn.close()
    article_fields = {f.name for f in fields(Article)} - ARTICLE_FIELDS_NOT_COLUMNS
    assert article_fields | FLAG_COLUMNS <= cols["articles"]
    assert {"revision", "previous_content_hash", "first_seen_at", "last_seen_at", "duplicate_of"} <= cols[
        "articles"
    ]
    assert set(ALL_COLUMNS) == cols["articles"]
    assert {"article_id", "feed_url", "raw_content", "raw_content_type", "raw_title", "fetched_at"} <= cols[
        "raw_items"
    ]
    assert {f.name for f in fields(FeedState)} <= cols["feeds"]
    assert {"key", "value", "updated_at"} <= cols["state"]


def test_not_open_is_a_clear_error(tmp_path: Path) -> None:
    sink = SqliteSink(tmp_path / "x.db")
    with pytest.raises(StoreError, match="not open"):
        sink.count_articles()


def test_postgres_without_psycopg_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(StoreError, match=r"pip install feedscrub\[postgres\]"):
        open_sink("postgresql://nobody@127.0.0.1:1/none")


@pytest.mark.postgres
def test_postgres_schema_types_and_version(pg_url: str) -> None:
    import psycopg
    from feedscrub.sinks.postgres import STORE_SCHEMA_VERSION as PG_VERSION
    from feedscrub.sinks.postgres import PostgresSink

    with open_sink(pg_url) as sink:
        assert isinstance(sink, PostgresSink)
        assert sink.schema_version() == PG_VERSION
    with psycopg.connect(pg_url) as conn:
        types = dict(
            conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = 'articles'"
            ).fetchall()
        )
        feed_cols = {
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = 'feeds'"
            )
        }
    assert set(types) == set(ALL_COLUMNS)
    assert types["edits"] == types["flags_evidence"] == types["foreign_fragments"] == "jsonb"
    assert types["fetched_at"] == "timestamp with time zone"
    assert types["machine_translated"] == "boolean"
    assert types["revision"] == "integer"
    assert {f.name for f in fields(FeedState)} <= feed_cols


@pytest.mark.postgres
def test_postgres_parallel_opens_migrate_once(pg_url: str) -> None:
    import threading

    import psycopg

    errors: list[BaseException] = []

    def open_close() -> None:
        try:
            with open_sink(pg_url):
                pass
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_close) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM schema_meta").fetchone()[0] == STORE_SCHEMA_VERSION


@pytest.mark.postgres
def test_postgres_bad_server_is_a_store_error_naming_it() -> None:
    with pytest.raises(StoreError, match=r"127\.0\.0\.1:1") as info:
        open_sink("postgresql://postgres:secret@127.0.0.1:1/none")
    assert "secret" not in str(info.value)



def test_existing_ids_names_only_stored_articles(store_url: str, articles: list[Article]) -> None:
    with open_sink(store_url) as sink:
        sink.write_articles(articles[:3])
        assert sink.existing_ids([a.id for a in articles[:5]] + ["nope"]) == {a.id for a in articles[:3]}
        assert sink.existing_ids([]) == set()
