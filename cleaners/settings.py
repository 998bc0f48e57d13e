"""Every threshold and switch of the cleaners, in one place, with its documented default.

An operator changes these in ``config/feedscrub.yaml`` (``cleaning:``), globally or per source,
without touching code.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True, frozen=True)
class SourceOverrides:
    """Per-source switches: turn steps or single rules off for one source."""

    disabled_steps: frozenset[str] = frozenset()
    disabled_rules: frozenset[str] = frozenset()
    learned_boilerplate: bool = True


@dataclass(slots=True, frozen=True)
class CleanSettings:
    """Thresholds and switches for the cleaning pipeline.

    disabled_steps: step names not run at all (e.g. ``{"capitals"}``).
    disabled_rules: rule ids never applied (e.g. ``{"en.read_more"}``).
    learned_min_articles: a source needs this many recent articles before learned boilerplate acts.
    learned_min_count: a paragraph seen in at least this many of them is that source's boilerplate.
    learned_window: how many recent articles of a source the learning state keeps.
    machine_translated_threshold: score at or above which ``machine_translated`` is raised.
    edge_call_threshold: a short line at the article's top or bottom edge scoring at least this as a
        call to action or page chrome is removed (rule ``edge.cta``; see ``cleaners.edge_calls``).
    foreign_min_score: a word-pair window scoring at least this is reported as a foreign fragment.
    language_max_chars: language detection reads at most this many characters (speed; see bench).
    language_seed: langdetect's seed, fixed so the same text always gets the same language.
    sources: per-source overrides, keyed by ``Document.source``.
    """

    disabled_steps: frozenset[str] = frozenset()
    disabled_rules: frozenset[str] = frozenset()
    learned_min_articles: int = 10
    learned_min_count: int = 5
    learned_window: int = 50
    machine_translated_threshold: float = 0.5
    foreign_min_score: float = 0.5
    edge_call_threshold: float = 4.0
    language_max_chars: int = 1500
    language_seed: int = 0
    sources: dict[str, SourceOverrides] = field(default_factory=dict)

    def step_enabled(self, step: str, source: str | None) -> bool:
        if step in self.disabled_steps:
            return False
        o = self.sources.get(source or "")
        return not (o and step in o.disabled_steps)

    def rule_enabled(self, rule: str, source: str | None) -> bool:
        if rule in self.disabled_rules:
            return False
        o = self.sources.get(source or "")
        return not (o and rule in o.disabled_rules)
