"""One ingest of a shard of feeds, as plain Python: fetch → parse → clean → store → report.

The Prefect flow (``flows/ingest.py``) runs ``run_shard`` once per shard as a task; tests and
benchmarks call it directly. Nothing here imports Prefect: logging goes to whatever logger the
caller hands in (the flow passes Prefect's run logger).

Failure rules: a feed that fails is recorded (kind and message) and the shard goes on; an article
whose cleaning fails is still stored raw (text empty, ``pipeline_version`` ending in ``+error``)
so a later re-clean can fix it; nothing fetched is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx

from feedscrub.cleaners.build import PIPELINE_VERSION
from feedscrub.cleaners.learned import LearnedState, update_learned_state
from feedscrub.cleaners.pipeline import CleanResult, Document, Pipeline
from feedscrub.config import build_pipeline
from feedscrub.config import clean_settings as pipeline_settings
from feedscrub.fetch import Fetcher
from feedscrub.fulltext import ArticleFetcher
from feedscrub.health import is_due, next_state
from feedscrub.models import (
    Article,
    FeedState,
    FetchResult,
    Flags,
    ParsedFeed,
    RawEntry,
    content_hash,
    summary_of,
)
from feedscrub.parse import discover_feed_links, parse_feed
from feedscrub.report import FeedReport, FlaggedArticle, ShardReport
from feedscrub.sanitize import sanitize_entry
from feedscrub.settings import FeedSpec, Settings
from feedscrub.sinks import open_sink
from feedscrub.sinks.base import Sink, WriteStats

_log = logging.getLogger("feedscrub.ingest")

FeedDone = Callable[[FeedReport], None]


def run_shard(feeds: Sequence[FeedSpec], settings: Settings, store_url: str, *,
              log: logging.Logger | logging.LoggerAdapter[Any] | None = None,
              now: datetime | None = None, transport: httpx.AsyncBaseTransport | None = None,
              on_feed_done: FeedDone | None = None) -> ShardReport:
    """Ingest every due feed of ``feeds`` into the store at ``store_url``; never raises for a feed.

    ``transport`` replaces the HTTP transport for feeds (tests). Article pages for full-text feeds
    always go through the connect-time SSRF guard (``feedscrub.netguard``).
    """
    return asyncio.run(_run_shard(feeds, settings, store_url, log or _log, now, transport, on_feed_done))


async def _run_shard(feeds: Sequence[FeedSpec], settings: Settings, store_url: str, log: Any,
                     now: datetime | None, transport: httpx.AsyncBaseTransport | None,
                     on_feed_done: FeedDone | None) -> ShardReport:
    # Fetching runs on this event loop; parsing, cleaning and storing (CPU and a blocking database)
    # run in one worker thread that also owns the store connection, so fetches keep flowing while
    # earlier feeds are processed.
    now = now or datetime.now(UTC)
    report = ShardReport()
    loop = asyncio.get_running_loop()

    def done(fr: FeedReport) -> None:
        report.feeds.append(fr)
        if on_feed_done:
            on_feed_done(fr)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="feedscrub-shard") as worker:
        sink = await loop.run_in_executor(worker, partial(
            open_sink, store_url, near_duplicate_threshold=settings.near_duplicate_threshold,
            shingle_words=settings.near_duplicate_shingle_words))
        try:
            states = await loop.run_in_executor(worker, sink.get_feed_states, [f.url for f in feeds])
            due: list[FeedSpec] = []
            for feed in feeds:
                state = states.get(feed.url)
                if state is not None and (state.retired or not is_due(state, now)):
                    done(FeedReport(url=feed.url, name=feed.source,
                                    status="retired" if state.retired else "not_due",
                                    consecutive_failures=state.consecutive_failures))
                else:
                    due.append(feed)
            learned = await loop.run_in_executor(worker, _load_learned, sink, {f.source for f in due})
            pipeline = build_pipeline(settings, learned=learned)
            work = FeedWork(pipeline, sink, settings, report, log, learned)
            pending: list[asyncio.Future[FeedReport]] = []
            async with Fetcher(settings.fetch, transport=transport) as fetcher, \
                    ArticleFetcher(settings.fetch) as articles:  # guarded; never the feed transport
                async for feed, result in fetcher.fetch_all(due, states):
                    result = await _autodiscover(fetcher, feed, result, log)
                    state = states.get(feed.url)
                    fut: asyncio.Future[FeedReport]
                    if feed.full_text and result.ok and result.body and not result.not_modified:
                        fut = asyncio.ensure_future(
                            _with_full_text(loop, worker, work, articles, feed, result, state))
                    else:
                        fut = loop.run_in_executor(worker, work.ingest_feed, feed, result, state)
                    fut.add_done_callback(lambda f: done(f.result()) if not f.exception() else None)
                    pending.append(fut)
                await asyncio.gather(*pending)
        finally:
            await loop.run_in_executor(worker, sink.close)
    return report


async def _autodiscover(fetcher: Fetcher, feed: FeedSpec, result: FetchResult, log: Any) -> FetchResult:
    """A web page given instead of a feed: fetch the feed its <link rel="alternate"> names."""
    if not (result.ok and result.body and not result.not_modified and _looks_like_html_page(result.body)):
        return result
    links = discover_feed_links(result.body, result.final_url)
    if not links:
        return result
    log.info("feed %s: %s is a web page; using the feed it advertises, %s", feed.source, result.final_url, links[0])
    found = await fetcher.fetch(feed.model_copy(update={"url": links[0]}), None)
    found.feed_url = feed.url
    found.discovered_url = links[0]
    return found


def _looks_like_html_page(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512]


@dataclass(slots=True)
class FeedWork:
    """Everything one shard's worker thread needs to turn a fetch result into stored articles."""

    pipeline: Pipeline
    sink: Sink
    settings: Settings
    report: ShardReport
    log: Any
    learned: dict[str, LearnedState]

    def ingest_feed(self, feed: FeedSpec, result: FetchResult, state: FeedState | None,
                    full_text: FullText | None = None) -> FeedReport:
        return _ingest_feed(feed, result, state, self.pipeline, self.sink, self.settings, self.report, self.log,
                            self.learned, full_text)


async def _with_full_text(loop: asyncio.AbstractEventLoop, worker: ThreadPoolExecutor, work: FeedWork,
                          articles: ArticleFetcher, feed: FeedSpec, result: FetchResult,
                          state: FeedState | None) -> FeedReport:
    """Fetch the article page of each entry not stored yet, then ingest as usual. Entries already
    stored are left alone: their page was fetched when they were new."""
    parsed = await loop.run_in_executor(worker, parse_sanitised, result, feed)
    known = await loop.run_in_executor(worker, work.sink.existing_ids, [e.id for e in parsed.entries])
    fresh = [e for e in parsed.entries if e.id not in known]
    entries, warnings = await articles.fetch_full_texts(feed, fresh)
    parsed.entries = [sanitize_entry(e) for e in entries]
    full = FullText(parsed=parsed, already_stored=len(known), warnings=warnings)
    return await loop.run_in_executor(worker, work.ingest_feed, feed, result, state, full)


def _load_learned(sink: Sink, sources: set[str]) -> dict[str, LearnedState]:
    learned = {}
    for source in sources:
        data = sink.get_state(f"learned:{source}")
        if data:
            learned[source] = LearnedState.from_dict(data)
    return learned


def _learn(sink: Sink, feed: FeedSpec, entries: list[RawEntry], new_ids: set[str], settings: Settings,
           learned: dict[str, LearnedState]) -> None:
    """Count only articles stored for the first time: a feed re-serves the same items every run,
    and counting them again would make an article's own paragraphs look like boilerplate."""
    fresh = [e for e in entries if e.id in new_ids]
    if not fresh:
        return
    clean_settings = pipeline_settings(settings)
    state = learned.get(feed.source)
    for e in fresh:
        state = update_learned_state(state, feed.source, e.content, clean_settings, content_type=e.content_type)
    if state is not None:
        learned[feed.source] = state
        sink.put_state(f"learned:{feed.source}", state.to_dict())


def parse_sanitised(result: FetchResult, feed: FeedSpec) -> ParsedFeed:
    """Parse a fetched feed; only sanitised HTML is ever stored (raw_items) and cleaned, so a later
    re-clean from the store reproduces this run's text."""
    parsed = parse_feed(result, feed)
    parsed.entries = [sanitize_entry(e) for e in parsed.entries]
    return parsed


@dataclass(slots=True)
class FullText:
    """A full-text feed, parsed on the event loop side, its new entries' article pages fetched."""

    parsed: ParsedFeed  # only the entries not stored yet, their content replaced by the page's text
    already_stored: int
    warnings: list[str]


def _ingest_feed(feed: FeedSpec, result: FetchResult, state: FeedState | None, pipeline: Pipeline,
                 sink: Sink, settings: Settings, report: ShardReport, log: Any,
                 learned: dict[str, LearnedState] | None = None, full_text: FullText | None = None) -> FeedReport:
    fr = FeedReport(url=feed.url, name=feed.source, http_status=result.status, elapsed_s=result.elapsed_s)
    parsed = None
    try:
        if not result.ok:
            fr.status, fr.error_kind, fr.error = "failed", result.error_kind, result.error
            log.warning("feed %s: %s: %s", feed.source, result.error_kind, result.error)
        elif result.not_modified:
            fr.status = "not_modified"
            log.info("feed %s: not modified", feed.source)
        else:
            parsed = full_text.parsed if full_text else parse_sanitised(result, feed)
            fr.warnings.extend(parsed.warnings)
            for w in parsed.warnings:
                log.warning("feed %s: %s", feed.source, w)
            if full_text:
                fr.warnings.extend(full_text.warnings)
                for w in full_text.warnings:
                    log.warning("feed %s: %s", feed.source, w)
            fr.entries = len(parsed.entries) + (full_text.already_stored if full_text else 0)
            fetched_at = datetime.now(UTC)
            articles = [_clean_entry(e, feed, pipeline, fetched_at, fr, log) for e in parsed.entries]
            stats = _write(sink, articles, settings.batch_size)
            fr.new, fr.updated, fr.unchanged = len(stats.new), len(stats.updated), len(stats.unchanged)
            fr.unchanged += full_text.already_stored if full_text else 0
            fr.duplicates, fr.rejected, fr.spooled = len(stats.duplicates), len(stats.rejected), len(stats.spooled)
            if stats.spooled:
                fr.warnings.append(f"{len(stats.spooled)} article(s) spooled locally: the store was unreachable; "
                                   "they are written on the next run")
                log.warning("feed %s: %d article(s) spooled: the store was unreachable", feed.source, len(stats.spooled))
            for aid, why in stats.rejected:
                fr.warnings.append(f"article {aid} rejected by the store: {why}")
                log.warning("feed %s: article %s rejected by the store: %s", feed.source, aid, why)
            if learned is not None:
                _learn(sink, feed, parsed.entries, set(stats.new) | set(stats.duplicates), settings, learned)
            changed = set(stats.new) | set(stats.updated)
            for a in articles:
                if a.id in changed and (a.flags.unedited_feed or a.flags.machine_translated):
                    fr.flagged += 1
                    report.flagged.append(_flagged(a, feed))
            log.info("feed %s: %d entries, %d new, %d updated, %d unchanged, %d duplicates, %d flagged",
                     feed.source, fr.entries, fr.new, fr.updated, fr.unchanged, fr.duplicates, fr.flagged)
    except Exception as exc:  # one feed's surprise must not stop the shard
        fr.status, fr.error_kind, fr.error = "failed", "internal", f"{type(exc).__name__}: {exc}"
        log.error("feed %s: %s", feed.source, fr.error, exc_info=True)
    new_state = next_state(state, feed, result, parsed, datetime.now(UTC), settings.fetch)
    if fr.status == "ok" and new_state.consecutive_failures:
        # fetched, but nothing readable as a feed (an HTML page, garbage): health counts it failed
        fr.status, fr.error_kind, fr.error = "failed", new_state.last_error_kind, new_state.last_error
        log.warning("feed %s: %s: %s", feed.source, fr.error_kind, fr.error)
    elif fr.status == "failed" and result.ok:
        # the fetch worked but storing did not: keep the feed due so the next run tries again
        new_state.next_fetch_at = None
    if result.discovered_url and fr.status == "ok":
        # fetch the advertised feed directly from now on, as after a confirmed permanent redirect
        new_state.permanent_redirect = result.discovered_url
        new_state.redirect_count = settings.fetch.redirect_confirm_runs
        fr.warnings.append(f"autodiscovered: the URL is a web page; its feed is {result.discovered_url}")
    fr.consecutive_failures = new_state.consecutive_failures
    fr.failing_since = new_state.failing_since
    try:
        sink.save_feed_states([new_state])
    except Exception as exc:
        fr.warnings.append(f"feed state not saved: {exc}")
        log.error("feed %s: feed state not saved: %s", feed.source, exc)
    return fr


def _write(sink: Sink, articles: list[Article], batch_size: int) -> WriteStats:
    stats = WriteStats()
    for i in range(0, len(articles), batch_size):
        stats.merge(sink.write_articles(articles[i:i + batch_size]))
    return stats


def _clean_entry(entry: RawEntry, feed: FeedSpec, pipeline: Pipeline, fetched_at: datetime,
                 fr: FeedReport, log: Any) -> Article:
    doc = Document(content=entry.content, content_type=entry.content_type, title=entry.title,
                   feed_language=feed.language or entry.language, source=feed.source)
    try:
        result = pipeline.clean(doc)
        version = PIPELINE_VERSION
    except Exception as exc:
        fr.warnings.append(f"article {entry.url or entry.id}: cleaning failed: {exc}")
        log.error("feed %s: article %s: cleaning failed: %s", feed.source, entry.url or entry.id, exc)
        result = CleanResult(text="", title=entry.title, language=None, flags=Flags(), edits=[],
                             foreign_fragments=[])
        version = f"{PIPELINE_VERSION}+error"
    return make_article(entry, feed, result, fetched_at, version)


def make_article(entry: RawEntry, feed: FeedSpec, result: CleanResult, fetched_at: datetime,
                 pipeline_version: str) -> Article:
    """The stored record: the entry's identity and dates, the cleaner's text, flags and edits."""
    return Article(
        id=entry.id,
        feed_url=feed.url,
        source=feed.source,
        url=entry.url,
        guid=entry.guid,
        title=result.title,
        author=entry.author,
        published_at=entry.published_at,
        updated_at=entry.updated_at,
        fetched_at=fetched_at,
        language=result.language,
        feed_language=feed.language or entry.language,
        text=result.text,
        summary=summary_of(result.text),
        flags=result.flags,
        edits=result.edits,
        foreign_fragments=result.foreign_fragments,
        content_hash=content_hash(result.text, result.title),
        pipeline_version=pipeline_version,
        raw_content=entry.content,
        raw_content_type=entry.content_type,
        raw_title=entry.title,
    )


def _flagged(a: Article, feed: FeedSpec) -> FlaggedArticle:
    flags = [n for n in ("unedited_feed", "machine_translated") if getattr(a.flags, n)]
    evidence = [f"{name}: {ev.rule}: {ev.text[:120]}" for name in flags for ev in a.flags.evidence.get(name, [])[:3]]
    shown = [e for e in a.edits if e.step not in ("html", "unicode")][:3]
    before = " … ".join(e.before[:100] for e in shown)
    after = " … ".join(e.after[:100] or "∅" for e in shown)
    return FlaggedArticle(article_id=a.id, feed=feed.source, title=a.title, url=a.url, flags=flags,
                          evidence=evidence, before=before, after=after)


