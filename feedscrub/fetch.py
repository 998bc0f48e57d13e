"""Fetching feed documents over HTTP(S) or from ``file://`` paths, politely and within limits.

``Fetcher.fetch`` turns one ``FeedSpec`` (plus what the store remembers of it, a ``FeedState``) into
a ``FetchResult``: the body bytes and response headers, a "not modified", or a recorded error. It
never raises for a problem of the feed: every failure becomes ``FetchResult.error_kind``, one of
the stable words in ``ERROR_KINDS``, with a message naming the URL.

What it does: conditional GET (ETag / Last-Modified, and a body hash for servers that ignore
both), manual redirects (loops and permanent moves recorded), gzip / deflate / brotli decoded here
with a cap on the *decoded* size so a compression bomb stops after ``max_bytes``, connect / read /
total timeouts, global and per-host concurrency, a minimum interval between requests to one host,
``Retry-After`` and ``Cache-Control: max-age`` recorded for the scheduler (``feedscrub.health``).

What it does not do: parse (``feedscrub.parse``), decide when to fetch next (``feedscrub.health``),
retry (the caller's schedule does), or fetch article pages (full text has its own SSRF guard).
The HTTP client is httpx with an injectable transport, so tests use ``httpx.MockTransport`` or a
local server and never the internet.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import ipaddress
import logging
import time
import zlib
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from feedscrub.models import FeedState, FetchResult
from feedscrub.settings import FeedSpec, FetchSettings

try:  # brotli is optional: without it we simply do not offer "br"
    import brotli

    # 1.2 added output_buffer_limit, which the bomb-safe decoding below needs
    if tuple(int(p) for p in brotli.__version__.split(".")[:2]) < (1, 2):  # pragma: no cover
        brotli = None
except (ImportError, AttributeError, ValueError):  # pragma: no cover - depends on the environment
    brotli = None

__all__ = ["ERROR_KINDS", "Fetcher", "effective_url"]

log = logging.getLogger(__name__)

#: The values ``FetchResult.error_kind`` can take (dashboards and the feeds table group on them).
ERROR_KINDS: dict[str, str] = {
    "timeout": "connect, read or total timeout",
    "connect": "could not connect (DNS failure, refused, unreachable, TLS handshake)",
    "http": "the server answered with an error status (4xx, 5xx; see FetchResult.status)",
    "too_large": "the body (after decompression) exceeded max_bytes",
    "redirect_loop": "a redirect led back to a URL already visited",
    "too_many_redirects": "more than max_redirects redirects",
    "empty": "the server answered 2xx with an empty body",
    "invalid_url": "the URL or a redirect target is malformed, not http(s), or (from a public feed) private",
    "protocol": "the server broke HTTP (bad framing, connection closed mid-body)",
    "decode": "the Content-Encoding could not be decoded (corrupt gzip/deflate/brotli)",
    "file": "a file:// feed could not be read",
    "internal": "a bug in feedscrub; the message has the exception",
}

_PERMANENT = (301, 308)
_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 64 * 1024
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)


def effective_url(feed: FeedSpec, state: FeedState | None, settings: FetchSettings) -> str:
    """The URL to request: the feed's, or its permanent redirect once seen ``redirect_confirm_runs`` times."""
    if (
        state is not None
        and state.permanent_redirect
        and state.redirect_count >= settings.redirect_confirm_runs
    ):
        return state.permanent_redirect
    return feed.url


class _FetchFailed(Exception):
    """Internal: ends one fetch with an error kind; turned into a FetchResult, never escapes."""

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status


# --- decoding with a cap -----------------------------------------------------------------------


class _Decoder(Protocol):
    def feed(self, data: bytes, limit: int) -> bytes: ...


class _Identity:
    def feed(self, data: bytes, limit: int) -> bytes:
        return data


class _Zlib:
    """gzip or deflate. ``limit`` bounds each output piece so a bomb never expands in one go."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._d = zlib.decompressobj(zlib.MAX_WBITS | 32 if gzip else zlib.MAX_WBITS)
        self._first = True

    def feed(self, data: bytes, limit: int) -> bytes:
        if self._first and not self._gzip:
            self._first = False
            try:
                return self._d.decompress(data, limit)
            except zlib.error:
                # "deflate" is often sent as raw deflate without the zlib header
                self._d = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._d.decompress(data, limit)

    def more(self, limit: int) -> bytes:
        tail = self._d.unconsumed_tail
        return self._d.decompress(tail, limit) if tail else b""


class _Brotli:
    def __init__(self) -> None:
        self._d = brotli.Decompressor()

    def feed(self, data: bytes, limit: int) -> bytes:
        return bytes(self._d.process(data, output_buffer_limit=limit))

    def more(self, limit: int) -> bytes:
        if self._d.can_accept_more_data():
            return b""
        return bytes(self._d.process(b"", output_buffer_limit=limit))


def _decoder(content_encoding: str) -> _Identity | _Zlib | _Brotli:
    enc = content_encoding.strip().lower()
    if enc in ("gzip", "x-gzip"):
        return _Zlib(gzip=True)
    if enc == "deflate":
        return _Zlib(gzip=False)
    if enc == "br" and brotli is not None:
        return _Brotli()
    # identity, empty, or something we did not offer: pass the bytes through (httpx does the same)
    return _Identity()


async def _read_capped(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    """The decoded body, stopping as soon as it passes ``max_bytes`` (raw or decoded)."""
    if response.is_stream_consumed:  # an in-memory response (MockTransport): httpx already decoded it
        if len(response.content) > max_bytes:
            raise _FetchFailed("too_large", f"{url}: body exceeds {max_bytes} bytes (after decompression)")
        return response.content
    dec = _decoder(response.headers.get("content-encoding", ""))
    out = bytearray()
    piece = min(_CHUNK, max_bytes + 1)

    def add(data: bytes) -> None:
        out.extend(data)
        if len(out) > max_bytes:
            raise _FetchFailed("too_large", f"{url}: body exceeds {max_bytes} bytes (after decompression)")

    try:
        async for raw in response.aiter_raw(_CHUNK):
            add(dec.feed(raw, piece))
            if not isinstance(dec, _Identity):
                while chunk := dec.more(piece):
                    add(chunk)
        if not isinstance(dec, _Identity):
            while chunk := dec.more(piece):
                add(chunk)
    except (zlib.error, getattr(brotli, "error", zlib.error)) as exc:
        raise _FetchFailed("decode", f"{url}: cannot decode {response.headers.get('content-encoding')!r} body: {exc}") from None
    return bytes(out)


# --- header helpers -----------------------------------------------------------------------------


def _retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _max_age(value: str | None) -> float | None:
    """``max-age`` (or ``s-maxage``) of a Cache-Control header, in seconds; None when absent."""
    if not value:
        return None
    found: float | None = None
    for part in value.lower().split(","):
        name, _, arg = part.strip().partition("=")
        if name in ("max-age", "s-maxage"):
            try:
                found = float(arg.strip().strip('"'))
            except ValueError:
                continue
    return found if found is not None and found >= 0 else None


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port or ''}"


def _sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


# --- politeness ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Host:
    slots: asyncio.Semaphore
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0


class _Politeness:
    """Per-host concurrency and a minimum interval between request starts to one host."""

    def __init__(self, per_host: int, interval_s: float) -> None:
        self._per_host = per_host
        self._interval = interval_s
        self._hosts: dict[str, _Host] = {}

    def host(self, url: str) -> _Host:
        key = _host_key(url)
        h = self._hosts.get(key)
        if h is None:
            h = self._hosts[key] = _Host(asyncio.Semaphore(self._per_host))
        return h

    async def wait_turn(self, h: _Host) -> None:
        if self._interval <= 0:
            return
        loop = asyncio.get_running_loop()
        async with h.lock:  # reserve a start time; sleep outside the lock
            now = loop.time()
            start = max(now, h.next_start)
            h.next_start = start + self._interval
        if start > now:
            await asyncio.sleep(start - now)


# --- the fetcher --------------------------------------------------------------------------------


class Fetcher:
    """Fetches feeds with one shared ``httpx.AsyncClient`` (connection pool) and the politeness limits.

    Use it as ``async with Fetcher(settings) as f: result = await f.fetch(feed, state)``, inside one
    event loop. ``transport`` replaces the network (``httpx.MockTransport`` in tests).
    """

    def __init__(self, settings: FetchSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        encodings = "gzip, deflate, br" if brotli is not None else "gzip, deflate"
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": settings.user_agent, "Accept": _ACCEPT, "Accept-Encoding": encodings},
            limits=httpx.Limits(
                max_connections=settings.concurrency,
                max_keepalive_connections=min(settings.concurrency, 20),
            ),
        )
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._polite = _Politeness(settings.per_host_concurrency, settings.per_host_interval_s)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- public --

    async def fetch(self, feed: FeedSpec, state: FeedState | None = None) -> FetchResult:
        """Fetch one feed. Never raises for a feed problem: see ``FetchResult.error_kind``."""
        url = effective_url(feed, state, self.settings)
        started = time.monotonic()
        result = FetchResult(feed_url=feed.url, final_url=url)
        try:
            async with self._slots:
                started = time.monotonic()
                if url.startswith("file://"):
                    await self._fetch_file(url, feed, state, result)
                else:
                    await self._fetch_http(url, feed, state, result)
        except _FetchFailed as exc:
            result.error_kind, result.error = exc.kind, exc.message
            result.status = exc.status if exc.status is not None else result.status
        except Exception as exc:  # never let one feed break a shard; keep the traceback in the log
            log.exception("unexpected error fetching %s", url)
            result.error_kind, result.error = "internal", f"{url}: {type(exc).__name__}: {exc}"
        if result.error_kind is not None:
            result.body = None
        result.elapsed_s = time.monotonic() - started
        return result

    async def fetch_all(
        self, feeds: Iterable[FeedSpec], states: Mapping[str, FeedState] | None = None, *,
        window: int | None = None,
    ) -> AsyncIterator[tuple[FeedSpec, FetchResult]]:
        """Fetch many feeds concurrently; yields ``(feed, result)`` as each finishes.

        ``states`` maps a feed's URL to its ``FeedState``. Feeds are started host by host in turn,
        so a list with many feeds of one host does not fill every slot waiting on that host.

        ``window`` bounds the fetches started and not yet taken by the caller (in flight, or done
        and waiting to be yielded): a caller that stops asking stops new fetches, so the bodies
        held stay bounded however many feeds there are. None starts every fetch at once (still at
        most ``concurrency`` requests in flight).
        """
        states = states or {}
        ordered = _interleave_hosts(list(feeds))

        async def one(feed: FeedSpec) -> tuple[FeedSpec, FetchResult]:
            return feed, await self.fetch(feed, states.get(feed.url))

        if window is None:
            tasks = [asyncio.ensure_future(one(f)) for f in ordered]
            try:
                for next_done in asyncio.as_completed(tasks):
                    yield await next_done
            finally:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            return
        waiting = iter(ordered)
        running: set[asyncio.Future[tuple[FeedSpec, FetchResult]]] = set()

        def top_up() -> None:
            while len(running) < max(1, window):
                feed = next(waiting, None)
                if feed is None:
                    return
                running.add(asyncio.ensure_future(one(feed)))

        try:
            top_up()
            while running:
                finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for fut in finished:
                    running.discard(fut)
                    yield fut.result()
                top_up()
        finally:
            for fut in running:
                fut.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    # -- file:// --

    async def _fetch_file(self, url: str, feed: FeedSpec, state: FeedState | None, result: FetchResult) -> None:
        max_bytes = feed.max_bytes or self.settings.max_bytes
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise _FetchFailed("invalid_url", f"{url}: file:// URLs must be local (file:///path)")
        path = Path(unquote(parts.path))

        def read() -> bytes:
            with path.open("rb") as fh:
                return fh.read(max_bytes + 1)

        try:
            body = await asyncio.to_thread(read)
        except OSError as exc:
            raise _FetchFailed("file", f"{url}: cannot read {path}: {exc.strerror or exc}") from None
        if len(body) > max_bytes:
            raise _FetchFailed("too_large", f"{url}: file exceeds {max_bytes} bytes")
        self._accept_body(url, body, state, result)

    # -- http(s) --

    def _timeout(self, feed: FeedSpec) -> httpx.Timeout:
        s = self.settings
        read = feed.read_timeout_s or s.read_timeout_s
        return httpx.Timeout(
            connect=feed.connect_timeout_s or s.connect_timeout_s, read=read, write=read, pool=read
        )

    async def _fetch_http(self, url: str, feed: FeedSpec, state: FeedState | None, result: FetchResult) -> None:
        total = feed.total_timeout_s or self.settings.total_timeout_s
        max_bytes = feed.max_bytes or self.settings.max_bytes
        timeout = self._timeout(feed)
        conditional: dict[str, str] = {}
        if state is not None:
            if state.etag:
                conditional["If-None-Match"] = state.etag
            if state.last_modified:
                conditional["If-Modified-Since"] = state.last_modified

        visited: list[str] = []
        permanent_chain = True  # still following only 301/308 from the start
        deadline: float | None = None
        loop = asyncio.get_running_loop()
        while True:
            _take_hop(url, visited, self.settings.max_redirects)
            result.final_url = url
            host = self._polite.host(url)
            async with host.slots:
                await self._polite.wait_turn(host)
                if deadline is None:  # the total timeout runs from the first request, not the queue
                    deadline = loop.time() + total
                try:
                    async with asyncio.timeout_at(deadline):
                        location = await self._request(url, timeout, conditional, max_bytes, state, result)
                except TimeoutError:
                    raise _FetchFailed("timeout", f"{url}: total timeout of {total:g}s exceeded") from None
            if location is None:
                return
            new_url = urljoin(url, location)
            if _is_private_literal(new_url) and not _is_private_literal(visited[0]):
                raise _FetchFailed(
                    "invalid_url", f"{visited[0]}: redirect to a private address refused: {new_url}", result.status
                )
            if permanent_chain and result.status in _PERMANENT:
                result.permanent_redirect = new_url
            else:
                permanent_chain = False
            url = new_url

    async def _request(
        self,
        url: str,
        timeout: httpx.Timeout,
        conditional: dict[str, str],
        max_bytes: int,
        state: FeedState | None,
        result: FetchResult,
    ) -> str | None:
        """One request. Returns the Location to follow, or None when ``result`` is complete."""
        try:
            async with self._client.stream("GET", url, headers=conditional, timeout=timeout) as resp:
                result.status = resp.status_code
                result.headers = {k.lower(): v for k, v in resp.headers.items()}
                if resp.status_code in _REDIRECTS:
                    location = resp.headers.get("location")
                    if not location:
                        raise _FetchFailed("http", f"{url}: HTTP {resp.status_code} without a Location header",
                                           resp.status_code)
                    return location
                self._record_cache_headers(resp, result)
                if resp.status_code == 304:
                    result.not_modified = True
                    result.etag = result.etag or (state.etag if state else None)
                    result.last_modified = result.last_modified or (state.last_modified if state else None)
                    result.body_hash = state.body_hash if state else None
                    return None
                if resp.status_code >= 300 or resp.status_code < 200:
                    raise _FetchFailed(
                        "http", f"{url}: HTTP {resp.status_code} {resp.reason_phrase}".rstrip(), resp.status_code
                    )
                declared = resp.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise _FetchFailed("too_large", f"{url}: Content-Length {declared} exceeds {max_bytes} bytes",
                                       resp.status_code)
                body = await _read_capped(resp, url, max_bytes)
        except _FetchFailed:
            raise
        except httpx.TimeoutException as exc:
            what = {
                httpx.ConnectTimeout: "connect", httpx.ReadTimeout: "read",
                httpx.WriteTimeout: "write", httpx.PoolTimeout: "connection pool",
            }.get(type(exc), "")
            raise _FetchFailed("timeout", f"{url}: {what} timeout".replace("  ", " ")) from None
        except httpx.ConnectError as exc:
            raise _FetchFailed("connect", f"{url}: cannot connect: {exc or type(exc).__name__}") from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise _FetchFailed("invalid_url", f"{url}: {exc}") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.LocalProtocolError) as exc:
            raise _FetchFailed("protocol", f"{url}: {type(exc).__name__}: {exc}") from None
        except httpx.DecodingError as exc:
            raise _FetchFailed("decode", f"{url}: {exc}") from None
        self._accept_body(url, body, state, result)
        return None

    @staticmethod
    def _record_cache_headers(resp: httpx.Response, result: FetchResult) -> None:
        result.etag = resp.headers.get("etag")
        result.last_modified = resp.headers.get("last-modified")
        result.max_age_s = _max_age(resp.headers.get("cache-control"))
        if resp.status_code in (429, 503):
            result.retry_after_s = _retry_after(resp.headers.get("retry-after"), time.time())

    @staticmethod
    def _accept_body(url: str, body: bytes, state: FeedState | None, result: FetchResult) -> None:
        if not body.strip():
            raise _FetchFailed("empty", f"{url}: empty body", result.status)
        result.body_hash = _sha256(body)
        if state is not None and state.body_hash == result.body_hash:
            result.not_modified = True  # the server ignored conditional GET; same bytes, nothing to parse
            return
        result.body = body


def _is_private_literal(url: str) -> bool:
    """True when the URL's host is an IP literal (or localhost) that is not publicly routable.

    A public feed redirecting to 127.0.0.1 or 169.254.169.254 (cloud metadata) would make us fetch
    and store an internal page. Host names that resolve to such addresses are not caught here.
    """
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not ip.is_global


def _via(visited: list[str]) -> str:
    return f" (redirected from {visited[-1]})" if visited else ""


def _is_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False


def _take_hop(url: str, visited: list[str], max_redirects: int) -> None:
    """Record the request of ``url`` in ``visited`` (the feed's or page's URL, then each redirect
    target), refusing one that is not http(s), comes back to a URL already visited, or goes past
    ``max_redirects``. Shared by feed fetching and article pages (``fulltext``)."""
    if not _is_http(url):
        raise _FetchFailed("invalid_url", f"{url}: not an http(s) URL" + _via(visited))
    if url in visited:
        raise _FetchFailed("redirect_loop", f"{visited[0]}: redirect loop: {' -> '.join([*visited, url])}")
    if len(visited) > max_redirects:
        raise _FetchFailed(
            "too_many_redirects", f"{visited[0]}: more than {max_redirects} redirects (last: {visited[-1]})"
        )
    visited.append(url)


def _interleave_hosts(feeds: list[FeedSpec]) -> list[FeedSpec]:
    """Round-robin the feeds by host, keeping each host's own order."""
    by_host: dict[str, list[FeedSpec]] = defaultdict(list)
    for f in feeds:
        by_host[_host_key(f.url)].append(f)
    queues = list(by_host.values())
    out: list[FeedSpec] = []
    i = 0
    while len(out) < len(feeds):
        for q in queues:
            if i < len(q):
                out.append(q[i])
        i += 1
    return out
