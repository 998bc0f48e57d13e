"""Store throughput: upserts/s into SQLite and PostgreSQL, index off and on; a 100,000-article Parquet export.

    .venv/bin/python bench/store_bench.py                 # all of it
    .venv/bin/python bench/store_bench.py --articles 20000 --export 0 --pg postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/store_bench.py --index on --pg ''     # SQLite, near-duplicate index on only

Writes N realistic ~3 KB articles (news-like English text whose names, numbers and word choices
vary in every sentence, as in real copy; edits, evidence, raw HTML) in batches of 500, three
passes each: insert (all new), rewrite (all unchanged), update (all changed, revision 2). Each
backend is measured with the near-duplicate index off (exact duplicates only) and on (the
default of a run: MinHash LSH, ``near_duplicate_threshold`` 0.4, sinks/neardup.py). With the
index on, one article in twenty is an edited rewrite of an earlier one (another feed, another
id), and the bench checks they were all stored as near-duplicates.

PostgreSQL runs in a throwaway schema that is dropped afterwards. Then it stores `--export`
articles in SQLite and times `export_articles(..., "parquet")`, reporting the peak RSS growth.
The last line, ``figures:``, lists every rate measured. Figures are recorded in docs/storage.md
("Benchmarks").
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "sinks"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from feedscrub.sinks import open_sink
from feedscrub.sinks.export import export_articles
from machine import reference_cpu_s
from sink_factory import make_article, with_text

from feedscrub.models import Article

BATCH = 500
THRESHOLD = 0.4  # Settings().near_duplicate_threshold
REWRITE_EVERY = 20  # with the index on: article i is an edited rewrite of article i - 7 when i % 20 == 19


_FUNCTION = [  # the commonest words of news copy
    "the", "a", "of", "to", "in", "and", "that", "for", "on", "with", "as", "was", "at", "by", "from",
    "said", "it", "has", "will", "be", "its", "after", "their", "more", "than", "about", "this",
    "were", "who", "over", "not", "have", "but", "into", "two", "new", "last",
]
_SYLLABLES = [c + v for c in "bcdfghklmnprstvwz" for v in ("a", "e", "i", "o", "u", "an", "er", "or")]


def _vocabulary(size: int = 6000) -> tuple[list[str], list[float]]:
    """Invented content words (2-4 syllables) and Zipf cumulative weights: a newsroom's vocabulary."""
    rng = random.Random(4242)
    words = sorted({"".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4))) for _ in range(size)})
    rng.shuffle(words)
    acc, cum = 0.0, []
    for rank in range(len(words)):
        acc += 1 / (rank + 1)
        cum.append(acc)
    return words, cum


_WORDS, _CUM = _vocabulary()


def _news_sentence(rng: random.Random) -> str:
    out = []
    for k in range(rng.randint(8, 26)):
        if k and rng.random() < 0.45:
            out.append(rng.choice(_FUNCTION))
        elif rng.random() < 0.06:
            out.append(str(rng.randint(2, 2030)))
        else:
            out.append(rng.choices(_WORDS, cum_weights=_CUM)[0])
    out[0] = out[0].capitalize()
    return " ".join(out) + "."


def story_text(i: int, size: int = 3000) -> str:
    """Article ``i``'s own story: paragraphs of news-like sentences over a Zipf vocabulary, so that
    two different stories share about as few 5-word runs as real copy does."""
    rng = random.Random(i * 7919 + 1)
    paras: list[str] = []
    while sum(len(p) for p in paras) < size:
        paras.append(" ".join(_news_sentence(rng) for _ in range(rng.randint(2, 5))))
    return "\n\n".join(paras)


def rewrite(text: str, i: int) -> str:
    """Another outlet's edit of ``text`` (Jaccard 0.6-0.8): a new lead, a closing line, one word
    in forty replaced."""
    rng = random.Random(-i)
    paras = []
    for para in text.split("\n\n"):
        words = para.split(" ")
        for _ in range(len(words) // 40):
            words[rng.randrange(len(words))] = rng.choices(_WORDS, cum_weights=_CUM)[0]
        paras.append(" ".join(words))
    lead = " ".join(_news_sentence(rng) for _ in range(2))
    return "\n\n".join([lead, *paras, _news_sentence(rng)])


def article(i: int, *, planted: bool) -> Article:
    """Article ``i`` of the factory (fields, edits, evidence) carrying story ``i`` (or, with
    ``planted``, every twentieth an edited rewrite of story ``i - 7``) and its raw HTML."""
    a = make_article(i, size=0)
    text = rewrite(story_text(i - 7), i) if planted and i % REWRITE_EVERY == REWRITE_EVERY - 1 else story_text(i)
    raw = "<p>" + text.replace("\n\n", "</p><p>") + "</p><div class=ad>Subscribe!</div>"
    return with_text(replace(a, summary=text[:140] if i % 3 else None, raw_content=raw), text)


def batches(n: int, *, changed: bool = False, planted: bool = False) -> Iterator[list[Article]]:
    for start in range(0, n, BATCH):
        arts = [article(i, planted=planted) for i in range(start, min(n, start + BATCH))]
        yield [with_text(a, a.text + " [corrected]") for a in arts] if changed else arts


def write_passes(url: str, n: int, label: str, index: bool, figures: dict[str, float]) -> None:
    threshold = THRESHOLD if index else None
    mode = "on" if index else "off"
    with open_sink(url, near_duplicate_threshold=threshold) as sink:
        for name, changed in (("insert", False), ("unchanged", False), ("update", True)):
            prepared = list(batches(n, changed=changed, planted=index))  # build first: time the store
            t0 = time.perf_counter()
            dups = 0
            for batch in prepared:
                dups += len(sink.write_articles(batch).duplicates)
            dt = time.perf_counter() - t0
            figures[f"{label}/{mode}/{name}"] = n / dt
            note = ""
            if index and name == "insert":
                planted = n // REWRITE_EVERY
                note = f"  ({dups} near-duplicates found, {planted} planted)"
                assert dups == planted, f"the index missed planted rewrites: {dups} != {planted}"
            print(
                f"{label:8s} index {mode:3s} {name:9s} {n:7d} articles in {dt:6.2f}s = "
                f"{n / dt:8.0f} upserts/s{note}",
                flush=True,
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


def pg_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote('-csearch_path=' + schema)}"


def main() -> None:
    if sys.argv[1:2] == ["--export-only"]:
        export_only(*sys.argv[2:5])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=20_000)
    ap.add_argument("--export", type=int, default=100_000, help="0 to skip the export")
    ap.add_argument("--index", choices=("off", "on", "both"), default="both", help="near-duplicate index")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test", help="'' to skip PostgreSQL")
    args = ap.parse_args()
    modes = {"off": [False], "on": [True], "both": [False, True]}[args.index]
    figures: dict[str, float] = {}
    tmp = Path(tempfile.mkdtemp(prefix="feedscrub-bench-"))
    try:
        for index in modes:
            write_passes(f"sqlite:///{tmp}/bench-{int(index)}.db", args.articles, "sqlite", index, figures)
        if args.pg:
            import psycopg

            for index in modes:
                schema = f"fs_bench_{uuid.uuid4().hex[:8]}"
                with psycopg.connect(args.pg, autocommit=True) as conn:
                    conn.execute(f"CREATE SCHEMA {schema}")
                try:
                    write_passes(pg_schema_url(args.pg, schema), args.articles, "postgres", index, figures)
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
    print("figures: " + "; ".join(f"{k}={v:.0f}/s" for k, v in figures.items())
          + f"; reference_cpu_s={reference_cpu_s()}", flush=True)


if __name__ == "__main__":
    main()
