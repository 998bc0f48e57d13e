"""One ingest, as plain Python: fetch → parse → clean → store → report.

Two halves, joined by a bounded stream of ``Chunk`` values:

- ``ingest_feeds`` (the run's own process, async): loads the feeds' states, fetches every due
  feed (``Fetcher``: politeness and limits), follows autodiscovery, fetches full-text pages, and
  settles itself every feed that brought nothing new to parse (304, unchanged body, failed, not
  due), writing their feed states in batches. Only the bodies of changed feeds travel on, a few
  feeds per ``Chunk``, to ``run_chunk``. At most ``2 × workers`` chunks are in flight; when they
  are, fetching pauses (``Fetcher.fetch_all(window=...)``), so memory is bounded by the
  concurrency, not by the number of feeds.
- ``ingest_chunk`` (a worker; any process): parses, sanitises, cleans and stores each feed of a
  chunk, updates learned boilerplate, then saves the chunk's feed states, after its articles.

``run_shard`` runs both in this process, chunks in one worker thread: tests, benchmarks and the
crash tests use it. The Prefect flow (``flows/ingest.py``) runs the same ``ingest_feeds`` with
``run_chunk`` submitting a task to its task runner (one process per core for ``ingest_parallel``),
so a run where nothing changed never starts a worker process. Nothing here imports Prefect.

Failure rules: a feed that fails is recorded (kind and message) and the run goes on; an article
whose cleaning fails is still stored raw (text empty, ``pipeline_version`` ending in ``+error``)
so a later re-clean can fix it; a feed fetched but not stored (its storing failed, or its chunk
failed after the runner's retries) is recorded failed and stays due with its old validators, so
the next run fetches its whole body again: nothing fetched is lost.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import httpx

from feedscrub.cleaners.build import PIPELINE_VERSION
from feedscrub.cleaners.learned import LearnedState, update_learned_state
from feedscrub.cleaners.pipeline import CleanResult, Document, Pipeline
from feedscrub.cleaners.settings import CleanSettings
from feedscrub.config import pipeline_for
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

CHUNK_FEEDS = 25  # most feeds per chunk (fewer near the end of a run, so workers finish together)
CHUNK_BYTES = 8 * 1024 * 1024  # most feed-body bytes per chunk
STATE_BATCH = 200  # feed states settled by the fetching side, written in one transaction


# --- values that cross from the fetching side to a worker --------------------------------------


@dataclass(slots=True)
class FullText:
    """A full-text feed, parsed on the fetching side, its new entries' article pages fetched."""

    parsed: ParsedFeed  # only the entries not stored yet, their content replaced by the page's text
    already_stored: int
    warnings: list[str]


@dataclass(slots=True)
class FetchedFeed:
    """A feed whose body changed: what a worker needs to parse, clean and store it."""

    feed: FeedSpec
    result: FetchResult
    state: FeedState | None  # as loaded at the start of the run
    full_text: FullText | None = None


@dataclass(slots=True)
class Chunk:
    """A few changed feeds, processed and retried together by one worker."""

    number: int
    feeds: list[FetchedFeed]

    @property
    def size_bytes(self) -> int:
        return sum(len(f.result.body or b"") for f in self.feeds)


ChunkRunner = Callable[[Chunk], "Future[ShardReport]"]


# --- plain-Python entry point -------------------------------------------------------------------


def run_shard(feeds: Sequence[FeedSpec], settings: Settings, store_url: str, *,
              log: logging.Logger | logging.LoggerAdapter[Any] | None = None,
              now: datetime | None = None, transport: httpx.AsyncBaseTransport | None = None,
              on_feed_done: FeedDone | None = None) -> ShardReport:
    """Ingest every due feed of ``feeds`` into the store at ``store_url``; never raises for a feed.

    No Prefect: the chunks run in one worker thread of this process while fetching goes on.
    ``transport`` replaces the HTTP transport for feeds (tests). Article pages for full-text feeds
    always go through the connect-time SSRF guard (``feedscrub.netguard``).
    """
    logger = log or _log
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="feedscrub-chunk") as worker:

        def run_chunk(chunk: Chunk) -> Future[ShardReport]:
            return worker.submit(ingest_chunk, chunk, settings, store_url, log=logger)

        return run_sync(ingest_feeds(feeds, settings, store_url, run_chunk, workers=1, log=logger, now=now,
                                     transport=transport, on_feed_done=on_feed_done))


def run_sync(coro: Any) -> Any:
    """``asyncio.run(coro)``, also from a thread that already runs an event loop (then in a helper
    thread, with this thread's context variables, e.g. Prefect's run context)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    ctx = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=1) as helper:
        return helper.submit(ctx.run, asyncio.run, coro).result()


# --- the fetching side --------------------------------------------------------------------------


async def ingest_feeds(feeds: Sequence[FeedSpec], settings: Settings, store_url: str, run_chunk: ChunkRunner, *,
                       workers: int = 1, chunk_feeds: int = CHUNK_FEEDS, log: Any = None,
                       now: datetime | None = None, transport: httpx.AsyncBaseTransport | None = None,
                       on_feed_done: FeedDone | None = None) -> ShardReport:
    """Fetch every due feed of ``feeds``; settle unchanged and failed ones here, send changed ones
    to ``run_chunk`` in chunks of at most ``chunk_feeds``. Returns one report for every feed."""
    log = log or _log
    now = now or datetime.now(UTC)
    report = ShardReport()

    def done(fr: FeedReport) -> None:
        report.feeds.append(fr)
        if on_feed_done:
            on_feed_done(fr)

    sink = await asyncio.to_thread(open_sink, store_url, near_duplicate_threshold=settings.near_duplicate_threshold,
                                   shingle_words=settings.near_duplicate_shingle_words)
    try:
        states = await asyncio.to_thread(sink.get_feed_states, [f.url for f in feeds])
        due: list[FeedSpec] = []
        for feed in feeds:
            state = states.get(feed.url)
            if state is not None and (state.retired or not is_due(state, now)):
                done(FeedReport(url=feed.url, name=feed.source, status="retired" if state.retired else "not_due",
                                consecutive_failures=state.consecutive_failures))
            else:
                due.append(feed)
        settled = _StateBatch(sink, log)
        chunks = _Chunks(run_chunk, workers, chunk_feeds, len(due), report, done, settled, log)
        full_texts: set[asyncio.Task[None]] = set()
        async with Fetcher(settings.fetch, transport=transport) as fetcher, \
                ArticleFetcher(settings.fetch) as articles:  # guarded; never the feed transport
            async for feed, result in fetcher.fetch_all(due, states, window=settings.fetch.concurrency):
                chunks.fetched += 1
                result = await _autodiscover(fetcher, feed, result, log)
                state = states.get(feed.url)
                if not (result.ok and result.body and not result.not_modified):
                    fr, new_state = settle_unchanged(feed, result, state, settings, log)
                    await settled.add(new_state)
                    done(fr)
                elif feed.full_text:
                    t = asyncio.create_task(_full_text(chunks, sink, articles, FetchedFeed(feed, result, state),
                                                       settled, done, log))
                    full_texts.add(t)
                    t.add_done_callback(full_texts.discard)
                else:
                    await chunks.add(FetchedFeed(feed, result, state))
            if full_texts:
                await asyncio.gather(*full_texts)
        await chunks.finish()
        await settled.flush()
    finally:
        await asyncio.to_thread(sink.close)
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


async def _full_text(chunks: _Chunks, sink: Sink, articles: ArticleFetcher, item: FetchedFeed,
                     settled: _StateBatch, done: FeedDone, log: Any) -> None:
    """Fetch the article page of each entry not stored yet, then send the feed on as usual.
    Entries already stored are left alone: their page was fetched when they were new."""
    feed = item.feed
    try:
        parsed = await asyncio.to_thread(parse_sanitised, item.result, feed)
        known = await asyncio.to_thread(sink.existing_ids, [e.id for e in parsed.entries])
        fresh = [e for e in parsed.entries if e.id not in known]
        entries, warnings = await articles.fetch_full_texts(feed, fresh)
        parsed.entries = [sanitize_entry(e) for e in entries]
    except Exception as exc:  # one feed's surprise must not stop the run
        fr, state = not_stored(item, "internal", f"{type(exc).__name__}: {exc}", log)
        await settled.add(state)
        done(fr)
        return
    item.full_text = FullText(parsed=parsed, already_stored=len(known), warnings=warnings)
    await chunks.add(item)


class _StateBatch:
    """Feed states settled on the fetching side, written ``STATE_BATCH`` at a time."""

    def __init__(self, sink: Sink, log: Any) -> None:
        self.sink, self.log = sink, log
        self.pending: list[FeedState] = []

    async def add(self, state: FeedState) -> None:
        self.pending.append(state)
        if len(self.pending) >= STATE_BATCH:
            await self.flush()

    async def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        try:
            await asyncio.to_thread(self.sink.save_feed_states, batch)
        except Exception as exc:  # the feeds are fetched again next run; nothing is lost
            self.log.error("%d feed state(s) not saved: %s", len(batch), exc)


class _Chunks:
    """Groups changed feeds into chunks and keeps at most ``2 × workers`` of them in flight.

    A chunk goes out when it is full, when a worker is idle (so the first feeds start at once), or
    at the end. Chunk size shrinks as the run nears its end, so the workers finish together.
    """

    def __init__(self, run_chunk: ChunkRunner, workers: int, chunk_feeds: int, due: int, report: ShardReport,
                 done: FeedDone, settled: _StateBatch, log: Any) -> None:
        self.run_chunk, self.workers, self.chunk_feeds = run_chunk, max(1, workers), max(1, chunk_feeds)
        self.max_in_flight = 2 * self.workers
        self.due, self.fetched = due, 0
        self.report, self.done, self.settled, self.log = report, done, settled, log
        self.pending: list[FetchedFeed] = []
        self.pending_bytes = 0
        self.in_flight: set[asyncio.Future[None]] = set()
        self.numbers = 0

    def _target(self) -> int:
        left = self.due - self.fetched + len(self.pending)
        return max(1, min(self.chunk_feeds, math.ceil(left / (2 * self.workers))))

    async def add(self, item: FetchedFeed) -> None:
        self.pending.append(item)
        self.pending_bytes += len(item.result.body or b"")
        while self.pending:
            full = len(self.pending) >= self._target() or self.pending_bytes >= CHUNK_BYTES
            if not (full or len(self.in_flight) < self.workers):
                return
            if len(self.in_flight) >= self.max_in_flight:
                await self._wait_one()  # back-pressure: fetching waits with us
                continue
            self._submit()

    async def finish(self) -> None:
        while self.pending:
            if len(self.in_flight) >= self.max_in_flight:
                await self._wait_one()
            else:
                self._submit()
        while self.in_flight:
            await self._wait_one()

    async def _wait_one(self) -> None:
        await asyncio.wait(self.in_flight, return_when=asyncio.FIRST_COMPLETED)
        for f in [f for f in self.in_flight if f.done()]:
            self.in_flight.discard(f)

    def _submit(self) -> None:
        take = self.pending[: self._target()]
        self.pending = self.pending[len(take):]
        self.pending_bytes = sum(len(f.result.body or b"") for f in self.pending)
        chunk = Chunk(self.numbers, take)
        self.numbers += 1
        try:
            fut: asyncio.Future[Any] = asyncio.wrap_future(self.run_chunk(chunk))
        except Exception as exc:  # the runner refused it: same as a chunk that failed
            fut = asyncio.get_running_loop().create_future()
            fut.set_exception(exc)
        settled = asyncio.ensure_future(self._settle(chunk, fut))
        self.in_flight.add(settled)
        settled.add_done_callback(self.in_flight.discard)

    async def _settle(self, chunk: Chunk, fut: asyncio.Future[Any]) -> None:
        try:
            result: ShardReport = await fut
        except Exception as exc:  # failed after the runner's retries: record, keep due, lose nothing
            why = f"{type(exc).__name__}: {exc}"
            self.log.error("chunk %d (%d feeds) failed: %s", chunk.number, len(chunk.feeds), why)
            for item in chunk.feeds:
                fr, state = not_stored(item, "chunk", why, self.log)
                await self.settled.add(state)
                self.done(fr)
            return
        self.report.flagged.extend(result.flagged)
        for fr in result.feeds:
            self.done(fr)


# --- what the fetching side settles itself -----------------------------------------------------


def settle_unchanged(feed: FeedSpec, result: FetchResult, state: FeedState | None, settings: Settings,
                     log: Any) -> tuple[FeedReport, FeedState]:
    """The report and new state of a feed with nothing to parse: not modified, or failed."""
    fr = FeedReport(url=feed.url, name=feed.source, http_status=result.status, elapsed_s=result.elapsed_s)
    if not result.ok:
        fr.status, fr.error_kind, fr.error = "failed", result.error_kind, result.error
        log.warning("feed %s: %s: %s", feed.source, result.error_kind, result.error)
    else:
        fr.status = "not_modified"
        log.debug("feed %s: not modified", feed.source)
    return fr, _settle(fr, feed, result, state, None, settings, log)


def not_stored(item: FetchedFeed, kind: str, error: str, log: Any) -> tuple[FeedReport, FeedState]:
    """A feed fetched but not stored: failed, due again, its validators as before the run (so the
    next run gets the whole body, not a 304)."""
    feed, now = item.feed, datetime.now(UTC)
    s = replace(item.state) if item.state is not None else FeedState(url=feed.url, name=feed.name)
    s.name = feed.name or s.name
    s.last_fetched_at = now
    s.last_error_kind, s.last_error = kind, error
    s.consecutive_failures += 1
    s.failing_since = s.failing_since or now
    s.next_fetch_at = None
    fr = FeedReport(url=feed.url, name=feed.source, status="failed", http_status=item.result.status,
                    error_kind=kind, error=error, consecutive_failures=s.consecutive_failures,
                    failing_since=s.failing_since, elapsed_s=item.result.elapsed_s)
    log.error("feed %s: fetched but not stored: %s: %s", feed.source, kind, error)
    return fr, s


def _settle(fr: FeedReport, feed: FeedSpec, result: FetchResult, state: FeedState | None,
            parsed: ParsedFeed | None, settings: Settings, log: Any) -> FeedState:
    new_state = next_state(state, feed, result, parsed, datetime.now(UTC), settings.fetch)
    if fr.status == "ok" and new_state.consecutive_failures:
        # fetched, but nothing readable as a feed (an HTML page, garbage): health counts it failed
        fr.status, fr.error_kind, fr.error = "failed", new_state.last_error_kind, new_state.last_error
        log.warning("feed %s: %s: %s", feed.source, fr.error_kind, fr.error)
    if result.discovered_url and fr.status == "ok":
        # fetch the advertised feed directly from now on, as after a confirmed permanent redirect
        new_state.permanent_redirect = result.discovered_url
        new_state.redirect_count = settings.fetch.redirect_confirm_runs
        fr.warnings.append(f"autodiscovered: the URL is a web page; its feed is {result.discovered_url}")
    fr.consecutive_failures = new_state.consecutive_failures
    fr.failing_since = new_state.failing_since
    return new_state


# --- the worker side ----------------------------------------------------------------------------


def ingest_chunk(chunk: Chunk, settings: Settings, store_url: str, *, log: Any = None) -> ShardReport:
    """Parse, clean and store every feed of ``chunk``; then save the chunk's feed states (after its
    articles, so a crash in between only means fetching those feeds again). Raises only when the
    store cannot be opened: the caller retries the chunk.

    The chunk's articles are written together, ``settings.batch_size`` per transaction, not one
    feed at a time: a feed holds ~20 articles, and each transaction has a fixed cost (the write
    lock, which the other workers wait for, and the near-duplicate lookups)."""
    log = log or _log
    report = ShardReport()
    base = pipeline_for(settings)
    with open_sink(store_url, near_duplicate_threshold=settings.near_duplicate_threshold,
                   shingle_words=settings.near_duplicate_shingle_words) as sink:
        learned = _load_learned(sink, {item.feed.source for item in chunk.feeds})
        # this chunk's learned state; the steps (and their word lists) are shared
        pipeline = Pipeline(base.steps, base.finish, base.settings, replace(base.resources, learned=learned))
        cleaned = [_clean_feed(item, pipeline, log) for item in chunk.feeds]
        stats, write_error = WriteStats(), None
        try:
            stats = _write(sink, [a for c in cleaned if c.error is None for a in c.articles], settings.batch_size)
        except Exception as exc:  # the store refused the whole chunk: every feed with articles failed
            write_error = f"{type(exc).__name__}: {exc}"
            log.error("chunk %d: storing failed: %s", chunk.number, write_error)
        states: list[FeedState] = []
        changed_sources: set[str] = set()
        for c in cleaned:
            if c.error is None and write_error is not None and c.articles:
                c.error = write_error
            fr, state, learned_new = _finish_feed(c, stats, pipeline.settings, settings, report, log, learned)
            report.feeds.append(fr)
            states.append(state)
            if learned_new:
                changed_sources.add(c.item.feed.source)
        try:
            sink.put_states({f"learned:{source}": learned[source].to_dict() for source in sorted(changed_sources)})
        except Exception as exc:  # learning resumes from the last saved state next run
            log.error("chunk %d: learned boilerplate of %d source(s) not saved: %s",
                      chunk.number, len(changed_sources), exc)
        try:
            sink.save_feed_states(states)
        except Exception as exc:  # the feeds are fetched again next run; their articles are stored
            log.error("chunk %d: %d feed state(s) not saved: %s", chunk.number, len(states), exc)
            for fr in report.feeds:
                fr.warnings.append(f"feed state not saved: {exc}")
    return report


def _load_learned(sink: Sink, sources: Iterable[str]) -> dict[str, LearnedState]:
    stored = sink.get_states([f"learned:{source}" for source in sorted(sources)])
    return {key.removeprefix("learned:"): LearnedState.from_dict(data) for key, data in stored.items() if data}


def _learn(feed: FeedSpec, entries: list[RawEntry], as_text: dict[str, str | None], new_ids: set[str],
           clean: CleanSettings, learned: dict[str, LearnedState]) -> bool:
    """Count only articles stored for the first time: a feed re-serves the same items every run,
    and counting them again would make an article's own paragraphs look like boilerplate. Counts
    the text the pipeline converted already; the raw HTML is parsed again only when there is none."""
    fresh = [e for e in entries if e.id in new_ids]
    if not fresh:
        return False
    state = learned.get(feed.source)
    for e in fresh:
        text = as_text.get(e.id)
        if text is not None:
            state = update_learned_state(state, feed.source, text, clean, content_type="text/plain")
        else:
            state = update_learned_state(state, feed.source, e.content, clean, content_type=e.content_type)
    if state is None:
        return False
    learned[feed.source] = state
    return True


def parse_sanitised(result: FetchResult, feed: FeedSpec) -> ParsedFeed:
    """Parse a fetched feed; only sanitised HTML is ever stored (raw_items) and cleaned, so a later
    re-clean from the store reproduces this run's text."""
    parsed = parse_feed(result, feed)
    parsed.entries = [sanitize_entry(e) for e in parsed.entries]
    return parsed


@dataclass(slots=True)
class _CleanedFeed:
    """One feed of a chunk, parsed and cleaned, waiting for the chunk's write."""

    item: FetchedFeed
    report: FeedReport
    parsed: ParsedFeed | None = None
    articles: list[Article] = field(default_factory=list)
    as_text: dict[str, str | None] = field(default_factory=dict)
    error: str | None = None  # the feed failed: nothing of it is stored, its state stays due


def _clean_feed(item: FetchedFeed, pipeline: Pipeline, log: Any) -> _CleanedFeed:
    feed, result, full_text = item.feed, item.result, item.full_text
    fr = FeedReport(url=feed.url, name=feed.source, http_status=result.status, elapsed_s=result.elapsed_s)
    out = _CleanedFeed(item, fr)
    try:
        parsed = out.parsed = full_text.parsed if full_text else parse_sanitised(result, feed)
        fr.warnings.extend(parsed.warnings)
        for w in parsed.warnings:
            log.warning("feed %s: %s", feed.source, w)
        if full_text:
            fr.warnings.extend(full_text.warnings)
            for w in full_text.warnings:
                log.warning("feed %s: %s", feed.source, w)
        fr.entries = len(parsed.entries) + (full_text.already_stored if full_text else 0)
        fetched_at = datetime.now(UTC)
        out.articles = [_clean_entry(e, feed, pipeline, fetched_at, fr, log, out.as_text) for e in parsed.entries]
    except Exception as exc:  # one feed's surprise must not stop the chunk
        log.error("feed %s: %s: %s", feed.source, type(exc).__name__, exc, exc_info=True)
        out.error = f"{type(exc).__name__}: {exc}"
    return out


def _finish_feed(c: _CleanedFeed, stats: WriteStats, clean: CleanSettings, settings: Settings, report: ShardReport,
                 log: Any, learned: dict[str, LearnedState]) -> tuple[FeedReport, FeedState, bool]:
    """The feed's share of the chunk's write: its counts, learned boilerplate, flagged articles and
    new state."""
    item, fr, parsed = c.item, c.report, c.parsed
    feed, full_text = item.feed, item.full_text
    learned_new = False
    try:
        if c.error is not None:
            raise _FeedFailed(c.error)
        mine = {a.id for a in c.articles}
        new, updated = [i for i in stats.new if i in mine], [i for i in stats.updated if i in mine]
        duplicates = [i for i in stats.duplicates if i in mine]
        spooled = [i for i in stats.spooled if i in mine]
        rejected = [(i, why) for i, why in stats.rejected if i in mine]
        fr.new, fr.updated = len(new), len(updated)
        fr.unchanged = sum(1 for i in stats.unchanged if i in mine) + (full_text.already_stored if full_text else 0)
        fr.duplicates, fr.rejected, fr.spooled = len(duplicates), len(rejected), len(spooled)
        if spooled:
            fr.warnings.append(f"{len(spooled)} article(s) spooled locally: the store was unreachable; "
                               "they are written on the next run")
            log.warning("feed %s: %d article(s) spooled: the store was unreachable", feed.source, len(spooled))
        for aid, why in rejected:
            fr.warnings.append(f"article {aid} rejected by the store: {why}")
            log.warning("feed %s: article %s rejected by the store: %s", feed.source, aid, why)
        assert parsed is not None
        learned_new = _learn(feed, parsed.entries, c.as_text, set(new) | set(duplicates), clean, learned)
        changed = set(new) | set(updated)
        for a in c.articles:
            if a.id in changed and (a.flags.unedited_feed or a.flags.machine_translated):
                fr.flagged += 1
                report.flagged.append(_flagged(a, feed))
        log.info("feed %s: %d entries, %d new, %d updated, %d unchanged, %d duplicates, %d flagged",
                 feed.source, fr.entries, fr.new, fr.updated, fr.unchanged, fr.duplicates, fr.flagged)
    except Exception as exc:  # one feed's surprise must not stop the chunk
        why = str(exc) if isinstance(exc, _FeedFailed) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, _FeedFailed):
            log.error("feed %s: %s", feed.source, why, exc_info=True)
        failed, state = not_stored(item, "internal", why, log)
        failed.warnings = fr.warnings
        return failed, state, learned_new
    return fr, _settle(fr, feed, item.result, item.state, parsed, settings, log), learned_new


class _FeedFailed(Exception):
    """A feed of a chunk that failed while it was parsed, cleaned or stored."""


def _write(sink: Sink, articles: list[Article], batch_size: int) -> WriteStats:
    stats = WriteStats()
    for i in range(0, len(articles), batch_size):
        stats.merge(sink.write_articles(articles[i:i + batch_size]))
    return stats


def _clean_entry(entry: RawEntry, feed: FeedSpec, pipeline: Pipeline, fetched_at: datetime,
                 fr: FeedReport, log: Any, as_text: dict[str, str | None]) -> Article:
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
    as_text[entry.id] = result.as_text
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


__all__ = ["Chunk", "ChunkRunner", "FetchedFeed", "FullText", "ingest_chunk", "ingest_feeds", "make_article",
           "parse_sanitised", "pipeline_for", "run_shard", "run_sync", "settle_unchanged"]
