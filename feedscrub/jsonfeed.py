"""Reading JSON feeds, which feedparser 6 does not: JSON Feed 1.0 / 1.1 and Dave Winer's RSS-in-JSON.

``read_json_feed`` turns the bytes into a ``JsonFeed`` of plain ``JsonItem`` values; ``feedscrub.parse``
maps those onto ``RawEntry`` like any other feed. A document cut off mid-way (a partial download, a
server error) keeps every item that arrived complete, with a warning. This module knows nothing of
HTTP or of entry identity.

JSON Feed: https://www.jsonfeed.org/version/1.1/ (1.0 had ``author``, 1.1 has ``authors`` and
``language``; both are read).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = ["JsonFeed", "JsonItem", "looks_like_json", "read_json_feed"]


@dataclass(slots=True)
class JsonItem:
    id: str | None
    url: str | None
    title: str | None
    author: str | None
    content_html: str | None
    content_text: str | None
    summary: str | None
    published: datetime | None
    updated: datetime | None
    language: str | None


@dataclass(slots=True)
class JsonFeed:
    version: str | None  # "json1", "json11", "rss-in-json" or None when unknown
    title: str | None
    home_page_url: str | None
    language: str | None
    items: list[JsonItem]
    warnings: list[str] = field(default_factory=list)


def looks_like_json(body: bytes, content_type: str = "") -> bool:
    """True for a body whose first non-blank character is ``{``, or a JSON media type on a body
    that does not start with ``<`` (servers label feeds wrongly in both directions)."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return True
    if head.startswith(b"<"):
        return False
    return content_type.split(";", 1)[0].strip().lower().endswith("json")


def read_json_feed(body: bytes) -> JsonFeed:
    """Read a JSON Feed (or RSS-in-JSON). Never raises; unreadable input gives 0 items and a warning."""
    text = body.decode("utf-8-sig", errors="replace")
    warnings: list[str] = []
    try:
        doc: Any = json.loads(text, strict=False)
    except json.JSONDecodeError as exc:
        doc = None
        warnings.append(f"json_truncated: not valid JSON ({exc.msg} at char {exc.pos}); kept the complete items")
    if doc is None:
        return _salvage(text, warnings)
    if not isinstance(doc, dict):
        return JsonFeed(None, None, None, None, [], [*warnings, "json_not_a_feed: top level is not an object"])
    if isinstance(doc.get("rss"), dict):
        return _rss_in_json(doc["rss"], warnings)
    return _json_feed(doc, warnings)


# --- JSON Feed ---------------------------------------------------------------------------------


def _json_feed(doc: dict[str, Any], warnings: list[str]) -> JsonFeed:
    version = _str(doc.get("version"))
    if version is None:
        warnings.append("json_no_version: no 'version' key; read as JSON Feed")
    elif _short_version(version) == "json":
        warnings.append(f"json_unknown_version: {version!r}")
    raw_items = doc.get("items")
    if not isinstance(raw_items, list):
        warnings.append("json_no_items: no 'items' list")
        raw_items = []
    items = [_json_item(it) for it in raw_items if isinstance(it, dict)]
    return JsonFeed(
        version=_short_version(version),
        title=_str(doc.get("title")),
        home_page_url=_str(doc.get("home_page_url")),
        language=_str(doc.get("language")),
        items=items,
        warnings=warnings,
    )


def _short_version(version: str | None) -> str | None:
    if version is None:
        return None
    tail = version.rstrip("/").rsplit("/", 1)[-1]
    if tail == "1.1":
        return "json11"
    if tail in ("1", "1.0"):
        return "json1"
    return "json"


def _json_item(it: dict[str, Any]) -> JsonItem:
    return JsonItem(
        id=_str(it.get("id")) if not isinstance(it.get("id"), int | float) else str(it["id"]),
        url=_str(it.get("url")) or _str(it.get("external_url")),
        title=_str(it.get("title")),
        author=_author(it),
        content_html=_str(it.get("content_html")),
        content_text=_str(it.get("content_text")),
        summary=_str(it.get("summary")),
        published=_date(it.get("date_published")),
        updated=_date(it.get("date_modified")),
        language=_str(it.get("language")),
    )


def _author(it: dict[str, Any]) -> str | None:
    authors = it.get("authors")
    if isinstance(authors, list):
        names = [_str(a.get("name")) for a in authors if isinstance(a, dict)]
        joined = ", ".join(n for n in names if n)
        if joined:
            return joined
    author = it.get("author")
    if isinstance(author, dict):
        return _str(author.get("name"))
    return _str(author)


_ITEMS_KEY = re.compile(r'(?<!\\)"items"\s*:\s*\[')


def _salvage(text: str, warnings: list[str]) -> JsonFeed:
    """Keep the complete items of a JSON Feed that was cut off."""
    match = _ITEMS_KEY.search(text)
    if match is None:
        return JsonFeed(None, None, None, None, [], [*warnings, "json_no_items: no complete 'items' found"])
    header: dict[str, Any] = {}
    try:  # the keys before "items" usually hold title and language
        head = json.loads(text[: match.start()].rstrip().rstrip(",") + "}")
        header = head if isinstance(head, dict) else {}
    except json.JSONDecodeError:
        pass
    decoder = json.JSONDecoder(strict=False)
    items: list[JsonItem] = []
    pos = match.end()
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            break
        try:
            obj, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            break  # the cut-off item
        if isinstance(obj, dict):
            items.append(_json_item(obj))
    version = _str(header.get("version"))
    return JsonFeed(
        version=_short_version(version),
        title=_str(header.get("title")),
        home_page_url=_str(header.get("home_page_url")),
        language=_str(header.get("language")),
        items=items,
        warnings=warnings,
    )


# --- RSS in JSON -------------------------------------------------------------------------------


def _rss_in_json(rss: dict[str, Any], warnings: list[str]) -> JsonFeed:
    channel: dict[str, Any] = rss["channel"] if isinstance(rss.get("channel"), dict) else {}
    raw = channel.get("item", [])
    raw = raw if isinstance(raw, list) else [raw]
    items = []
    for it in raw:
        if not isinstance(it, dict):
            continue
        guid = it.get("guid")
        if isinstance(guid, dict):
            guid = guid.get("#value") or guid.get("value")
        date = _date(it.get("pubDate"))
        items.append(
            JsonItem(
                id=_str(guid),
                url=_str(it.get("link")),
                title=_str(it.get("title")),
                author=_str(it.get("author")),
                content_html=_str(it.get("description")),
                content_text=None,
                summary=None,
                published=date,
                updated=None,
                language=None,
            )
        )
    warnings.append("rss_in_json: RSS 2.0 serialised as JSON (not a JSON Feed)")
    return JsonFeed("rss-in-json", _str(channel.get("title")), _str(channel.get("link")),
                    _str(channel.get("language")), items, warnings)


# --- values ------------------------------------------------------------------------------------


def _str(v: Any) -> str | None:
    if isinstance(v, str):
        v = v.strip()
        return v or None
    return None


def _date(v: Any) -> datetime | None:
    """An RFC 3339 date (JSON Feed) or an RFC 822 date (RSS-in-JSON), as aware UTC; None if unreadable."""
    if not isinstance(v, str) or not v.strip():
        return None
    s = v.strip()
    try:
        d = datetime.fromisoformat(s)
    except ValueError:
        try:
            d = parsedate_to_datetime(s)
        except (TypeError, ValueError, IndexError):
            return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return d.astimezone(UTC)
