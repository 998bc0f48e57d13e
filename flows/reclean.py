"""The re-clean flow: run the current cleaners over stored raw items (after a rule change).

Unscheduled; start it from the UI or ``prefect deployment run feedscrub-reclean/reclean``.
The report (counts per rule, before/after examples) is published as a markdown artifact.
"""

from __future__ import annotations

from datetime import datetime

from feedscrub.flows.ingest import resolve_store
from feedscrub.sinks import open_sink
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from feedscrub.config import build_pipeline, load_settings
from feedscrub.reclean import RecleanReport, reclean
from feedscrub.runreport import reclean_markdown


@task(name="reclean-store", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=30)
def reclean_store(store: str | None, config: str | None, since: datetime | None, until: datetime | None,
                  dry_run: bool) -> RecleanReport:
    settings = load_settings(config)
    with open_sink(resolve_store(store or settings.store)) as sink:
        return reclean(sink, build_pipeline(settings), since=since, until=until, dry_run=dry_run)


@flow(name="feedscrub-reclean")
def reclean_flow(store: str | None = None, config: str | None = None, since: datetime | None = None,
                 until: datetime | None = None, dry_run: bool = True) -> RecleanReport:
    """Re-clean stored articles; ``dry_run`` (the default) only reports what would change."""
    log = get_run_logger()
    report = reclean_store(store, config, since, until, dry_run)
    log.info("reclean: %d examined, %d %s, %d failed", report.examined, report.changed,
             "would change" if dry_run else "changed", len(report.failed))
    for aid, why in report.failed[:20]:
        log.warning("reclean: article %s: %s", aid, why)
    create_markdown_artifact(reclean_markdown(report), key="reclean-report",
                             description="What re-cleaning changed (or would change), per rule")
    return report
