"""Article <-> stored row, shared by every sink; and the checks a record passes before it is stored.

What this module is for:

* ``prepare_row`` turns an ``Article`` into the column values of one ``articles`` row plus its
  ``raw_items`` row, after making it safe to store: NUL bytes removed, lone surrogates replaced by
  U+FFFD, over-long display fields truncated, impossible dates set to NULL. Each repair is written
  to the row's ``store_notes`` column, so nothing changes silently. A record that cannot be stored
  sanely (no id, over-long id/URL/text, fetched_at far off) raises ``RecordRejected`` with a reason
  naming the article id; the sink puts it in ``WriteStats.rejected`` and writes the rest.
* ``plan_batch`` decides, for one batch and what the store already holds, which rows are new,
  updated (new content: revision + 1, previous hash kept; same content but new flags/edits/...:
  rewritten, revision kept), unchanged (same ``record_hash``: nothing but ``last_seen_at`` is
  written), or exact duplicates of an earlier article. Both sinks call it inside their write
  transaction, after taking their write locks, so the decision and the write are atomic.
* ``record_to_article`` turns a stored record (a dict of decoded column values) back into an
  ``Article``; ``record_to_export`` into the flat dict the JSONL/Parquet exports write.

What it is not for: talking to a database (see ``sqlite.py`` / ``postgres.py``) or cleaning text.
The sanitising here is the minimum that lets any record be stored; it is not a cleaner.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime, timedelta
from typing import Any

from feedscrub.models import Article, Edit, Evidence, FeedState, Flags, ForeignFragment

# Columns of ``articles`` that come from the Article (in table order), then the ones the store manages.
ARTICLE_COLUMNS: tuple[str, ...] = (
    "id",
    "feed_url",
    "source",
    "url",
    "guid",
    "title",
    "author",
    "published_at",
    "updated_at",
    "fetched_at",
    "language",
    "feed_language",
    "text",
    "summary",
    "unedited_feed",
    "machine_translated",
    "machine_translated_score",
    "language_mismatch",
    "flags_evidence",
    "edits",
    "foreign_fragments",
    "content_hash",
    "pipeline_version",
    "schema_version",
    "store_notes",
    "record_hash",
)
STORE_COLUMNS: tuple[str, ...] = (
    "revision",
    "previous_content_hash",
    "first_seen_at",
    "last_seen_at",
    "duplicate_of",
)
ALL_COLUMNS: tuple[str, ...] = ARTICLE_COLUMNS + STORE_COLUMNS
RAW_COLUMNS: tuple[str, ...] = (
    "article_id",
    "feed_url",
    "raw_content",
    "raw_content_type",
    "raw_title",
    "fetched_at",
)
JSON_COLUMNS = frozenset({"flags_evidence", "edits", "foreign_fragments", "store_notes"})
DATETIME_COLUMNS = frozenset({"published_at", "updated_at", "fetched_at", "first_seen_at", "last_seen_at"})
BOOL_COLUMNS = frozenset({"unedited_feed", "machine_translated", "language_mismatch"})

# Limits, in characters. Identity fields over the limit are rejected (a cut URL is a wrong URL);
# display fields are truncated with a note; bodies over the limit are rejected (a cut body would
# no longer match its content_hash).
REJECT_OVER = {
    "id": 1024,
    "feed_url": 8192,
    "url": 8192,
    "guid": 8192,
    "content_hash": 128,
    "pipeline_version": 256,
    "text": 2_000_000,
    "raw_content": 10_000_000,
}
TRUNCATE_OVER = {"source": 1000, "title": 2000, "raw_title": 2000, "author": 1000, "summary": 100_000}
LANGUAGE_MAX = 64  # longer is not a language tag: stored as NULL with a note
JSON_MAX = 5_000_000  # edits / evidence / fragments, serialised

# Dates: published/updated outside [DATE_MIN, fetched_at + FUTURE_SLACK] are stored as NULL with a
# note (feeds do publish "0001-01-01" and "2099-12-31"); a fetched_at outside
# [FETCHED_MIN, now + FUTURE_SLACK] is a bug upstream and the record is rejected.
DATE_MIN = datetime(1800, 1, 1, tzinfo=UTC)
FETCHED_MIN = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=2)


class RecordRejected(Exception):
    """One record cannot be stored; ``str(exc)`` is the reason (it names the article id)."""


# --- small conversions ------------------------------------------------------------------------


SQL_IN_CHUNK = 900  # values per "IN (...)" query: well under SQLite's variable limit


def in_chunks(items: Sequence[Any], size: int = SQL_IN_CHUNK) -> Iterator[list[Any]]:
    """``items`` in lists of at most ``size``, for ``IN (?, ?, ...)`` queries."""
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def utc(dt: datetime | None) -> datetime | None:
    """An aware UTC datetime. Naive datetimes are taken to be UTC already."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def iso(dt: datetime | None) -> str | None:
    """Fixed-width ISO-8601 in UTC (``2024-05-01T09:30:00.000000+00:00``): sorts as text."""
    d = utc(dt)
    return None if d is None else d.isoformat(timespec="microseconds")


def parse_iso(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return utc(value)
    return utc(datetime.fromisoformat(value))


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def compress_raw(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 1)  # fast; raw HTML still shrinks ~3x


def decompress_raw(blob: bytes | memoryview | None) -> str:
    if not blob:
        return ""
    return zlib.decompress(bytes(blob)).decode("utf-8")


def _has_lone_surrogate(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def clean_str(s: str) -> tuple[str, list[str]]:
    """``s`` without NUL bytes and lone surrogates, and what was done (empty when nothing)."""
    what: list[str] = []
    if "\x00" in s:
        what.append(f"{s.count(chr(0))} NUL byte(s) removed")
        s = s.replace("\x00", "")
    if _has_lone_surrogate(s):
        # A surrogate *pair* held as two code points is rejoined; a lone one becomes U+FFFD.
        s = s.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        what.append("lone surrogate(s) replaced with U+FFFD")
    return s, what


def _clean_tree(value: Any, notes: list[str], where: str) -> Any:
    if isinstance(value, str):
        s, what = clean_str(value)
        if what:
            notes.append(f"{where}: {', '.join(what)}")
        return s
    if isinstance(value, dict):
        return {_clean_tree(k, notes, where): _clean_tree(v, notes, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_tree(v, notes, where) for v in value]
    return value


def safe_json(value: Any, notes: list[str], where: str) -> str:
    """``value`` as JSON text that SQLite and PostgreSQL JSONB both accept (no \\u0000, no lone surrogates)."""
    text = dumps(value)
    if "\\u0000" in text or "\x00" in text or _has_lone_surrogate(text):
        text = dumps(_clean_tree(value, notes, where))
    return text


# --- Article -> row ---------------------------------------------------------------------------


def edits_to_json(edits: Iterable[Edit]) -> list[dict[str, Any]]:
    return [
        {
            "rule": e.rule,
            "start": e.start,
            "end": e.end,
            "before": e.before,
            "after": e.after,
            "reason": e.reason,
            "step": e.step,
        }
        for e in edits
    ]


def evidence_to_json(evidence: Mapping[str, Sequence[Evidence]]) -> dict[str, list[dict[str, Any]]]:
    return {
        flag: [{"rule": e.rule, "text": e.text, "score": e.score} for e in items]
        for flag, items in evidence.items()
    }


def fragments_to_json(fragments: Iterable[ForeignFragment]) -> list[dict[str, Any]]:
    return [
        {
            "text": f.text,
            "start": f.start,
            "end": f.end,
            "lang": f.lang,
            "score": f.score,
            "repaired": f.repaired,
        }
        for f in fragments
    ]


@dataclass(slots=True)
class PreparedRow:
    """One article made safe to store: its ``articles`` values (without store columns) and raw item."""

    id: str
    content_hash: str
    values: dict[str, Any]  # ARTICLE_COLUMNS -> Python value (datetimes aware UTC, JSON as text)
    raw: dict[str, Any]  # RAW_COLUMNS -> value (raw_content zlib-compressed bytes)
    notes: list[str] = field(default_factory=list)


def prepare_row(article: Article, now: datetime | None = None) -> PreparedRow:
    """Check and sanitise one article for storage. Raises ``RecordRejected`` naming the id."""
    now = now or datetime.now(UTC)
    aid = article.id
    if not isinstance(aid, str) or not aid.strip():
        raise RecordRejected(f"article {aid!r}: empty or non-string id")
    label = f"article {aid[:200]!r}"
    if "\x00" in aid or _has_lone_surrogate(aid):
        raise RecordRejected(f"{label}: id holds a NUL byte or a lone surrogate")
    if len(aid) > REJECT_OVER["id"]:
        raise RecordRejected(f"{label}…: id is {len(aid)} chars, over the {REJECT_OVER['id']} limit")
    notes: list[str] = []

    def text_field(name: str, value: Any, required: bool = False) -> str | None:
        if value is None:
            if required:
                raise RecordRejected(f"{label}: {name} is missing")
            return None
        if not isinstance(value, str):
            raise RecordRejected(f"{label}: {name} is {type(value).__name__}, not str")
        s, what = clean_str(value)
        if what:
            notes.append(f"{name}: {', '.join(what)}")
        if name in REJECT_OVER and len(s) > REJECT_OVER[name]:
            raise RecordRejected(f"{label}: {name} is {len(s)} chars, over the {REJECT_OVER[name]} limit")
        if name in TRUNCATE_OVER and len(s) > TRUNCATE_OVER[name]:
            notes.append(f"{name}: truncated from {len(s)} to {TRUNCATE_OVER[name]} chars")
            s = s[: TRUNCATE_OVER[name] - 1] + "…"
        return s

    def date_field(name: str, value: Any, upper: datetime) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise RecordRejected(f"{label}: {name} is {type(value).__name__}, not datetime")
        d = utc(value)
        assert d is not None
        if not DATE_MIN <= d <= upper:
            notes.append(
                f"{name}: {d.isoformat()} out of range [{DATE_MIN.date()}, fetched_at + "
                f"{FUTURE_SLACK.days}d]; stored as NULL"
            )
            return None
        return d

    fetched = article.fetched_at
    if not isinstance(fetched, datetime):
        raise RecordRejected(f"{label}: fetched_at is {type(fetched).__name__}, not datetime")
    fetched_utc = utc(fetched)
    assert fetched_utc is not None
    if not FETCHED_MIN <= fetched_utc <= now + FUTURE_SLACK:
        raise RecordRejected(
            f"{label}: fetched_at {fetched_utc.isoformat()} is out of range "
            f"[{FETCHED_MIN.date()}, now + {FUTURE_SLACK.days}d]"
        )
    upper = fetched_utc + FUTURE_SLACK

    language = text_field("language", article.language)
    if language is not None and len(language) > LANGUAGE_MAX:
        notes.append(f"language: {len(language)} chars is not a language tag; stored as NULL")
        language = None
    feed_language = text_field("feed_language", article.feed_language)
    if feed_language is not None and len(feed_language) > LANGUAGE_MAX:
        notes.append(f"feed_language: {len(feed_language)} chars is not a language tag; stored as NULL")
        feed_language = None

    flags = article.flags
    try:
        score = float(flags.machine_translated_score)
    except (TypeError, ValueError):
        raise RecordRejected(f"{label}: machine_translated_score is not a number") from None
    if score != score or score in (float("inf"), float("-inf")):
        raise RecordRejected(f"{label}: machine_translated_score is {score}")

    json_values = {}
    for name, value in (
        ("flags_evidence", evidence_to_json(flags.evidence)),
        ("edits", edits_to_json(article.edits)),
        ("foreign_fragments", fragments_to_json(article.foreign_fragments)),
    ):
        text = safe_json(value, notes, name)
        if len(text) > JSON_MAX:
            raise RecordRejected(f"{label}: {name} is {len(text)} chars of JSON, over the {JSON_MAX} limit")
        json_values[name] = text

    values: dict[str, Any] = {
        "id": aid,
        "feed_url": text_field("feed_url", article.feed_url, required=True),
        "source": text_field("source", article.source),
        "url": text_field("url", article.url),
        "guid": text_field("guid", article.guid),
        "title": text_field("title", article.title),
        "author": text_field("author", article.author),
        "published_at": date_field("published_at", article.published_at, upper),
        "updated_at": date_field("updated_at", article.updated_at, upper),
        "fetched_at": fetched_utc,
        "language": language,
        "feed_language": feed_language,
        "text": text_field("text", article.text, required=True),
        "summary": text_field("summary", article.summary),
        "unedited_feed": bool(flags.unedited_feed),
        "machine_translated": bool(flags.machine_translated),
        "machine_translated_score": score,
        "language_mismatch": bool(flags.language_mismatch),
        **json_values,
        "content_hash": text_field("content_hash", article.content_hash, required=True),
        "pipeline_version": text_field("pipeline_version", article.pipeline_version, required=True),
        "schema_version": int(article.schema_version),
    }
    raw_content = text_field("raw_content", article.raw_content or "") or ""
    raw = {
        "article_id": aid,
        "feed_url": values["feed_url"],
        "raw_content": compress_raw(raw_content),
        "raw_content_type": text_field("raw_content_type", article.raw_content_type) or "text/html",
        "raw_title": text_field("raw_title", article.raw_title),
        "fetched_at": fetched_utc,
    }
    values["store_notes"] = dumps(notes) if notes else None
    values["record_hash"] = record_hash(values)
    return PreparedRow(id=aid, content_hash=values["content_hash"], values=values, raw=raw, notes=notes)


# Left out of record_hash: the fetch time changes on every run without the record changing.
_NOT_IN_RECORD_HASH = frozenset({"fetched_at", "store_notes", "record_hash"})


def record_hash(values: Mapping[str, Any]) -> str:
    """sha256 over every stored Article column but fetched_at: equal hashes, nothing to rewrite."""
    parts = [
        iso(v) if isinstance(v, datetime) else v
        for name, v in ((n, values.get(n)) for n in ARTICLE_COLUMNS)
        if name not in _NOT_IN_RECORD_HASH
    ]
    return hashlib.sha256(
        json.dumps(parts, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    ).hexdigest()


def prepare_batch(
    articles: Sequence[Article], now: datetime
) -> tuple[list[PreparedRow], list[tuple[str, str]]]:
    """Prepared rows (one per id: the last occurrence wins, at the first one's place) and rejections."""
    by_id: dict[str, PreparedRow] = {}
    rejected: list[tuple[str, str]] = []
    for article in articles:
        try:
            row = prepare_row(article, now)
        except RecordRejected as exc:
            rejected.append((str(getattr(article, "id", "?")), str(exc)))
            continue
        except Exception as exc:  # a malformed value must not sink the batch
            rejected.append(
                (
                    str(getattr(article, "id", "?")),
                    f"article {getattr(article, 'id', '?')!r}: cannot be stored: {exc!r}",
                )
            )
            continue
        by_id[row.id] = row
    return list(by_id.values()), rejected


# --- deciding what a batch does ---------------------------------------------------------------


@dataclass(slots=True)
class Existing:
    """What the store holds for one id, as far as the write decision needs."""

    content_hash: str
    record_hash: str
    revision: int
    previous_content_hash: str | None
    first_seen_at: Any  # datetime or fixed-width ISO text: only compared with its own kind
    duplicate_of: str | None


# The columns a sink selects to build ``Existing`` (after ``id``), in its field order.
EXISTING_COLUMNS = (
    "content_hash",
    "record_hash",
    "revision",
    "previous_content_hash",
    "first_seen_at",
    "duplicate_of",
)


@dataclass(slots=True)
class BatchPlan:
    """The rows to insert or overwrite (with store columns filled in), the ids to touch, the stats."""

    writes: list[PreparedRow] = field(default_factory=list)
    touch: list[str] = field(default_factory=list)  # unchanged ids: only last_seen_at is set
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


NearDuplicateFinder = Callable[[PreparedRow], "str | None"]
"""The near-duplicate hook: given a row about to be stored as an original (no exact duplicate; its
``first_seen_at`` already set), the id of an earlier article it nearly duplicates, or None. The
MinHash/LSH index of ``neardup.py`` plugs in here (``SqliteSink(..., near_duplicates=
NearDuplicateIndex(...))``); a plain callable works too. None is installed by default."""


def hashes_without_original(
    rows: Sequence[PreparedRow], originals: Iterable[tuple[str, str, Any, str | None]]
) -> list[str]:
    """The batch's content hashes for which ``plan_batch`` needs every stored holder, not only the
    originals (``duplicate_of`` null) the sink read first: those with no original usable here (none
    stored, or only one whose row in this batch changes its content). A wire story carried by
    hundreds of feeds has one original and hundreds of copies: reading only the original keeps
    the read flat as the store grows."""
    new_hash = {r.id: r.content_hash for r in rows}
    covered = {h for h, aid, _, _ in originals if new_hash.get(aid, h) == h}
    return sorted({r.content_hash for r in rows} - covered)


def plan_batch(
    rows: Sequence[PreparedRow],
    existing: Mapping[str, Existing],
    hash_holders: Iterable[tuple[str, str, Any, str | None]],
    now: Any,
    near_duplicates: NearDuplicateFinder | None = None,
) -> BatchPlan:
    """Decide new / updated / unchanged / duplicate for ``rows``.

    Same id, same content_hash and same record_hash: unchanged (only last_seen_at is set). Same
    content_hash but another record_hash (flags, edits, language, pipeline_version... changed, as
    after a re-clean): rewritten in place, ``updated``, revision kept. Another content_hash: rewritten,
    ``updated``, revision + 1 and the old hash kept in previous_content_hash.

    ``existing`` maps the batch's ids already stored to their current state; ``hash_holders`` lists
    ``(content_hash, id, first_seen_at, duplicate_of)`` of every stored article whose hash is one of
    the batch's; ``now`` is the write time in the same kind as ``first_seen_at`` (datetime or text).

    An article whose content_hash equals that of an article with another id is a duplicate of the
    original: the article already stored with that hash (the one not itself marked a duplicate,
    then the earliest first_seen_at, then the smallest id), or, when none is stored, the first of
    the batch to carry it. It is stored with ``duplicate_of`` set and listed in ``duplicates`` only.
    ``near_duplicates`` is the hook for near-duplicates (MinHash): consulted only for rows that
    would otherwise be stored as originals. See docs/storage.md, "Duplicates".
    """
    plan = BatchPlan()
    # rank: stored holders first (originals before duplicates), then the batch in its order
    holders: dict[str, list[tuple[Any, ...]]] = {}
    batch_ids = {r.id for r in rows}
    for h, aid, first_seen, dup_of in hash_holders:
        if aid in batch_ids and existing.get(aid) is not None and existing[aid].content_hash != h:
            continue
        holders.setdefault(h, []).append((0, dup_of is not None, first_seen, aid))
    for pos, row in enumerate(rows):
        ex = existing.get(row.id)
        if ex is None or ex.content_hash != row.content_hash:
            holders.setdefault(row.content_hash, []).append((1, False, pos, row.id))
    canonical = {h: min(c)[-1] for h, c in holders.items()}
    for row in rows:
        ex = existing.get(row.id)
        if ex is not None and ex.content_hash == row.content_hash:
            if ex.record_hash == row.values["record_hash"]:
                plan.unchanged.append(row.id)
                plan.touch.append(row.id)
            else:  # same content, new flags/edits/language/pipeline_version (a re-clean): refresh
                row.values.update(
                    revision=ex.revision,
                    previous_content_hash=ex.previous_content_hash,
                    first_seen_at=ex.first_seen_at,
                    last_seen_at=now,
                    duplicate_of=ex.duplicate_of,
                )
                plan.writes.append(row)
                plan.updated.append(row.id)
            continue
        first = canonical[row.content_hash]
        dup_of = first if first != row.id else None
        row.values["last_seen_at"] = now
        if ex is None:
            row.values.update(revision=1, previous_content_hash=None, first_seen_at=now)
        else:
            row.values.update(
                revision=ex.revision + 1,
                previous_content_hash=ex.content_hash,
                first_seen_at=ex.first_seen_at,
            )
        if dup_of is None and near_duplicates is not None:  # sees the row's first_seen_at: earlier wins
            near = near_duplicates(row)
            dup_of = near if near != row.id else None
        row.values["duplicate_of"] = dup_of
        plan.writes.append(row)
        if dup_of is not None:
            plan.duplicates.append(row.id)
        elif ex is None:
            plan.new.append(row.id)
        else:
            plan.updated.append(row.id)
    return plan


# --- stored record -> Article / export --------------------------------------------------------


def _loads(value: Any) -> Any:
    if value is None or isinstance(value, (list, dict)):
        return value
    return json.loads(value)


def decode_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row (any driver) as plain Python values: aware UTC datetimes, decoded JSON, bools."""
    rec = dict(row)
    for k in DATETIME_COLUMNS:
        if k in rec:
            rec[k] = parse_iso(rec[k])
    for k in JSON_COLUMNS:
        if k in rec:
            rec[k] = _loads(rec[k])
    for k in BOOL_COLUMNS:
        if k in rec and rec[k] is not None:
            rec[k] = bool(rec[k])
    if "raw_content" in rec and not isinstance(rec["raw_content"], str):
        rec["raw_content"] = decompress_raw(rec["raw_content"])
    return rec


def record_to_article(rec: Mapping[str, Any]) -> Article:
    """A decoded stored record back into an ``Article`` (raw fields empty if not read)."""
    evidence = {
        flag: [Evidence(rule=e["rule"], text=e["text"], score=e.get("score")) for e in items]
        for flag, items in (rec["flags_evidence"] or {}).items()
    }
    return Article(
        id=rec["id"],
        feed_url=rec["feed_url"],
        source=rec["source"],
        url=rec["url"],
        guid=rec["guid"],
        title=rec["title"],
        author=rec["author"],
        published_at=rec["published_at"],
        updated_at=rec["updated_at"],
        fetched_at=rec["fetched_at"],
        language=rec["language"],
        feed_language=rec.get("feed_language"),
        text=rec["text"],
        summary=rec["summary"],
        flags=Flags(
            unedited_feed=bool(rec["unedited_feed"]),
            machine_translated=bool(rec["machine_translated"]),
            machine_translated_score=float(rec["machine_translated_score"]),
            language_mismatch=bool(rec["language_mismatch"]),
            evidence=evidence,
        ),
        edits=[Edit(**e) for e in rec["edits"] or []],
        foreign_fragments=[ForeignFragment(**f) for f in rec["foreign_fragments"] or []],
        content_hash=rec["content_hash"],
        pipeline_version=rec["pipeline_version"],
        raw_content=rec.get("raw_content") or "",
        raw_content_type=rec.get("raw_content_type") or "text/html",
        raw_title=rec.get("raw_title"),
        schema_version=int(rec["schema_version"]),
    )


def article_to_record(article: Article) -> dict[str, Any]:
    """An ``Article`` as a decoded record without store columns (for sinks that only yield Articles)."""
    f = article.flags
    rec: dict[str, Any] = {
        "id": article.id,
        "feed_url": article.feed_url,
        "source": article.source,
        "url": article.url,
        "guid": article.guid,
        "title": article.title,
        "author": article.author,
        "published_at": utc(article.published_at),
        "updated_at": utc(article.updated_at),
        "fetched_at": utc(article.fetched_at),
        "language": article.language,
        "feed_language": article.feed_language,
        "text": article.text,
        "summary": article.summary,
        "unedited_feed": f.unedited_feed,
        "machine_translated": f.machine_translated,
        "machine_translated_score": f.machine_translated_score,
        "language_mismatch": f.language_mismatch,
        "flags_evidence": evidence_to_json(f.evidence),
        "edits": edits_to_json(article.edits),
        "foreign_fragments": fragments_to_json(article.foreign_fragments),
        "content_hash": article.content_hash,
        "pipeline_version": article.pipeline_version,
        "schema_version": article.schema_version,
        "store_notes": None,
        "record_hash": None,
    }
    rec.update(dict.fromkeys(STORE_COLUMNS))
    return rec


# Columns of an export record, in order (the Parquet schema in export.py follows it).
EXPORT_COLUMNS: tuple[str, ...] = ALL_COLUMNS


def record_to_export(rec: Mapping[str, Any], *, json_dates: bool) -> dict[str, Any]:
    """The flat export dict of one decoded record. With ``json_dates`` datetimes become ISO text."""
    out = {k: rec.get(k) for k in EXPORT_COLUMNS}
    if json_dates:
        for k in DATETIME_COLUMNS:
            out[k] = iso(out[k])
    return out


# --- FeedState --------------------------------------------------------------------------------

FEED_COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclass_fields(FeedState))
FEED_DATETIME_COLUMNS = frozenset({"failing_since", "last_fetched_at", "last_ok_at", "next_fetch_at"})


def feed_state_values(state: FeedState) -> dict[str, Any]:
    """A FeedState as column values (datetimes aware UTC, strings made safe to store)."""
    out: dict[str, Any] = {}
    for name in FEED_COLUMNS:
        v = getattr(state, name)
        if isinstance(v, str):
            v = clean_str(v)[0]
        elif isinstance(v, datetime):
            v = utc(v)
        out[name] = v
    if not out["url"]:
        raise RecordRejected(f"feed state {state.url!r}: empty url")
    return out


def feed_state_from_row(row: Mapping[str, Any]) -> FeedState:
    values = {k: row[k] for k in FEED_COLUMNS}
    for k in FEED_DATETIME_COLUMNS:
        values[k] = parse_iso(values[k])
    values["retired"] = bool(values["retired"])
    return FeedState(**values)


# --- Article <-> JSON (the spool) -------------------------------------------------------------


def article_to_json(article: Article) -> str:
    """One Article as a JSON line, exact (raw fields included, lone surrogates escaped)."""
    rec = article_to_record(article)
    for k in STORE_COLUMNS:
        rec.pop(k)
    rec.pop("store_notes")
    rec.pop("record_hash")
    for k in DATETIME_COLUMNS & rec.keys():
        rec[k] = iso(rec[k])
    rec.update(
        raw_content=article.raw_content,
        raw_content_type=article.raw_content_type,
        raw_title=article.raw_title,
    )
    return json.dumps(rec, ensure_ascii=True, separators=(",", ":"))


def article_from_json(line: str) -> Article:
    rec = decode_record(json.loads(line))
    return record_to_article(rec)
