"""Many small RSS feeds served from 127.0.0.1 with some latency, for the crash and overlap tests.

``FeedFarm(feeds=30, items=8, delay_s=0.15)`` serves ``/feed/<n>.xml``; every item has its own guid
and its own text (so exact-duplicate detection stays out of the way), and ``served()`` lists the
``(feed_url, guid)`` pairs a complete ingest must store. Threaded: slow responses do not queue.
Imported by the test modules with this folder on ``sys.path``.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

_WORDS = [
    "council",
    "budget",
    "river",
    "school",
    "road",
    "harbor",
    "police",
    "hospital",
    "rail",
    "bridge",
    "storm",
    "election",
    "court",
    "market",
    "factory",
    "museum",
    "festival",
    "library",
    "union",
    "contract",
    "tax",
    "housing",
    "water",
    "energy",
    "port",
    "airport",
    "farm",
    "forest",
    "park",
    "clinic",
    "station",
    "tunnel",
    "district",
    "mayor",
    "governor",
    "minister",
    "judge",
    "teacher",
    "nurse",
]


def _paragraph(rng: random.Random, n: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(n)]
    return f"The {' '.join(words)} was reported on Tuesday, officials said."


class FeedFarm:
    """A local HTTP server of ``feeds`` RSS feeds with ``items`` items each; each response waits ``delay_s``."""

    def __init__(self, feeds: int = 30, items: int = 8, delay_s: float = 0.15) -> None:
        self.feeds, self.items, self.delay_s = feeds, items, delay_s
        self.requests = 0
        self._lock = threading.Lock()
        farm = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with farm._lock:
                    farm.requests += 1
                try:
                    n = int(self.path.rsplit("/", 1)[1].split(".")[0])
                except (IndexError, ValueError):
                    self.send_error(404)
                    return
                time.sleep(farm.delay_s)
                body = farm.rss(n).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]  # a killed client's broken pipe
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FeedFarm:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, n: int) -> str:
        return f"{self.base}/feed/{n}.xml"

    def guid(self, n: int, i: int) -> str:
        return f"farm-{n}-{i}"

    def served(self) -> set[tuple[str, str]]:
        return {(self.url(n), self.guid(n, i)) for n in range(self.feeds) for i in range(self.items)}

    def rss(self, n: int) -> str:
        rng = random.Random(n)
        base = datetime(2024, 6, 4, 10, tzinfo=UTC)
        items = []
        for i in range(self.items):
            paras = "".join(f"<p>{_paragraph(rng, 25)} Item {n}-{i}.</p>" for _ in range(3))
            items.append(
                f"<item><title>Story {n}-{i}: {escape(rng.choice(_WORDS))} news</title>"
                f"<link>https://farm{n}.example/story/{i}</link><guid isPermaLink='false'>{self.guid(n, i)}</guid>"
                f"<pubDate>{format_datetime(base - timedelta(hours=i))}</pubDate>"
                f"<description>{escape(paras)}</description></item>"
            )
        return (
            '<?xml version="1.0"?><rss version="2.0"><channel>'
            f"<title>Farm {n}</title><link>https://farm{n}.example/</link>{''.join(items)}</channel></rss>"
        )
