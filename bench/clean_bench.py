"""Cleaning speed and memory against the naive baseline, measured in the same run.

    .venv/bin/python bench/clean_bench.py                 # 1,000 articles, plus the memory check
    .venv/bin/python bench/clean_bench.py --n 300 --no-memory

Baseline: ``ftfy.fix_text`` plus ``langdetect.detect`` over the whole text of each article, the
naive way to do the two expensive things the pipeline does. The pipeline: every cleaning step,
language detection included, as ``feedscrub clean`` runs it. Both on the same articles from
``bench/corpus.py`` (1-10 KB, plain and HTML, some boilerplate, some machine-translated, some
Spanish), one process, so articles/s is per core. Memory: peak RSS of a 10,000-article run over a
1,000-article run, each in a fresh process. Targets: pipeline <= 0.5x baseline, >= 100 articles/s,
memory ratio <= 1.2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import articles


def time_baseline(items: list) -> float:
    import ftfy
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    t0 = time.perf_counter()
    for a in items:
        text = ftfy.fix_text(a.content)
        with contextlib.suppress(LangDetectException):
            detect(text)
    return time.perf_counter() - t0


def make_pipeline():  # type: ignore[no-untyped-def]
    from feedscrub.config import build_pipeline, load_settings

    return build_pipeline(load_settings())


def time_pipeline(items: list) -> tuple[float, int]:
    from feedscrub.cleaners.pipeline import Document

    pipeline = make_pipeline()
    pipeline.clean(Document(items[0].content, items[0].content_type, items[0].title))  # warm caches
    edits = 0
    t0 = time.perf_counter()
    for a in items:
        r = pipeline.clean(Document(a.content, a.content_type, a.title, "en"))  # type: ignore[arg-type]
        edits += len(r.edits)
    return time.perf_counter() - t0, edits


def time_trafilatura(items: list) -> float | None:
    try:
        import trafilatura
    except ImportError:
        return None
    html = [a for a in items if a.content_type == "text/html"]
    t0 = time.perf_counter()
    for a in html:
        trafilatura.extract(f"<html><body><article>{a.content}</article></body></html>")
    return (time.perf_counter() - t0) / max(1, len(html))


def peak_rss_mb(n: int) -> float:
    """Clean n articles in a fresh process; its peak RSS in MB."""
    code = ("import sys, resource; sys.path.insert(0, 'bench');"
            "from clean_bench import make_pipeline; from corpus import article; import random;"
            "from feedscrub.cleaners.pipeline import Document;"
            "p = make_pipeline(); rng = random.Random(7)\n"
            f"for i in range({n}):\n"
            "    a = article(i, rng); p.clean(Document(a.content, a.content_type, a.title, 'en'))\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--no-memory", action="store_true")
    args = ap.parse_args()
    items = articles(args.n)
    kb = sum(len(a.content) for a in items) / len(items) / 1024
    base = time_baseline(items)
    pipe, edits = time_pipeline(items)
    traf = time_trafilatura(items)
    rows = [
        ("articles", f"{len(items)} (mean {kb:.1f} KB, {sum(a.content_type == 'text/html' for a in items)} HTML)"),
        ("baseline ftfy+langdetect", f"{base:.2f} s  ({1000 * base / len(items):.1f} ms/article)"),
        ("pipeline", f"{pipe:.2f} s  ({1000 * pipe / len(items):.1f} ms/article, {len(items) / pipe:.0f} articles/s, {edits} edits)"),
        ("pipeline / baseline", f"{pipe / base:.2f}x  (target <= 0.5x)"),
    ]
    if traf is not None:
        rows.append(("trafilatura.extract per HTML article", f"{1000 * traf:.1f} ms; pipeline/trafilatura {pipe / len(items) / traf:.2f}x"))
    figures = {"n": len(items), "baseline_s": round(base, 3), "pipeline_s": round(pipe, 3),
               "ratio": round(pipe / base, 3), "articles_per_s": round(len(items) / pipe, 1)}
    if not args.no_memory:
        small, big = peak_rss_mb(1000), peak_rss_mb(10000)
        rows.append(("peak RSS 1,000 / 10,000 articles", f"{small:.0f} MB / {big:.0f} MB = {big / small:.2f}x (target <= 1.2x)"))
        figures.update(rss_1k_mb=round(small), rss_10k_mb=round(big), rss_ratio=round(big / small, 3))
    width = max(len(r[0]) for r in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    print("figures:", json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
