"""The SQLite store: one file, WAL mode, safe for overlapping runs and one sink object per thread.

What it is for: a single-machine store (the default, ``sqlite:///data/feedscrub.db``). Writers
take the write lock up front (``BEGIN IMMEDIATE``) and wait up to ``busy_timeout_s`` for it, so two
overlapping runs queue instead of failing with "database is locked". Reads stream through a
second connection, so a long export never blocks a write. The tables are described in
docs/storage.md; the schema is created and migrated by ``open()``.

What it is not for: many machines writing at once (use PostgreSQL), or deciding anything about
the text: it stores what it is given.

A sink object may be shared between threads (every call takes the object's lock), but the simple
and fast way is one sink object per thread, which is what the flows do.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feedscrub.errors import StoreError
from feedscrub.models import Article, FeedState

from .base import WriteStats
from .serialize import (
    ALL_COLUMNS,
    EXISTING_COLUMNS,
    FEED_COLUMNS,
    RAW_COLUMNS,
    Existing,
    NearDuplicateFinder,
    PreparedRow,
    RecordRejected,
    decode_record,
    feed_state_from_row,
    feed_state_values,
    hashes_without_original,
    in_chunks,
    iso,
    plan_batch,
    prepare_batch,
    record_to_article,
    safe_json,
)

if TYPE_CHECKING:  # imported when used: numpy only loads with an index
    from .neardup import Fingerprint, NearDuplicateIndex

log = logging.getLogger(__name__)

_READ_BATCH = 500

# --- schema and migrations ------------------------------------------------------------------
# Numbered, append-only. Each runs inside the migration transaction; never edit a released one.

_V1 = [
    """CREATE TABLE articles (
        id TEXT PRIMARY KEY,
        feed_url TEXT NOT NULL,
        source TEXT,
        url TEXT,
        guid TEXT,
        title TEXT,
        author TEXT,
        published_at TEXT,
        updated_at TEXT,
        fetched_at TEXT NOT NULL,
        language TEXT,
        feed_language TEXT,
        text TEXT NOT NULL,
        summary TEXT,
        unedited_feed INTEGER NOT NULL DEFAULT 0,
        machine_translated INTEGER NOT NULL DEFAULT 0,
        machine_translated_score REAL NOT NULL DEFAULT 0,
        language_mismatch INTEGER NOT NULL DEFAULT 0,
        flags_evidence TEXT NOT NULL DEFAULT '{}',
        edits TEXT NOT NULL DEFAULT '[]',
        foreign_fragments TEXT NOT NULL DEFAULT '[]',
        content_hash TEXT NOT NULL,
        pipeline_version TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        store_notes TEXT,
        record_hash TEXT NOT NULL,
        revision INTEGER NOT NULL DEFAULT 1 CHECK (revision >= 1),
        previous_content_hash TEXT,
        first_seen_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        duplicate_of TEXT
    )""",
    "CREATE INDEX articles_fetched_at ON articles (fetched_at, id)",
    "CREATE INDEX articles_feed_fetched_at ON articles (feed_url, fetched_at)",
    "CREATE INDEX articles_content_hash ON articles (content_hash)",
    """CREATE TABLE raw_items (
        article_id TEXT PRIMARY KEY,
        feed_url TEXT NOT NULL,
        raw_content BLOB NOT NULL,
        raw_content_type TEXT NOT NULL,
        raw_title TEXT,
        fetched_at TEXT NOT NULL
    )""",
    """CREATE TABLE feeds (
        url TEXT PRIMARY KEY,
        name TEXT,
        etag TEXT,
        last_modified TEXT,
        body_hash TEXT,
        last_status INTEGER,
        last_error_kind TEXT,
        last_error TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        failing_since TEXT,
        last_fetched_at TEXT,
        last_ok_at TEXT,
        next_fetch_at TEXT,
        permanent_redirect TEXT,
        redirect_count INTEGER NOT NULL DEFAULT 0,
        retired INTEGER NOT NULL DEFAULT 0,
        articles_seen INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
]


def _run(statements: list[str]) -> Callable[[sqlite3.Connection], None]:
    def migrate(conn: sqlite3.Connection) -> None:
        for sql in statements:
            conn.execute(sql)

    return migrate


# The near-duplicate index (sinks/neardup.py): a MinHash signature per article, LSH band keys indexed.
_V2 = [
    """CREATE TABLE near_dup_signatures (
        sig_id INTEGER PRIMARY KEY,
        article_id TEXT NOT NULL UNIQUE,
        signature BLOB NOT NULL
    )""",
    """CREATE TABLE near_dup_bands (
        band_key INTEGER NOT NULL,
        sig_id INTEGER NOT NULL,
        PRIMARY KEY (band_key, sig_id)
    ) WITHOUT ROWID""",
]


def _v3(conn: sqlite3.Connection) -> None:
    """The near-duplicate index's signatures are made another way (one-permutation MinHash, see
    sinks/neardup.py): the stored ones are made again from the articles' text."""
    from .neardup import rebuild_sqlite

    rebuild_sqlite(conn)


MIGRATIONS: list[tuple[int, str, Callable[[sqlite3.Connection], None]]] = [
    (1, "create articles, raw_items, feeds, state", _run(_V1)),
    (2, "near-duplicate index: near_dup_signatures, near_dup_bands", _run(_V2)),
    (3, "near-duplicate index: one-permutation signatures, rebuilt from the stored text", _v3),
]
STORE_SCHEMA_VERSION = MIGRATIONS[-1][0]


def _sql_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return iso(v)
    if isinstance(v, bool):
        return int(v)
    return v


_UPSERT_ARTICLE = (
    f"INSERT INTO articles ({', '.join(ALL_COLUMNS)}) VALUES ({', '.join('?' * len(ALL_COLUMNS))}) "
    f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in ALL_COLUMNS if c != 'id')}"
)
_UPSERT_RAW = (
    f"INSERT INTO raw_items ({', '.join(RAW_COLUMNS)}) VALUES ({', '.join('?' * len(RAW_COLUMNS))}) "
    f"ON CONFLICT (article_id) DO UPDATE SET "
    f"{', '.join(f'{c} = excluded.{c}' for c in RAW_COLUMNS if c != 'article_id')}"
)
_FEED_ALL = (*FEED_COLUMNS, "updated_at")
_UPSERT_FEED = (
    f"INSERT INTO feeds ({', '.join(_FEED_ALL)}) VALUES ({', '.join('?' * len(_FEED_ALL))}) "
    f"ON CONFLICT (url) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _FEED_ALL if c != 'url')}"
)
# Errors that concern one record's data, not the store: the batch is retried record by record.
_RECORD_ERRORS = (
    sqlite3.IntegrityError,
    sqlite3.DataError,
    sqlite3.InterfaceError,
    OverflowError,
    ValueError,
    TypeError,
)


class SqliteSink:
    """The SQLite store at ``path``. Use ``open_sink("sqlite:///path.db")`` or this class directly."""

    def __init__(
        self,
        path: str | Path,
        *,
        url: str | None = None,
        busy_timeout_s: float = 30.0,
        near_duplicates: NearDuplicateFinder | NearDuplicateIndex | None = None,
    ) -> None:
        self.path = str(path)
        self.near_duplicates = near_duplicates
        self.url = url or f"sqlite:///{self.path}"
        self.busy_timeout_s = busy_timeout_s
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    # --- lifecycle ---------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
        return conn

    def open(self) -> None:
        """Create the file (and its folder), switch to WAL, create or migrate the schema. Idempotent."""
        with self._lock:
            if self._conn is not None:
                return
            if self.path != ":memory:" and not self.path.startswith("file:"):
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # Several processes opening a fresh store at once: switching to WAL and the first
            # CREATE can answer "database is locked" without going through the busy handler, so
            # the whole open is retried with backoff, within the busy timeout.
            deadline = time.monotonic() + self.busy_timeout_s
            delay = 0.05
            while True:
                conn = None
                try:
                    conn = self._connect()
                    if self.path != ":memory:":
                        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                        if str(mode).lower() != "wal":
                            log.warning("%s: journal_mode is %s, not wal", self.url, mode)
                    conn.execute("PRAGMA synchronous = NORMAL")
                    self._migrate(conn)
                    break
                except sqlite3.OperationalError as exc:
                    if conn is not None:
                        conn.close()
                    busy = "locked" in str(exc) or "busy" in str(exc)
                    if not busy or time.monotonic() + delay > deadline:
                        raise StoreError(f"{self.url}: cannot open the SQLite store: {exc}") from exc
                    time.sleep(delay)
                    delay = min(delay * 2, 1.0)
                except sqlite3.Error as exc:
                    if conn is not None:
                        conn.close()
                    raise StoreError(f"{self.url}: cannot open the SQLite store: {exc}") from exc
            self._conn = conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_meta (version INTEGER PRIMARY KEY, "
            "name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        conn.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see it done
        try:
            current = conn.execute("SELECT coalesce(max(version), 0) FROM schema_meta").fetchone()[0]
            if current > STORE_SCHEMA_VERSION:
                raise StoreError(
                    f"{self.url}: store schema version {current} is newer than this "
                    f"feedscrub understands ({STORE_SCHEMA_VERSION}); upgrade feedscrub"
                )
            for version, name, migrate in MIGRATIONS:
                if version > current:
                    migrate(conn)
                    conn.execute(
                        "INSERT INTO schema_meta (version, name, applied_at) VALUES (?, ?, ?)",
                        (version, name, iso(datetime.now(UTC))),
                    )
                    log.info("%s: applied store migration %d (%s)", self.url, version, name)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def schema_version(self) -> int:
        with self._lock:
            return int(self._require().execute("SELECT max(version) FROM schema_meta").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> SqliteSink:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _require(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"{self.url}: the sink is not open (call open() or use it in a with block)")
        return self._conn

    # --- articles ----------------------------------------------------------------------------

    def write_articles(self, articles: Sequence[Article]) -> WriteStats:
        """Upsert by id in one transaction; see docs/storage.md for what each outcome means."""
        now = datetime.now(UTC)
        rows, rejected = prepare_batch(articles, now)
        stats = WriteStats(rejected=rejected)
        if not rows:
            return stats
        with self._lock:
            conn = self._require()
            prints: dict[str, Fingerprint] = {}
            try:
                prints = self._fingerprints(conn, rows)  # before the write lock: other writers go on
                conn.execute("BEGIN IMMEDIATE")
                try:  # first/last_seen_at: the time this writer got the lock, so they follow commit order
                    batch = self._apply(conn, rows, _now(), prints)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                stats.merge(batch)
            except _RECORD_ERRORS as exc:
                log.warning(
                    "%s: batch of %d refused (%s); writing record by record", self.url, len(rows), exc
                )
                stats.merge(self._write_one_by_one(conn, rows, prints))
            except sqlite3.Error as exc:
                raise StoreError(
                    f"{self.url}: writing {len(rows)} articles (first {rows[0].id!r}) failed: {exc}"
                ) from exc
        return stats

    def _fingerprints(self, conn: sqlite3.Connection, rows: list[PreparedRow]) -> dict[str, Fingerprint]:
        """Near-duplicate fingerprints of the rows whose content the store does not hold yet.

        Computed before ``BEGIN IMMEDIATE`` (a read does not take the write lock), so hashing
        never holds other writers up; what changes in between is computed inside (``begin``).
        """
        index = self.near_duplicates
        if index is None or callable(index):
            return {}
        stored: dict[str, str] = {}
        for chunk in in_chunks([r.id for r in rows]):
            stored.update(
                conn.execute(
                    f"SELECT id, content_hash FROM articles WHERE id IN ({', '.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
            )
        return index.fingerprint([r for r in rows if stored.get(r.id) != r.content_hash])

    def _write_one_by_one(
        self, conn: sqlite3.Connection, rows: list[PreparedRow], prints: dict[str, Fingerprint] | None = None
    ) -> WriteStats:
        stats = WriteStats()
        try:
            conn.execute("BEGIN IMMEDIATE")
            now = _now()
            for row in rows:
                conn.execute("SAVEPOINT record")
                try:
                    one = self._apply(conn, [row], now, prints)
                except (*_RECORD_ERRORS, RecordRejected) as exc:
                    conn.execute("ROLLBACK TO record")
                    stats.rejected.append((row.id, f"article {row.id!r}: refused by the store: {exc}"))
                else:
                    stats.merge(one)
                conn.execute("RELEASE record")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(
                f"{self.url}: writing {len(rows)} articles record by record failed: {exc}"
            ) from exc
        return stats

    def _apply(
        self,
        conn: sqlite3.Connection,
        rows: list[PreparedRow],
        now: str,
        prints: dict[str, Fingerprint] | None = None,
    ) -> WriteStats:
        ids = [r.id for r in rows]
        hashes = sorted({r.content_hash for r in rows})
        existing: dict[str, Existing] = {}
        for chunk in in_chunks(ids):
            for r in conn.execute(
                f"SELECT id, {', '.join(EXISTING_COLUMNS)} FROM articles "
                f"WHERE id IN ({', '.join('?' * len(chunk))})",
                chunk,
            ):
                existing[r[0]] = Existing(*tuple(r)[1:])
        holders = self._holders(conn, hashes, "AND duplicate_of IS NULL")
        holders += self._holders(conn, hashes_without_original(rows, holders))
        near, index = self.near_duplicates, None
        if near is not None and not callable(near):  # a NearDuplicateIndex: its tables live in this store
            from .neardup import SqliteIndexDb

            index = near.begin(rows, existing, SqliteIndexDb(conn), prints, holders)
            near = index.find
        plan = plan_batch(rows, existing, holders, now, near)
        if index is not None:
            index.store(plan.writes)
        if plan.writes:
            conn.executemany(
                _UPSERT_ARTICLE, [tuple(_sql_value(r.values[c]) for c in ALL_COLUMNS) for r in plan.writes]
            )
            conn.executemany(
                _UPSERT_RAW, [tuple(_sql_value(r.raw[c]) for c in RAW_COLUMNS) for r in plan.writes]
            )
        if plan.touch:
            conn.executemany(
                "UPDATE articles SET last_seen_at = ? WHERE id = ?", [(now, i) for i in plan.touch]
            )
        return WriteStats(
            new=plan.new, updated=plan.updated, unchanged=plan.unchanged, duplicates=plan.duplicates
        )

    @staticmethod
    def _holders(
        conn: sqlite3.Connection, hashes: list[str], where: str = ""
    ) -> list[tuple[str, str, Any, str | None]]:
        """``(content_hash, id, first_seen_at, duplicate_of)`` of the stored articles with one of ``hashes``."""
        out: list[tuple[str, str, Any, str | None]] = []
        for chunk in in_chunks(hashes):
            out += [
                tuple(r)
                for r in conn.execute(  # type: ignore[misc]
                    f"SELECT content_hash, id, first_seen_at, duplicate_of FROM articles "
                    f"WHERE content_hash IN ({', '.join('?' * len(chunk))}) {where}",
                    chunk,
                )
            ]
        return out

    def read_records(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        feed_url: str | None = None,
        include_raw: bool = True,
    ) -> Iterator[dict[str, Any]]:
        """Stored rows as decoded dicts (Article fields + store columns), oldest fetched_at first.

        ``since`` is inclusive, ``until`` exclusive; naive datetimes are taken as UTC. Streams in
        batches over a separate connection, so memory stays flat and writers are not blocked.
        """
        self._require()
        where, params = [], []
        if since is not None:
            where.append("a.fetched_at >= ?")
            params.append(iso(since))
        if until is not None:
            where.append("a.fetched_at < ?")
            params.append(iso(until))
        if feed_url is not None:
            where.append("a.feed_url = ?")
            params.append(feed_url)
        cols = "a.*" + (", r.raw_content, r.raw_content_type, r.raw_title" if include_raw else "")
        join = " LEFT JOIN raw_items r ON r.article_id = a.id" if include_raw else ""
        sql = (
            f"SELECT {cols} FROM articles a{join}"
            f"{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY a.fetched_at, a.id"
        )
        shared = self.path == ":memory:"
        conn = self._require() if shared else self._connect()
        try:
            cur = conn.execute(sql, params)
            while True:
                if shared:
                    with self._lock:
                        batch = cur.fetchmany(_READ_BATCH)
                else:
                    batch = cur.fetchmany(_READ_BATCH)
                if not batch:
                    break
                for row in batch:
                    yield decode_record(dict(row))
        except sqlite3.Error as exc:
            raise StoreError(f"{self.url}: reading articles failed: {exc}") from exc
        finally:
            if not shared:
                conn.close()

    def read_articles(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        feed_url: str | None = None,
        include_raw: bool = True,
    ) -> Iterator[Article]:
        """Stored articles (fetched_at in [since, until)), oldest first, streamed."""
        for rec in self.read_records(since=since, until=until, feed_url=feed_url, include_raw=include_raw):
            yield record_to_article(rec)

    def count_articles(self) -> int:
        with self._lock:
            return int(self._require().execute("SELECT count(*) FROM articles").fetchone()[0])

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        with self._lock:
            conn = self._require()
            for chunk in in_chunks(list(ids)):
                found.update(
                    r[0]
                    for r in conn.execute(
                        f"SELECT id FROM articles WHERE id IN ({', '.join('?' * len(chunk))})", chunk
                    )
                )
        return found

    # --- feeds and state ---------------------------------------------------------------------

    def get_feed_states(self, urls: Sequence[str]) -> dict[str, FeedState]:
        out: dict[str, FeedState] = {}
        with self._lock:
            conn = self._require()
            for chunk in in_chunks(list(urls)):
                for row in conn.execute(
                    f"SELECT * FROM feeds WHERE url IN ({', '.join('?' * len(chunk))})", chunk
                ):
                    out[row["url"]] = feed_state_from_row(row)
        return out

    def save_feed_states(self, states: Sequence[FeedState]) -> None:
        now = iso(datetime.now(UTC))
        try:
            params = [(*tuple(_sql_value(v) for v in feed_state_values(s).values()), now) for s in states]
        except RecordRejected as exc:
            raise StoreError(f"{self.url}: {exc}") from exc
        with self._lock:
            conn = self._require()
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(_UPSERT_FEED, params)
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StoreError(f"{self.url}: saving {len(states)} feed states failed: {exc}") from exc

    def all_feed_states(self) -> list[FeedState]:
        with self._lock:
            rows = self._require().execute("SELECT * FROM feeds ORDER BY url").fetchall()
        return [feed_state_from_row(r) for r in rows]

    def get_states(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        with self._lock:
            conn = self._require()
            for chunk in in_chunks(list(keys)):
                rows = conn.execute(
                    f"SELECT key, value FROM state WHERE key IN ({', '.join('?' * len(chunk))})", chunk
                )
                found.update((key, json.loads(value)) for key, value in rows)
        return found

    def put_states(self, values: Mapping[str, dict[str, Any]]) -> None:
        now = iso(datetime.now(UTC))
        params = [(key, safe_json(value, [], key), now) for key, value in values.items()]
        if not params:
            return
        with self._lock:
            conn = self._require()
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(
                    "INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                    "updated_at = excluded.updated_at",
                    params,
                )
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StoreError(f"{self.url}: saving state {', '.join(sorted(values))} failed: {exc}") from exc


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


__all__ = ["MIGRATIONS", "STORE_SCHEMA_VERSION", "SqliteSink"]
