"""Fetch and parse throughput: many feeds served from loopback, fetched by ``Fetcher.fetch_all``.

    .venv/bin/python bench/fetch_bench.py                       # 2,000 feeds on 20 hosts
    .venv/bin/python bench/fetch_bench.py --feeds 5000 --hosts 50 --concurrency 100 --latency-ms 50

A small asyncio HTTP/1.1 server (keep-alive, gzip when asked) serves the files of
``../shared/realfeeds`` in turn under ``/f/<n>``, listening on 127.0.0.1 with the feeds spread over
``--hosts`` loopback addresses (127.0.0.2, 127.0.0.3, ...) so per-host limits apply as on the
internet. ``--latency-ms`` delays each answer to imitate a remote server. Three passes are timed:
a cold fetch of every feed, parsing what came back (``parse_feed``, on this one core), and a second
fetch with the saved states (every answer a 304). Everything stays on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from feedscrub.fetch import Fetcher
from feedscrub.health import next_state
from feedscrub.models import FeedState, FetchResult
from feedscrub.parse import parse_feed
from feedscrub.settings import FeedSpec, FetchSettings

REALFEEDS = Path(__file__).resolve().parents[1] / ".." / "shared" / "realfeeds"


class FeedServer:
    """Serves ``bodies[n % len(bodies)]`` at ``/f/<n>`` with an ETag; answers If-None-Match with 304."""

    def __init__(self, bodies: list[bytes], latency_s: float) -> None:
        self.bodies = bodies
        self.zipped = [gzip.compress(b, 6) for b in bodies]
        self.etags = [f'"{i}-{len(b)}"' for i, b in enumerate(bodies)]
        self.latency_s = latency_s
        self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
                self.requests += 1
                i = int(path.rsplit("/", 1)[-1]) % len(self.bodies)
                if self.latency_s:
                    await asyncio.sleep(self.latency_s)
                if headers.get("if-none-match") == self.etags[i]:
                    writer.write(f"HTTP/1.1 304 Not Modified\r\nETag: {self.etags[i]}\r\n\r\n".encode())
                else:
                    gz = "gzip" in headers.get("accept-encoding", "")
                    body = self.zipped[i] if gz else self.bodies[i]
                    extra = "Content-Encoding: gzip\r\n" if gz else ""
                    writer.write(
                        f"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nETag: {self.etags[i]}\r\n"
                        f"{extra}Content-Length: {len(body)}\r\n\r\n".encode() + body
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def fetch_pass(settings: FetchSettings, feeds: list[FeedSpec],
                     states: dict[str, FeedState]) -> tuple[float, dict[str, FetchResult]]:
    started = time.perf_counter()
    async with Fetcher(settings) as fetcher:
        results = {feed.url: r async for feed, r in fetcher.fetch_all(feeds, states)}
    return time.perf_counter() - started, results


async def main(args: argparse.Namespace) -> None:
    manifest = [json.loads(line) for line in (REALFEEDS / "MANIFEST.jsonl").read_text().splitlines() if line]
    bodies = [(REALFEEDS / m["file"]).read_bytes() for m in manifest]
    server = FeedServer(bodies, args.latency_ms / 1000)
    hosts = [f"127.0.0.{2 + h}" for h in range(args.hosts)]
    servers = [await asyncio.start_server(server.handle, host, 0, limit=1 << 20) for host in hosts]
    ports = [s.sockets[0].getsockname()[1] for s in servers]
    feeds = [FeedSpec(url=f"http://{hosts[n % args.hosts]}:{ports[n % args.hosts]}/f/{n}") for n in range(args.feeds)]
    settings = FetchSettings(concurrency=args.concurrency, per_host_concurrency=args.per_host)

    cold_s, first = await fetch_pass(settings, feeds, {})
    failed = [r for r in first.values() if not r.ok]
    mb = sum(len(r.body or b"") for r in first.values()) / 1e6

    started = time.perf_counter()
    parsed = {f.url: parse_feed(first[f.url], f) for f in feeds if first[f.url].ok}
    parse_s = time.perf_counter() - started
    entries = sum(len(p.entries) for p in parsed.values())

    now = datetime.now(UTC)
    states = {f.url: next_state(None, f, first[f.url], parsed.get(f.url), now, settings) for f in feeds}
    warm_s, second = await fetch_pass(settings, feeds, states)
    not_modified = sum(r.not_modified for r in second.values())
    for s in servers:
        s.close()

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"feeds {args.feeds} on {args.hosts} hosts, concurrency {args.concurrency}, per host {args.per_host}, "
          f"latency {args.latency_ms} ms")
    print(f"cold fetch   {cold_s:7.2f} s  {args.feeds / cold_s:8.0f} feeds/s  {mb / cold_s:6.1f} MB/s decoded "
          f"({mb:.0f} MB, {len(failed)} failed)")
    print(f"parse        {parse_s:7.2f} s  {len(parsed) / parse_s:8.0f} feeds/s  {entries / parse_s:6.0f} entries/s")
    print(f"304 refetch  {warm_s:7.2f} s  {args.feeds / warm_s:8.0f} feeds/s  ({not_modified} not modified)")
    print(f"peak RSS     {rss_mb:7.0f} MB   requests served {server.requests}")
    if failed:
        print("first failures:", [(r.final_url, r.error_kind, r.error) for r in failed[:3]], file=sys.stderr)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--feeds", type=int, default=2000)
    p.add_argument("--hosts", type=int, default=20)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--per-host", type=int, default=2)
    p.add_argument("--latency-ms", type=float, default=0.0)
    args = p.parse_args()
    if not (REALFEEDS / "MANIFEST.jsonl").is_file():
        sys.exit(f"needs the shared real-feed corpus at {REALFEEDS}")
    asyncio.run(main(args))
