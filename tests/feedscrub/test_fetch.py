"""feedscrub.fetch: hostile endpoints on a local server, and the pure logic through httpx.MockTransport."""

from __future__ import annotations

import asyncio
import gzip
import time
import zlib
from asyncio import run
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from feedscrub import fetch as fetch_module
from feedscrub.fetch import ERROR_KINDS, Fetcher, effective_url
from feedscrub.health import next_state
from feedscrub.models import FeedState, FetchResult
from feedscrub.settings import FeedSpec, FetchSettings

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Test feed</title><link>http://example.org/</link>
<item><title>One</title><link>http://example.org/1</link><guid>1</guid><description>first</description></item>
<item><title>Two</title><link>http://example.org/2</link><guid>2</guid><description>second</description></item>
</channel></rss>"""


def fetch_one(
    settings: FetchSettings,
    url: str,
    state: FeedState | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    **spec: object,
) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(settings, transport=transport) as f:
            return await f.fetch(FeedSpec(url=url, **spec), state)  # type: ignore[arg-type]

    return run(go())


def _gzip_bomb(decoded_mb: int) -> bytes:
    """gzip of ``decoded_mb`` MiB of zeros, built without holding the decoded bytes."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    mib = b"\0" * (1024 * 1024)
    return b"".join(z.compress(mib) for _ in range(decoded_mb)) + z.flush()


# --- a local server: the hostile endpoints ---------------------------------------------------


def test_good_feed_and_user_agent(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    feed_server.expect_request("/feed.xml", headers={"User-Agent": fast_settings.user_agent}).respond_with_data(
        RSS, content_type="application/rss+xml"
    )
    r = fetch_one(fast_settings, feed_server.url_for("/feed.xml"))
    assert r.ok, r.error
    assert r.status == 200 and r.body == RSS
    assert r.body_hash and len(r.body_hash) == 64
    assert r.headers["content-type"].startswith("application/rss+xml")


@pytest.mark.parametrize("status", [404, 410, 500])
def test_error_status_is_recorded(feed_server: HTTPServer, fast_settings: FetchSettings, status: int) -> None:
    feed_server.expect_request("/x").respond_with_data("nope", status=status)
    url = feed_server.url_for("/x")
    r = fetch_one(fast_settings, url)
    assert (r.error_kind, r.status) == ("http", status)
    assert url in r.error and str(status) in r.error
    assert r.body is None


def test_429_retry_after(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    feed_server.expect_request("/x").respond_with_data("slow down", status=429, headers={"Retry-After": "120"})
    r = fetch_one(fast_settings, feed_server.url_for("/x"))
    assert (r.error_kind, r.status, r.retry_after_s) == ("http", 429, 120.0)


def test_503_retry_after_http_date(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 600))
    feed_server.expect_request("/x").respond_with_data("busy", status=503, headers={"Retry-After": when})
    r = fetch_one(fast_settings, feed_server.url_for("/x"))
    assert r.status == 503 and r.retry_after_s is not None and 590 <= r.retry_after_s <= 601


def test_body_that_stalls_past_read_timeout(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    def stall(_: Request) -> Response:
        def body() -> Iterator[bytes]:
            yield RSS[:50]
            time.sleep(3.0)
            yield RSS[50:]

        return Response(body(), content_type="application/rss+xml")

    feed_server.expect_request("/stall").respond_with_handler(stall)
    started = time.monotonic()
    r = fetch_one(fast_settings, feed_server.url_for("/stall"))
    assert r.error_kind == "timeout" and "read timeout" in r.error
    assert time.monotonic() - started < 2.0  # gave up after read_timeout_s (0.3 s), not after the stall


def test_headers_that_never_come(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    def slow(_: Request) -> Response:
        time.sleep(1.0)
        return Response(RSS)

    feed_server.expect_request("/slow").respond_with_handler(slow)
    r = fetch_one(fast_settings, feed_server.url_for("/slow"))
    assert r.error_kind == "timeout"


def test_very_large_body_stops_at_the_cap(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    chunk = b"<p>" + b"x" * 65533

    def endless(_: Request) -> Response:
        # 200 MB if anybody read it all; generated lazily, never allocated
        return Response((chunk for _ in range(3200)), content_type="application/rss+xml")

    feed_server.expect_request("/big").respond_with_handler(endless)
    started = time.monotonic()
    r = fetch_one(fast_settings, feed_server.url_for("/big"))
    assert r.error_kind == "too_large", r.error
    assert str(fast_settings.max_bytes) in r.error
    assert time.monotonic() - started < 5


def test_declared_content_length_too_large(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    feed_server.expect_request("/big").respond_with_data(b"x" * 2000)
    r = fetch_one(fast_settings, feed_server.url_for("/big"), max_bytes=1000)
    assert r.error_kind == "too_large" and "Content-Length" in r.error


def test_gzip_bomb_stops_early(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    bomb = _gzip_bomb(64)  # ~64 KB on the wire, 64 MiB decoded
    assert len(bomb) < 200_000
    feed_server.expect_request("/bomb").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"}, content_type="application/rss+xml"
    )
    started = time.monotonic()
    r = fetch_one(fast_settings, feed_server.url_for("/bomb"))
    assert r.error_kind == "too_large" and "after decompression" in r.error
    assert time.monotonic() - started < 5


@pytest.mark.skipif(fetch_module.brotli is None, reason="brotli not installed")
def test_brotli_body_and_bomb(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    brotli = fetch_module.brotli
    feed_server.expect_request("/br").respond_with_data(
        brotli.compress(RSS), headers={"Content-Encoding": "br"}, content_type="application/rss+xml"
    )
    feed_server.expect_request("/brbomb").respond_with_data(
        brotli.compress(b"\0" * (16 * 1024 * 1024), quality=1), headers={"Content-Encoding": "br"}
    )
    ok = fetch_one(fast_settings, feed_server.url_for("/br"))
    assert ok.ok and ok.body == RSS
    bomb = fetch_one(fast_settings, feed_server.url_for("/brbomb"))
    assert bomb.error_kind == "too_large"


def test_gzip_and_deflate_bodies(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    feed_server.expect_request("/gz").respond_with_data(gzip.compress(RSS), headers={"Content-Encoding": "gzip"})
    feed_server.expect_request("/zlib").respond_with_data(zlib.compress(RSS), headers={"Content-Encoding": "deflate"})
    feed_server.expect_request("/raw").respond_with_data(
        raw_deflate.compress(RSS) + raw_deflate.flush(), headers={"Content-Encoding": "deflate"}
    )
    feed_server.expect_request("/corrupt").respond_with_data(b"\x1f\x8bnot gzip", headers={"Content-Encoding": "gzip"})
    for path in ("/gz", "/zlib", "/raw"):
        r = fetch_one(fast_settings, feed_server.url_for(path))
        assert r.ok and r.body == RSS, path
    assert fetch_one(fast_settings, feed_server.url_for("/corrupt")).error_kind == "decode"


def test_redirect_loop(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    feed_server.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    feed_server.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})
    r = fetch_one(fast_settings, feed_server.url_for("/a"))
    assert r.error_kind == "redirect_loop"
    assert "/a -> " in r.error and r.error.endswith("/a")


def test_too_many_redirects(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    for i in range(6):
        feed_server.expect_request(f"/r{i}").respond_with_data("", status=307, headers={"Location": f"/r{i + 1}"})
    feed_server.expect_request("/r6").respond_with_data(RSS)
    r = fetch_one(fast_settings, feed_server.url_for("/r0"))
    assert r.error_kind == "too_many_redirects" and "more than 3" in r.error
    r = fetch_one(fast_settings.model_copy(update={"max_redirects": 6}), feed_server.url_for("/r0"))
    assert r.ok and r.final_url.endswith("/r6") and r.permanent_redirect is None


def test_301_is_followed_and_recorded(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    feed_server.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/new"})
    feed_server.expect_request("/new").respond_with_data(RSS)
    r = fetch_one(fast_settings, feed_server.url_for("/old"))
    assert r.ok and r.body == RSS
    assert r.final_url == r.permanent_redirect == feed_server.url_for("/new")
    assert r.feed_url == feed_server.url_for("/old")


def test_permanent_chain_stops_at_first_temporary(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    feed_server.expect_request("/a").respond_with_data("", status=308, headers={"Location": "/b"})
    feed_server.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/c"})
    feed_server.expect_request("/c").respond_with_data("", status=301, headers={"Location": "/d"})
    feed_server.expect_request("/d").respond_with_data(RSS)
    r = fetch_one(fast_settings, feed_server.url_for("/a"))
    assert r.ok and r.permanent_redirect == feed_server.url_for("/b")


def test_redirect_to_file_url_is_refused(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    feed_server.expect_request("/evil").respond_with_data("", status=302, headers={"Location": "file:///etc/passwd"})
    r = fetch_one(fast_settings, feed_server.url_for("/evil"))
    assert r.error_kind == "invalid_url" and r.body is None


def test_empty_body(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    feed_server.expect_request("/empty").respond_with_data(b"", content_type="application/rss+xml")
    feed_server.expect_request("/blank").respond_with_data(b"  \n\t ", content_type="application/rss+xml")
    for path in ("/empty", "/blank"):
        r = fetch_one(fast_settings, feed_server.url_for(path))
        assert r.error_kind == "empty" and feed_server.url_for(path) in r.error


def test_dead_port(dead_url: str, fast_settings: FetchSettings) -> None:
    r = fetch_one(fast_settings, dead_url)
    assert r.error_kind == "connect" and dead_url in r.error
    assert r.status is None


def test_conditional_get_304_on_second_fetch(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    lm = "Wed, 01 Jan 2025 00:00:00 GMT"
    feed_server.expect_request("/feed", headers={"If-None-Match": '"v1"'}).respond_with_data("", status=304)
    feed_server.expect_request("/feed").respond_with_data(
        RSS, headers={"ETag": '"v1"', "Last-Modified": lm, "Cache-Control": "public, max-age=900"}
    )
    url = feed_server.url_for("/feed")
    feed = FeedSpec(url=url)
    first = fetch_one(fast_settings, url)
    assert first.ok and first.etag == '"v1"' and first.last_modified == lm and first.max_age_s == 900
    state = next_state(None, feed, first, None, datetime.now(UTC), fast_settings)
    second = fetch_one(fast_settings, url, state)
    assert second.ok and second.status == 304 and second.not_modified
    assert second.body is None
    assert second.etag == '"v1"' and second.last_modified == lm and second.body_hash == first.body_hash
    sent = feed_server.log[-1][0]
    assert sent.headers["If-None-Match"] == '"v1"' and sent.headers["If-Modified-Since"] == lm


def test_unchanged_body_hash_is_not_modified(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    feed_server.expect_request("/feed").respond_with_data(RSS)
    url = feed_server.url_for("/feed")
    first = fetch_one(fast_settings, url)
    second = fetch_one(fast_settings, url, FeedState(url=url, body_hash=first.body_hash))
    assert second.ok and second.status == 200 and second.not_modified and second.body is None


def test_file_url(tmp_path: Path, fast_settings: FetchSettings) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(RSS)
    r = fetch_one(fast_settings, path.as_uri())
    assert r.ok and r.body == RSS and r.status is None
    missing = fetch_one(fast_settings, (tmp_path / "missing.xml").as_uri())
    assert missing.error_kind == "file" and "missing.xml" in missing.error
    big = fetch_one(fast_settings, path.as_uri(), max_bytes=10)
    assert big.error_kind == "too_large"


def test_fetch_all_mixed(feed_server: HTTPServer, fast_settings: FetchSettings, dead_url: str) -> None:
    feed_server.expect_request("/ok").respond_with_data(RSS)
    feed_server.expect_request("/gone").respond_with_data("", status=410)
    feeds = [FeedSpec(url=feed_server.url_for("/ok")), FeedSpec(url=feed_server.url_for("/gone")), FeedSpec(url=dead_url)]

    async def go() -> dict[str, FetchResult]:
        async with Fetcher(fast_settings) as f:
            return {feed.url: r async for feed, r in f.fetch_all(feeds, {})}

    results = run(go())
    assert [results[f.url].error_kind for f in feeds] == [None, "http", "connect"]


# --- MockTransport: the pure logic ------------------------------------------------------------


class _Stream(httpx.AsyncByteStream):
    """A lazily streamed body (httpx reads ``content=`` bytes eagerly, which would skip our decoder)."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for c in self.chunks:
            yield c


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


def test_error_kinds_are_documented() -> None:
    assert {"timeout", "connect", "http", "too_large", "redirect_loop", "too_many_redirects", "empty",
            "invalid_url"} <= set(ERROR_KINDS)
    assert fetch_module.__all__ == ["ERROR_KINDS", "Fetcher", "effective_url"]


def test_mock_gzip_bomb_streamed(fast_settings: FetchSettings) -> None:
    bomb = _gzip_bomb(32)
    pieces = [bomb[i : i + 16384] for i in range(0, len(bomb), 16384)]
    t = _mock(lambda req: httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=_Stream(*pieces)))
    r = fetch_one(fast_settings, "http://bomb.test/feed", transport=t)
    assert r.error_kind == "too_large"


def test_mock_cache_headers(fast_settings: FetchSettings) -> None:
    t = _mock(lambda req: httpx.Response(200, headers={"Cache-Control": "no-transform, max-age=300, s-maxage=600"},
                                         stream=_Stream(RSS)))
    r = fetch_one(fast_settings, "http://a.test/feed", transport=t)
    assert r.max_age_s == 600


def test_mock_redirect_without_location(fast_settings: FetchSettings) -> None:
    r = fetch_one(fast_settings, "http://a.test/feed", transport=_mock(lambda req: httpx.Response(302)))
    assert r.error_kind == "http" and "Location" in r.error


def test_mock_malformed_redirect_target_names_the_feed(fast_settings: FetchSettings) -> None:
    moved = _mock(lambda req: httpx.Response(302, headers={"Location": "http://[::1/feed"}))
    r = fetch_one(fast_settings, "http://a.test/feed", transport=moved)
    # httpx refuses the Location itself, as a protocol error of the server; the message names the feed
    assert r.error_kind == "protocol" and r.body is None
    assert r.error.startswith("http://a.test/feed: ") and "Invalid URL in location header" in r.error


def test_mock_total_timeout(fast_settings: FetchSettings) -> None:
    async def slow(req: httpx.Request) -> httpx.Response:
        await asyncio.sleep(2)
        return httpx.Response(200, content=RSS)

    started = time.monotonic()
    r = fetch_one(fast_settings, "http://slow.test/feed", transport=httpx.MockTransport(slow), total_timeout_s=0.2)
    assert r.error_kind == "timeout" and "total timeout of 0.2s" in r.error
    assert time.monotonic() - started < 1.5


def test_mock_connect_error_and_invalid_url(fast_settings: FetchSettings) -> None:
    def refuse(req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=req)

    r = fetch_one(fast_settings, "http://down.test/feed", transport=_mock(refuse))
    assert r.error_kind == "connect" and "refused" in r.error
    r = fetch_one(fast_settings, "http://", transport=_mock(refuse))
    assert r.error_kind == "invalid_url"


def _concurrency_probe(delay: float) -> tuple[httpx.MockTransport, dict[str, int], list[tuple[str, float]]]:
    in_flight: dict[str, int] = {}
    peak: dict[str, int] = {"*": 0}
    starts: list[tuple[str, float]] = []

    async def handler(req: httpx.Request) -> httpx.Response:
        host = req.url.host
        starts.append((host, time.monotonic()))
        in_flight[host] = in_flight.get(host, 0) + 1
        peak[host] = max(peak.get(host, 0), in_flight[host])
        peak["*"] = max(peak["*"], sum(in_flight.values()))
        await asyncio.sleep(delay)
        in_flight[host] -= 1
        return httpx.Response(200, content=RSS)

    return httpx.MockTransport(handler), peak, starts


def _fetch_all(settings: FetchSettings, urls: list[str], transport: httpx.AsyncBaseTransport) -> list[FetchResult]:
    async def go() -> list[FetchResult]:
        async with Fetcher(settings, transport=transport) as f:
            return [r async for _, r in f.fetch_all([FeedSpec(url=u) for u in urls])]

    return run(go())


def test_per_host_and_global_concurrency(fast_settings: FetchSettings) -> None:
    settings = fast_settings.model_copy(update={"concurrency": 3, "per_host_concurrency": 2})
    transport, peak, _ = _concurrency_probe(0.05)
    urls = [f"http://{h}.test/{i}" for h in ("a", "b", "c") for i in range(6)]
    results = _fetch_all(settings, urls, transport)
    assert len(results) == 18 and all(r.ok for r in results)
    assert peak["*"] == 3
    assert max(v for k, v in peak.items() if k != "*") <= 2


def test_per_host_interval(fast_settings: FetchSettings) -> None:
    settings = fast_settings.model_copy(update={"per_host_interval_s": 0.1, "per_host_concurrency": 4})
    transport, _, starts = _concurrency_probe(0.0)
    _fetch_all(settings, [f"http://a.test/{i}" for i in range(4)] + ["http://b.test/0"], transport)
    a_times = sorted(t for h, t in starts if h == "a.test")
    gaps = [b - a for a, b in pairwise(a_times)]
    # start times are reserved exactly 0.1 s apart; the first request carries some set-up cost
    assert len(gaps) == 3 and min(gaps) >= 0.08 and a_times[-1] - a_times[0] >= 0.28
    (b_time,) = [t for h, t in starts if h == "b.test"]
    assert b_time < a_times[1]  # another host does not wait for a.test's interval


def test_per_feed_read_timeout_override(fast_settings: FetchSettings) -> None:
    seen: list[dict[str, float]] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req.extensions["timeout"])
        return httpx.Response(200, content=RSS)

    fetch_one(fast_settings, "http://a.test/feed", transport=_mock(handler), read_timeout_s=7.0, connect_timeout_s=2.0)
    assert seen[0]["read"] == 7.0 and seen[0]["connect"] == 2.0


def test_effective_url_after_confirmed_redirect(fast_settings: FetchSettings) -> None:
    feed = FeedSpec(url="http://old.test/feed")
    state = FeedState(url=feed.url, permanent_redirect="http://new.test/feed", redirect_count=1)
    assert effective_url(feed, state, fast_settings) == feed.url
    state.redirect_count = fast_settings.redirect_confirm_runs
    assert effective_url(feed, state, fast_settings) == "http://new.test/feed"
    requested: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        requested.append(str(req.url))
        return httpx.Response(200, content=RSS)

    r = fetch_one(fast_settings, feed.url, state, transport=_mock(handler))
    assert requested == ["http://new.test/feed"] and r.feed_url == feed.url


def test_public_feed_redirecting_to_a_private_address_is_refused(fast_settings: FetchSettings) -> None:
    requested: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        requested.append(str(req.url))
        if req.url.host == "public.test":
            return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        return httpx.Response(200, content=b"secret")

    r = fetch_one(fast_settings, "http://public.test/feed", transport=_mock(handler))
    assert r.error_kind == "invalid_url" and "private address" in r.error
    assert requested == ["http://public.test/feed"]
