"""The one small interface every store implements.

A sink stores ``Article`` records idempotently (upsert by id), the raw item each was cleaned from,
each feed's ``FeedState``, and small JSON state documents (e.g. learned boilerplate per source).
A sink knows nothing about cleaning: it stores what it is given.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from feedscrub.models import Article, FeedState


@dataclass(slots=True)
class WriteStats:
    """What one ``write_articles`` call did, by article id."""

    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # stored, with duplicate_of set
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (article id, reason)
    spooled: list[str] = field(default_factory=list)  # store unreachable: kept locally, written by the next open()

    def merge(self, other: WriteStats) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.spooled += other.spooled


@runtime_checkable
class Sink(Protocol):
    url: str

    def open(self) -> None:
        """Connect and create or migrate the schema. Idempotent."""

    def write_articles(self, articles: Sequence[Article]) -> WriteStats:
        """Upsert by ``Article.id`` in one transaction; a bad record is rejected, the rest written."""

    def read_articles(self, *, since: datetime | None = None, until: datetime | None = None,
                      feed_url: str | None = None) -> Iterator[Article]:
        """Stored articles (by fetched_at window), oldest first."""

    def count_articles(self) -> int: ...

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are stored already."""

    def get_feed_states(self, urls: Sequence[str]) -> dict[str, FeedState]: ...

    def save_feed_states(self, states: Sequence[FeedState]) -> None: ...

    def all_feed_states(self) -> list[FeedState]: ...

    def get_states(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The small JSON documents kept between runs (e.g. ``learned:<source>``) under ``keys``;
        a key never saved is absent from the result."""

    def put_states(self, values: Mapping[str, dict[str, Any]]) -> None:
        """Save (replace) documents by key, all in one transaction."""

    def close(self) -> None: ...

    def __enter__(self) -> Sink:
        """``open()`` and return the sink; ``__exit__`` closes it."""

    def __exit__(self, *exc: object) -> None: ...
