"""The whole ingest, orchestrated, against a plain loop doing the same work on the same bodies.

    .venv/bin/python bench/ingest_bench.py overhead --feeds 200           # flow vs plain loop, no latency
    .venv/bin/python bench/ingest_bench.py scale --feeds 1000 --latency-ms 100   # cold and warm (304) runs

Feeds are served from 127.0.0.1-addresses by bench/fetch_bench.py's asyncio server (keep-alive,
gzip, ETags, optional latency), 20 items each of 2-6 KB from bench/corpus.py (250 distinct
feed bodies, reused round-robin). The plain loop: for each feed, httpx GET, parse_feed, the
cleaning pipeline on every entry, one store write; one thread, no Prefect. The flow: the ingest
flow as `feedscrub run` runs it (ingest_parallel, shards in one process per core, when there is
more than one shard). Each run writes a fresh SQLite store. Peak RSS counts this process and its
largest child.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import article
from fetch_bench import FeedServer


def feed_bodies(distinct: int = 250, items: int = 20, seed: int = 11) -> list[bytes]:
    rng = random.Random(seed)
    bodies = []
    for f in range(distinct):
        entries = []
        for i in range(items):
            a = article(f * items + i, rng, size=rng.randint(2000, 6000))
            html = a.content if a.content_type == "text/html" else "".join(
                f"<p>{escape(p)}</p>" for p in a.content.split("\n\n"))
            entries.append(
                f"<item><title>{escape(a.title)}</title><link>https://site{f}.example/{i}</link>"
                f"<guid>site{f}-{i}</guid><pubDate>Mon, 03 Jun 2024 {i % 24:02d}:00:00 +0000</pubDate>"
                f"<description>{escape(html)}</description></item>")
        bodies.append((f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Site {f}</title>'
                       f"<link>https://site{f}.example/</link>{''.join(entries)}</channel></rss>").encode())
    return bodies


class Served:
    """The feed server on its own event loop thread, on `hosts` loopback addresses."""

    def __init__(self, bodies: list[bytes], latency_s: float, hosts: int) -> None:
        self.server = FeedServer(bodies, latency_s)
        self.loop = asyncio.new_event_loop()
        self.hosts = [f"127.0.0.{2 + h}" for h in range(hosts)]
        ready = threading.Event()
        self.ports: list[int] = []

        def serve() -> None:
            asyncio.set_event_loop(self.loop)

            async def start() -> None:
                for h in self.hosts:
                    srv = await asyncio.start_server(self.server.handle, h, 0, limit=1 << 20)
                    self.ports.append(srv.sockets[0].getsockname()[1])
                ready.set()

            self.loop.run_until_complete(start())
            self.loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        ready.wait(10)

    def urls(self, n: int) -> list[str]:
        return [f"http://{self.hosts[i % len(self.hosts)]}:{self.ports[i % len(self.hosts)]}/f/{i}" for i in range(n)]


def write_feed_list(urls: list[str], path: Path) -> Path:
    path.write_text("feeds:\n" + "".join(f"  - {{url: '{u}', name: feed-{i}}}\n" for i, u in enumerate(urls)),
                    encoding="utf-8")
    return path


def plain_loop(urls: list[str], store: str) -> tuple[float, float, int]:
    """Fetch + parse + clean + store, one feed after another, with the same library calls and store
    settings as a run (sanitised HTML, near-duplicate index), minus the orchestration: no Prefect,
    no async, no threads. Returns (wall s, cpu s, articles)."""
    import httpx
    from feedscrub.cleaners.build import PIPELINE_VERSION
    from feedscrub.cleaners.pipeline import Document
    from feedscrub.sinks import open_sink

    from feedscrub.config import build_pipeline, load_settings
    from feedscrub.ingest import make_article, parse_sanitised
    from feedscrub.models import FetchResult
    from feedscrub.settings import FeedSpec

    settings = load_settings()
    pipeline = build_pipeline(settings)
    n = 0
    w0, c0 = time.perf_counter(), time.process_time()
    with httpx.Client() as client, open_sink(store, near_duplicate_threshold=settings.near_duplicate_threshold,
                                              shingle_words=settings.near_duplicate_shingle_words) as sink:
        for url in urls:
            r = client.get(url)
            feed = FeedSpec(url=url)
            parsed = parse_sanitised(FetchResult(feed_url=url, final_url=url, status=r.status_code, body=r.content,
                                            headers=dict(r.headers)), feed)
            now = datetime.now(UTC)
            arts = [make_article(e, feed, pipeline.clean(Document(e.content, e.content_type, e.title, "en")),
                                 now, PIPELINE_VERSION) for e in parsed.entries]
            sink.write_articles(arts)
            n += len(arts)
    return time.perf_counter() - w0, time.process_time() - c0, n


def parse_clean_cpu(bodies: list[bytes], feeds: int) -> float:
    """Single-core CPU seconds of parse + clean for `feeds` feeds (measured on the distinct bodies)."""
    from feedscrub.cleaners.pipeline import Document

    from feedscrub.config import build_pipeline, load_settings
    from feedscrub.models import FetchResult
    from feedscrub.parse import parse_feed
    from feedscrub.settings import FeedSpec

    pipeline = build_pipeline(load_settings())
    sample = bodies[: min(len(bodies), feeds)]
    c0 = time.process_time()
    for i, body in enumerate(sample):
        url = f"http://127.0.0.1/f/{i}"
        parsed = parse_feed(FetchResult(feed_url=url, final_url=url, status=200, body=body), FeedSpec(url=url))
        for e in parsed.entries:
            pipeline.clean(Document(e.content, e.content_type, e.title, "en"))
    return (time.process_time() - c0) * feeds / len(sample)


def warm_up_prefect(tmp: Path) -> float:
    """Start Prefect's temporary server with an empty run, so timed runs measure orchestration only
    (in production the server is already running)."""
    from feedscrub.flows.ingest import ingest

    empty = tmp / "empty.yaml"
    empty.write_text("feeds: []\n", encoding="utf-8")
    t0 = time.perf_counter()
    ingest(feeds=[str(empty)], store=f"sqlite:///{tmp / 'warmup.db'}")
    return time.perf_counter() - t0


def flow_run(feed_list: Path, store: str) -> tuple[float, object]:
    from feedscrub.flows.ingest import ingest, ingest_parallel

    from feedscrub.config import load_feeds, load_settings

    settings = load_settings()
    n = len(load_feeds([str(feed_list)], settings))
    flow = ingest_parallel if n > settings.prefect.shard_size else ingest
    t0 = time.perf_counter()
    summary = flow(feeds=[str(feed_list)], store=store)
    return time.perf_counter() - t0, summary


def peak_rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["overhead", "scale"])
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--latency-ms", type=float, default=0.0)
    ap.add_argument("--hosts", type=int, default=20)
    args = ap.parse_args()

    from feedscrub.prefect_env import quiet_prefect

    quiet_prefect()
    tmp = Path(tempfile.mkdtemp(prefix="feedscrub-bench-"))
    bodies = feed_bodies()
    served = Served(bodies, args.latency_ms / 1000, args.hosts)
    urls = served.urls(args.feeds)
    feed_list = write_feed_list(urls, tmp / "feeds.yaml")
    figures: dict[str, object] = {"mode": args.mode, "feeds": args.feeds, "items": 20 * args.feeds,
                                  "latency_ms": args.latency_ms, "prefect_start_s": round(warm_up_prefect(tmp), 1)}
    if args.mode == "overhead":
        loop_wall, loop_cpu, n = plain_loop(urls, f"sqlite:///{tmp / 'loop.db'}")
        flow_wall, summary = flow_run(feed_list, f"sqlite:///{tmp / 'flow.db'}")
        figures.update(loop_wall_s=round(loop_wall, 2), loop_cpu_s=round(loop_cpu, 2), articles=n,
                       flow_wall_s=round(flow_wall, 2), flow_new=summary.new,  # type: ignore[attr-defined]
                       ratio=round(flow_wall / loop_wall, 3))
        print(f"plain loop  {loop_wall:8.2f} s wall  {loop_cpu:8.2f} s cpu  {n} articles")
        print(f"flow        {flow_wall:8.2f} s wall  ({summary.new} new)  ratio {flow_wall / loop_wall:.2f}x (target <= 1.3x)")  # type: ignore[attr-defined]
    else:
        cpu = parse_clean_cpu(bodies, args.feeds)
        store = f"sqlite:///{tmp / 'scale.db'}"
        cold, s1 = flow_run(feed_list, store)
        warm, s2 = flow_run(feed_list, store)
        own, child = peak_rss_mb()
        figures.update(single_core_parse_clean_cpu_s=round(cpu, 1), cold_wall_s=round(cold, 1),
                       cold_over_cpu=round(cold / cpu, 3), warm_wall_s=round(warm, 2),
                       cold_new=s1.new, warm_not_modified=sum(f.status == "not_modified" for f in s2.feeds),  # type: ignore[attr-defined]
                       warm_not_due=sum(f.status == "not_due" for f in s2.feeds),  # type: ignore[attr-defined]
                       failed=s1.feeds_failed, peak_rss_mb=round(own), peak_child_rss_mb=round(child))  # type: ignore[attr-defined]
        print(f"parse+clean, one core, plain loop  {cpu:8.1f} s cpu")
        print(f"cold run (flow)                    {cold:8.1f} s wall  = {cold / cpu:.2f}x of that (target <= 1.0x)")
        print(f"warm run (flow, all 304)           {warm:8.2f} s wall  (target <= 5 s)")
        print(f"peak RSS: flow process {own:.0f} MB, largest child {child:.0f} MB")
    print("figures:", json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
