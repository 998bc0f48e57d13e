#!/usr/bin/env python3
"""Do-no-harm check of the foreign-fragment and machine-translation detectors on real feeds.

Runs the default cleaning pipeline over every entry of the English feeds in
``../shared/realfeeds`` (``MANIFEST.jsonl`` gives each file's language) and prints:

- the share of items flagged ``machine_translated`` (target: <= 2%),
- foreign fragments per 1,000 words (target: <= 0.5),
- the same for the non-English feeds (their own language is not foreign: expect 0 fragments),
- cleaning speed (articles/s on one core),
- with ``--show N``, the first N fragments and flagged items, to judge them by eye.

    .venv/bin/python bench/realfeeds_foreign.py [--realfeeds PATH] [--show 20]

Skips with a message (exit 0) when the shared folder is absent, e.g. on a machine without it.
JSON feeds are read with ``json``, everything else with feedparser.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
DEFAULT = ROOT.parent / "shared" / "realfeeds"


def main() -> int:
    from realfeeds_items import entries

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--realfeeds", default=str(DEFAULT))
    ap.add_argument("--show", type=int, default=0, help="list this many fragments and flagged items")
    args = ap.parse_args()
    base = Path(args.realfeeds)
    manifest = base / "MANIFEST.jsonl"
    if not manifest.exists():
        print(f"skipped: {manifest} not found (the shared realfeeds folder is absent)")
        return 0

    sys.path.insert(0, str(ROOT))
    from feedscrub.cleaners.pipeline import Document

    from feedscrub.config import build_pipeline, load_settings
    from feedscrub.errors import ConfigError

    try:
        pipeline = build_pipeline(load_settings())
    except ConfigError as exc:  # a rule pack being edited: measure the rest of the pipeline
        import yaml
        from feedscrub.cleaners.build import default_pipeline
        from feedscrub.cleaners.resources import build_resources
        from feedscrub.cleaners.settings import CleanSettings

        print(f"warning: rule packs not loaded ({str(exc).splitlines()[0]}); running without them")
        glossary = yaml.safe_load((ROOT / "config" / "glossary.yaml").read_text(encoding="utf-8"))
        pipeline = default_pipeline(CleanSettings(), build_resources([], glossary))
    stats = {
        "en": {"items": 0, "words": 0, "frags": 0, "mt": 0},
        "other": {"items": 0, "words": 0, "frags": 0, "mt": 0},
    }
    rule_counts: dict[str, int] = {}
    rule_samples: dict[str, list[str]] = {}
    shown_frags: list[str] = []
    shown_mt: list[str] = []
    other_lang: dict[str, int] = {}  # English-feed items tagged another language
    shown_lang: list[str] = []
    t_clean = 0.0
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        m = json.loads(line)
        path = base / m["file"]
        if not path.exists():
            continue
        group = "en" if m.get("language") == "en" else "other"
        for content, title, ctype in entries(path):
            t0 = time.perf_counter()
            res = pipeline.clean(
                Document(content=content, content_type=ctype, title=title, feed_language=m.get("language"))
            )  # type: ignore[arg-type]
            t_clean += time.perf_counter() - t0
            for e in res.edits:
                if e.step in ("punctuation", "capitals", "foreign"):
                    rule_counts[e.rule] = rule_counts.get(e.rule, 0) + 1
                    samples = rule_samples.setdefault(e.rule, [])
                    if len(samples) < args.show:
                        samples.append(f"{e.before!r} -> {e.after!r}  ({m['file']})")
            s = stats[group]
            s["items"] += 1
            s["words"] += len(re.findall(r"\w+", res.text))
            s["frags"] += len(res.foreign_fragments)
            s["mt"] += int(res.flags.machine_translated)
            if group == "en" and res.language not in ("en", None):
                other_lang[str(res.language)] = other_lang.get(str(res.language), 0) + 1
                if len(shown_lang) < args.show:
                    shown_lang.append(f"{m['file']} {res.language} {res.text[:80]!r}")
            for f in res.foreign_fragments:
                if len(shown_frags) < args.show:
                    ctx = res.text[max(0, f.start - 40) : f.end + 40].replace("\n", " ")
                    shown_frags.append(f"{m['file']} [{group}] {f.text!r} {f.lang} {f.score}: …{ctx}…")
            if res.flags.machine_translated and len(shown_mt) < args.show:
                ev = [e.text for e in res.flags.evidence.get("machine_translated", [])]
                shown_mt.append(
                    f"{m['file']} {title!r} score={res.flags.machine_translated_score:.2f} {ev[:6]}"
                )
    total = sum(s["items"] for s in stats.values())
    for group, s in stats.items():
        items, words = s["items"], s["words"]
        mt_rate = s["mt"] / items if items else 0.0
        per_k = 1000 * s["frags"] / words if words else 0.0
        label = "English feeds" if group == "en" else "other-language feeds"
        print(
            f"{label}: {items} items, {words} words; machine_translated {s['mt']} ({100 * mt_rate:.2f}%), "
            f"foreign fragments {s['frags']} ({per_k:.3f} per 1,000 words)"
        )
    print(
        f"speed: {total} items in {t_clean:.2f} s = {total / t_clean if t_clean else 0:.0f} articles/s (one core)"
    )
    en = stats["en"]
    ok = (en["mt"] <= 0.02 * max(en["items"], 1)) and (1000 * en["frags"] / max(en["words"], 1) <= 0.5)
    print(
        "targets (English: machine_translated <= 2%, fragments <= 0.5 per 1,000 words):",
        "met" if ok else "NOT MET",
    )
    print(
        "English-feed items tagged another language:",
        ", ".join(f"{k}={v}" for k, v in sorted(other_lang.items())) or "none",
    )
    print(
        "repairs by rule (punctuation, capitals, foreign):",
        ", ".join(f"{k}={v}" for k, v in sorted(rule_counts.items())) or "none",
    )
    if args.show:
        for rule, samples in sorted(rule_samples.items()):
            for x in samples[:5]:
                print(f"  {rule}: {x}")
    for s in shown_frags:
        print("  fragment:", s)
    for s in shown_mt:
        print("  flagged:", s)
    for s in shown_lang:
        print("  language:", s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
