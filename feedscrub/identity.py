"""Stable ids for feed entries, so the same article keeps the same id from run to run.

An id is ``sha256(feed_url + "\\n" + key)`` in hex, 32 characters, where ``key`` is, in order of
preference: the entry's guid (when it is trustworthy), its canonical link (tracking parameters and
fragment removed), or a hash of title + date + content. Prefixing with the feed URL keeps ids unique
across feeds that share guids (syndicated copies, "1", "2", ...).

A guid is not trusted when the feed repeats it (some CMSs give every item the same guid, or the
channel URL): ``assign_entry_ids`` detects that within one document and falls back for those
entries, so a feed never collapses into one article. This module does not fetch or parse.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["EntryKey", "assign_entry_ids", "canonical_url", "entry_id"]

# Query parameters that identify a campaign or a click, never the article.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi",
    "_ga", "_gl", "ocid", "cmpid", "cmp", "ito", "smid", "smtyp", "soc_src", "soc_trk", "at_medium",
    "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4", "ns_mchannel", "ns_source",
    "ns_campaign", "ns_linkname", "ns_fee", "wt.mc_id", "wt_mc_id", "icid", "rss", "feedtype",
    "spm", "share", "sr_share",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "__twitter", "hsa_")


def canonical_url(url: str) -> str:
    """``url`` with scheme and host lower-cased, default port, fragment and tracking parameters dropped.

    The remaining query parameters are sorted, so ``?b=2&a=1`` and ``?a=1&b=2`` give the same key.
    Meant for identity, not for display: store the link as published.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(sorted(query)), ""))


def _digest(feed_url: str, key: str) -> str:
    return hashlib.sha256(f"{feed_url}\n{key}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _content_key(title: str | None, published: datetime | None, content: str | None) -> str:
    blob = "\x1f".join([title or "", published.isoformat() if published else "", content or ""])
    return "hash:" + hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


def entry_id(
    feed_url: str,
    guid: str | None,
    link: str | None,
    title: str | None,
    published: datetime | None,
    content: str | None,
) -> str:
    """The id of one entry: from ``guid`` if given, else the canonical ``link``, else a content hash.

    Pass ``guid=None`` (or ``link=None``) for a value you do not trust; ``assign_entry_ids`` does this
    for guids and links that repeat within a feed.
    """
    if guid and guid.strip():
        return _digest(feed_url, "guid:" + guid.strip())
    if link and link.strip():
        return _digest(feed_url, "link:" + canonical_url(link))
    return _digest(feed_url, _content_key(title, published, content))


@dataclass(slots=True, frozen=True)
class EntryKey:
    """What ``assign_entry_ids`` needs of one entry."""

    guid: str | None
    link: str | None
    title: str | None
    published: datetime | None
    content: str | None


def assign_entry_ids(feed_url: str, entries: Sequence[EntryKey]) -> list[str]:
    """Ids for all entries of one feed document, in order, not trusting repeated guids or links.

    Two entries that are the same in every field still get the same id (a feed listing an item
    twice is one article).
    """
    guids = Counter(e.guid.strip() for e in entries if e.guid and e.guid.strip())
    links = Counter(canonical_url(e.link) for e in entries if e.link and e.link.strip())
    ids = []
    for e in entries:
        guid = e.guid if e.guid and guids[e.guid.strip()] == 1 else None
        link = e.link if e.link and e.link.strip() and links[canonical_url(e.link)] == 1 else None
        ids.append(entry_id(feed_url, guid, link, e.title, e.published, e.content))
    return ids
