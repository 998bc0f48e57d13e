r"""Boilerplate rules as data: what one rule of a rule pack (``config/rules/*.yaml``) is, and how
the packs are validated and compiled into a ``RuleSet``.

A rule pack is a YAML mapping::

    pack: en                       # a name for messages
    pieces:                        # named regex pieces, shared by the pack's patterns
      end: '[.!:…]*'
    rules:
      - id: en.newsletter_signup   # <pack>.<family>, unique over all packs
        description: Calls to sign up for a newsletter.
        languages: [en]            # documentation: rules run on every article (see below)
        scope: paragraph           # paragraph | sentence
        action: remove             # remove | flag-only | keep
        flag: unedited_feed        # optional: the flag a match raises (with the matched text)
        position: {last: 3}        # optional: {first: N} | {last: N} | {edge: N}; plus {min_before: N}
        after: [en.related_header] # optional: only right after a unit removed by one of these
                                   # (not even tried below a unit none of them matched);
                                   # '*.cookie_notice' names that family's rule in every pack
        before: [en.related_item]  # optional: only right before one of these, or last of all
        max_words: 40              # optional: longer units never match (cheap guard)
        keywords: [newsletter]     # optional prefilter: lowercase substrings, one must occur
        patterns:
          - 'sign up for {our} .* newsletter{end}'
        examples:
          match: [...]             # each must fire (tests/cleaners/test_rulepacks.py)
          no_match: [...]          # each must stay quiet

Pattern syntax: Python regexes, case-insensitive, ``{name}`` expands to the pack's piece ``name``
(pieces may use earlier pieces); a literal space matches any run of whitespace and `` ?`` (or
`` *``) optional whitespace. Write ``\s`` inside character classes. A pattern must
match the *whole* unit it is tried on (``fullmatch``), so a sentence that merely quotes a notice
inside a longer paragraph never matches.

Units and scopes (applied by ``cleaners.boilerplate``): the text is cut into lines; every
non-blank line is one unit (a feed paragraph is one line, a "Share this:" widget is several).
Before matching, a unit is unwrapped: surrounding whitespace, emphasis markers (``*``, ``_``) and
one pair of enclosing brackets are stripped. ``paragraph`` rules must match the whole unit;
``sentence`` rules may also match a run of sentences at the start or at the end of a unit (the
"... extend the hours. Continue reading →" case), and only that run is removed.

Actions: ``remove`` takes the unit (or the sentence run) out; ``flag-only`` keeps it and emits
evidence for the rule's flag; ``keep`` keeps it and emits nothing: the unit is page furniture
that stays in the text (a copyright line) but is not counted as content by positions, so a
related list or a sign-off above "© 2026 X. All rights reserved." still closes the article.

Positions count *content* units, i.e. units no rule matched: ``{last: 1}`` means no content unit
follows; ``{first: 2}`` at most one content unit precedes; ``{edge: N}`` either;
``{min_before: N}`` at least N content units precede (a bare "Comments" link that is a whole
feed item is not a widget below a story). A rule that
matches but fails its position or ``after`` condition is reported as a near miss.

Notice slots: a pack may also list ``notice_slots`` (slot name -> regexes), the parts notices
about the text are made of; ``cleaners.notices`` documents the slots and how they decide.

Languages: a rule runs on every article whatever its language, because feed boilerplate is often
left in the site's language inside a translated article; ``languages`` documents what a rule is
written for.

What this module is not for: reading YAML files (``feedscrub.config``), applying rules
(``cleaners.boilerplate``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .notices import NoticeSlots, compile_slots

__all__ = ["KeywordIndex", "Rule", "RuleSet", "compile_rules"]

SCOPES = frozenset({"paragraph", "sentence"})
ACTIONS = frozenset({"remove", "flag-only", "keep"})
FLAGS = frozenset({"unedited_feed"})
_PIECE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(slots=True, frozen=True)
class Rule:
    """One compiled boilerplate rule (see the module docstring for the YAML shape)."""

    id: str
    description: str
    languages: tuple[str, ...]
    scope: str
    action: str
    patterns: tuple[re.Pattern[str], ...]
    flag: str | None = None
    first: int | None = None
    last: int | None = None
    edge: int | None = None
    min_before: int | None = None
    after: frozenset[str] = frozenset()
    before: frozenset[str] = frozenset()
    max_words: int | None = None
    keywords: tuple[str, ...] = ()
    examples_match: tuple[str, ...] = ()
    examples_no_match: tuple[str, ...] = ()
    source_file: str = ""

    def fullmatch(self, unit: str) -> re.Match[str] | None:
        """The first pattern matching all of ``unit`` (already unwrapped), or None."""
        if self.max_words is not None and unit.count(" ") >= self.max_words:
            return None
        for p in self.patterns:
            m = p.fullmatch(unit)
            if m:
                return m
        return None

    def may_match(self, lowered: str) -> bool:
        """Cheap prefilter: does a keyword occur in the lowercased unit?"""
        return not self.keywords or any(k in lowered for k in self.keywords)

    def position_ok(self, before: int, after: int) -> bool:
        """Is a unit with ``before`` content units before it and ``after`` after it in place?"""
        if self.first is not None and before >= self.first:
            return False
        if self.last is not None and after >= self.last:
            return False
        if self.min_before is not None and before < self.min_before:
            return False
        return not (self.edge is not None and before >= self.edge and after >= self.edge)

    @property
    def positional(self) -> bool:
        return (self.first is not None or self.last is not None or self.edge is not None
                or self.min_before is not None)


@dataclass(slots=True, frozen=True)
class RuleSet:
    """All compiled rules, in pack order; ``by_id`` for lookups."""

    rules: tuple[Rule, ...] = ()
    by_id: dict[str, Rule] = field(default_factory=dict)
    # the packs' ``notice_slots`` merged (cleaners.notices); None when no pack has any
    notices: NoticeSlots | None = None

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)


class KeywordIndex:
    """Which of ``rules`` may match a unit, from one pass over all their keywords.

    Testing each rule's keywords separately (``Rule.may_match``) costs a Python loop per rule and
    unit; this tests every distinct keyword once per unit (a C-level substring search each) and
    maps the keywords found to their rules. ``extra`` keywords (the notice slots' prefilter) are
    found by ``present`` too and belong to no rule.

    The whole-article scan (``present``) does not search the text once per keyword. It reads the
    text's trigrams every ``STRIDE`` characters and checks, at each one that is indexed, the
    keywords filed under it (``str.startswith`` at the implied offset). A keyword at least
    ``STRIDE + 2`` characters long is filed under the trigrams of one window of ``STRIDE``
    consecutive offsets: any occurrence covers a sampled position inside that window, so it is
    found. The window chosen is the one whose trigrams are rarest in the rules' own examples
    (news-like sentences in every pack language), so common trigrams ("the", "ing") rarely send
    the scan to a keyword. Shorter keywords are searched directly.
    """

    STRIDE = 2

    def __init__(self, rules: list[Rule] | tuple[Rule, ...], extra: tuple[str, ...] = ()) -> None:
        self.rules = list(rules)
        self.always = frozenset(i for i, r in enumerate(self.rules) if not r.keywords)
        by_kw: dict[str, set[int]] = {k: set() for k in extra}  # found by ``present``, no rule
        for i, r in enumerate(self.rules):
            for k in r.keywords:
                by_kw.setdefault(k, set()).add(i)
        self._keywords = tuple(by_kw)
        self._rules_of = {k: frozenset(v) for k, v in by_kw.items()}
        stride = self.STRIDE
        common: dict[str, int] = {}  # trigram counts over the rules' examples
        for r in self.rules:
            for ex in (*r.examples_match, *r.examples_no_match):
                ex = ex.lower()
                for i in range(len(ex) - 2):
                    common[ex[i:i + 3]] = common.get(ex[i:i + 3], 0) + 1
        self._short = tuple(k for k in self._keywords if len(k) < stride + 2)
        filed: dict[str, list[tuple[str, int]]] = {}
        for k in self._keywords:
            if len(k) < stride + 2:
                continue
            start = min(range(len(k) - stride - 1),
                        key=lambda j: (sum(common.get(k[o:o + 3], 0) for o in range(j, j + stride)), j))
            for o in range(start, start + stride):
                filed.setdefault(k[o:o + 3], []).append((k, o))
        self._filed = {g: tuple(v) for g, v in filed.items()}
        self._grams = frozenset(self._filed)

    def present(self, lowered_text: str) -> tuple[str, ...]:
        """The keywords occurring anywhere in a whole (lowercased) text: one scan per article."""
        t = lowered_text
        grams, filed = self._grams, self._filed
        found = {k for k in self._short if k in t}
        for i in [i for i in range(0, len(t) - 2, self.STRIDE) if t[i:i + 3] in grams]:
            for k, o in filed[t[i:i + 3]]:
                if i >= o and t.startswith(k, i - o):
                    found.add(k)
        return tuple(sorted(found))  # a stable order

    def keywords_in(self, lowered: str, keywords: tuple[str, ...] | None = None) -> list[str]:
        """The keywords occurring in ``lowered`` (a unit); ``keywords`` narrows the keywords tried to
        those ``present`` in the whole article."""
        return [k for k in (self._keywords if keywords is None else keywords) if k in lowered]

    def rules_for(self, found: Iterable[str]) -> list[Rule]:
        """Rules, in order, with one of the keywords ``found`` (or with none)."""
        ids = set(self.always)
        for k in found:
            ids |= self._rules_of[k]
        return [self.rules[i] for i in sorted(ids)]


def substitute_pieces(pattern: str, pieces: Mapping[str, str], where: str) -> str:
    """``pattern`` with each ``{name}`` replaced by the named regex piece; an unknown name is an
    error naming ``where`` (the pack and rule). Shared by every YAML pack with pieces."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in pieces:
            raise ValueError(f"{where}: unknown piece {{{name}}}")
        return pieces[name]

    return _PIECE.sub(sub, pattern)


def _expand(pattern: str, pieces: dict[str, str], where: str) -> str:
    expanded = substitute_pieces(pattern, pieces, where)
    return expanded.replace(" ?", r"\s*").replace(" *", r"\s*").replace(" ", r"\s+")


def _expand_pieces(piece: str, pieces: dict[str, str]) -> str:
    """A piece with the earlier pieces it names substituted (spaces are handled in ``_expand``)."""
    return _PIECE.sub(lambda m: pieces.get(m.group(1), m.group(0)), piece)


def _as_list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [value]
    raise ValueError(f"{where}: expected a list")


def _compile_rule(raw: Any, pieces: dict[str, str], where: str) -> Rule:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: a rule must be a mapping")
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid:
        raise ValueError(f"{where}: rule without an id")
    where = f"{where}: rule {rid}"
    scope = raw.get("scope", "paragraph")
    if scope == "line":  # a feed paragraph is one line: both name the whole unit
        scope = "paragraph"
    if scope not in SCOPES:
        raise ValueError(f"{where}: scope must be one of {sorted(SCOPES)}")
    action = raw.get("action", "remove")
    if action not in ACTIONS:
        raise ValueError(f"{where}: action must be one of {sorted(ACTIONS)}")
    flag = raw.get("flag")
    if flag is not None and flag not in FLAGS:
        raise ValueError(f"{where}: unknown flag {flag!r}")
    position = raw.get("position") or {}
    if not isinstance(position, dict) or set(position) - {"first", "last", "edge", "min_before"}:
        raise ValueError(f"{where}: position takes first, last, edge or min_before")
    for key, value in [*position.items(), ("max_words", raw.get("max_words"))]:
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise ValueError(f"{where}: {key} must be a positive whole number")
    patterns = []
    for i, p in enumerate(_as_list(raw.get("patterns"), where)):
        try:
            patterns.append(re.compile(_expand(str(p), pieces, where), re.IGNORECASE | re.DOTALL))
        except re.error as exc:
            raise ValueError(f"{where}: pattern {i + 1} does not compile: {exc}") from None
    if not patterns:
        raise ValueError(f"{where}: no patterns")
    examples = raw.get("examples") or {}
    return Rule(
        id=rid,
        description=str(raw.get("description") or ""),
        languages=tuple(_as_list(raw.get("languages"), where)),
        scope=scope,
        action=action,
        patterns=tuple(patterns),
        flag=flag,
        first=position.get("first"),
        last=position.get("last"),
        edge=position.get("edge"),
        min_before=position.get("min_before"),
        after=frozenset(_as_list(raw.get("after"), where)),
        before=frozenset(_as_list(raw.get("before"), where)),
        max_words=raw.get("max_words"),
        keywords=tuple(str(k).lower() for k in _as_list(raw.get("keywords"), where)),
        examples_match=tuple(str(e) for e in _as_list(examples.get("match"), where)),
        examples_no_match=tuple(str(e) for e in _as_list(examples.get("no_match"), where)),
        source_file=where.split(":")[0],
    )


def compile_rules(packs: list[dict[str, Any]]) -> RuleSet:
    """Validate and compile parsed rule packs; raises ``ValueError`` naming the file and rule."""
    rules: list[Rule] = []
    by_id: dict[str, Rule] = {}
    slots: dict[str, list[str]] = {}
    for pack in packs:
        where = str(pack.get("__file__") or pack.get("pack") or "rule pack")
        raw_slots = pack.get("notice_slots") or {}
        if not isinstance(raw_slots, dict):
            raise ValueError(f"{where}: notice_slots must be a mapping of slot to word list")
        for slot, words in raw_slots.items():
            slots.setdefault(str(slot), []).extend(str(w) for w in _as_list(words, f"{where}: notice_slots"))
        pieces: dict[str, str] = {}
        for name, piece in (pack.get("pieces") or {}).items():
            pieces[name] = _expand_pieces(str(piece), pieces)
        for raw in _as_list(pack.get("rules"), where):
            rule = _compile_rule(raw, pieces, where)
            if rule.id in by_id:
                raise ValueError(f"{where}: duplicate rule id {rule.id}")
            by_id[rule.id] = rule
            rules.append(rule)
    rules = [_expand_family_ids(rule, by_id) for rule in rules]
    by_id = {rule.id: rule for rule in rules}
    for rule in rules:
        unknown = (rule.after | rule.before) - set(by_id)
        if unknown:
            raise ValueError(f"{rule.source_file}: rule {rule.id}: 'after'/'before' name unknown rules {sorted(unknown)}")
    return RuleSet(tuple(rules), by_id, compile_slots(slots, "notice_slots") if slots else None)


def _expand_family_ids(rule: Rule, by_id: Mapping[str, Rule]) -> Rule:
    """``after``/``before`` entries ``*.<family>`` name that family's rule in every pack
    (``*.cookie_notice``: ``en.cookie_notice``, ``it.cookie_notice``, ...), so a pack adding the
    family's wordings in its language chains to it without editing the rule that names it."""
    if not any(i.startswith("*.") for i in rule.after | rule.before):
        return rule

    def expand(ids: frozenset[str]) -> frozenset[str]:
        out: set[str] = set()
        for i in ids:
            if not i.startswith("*."):
                out.add(i)
                continue
            found = {r for r in by_id if r.endswith(i[1:])}
            if not found:
                raise ValueError(f"{rule.source_file}: rule {rule.id}: no rule of family {i!r}")
            out |= found
        return frozenset(out)

    return replace(rule, after=expand(rule.after), before=expand(rule.before))
