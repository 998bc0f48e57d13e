"""Reading a fetched feed document into ``RawEntry`` values, keeping whatever is usable.

``parse_feed`` takes a ``FetchResult`` and returns a ``ParsedFeed``. Like feedparser, it never
raises on bad input: a malformed or truncated document gives the entries that could be read and a
warning (``ParsedFeed.warnings``, each ``"kind: message"``). RSS, Atom and RDF go through
``feedparser.parse``; JSON Feed and RSS-in-JSON through ``feedscrub.jsonfeed``. An HTML page served in
place of a feed gives no entries, a ``not_a_feed`` warning and the feed URLs it advertises
(``ParsedFeed.alternates``).

Safety: the bytes are handed to feedparser as a stream (a bare ``bytes`` body that happens to be a
path would be opened as a local file), and a DOCTYPE that declares entities is removed before
parsing, so neither entity expansion ("billion laughs") nor external entities (XXE) can happen
whatever the XML parser's defaults.

Not done here: cleaning the text (``cleaners``), deciding what the feed's next fetch is
(``feedscrub.health``).
"""

from __future__ import annotations

import io
import logging
import re
from calendar import timegm
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from feedscrub.identity import EntryKey, assign_entry_ids
from feedscrub.jsonfeed import JsonFeed, looks_like_json, read_json_feed
from feedscrub.models import ContentType, FetchResult, ParsedFeed, RawEntry
from feedscrub.settings import FeedSpec

try:  # optional: repairs feeds whose bytes are not in the encoding feedparser had to assume
    import charset_normalizer
except ImportError:  # pragma: no cover
    charset_normalizer = None  # type: ignore[assignment]

__all__ = ["discover_feed_links", "parse_feed", "strip_entity_declarations"]

log = logging.getLogger(__name__)

#: dates this far in the future are a clock or time-zone bug, not a publication date
MAX_FUTURE = timedelta(days=2)
#: dates before this are a parsing accident (epoch 0, year 1 ...)
MIN_DATE = datetime(1990, 1, 1, tzinfo=UTC)

_FEED_TYPES = (
    "application/rss+xml", "application/atom+xml", "application/feed+json", "application/json",
    "application/rdf+xml", "application/xml", "text/xml",
)
_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*[\s/>]|&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")
_SINGLE_BYTE = {"windows-1252", "cp1252", "iso-8859-1", "latin-1", "latin1", "iso-8859-15", "iso-8859-2",
                "us-ascii", "ascii"}
_NON_LATIN_SCRIPTS = ("Cyrillic", "Greek", "Arabic", "Hebrew", "Thai")
_ASCII = bytes(range(128))


def parse_feed(result: FetchResult, feed: FeedSpec, now: datetime | None = None) -> ParsedFeed:
    """The entries of a fetched feed document. Never raises for bad input.

    ``now`` bounds plausible dates (default: the current time). A result without a body (an error
    or "not modified") gives an empty ``ParsedFeed`` with a ``no_body`` warning.
    """
    now = now or datetime.now(UTC)
    if not result.body:
        why = "not modified" if result.not_modified else (result.error_kind or "no body")
        return ParsedFeed(feed.url, None, None, None, [], [f"no_body: nothing to parse ({why})"])
    content_type = result.headers.get("content-type", "")
    try:
        if looks_like_json(result.body, content_type):
            return _from_json(read_json_feed(result.body), result, feed, now)
        return _from_xml(result.body, content_type, result, feed, now)
    except RecursionError as exc:  # pathological nesting; feedparser is otherwise total
        log.warning("cannot parse %s: %r", feed.url, exc)
        return ParsedFeed(feed.url, None, None, None, [], [f"parse_error: {type(exc).__name__}: {exc}"])


# --- XML (feedparser) ----------------------------------------------------------------------------


def _from_xml(body: bytes, content_type: str, result: FetchResult, feed: FeedSpec, now: datetime) -> ParsedFeed:
    warnings: list[str] = []
    body, stripped = strip_entity_declarations(body)
    if stripped:
        warnings.append("entities_removed: the DOCTYPE declared entities; it was removed unexpanded")
    body, fixed = _defuse_feedparser_crashes(body)
    if fixed:
        warnings.append("invalid_markup_replaced: " + fixed)
    try:
        d = _feedparser(body, content_type, result)
        d, note = _repair_encoding(d, body, content_type, result)
    except Exception as exc:  # feedparser is meant to be total; a few inputs still crash it
        log.warning("feedparser failed on %s: %r", feed.url, exc)
        return ParsedFeed(feed.url, None, None, None, [],
                          [*warnings, f"parse_error: feedparser crashed: {type(exc).__name__}: {exc}"])
    if note:
        warnings.append(note)
    if d.get("bozo"):
        bozo = d.get("bozo_exception")
        warnings.append(f"bozo: {type(bozo).__name__}: {bozo}")

    f = d.get("feed", {})
    base = result.final_url or feed.url
    if not d.get("entries") and not d.get("version") and _looks_like_html(body, content_type):
        links = discover_feed_links(body, base)
        msg = "not_a_feed: an HTML page, not a feed"
        if links:
            msg += "; it links to " + ", ".join(links)
        warnings.append(msg)
        return ParsedFeed(feed.url, _text(f.get("title")), None, None, [], warnings, alternates=links)

    language = _text(f.get("language"))
    drafts: list[tuple[EntryKey, dict[str, Any]]] = []
    for e in d.get("entries", []):
        content, ctype, summary = _richest_content(e)
        link = _entry_link(e, base)
        published = _date(dict.get(e, "published_parsed"), now)
        updated = _date(dict.get(e, "updated_parsed"), now)  # not e.get: it falls back to published
        title = _text(e.get("title"))
        guid = _text(e.get("id"))
        if not (content.strip() or title or link or guid):
            continue  # an empty <item/>: nothing to keep
        drafts.append((
            EntryKey(guid, link, title, published or updated, content),
            dict(guid=guid, url=link, title=title, author=_text(e.get("author")), published_at=published,
                 updated_at=updated, content=content, content_type=ctype, summary=summary,
                 language=_entry_language(e) or language),
        ))
    ids = assign_entry_ids(feed.url, [k for k, _ in drafts])
    entries = [RawEntry(id=i, feed_url=feed.url, **fields) for i, (_, fields) in zip(ids, drafts, strict=True)]
    return ParsedFeed(
        feed_url=feed.url,
        title=_text(f.get("title")),
        language=language,
        version=d.get("version") or None,
        entries=entries,
        warnings=warnings,
        ttl_s=_ttl(f.get("ttl")),
    )


def _feedparser(body: bytes, content_type: str, result: FetchResult) -> Any:
    # Always an XML media type, with the server's charset if it gave one: feedparser would otherwise
    # follow RFC 3023 (text/xml without charset = us-ascii; no Content-Type = iso-8859-1), which
    # contradicts the XML declaration of most real feeds (RFC 7303 dropped those defaults).
    charset = _charset(content_type)
    headers = {
        "content-location": result.final_url or result.feed_url,
        "content-type": f"application/xml; charset={charset}" if charset else "application/xml",
    }
    if "content-language" in result.headers:
        headers["content-language"] = result.headers["content-language"]
    # A stream, never bytes: feedparser would try to open a bytes body as a file name.
    # Content is kept as published (no sanitising, no rewriting of relative URLs inside the HTML:
    # that halves the parse time and RawEntry is the verbatim record); entry links are still resolved.
    return feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=False,
                            resolve_relative_uris=False)


def _charset(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip("\"'"):
            return value.strip().strip("\"'")
    return None


def _repair_encoding(d: Any, body: bytes, content_type: str, result: FetchResult) -> tuple[Any, str | None]:
    """Re-read a document whose declared (or assumed) encoding does not match its bytes.

    Two cases seen in the wild: a single-byte encoding declared for bytes that are valid UTF-8
    (reading them as declared gives "â‚¬"), and undeclared non-Latin text (KOI8-R, cp1251) that
    feedparser, with no charset detector, reads as windows-1252.
    """
    encoding = (d.get("encoding") or "").lower()
    if body.isascii():
        return d, None
    try:
        body.decode("utf-8")
        valid_utf8 = True
    except UnicodeDecodeError:
        valid_utf8 = False
    declared = _charset(content_type) or _XML_DECL_ENCODING.match(body.lstrip())
    # feedparser's last resort when nothing fits; its bozo_exception may since have been replaced
    # by a later XML error, so the lack of a declaration is checked as well
    fallback = type(d.get("bozo_exception")).__name__ == "CharacterEncodingOverride" or (
        not declared and not valid_utf8 and encoding in ("windows-1252", "iso-8859-2")
    )
    guess: str | None = None
    if encoding in _SINGLE_BYTE and valid_utf8:
        guess = "utf-8"
    elif fallback and charset_normalizer is not None and len(body.translate(None, _ASCII)) >= 32:
        best = charset_normalizer.from_bytes(body).best()
        if best is not None and best.coherence >= 0.3 and any(
            script in alphabet for alphabet in best.alphabets for script in _NON_LATIN_SCRIPTS
        ):
            guess = best.encoding
    if guess is None or guess.replace("_", "-") == encoding:
        return d, None
    redone = _feedparser(body, f"application/xml; charset={guess}", result)
    if redone.get("encoding", "").lower().replace("_", "-") != guess.replace("_", "-"):
        return d, None
    was = encoding or "undeclared"
    return redone, f"encoding_repaired: read as {guess}; the document's declared or assumed {was} did not fit"


# --- JSON ----------------------------------------------------------------------------------------


def _from_json(doc: JsonFeed, result: FetchResult, feed: FeedSpec, now: datetime) -> ParsedFeed:
    base = result.final_url or feed.url
    drafts: list[tuple[EntryKey, dict[str, Any]]] = []
    for it in doc.items:
        if it.content_html:
            content, ctype = it.content_html, "text/html"
        elif it.content_text:
            content, ctype = it.content_text, "text/plain"
        else:
            content = it.summary or ""
            ctype = "text/html" if _MARKUP.search(content) else "text/plain"
        summary = it.summary if it.summary and it.summary != content else None
        link = _link(it.url, base)
        published, updated = _sane(it.published, now), _sane(it.updated, now)
        if not (content.strip() or it.title or link or it.id):
            continue
        drafts.append((
            EntryKey(it.id, link, it.title, published or updated, content),
            dict(guid=it.id, url=link, title=it.title, author=it.author, published_at=published,
                 updated_at=updated, content=content, content_type=ctype, summary=summary,
                 language=it.language or doc.language),
        ))
    ids = assign_entry_ids(feed.url, [k for k, _ in drafts])
    entries = [RawEntry(id=i, feed_url=feed.url, **fields) for i, (_, fields) in zip(ids, drafts, strict=True)]
    return ParsedFeed(feed.url, doc.title, doc.language, doc.version, entries, list(doc.warnings))


# --- safety --------------------------------------------------------------------------------------

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)


def strip_entity_declarations(body: bytes) -> tuple[bytes, bool]:
    """Remove a DOCTYPE whose internal subset declares entities; returns (bytes, removed?).

    Only the prolog is looked at (everything before the root element). A DOCTYPE without entity
    declarations (RSS 0.91's Netscape DTD, XHTML) is kept: feedparser reads the version from it.
    Entity references left in the body then stay unexpanded (feedparser's loose parser keeps them
    as text).
    """
    m = _DOCTYPE.search(body, 0, 4096 * 4)
    if m is None or not _ENTITY.search(body, m.end()):
        return body, False
    # walk the declaration, skipping quoted strings and the [ ... ] internal subset
    i, depth, quote, n = m.end(), 0, 0, len(body)
    while i < n:
        c = body[i]
        if quote:
            if c == quote:
                quote = 0
        elif c in (0x22, 0x27):  # " '
            quote = c
        elif c == 0x5B:  # [
            depth += 1
        elif c == 0x5D:  # ]
            depth = max(0, depth - 1)
        elif c == 0x3E and depth == 0:  # >
            break
        i += 1
    decl = body[m.start() : i + 1]
    if not _ENTITY.search(decl):
        return body, False
    return body[: m.start()] + body[i + 1 :], True


_CHARREF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_XML_DECL_ENCODING = re.compile(rb"""^(<\?[^\n]*?)encoding=(["'])([^\n]*?)\2""")


def _bad_charref(m: re.Match[bytes]) -> bytes:
    digits = m.group(1) or m.group(2)
    if len(digits) > 8:
        return b"&#xFFFD;"
    v = int(digits, 16) if m.group(1) else int(digits)
    return b"&#xFFFD;" if v > 0x10FFFF or 0xD800 <= v <= 0xDFFF else m.group(0)


def _defuse_feedparser_crashes(body: bytes) -> tuple[bytes, str]:
    """Replace the few inputs that make feedparser 6 raise instead of flagging bozo.

    A character reference to a surrogate or past U+10FFFF (``&#xD800;``) and an XML declaration
    whose encoding name is not ASCII both end in a Unicode error inside feedparser.
    """
    notes = []
    fixed = _CHARREF.sub(_bad_charref, body)
    if fixed != body:
        notes.append("character references to invalid code points became U+FFFD")
    m = _XML_DECL_ENCODING.match(fixed.lstrip())
    if m and not m.group(3).isascii():
        start = len(fixed) - len(fixed.lstrip())
        fixed = fixed[: start + m.start(3) - 1] + b'"utf-8"' + fixed[start + m.end(3) + 1 :]
        notes.append("a non-ASCII encoding name in the XML declaration became utf-8")
    return fixed, "; ".join(notes)


# --- HTML instead of a feed --------------------------------------------------------------------


def _looks_like_html(body: bytes, content_type: str) -> bool:
    if content_type.split(";", 1)[0].strip().lower() in ("text/html", "application/xhtml+xml"):
        return True
    head = body[:2048].lower()
    return b"<html" in head or b"<!doctype html" in head or b"<body" in head or b"<head" in head


class _LinkFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        a = {k.lower(): (v or "") for k, v in attrs}
        rels = a.get("rel", "").lower().split()
        if "alternate" in rels and a.get("href") and a.get("type", "").lower().split(";")[0].strip() in _FEED_TYPES:
            self.found.append((a["href"], a.get("type", "")))


def discover_feed_links(body: bytes, base_url: str) -> list[str]:
    """Feed URLs an HTML page advertises with ``<link rel="alternate" type="application/rss+xml" ...>``.

    Resolved against ``base_url`` (and a ``<base href>`` is not honoured: rare on such pages).
    """
    finder = _LinkFinder()
    try:
        finder.feed(body[:512 * 1024].decode("utf-8", errors="replace"))
        finder.close()
    except Exception:  # HTMLParser is lenient, but a page is untrusted input
        pass
    out: list[str] = []
    for href, _ in finder.found:
        url = urljoin(base_url, href.strip())
        if urlsplit(url).scheme in ("http", "https") and url not in out:
            out.append(url)
    return out


# --- entry fields --------------------------------------------------------------------------------


def _richest_content(e: Any) -> tuple[str, ContentType, str | None]:
    """The longest of the entry's content blocks and its summary, with its type."""
    candidates: list[tuple[str, str]] = []
    for c in e.get("content") or []:
        if c.get("value"):
            candidates.append((c["value"], c.get("type", "")))
    summary = e.get("summary")
    if summary:
        detail = e.get("summary_detail") or {}
        candidates.append((summary, detail.get("type", "")))
    if not candidates:
        return "", "text/plain", None
    value, declared = max(candidates, key=lambda vt: len(vt[0]))
    # Atom type="text" is plain even when it shows "<b>"; feedparser labels every RSS description
    # text/html, so for the rest the markup decides (a plain sentence is reported as text/plain).
    ctype: ContentType = "text/plain"
    if declared.lower() != "text/plain" and _MARKUP.search(value):
        ctype = "text/html"
    return value, ctype, (summary if summary and summary != value else None)


def _entry_link(e: Any, base: str) -> str | None:
    """The entry's web link; feedparser may put a ``tag:`` id there when the only alternate is a PDF."""
    alternates = [lk.get("href") for lk in e.get("links") or [] if lk.get("rel", "alternate") == "alternate"]
    for candidate in [e.get("link"), *alternates]:
        if url := _link(candidate, base):
            return url
    return None


def _link(link: Any, base: str) -> str | None:
    link = _text(link)
    if not link:
        return None
    url = urljoin(base, link) if not urlsplit(link).scheme else link
    return url if urlsplit(url).scheme in ("http", "https") else None


def _date(parsed: Any, now: datetime) -> datetime | None:
    if not parsed:
        return None
    try:
        d = datetime.fromtimestamp(timegm(parsed), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return _sane(d, now)


def _sane(d: datetime | None, now: datetime) -> datetime | None:
    if d is None or d < MIN_DATE or d > now + MAX_FUTURE:
        return None
    return d


def _entry_language(e: Any) -> str | None:
    for key in ("content", "summary_detail", "title_detail"):
        v = e.get(key)
        detail = v[0] if isinstance(v, list) and v else v
        if isinstance(detail, dict) and detail.get("language"):
            return _text(detail["language"])
    return None


def _ttl(v: Any) -> float | None:
    try:
        minutes = float(v)
    except (TypeError, ValueError):
        return None
    return minutes * 60 if minutes > 0 else None


def _text(v: Any) -> str | None:
    if isinstance(v, str):
        v = v.strip()
        return v or None
    return None
