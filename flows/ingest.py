"""The ingest flow: load feeds, fetch them in this process, send changed feeds to workers in chunks.

The run's process fetches every due feed (``feedscrub.ingest.ingest_feeds``: politeness, limits,
autodiscovery, full text) and settles by itself the feeds with nothing new (304, unchanged,
failed, not due). Only the bodies of changed feeds go to the task runner, a few feeds per
``ingest-chunk`` task run (task runs cost 10-15 ms and ~40 KB until the flow ends, so never one
per article), with at most two chunks per worker in flight: fetching waits for the workers, and
memory stays bounded by the concurrency. ``ingest_parallel`` runs the chunks in one process per
core; Python starts those processes on the first submitted chunk, so a run where every feed
answered 304 starts none. The run keeps its own summary (``RunSummary``), published as artifacts
with stable keys so the UI shows their history.
"""

from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import Future
from contextlib import AbstractContextManager, ExitStack, nullcontext
from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency
from prefect.context import FlowRunContext
from prefect.events import emit_event
from prefect.futures import PrefectFuture
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from feedscrub.config import load_feeds, load_settings, pipeline_for
from feedscrub.errors import ConfigError
from feedscrub.ingest import Chunk, FeedDone, ingest_chunk, ingest_feeds, run_sync
from feedscrub.report import FeedReport, RunSummary, ShardReport
from feedscrub.runreport import feed_health_rows, feed_rows, flagged_markdown
from feedscrub.settings import Settings

# Set by the CLI to draw a progress bar; None under a worker. Called in the flow's process as
# each feed is settled, so it works with either task runner.
progress_hook: FeedDone | None = None

WORKERS = os.cpu_count() or 1  # processes of ingest_parallel


def _worth_retrying(task: Any, task_run: Any, state: Any) -> bool:
    """Retry network and database trouble, not a broken configuration."""
    try:
        state.result()
    except ConfigError:
        return False
    except Exception:
        return True
    return False


@task(name="ingest-chunk", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[5, 30],
      retry_jitter_factor=0.5, retry_condition_fn=_worth_retrying)
def ingest_chunk_task(chunk: Chunk, settings: Settings, store: str) -> ShardReport:
    """Parse, clean and store one chunk of fetched feeds, and save their feed states."""
    return ingest_chunk(chunk, settings, resolve_store(store), log=get_run_logger())


@flow(name="feedscrub-ingest", log_prints=False, validate_parameters=True,
      task_runner=ThreadPoolTaskRunner())
def ingest(feeds: list[str] | None = None, store: str | None = None, group: str | None = None,
           config: str | None = None) -> RunSummary:
    """One ingest run over a feed list (YAML, OPML or URLs) into a store."""
    log = get_run_logger()
    settings = load_settings(config)
    key = _key(group)
    with ExitStack() as held:
        # Two runs of one feed group never overlap: the second one skips instead of piling up.
        try:
            held.enter_context(_run_slot(key, settings.prefect.overlap_wait_s))
        except TimeoutError:
            log.warning("skipped: a previous ingest run of feed group %r is still going "
                        "(global concurrency limit %r is taken)", group or "all", f"feedscrub-{key}")
            return RunSummary(store=_redact(store or settings.store), started_at=datetime.now(UTC),
                              finished_at=datetime.now(UTC), skipped_reason="previous run still going")
        return _ingest(feeds, store, group, settings, key)


# The same flow with chunks in separate processes, one per core, so cleaning (CPU-bound) uses every
# core. The CLI picks it for multi-shard runs; prefect.yaml's scheduled deployment uses it.
ingest_parallel = ingest.with_options(task_runner=ProcessPoolTaskRunner(max_workers=WORKERS))


def _run_slot(key: str, wait_s: float) -> Any:
    name = f"feedscrub-{key}"
    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(name, 1)
    # A short lease: if the run's process is killed, the slot frees itself within a minute, before
    # the zombie automation (90 s without heartbeat) has the crashed run re-run.
    return concurrency(name, occupy=1, timeout_seconds=wait_s, strict=True, lease_duration=60)


def _ingest(feeds: list[str] | None, store: str | None, group: str | None, settings: Settings,
            key: str) -> RunSummary:
    log = get_run_logger()
    pipeline_for(settings)  # a broken rule pack fails the run here, once, not in every chunk
    store_ref = store or settings.store  # a reference (env:/secret:) is resolved inside each task
    specs = [f for f in load_feeds(feeds, settings) if f.enabled and (group is None or f.group == group)]
    ctx = FlowRunContext.get()
    workers = WORKERS if ctx and isinstance(ctx.task_runner, ProcessPoolTaskRunner) else 1
    log.info("ingest: %d feeds into %s (%d worker%s)", len(specs), _redact(store_ref), workers,
             "s" if workers > 1 else "")
    summary = RunSummary(store=_redact(store_ref), started_at=datetime.now(UTC))
    progress = _Progress(key, len(specs))
    # No task timeout: Prefect cannot interrupt a task in a worker thread. Each fetch has its own
    # connect/read/total timeouts, and a chunk holds only fetched bodies, which bound a chunk.
    chunk_task = ingest_chunk_task.with_options(retries=settings.prefect.task_retries,
                                                retry_delay_seconds=settings.prefect.task_retry_delay_s)

    def run_chunk(chunk: Chunk) -> Future[ShardReport]:
        return _settled(chunk_task.submit(chunk, settings, store_ref))

    def feed_done(fr: FeedReport) -> None:
        progress.feed_done()
        if progress_hook:
            progress_hook(fr)

    with _api_for_workers() if workers > 1 else nullcontext():
        report = run_sync(ingest_feeds(specs, settings, resolve_store(store_ref), run_chunk, workers=workers,
                                       chunk_feeds=settings.prefect.chunk_feeds, log=log,
                                       on_feed_done=feed_done))
    summary.add(report)
    progress.finish()
    summary.finished_at = datetime.now(UTC)
    _publish(summary, key)
    log.info("ingest done: %d feeds ok, %d failed, %d not due; %d new, %d updated, %d unchanged, %d flagged",
             summary.feeds_ok, summary.feeds_failed, summary.feeds_skipped, summary.new, summary.updated,
             summary.unchanged, summary.flagged)
    alert_at = settings.prefect.alert_after_failures
    for f in summary.failing:
        log.warning("failing feed %s: %s: %s (%d runs in a row)", f.name, f.error_kind, f.error,
                    f.consecutive_failures)
        if f.consecutive_failures >= alert_at and f.consecutive_failures % alert_at == 0:
            _emit_failing(f)
    return summary


def _api_for_workers() -> AbstractContextManager[Any]:
    """Worker processes report to the API this run uses. Without PREFECT_API_URL (``feedscrub run``
    on Prefect's temporary server) each worker would start a temporary server of its own: ~15 s
    before its first chunk, and its task runs missing from this run's UI."""
    if PREFECT_API_URL.value():
        return nullcontext()
    with get_client(sync_client=True) as client:
        url = str(client.api_url)
    return temporary_settings(updates={PREFECT_API_URL: url})


def _settled(pf: PrefectFuture[ShardReport]) -> Future[ShardReport]:
    """A plain future holding the task's result (or its exception after the retries)."""
    out: Future[ShardReport] = Future()

    def settle(f: PrefectFuture[ShardReport]) -> None:
        try:
            out.set_result(f.result())
        except BaseException as exc:
            out.set_exception(exc)

    pf.add_done_callback(settle)
    return out


class _Progress:
    """The progress artifact: feeds settled, in percent, updated every 5 % or 10 s at most."""

    def __init__(self, key: str, total: int) -> None:
        self.total, self.done, self.shown, self.at = total, 0, 0.0, time.monotonic()
        made: Any = create_progress_artifact(0.0, key=f"{key}-progress", description="Feeds done, in percent")
        self.id = made

    def feed_done(self) -> None:
        self.done += 1
        pct = 100.0 * self.done / max(1, self.total)
        if self.id and (pct - self.shown >= 5 or time.monotonic() - self.at >= 10) and pct < 100:
            self._show(pct)

    def finish(self) -> None:
        if self.id:
            self._show(100.0)

    def _show(self, pct: float) -> None:
        self.shown, self.at = pct, time.monotonic()
        # called from the fetching side's event loop: force the blocking client
        update_progress_artifact(self.id, pct, _sync=True)  # type: ignore[call-arg]


def _emit_failing(f: FeedReport) -> None:
    """The event behind automations/notify-failing-feed.yaml."""
    emit_event("feedscrub.feed.failing",
               resource={"prefect.resource.id": f"feedscrub.feed.{hashlib.sha1(f.url.encode()).hexdigest()[:16]}",
                         "prefect.resource.name": f.name},
               payload={"url": f.url, "consecutive_failures": f.consecutive_failures,
                        "cause": f"{f.error_kind}: {f.error}",
                        "failing_since": f.failing_since.isoformat() if f.failing_since else None})


def _publish(summary: RunSummary, key: str) -> None:
    create_table_artifact(feed_rows(summary), key=f"{key}-summary",
                          description=f"Per-feed results of this run ({len(summary.feeds)} feeds)")
    create_markdown_artifact(flagged_markdown(summary), key=f"{key}-flagged",
                             description="Articles flagged as unedited feed copy or machine-translated")
    create_table_artifact(feed_health_rows(summary), key=f"{key}-feed-health",
                          description="Feeds failing in this run, with cause and since when")


def _key(group: str | None) -> str:
    """Artifact keys: lowercase letters, digits and dashes only."""
    g = "".join(c if c.isalnum() else "-" for c in (group or "all").lower()).strip("-") or "all"
    return f"ingest-{g}"


def resolve_store(value: str) -> str:
    """The store URL behind a reference, so credentials never travel as parameters or in logs.

    ``secret:NAME`` reads the Prefect Secret block NAME; ``env:VAR`` reads an environment variable;
    anything else is taken as is (for PostgreSQL, put the password in PGPASSWORD or ~/.pgpass).
    """
    if value.startswith("secret:"):
        from prefect.blocks.system import Secret

        return str(Secret.load(value.removeprefix("secret:")).get())
    if value.startswith("env:"):
        var = value.removeprefix("env:")
        try:
            return os.environ[var]
        except KeyError:
            raise ConfigError(f"store {value!r}: environment variable {var} is not set") from None
    return value


def _redact(url: str) -> str:
    """Never log a password that came in a store URL."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else url
    return url
