"""Re-clean stored articles from their raw items with the current cleaners.

Used after a rule change: ``feedscrub reclean --dry-run`` reports how many articles would change,
per rule, with a few before/after examples; without ``--dry-run`` the records are updated and
carry the new ``pipeline_version``. Nothing is fetched again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime

from feedscrub.cleaners.build import PIPELINE_VERSION
from feedscrub.cleaners.pipeline import Document, Pipeline
from feedscrub.models import Article, content_hash, summary_of
from feedscrub.sinks.base import Sink, WriteStats


@dataclass(slots=True)
class RecleanExample:
    article_id: str
    title: str | None
    rules: list[str]
    before: str
    after: str


@dataclass(slots=True)
class RecleanReport:
    dry_run: bool
    examined: int = 0
    changed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    rules_added: Counter[str] = field(default_factory=Counter)
    rules_dropped: Counter[str] = field(default_factory=Counter)
    examples: list[RecleanExample] = field(default_factory=list)
    written: WriteStats = field(default_factory=WriteStats)


def reclean(sink: Sink, pipeline: Pipeline, *, since: datetime | None = None, until: datetime | None = None,
            dry_run: bool = False, batch_size: int = 500, max_examples: int = 5) -> RecleanReport:
    report = RecleanReport(dry_run=dry_run)
    batch: list[Article] = []
    for old in _stored(sink, since, until):
        report.examined += 1
        try:
            new = reclean_article(old, pipeline)
        except Exception as exc:  # report it, keep the stored record, go on
            report.failed.append((old.id, f"{type(exc).__name__}: {exc}"))
            continue
        if not _differs(old, new):
            continue
        report.changed += 1
        old_rules, new_rules = Counter(e.rule for e in old.edits), Counter(e.rule for e in new.edits)
        report.rules_added.update(new_rules - old_rules)
        report.rules_dropped.update(old_rules - new_rules)
        if len(report.examples) < max_examples:
            report.examples.append(_example(old, new, old_rules, new_rules))
        if not dry_run:
            batch.append(new)
            if len(batch) >= batch_size:
                report.written.merge(sink.write_articles(batch))
                batch = []
    if batch:
        report.written.merge(sink.write_articles(batch))
    return report


def _stored(sink: Sink, since: datetime | None, until: datetime | None) -> Iterator[Article]:
    # Materialise ids first would cost memory; reading while writing is safe because writes only
    # touch rows already read (ordered by fetched_at) and each batch is its own transaction.
    yield from sink.read_articles(since=since, until=until)


def reclean_article(old: Article, pipeline: Pipeline) -> Article:
    result = pipeline.clean(Document(content=old.raw_content, content_type=old.raw_content_type,
                                     title=old.raw_title, feed_language=old.feed_language, source=old.source))
    return replace(old, title=result.title, language=result.language, text=result.text,
                   summary=summary_of(result.text), flags=result.flags,
                   edits=result.edits, foreign_fragments=result.foreign_fragments,
                   content_hash=content_hash(result.text, result.title),
                   pipeline_version=PIPELINE_VERSION)


def _differs(old: Article, new: Article) -> bool:
    return (old.content_hash != new.content_hash or old.pipeline_version != new.pipeline_version
            or old.flags.as_dict() != new.flags.as_dict() or old.language != new.language)


def _example(old: Article, new: Article, old_rules: Counter[str], new_rules: Counter[str]) -> RecleanExample:
    rules = sorted(set(old_rules) ^ set(new_rules))
    a, b = old.text, new.text
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    start = max(0, i - 60)
    return RecleanExample(old.id, new.title, rules, a[start:i + 120], b[start:i + 120])
