"""The items of one real-feed file, read exactly as an ingest run reads them (``parse_sanitised``:
feedparser or the JSON Feed reader, then nh3), for the do-no-harm benches."""

from __future__ import annotations

from pathlib import Path

from feedscrub.ingest import parse_sanitised
from feedscrub.models import FetchResult
from feedscrub.settings import FeedSpec


def entries(path: Path) -> list[tuple[str, str | None, str]]:
    """(content, title, content_type) for each item with content."""
    url = path.resolve().as_uri()
    content_type = "application/feed+json" if path.suffix == ".json" else "application/xml"
    result = FetchResult(feed_url=url, final_url=url, status=200, body=path.read_bytes(),
                         headers={"content-type": content_type})
    parsed = parse_sanitised(result, FeedSpec(url=url))
    return [(e.content, e.title, e.content_type) for e in parsed.entries if e.content.strip()]
