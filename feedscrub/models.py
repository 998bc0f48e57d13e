"""The values that travel along feedscrub's one direction: feed → fetch → parse → clean → store → report.

Each arrow is one of these plain dataclasses. ``Article`` is the record downstream teams read: its
JSON Schema (``docs/article.schema.json``) is generated from this module and documented in
``docs/schema.md``; a test keeps the three in step. Bump ``SCHEMA_VERSION`` on any change to
``Article``'s fields.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

SCHEMA_VERSION = 1

ContentType = Literal["text/plain", "text/html"]


# --- fetch -----------------------------------------------------------------------------------


@dataclass(slots=True)
class FeedState:
    """What the store remembers of one feed between runs (conditional GET, health, backoff)."""

    url: str
    name: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_status: int | None = None
    last_error_kind: str | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    last_fetched_at: datetime | None = None
    last_ok_at: datetime | None = None
    next_fetch_at: datetime | None = None
    permanent_redirect: str | None = None
    redirect_count: int = 0
    retired: bool = False
    articles_seen: int = 0


@dataclass(slots=True)
class FetchResult:
    """The outcome of fetching one feed: bytes and headers, or a recorded error. Never raises."""

    feed_url: str
    final_url: str
    status: int | None = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    not_modified: bool = False  # a 304, or a 200 whose body hash is unchanged
    error_kind: str | None = None
    error: str | None = None
    elapsed_s: float = 0.0
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    permanent_redirect: str | None = None
    retry_after_s: float | None = None
    max_age_s: float | None = None
    discovered_url: str | None = None  # the feed a web page advertised, fetched in its place

    @property
    def ok(self) -> bool:
        return self.error_kind is None


# --- parse -----------------------------------------------------------------------------------


@dataclass(slots=True)
class RawEntry:
    """One item of a feed as published, before any cleaning. Kept verbatim so it can be re-cleaned."""

    id: str
    feed_url: str
    guid: str | None
    url: str | None
    title: str | None
    author: str | None
    published_at: datetime | None
    updated_at: datetime | None
    content: str
    content_type: ContentType
    summary: str | None = None
    language: str | None = None  # as declared by the feed or entry


@dataclass(slots=True)
class ParsedFeed:
    """A feed document read by feedparser (or the JSON Feed reader); ``warnings`` keeps bozo notes."""

    feed_url: str
    title: str | None
    language: str | None
    version: str | None
    entries: list[RawEntry]
    warnings: list[str] = field(default_factory=list)
    ttl_s: float | None = None
    alternates: list[str] = field(default_factory=list)  # feed URLs an HTML page advertised


# --- clean -----------------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class Edit:
    """One change a cleaner made: ``text[start:end]`` was ``before`` and became ``after``.

    Offsets index the text as the step that made the edit received it (steps run in order, so
    replaying the edits in order reproduces the output). ``reason`` is for humans.
    """

    rule: str
    start: int
    end: int
    before: str
    after: str
    reason: str = ""
    step: str = ""


@dataclass(slots=True, frozen=True)
class Evidence:
    """Why a flag was raised: which rule or signal, the text that triggered it, and a score."""

    rule: str
    text: str
    score: float | None = None


@dataclass(slots=True, frozen=True)
class ForeignFragment:
    """A stretch of another language inside an article (a translation leftover)."""

    text: str
    start: int
    end: int
    lang: str
    score: float = 0.0
    repaired: bool = False


@dataclass(slots=True)
class Flags:
    """The flags of one article. Each true flag has at least one ``Evidence`` in ``evidence``."""

    unedited_feed: bool = False
    machine_translated: bool = False
    machine_translated_score: float = 0.0
    language_mismatch: bool = False
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "unedited_feed": self.unedited_feed,
            "machine_translated": self.machine_translated,
            "machine_translated_score": round(self.machine_translated_score, 4),
            "language_mismatch": self.language_mismatch,
        }


# --- store -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Article:
    """The clean record of one feed item: what downstream teams read. See docs/schema.md."""

    id: str
    feed_url: str
    source: str | None
    url: str | None
    guid: str | None
    title: str | None
    author: str | None
    published_at: datetime | None
    updated_at: datetime | None
    fetched_at: datetime
    language: str | None
    feed_language: str | None
    text: str
    summary: str | None
    flags: Flags
    edits: list[Edit]
    foreign_fragments: list[ForeignFragment]
    content_hash: str
    pipeline_version: str
    raw_content: str = ""
    raw_content_type: ContentType = "text/html"
    raw_title: str | None = None
    schema_version: int = SCHEMA_VERSION


def content_hash(text: str, title: str | None = None) -> str:
    """A stable hash of an article's cleaned text and title (sha256, hex): equal hashes, equal content."""
    data = text + "\x00" + (title or "")
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def summary_of(text: str, limit: int = 300) -> str | None:
    """The first paragraph of a cleaned text, cut at a word boundary to at most ``limit`` characters."""
    first = text.strip().split("\n", 1)[0].strip()
    if not first:
        return None
    return first if len(first) <= limit else first[: limit - 1].rsplit(" ", 1)[0] + "…"
