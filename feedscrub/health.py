"""A feed's health between runs: what the last fetch said, and when to fetch it next.

``next_state`` folds one fetch (and its parse, if any) into the ``FeedState`` the store keeps:
status and error, consecutive failures and since when, the validators for the next conditional GET
(ETag, Last-Modified, body hash), exponential backoff after failures, the earliest next fetch a
server asked for (``Retry-After``, ``Cache-Control: max-age``, RSS ``<ttl>``), a permanent redirect
confirmed over several runs, and retirement of a feed that answered 410 Gone.

``is_due`` tells whether a feed should be fetched in the run starting ``now``. The run's cadence
itself (every 15 minutes, hourly...) is the flow's schedule, not this module's. Pure functions: no
I/O, no clock (``now`` is passed in).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from feedscrub.models import FeedState, FetchResult, ParsedFeed
from feedscrub.settings import FeedSpec, FetchSettings

__all__ = ["backoff_s", "is_due", "next_state"]


def backoff_s(failures: int, settings: FetchSettings) -> float:
    """Delay before retrying after ``failures`` consecutive failures: base × 2^(n-1), capped."""
    if failures <= 0:
        return 0.0
    return min(settings.backoff_base_s * 2 ** min(failures - 1, 32), settings.backoff_max_s)


def is_due(state: FeedState | None, now: datetime) -> bool:
    """True when the feed should be fetched in a run starting at ``now`` (never for a retired feed)."""
    if state is None:
        return True
    if state.retired:
        return False
    return state.next_fetch_at is None or state.next_fetch_at <= now


def _parse_failure(parsed: ParsedFeed | None) -> tuple[str, str] | None:
    """A fetch that succeeded but held no feed at all counts as a failure of the feed."""
    if parsed is None or parsed.entries or parsed.version is not None:
        return None
    for w in parsed.warnings:
        if w.startswith("not_a_feed:"):
            return "not_a_feed", f"{parsed.feed_url}: {w.partition(': ')[2]}"
    if any(w.startswith("no_body:") for w in parsed.warnings):
        return None
    why = next((w for w in parsed.warnings if w.startswith(("bozo:", "json_"))), "no feed found")
    return "parse", f"{parsed.feed_url}: nothing readable ({why})"


def next_state(
    state: FeedState | None,
    feed: FeedSpec,
    result: FetchResult,
    parsed: ParsedFeed | None,
    now: datetime,
    settings: FetchSettings,
) -> FeedState:
    """The feed's state after ``result`` (and ``parsed``, when the body was parsed). Returns a new value.

    - success (including "not modified"): failures reset, validators kept, next fetch not before
      the feed's ``ttl`` or the response's ``max-age`` (capped at ``backoff_max_s``);
    - failure: ``consecutive_failures`` + 1, ``failing_since`` set once, next fetch after the
      exponential backoff or the server's ``Retry-After``, whichever is later (capped likewise);
    - HTTP 410 Gone: ``retired``; ``is_due`` is then always False;
    - a 301/308 to the same URL on ``redirect_confirm_runs`` successful runs in a row: from then on
      ``feedscrub.fetch.effective_url`` requests ``permanent_redirect`` instead of the listed URL.
    """
    s = replace(state) if state is not None else FeedState(url=feed.url, name=feed.name)
    s.name = feed.name or s.name
    s.last_fetched_at = now
    s.last_status = result.status

    failure: tuple[str, str] | None = None
    if not result.ok:
        failure = (result.error_kind or "unknown", result.error or f"{feed.url}: fetch failed")
    elif not result.not_modified:
        failure = _parse_failure(parsed)

    cap = settings.backoff_max_s
    if failure is None:
        s.last_error_kind = s.last_error = None
        s.consecutive_failures = 0
        s.failing_since = None
        s.last_ok_at = now
        if result.not_modified:
            s.etag = result.etag or s.etag
            s.last_modified = result.last_modified or s.last_modified
        else:
            s.etag, s.last_modified = result.etag, result.last_modified
        s.body_hash = result.body_hash or s.body_hash
        hints = [h for h in (result.max_age_s, parsed.ttl_s if parsed else None) if h]
        s.next_fetch_at = now + timedelta(seconds=min(max(hints), cap)) if hints else now
        _track_redirect(s, result, settings)
    else:
        s.last_error_kind, s.last_error = failure
        s.consecutive_failures += 1
        s.failing_since = s.failing_since or now
        delay = max(backoff_s(s.consecutive_failures, settings), result.retry_after_s or 0.0)
        s.next_fetch_at = now + timedelta(seconds=min(delay, cap))
        if result.status == 410:
            s.retired = True
            s.next_fetch_at = None
    return s


def _track_redirect(s: FeedState, result: FetchResult, settings: FetchSettings) -> None:
    if result.status is None:  # file:// feeds have no redirects
        return
    if result.permanent_redirect:
        if result.permanent_redirect == s.permanent_redirect:
            s.redirect_count += 1
        else:
            s.permanent_redirect, s.redirect_count = result.permanent_redirect, 1
    elif (
        s.permanent_redirect
        and s.redirect_count >= settings.redirect_confirm_runs
        and result.final_url == s.permanent_redirect
    ):
        pass  # already moved: we fetched the new URL directly
    else:
        s.permanent_redirect, s.redirect_count = None, 0
