"""Translationese: the English a translation tool writes from a Romance or German source.

A machine-translated article does not always keep untranslated words (``cleaners.foreign``);
it nearly always keeps the source's constructions: "the fine will be of 300 euros" (será de),
"approved this Thursday" (aprobó este jueves), "the past Monday", "defended that", "in the next
days", "the X of the Y" chains. This module finds them, so that ``cleaners.flags`` can weigh them
with the leftovers and artifacts when it decides ``machine_translated``.

- ``compile_translationese(doc)`` validates and compiles the pack (``config/translationese.yaml``,
  already parsed; format in that file's header): each pattern with an id, a description, the
  source languages, a weight, and examples that must and must not match. Raises ``ValueError``
  naming the pattern when the pack is invalid or an example fails.
- ``find_translationese(text, pack, enabled)`` returns a ``TranslationeseReport``: every match
  (rule id, matched text, span, weight), the structural density signal ("of the" per 1,000
  words), the points (each rule counts at most ``max_count`` times) and the distinct rules seen.
  A match inside a quotation given as an example ('errors such as "approved this Thursday"':
  ``cleaners.foreign.quoted_as_example``) is no calque and is skipped.

What this module is not for: deciding the flag (``cleaners.flags`` does, with its threshold),
finding foreign words (``cleaners.foreign``), or changing the text: translationese is reported,
never "repaired". It reads no files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .foreign import quoted_as_example
from .rules import substitute_pieces

__all__ = [
    "TranslationeseHit",
    "TranslationesePack",
    "TranslationeseReport",
    "compile_translationese",
    "find_translationese",
]

DEFAULT_MAX_COUNT = 2  # one wording repeated is one habit of the writer, not growing evidence
_WORDS = re.compile(r"\w+")
_TOKEN = re.compile(r"[^\W\d_]+")
_TRAILING = ",.;:!?)\"”’'"  # punctuation a keyword's word may carry in the text's split


@dataclass(slots=True, frozen=True)
class TranslationesePattern:
    id: str
    description: str
    languages: tuple[str, ...]
    weight: float
    regex: re.Pattern[str]
    keywords: tuple[str, ...] = ()  # lowercase; the regex runs only near one found in the text
    anchors: tuple[str, ...] = ()  # each keyword's longest word: looked up in the text's words first


@dataclass(slots=True, frozen=True)
class DensitySignal:
    """Points from a per-1,000-words rate: 0 at ``start``, ``weight`` from ``full`` up."""

    id: str
    description: str
    phrase: str  # lowercase, counted between spaces: " of the "
    start: float
    full: float
    weight: float
    min_words: int


@dataclass(slots=True, frozen=True)
class TranslationesePack:
    patterns: tuple[TranslationesePattern, ...] = ()
    density: DensitySignal | None = None
    max_count: int = DEFAULT_MAX_COUNT


@dataclass(slots=True, frozen=True)
class TranslationeseHit:
    rule: str
    text: str
    start: int
    end: int
    weight: float


@dataclass(slots=True)
class TranslationeseReport:
    hits: list[TranslationeseHit] = field(default_factory=list)
    points: float = 0.0  # weighted, each rule at most ``max_count`` times, plus the density points
    rules: set[str] = field(default_factory=set)  # distinct rule ids that contributed points
    density_rate: float = 0.0  # the density signal's matches per 1,000 words
    density_points: float = 0.0
    density_rule: str = ""

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for h in self.hits:
            counts[h.rule] = counts.get(h.rule, 0) + 1
        parts = [f"{rule}={n}" for rule, n in sorted(counts.items())]
        if self.density_points:
            parts.append(f"of_the_rate={self.density_rate:.1f}/1000w")
        return ", ".join(parts)


def _compile(pattern: Any, pieces: Mapping[str, str], where: str) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise ValueError(f"{where}: a pattern must be a non-empty string")
    try:
        return re.compile(substitute_pieces(pattern, pieces, where))
    except re.error as exc:
        raise ValueError(f"{where}: invalid regex: {exc}") from None


def compile_translationese(doc: Mapping[str, Any] | None, where: str = "translationese") -> TranslationesePack:
    """Compile a parsed translationese pack, checking every pattern against its examples."""
    if not doc:
        return TranslationesePack()
    where = str(doc.get("__file__", where))
    pieces = {str(k): str(v) for k, v in (doc.get("pieces") or {}).items()}
    patterns = []
    seen: set[str] = set()
    for raw in doc.get("patterns") or []:
        if not isinstance(raw, Mapping) or not raw.get("id"):
            raise ValueError(f"{where}: every pattern needs an id")
        pid = str(raw["id"])
        at = f"{where}: {pid}"
        if pid in seen:
            raise ValueError(f"{at}: duplicate id")
        seen.add(pid)
        for key in ("description", "languages", "weight", "pattern", "match", "no_match"):
            if key not in raw:
                raise ValueError(f"{at}: missing {key!r}")
        regex = _compile(raw["pattern"], pieces, at)
        for example in raw["match"]:
            if not regex.search(str(example)):
                raise ValueError(f"{at}: example does not match: {example!r}")
        for example in raw["no_match"]:
            if regex.search(str(example)):
                raise ValueError(f"{at}: no_match example matches: {example!r}")
        weight = float(raw["weight"])
        if not 0 < weight <= 2:
            raise ValueError(f"{at}: weight must be in (0, 2]")
        keywords = tuple(str(k).lower() for k in raw.get("keywords") or ())
        anchors = tuple(max(_TOKEN.findall(k) or [""], key=len) for k in keywords)
        if not all(anchors):
            raise ValueError(f"{at}: every keyword needs a word")
        for example in raw["match"]:
            if keywords and not any(k in str(example).lower() for k in keywords):
                raise ValueError(f"{at}: no keyword in example: {example!r}")
        patterns.append(
            TranslationesePattern(
                pid, str(raw["description"]), tuple(raw["languages"]), weight, regex, keywords, anchors
            )
        )
    density = None
    if d := doc.get("density"):
        at = f"{where}: {d.get('id', 'density')}"
        density = DensitySignal(
            str(d["id"]),
            str(d.get("description", "")),
            f" {str(d['phrase']).lower().strip()} ",
            float(d["start"]),
            float(d["full"]),
            float(d["weight"]),
            int(d.get("min_words", 0)),
        )
        if density.full <= density.start:
            raise ValueError(f"{at}: full must be above start")
    return TranslationesePack(tuple(patterns), density, int(doc.get("max_count", DEFAULT_MAX_COUNT)))


# A pattern with keywords is tried only in a window around each keyword found (this many
# characters before and after it), not over the whole text: a regex scan of every position of a
# 5 KB article costs ten times more than finding the keyword. Every pattern's match lies within
# these bounds of its keyword.
WINDOW_BEFORE = 80
WINDOW_AFTER = 120


def _search(p: TranslationesePattern, text: str, low: str, tokens: set[str]) -> Iterator[re.Match[str]]:
    if not p.keywords:
        yield from p.regex.finditer(text)
        return
    for key, anchor in zip(p.keywords, p.anchors, strict=True):
        if anchor not in tokens:
            continue
        at = low.find(key)
        while at >= 0:
            yield from p.regex.finditer(text, max(0, at - WINDOW_BEFORE), at + len(key) + WINDOW_AFTER)
            at = low.find(key, at + 1)


def find_translationese(
    text: str,
    pack: TranslationesePack | None,
    enabled: Callable[[str], bool] | None = None,
    words: int | None = None,
) -> TranslationeseReport:
    """Every translationese match in ``text`` and the points they add up to.

    ``enabled(rule_id)`` lets an operator switch single rules off (``disabled_rules``); ``words``
    is the text's word count when the caller has it (runs of word characters).
    """
    report = TranslationeseReport()
    if pack is None or not text:
        return report
    low = text.lower()
    tokens = set(low.split())  # (a split is ten times cheaper than a regex over the words)
    tokens.update([t.rstrip(_TRAILING) for t in tokens])
    hits: list[TranslationeseHit] = []
    for p in pack.patterns:
        if enabled is not None and not enabled(p.id):
            continue
        seen: set[int] = set()
        for m in _search(p, text, low, tokens):
            if m.start() not in seen:
                seen.add(m.start())
                if quoted_as_example(text, m.start()):
                    continue  # 'errors such as "will be of five euros"': an example, not a calque
                hits.append(TranslationeseHit(p.id, m.group(), m.start(), m.end(), p.weight))
    # one wording is one calque: where two patterns match overlapping text ("announced this Tuesday
    # the"), only the weightier counts
    counts: dict[str, int] = {}
    for h in sorted(hits, key=lambda h: (-h.weight, h.start)):
        if any(k.start < h.end and h.start < k.end for k in report.hits):
            continue
        report.hits.append(h)
        counts[h.rule] = counts.get(h.rule, 0) + 1
    weights = {p.id: p.weight for p in pack.patterns}
    for rule, n in counts.items():
        report.points += weights[rule] * min(n, pack.max_count)
        report.rules.add(rule)
    d = pack.density
    if d is not None and (enabled is None or enabled(d.id)):
        if words is None:
            words = len(_WORDS.findall(text))
        if words >= d.min_words:
            spaced = low.replace("\n", " ")
            report.density_rate = spaced.count(d.phrase) * 1000 / words
            share = (report.density_rate - d.start) / (d.full - d.start)
            report.density_points = round(d.weight * min(1.0, max(0.0, share)), 3)
            if report.density_points > 0:
                report.points += report.density_points
                report.rules.add(d.id)
                report.density_rule = d.id
    report.hits.sort(key=lambda h: h.start)
    return report
