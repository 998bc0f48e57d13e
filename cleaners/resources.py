"""Data the cleaners need, handed in from outside: compiled rule packs, glossaries, learned state.

``build_resources`` validates and compiles already-parsed YAML documents; it reads no files.
``feedscrub.config.load_resources`` is the I/O side that reads ``config/rules/*.yaml`` (adding
``__file__`` to each pack so errors name the file), ``config/glossary.yaml`` and
``config/translationese.yaml`` and ``config/loanwords.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .foreign import Loanwords, compile_loanwords
from .rules import RuleSet, compile_rules
from .translationese import TranslationesePack, compile_translationese


@dataclass(slots=True, frozen=True)
class Resources:
    rules: RuleSet | None = None  # compiled boilerplate rules (cleaners.rules)
    glossary: dict[str, dict[str, str]] = field(default_factory=dict)  # lang -> {fragment: repair}
    # learned boilerplate: a cleaners.learned.LearnedState (all sources) or a mapping
    # source -> LearnedState; see cleaners.learned.state_for
    learned: Any = None
    # translationese patterns for the machine_translated flag (cleaners.translationese); None: the
    # flag weighs leftovers and artifacts only
    translationese: TranslationesePack | None = None
    # words an editor keeps on purpose (dishes, street and building names; cleaners.foreign)
    loanwords: Loanwords | None = None


def build_resources(packs: list[dict[str, Any]], glossary: Mapping[str, Any] | None = None,
                    learned: Any = None, translationese: Mapping[str, Any] | None = None,
                    loanwords: Mapping[str, Any] | None = None) -> Resources:
    """Compile parsed rule packs (each a dict from one YAML file, with ``__file__``), a glossary
    and a translationese pack.

    Raises ``ValueError`` naming the pack file and rule id when a pack is invalid.
    """
    rules = compile_rules([p for p in packs if isinstance(p, dict)])
    tr = compile_translationese(translationese) if translationese else None
    lw = compile_loanwords(dict(loanwords)) if loanwords else None
    return Resources(rules=rules, glossary=dict(glossary or {}), learned=learned, translationese=tr,
                     loanwords=lw)
