"""Learned boilerplate: paragraphs that recur across one source's recent articles.

No rule pack can list every site's own footer ("Reporting by the Harbour Desk. Tips:
news@..."), but the site repeats it. ``LearnedState`` remembers, for ONE source, the paragraph
fingerprints of its last ``settings.learned_window`` articles; the step ``RemoveLearnedBoilerplate``
removes a paragraph seen in at least ``settings.learned_min_count`` of them, once the source has
at least ``settings.learned_min_articles`` articles (so a source with three articles loses
nothing). Each removal is an edit with rule ``learned:<source>``; the rule can be disabled like
any other (``disabled_rules``), and learning can be switched off per source
(``sources[<source>].learned_boilerplate: false``). As a guard, the step never removes more than
half of an article's words: a source re-sending the same story is not boilerplate.

State plumbing (the flow owns storage; this module does no I/O):

- ``update_learned_state(state, source, text, settings, content_type=...)`` returns a new state
  with one more article. Pass the article *as fetched* (``Document.content`` and its content
  type), not the cleaned text: a paragraph the step removed must still be counted, or it would
  fall below the threshold and come back. Cheaper and the same: the pipeline's ``CleanResult.as_text``
  (the article as text before any cleaning edit) with ``content_type="text/plain"``, which spares
  parsing the HTML a second time.
- ``LearnedState.to_dict()`` / ``LearnedState.from_dict()`` are JSON-safe; the flow stores one
  state per source under the key ``learned:<source>``.
- ``ctx.resources.learned`` may be a mapping ``source -> LearnedState`` (several sources) or a
  single ``LearnedState`` (its ``source`` must match the document's); see ``state_for``.
  The state handed in should not yet include the article being cleaned.

Fingerprints are short hashes of the paragraph lowercased with whitespace collapsed, so the state
stays small and holds no article text.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from feedscrub.models import Edit, Evidence

from .boilerplate import find_units, removal_spans
from .pipeline import Context, StepResult
from .settings import CleanSettings

__all__ = ["LearnedState", "RemoveLearnedBoilerplate", "fingerprint", "state_for", "update_learned_state"]

_LINE = re.compile(r"[^\n]*\S[^\n]*")
_WS = re.compile(r"\s+")
_MIN_CHARS = 12  # shorter lines ("Photo", "AP") are too common to learn from


def fingerprint(paragraph: str) -> str | None:
    """A short stable hash of a paragraph, or None when it is too short to learn from."""
    norm = _WS.sub(" ", html.unescape(paragraph)).strip().lower()
    if len(norm) < _MIN_CHARS:
        return None
    return hashlib.blake2b(norm.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _fingerprints(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for m in _LINE.finditer(text):
        fp = fingerprint(m.group(0))
        if fp:
            seen[fp] = None
    return list(seen)


@dataclass(slots=True, frozen=True)
class LearnedState:
    """Paragraph fingerprints of one source's most recent articles (oldest first)."""

    source: str
    articles: tuple[tuple[str, ...], ...] = ()
    counts: Counter[str] = field(default_factory=Counter, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.counts and self.articles:
            c: Counter[str] = Counter()
            for fps in self.articles:
                c.update(fps)
            object.__setattr__(self, "counts", c)

    def to_dict(self) -> dict[str, Any]:
        return {"version": 1, "source": self.source, "articles": [list(a) for a in self.articles]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LearnedState:
        return cls(source=str(data.get("source") or ""),
                   articles=tuple(tuple(str(f) for f in a) for a in data.get("articles") or ()))

    def recurring(self, min_count: int) -> frozenset[str]:
        return frozenset(fp for fp, n in self.counts.items() if n >= min_count)


def update_learned_state(state: LearnedState | None, source: str, text: str, settings: CleanSettings,
                         content_type: str = "text/plain") -> LearnedState:
    """A new state: ``state`` (or an empty one for ``source``) plus this article, trimmed to the window."""
    if content_type == "text/html":
        from .html import html_to_text

        text = html_to_text(text)[0]
    articles = (state.articles if state and state.source == source else ()) + (tuple(_fingerprints(text)),)
    window = max(1, settings.learned_window)
    return LearnedState(source=source, articles=articles[-window:])


def state_for(learned: Any, source: str | None) -> LearnedState | None:
    """The state for ``source`` from ``ctx.resources.learned`` (a mapping or a single state)."""
    if learned is None or not source:
        return None
    if isinstance(learned, LearnedState):
        return learned if learned.source == source else None
    if isinstance(learned, Mapping):
        st = learned.get(source)
        if isinstance(st, Mapping):
            st = LearnedState.from_dict(st)
        return st if isinstance(st, LearnedState) else None
    return None


class RemoveLearnedBoilerplate:
    """Removes paragraphs recurring in a source's recent articles (see the module docstring)."""

    name = "learned"

    def __call__(self, text: str, ctx: Context) -> StepResult:
        source = ctx.document.source
        settings = ctx.settings
        if not source:
            return StepResult(text)
        overrides = settings.sources.get(source)
        if overrides is not None and not overrides.learned_boilerplate:
            return StepResult(text)
        rule = f"learned:{source}"
        if not settings.rule_enabled(rule, source):
            return StepResult(text)
        state = state_for(getattr(ctx.resources, "learned", None), source)
        if state is None:
            return StepResult(text)
        recent = state.articles[-settings.learned_window:]
        if len(recent) < settings.learned_min_articles:
            return StepResult(text)
        if len(recent) != len(state.articles):
            state = LearnedState(source, recent)
        recurring = state.recurring(settings.learned_min_count)
        if not recurring:
            return StepResult(text)
        units = find_units(text)
        hits = [i for i, u in enumerate(units) if fingerprint(text[u.start:u.end]) in recurring]
        if not hits:
            return StepResult(text)
        removed_words = sum(len(text[units[i].start:units[i].end].split()) for i in hits)
        if removed_words > 0.5 * len(text.split()):
            return StepResult(text, near_misses=[Evidence(rule, f"{len(hits)} recurring paragraphs "
                                                          "left: they are most of the article")])
        reason = (f"learned boilerplate: seen in >= {settings.learned_min_count} of {source}'s last "
                  f"{len(recent)} articles")
        edits: list[Edit] = []
        out: list[str] = []
        pos = 0
        for start, end, _, why in removal_spans(text, units, [(i, rule, reason) for i in hits]):
            out.append(text[pos:start])
            edits.append(Edit(rule, start, end, text[start:end], "", why))
            pos = end
        out.append(text[pos:])
        return StepResult("".join(out), edits=edits)
