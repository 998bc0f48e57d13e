#!/usr/bin/env python3
"""Do-no-harm check of the text cleaners (html, unicode, boilerplate) on real published news.

Runs the default cleaning pipeline over every item of the English feeds in
``../shared/realfeeds`` (``MANIFEST.jsonl`` gives each file's language; content, else summary)
and prints, per item, the share of the article's words that survive in order:

- reference words: the item's text as HTML-to-text gives it (for text/plain, the text itself),
  so markup, scripts and widgets the html step drops are not counted as lost;
- ``pipeline``: after the whole pipeline; ``boilerplate``: counting only words removed by the
  boilerplate and learned steps (what this area decides);
- targets: median kept >= 98%, worst tenth (10th percentile) >= 90%, ``unedited_feed`` raised on
  <= 1% of items;
- with ``--show N``: the N items losing most, with the removed text, to judge by eye.

    .venv/bin/python bench/realfeeds_harm.py [--realfeeds PATH] [--show 10]

Skips with a message (exit 0) when the shared folder is absent.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
DEFAULT = ROOT.parent / "shared" / "realfeeds"
_WORDS = re.compile(r"\w+")


def kept(before: list[str], after: list[str]) -> float:
    if not before:
        return 1.0
    sm = difflib.SequenceMatcher(None, before, after, autojunk=False)
    return sum(b.size for b in sm.get_matching_blocks()) / len(before)


def main() -> int:
    from realfeeds_items import entries

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--realfeeds", type=Path, default=DEFAULT)
    ap.add_argument("--show", type=int, default=0, help="list the N items losing most")
    args = ap.parse_args()
    manifest = args.realfeeds / "MANIFEST.jsonl"
    if not manifest.exists():
        print(f"skipped: {manifest} not found (the shared realfeeds folder is absent)")
        return 0

    from feedscrub.cleaners.html import html_to_text
    from feedscrub.cleaners.pipeline import Document

    from feedscrub.config import build_pipeline, load_settings

    pipeline = build_pipeline(load_settings(None))
    rows = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines() if line.strip()]
    items: list[tuple[str, str, str | None, str]] = []
    for row in rows:
        if row.get("language") != "en":
            continue
        for content, title, ctype in entries(args.realfeeds / row["file"]):
            items.append((row["file"], content, title, ctype))

    results = []
    t0 = time.perf_counter()
    for file, content, title, ctype in items:
        res = pipeline.clean(Document(content, ctype, title, "en", file))  # type: ignore[arg-type]
        results.append(res)
    elapsed = time.perf_counter() - t0

    whole: list[float] = []
    mine: list[float] = []
    flagged = 0
    losers = []
    for (file, content, title, ctype), res in zip(items, results, strict=True):
        ref = html_to_text(content)[0] if ctype == "text/html" else content
        ref_words = _WORDS.findall(ref.lower())
        if not ref_words:
            continue
        whole.append(kept(ref_words, _WORDS.findall(res.text.lower())))
        removed = [e for e in res.edits if e.step in ("boilerplate", "learned")]
        lost = sum(len(_WORDS.findall(e.before)) for e in removed)
        mine.append(max(0.0, 1 - lost / len(ref_words)))
        flagged += res.flags.unedited_feed
        if removed or res.flags.unedited_feed:
            losers.append((mine[-1], file, title, [(e.rule, e.before.strip()[:120]) for e in removed],
                           res.flags.unedited_feed))

    def pct(xs: list[float], q: float) -> float:
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else 1.0

    n = len(whole)
    print(f"{n} English items from {sum(1 for r in rows if r.get('language') == 'en')} feeds "
          f"in {elapsed:.2f} s ({n / elapsed:.0f} articles/s)")
    print(f"  words kept, whole pipeline:       median {statistics.median(whole):.4f}   "
          f"worst tenth {pct(whole, 0.10):.4f}   min {min(whole):.4f}")
    print(f"  words kept, boilerplate+learned:  median {statistics.median(mine):.4f}   "
          f"worst tenth {pct(mine, 0.10):.4f}   min {min(mine):.4f}")
    print(f"  items touched by boilerplate:     {sum(1 for x in losers if x[3])} of {n}")
    print(f"  unedited_feed raised:             {flagged} of {n} ({100 * flagged / max(n, 1):.2f}%)")
    ok = (statistics.median(whole) >= 0.98 and pct(whole, 0.10) >= 0.90 and flagged <= 0.01 * n)
    print("  targets (median >= 0.98, worst tenth >= 0.90, unedited_feed <= 1%):",
          "met" if ok else "NOT met")
    for share, file, title, removed, flag in sorted(losers, key=lambda x: x[0])[: args.show]:
        print(f"-- {share:.3f} {file} :: {str(title)[:70]!r}" + (" [unedited_feed]" if flag else ""))
        for rule, before in removed:
            print(f"     {rule}: {before!r}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
