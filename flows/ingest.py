"""The ingest flow: load feeds, split them into shards, run one task per shard, report the run.

Task runs are sized for Prefect's real costs (a task run costs 10-15 ms and ~40 KB until the flow
ends), so there is one task per shard of ``prefect.shard_size`` feeds, never one per article;
fetching inside a shard is async with per-host limits. The run keeps its own summary
(``RunSummary``), published as artifacts with stable keys so the UI shows their history.
"""

from __future__ import annotations

import hashlib
import os
from contextlib import ExitStack
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
from prefect.events import emit_event
from prefect.futures import as_completed
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from feedscrub.config import build_pipeline, load_feeds, load_settings
from feedscrub.errors import ConfigError
from feedscrub.ingest import FeedDone, run_shard
from feedscrub.report import FeedReport, RunSummary, ShardReport
from feedscrub.runreport import feed_health_rows, feed_rows, flagged_markdown
from feedscrub.settings import FeedSpec, Settings

# Set by the CLI to draw a progress bar; None under a worker. Called in the flow's process as
# each shard completes, so it works with either task runner.
progress_hook: FeedDone | None = None


def _worth_retrying(task: Any, task_run: Any, state: Any) -> bool:
    """Retry network and database trouble, not a broken configuration."""
    try:
        state.result()
    except ConfigError:
        return False
    except Exception:
        return True
    return False


@task(name="ingest-shard", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[5, 30],
      retry_jitter_factor=0.5, retry_condition_fn=_worth_retrying)
def ingest_shard(shard: int, feeds: list[FeedSpec], settings: Settings, store: str) -> ShardReport:
    """Fetch, parse, clean and store one shard of feeds."""
    log = get_run_logger()
    log.info("shard %d: %d feeds", shard, len(feeds))
    return run_shard(feeds, settings, resolve_store(store), log=log)


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


# The same flow with shards in separate processes, so cleaning (CPU-bound) uses every core. Worth
# it from two shards up: starting the worker processes costs several seconds. The CLI picks it for
# multi-shard runs; prefect.yaml's scheduled deployment uses it.
ingest_parallel = ingest.with_options(task_runner=ProcessPoolTaskRunner())


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
    build_pipeline(settings)  # a broken rule pack fails the run here, once, not in every shard
    store_url = store or settings.store  # a reference (env:/secret:) is resolved inside each task
    specs = [f for f in load_feeds(feeds, settings) if f.enabled and (group is None or f.group == group)]
    size = settings.prefect.shard_size
    shards = [specs[i:i + size] for i in range(0, len(specs), size)]
    log.info("ingest: %d feeds in %d shard(s) into %s", len(specs), len(shards), _redact(store_url))
    summary = RunSummary(store=_redact(store_url), started_at=datetime.now(UTC))
    progress_id = create_progress_artifact(0.0, key=f"{key}-progress", description="Shards done, in percent")
    # No task timeout: Prefect cannot interrupt a task in a worker thread. Each fetch has its own
    # connect/read/total timeouts, which bound a shard instead.
    shard_task = ingest_shard.with_options(retries=settings.prefect.task_retries,
                                           retry_delay_seconds=settings.prefect.task_retry_delay_s)
    futures = {shard_task.submit(n, shard, settings, store_url): n for n, shard in enumerate(shards)}
    for done, fut in enumerate(as_completed(list(futures)), 1):
        n = futures[fut]
        try:
            shard_report = fut.result()
        except Exception as exc:  # the shard failed after its retries: record every feed in it
            log.error("shard %d failed: %s", n, exc)
            shard_report = _failed_shard(shards[n], exc)
        summary.add(shard_report)
        if progress_hook:
            for fr in shard_report.feeds:
                progress_hook(fr)
        if progress_id:
            update_progress_artifact(progress_id, 100.0 * done / max(1, len(shards)))
    if not shards and progress_id:
        update_progress_artifact(progress_id, 100.0)
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


def _emit_failing(f: FeedReport) -> None:
    """The event behind automations/notify-failing-feed.yaml."""
    emit_event("feedscrub.feed.failing",
               resource={"prefect.resource.id": f"feedscrub.feed.{hashlib.sha1(f.url.encode()).hexdigest()[:16]}",
                         "prefect.resource.name": f.name},
               payload={"url": f.url, "consecutive_failures": f.consecutive_failures,
                        "cause": f"{f.error_kind}: {f.error}",
                        "failing_since": f.failing_since.isoformat() if f.failing_since else None})


def _failed_shard(feeds: list[FeedSpec], exc: BaseException) -> ShardReport:
    return ShardReport(feeds=[FeedReport(url=f.url, name=f.source, status="failed", error_kind="shard",
                                         error=f"{type(exc).__name__}: {exc}") for f in feeds])


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
