"""Store throughput: upserts/s into SQLite and PostgreSQL, and a 100,000-article Parquet export.

    .venv/bin/python bench/store_bench.py                 # all of it
    .venv/bin/python bench/store_bench.py --articles 20000 --export 100000 --pg postgresql://postgres@127.0.0.1:5432/test

Writes N realistic ~3 KB articles (unicode text, edits, evidence, raw HTML) in batches of 500,
three passes each: insert (all new), rewrite (all unchanged), update (all changed, revision 2).
PostgreSQL runs in a throwaway schema that is dropped afterwards. Then it stores `--export`
articles in SQLite and times `export_articles(..., "parquet")`, reporting the peak RSS growth.
Figures are recorded in docs/storage.md ("Benchmarks").
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "sinks"))

from feedscrub.sinks import open_sink
from feedscrub.sinks.export import export_articles
from sink_factory import make_article, with_text

from feedscrub.models import Article

BATCH = 500


def batches(n: int, changed: bool = False) -> Iterator[list[Article]]:
    for start in range(0, n, BATCH):
        arts = [make_article(i, size=3000) for i in range(start, min(n, start + BATCH))]
        yield [with_text(a, a.text + " [corrected]") for a in arts] if changed else arts


def write_passes(url: str, n: int, label: str) -> None:
    with open_sink(url) as sink:
        for name, changed in (("insert", False), ("unchanged", False), ("update", True)):
            prepared = list(batches(n, changed))  # build first: time the store, not the factory
            t0 = time.perf_counter()
            for batch in prepared:
                sink.write_articles(batch)
            dt = time.perf_counter() - t0
            print(
                f"{label:10s} {name:9s} {n:7d} articles in {dt:6.2f}s = {n / dt:8.0f} upserts/s", flush=True
            )
        assert sink.count_articles() == n


def rss_mb() -> float:
    """Peak RSS of this process in MiB (VmHWM: unlike ru_maxrss it is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export_only(url: str, fmt: str, out: str) -> None:
    with open_sink(url) as sink:
        n = sink.count_articles()
        before = rss_mb()
        t0 = time.perf_counter()
        files = export_articles(sink, fmt, out)
        dt = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in files) / 2**20
    print(
        f"export {fmt:8s} {n:7d} articles in {dt:6.2f}s ({len(files)} files, {size:.0f} MiB); "
        f"peak RSS {before:.0f} MiB before, {rss_mb():.0f} MiB after",
        flush=True,
    )


def main() -> None:
    if sys.argv[1:2] == ["--export-only"]:
        export_only(*sys.argv[2:5])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=20_000)
    ap.add_argument("--export", type=int, default=100_000)
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test", help="'' to skip PostgreSQL")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="feedscrub-bench-"))
    try:
        write_passes(f"sqlite:///{tmp}/bench.db", args.articles, "sqlite")
        if args.pg:
            import psycopg

            schema = f"fs_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
            try:
                sep = "&" if "?" in args.pg else "?"
                write_passes(
                    f"{args.pg}{sep}options={quote('-csearch_path=' + schema)}", args.articles, "postgres"
                )
            finally:
                with psycopg.connect(args.pg, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")
        if args.export:
            url = f"sqlite:///{tmp}/export.db"
            with open_sink(url) as sink:
                for batch in batches(args.export):
                    sink.write_articles(batch)
            for fmt in ("parquet", "jsonl"):  # a fresh process each, so its peak RSS is the export's own
                subprocess.run(
                    [sys.executable, __file__, "--export-only", url, fmt, str(tmp / f"out-{fmt}")], check=True
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
