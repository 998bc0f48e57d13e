"""What a run did, per feed and in total: the run's own summary record.

Kept by feedscrub itself (not inferred from Prefect task counts) and rendered as the CLI summary
table and as Prefect artifacts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class FlaggedArticle:
    """A short view of one flagged article for the run report."""

    article_id: str
    feed: str
    title: str | None
    url: str | None
    flags: list[str]
    evidence: list[str]
    before: str
    after: str


@dataclass(slots=True)
class FeedReport:
    url: str
    name: str
    status: str = "ok"  # ok | not_modified | failed | not_due | retired
    http_status: int | None = None
    entries: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    spooled: int = 0  # written to the local spool because the store was unreachable; replayed next run
    flagged: int = 0
    warnings: list[str] = field(default_factory=list)
    error_kind: str | None = None
    error: str | None = None
    failing_since: datetime | None = None
    consecutive_failures: int = 0
    elapsed_s: float = 0.0


@dataclass(slots=True)
class ShardReport:
    feeds: list[FeedReport] = field(default_factory=list)
    flagged: list[FlaggedArticle] = field(default_factory=list)


@dataclass(slots=True)
class RunSummary:
    store: str
    started_at: datetime
    finished_at: datetime | None = None
    feeds: list[FeedReport] = field(default_factory=list)
    flagged_articles: list[FlaggedArticle] = field(default_factory=list)
    skipped_reason: str | None = None  # set when the run did nothing (e.g. its predecessor still runs)

    def add(self, shard: ShardReport) -> None:
        self.feeds.extend(shard.feeds)
        self.flagged_articles.extend(shard.flagged)

    def _sum(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.feeds)

    @property
    def feeds_ok(self) -> int:
        return sum(f.status in ("ok", "not_modified") for f in self.feeds)

    @property
    def feeds_failed(self) -> int:
        return sum(f.status == "failed" for f in self.feeds)

    @property
    def feeds_skipped(self) -> int:
        return sum(f.status in ("not_due", "retired") for f in self.feeds)

    @property
    def new(self) -> int:
        return self._sum("new")

    @property
    def updated(self) -> int:
        return self._sum("updated")

    @property
    def unchanged(self) -> int:
        return self._sum("unchanged")

    @property
    def flagged(self) -> int:
        return self._sum("flagged")

    @property
    def failing(self) -> list[FeedReport]:
        return [f for f in self.feeds if f.status == "failed"]
