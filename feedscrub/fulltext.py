"""Full text for summary-only feeds: fetch each entry's article page and keep its main text.

A feed with ``FeedSpec.full_text`` set publishes only a teaser; ``ArticleFetcher.fetch_full_texts``
fetches the page each entry links to (``RawEntry.url``), extracts the article with trafilatura, and
returns the entries with ``content`` replaced by that text as sanitised HTML (``content_type``
``text/html``; paragraphs, headings and lists kept as ``p``, ``h2``, ``ul``… for ``cleaners.html``),
plus one warning per article it could not improve. It never raises for an article: a page that
fails keeps its entry as the feed published it.

Fetching is like ``feedscrub.fetch``, with one more rule: every connection passes the SSRF guard of
``feedscrub.netguard`` (resolved addresses checked when the socket is opened, so a name that
resolves to 127.0.0.1 is refused too; ``FetchSettings.allow_private_addresses`` opens CIDRs). The
limits come from the settings: connect / read / total timeouts and ``max_bytes`` (per-feed
overrides of the ``FeedSpec`` apply), ``max_redirects``, ``user_agent``, ``full_text_concurrency``
pages at once per ``ArticleFetcher``, ``per_host_concurrency`` and ``per_host_interval_s`` per host.

Extraction is ``trafilatura.extract`` on the HTML *we* fetched, decoded to ``str`` here: trafilatura
never downloads anything itself (its download helpers are not called; no metadata extraction, whose
date search could); ``test_fulltext`` runs it with sockets disabled. It is CPU work (a few ms per
page, more for huge pages), so it runs in a worker thread. When the extracted text is shorter than
what the feed already gave, the feed's content is kept.

Warnings are ``full_text_<kind>: <article URL>: <why>``, kinds in ``WARNING_KINDS``.

What it is not for: deciding which entries need their page (the caller passes only those, e.g. the
entries not stored yet), parsing feeds, cleaning text (``cleaners``), retrying (the next run does).
"""

from __future__ import annotations

import asyncio
import codecs
import dataclasses
import html as html_lib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

import httpcore
import httpx
import trafilatura

from feedscrub.errors import FetchError
from feedscrub.fetch import (  # shared internals of fetching
    _FetchFailed,
    _is_http,
    _Politeness,
    _read_capped,
    _take_hop,
    _via,
    brotli,
)
from feedscrub.models import RawEntry
from feedscrub.netguard import AddressRefused, GuardedTransport, parse_allowed_networks, url_refusal
from feedscrub.sanitize import sanitize_html
from feedscrub.settings import FeedSpec, FetchSettings

__all__ = ["WARNING_KINDS", "ArticleFetcher", "ArticlePage", "extract_article", "fetch_full_texts", "text_length"]

log = logging.getLogger(__name__)

#: The ``<kind>`` of a ``full_text_<kind>: ...`` warning.
WARNING_KINDS: dict[str, str] = {
    "refused": "the SSRF guard refused the address (private, loopback, link-local...; see netguard)",
    "no_url": "the entry has no http(s) link to fetch",
    "invalid_url": "the link or a redirect target is malformed or not http(s)",
    "timeout": "connect, read or total timeout",
    "connect": "DNS failure, connection refused, TLS handshake",
    "http": "the server answered with an error status",
    "too_large": "the page exceeded max_bytes (after decompression)",
    "redirect_loop": "a redirect led back to a URL already visited",
    "too_many_redirects": "more than max_redirects redirects",
    "empty": "2xx with an empty body",
    "not_html": "the page is not HTML (Content-Type), e.g. a PDF or an image",
    "protocol": "the server broke HTTP",
    "decode": "corrupt gzip / deflate / brotli",
    "no_text": "trafilatura found no main text on the page",
    "shorter": "the extracted text is shorter than the feed's own content, which is kept",
    "internal": "a bug in feedscrub; logged with its traceback",
}

_REDIRECTS = (301, 302, 303, 307, 308)
_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
_HTML_TYPES = ("text/html", "application/xhtml+xml", "")  # "": no Content-Type, try it as HTML
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


@dataclass(slots=True)
class ArticlePage:
    """One fetched article page: where it ended up, and its HTML decoded to text."""

    url: str
    final_url: str
    html: str



def text_length(content: str, content_type: str = "text/html") -> int:
    """Characters of visible text in ``content`` (tags dropped, entities decoded, spaces collapsed)."""
    if content_type == "text/html":
        content = html_lib.unescape(_TAG.sub(" ", content))
    return len(_SPACE.sub(" ", content).strip())


def extract_article(page_html: str, *, output_format: str = "html") -> str | None:
    """The main text of an article page with trafilatura (paragraphs kept), or None when none is found.

    ``output_format`` ``"html"`` (``p``, ``h2``, ``ul``… not yet sanitised) or ``"txt"`` (one line per
    paragraph). Pure CPU work on the string given: no network.
    """
    if not page_html.strip():
        return None
    out = trafilatura.extract(
        page_html,
        output_format=output_format,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        favor_precision=True,
        with_metadata=False,  # metadata runs htmldate, whose helpers can download; never needed here
        deduplicate=False,
    )
    return out if out and out.strip() else None


def _decode(body: bytes, content_type: str) -> str:
    """The page as text: the charset of the header, else of a <meta>, else UTF-8, else cp1252."""
    candidates: list[str] = []
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            candidates.append(value.strip().strip("\"'"))
    m = _META_CHARSET.search(body[:4096])
    if m:
        candidates.append(m.group(1).decode("ascii", "replace"))
    candidates.append("utf-8")
    for enc in candidates:
        try:
            codecs.lookup(enc)
            return body.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1252", errors="replace")


class ArticleFetcher:
    """Fetches article pages through the SSRF guard, within the settings' limits, and extracts their text.

    One per event loop and shard, like ``feedscrub.fetch.Fetcher``:
    ``async with ArticleFetcher(settings) as articles: entries, warnings = await articles.fetch_full_texts(feed, entries)``.

    ``transport`` replaces the network (``httpx.MockTransport`` in tests); the connect-time guard then
    does not apply (nothing connects), only the text check of each URL. ``network_backend`` keeps
    the guard and replaces what connects beneath it (tests record the addresses it is asked for).
    """

    def __init__(
        self,
        settings: FetchSettings,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.settings = settings
        self.allowed = parse_allowed_networks(settings.allow_private_addresses)
        limits = httpx.Limits(max_connections=settings.full_text_concurrency,
                              max_keepalive_connections=min(settings.full_text_concurrency, 20))
        if transport is None:
            transport = GuardedTransport(self.allowed, limits=limits, network_backend=network_backend)
        encodings = "gzip, deflate, br" if brotli is not None else "gzip, deflate"
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": settings.user_agent, "Accept": _ACCEPT, "Accept-Encoding": encodings},
            limits=limits,
        )
        self._slots = asyncio.Semaphore(settings.full_text_concurrency)
        self._polite = _Politeness(settings.per_host_concurrency, settings.per_host_interval_s)

    async def __aenter__(self) -> ArticleFetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- public --

    async def fetch_full_texts(self, feed: FeedSpec, entries: Sequence[RawEntry]) -> tuple[list[RawEntry], list[str]]:
        """``entries`` in the same order, each with its page's main text where that worked; and the warnings.

        A link shared by several entries is fetched once. Never raises for an article problem.
        """
        by_url: dict[str, asyncio.Future[tuple[str | None, str | None]]] = {}
        for e in entries:
            if e.url and e.url not in by_url and _is_http(e.url):
                by_url[e.url] = asyncio.ensure_future(self._text_of(feed, e.url))
        try:
            await asyncio.gather(*by_url.values())
        finally:
            for fut in by_url.values():
                fut.cancel()
        out: list[RawEntry] = []
        warnings: list[str] = []
        reported: set[str] = set()
        for e in entries:
            if not e.url or not _is_http(e.url):
                warnings.append(f"full_text_no_url: entry {e.id} ({(e.title or '')[:60]!r}) has no http(s) link")
                out.append(e)
                continue
            text, failure = by_url[e.url].result()
            if text is not None and text_length(text) < text_length(e.content, e.content_type):
                failure = (f"full_text_shorter: {e.url}: the page's text has {text_length(text)} characters, "
                           f"the feed's {text_length(e.content, e.content_type)}; kept the feed's")
                text = None
            if text is None:
                if failure and e.url not in reported:
                    warnings.append(failure)
                    reported.add(e.url)
                out.append(e)
                continue
            out.append(dataclasses.replace(e, content=text, content_type="text/html",
                                           summary=e.summary or e.content))
        return out, warnings

    async def fetch_page(self, url: str, feed: FeedSpec | None = None) -> ArticlePage:
        """One article page, redirects followed, all limits and the guard applied.

        Raises ``feedscrub.errors.FetchError`` whose ``kind`` is one of ``WARNING_KINDS``.
        """
        try:
            return await self._fetch_page(url, feed)
        except _FetchFailed as exc:
            raise FetchError(url, exc.kind, exc.message, exc.status) from None

    # -- internals --

    async def _fetch_page(self, url: str, feed: FeedSpec | None) -> ArticlePage:
        s = self.settings
        total = (feed.total_timeout_s if feed else None) or s.total_timeout_s
        max_bytes = (feed.max_bytes if feed else None) or s.max_bytes
        read = (feed.read_timeout_s if feed else None) or s.read_timeout_s
        timeout = httpx.Timeout(connect=(feed.connect_timeout_s if feed else None) or s.connect_timeout_s,
                                read=read, write=read, pool=read)
        visited: list[str] = []
        deadline: float | None = None
        loop = asyncio.get_running_loop()
        first = url
        while True:
            via = _via(visited)
            _take_hop(url, visited, s.max_redirects)
            why = url_refusal(url, self.allowed)
            if why is not None:
                raise _FetchFailed("refused", f"{url}{via}: {why}: not a public address and not in "
                                              "allow_private_addresses")
            host = self._polite.host(url)
            async with host.slots:
                await self._polite.wait_turn(host)
                if deadline is None:  # the total timeout runs from the first request, not the queue
                    deadline = loop.time() + total
                try:
                    async with asyncio.timeout_at(deadline):
                        location, page = await self._request(url, first, via, timeout, max_bytes)
                except TimeoutError:
                    raise _FetchFailed("timeout", f"{first}: total timeout of {total:g}s exceeded") from None
            if page is not None:
                return page
            assert location is not None
            try:
                url = urljoin(url, location)
            except ValueError:
                raise _FetchFailed("invalid_url", f"{url}: malformed redirect target {location!r}{via}") from None

    async def _text_of(self, feed: FeedSpec, url: str) -> tuple[str | None, str | None]:
        """(sanitised HTML of the main text, None) or (None, the warning)."""
        try:
            async with self._slots:
                page = await self._fetch_page(url, feed)
                extracted = await asyncio.to_thread(extract_article, page.html)
            if extracted is None:
                return None, f"full_text_no_text: {url}: no main text found on {page.final_url}"
            return sanitize_html(extracted), None
        except _FetchFailed as exc:
            msg = exc.message if exc.message.startswith(url) else f"{url}: {exc.message}"
            return None, f"full_text_{exc.kind}: {msg}"
        except Exception as exc:  # one page must never break a feed; keep the traceback in the log
            log.exception("full text of %s", url)
            return None, f"full_text_internal: {url}: {type(exc).__name__}: {exc}"

    async def _request(self, url: str, first: str, via: str, timeout: httpx.Timeout,
                       max_bytes: int) -> tuple[str | None, ArticlePage | None]:
        try:
            async with self._client.stream("GET", url, timeout=timeout) as resp:
                if resp.status_code in _REDIRECTS:
                    location = resp.headers.get("location")
                    if not location:
                        raise _FetchFailed("http", f"{url}: HTTP {resp.status_code} without a Location header{via}")
                    return location, None
                if not 200 <= resp.status_code < 300:
                    raise _FetchFailed("http", f"{url}: HTTP {resp.status_code} {resp.reason_phrase}{via}".rstrip(),
                                       resp.status_code)
                ctype = resp.headers.get("content-type", "")
                if ctype.split(";", 1)[0].strip().lower() not in _HTML_TYPES:
                    raise _FetchFailed("not_html", f"{url}: Content-Type {ctype!r} is not HTML{via}")
                declared = resp.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise _FetchFailed("too_large", f"{url}: Content-Length {declared} exceeds {max_bytes} bytes{via}")
                body = await _read_capped(resp, url, max_bytes)
        except _FetchFailed:
            raise
        except AddressRefused as exc:
            raise _FetchFailed("refused", f"{url}{via}: {exc.message}") from None
        except httpx.TimeoutException as exc:
            what = {httpx.ConnectTimeout: "connect", httpx.ReadTimeout: "read", httpx.WriteTimeout: "write",
                    httpx.PoolTimeout: "connection pool"}.get(type(exc), "")
            raise _FetchFailed("timeout", f"{url}: {what} timeout{via}".replace("  ", " ")) from None
        except httpx.ConnectError as exc:
            raise _FetchFailed("connect", f"{url}: cannot connect: {exc or type(exc).__name__}{via}") from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise _FetchFailed("invalid_url", f"{url}: {exc}{via}") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.LocalProtocolError) as exc:
            raise _FetchFailed("protocol", f"{url}: {type(exc).__name__}: {exc}{via}") from None
        except httpx.DecodingError as exc:
            raise _FetchFailed("decode", f"{url}: {exc}{via}") from None
        if not body.strip():
            raise _FetchFailed("empty", f"{url}: empty body{via}")
        return None, ArticlePage(url=first, final_url=url, html=_decode(body, ctype))


async def fetch_full_texts(
    feed: FeedSpec,
    entries: Sequence[RawEntry],
    settings: FetchSettings,
    *,
    fetcher: ArticleFetcher | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[list[RawEntry], list[str]]:
    """``ArticleFetcher.fetch_full_texts`` with ``fetcher``, or with a fetcher made (and closed) for this call.

    Pass a long-lived ``fetcher`` when fetching for many feeds: it keeps the connection pool and the
    per-host politeness across them.
    """
    if fetcher is not None:
        return await fetcher.fetch_full_texts(feed, entries)
    async with ArticleFetcher(settings, transport=transport) as own:
        return await own.fetch_full_texts(feed, entries)
