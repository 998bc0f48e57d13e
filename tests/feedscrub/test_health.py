"""feedscrub.health: backoff, retirement, validators, permanent redirects, is_due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from feedscrub.health import backoff_s, is_due, next_state
from feedscrub.models import FeedState, FetchResult, ParsedFeed, RawEntry
from feedscrub.settings import FeedSpec, FetchSettings

URL = "https://example.org/feed.xml"
NEW = "https://example.org/new.xml"
FEED = FeedSpec(url=URL, name="Example")
T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
SETTINGS = FetchSettings(backoff_base_s=60, backoff_max_s=3600, redirect_confirm_runs=3)


def ok(**kw: object) -> FetchResult:
    base: dict[str, object] = dict(feed_url=URL, final_url=URL, status=200, body=b"<rss/>", body_hash="h1")
    base.update(kw)
    return FetchResult(**base)  # type: ignore[arg-type]


def failed(kind: str = "http", status: int | None = 500, **kw: object) -> FetchResult:
    return FetchResult(feed_url=URL, final_url=URL, status=status, error_kind=kind, error=f"{URL}: boom", **kw)  # type: ignore[arg-type]


def parsed(n: int = 1, **kw: object) -> ParsedFeed:
    entry = RawEntry(id="x", feed_url=URL, guid=None, url=None, title="t", author=None, published_at=None,
                     updated_at=None, content="c", content_type="text/plain")
    base: dict[str, object] = dict(feed_url=URL, title="T", language=None, version="rss20", entries=[entry] * n)
    base.update(kw)
    return ParsedFeed(**base)  # type: ignore[arg-type]


def test_first_success() -> None:
    s = next_state(None, FEED, ok(etag='"e"', last_modified="lm"), parsed(), T0, SETTINGS)
    assert (s.url, s.name, s.last_status, s.etag, s.last_modified, s.body_hash) == (URL, "Example", 200, '"e"', "lm", "h1")
    assert s.consecutive_failures == 0 and s.failing_since is None and s.last_ok_at == T0
    assert s.last_fetched_at == T0 and s.next_fetch_at == T0 and is_due(s, T0)


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_s(n, SETTINGS) for n in range(8)] == [0, 60, 120, 240, 480, 960, 1920, 3600]
    s = None
    for i in range(1, 10):
        s = next_state(s, FEED, failed(), None, T0, SETTINGS)
        assert s.consecutive_failures == i
        assert s.next_fetch_at == T0 + timedelta(seconds=min(60 * 2 ** (i - 1), 3600))
    assert s is not None and s.failing_since == T0 and s.last_error_kind == "http" and URL in (s.last_error or "")
    assert not is_due(s, T0 + timedelta(minutes=59)) and is_due(s, T0 + timedelta(hours=1))


def test_failing_since_is_the_first_failure_and_success_resets() -> None:
    s = next_state(None, FEED, failed("timeout", None), None, T0, SETTINGS)
    s = next_state(s, FEED, failed("connect", None), None, T0 + timedelta(hours=1), SETTINGS)
    assert s.failing_since == T0 and s.last_error_kind == "connect" and s.last_status is None
    s = next_state(s, FEED, ok(), parsed(), T0 + timedelta(hours=2), SETTINGS)
    assert s.consecutive_failures == 0 and s.failing_since is None and s.last_error_kind is None


def test_410_retires_the_feed() -> None:
    s = next_state(None, FEED, failed(status=410), None, T0, SETTINGS)
    assert s.retired and s.next_fetch_at is None
    assert not is_due(s, T0 + timedelta(days=365))


def test_retry_after_beats_short_backoff() -> None:
    s = next_state(None, FEED, failed(status=429, retry_after_s=900.0), None, T0, SETTINGS)
    assert s.next_fetch_at == T0 + timedelta(seconds=900)
    s = next_state(None, FEED, failed(status=503, retry_after_s=10 * 86400.0), None, T0, SETTINGS)
    assert s.next_fetch_at == T0 + timedelta(seconds=3600)  # capped


@pytest.mark.parametrize(("max_age", "ttl", "expected"), [(600.0, None, 600), (None, 1800.0, 1800),
                                                            (600.0, 1800.0, 1800), (86400.0, None, 3600)])
def test_max_age_and_ttl_set_the_earliest_next_fetch(max_age: float | None, ttl: float | None, expected: int) -> None:
    s = next_state(None, FEED, ok(max_age_s=max_age), parsed(ttl_s=ttl), T0, SETTINGS)
    assert s.next_fetch_at == T0 + timedelta(seconds=expected)


def test_not_modified_keeps_validators() -> None:
    prev = FeedState(url=URL, etag='"e"', last_modified="lm", body_hash="h1", consecutive_failures=2)
    r = FetchResult(feed_url=URL, final_url=URL, status=304, not_modified=True)
    s = next_state(prev, FEED, r, None, T0, SETTINGS)
    assert (s.etag, s.last_modified, s.body_hash, s.consecutive_failures) == ('"e"', "lm", "h1", 0)
    assert prev.consecutive_failures == 2  # a new value; the old one is untouched


def test_200_without_validators_clears_old_ones() -> None:
    prev = FeedState(url=URL, etag='"old"', last_modified="old")
    s = next_state(prev, FEED, ok(body_hash="h2"), parsed(), T0, SETTINGS)
    assert (s.etag, s.last_modified, s.body_hash) == (None, None, "h2")


def test_html_page_counts_as_failure() -> None:
    page = parsed(0, version=None, warnings=["not_a_feed: an HTML page, not a feed"])
    s = next_state(None, FEED, ok(), page, T0, SETTINGS)
    assert s.last_error_kind == "not_a_feed" and s.consecutive_failures == 1
    garbage = parsed(0, version=None, warnings=["bozo: SAXParseException: junk"])
    assert next_state(None, FEED, ok(), garbage, T0, SETTINGS).last_error_kind == "parse"
    empty_but_valid = parsed(0)
    assert next_state(None, FEED, ok(), empty_but_valid, T0, SETTINGS).last_error_kind is None


def test_permanent_redirect_confirmed_after_n_runs() -> None:
    from feedscrub.fetch import effective_url

    s = None
    for run in range(1, 4):
        s = next_state(s, FEED, ok(final_url=NEW, permanent_redirect=NEW), parsed(), T0, SETTINGS)
        assert (s.permanent_redirect, s.redirect_count) == (NEW, run)
        assert effective_url(FEED, s, SETTINGS) == (NEW if run >= 3 else URL)
    # now fetched directly at the new URL: no redirect, but the move stays confirmed
    s = next_state(s, FEED, ok(final_url=NEW), parsed(), T0, SETTINGS)
    assert effective_url(FEED, s, SETTINGS) == NEW
    # a failure does not reset it either
    s = next_state(s, FEED, failed("timeout", None), None, T0, SETTINGS)
    assert s.permanent_redirect == NEW and s.redirect_count == 3


def test_redirect_streak_broken_by_a_direct_answer() -> None:
    s = next_state(None, FEED, ok(final_url=NEW, permanent_redirect=NEW), parsed(), T0, SETTINGS)
    s = next_state(s, FEED, ok(), parsed(), T0, SETTINGS)
    assert (s.permanent_redirect, s.redirect_count) == (None, 0)
    s = next_state(s, FEED, ok(final_url=NEW, permanent_redirect=NEW), parsed(), T0, SETTINGS)
    s = next_state(s, FEED, ok(final_url=NEW + "2", permanent_redirect=NEW + "2"), parsed(), T0, SETTINGS)
    assert (s.permanent_redirect, s.redirect_count) == (NEW + "2", 1)


def test_is_due() -> None:
    assert is_due(None, T0)
    assert is_due(FeedState(url=URL), T0)
    assert not is_due(FeedState(url=URL, next_fetch_at=T0 + timedelta(seconds=1)), T0)
    assert not is_due(FeedState(url=URL, retired=True), T0)
