"""The whole ingest, orchestrated, against a plain loop doing the same work on the same bodies.

    .venv/bin/python bench/ingest_bench.py overhead --feeds 200           # flow vs plain loop, no latency
    .venv/bin/python bench/ingest_bench.py scale --feeds 1000 --latency-ms 100   # cold and warm (304) runs
    .venv/bin/python bench/ingest_bench.py scale --feeds 10000 --latency-ms 100  # memory flat? time linear?

Feeds are served from 127.0.0.x addresses by bench/fetch_bench.py's asyncio server (keep-alive,
gzip, ETags, optional latency) running in its own process, so neither its CPU nor its memory is
counted as the flow's; 20 items each of 2-6 KB from bench/corpus.py (250 distinct feed bodies,
reused round-robin, so any --feeds holds only those 250 in memory). The plain loop: for each feed,
httpx GET, parse_feed, the cleaning pipeline on every entry, one store write; one thread, no
Prefect. The flow: the ingest flow as `feedscrub run` runs it (ingest_parallel, chunks in one
process per core, when there is more than one shard). Each run writes a fresh SQLite store.
Peak RSS: this process (the flow's own) and the largest worker process of the flow, sampled from
/proc while the runs go.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import article
from fetch_bench import FeedServer
from machine import reference_cpu_s


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


def _serve(latency_s: float, hosts: list[str], conn: Any) -> None:
    """The feed server's process: its own copy of the bodies, one listener per loopback address."""
    server = FeedServer(feed_bodies(), latency_s)

    async def start() -> None:
        ports = []
        for h in hosts:
            srv = await asyncio.start_server(server.handle, h, 0, limit=1 << 20)
            ports.append(srv.sockets[0].getsockname()[1])
        conn.send(ports)
        await asyncio.Event().wait()

    asyncio.run(start())


class Served:
    """The feed server in a child process, on `hosts` loopback addresses."""

    def __init__(self, latency_s: float, hosts: int) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self.hosts = [f"127.0.0.{2 + h}" for h in range(hosts)]
        mine, theirs = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(latency_s, self.hosts, theirs), daemon=True)
        self.process.start()
        if not mine.poll(120):
            raise RuntimeError("the feed server did not start")
        self.ports: list[int] = mine.recv()

    def urls(self, n: int) -> list[str]:
        return [f"http://{self.hosts[i % len(self.hosts)]}:{self.ports[i % len(self.hosts)]}/f/{i}" for i in range(n)]

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)


class PeakRss:
    """Peak RSS (VmHWM) of this process and of its largest worker (a multiprocessing child other
    than the feed server), sampled every 0.2 s while running."""

    def __init__(self, exclude: set[int]) -> None:
        self.exclude = exclude
        self.child_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    @staticmethod
    def _hwm_mb(pid: int | str) -> float:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def _watch(self) -> None:
        me = str(os.getpid())
        while not self._stop.wait(0.2):
            for d in Path("/proc").iterdir():
                if not d.name.isdigit() or int(d.name) in self.exclude:
                    continue
                try:
                    if (d / "stat").read_text().rsplit(")", 1)[1].split()[1] != me:
                        continue
                    if b"multiprocessing" not in (d / "cmdline").read_bytes():
                        continue
                except OSError:
                    continue
                self.child_mb = max(self.child_mb, self._hwm_mb(d.name))

    @property
    def own_mb(self) -> float:
        return self._hwm_mb("self")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)


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


def flow_run(feed_list: Path, store: str) -> tuple[float, float, float, Any]:
    """(wall s, CPU s of this process, CPU s of finished children, summary) of one flow run."""
    from feedscrub.flows.ingest import ingest, ingest_parallel

    from feedscrub.config import load_feeds, load_settings

    settings = load_settings()
    n = len(load_feeds([str(feed_list)], settings))
    flow = ingest_parallel if n > settings.prefect.chunk_feeds else ingest
    own0, kids0 = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    summary = flow(feeds=[str(feed_list)], store=store)
    wall = time.perf_counter() - t0
    return wall, _cpu(resource.RUSAGE_SELF) - own0, _cpu(resource.RUSAGE_CHILDREN) - kids0, summary


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def table(rows: list[tuple[str, str, str]]) -> None:
    w = max(len(r[0]) for r in rows)
    v = max(len(r[1]) for r in rows)
    print(f"{'measure':<{w}}  {'result':>{v}}  target")
    for name, value, target in rows:
        print(f"{name:<{w}}  {value:>{v}}  {target}")


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
    served = Served(args.latency_ms / 1000, args.hosts)
    peak = PeakRss(exclude={served.process.pid or 0})
    try:
        urls = served.urls(args.feeds)
        feed_list = write_feed_list(urls, tmp / "feeds.yaml")
        del urls
        figures: dict[str, object] = {"mode": args.mode, "feeds": args.feeds, "items": 20 * args.feeds,
                                      "latency_ms": args.latency_ms, "cores": os.cpu_count(),
                                      "load_avg_1m_at_start": round(os.getloadavg()[0], 2),
                                      "reference_cpu_s": reference_cpu_s(),
                                      "prefect_start_s": round(warm_up_prefect(tmp), 1)}
        if args.mode == "overhead":
            loop_wall, loop_cpu, n = plain_loop(served.urls(args.feeds), f"sqlite:///{tmp / 'loop.db'}")
            flow_wall, own_cpu, kids_cpu, summary = flow_run(feed_list, f"sqlite:///{tmp / 'flow.db'}")
            figures.update(loop_wall_s=round(loop_wall, 2), loop_cpu_s=round(loop_cpu, 2), articles=n,
                           flow_wall_s=round(flow_wall, 2), flow_process_cpu_s=round(own_cpu, 2),
                           worker_cpu_s=round(kids_cpu, 2), flow_new=summary.new,
                           ratio=round(flow_wall / loop_wall, 3), peak_rss_flow_mb=round(peak.own_mb),
                           peak_rss_largest_child_mb=round(peak.child_mb))
            table([("plain loop (wall)", f"{loop_wall:.2f} s", f"{loop_cpu:.2f} s CPU, {n} articles"),
                   ("flow (wall)", f"{flow_wall:.2f} s", f"{summary.new} new"),
                   ("flow / plain loop", f"{flow_wall / loop_wall:.2f}x", "<= 1.3x"),
                   ("CPU: flow process / workers", f"{own_cpu:.1f} s / {kids_cpu:.1f} s", ""),
                   ("peak RSS: flow process / largest child", f"{peak.own_mb:.0f} MB / {peak.child_mb:.0f} MB", "")])
        else:
            store = f"sqlite:///{tmp / 'scale.db'}"
            cold, cold_own, cold_kids, s1 = flow_run(feed_list, store)
            warm, warm_own, _, s2 = flow_run(feed_list, store)
            own_mb, child_mb = peak.own_mb, peak.child_mb
            cpu = parse_clean_cpu(feed_bodies(), args.feeds)  # after the runs: its memory is not the flow's
            not_modified = sum(f.status == "not_modified" for f in s2.feeds)
            figures.update(single_core_parse_clean_cpu_s=round(cpu, 1), cold_wall_s=round(cold, 1),
                           cold_over_cpu=round(cold / cpu, 3), warm_wall_s=round(warm, 2),
                           warm_over_target=round(warm / 5.0, 3),
                           cold_flow_process_cpu_s=round(cold_own, 1), cold_worker_cpu_s=round(cold_kids, 1),
                           warm_flow_process_cpu_s=round(warm_own, 2),
                           cold_new=s1.new, cold_duplicates=sum(f.duplicates for f in s1.feeds),
                           warm_not_modified=not_modified,
                           warm_not_due=sum(f.status == "not_due" for f in s2.feeds),
                           failed=s1.feeds_failed + s2.feeds_failed,
                           peak_rss_flow_mb=round(own_mb), peak_rss_largest_child_mb=round(child_mb))
            table([("parse + clean, one core, plain loop (CPU)", f"{cpu:.1f} s", ""),
                   ("cold run, flow (wall)", f"{cold:.1f} s", ""),
                   ("cold / single-core parse+clean", f"{cold / cpu:.2f}x", "<= 1.0x"),
                   ("cold CPU: flow process / workers", f"{cold_own:.1f} s / {cold_kids:.1f} s", ""),
                   ("warm run, all 304 (wall)", f"{warm:.2f} s", f"<= 5 s ({not_modified} not modified)"),
                   ("peak RSS: flow process / largest child", f"{own_mb:.0f} MB / {child_mb:.0f} MB",
                    "bounded by concurrency")])
        print("figures:", json.dumps(figures))
    finally:
        peak.stop()
        served.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
