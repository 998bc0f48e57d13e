"""The cleaning pipeline: an ordered list of named steps, run on one document.

A step is any object with a ``name`` and ``__call__(text, ctx) -> StepResult``. Steps never raise
on odd text; a step that cannot decide leaves the text alone. Detection and action are separate:
a step records what it found (edits, evidence, fragments) and ``CleanSettings`` decides what is
acted on.

What this module is not for: loading rule files (``feedscrub.config``), fetching, storing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from feedscrub.models import ContentType, Edit, Evidence, Flags, ForeignFragment

from .settings import CleanSettings


@dataclass(slots=True)
class Document:
    """What the pipeline cleans: one article's body and title as the feed gave them."""

    content: str
    content_type: ContentType = "text/plain"
    title: str | None = None
    feed_language: str | None = None
    source: str | None = None  # feed or site name; keys per-source settings and learned boilerplate


@dataclass(slots=True)
class StepResult:
    """What one step did. ``text`` is the step's output; edits index the step's input."""

    text: str
    edits: list[Edit] = field(default_factory=list)
    evidence: list[tuple[str, Evidence]] = field(default_factory=list)  # (flag name, evidence)
    fragments: list[ForeignFragment] = field(default_factory=list)
    near_misses: list[Evidence] = field(default_factory=list)  # rules that came close (--explain)


@dataclass(slots=True)
class Context:
    """Read-only facts a step may use, plus what earlier steps found (for flags and scores)."""

    document: Document
    settings: CleanSettings
    resources: Any  # cleaners.resources.Resources: rule packs, glossary, learned state
    evidence: list[tuple[str, Evidence]] = field(default_factory=list)
    fragments: list[ForeignFragment] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    original_text: str = ""
    language: str | None = None
    scratch: dict[str, Any] = field(default_factory=dict)


class Step(Protocol):
    name: str

    def __call__(self, text: str, ctx: Context) -> StepResult: ...


@dataclass(slots=True)
class CleanResult:
    """The pipeline's answer for one document."""

    text: str
    title: str | None
    language: str | None
    flags: Flags
    edits: list[Edit]
    foreign_fragments: list[ForeignFragment]
    near_misses: list[Evidence] = field(default_factory=list)
    # The document as plain text before any cleaning: the ``html`` step's output for HTML, the
    # content itself for plain text; None when the html step did not run on an HTML document.
    # Learned boilerplate counts its paragraphs, so the HTML is not parsed a second time.
    as_text: str | None = None

    def as_json(self, with_evidence: bool = True) -> dict[str, Any]:
        """The ``feedscrub clean --json/--jsonl`` shape (see docs/schema.md)."""
        out: dict[str, Any] = {
            "text": self.text,
            "title": self.title,
            "language": self.language,
            "flags": self.flags.as_dict(),
            "foreign_fragments": [
                {"text": f.text, "start": f.start, "end": f.end, "lang": f.lang, "score": round(f.score, 3)}
                for f in self.foreign_fragments
            ],
            "edits": [
                {"rule": e.rule, "start": e.start, "end": e.end, "before": e.before, "after": e.after,
                 "reason": e.reason, "step": e.step}
                for e in self.edits
            ],
        }
        if with_evidence:
            out["evidence"] = {
                name: [{"rule": ev.rule, "text": ev.text, "score": ev.score} for ev in evs]
                for name, evs in self.flags.evidence.items()
            }
        return out


Finisher = Callable[[Context, str], CleanResult]

_TO_TEXT_STEP = "html"  # the step that turns HTML into paragraphs of text (cleaners.html.HtmlToText)


class Pipeline:
    """Runs ``steps`` in order over a document, then ``finish`` turns what they found into flags."""

    def __init__(self, steps: Sequence[Step], finish: Finisher, settings: CleanSettings, resources: Any) -> None:
        self.steps = list(steps)
        self.finish = finish
        self.settings = settings
        self.resources = resources

    @property
    def step_names(self) -> list[str]:
        return [s.name for s in self.steps]

    def clean(self, document: Document) -> CleanResult:
        ctx = Context(document=document, settings=self.settings, resources=self.resources,
                      original_text=document.content)
        text = document.content
        as_text = None if document.content_type == "text/html" else text
        near: list[Evidence] = []
        for step in self.steps:
            if not self.settings.step_enabled(step.name, document.source):
                continue
            result = step(text, ctx)
            if step.name == _TO_TEXT_STEP:
                as_text = result.text
            edits = [e if e.step else _with_step(e, step.name) for e in result.edits]
            ctx.edits.extend(edits)
            ctx.evidence.extend(result.evidence)
            ctx.fragments.extend(result.fragments)
            near.extend(result.near_misses)
            text = result.text
        out = self.finish(ctx, text)
        out.near_misses = near
        out.as_text = as_text
        return out


def _with_step(edit: Edit, step: str) -> Edit:
    return Edit(edit.rule, edit.start, edit.end, edit.before, edit.after, edit.reason, step)
