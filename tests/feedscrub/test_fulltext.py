"""feedscrub.fulltext: article pages fetched through the SSRF guard, main text extracted offline.

Pages are served by a loopback server (allowed explicitly with 127.0.0.1/32) or by
``httpx.MockTransport``; refused non-loopback targets go through a backend that fails the test if
the guard ever lets a connection to them through.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from pytest_httpserver import HTTPServer

from feedscrub import fulltext
from feedscrub.errors import FetchError
from feedscrub.fulltext import WARNING_KINDS, ArticleFetcher, extract_article, fetch_full_texts, text_length
from feedscrub.models import RawEntry
from feedscrub.settings import FeedSpec, FetchSettings

sys.path.insert(0, str(Path(__file__).parent))  # the shared test helpers beside this file
from loopback import LoopbackOnlyBackend

FEED = FeedSpec(url="http://127.0.0.1/feed.xml", name="Test news", full_text=True)

PARAGRAPHS = [
    "The city council voted on Tuesday evening to reopen the old harbour bridge to cyclists and walkers "
    "after two years of repairs that cost far more than first planned.",
    "Engineers found that the original steel was in better condition than feared, the mayor said, and the "
    "deck could be kept rather than replaced, which saved several months of work on the river crossing.",
    "Cars will return in the autumn once the new lighting and the traffic signals at both ends are ready, "
    "according to the transport department, which published a detailed timetable for the works.",
]

ARTICLE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Bridge reopens | Test news</title>
<script>window.tracker = {id: 42};</script><style>body { font-family: serif }</style></head>
<body>
<nav class="site-nav"><a href="/">Home</a> <a href="/politics">Politics</a> <a href="/sport">Sport</a></nav>
<main><article>
<h1>Harbour bridge reopens to cyclists</h1>
<p>{0}</p>
<p>{1}</p>
<script>document.write('<p>injected text</p>')</script>
<p>{2}</p>
<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Share this:</h3>
<a href="?share=twitter" onclick="return false">Twitter</a></div>
</article></main>
<footer><p>Copyright 2026 Test News Ltd. All rights reserved. Terms of use. Privacy policy.</p></footer>
</body></html>""".replace("{0}", PARAGRAPHS[0]).replace("{1}", PARAGRAPHS[1]).replace("{2}", PARAGRAPHS[2])

SUMMARY = "<p>The harbour bridge reopens to cyclists.</p>"


def entry(url: str | None, content: str = SUMMARY, **kw: Any) -> RawEntry:
    return RawEntry(id=kw.pop("id", f"id-{url}"), feed_url=FEED.url, guid=url, url=url, title="Bridge reopens",
                    author=None, published_at=datetime(2026, 11, 27, tzinfo=UTC), updated_at=None,
                    content=content, content_type=kw.pop("content_type", "text/html"), **kw)


@pytest.fixture
def allow_loopback(fast_settings: FetchSettings) -> FetchSettings:
    return fast_settings.model_copy(update={"allow_private_addresses": ["127.0.0.1/32"]})


def run_full_texts(settings: FetchSettings, entries: list[RawEntry], *,
                   transport: httpx.AsyncBaseTransport | None = None,
                   backend: httpcore.AsyncNetworkBackend | None = None) -> tuple[list[RawEntry], list[str]]:
    async def go() -> tuple[list[RawEntry], list[str]]:
        async with ArticleFetcher(settings, transport=transport, network_backend=backend) as articles:
            return await articles.fetch_full_texts(FEED, entries)

    return asyncio.run(go())


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str], None]]:
    names: dict[str, str] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        host = host.decode() if isinstance(host, bytes) else host
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (names[host], int(port or 0)))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield names.__setitem__


# --- the happy path, on a loopback server ----------------------------------------------------------


def test_summary_replaced_by_the_article_text(feed_server: HTTPServer, allow_loopback: FetchSettings) -> None:
    feed_server.expect_request("/2026/bridge", headers={"User-Agent": allow_loopback.user_agent}).respond_with_data(
        ARTICLE, content_type="text/html; charset=utf-8")
    url = feed_server.url_for("/2026/bridge")
    [got], warnings = run_full_texts(allow_loopback, [entry(url)])
    assert warnings == []
    assert got.content_type == "text/html"
    for para in PARAGRAPHS:
        assert f"<p>{para}</p>" in got.content  # paragraphs kept as paragraphs
    for gone in ("Politics", "Copyright", "tracker", "injected", "<script", "onclick", "font-family"):
        assert gone not in got.content, gone
    assert got.summary == SUMMARY  # the feed's teaser is kept as the summary
    assert (got.id, got.url, got.title) == (f"id-{url}", url, "Bridge reopens")


def test_refused_by_default_without_a_request(feed_server: HTTPServer, fast_settings: FetchSettings) -> None:
    feed_server.expect_request("/2026/bridge").respond_with_data(ARTICLE, content_type="text/html")
    url = feed_server.url_for("/2026/bridge")
    original = entry(url)
    [got], warnings = run_full_texts(fast_settings, [original])
    assert got == original
    assert len(warnings) == 1 and warnings[0].startswith(f"full_text_refused: {url}")
    assert "127.0.0.1 (loopback)" in warnings[0]
    assert feed_server.log == []


def test_a_name_resolving_to_loopback_is_refused_at_connect(
    feed_server: HTTPServer, fast_settings: FetchSettings, fake_dns: Callable[[str, str], None]
) -> None:
    fake_dns("news.example", "127.0.0.1")
    feed_server.expect_request("/a").respond_with_data(ARTICLE, content_type="text/html")
    url = f"http://news.example:{feed_server.port}/a"
    [got], warnings = run_full_texts(fast_settings, [entry(url)])
    assert got.content == SUMMARY
    assert warnings == [f"full_text_refused: {url}: news.example resolves to 127.0.0.1 (loopback): "
                        "not a public address and not in allow_private_addresses"]
    assert feed_server.log == []


def test_redirect_from_an_allowed_host_to_a_refused_one(
    feed_server: HTTPServer, allow_loopback: FetchSettings, fake_dns: Callable[[str, str], None]
) -> None:
    fake_dns("intranet.example", "10.0.0.1")
    feed_server.expect_request("/meta").respond_with_data(
        "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    feed_server.expect_request("/intra").respond_with_data(
        "", status=301, headers={"Location": "http://intranet.example/admin"})
    feed_server.expect_request("/other-loopback").respond_with_data(
        "", status=307, headers={"Location": f"http://127.0.0.2:{feed_server.port}/a"})
    urls = [feed_server.url_for(p) for p in ("/meta", "/intra", "/other-loopback")]
    backend = LoopbackOnlyBackend()
    got, warnings = run_full_texts(allow_loopback, [entry(u) for u in urls], backend=backend)
    assert [g.content for g in got] == [SUMMARY] * 3
    assert len(warnings) == 3 and all(w.startswith("full_text_refused: ") for w in warnings)
    assert "169.254.169.254/latest/meta-data/ (redirected from" in warnings[0]
    assert "169.254.169.254 (link-local)" in warnings[0]
    assert "intranet.example resolves to 10.0.0.1 (private)" in warnings[1]
    assert "127.0.0.2 (loopback)" in warnings[2]
    assert {h for h, _ in backend.asked} == {"127.0.0.1"}  # only the allowed first hops connected
    assert len(feed_server.log) == 3


def test_redirect_within_allowed_hosts_is_followed(feed_server: HTTPServer, allow_loopback: FetchSettings) -> None:
    feed_server.expect_request("/short").respond_with_data("", status=301, headers={"Location": "/2026/bridge"})
    feed_server.expect_request("/2026/bridge").respond_with_data(ARTICLE, content_type="text/html")
    [got], warnings = run_full_texts(allow_loopback, [entry(feed_server.url_for("/short"))])
    assert warnings == [] and PARAGRAPHS[2] in got.content


@pytest.mark.parametrize("url", ["http://10.0.0.1/a", "http://169.254.169.254/latest/meta-data/",
                                 "http://[::1]:9/a", "http://[::ffff:10.0.0.1]/a", "http://127.0.0.2:9/a"])
def test_private_literals_refused_without_traffic(url: str, allow_loopback: FetchSettings) -> None:
    backend = LoopbackOnlyBackend()
    [got], warnings = run_full_texts(allow_loopback, [entry(url)], backend=backend)
    assert got.content == SUMMARY and warnings[0].startswith(f"full_text_refused: {url}")
    assert backend.asked == []


def test_literals_refused_even_with_an_injected_transport(fast_settings: FetchSettings) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, html=ARTICLE)

    _, warnings = run_full_texts(fast_settings, [entry("http://169.254.169.254/")],
                                 transport=httpx.MockTransport(handler))
    assert seen == [] and warnings[0].startswith("full_text_refused: ")


# --- failures are warnings, never exceptions ---------------------------------------------------------


def _mock(routes: dict[str, Callable[[httpx.Request], httpx.Response]]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return routes[request.url.path](request)

    return httpx.MockTransport(handler)


def test_each_failure_is_one_warning_naming_the_url(fast_settings: FetchSettings) -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("handler bug")

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    routes: dict[str, Callable[[httpx.Request], httpx.Response]] = {
        "/ok": lambda r: httpx.Response(200, html=ARTICLE),
        "/missing": lambda r: httpx.Response(404),
        "/pdf": lambda r: httpx.Response(200, content=b"%PDF-1.7", headers={"Content-Type": "application/pdf"}),
        "/huge": lambda r: httpx.Response(200, html="<p>" + "x" * 2_000_000 + "</p>"),
        "/empty": lambda r: httpx.Response(200, html="  "),
        "/nav": lambda r: httpx.Response(200, html="<html><body><img src='x.png'><script>var a;</script></body></html>"),
        "/loop": lambda r: httpx.Response(302, headers={"Location": "/loop"}),
        "/ftp": lambda r: httpx.Response(302, headers={"Location": "ftp://example.org/file"}),
        "/boom": boom, "/timeout": timeout, "/refused": refused,
    }
    base = "https://news.example.org"
    entries = [entry(base + p) for p in routes] + [entry(None, id="no-link"), entry("mailto:x@example.org"),
                                                   entry("http://[::1/broken")]
    got, warnings = run_full_texts(fast_settings, entries, transport=_mock(routes))
    assert [g.content for g in got[1:]] == [SUMMARY] * (len(entries) - 1)
    assert PARAGRAPHS[0] in got[0].content
    kinds = {w.split(":", 1)[0].removeprefix("full_text_"): w for w in warnings}
    assert set(kinds) == {"http", "not_html", "too_large", "empty", "no_text", "redirect_loop", "invalid_url",
                          "internal", "timeout", "connect", "no_url"}
    assert set(kinds) <= set(WARNING_KINDS)
    for path, kind in [("/missing", "http"), ("/pdf", "not_html"), ("/huge", "too_large"), ("/boom", "internal"),
                       ("/timeout", "timeout"), ("/refused", "connect"), ("/ftp", "invalid_url")]:
        assert kinds[kind].startswith(f"full_text_{kind}: {base}{path}"), kinds[kind]
    assert "404" in kinds["http"] and "application/pdf" in kinds["not_html"]
    assert any("entry no-link " in w for w in warnings)
    assert len(warnings) == 13  # one per failed entry (the three without a usable http link too)


def test_shorter_extraction_keeps_the_feed_content(fast_settings: FetchSettings) -> None:
    long_summary = "<p>" + " ".join(PARAGRAPHS * 3) + "</p>"
    transport = _mock({"/a": lambda r: httpx.Response(200, html=ARTICLE)})
    [got], warnings = run_full_texts(fast_settings, [entry("https://news.example.org/a", long_summary)],
                                     transport=transport)
    assert got.content == long_summary
    assert warnings[0].startswith("full_text_shorter: https://news.example.org/a: the page's text has")


def test_plain_text_feed_content_becomes_html(fast_settings: FetchSettings) -> None:
    transport = _mock({"/a": lambda r: httpx.Response(200, html=ARTICLE)})
    [got], _ = run_full_texts(fast_settings, [entry("https://news.example.org/a", "Teaser.",
                                                    content_type="text/plain")], transport=transport)
    assert got.content_type == "text/html" and got.summary == "Teaser." and "<p>" in got.content


def test_shared_links_fetched_once_order_kept(fast_settings: FetchSettings) -> None:
    hits: list[str] = []

    def page(request: httpx.Request) -> httpx.Response:
        hits.append(request.url.path)
        return httpx.Response(200, html=ARTICLE)

    urls = ["https://a.example/1", "https://b.example/2", "https://a.example/1"]
    entries = [entry(u, id=f"e{i}") for i, u in enumerate(urls)]
    got, warnings = run_full_texts(fast_settings, entries, transport=httpx.MockTransport(page))
    assert [g.id for g in got] == ["e0", "e1", "e2"] and warnings == []
    assert sorted(hits) == ["/1", "/2"]


def test_concurrency_limits(fast_settings: FetchSettings) -> None:
    settings = fast_settings.model_copy(update={"full_text_concurrency": 3, "per_host_concurrency": 2})
    active: dict[str, int] = {}
    peak: dict[str, int] = {}
    total = {"now": 0, "peak": 0}

    async def page(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        active[host] = active.get(host, 0) + 1
        total["now"] += 1
        peak[host] = max(peak.get(host, 0), active[host])
        total["peak"] = max(total["peak"], total["now"])
        await asyncio.sleep(0.01)
        active[host] -= 1
        total["now"] -= 1
        return httpx.Response(200, html=ARTICLE)

    urls = [f"https://{h}.example/{i}" for h in ("a", "b", "c") for i in range(6)]
    got, warnings = run_full_texts(settings, [entry(u) for u in urls], transport=httpx.MockTransport(page))
    assert warnings == [] and all(PARAGRAPHS[1] in g.content for g in got)
    assert max(peak.values()) <= 2 and total["peak"] <= 3


def test_charset_from_the_header_and_from_meta(fast_settings: FetchSettings) -> None:
    text = "Der Bürgermeister sagte am Dienstag, dass die Brücke über den Fluss wieder geöffnet wird. " * 4
    page = f"<html><body><article><h1>Brücke</h1><p>{text}</p><p>{text}</p></article></body></html>"
    meta_page = page.replace("<html>", '<html><head><meta charset="windows-1252"></head>')
    transport = _mock({
        "/header": lambda r: httpx.Response(200, content=page.encode("latin-1"),
                                            headers={"Content-Type": "text/html; charset=ISO-8859-1"}),
        "/meta": lambda r: httpx.Response(200, content=meta_page.encode("cp1252"),
                                          headers={"Content-Type": "text/html"}),
    })
    got, warnings = run_full_texts(fast_settings, [entry("https://de.example/header"), entry("https://de.example/meta")],
                                   transport=transport)
    assert warnings == []
    assert all("Der Bürgermeister sagte" in g.content for g in got)


def test_module_function_makes_and_closes_its_own_fetcher(fast_settings: FetchSettings) -> None:
    transport = _mock({"/a": lambda r: httpx.Response(200, html=ARTICLE)})
    got, warnings = asyncio.run(fetch_full_texts(FEED, [entry("https://news.example.org/a")], fast_settings,
                                                 transport=transport))
    assert warnings == [] and PARAGRAPHS[0] in got[0].content


# --- extraction: trafilatura on our HTML, never on the network ---------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to resolve or connect fails the test, and so does any trafilatura/htmldate download helper."""
    import htmldate.utils
    import trafilatura.downloads

    def refuse(*args: Any, **kwargs: Any) -> Any:
        pytest.fail(f"network use during extraction: {args[:2]}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(trafilatura.downloads, "fetch_url", refuse)
    monkeypatch.setattr(trafilatura.downloads, "fetch_response", refuse)
    monkeypatch.setattr(htmldate.utils, "fetch_url", refuse)


@pytest.mark.usefixtures("no_network")
def test_extraction_runs_offline() -> None:
    page = ARTICLE.replace("<nav", '<link rel="canonical" href="http://127.0.0.1:9/x"><img src="http://127.0.0.1:9/i.png"><nav')
    html = extract_article(page)
    assert html is not None and all(p in html for p in PARAGRAPHS)
    text = extract_article(page, output_format="txt")
    assert text is not None and text.splitlines()[1:4] == PARAGRAPHS
    # a "page" that is only a URL is text, not something to download
    assert extract_article("http://127.0.0.1:9/article") is None
    assert extract_article("") is None


def test_text_length() -> None:
    assert text_length("<p>Tom &amp;\n Jerry</p>") == len("Tom & Jerry")
    assert text_length("a  <b>", "text/plain") == len("a <b>")


def test_warning_kinds_documented() -> None:
    assert "refused" in WARNING_KINDS and all(WARNING_KINDS.values())
    assert all(hasattr(fulltext, name) for name in fulltext.__all__)


def test_fetch_page_raises_fetch_errors(fast_settings: FetchSettings) -> None:
    async def go() -> None:
        transport = _mock({"/gone": lambda r: httpx.Response(410)})
        async with ArticleFetcher(fast_settings, transport=transport) as articles:
            with pytest.raises(FetchError) as info:
                await articles.fetch_page("https://news.example.org/gone")
            assert (info.value.kind, info.value.status, info.value.url) == ("http", 410, "https://news.example.org/gone")
            with pytest.raises(FetchError, match="refused"):
                await articles.fetch_page("http://10.0.0.1/")

    asyncio.run(go())
