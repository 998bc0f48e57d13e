"""Cleaning speed and memory against the naive baseline, measured in the same run.

    .venv/bin/python bench/clean_bench.py                 # 1,000 articles, plus the memory check
    .venv/bin/python bench/clean_bench.py --n 300 --no-memory

Baseline: ``ftfy.fix_text`` plus ``langdetect.detect`` over the whole text of each article, the
naive way to do the two expensive things the pipeline does. The pipeline: every cleaning step,
language detection included, as ``feedscrub clean`` runs it. Both on the same articles from
``bench/corpus.py`` (1-10 KB, plain and HTML, some boilerplate, some machine-translated, some
Spanish), one process, so articles/s is per core. Targets: pipeline <= 0.5x baseline, >= 100
articles/s, memory ratio <= 1.2.

The machine is shared, so the two are timed in alternating batches of ``--batch`` articles
(baseline then pipeline, then the other way round), and the ratio is taken on the process's CPU
time (wall time is printed too): a burst of load from another process then lands on both, not
on whichever happened to run during it. One-time start-up (langdetect's 55 profiles, wordfreq's
lists, compiled rule packs) is done before timing, for both, and reported on its own line.

Per step: the pipeline's steps are timed in the same pass (ms per article, CPU), ``finish``
being language/flags/title. Memory: peak RSS of a 10,000-article run over a 1,000-article run,
each in a fresh process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import Article, articles
from machine import reference_cpu_s


def make_pipeline():  # type: ignore[no-untyped-def]
    from feedscrub.config import build_pipeline, load_settings

    return build_pipeline(load_settings())


class _TimedStep:
    """A pipeline step with a CPU-time meter around it."""

    def __init__(self, step: Any, totals: Counter[str]) -> None:
        self.step, self.name, self.totals = step, step.name, totals

    def __call__(self, text: str, ctx: Any) -> Any:
        t0 = time.process_time()
        try:
            return self.step(text, ctx)
        finally:
            self.totals[self.name] += time.process_time() - t0


def timed_pipeline(totals: Counter[str]):  # type: ignore[no-untyped-def]
    pipeline = make_pipeline()
    pipeline.steps = [_TimedStep(s, totals) for s in pipeline.steps]
    finish = pipeline.finish

    def timed_finish(ctx: Any, text: str) -> Any:
        t0 = time.process_time()
        try:
            return finish(ctx, text)
        finally:
            totals["finish"] += time.process_time() - t0

    pipeline.finish = timed_finish
    return pipeline


def compare(items: list[Article], batch: int) -> dict[str, Any]:
    """Baseline and pipeline over the same items, in alternating batches; CPU and wall seconds."""
    import ftfy
    from feedscrub.cleaners import language
    from feedscrub.cleaners.pipeline import Document
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    t0 = time.perf_counter()
    DetectorFactory.seed = 0
    with contextlib.suppress(LangDetectException):
        detect(items[0].content)  # loads langdetect's profiles
    baseline_startup = time.perf_counter() - t0

    totals: Counter[str] = Counter()
    t0 = time.perf_counter()
    pipeline = timed_pipeline(totals)
    first = items[0]
    pipeline.clean(Document(first.content, first.content_type, first.title))  # type: ignore[arg-type]
    language._factory(pipeline.settings.language_seed)  # the pipeline's own langdetect profiles
    pipeline_startup = time.perf_counter() - t0
    totals.clear()

    def run_baseline(chunk: list[Article]) -> tuple[float, float]:
        c0, w0 = time.process_time(), time.perf_counter()
        for a in chunk:
            text = ftfy.fix_text(a.content)
            with contextlib.suppress(LangDetectException):
                detect(text)
        return time.process_time() - c0, time.perf_counter() - w0

    edits = 0

    def run_pipeline(chunk: list[Article]) -> tuple[float, float]:
        nonlocal edits
        c0, w0 = time.process_time(), time.perf_counter()
        for a in chunk:
            r = pipeline.clean(Document(a.content, a.content_type, a.title, "en"))  # type: ignore[arg-type]
            edits += len(r.edits)
        return time.process_time() - c0, time.perf_counter() - w0

    base = [0.0, 0.0]
    pipe = [0.0, 0.0]
    for k in range(0, len(items), batch):
        chunk = items[k : k + batch]
        order = (run_baseline, run_pipeline) if (k // batch) % 2 == 0 else (run_pipeline, run_baseline)
        for fn in order:
            cpu, wall = fn(chunk)
            acc = base if fn is run_baseline else pipe
            acc[0] += cpu
            acc[1] += wall
    return {"base_cpu": base[0], "base_wall": base[1], "pipe_cpu": pipe[0], "pipe_wall": pipe[1],
            "edits": edits, "steps": dict(totals), "baseline_startup": baseline_startup,
            "pipeline_startup": pipeline_startup}


def time_trafilatura(items: list[Article]) -> float | None:
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
    ap.add_argument("--batch", type=int, default=50, help="articles per alternating batch")
    ap.add_argument("--no-memory", action="store_true")
    args = ap.parse_args()
    items = articles(args.n)
    n = len(items)
    kb = sum(len(a.content) for a in items) / n / 1024
    r = compare(items, args.batch)
    traf = time_trafilatura(items)
    base, pipe = r["base_cpu"], r["pipe_cpu"]
    steps = sorted(r["steps"].items(), key=lambda kv: -kv[1])
    rows = [
        ("articles", f"{n} (mean {kb:.1f} KB, {sum(a.content_type == 'text/html' for a in items)} HTML)"),
        ("start-up, once per process", f"baseline {r['baseline_startup']:.2f} s, pipeline {r['pipeline_startup']:.2f} s (not in the figures below)"),
        ("baseline ftfy+langdetect", f"{base:.2f} s CPU ({1000 * base / n:.1f} ms/article; wall {r['base_wall']:.2f} s)"),
        ("pipeline", f"{pipe:.2f} s CPU ({1000 * pipe / n:.1f} ms/article, {n / pipe:.0f} articles/s, {r['edits']} edits; wall {r['pipe_wall']:.2f} s)"),
        ("pipeline / baseline", f"{pipe / base:.2f}x CPU, {r['pipe_wall'] / r['base_wall']:.2f}x wall  (target <= 0.5x)"),
        ("per step, ms/article (CPU)", ", ".join(f"{k} {1000 * v / n:.2f}" for k, v in steps)),
    ]
    if traf is not None:
        rows.append(("trafilatura.extract per HTML article", f"{1000 * traf:.1f} ms; pipeline/trafilatura {r['pipe_wall'] / n / traf:.2f}x"))
    figures: dict[str, Any] = {
        "n": n, "reference_cpu_s": reference_cpu_s(), "baseline_s": round(base, 3), "pipeline_s": round(pipe, 3), "ratio": round(pipe / base, 3),
        "ratio_wall": round(r["pipe_wall"] / r["base_wall"], 3), "articles_per_s": round(n / pipe, 1),
        "steps_ms": {k: round(1000 * v / n, 3) for k, v in steps},
    }
    if not args.no_memory:
        small, big = peak_rss_mb(1000), peak_rss_mb(10000)
        rows.append(("peak RSS 1,000 / 10,000 articles", f"{small:.0f} MB / {big:.0f} MB = {big / small:.2f}x (target <= 1.2x)"))
        figures.update(rss_1k_mb=round(small), rss_10k_mb=round(big), rss_ratio=round(big / small, 3))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    print("figures:", json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
