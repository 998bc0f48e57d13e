"""Every file of ../shared/realfeeds served by a local server: fetched, parsed, and fetched again (304).

Entry counts are compared with feedparser's own reading of the same bytes (entries that have at least
one of title, link, id or text: a nested empty ``<item/>`` is not an article) and, for JSON feeds,
with the items of the JSON document.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from feedscrub.fetch import Fetcher
from feedscrub.health import next_state
from feedscrub.models import FeedState, FetchResult, ParsedFeed
from feedscrub.parse import MAX_FUTURE, MIN_DATE, parse_feed
from feedscrub.settings import FeedSpec, FetchSettings

CONTENT_TYPES = {
    ".json": "application/feed+json",
    ".atom": "application/atom+xml",
    ".rss": "application/rss+xml",
    ".xml": "text/xml",  # no charset: the RFC 3023 us-ascii trap, on purpose
}


def _serve(server: HTTPServer, path: Path) -> None:
    body = path.read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    zipped = gzip.compress(body)

    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        headers = {"ETag": etag}
        data = body
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            data, headers["Content-Encoding"] = zipped, "gzip"
        return Response(data, headers=headers, content_type=CONTENT_TYPES.get(path.suffix, "application/xml"))

    server.expect_request(f"/{path.name}").respond_with_handler(handler)


def _fetch_all(settings: FetchSettings, feeds: list[FeedSpec],
               states: dict[str, FeedState]) -> dict[str, FetchResult]:
    async def go() -> dict[str, FetchResult]:
        async with Fetcher(settings) as f:
            return {feed.url: r async for feed, r in f.fetch_all(feeds, states)}

    return asyncio.run(go())


@pytest.fixture(scope="module")
def corpus(realfeeds_dir: Path, realfeeds_manifest: list[dict[str, Any]]) -> dict[str, Any]:
    """Serve, fetch and parse the whole corpus once; then fetch it again with the saved states."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        for m in realfeeds_manifest:
            _serve(server, realfeeds_dir / m["file"])
        settings = FetchSettings(read_timeout_s=5, total_timeout_s=20, concurrency=8, per_host_concurrency=8)
        feeds = [FeedSpec(url=server.url_for("/" + m["file"])) for m in realfeeds_manifest]
        now = datetime.now(UTC)
        first = _fetch_all(settings, feeds, {})
        parsed = {f.url: parse_feed(first[f.url], f) for f in feeds if first[f.url].ok}
        states = {f.url: next_state(None, f, first[f.url], parsed.get(f.url), now, settings) for f in feeds}
        second = _fetch_all(settings, feeds, states)
        requests = len(server.log)
    finally:
        server.clear()
        server.stop()
    by_file = {m["file"]: (m, f.url) for m, f in zip(realfeeds_manifest, feeds, strict=True)}
    return {"by_file": by_file, "first": first, "parsed": parsed, "second": second, "requests": requests}


def _feedparser_count(body: bytes) -> int:
    d = feedparser.parse(io.BytesIO(body))
    return sum(1 for e in d.entries if e.get("title") or e.get("link") or e.get("id") or e.get("summary")
               or any(c.get("value") for c in e.get("content", [])))


def _json_count(body: bytes) -> int:
    doc = json.loads(body.decode("utf-8-sig"))
    if "rss" in doc:
        items = doc["rss"]["channel"].get("item", [])
        return len(items) if isinstance(items, list) else 1
    return len(doc.get("items", []))


def test_every_file_fetches_and_parses(corpus: dict[str, Any], realfeeds_dir: Path) -> None:
    problems = []
    for name, (m, url) in corpus["by_file"].items():
        r: FetchResult = corpus["first"][url]
        body = (realfeeds_dir / name).read_bytes()
        if not r.ok or r.body != body:
            problems.append(f"{name}: fetch {r.error_kind} {r.error}")
            continue
        p: ParsedFeed = corpus["parsed"][url]
        if m["format"] == "html-not-a-feed":
            expected = 0
        elif name.endswith(".json") and m["complete"]:
            expected = _json_count(body)
        elif name.endswith(".json"):
            expected = -1  # truncated JSON: checked below
        else:
            expected = _feedparser_count(body)
        if expected >= 0 and len(p.entries) != expected:
            problems.append(f"{name}: {len(p.entries)} entries, expected {expected} ({p.warnings})")
    assert not problems, "\n".join(problems)


def test_entries_are_well_formed(corpus: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    for name, (_, url) in corpus["by_file"].items():
        p: ParsedFeed = corpus["parsed"][url]
        ids = [e.id for e in p.entries]
        assert len(ids) == len(set(ids)), f"{name}: entry ids collide"
        for e in p.entries:
            assert e.feed_url == url and len(e.id) == 32
            assert e.content_type in ("text/html", "text/plain")
            assert e.url is None or e.url.startswith(("http://", "https://")), (name, e.url)
            for d in (e.published_at, e.updated_at):
                assert d is None or (d.tzinfo is not None and d.utcoffset().total_seconds() == 0
                                     and MIN_DATE <= d <= now + MAX_FUTURE), (name, d)


def test_most_real_entries_have_dates_and_links(corpus: dict[str, Any]) -> None:
    entries = [e for p in corpus["parsed"].values() for e in p.entries]
    assert len(entries) > 1500
    assert sum(e.published_at is not None or e.updated_at is not None for e in entries) / len(entries) > 0.9
    assert sum(e.url is not None for e in entries) / len(entries) > 0.9


def _parsed(corpus: dict[str, Any], name: str) -> ParsedFeed:
    return corpus["parsed"][corpus["by_file"][name][1]]


def test_encodings(corpus: dict[str, Any]) -> None:
    koi8 = _parsed(corpus, "feedparser-synthetic-koi8r-undeclared.xml").entries[0]
    assert koi8.title == "Как пережить новогоднюю ночь"
    cp1251 = _parsed(corpus, "nodefeedparser-oren-ru-windows-1251.xml")
    assert cp1251.title and "Новости Оренбурга" in cp1251.title
    assert _parsed(corpus, "miniflux-synthetic-declared-1252-actually-utf8.xml").title == "Euro €"
    latin1_utf8 = _parsed(corpus, "miniflux-synthetic-declared-latin1-actually-utf8.xml")
    assert latin1_utf8.title == "테스트 피드" and latin1_utf8.entries[0].title == "Café"
    french = " ".join(e.title or "" for e in _parsed(corpus, "miniflux-cerclepsy-fr-latin1-undeclared.xml").entries)
    assert "é" in french and "Ã" not in french
    for name in ("laminas-laut-de-rss10-iso-8859-1.xml", "nodefeedparser-dailymail-iso-8859-1.xml",
                 "rssparser-jn-pt-iso-8859-1.rss", "feedrs-golem-de-rss10-iso-8859-1.xml"):
        text = " ".join((e.title or "") + e.content for e in _parsed(corpus, name).entries)
        assert "Ã" not in text and "â€" not in text, name


def test_json_feeds(corpus: dict[str, Any]) -> None:
    truncated = _parsed(corpus, "netnewswire-allthis-jsonfeed-truncated.json")
    assert truncated.entries and any(w.startswith("json_truncated:") for w in truncated.warnings)
    assert truncated.title == "And now it’s all this"
    assert all(e.url and e.published_at for e in truncated.entries)
    v11 = _parsed(corpus, "netnewswire-synthetic-jsonfeed11-authors.json")
    assert v11.version == "json11"
    assert "Item Author 1, Item Author 2" in {e.author for e in v11.entries}
    assert _parsed(corpus, "netnewswire-scriptingnews-rss-in-json.json").version == "rss-in-json"


def test_html_page_instead_of_a_feed(corpus: dict[str, Any]) -> None:
    p = _parsed(corpus, "rssparser-html-document-moved-not-a-feed.rss")
    assert p.entries == [] and any(w.startswith("not_a_feed:") for w in p.warnings)


def test_relative_links_are_resolved(corpus: dict[str, Any]) -> None:
    for name in ("feedrs-insanityindustries-relative-urls.xml", "netnewswire-jekyll-qemu-relative-links.atom",
                 "netnewswire-pappacoda-it-xmlbase-no-prolog.atom", "feedrs-nasa-xmlbase.xml"):
        assert all(e.url and e.url.startswith("http") for e in _parsed(corpus, name).entries), name


def test_second_fetch_is_conditional_and_not_modified(corpus: dict[str, Any]) -> None:
    for name, (m, url) in corpus["by_file"].items():
        r: FetchResult = corpus["second"][url]
        if m["format"] == "html-not-a-feed":
            # a failure: its validators were not kept, so it is fetched in full again
            assert r.ok and r.status == 200 and r.body, name
            continue
        assert r.ok and r.status == 304 and r.not_modified and r.body is None, (name, r.status, r.error)
    assert corpus["requests"] == 2 * len(corpus["by_file"])


def test_mangled_real_feeds_never_raise(realfeeds_dir: Path, realfeeds_manifest: list[dict[str, Any]]) -> None:
    """Each file cut at a random point, some with random bytes overwritten: parse keeps going."""
    import random

    rnd = random.Random(20261127)
    for m in realfeeds_manifest:
        body = bytearray((realfeeds_dir / m["file"]).read_bytes())
        body = body[: rnd.randrange(len(body))]
        if rnd.random() < 0.3:
            for _ in range(20):
                if body:
                    body[rnd.randrange(len(body))] = rnd.randrange(256)
        url = "http://mangled.test/" + m["file"]
        p = parse_feed(FetchResult(feed_url=url, final_url=url, status=200, body=bytes(body)), FeedSpec(url=url))
        assert isinstance(p, ParsedFeed)
