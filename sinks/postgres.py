"""The PostgreSQL store: the same tables as SQLite (JSONB, timestamptz, boolean), for many writers.

What it is for: several processes or machines writing at once. A batch is COPYed into a temporary
table and merged with one ``INSERT ... ON CONFLICT``; before deciding new/updated/unchanged/
duplicate, a writer takes transaction-scoped advisory locks on the batch's ids and content hashes
(in one global order, so writers never deadlock each other), which makes that decision exact even
when two runs write the same articles at once. Migrations run in ``open()`` under a session
advisory lock, so two processes opening a fresh database do not race.

Faults: a write that fails for connection or transaction reasons is retried with backoff
(reconnecting if needed); a batch that still cannot be written is spooled to a local JSONL file
(``spool_dir``, default ``data/spool``) and replayed by the next ``open()``. A record the server
refuses for its data is rejected alone (savepoint per record), the rest of the batch is written.

psycopg 3 is imported lazily: the base install works without it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
import uuid
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
    plan_batch,
    prepare_batch,
    record_to_article,
    safe_json,
)
from .spool import Spool

if TYPE_CHECKING:  # imported when used: numpy only loads with an index
    from .neardup import Fingerprint, NearDuplicateIndex

log = logging.getLogger(__name__)

_V1 = [
    """CREATE TABLE articles (
        id text PRIMARY KEY,
        feed_url text NOT NULL,
        source text,
        url text,
        guid text,
        title text,
        author text,
        published_at timestamptz,
        updated_at timestamptz,
        fetched_at timestamptz NOT NULL,
        language text,
        feed_language text,
        text text NOT NULL,
        summary text,
        unedited_feed boolean NOT NULL DEFAULT false,
        machine_translated boolean NOT NULL DEFAULT false,
        machine_translated_score double precision NOT NULL DEFAULT 0,
        language_mismatch boolean NOT NULL DEFAULT false,
        flags_evidence jsonb NOT NULL DEFAULT '{}',
        edits jsonb NOT NULL DEFAULT '[]',
        foreign_fragments jsonb NOT NULL DEFAULT '[]',
        content_hash text NOT NULL,
        pipeline_version text NOT NULL,
        schema_version integer NOT NULL,
        store_notes jsonb,
        record_hash text NOT NULL,
        revision integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
        previous_content_hash text,
        first_seen_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        duplicate_of text
    )""",
    "CREATE INDEX articles_fetched_at ON articles (fetched_at, id)",
    "CREATE INDEX articles_feed_fetched_at ON articles (feed_url, fetched_at)",
    "CREATE INDEX articles_content_hash ON articles (content_hash)",
    """CREATE TABLE raw_items (
        article_id text PRIMARY KEY,
        feed_url text NOT NULL,
        raw_content bytea NOT NULL,
        raw_content_type text NOT NULL,
        raw_title text,
        fetched_at timestamptz NOT NULL
    )""",
    """CREATE TABLE feeds (
        url text PRIMARY KEY,
        name text,
        etag text,
        last_modified text,
        body_hash text,
        last_status integer,
        last_error_kind text,
        last_error text,
        consecutive_failures integer NOT NULL DEFAULT 0,
        failing_since timestamptz,
        last_fetched_at timestamptz,
        last_ok_at timestamptz,
        next_fetch_at timestamptz,
        permanent_redirect text,
        redirect_count integer NOT NULL DEFAULT 0,
        retired boolean NOT NULL DEFAULT false,
        articles_seen integer NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL
    )""",
    """CREATE TABLE state (
        key text PRIMARY KEY,
        value jsonb NOT NULL,
        updated_at timestamptz NOT NULL
    )""",
]


def _run(statements: list[str]) -> Callable[[Any], None]:
    def migrate(conn: Any) -> None:
        for sql in statements:
            conn.execute(sql)

    return migrate


# The near-duplicate index (sinks/neardup.py): a MinHash signature per article, LSH band keys indexed.
_V2 = [
    """CREATE TABLE near_dup_signatures (
        sig_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        article_id text NOT NULL UNIQUE,
        signature bytea NOT NULL
    )""",
    """CREATE TABLE near_dup_bands (
        band_key bigint NOT NULL,
        sig_id bigint NOT NULL,
        PRIMARY KEY (band_key, sig_id)
    )""",
]


def _v3(conn: Any) -> None:
    """The near-duplicate index's signatures are made another way (one-permutation MinHash, see
    sinks/neardup.py) and made again from the articles' text. Band keys get a hash index instead
    of a primary key: a B-tree over random 64-bit keys made every insert touch a random page
    (~4 us a row); a hash index is about four times cheaper to insert into and to search."""
    from .neardup import rebuild_postgres

    conn.execute("DROP TABLE near_dup_bands")
    conn.execute("CREATE TABLE near_dup_bands (band_key bigint NOT NULL, sig_id bigint NOT NULL)")
    conn.execute("CREATE INDEX near_dup_bands_key ON near_dup_bands USING hash (band_key)")
    rebuild_postgres(conn)


# Numbered, append-only; version 1 creates. Never edit a released migration: add the next one.
MIGRATIONS: list[tuple[int, str, Callable[[Any], None]]] = [
    (1, "create articles, raw_items, feeds, state", _run(_V1)),
    (2, "near-duplicate index: near_dup_signatures, near_dup_bands", _run(_V2)),
    (3, "near-duplicate index: one-permutation signatures, rebuilt from the stored text", _v3),
]
STORE_SCHEMA_VERSION = MIGRATIONS[-1][0]

_UPSERT_ARTICLES = (
    f"INSERT INTO articles ({', '.join(ALL_COLUMNS)}) "
    f"SELECT {', '.join(ALL_COLUMNS)} FROM fs_batch_articles ORDER BY id "
    f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in ALL_COLUMNS if c != 'id')}"
)
_UPSERT_RAW = (
    f"INSERT INTO raw_items ({', '.join(RAW_COLUMNS)}) "
    f"SELECT {', '.join(RAW_COLUMNS)} FROM fs_batch_raw ORDER BY article_id "
    f"ON CONFLICT (article_id) DO UPDATE SET "
    f"{', '.join(f'{c} = excluded.{c}' for c in RAW_COLUMNS if c != 'article_id')}"
)
_FEED_ALL = (*FEED_COLUMNS, "updated_at")
_UPSERT_FEED = (
    f"INSERT INTO feeds ({', '.join(_FEED_ALL)}) VALUES ({', '.join(['%s'] * len(_FEED_ALL))}) "
    f"ON CONFLICT (url) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _FEED_ALL if c != 'url')}"
)


def _lock_key(kind: str, value: str) -> int:
    """A signed 64-bit advisory-lock key for one id or content hash."""
    digest = hashlib.blake2b(
        f"feedscrub:{kind}:{value}".encode("utf-8", "surrogatepass"), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


def _import_psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:
        raise StoreError("PostgreSQL store needs psycopg 3: pip install feedscrub[postgres]") from exc
    return psycopg


class PostgresSink:
    """The PostgreSQL store at ``url`` (a libpq URL). Use ``open_sink(url)`` or this class directly.

    ``retries`` and ``backoff_s`` govern how often and how patiently a failed batch is retried
    before it is spooled to ``spool_dir``.
    """

    def __init__(
        self,
        url: str,
        *,
        retries: int = 4,
        backoff_s: float = 0.5,
        spool_dir: str | Path | None = None,
        connect_timeout_s: int = 10,
        statement_timeout_s: int = 300,
        near_duplicates: NearDuplicateFinder | NearDuplicateIndex | None = None,
    ) -> None:
        self.url = url
        self.statement_timeout_s = statement_timeout_s
        self.near_duplicates = near_duplicates
        self.retries = retries
        self.backoff_s = backoff_s
        self.connect_timeout_s = connect_timeout_s
        key = hashlib.sha256(url.encode()).hexdigest()[:12]
        self.spool = Spool(
            Path(spool_dir or os.environ.get("FEEDSCRUB_SPOOL_DIR", "data/spool")) / f"pg-{key}"
        )
        self._conn: Any = None
        self._psycopg: Any = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"PostgresSink({_redact(self.url)!r})"

    # --- lifecycle ---------------------------------------------------------------------------

    def _connect(self, **kwargs: Any) -> Any:
        psycopg = self._psycopg
        try:
            conn = psycopg.connect(self.url, connect_timeout=self.connect_timeout_s, **kwargs)
        except psycopg.Error as exc:
            raise StoreError(f"{_redact(self.url)}: cannot connect to PostgreSQL: {exc}") from exc
        conn.execute("SET TIME ZONE 'UTC'")
        # a statement that hangs (a lock held by a stuck client, a dead disk) fails, and is retried
        # or spooled, instead of blocking the run forever
        conn.execute(f"SET statement_timeout = {int(self.statement_timeout_s * 1000)}")
        if not conn.autocommit:
            conn.commit()
        return conn

    def open(self) -> None:
        """Connect, create or migrate the schema (under an advisory lock), replay any spool. Idempotent."""
        with self._lock:
            if self._conn is not None:
                return
            self._psycopg = _import_psycopg()
            conn = self._connect(autocommit=True)
            try:
                schema = conn.execute("SELECT current_schema()").fetchone()[0]
                if schema is None:
                    raise StoreError(
                        f"{_redact(self.url)}: no schema to create tables in "
                        "(the search_path names no existing schema)"
                    )
                self._migrate(conn)
            except self._psycopg.Error as exc:
                conn.close()
                raise StoreError(f"{_redact(self.url)}: cannot create or migrate the schema: {exc}") from exc
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        self._replay_spool()

    def _migrate(self, conn: Any) -> None:
        conn.execute("SELECT pg_advisory_lock(hashtextextended('feedscrub:migrate:' || current_schema(), 0))")
        try:
            with conn.transaction():
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_meta (version integer PRIMARY KEY, "
                    "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
                )
                current = conn.execute("SELECT coalesce(max(version), 0) FROM schema_meta").fetchone()[0]
                if current > STORE_SCHEMA_VERSION:
                    raise StoreError(
                        f"{_redact(self.url)}: store schema version {current} is newer than "
                        f"this feedscrub understands ({STORE_SCHEMA_VERSION}); upgrade feedscrub"
                    )
                for version, name, migrate in MIGRATIONS:
                    if version > current:
                        migrate(conn)
                        conn.execute(
                            "INSERT INTO schema_meta (version, name) VALUES (%s, %s)", (version, name)
                        )
                        log.info("%s: applied store migration %d (%s)", _redact(self.url), version, name)
        finally:
            conn.execute(
                "SELECT pg_advisory_unlock(hashtextextended('feedscrub:migrate:' || current_schema(), 0))"
            )

    def schema_version(self) -> int:
        with self._lock:
            return int(self._require().execute("SELECT max(version) FROM schema_meta").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> PostgresSink:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _require(self) -> Any:
        if self._conn is None:
            raise StoreError(
                f"{_redact(self.url)}: the sink is not open (call open() or use it in a with block)"
            )
        if self._conn.closed or self._conn.broken:
            log.warning("%s: connection lost; reconnecting", _redact(self.url))
            self._conn = self._connect(autocommit=True)
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
            prints = self._fingerprints(rows)  # before the transaction: no lock held while hashing
            stats.merge(self._write_with_retries(rows, articles, prints))
        return stats

    def _fingerprints(self, rows: list[PreparedRow]) -> dict[str, Fingerprint]:
        """Near-duplicate fingerprints of the rows whose content the store does not hold yet.

        One read of the batch's stored content hashes, outside the write transaction; when the
        store cannot be read, every row is fingerprinted (the write then retries or spools).
        What changes before the transaction is computed inside it (``NearDuplicateIndex.begin``).
        """
        index = self.near_duplicates
        if index is None or callable(index):
            return {}
        stored: dict[str, str] = {}
        try:
            stored = dict(
                self._require()
                .execute("SELECT id, content_hash FROM articles WHERE id = ANY(%s)", ([r.id for r in rows],))
                .fetchall()
            )
        except (self._psycopg.Error, StoreError) as exc:
            log.debug("%s: cannot read the stored hashes before writing: %s", _redact(self.url), exc)
        return index.fingerprint([r for r in rows if stored.get(r.id) != r.content_hash])

    def _write_with_retries(
        self, rows: list[PreparedRow], articles: Sequence[Article], prints: dict[str, Fingerprint]
    ) -> WriteStats:
        pg = self._psycopg
        record_errors = _record_errors(pg)
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                delay = self.backoff_s * 2 ** (attempt - 1)
                log.warning(
                    "%s: write failed (%s); retry %d/%d in %.1fs",
                    _redact(self.url),
                    last,
                    attempt,
                    self.retries,
                    delay,
                )
                time.sleep(delay)
            try:
                conn = self._require()
                with conn.transaction():
                    return self._apply(conn, rows, prints)
            except record_errors as exc:
                log.warning(
                    "%s: batch of %d refused (%s); writing record by record",
                    _redact(self.url),
                    len(rows),
                    exc,
                )
                try:
                    return self._write_one_by_one(self._require(), rows, prints)
                except pg.OperationalError as exc2:
                    last = exc2
            except (pg.OperationalError, StoreError) as exc:
                last = exc
            except pg.Error as exc:  # not transient, not about one record: a broken store
                raise StoreError(
                    f"{_redact(self.url)}: writing {len(rows)} articles (first {rows[0].id!r}) "
                    f"failed: {str(exc).strip()}"
                ) from exc
        ids = {r.id for r in rows}
        path = self.spool.add([a for a in articles if getattr(a, "id", None) in ids])
        log.error(
            "%s: %d articles could not be written after %d attempts (%s); spooled to %s",
            _redact(self.url),
            len(rows),
            self.retries + 1,
            last,
            path,
        )
        return WriteStats(spooled=[r.id for r in rows])

    def _write_one_by_one(
        self, conn: Any, rows: list[PreparedRow], prints: dict[str, Fingerprint] | None = None
    ) -> WriteStats:
        refused: tuple[type[Exception], ...] = (*_record_errors(self._psycopg), RecordRejected)
        stats = WriteStats()
        with conn.transaction():
            for row in rows:
                try:
                    with conn.transaction():  # a savepoint
                        one = self._apply(conn, [row], prints)
                except refused as exc:
                    stats.rejected.append(
                        (
                            row.id,
                            f"article {row.id!r}: refused by the store: {str(exc).strip().splitlines()[0]}",
                        )
                    )
                else:
                    stats.merge(one)
        return stats

    def _apply(
        self, conn: Any, rows: list[PreparedRow], prints: dict[str, Fingerprint] | None = None
    ) -> WriteStats:
        ids = [r.id for r in rows]
        hashes = sorted({r.content_hash for r in rows})
        keys = sorted({_lock_key("id", i) for i in ids} | {_lock_key("hash", h) for h in hashes})
        with conn.cursor() as cur:
            # One global lock order: writers of overlapping batches queue instead of deadlocking,
            # and the new/updated/duplicate decision below cannot race another writer.
            cur.execute("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(%s::bigint[]) AS k", (keys,))
            cur.execute(f"SELECT id, {', '.join(EXISTING_COLUMNS)} FROM articles WHERE id = ANY(%s)", (ids,))
            existing = {r[0]: Existing(*r[1:]) for r in cur.fetchall()}
            holders = self._holders(cur, hashes, "AND duplicate_of IS NULL")
            holders += self._holders(cur, hashes_without_original(rows, holders))
            near, index = self.near_duplicates, None
            if near is not None and not callable(near):  # a NearDuplicateIndex: own lock, candidates
                from .neardup import PostgresIndexDb

                index = near.begin(rows, existing, PostgresIndexDb(cur), prints, holders)
                near = index.find
            now = cur.execute("SELECT clock_timestamp()").fetchone()[
                0
            ]  # after the locks: follows commit order
            plan = plan_batch(rows, existing, holders, now, near)  # type: ignore[arg-type]
            if index is not None:
                index.store(plan.writes)
            if plan.writes:
                self._ensure_temp_tables(cur)
                with cur.copy(f"COPY fs_batch_articles ({', '.join(ALL_COLUMNS)}) FROM STDIN") as copy:
                    for r in plan.writes:
                        copy.write_row([r.values[c] for c in ALL_COLUMNS])
                with cur.copy(f"COPY fs_batch_raw ({', '.join(RAW_COLUMNS)}) FROM STDIN") as copy:
                    for r in plan.writes:
                        copy.write_row([r.raw[c] for c in RAW_COLUMNS])
                cur.execute(_UPSERT_ARTICLES)
                cur.execute(_UPSERT_RAW)
                cur.execute("DELETE FROM fs_batch_articles")
                cur.execute("DELETE FROM fs_batch_raw")
            if plan.touch:
                cur.execute("UPDATE articles SET last_seen_at = %s WHERE id = ANY(%s)", (now, plan.touch))
        return WriteStats(
            new=plan.new, updated=plan.updated, unchanged=plan.unchanged, duplicates=plan.duplicates
        )

    @staticmethod
    def _holders(cur: Any, hashes: list[str], where: str = "") -> list[tuple[Any, ...]]:
        """``(content_hash, id, first_seen_at, duplicate_of)`` of the stored articles with one of ``hashes``."""
        if not hashes:
            return []
        cur.execute(
            f"SELECT content_hash, id, first_seen_at, duplicate_of FROM articles WHERE content_hash = ANY(%s) {where}",
            (hashes,),
        )
        return [tuple(r) for r in cur.fetchall()]

    def _ensure_temp_tables(self, cur: Any) -> None:
        # Session-private; ON COMMIT DELETE ROWS empties them even if a DELETE above was skipped.
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS fs_batch_articles "
            "(LIKE articles INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS fs_batch_raw "
            "(LIKE raw_items INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )

    def _replay_spool(self) -> None:
        """Write what an earlier run could not; a spool file is removed once written.

        An article the store meanwhile holds in a version fetched later (written by a later run or
        another process) is not replayed: the spooled copy is older and would overwrite it.
        """
        for path, articles in self.spool.pending():
            articles = self._drop_superseded(articles)
            stats = self.write_articles(articles)
            if stats.spooled:  # write_articles spooled them again, in a new file: drop the old one
                self.spool.done(path)
                log.error("%s: replaying %s failed again; kept for the next open()", _redact(self.url), path)
                return
            self.spool.done(path)
            log.warning(
                "%s: replayed %d spooled articles from %s (%d new, %d updated, %d rejected)",
                _redact(self.url),
                len(articles),
                path,
                len(stats.new),
                len(stats.updated),
                len(stats.rejected),
            )

    def _drop_superseded(self, articles: list[Article]) -> list[Article]:
        stored: dict[str, datetime] = {}
        try:
            with self._lock:
                rows = self._require().execute(
                    "SELECT id, fetched_at FROM articles WHERE id = ANY(%s)",
                    ([a.id for a in articles if isinstance(getattr(a, "id", None), str)],),
                )
                stored = dict(rows.fetchall())
        except (self._psycopg.Error, StoreError) as exc:  # the write below retries, then spools again
            log.warning("%s: cannot compare the spool with the store: %s", _redact(self.url), exc)
        keep = [a for a in articles if a.id not in stored or stored[a.id] <= _utc(a.fetched_at)]
        if len(keep) < len(articles):
            log.warning(
                "%s: %d spooled article(s) not replayed: the store holds a version fetched later",
                _redact(self.url),
                len(articles) - len(keep),
            )
        return keep

    def read_records(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        feed_url: str | None = None,
        include_raw: bool = True,
    ) -> Iterator[dict[str, Any]]:
        """Stored rows as decoded dicts (Article fields + store columns), oldest fetched_at first.

        ``since`` is inclusive, ``until`` exclusive; naive datetimes are taken as UTC. Streams with a
        server-side cursor over a separate connection, so memory stays flat.
        """
        self._require()
        from psycopg.rows import dict_row

        where: list[str] = []
        params: list[Any] = []
        if since is not None:
            where.append("a.fetched_at >= %s")
            params.append(_utc(since))
        if until is not None:
            where.append("a.fetched_at < %s")
            params.append(_utc(until))
        if feed_url is not None:
            where.append("a.feed_url = %s")
            params.append(feed_url)
        cols = "a.*" + (", r.raw_content, r.raw_content_type, r.raw_title" if include_raw else "")
        join = " LEFT JOIN raw_items r ON r.article_id = a.id" if include_raw else ""
        sql = (
            f"SELECT {cols} FROM articles a{join}"
            f"{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY a.fetched_at, a.id"
        )
        conn = self._connect(autocommit=False)
        try:
            with conn.cursor(name=f"fs_read_{uuid.uuid4().hex[:8]}", row_factory=dict_row) as cur:
                cur.itersize = 1000
                cur.execute(sql, params)
                for row in cur:
                    yield decode_record(row)
            conn.rollback()
        except self._psycopg.Error as exc:
            raise StoreError(f"{_redact(self.url)}: reading articles failed: {exc}") from exc
        finally:
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
        with self._lock:
            rows = (
                self._require().execute("SELECT id FROM articles WHERE id = ANY(%s)", (list(ids),)).fetchall()
            )
        return {r[0] for r in rows}

    # --- feeds and state ---------------------------------------------------------------------

    def get_feed_states(self, urls: Sequence[str]) -> dict[str, FeedState]:
        from psycopg.rows import dict_row

        with self._lock, self._require().cursor(row_factory=dict_row) as cur:
            cur.execute("SELECT * FROM feeds WHERE url = ANY(%s)", (list(urls),))
            return {r["url"]: feed_state_from_row(r) for r in cur.fetchall()}

    def save_feed_states(self, states: Sequence[FeedState]) -> None:
        now = datetime.now(UTC)
        try:
            params = [(*feed_state_values(s).values(), now) for s in states]
        except RecordRejected as exc:
            raise StoreError(f"{_redact(self.url)}: {exc}") from exc
        if not params:
            return
        with self._lock:
            conn = self._require()
            try:
                with conn.transaction(), conn.cursor() as cur:
                    cur.executemany(_UPSERT_FEED, params)
            except self._psycopg.Error as exc:
                raise StoreError(
                    f"{_redact(self.url)}: saving {len(states)} feed states failed: {exc}"
                ) from exc

    def all_feed_states(self) -> list[FeedState]:
        from psycopg.rows import dict_row

        with self._lock, self._require().cursor(row_factory=dict_row) as cur:
            cur.execute("SELECT * FROM feeds ORDER BY url")
            return [feed_state_from_row(r) for r in cur.fetchall()]

    def get_states(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        with self._lock:
            rows = self._require().execute(
                "SELECT key, value FROM state WHERE key = ANY(%s)", (list(keys),)
            ).fetchall()
        return {k: json.loads(v) if isinstance(v, str) else v for k, v in rows}

    def put_states(self, values: Mapping[str, dict[str, Any]]) -> None:
        params = [(key, safe_json(value, [], key)) for key, value in values.items()]
        if not params:
            return
        with self._lock:
            conn = self._require()
            try:
                with conn.transaction(), conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO state (key, value, updated_at) VALUES (%s, %s::jsonb, now()) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                        params,
                    )
            except self._psycopg.Error as exc:
                raise StoreError(
                    f"{_redact(self.url)}: saving state {', '.join(sorted(values))} failed: {exc}"
                ) from exc


def _record_errors(pg: Any) -> tuple[type[Exception], ...]:
    """Errors about one record's data (bad value, constraint, a trigger's RAISE), not about the store."""
    return (pg.DataError, pg.IntegrityError, pg.InternalError, pg.errors.RaiseException)


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def _redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"


__all__ = ["MIGRATIONS", "STORE_SCHEMA_VERSION", "PostgresSink"]
