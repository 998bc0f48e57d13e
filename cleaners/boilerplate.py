"""Step ``boilerplate``: removes feed boilerplate found by the rule packs (``config/rules``).

Calls to subscribe, sign up for alerts, follow, support or donate to the newsroom, share the
story or send tips; share and like widgets (and the share items under their header, in every
language; a toolbar flattened into one glued line), comment widgets, comment-form debris and
invitations to comment, login and account prompts, section and tag-page links, "The post ... appeared first on ...",
"originally published on" and republishing footers, "Continue reading", related-article
headings, lists and post navigation (lists only when they close the article and look like
titles), wire sign-off codes, AI-assistant text (refusals, "Certainly! Below is a rewritten
version ...", a "Headline:" label) and unedited-feed / automated-feed / auto-generated notices.
Every removal is an ``Edit`` carrying the rule id and the rule's description; rules with
``flag: unedited_feed`` also emit evidence for that flag (the paragraph goes, the fact that it
was there stays). ``flag-only`` rules emit evidence and change nothing. Public-service lines in a
story (an emergency office's text alerts) and copyright lines are content and stay.

How rules are applied (the rule format is documented in ``cleaners.rules``):

1. The text is cut into units, one per non-blank line.
2. Each unit is tried against the rules whose keywords it contains: first as a whole (after
   unwrapping brackets and emphasis; a line still carrying markup in a plain-text feed is tried on
   its text without the tags), then, for ``sentence`` rules, a run of sentences at its end
   or start; stripping repeats while something matches, so a paragraph made of two boilerplate
   sentences goes entirely. A whole-unit match by rules chained to a heading (``after``) does not
   stop the sentence cuts: the chain may not hold. A chained rule is not tried at all below a unit
   that none of its heads (nor itself) matched: it could never hold there, and some match any line.
3. Position hints, ``after`` and ``before`` chains are checked against the units no rule matched (content),
   so a "Leave a Comment" below a share block still counts as last. A heading rule (``before``)
   whose list is right below is tried before the unit's other rules ("Keep reading" above two
   headlines heads them rather than being a lone "Continue reading" link). A rule that matched but failed
   them is a near miss (``feedscrub clean --explain``), and the unit stays.

3b. Notices no rule names (rule ids ``notice.unedited``, ``notice.translated``,
   ``notice.ai_text``, each switchable): units, or what the sentence cuts left of them, are
   split into sentences and classified by ``cleaners.notices`` from the slots the rule packs
   list under ``notice_slots`` (this text / machine-translated / generated automatically / not
   reviewed / an assistant's "verify these details"); the whole unit goes when every sentence is
   a notice, else the run of notice sentences at its end or start. They take part in positions
   like any rule (``notice.translated`` within 3 content units of an edge, ``notice.ai_text`` 2).
   A sentence running on from a flagged notice that a rule cut off the unit's start ("... by an
   automated writing engine. It was not reviewed by a journalist.") joins it the same way.

4. Edge calls (rule ``edge.cta``, switchable like any rule): short lines in the leading or
   trailing block that no rule names are scored by ``cleaners.edge_calls`` (call verbs, "you",
   the site's products, platforms, page chrome, "4,200 readers", "no spam"; reporting and quotes
   count against) and removed at ``CleanSettings.edge_call_threshold``; a line scoring at least
   half of it is a near miss. Inside the article a short line goes only at a higher score (next
   to a removed widget line, or alone: ``edge_calls.NEXT_TO_WIDGET_MARGIN`` / ``MID_MARGIN``).
   Sign-up cards: a card heading next to its removed line at an edge needs
   ``edge_calls.CARD_MARGIN`` less; a card blurb beside its removed heading goes inside the text
   (``edge_calls.is_card_blurb``).

What this step is not for: boilerplate that only one site uses and no rule names; that is
``cleaners.learned``'s job, learned from the site's own articles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from feedscrub.models import Edit, Evidence

from . import edge_calls, notices
from .pipeline import Context, StepResult
from .rules import KeywordIndex, Rule, RuleSet

__all__ = ["RemoveBoilerplate", "Unit", "find_units", "match_unit", "removal_spans", "unwrap"]

_LINE = re.compile(r"[^\n]*\S[^\n]*")
_QUOTES = re.compile(r"[\"“”„«»]")
_SENTENCE_GAP = re.compile(r"(?<=[.!?…])([\"”’»)\]]*)(\s+)")
_WRAP_EDGE = re.compile(r"^[\s*_]+|[\s*_]+$")
_PAIRS = {"(": ")", "[": "]"}
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]{0,400})?/?>")
_SPACE_BEFORE_CLOSER = re.compile(r" (?=[.,;:!?»)])")  # left where a tag before the closer went
# a marker opening a line before its words: an emoji, an arrow, a bullet, a dash ("📲 Join ...",
# "► Read also: ...", ">> Continue reading"); quotes, brackets and currency signs are not markers
_LEAD_MARK = re.compile(r"[^\w\s\"“”„‘’'«(\[¿¡#@$€£%]{1,4}\s+")
MAX_EDGE_SENTENCES = 4  # a boilerplate run glued to a paragraph is at most this many sentences
EDGE_CALL_RULE = Rule(
    id="edge.cta",
    description="Short call to action or page chrome at the article's edge, found by its features "
                "(cleaners.edge_calls)",
    languages=("en", "es", "pt", "fr", "de", "it"),
    scope="paragraph",
    action="remove",
    patterns=(),
)

# notices found by their slots (cleaners.notices), on units no rule matched; switchable by id
NOTICE_RULES = {
    "notice.unedited": Rule(
        id="notice.unedited",
        description="Notice that this text was produced or translated automatically and not reviewed "
                    "by a person, found by its parts (cleaners.notices)",
        languages=("en", "es", "pt", "fr", "de", "it"), scope="sentence", action="remove",
        patterns=(), flag="unedited_feed"),
    "notice.translated": Rule(
        id="notice.translated",
        description="Notice that this text was machine-translated, found by its parts (cleaners.notices)",
        languages=("en", "es", "pt", "fr", "de", "it"), scope="sentence", action="remove", patterns=(),
        edge=3),
    "notice.ai_text": Rule(
        id="notice.ai_text",
        description="An AI assistant telling the reader about its own text (verify these details ...), "
                    "at the article's edges, found by its parts (cleaners.notices)",
        languages=("en", "es", "pt", "fr", "de", "it"), scope="sentence", action="remove", patterns=(),
        flag="unedited_feed",
        edge=2),
}


def unwrap(s: str) -> tuple[int, int]:
    """Offsets of ``s`` without surrounding whitespace, emphasis markers, a leading marker (emoji,
    arrow, bullet, dash), a Spanish opening ¡ or ¿ and one bracket pair."""
    start, end = 0, len(s)
    if end and (s[0].isalnum() or s[0] in "\"“”„‘’'«#@$€£%") and s[-1] not in " \t\r*_":
        return start, end  # nothing to unwrap (most units): skip the regexes
    for _ in range(2):
        m = _WRAP_EDGE.match(s, start, end)
        if m:
            start = m.end()
        m = _LEAD_MARK.match(s, start, end)
        if m and m.end() < end:
            start = m.end()
        if end - start >= 3 and s[start] in "¡¿":
            start += 1  # Spanish opening mark: "¡Síguenos en redes!" is tried as "Síguenos en redes!"
        while end > start and s[end - 1] in " \t\r*_":
            end -= 1
        if end - start >= 2 and _PAIRS.get(s[start]) == s[end - 1] and _balanced(s[start + 1:end - 1]):
            start, end = start + 1, end - 1
        elif end - start >= 3 and s[end - 1] == "." and _PAIRS.get(s[start]) == s[end - 2] \
                and _balanced(s[start + 1:end - 2]):
            start, end = start + 1, end - 2  # "(...)."
        else:
            break
    return start, end


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


@dataclass(slots=True)
class Unit:
    """One non-blank line of the text: ``text[start:end]``."""

    start: int
    end: int
    whole: tuple[Rule, str] | None = None  # the rule taking the whole unit, and the matched text
    candidates: list[tuple[Rule, str]] = field(default_factory=list)  # every rule matching it all
    cuts: list[tuple[Rule, int, int]] = field(default_factory=list)  # partial matches: offsets in text
    content: bool = True


def find_units(text: str) -> list[Unit]:
    return [Unit(m.start(), m.end()) for m in _LINE.finditer(text)]


def _try_whole(rules: list[Rule], text: str, start: int, end: int) -> list[tuple[Rule, str]]:
    """Every rule matching all of ``text[start:end]`` (unwrapped), in rule order.

    A line still carrying markup (a ``text/plain`` feed that ships ``<p>The post <a ...>...</a>
    appeared first on ...</p>``) is matched on its text, tags left out."""
    a, b = unwrap(text[start:end])
    inner = text[start + a:start + b]
    if "<" in inner and _TAG.search(inner):
        bare = " ".join(_TAG.sub(" ", inner).split())
        bare = _SPACE_BEFORE_CLOSER.sub("", bare)  # "... <a>Valley Bulletin</a>." -> "... Bulletin."
        a, b = unwrap(bare)
        inner = bare[a:b]
    if not inner:
        return []
    return [(rule, inner) for rule in rules if rule.fullmatch(inner)]


def match_unit(rules: list[Rule] | KeywordIndex, text: str, start: int, end: int,
               keywords: tuple[str, ...] | None = None, prev_ids: frozenset[str] | None = None
               ) -> tuple[list[tuple[Rule, str]], list[tuple[Rule, int, int]]]:
    """Match one unit: the rules that take all of it, else the sentence runs cut at its edges.

    Returns ``(whole, cuts)``; ``whole`` lists ``(rule, matched text)`` for every rule that takes
    the unit entirely (possibly after cuts), ``cuts`` the partial matches as ``(rule, start, end)``
    in ``text``. Positions are not checked here. ``prev_ids``: the ids of the rules matching the
    unit before (None: unknown); a rule chained to others (``after``) is not tried unless one of
    them, or the rule itself, is among them, since it could never hold.
    """
    index = rules if isinstance(rules, KeywordIndex) else KeywordIndex(rules)
    hits = frozenset(index.keywords_in(text[start:end].lower(), keywords))
    candidates = index.rules_for(hits)
    if prev_ids is not None:
        candidates = [r for r in candidates
                      if not r.after or r.id in prev_ids or not r.after.isdisjoint(prev_ids)]
    if not candidates:
        return [], []
    cuts: list[tuple[Rule, int, int]] = []
    sentence_rules = [r for r in candidates if r.scope == "sentence"]
    lo, hi = start, end
    chained: list[tuple[Rule, str]] = []
    for _ in range(6):
        whole = _try_whole(candidates, text, lo, hi)
        if whole and any(not r.after for r, _ in whole):
            return whole, cuts  # (after cuts: the rest went too; the cuts become part of the whole)
        if whole and lo == start and hi == end:
            # only rules chained to a heading ("after") take the whole line: they hold only after
            # that heading, so the sentence cuts are still needed when it is not there
            chained = whole
        if not sentence_rules:
            break
        cut = _cut_edge(sentence_rules, text, lo, hi, hits)
        if not cut:
            break
        _, a, b = cut
        cuts.append(cut)
        if a == lo:
            lo = b
            while lo < hi and text[lo].isspace():
                lo += 1
        else:
            hi = a
            while hi > lo and text[hi - 1].isspace():
                hi -= 1
        if lo >= hi:
            break
    return chained, cuts


def _cut_edge(rules: list[Rule], text: str, lo: int, hi: int,
              hits: frozenset[str]) -> tuple[Rule, int, int] | None:
    """A run of whole sentences at the end (tried first) or the start of ``text[lo:hi]``.

    ``hits``: the keywords found in the whole unit; no other keyword can occur in a part of it, so
    no other is searched for."""
    gaps = list(_SENTENCE_GAP.finditer(text, lo, hi))
    if not gaps:
        return None
    lowered = text[lo:hi].lower()
    # where each rule's keywords occur: a suffix from offset o holds one iff the last occurrence
    # starts at o or later, a prefix up to e iff the first one ends by e (one search per keyword,
    # instead of one per keyword and sentence run)
    reach: list[tuple[Rule, int, int]] = []  # (rule, last keyword start, first keyword end)
    for r in rules:
        if not r.keywords:
            reach.append((r, len(lowered), 0))
            continue
        last, first = -1, len(lowered) + 1
        for k in r.keywords:
            if k not in hits:
                continue
            i = lowered.rfind(k)
            if i >= 0:
                last = max(last, i)
                first = min(first, lowered.find(k) + len(k))
        if last >= 0:
            reach.append((r, last, first))
    if not reach:
        return None
    for g in gaps[-MAX_EDGE_SENTENCES:]:  # suffixes, longest first
        o = g.end() - lo
        rules_here = [r for r, last, _ in reach if last >= o]
        if not rules_here:
            continue
        s = g.end()
        hit = _try_whole(rules_here, text, s, hi)
        if hit:
            return hit[0][0], s, hi
    for g in reversed(gaps[:MAX_EDGE_SENTENCES]):  # prefixes, longest first
        e = g.end(1)
        rules_here = [r for r, _, first in reach if first <= e - lo]
        if not rules_here:
            continue
        hit = _try_whole(rules_here, text, lo, e)
        if hit:
            return hit[0][0], lo, e
    return None


class RemoveBoilerplate:
    """Applies the compiled rule packs in ``ctx.resources.rules`` (a ``RuleSet``)."""

    name = "boilerplate"

    def __init__(self) -> None:
        # one keyword index per (rule set, enabled rules): built once, reused for every article
        self._indexes: dict[tuple[int, frozenset[str]], tuple[RuleSet, KeywordIndex]] = {}

    def _index(self, ruleset: RuleSet, ctx: Context) -> KeywordIndex:
        source = ctx.document.source
        off = frozenset(r.id for r in ruleset.rules if not ctx.settings.rule_enabled(r.id, source))
        key = (id(ruleset), off)
        cached = self._indexes.get(key)
        if cached is not None and cached[0] is ruleset:
            return cached[1]
        if len(self._indexes) > 64:
            self._indexes.clear()
        extra = ruleset.notices.keywords if ruleset.notices is not None else ()
        index = KeywordIndex([r for r in ruleset.rules if r.id not in off], extra)
        self._indexes[key] = (ruleset, index)  # the rule set is kept alive, so its id stays unique
        return index

    def __call__(self, text: str, ctx: Context) -> StepResult:
        ruleset: RuleSet | None = getattr(ctx.resources, "rules", None)
        if not ruleset or not text.strip():
            return StepResult(text)
        index = self._index(ruleset, ctx)
        present = index.present(text.lower())  # one keyword scan per article, then per unit
        units = find_units(text)
        prev_ids: frozenset[str] = frozenset()
        for u in units:
            # a chained rule (``after``) can only hold right below a unit one of its heads matched:
            # that cheap check comes before its regex (en.press_release_note matches any line)
            u.candidates, u.cuts = match_unit(index, text, u.start, u.end, present, prev_ids)
            # (a sentence cut off its end counts too: "... Become a member today." above "Join now")
            prev_ids = frozenset([*(r.id for r, _ in u.candidates), *(r.id for r, _, b in u.cuts if b >= u.end)])
        if ruleset.notices is not None:
            enabled = {rid for rid in NOTICE_RULES if ctx.settings.rule_enabled(rid, ctx.document.source)}
            if enabled:
                hints = [k for k in present if k in ruleset.notices.keywords]
                if hints:
                    _find_notices(text, units, ruleset.notices, enabled, hints)
        near: list[Evidence] = []
        self._resolve(text, units, near)
        if ctx.settings.rule_enabled(EDGE_CALL_RULE.id, ctx.document.source):
            _edge_calls(text, units, near, ctx.settings.edge_call_threshold)
        return self._apply(text, units, near)

    @staticmethod
    def _resolve(text: str, units: list[Unit], near: list[Evidence]) -> None:
        """Pick each unit's rule: the first candidate whose position and ``after`` hold.

        Positions count content units (those no candidate takes); a unit whose candidates all
        fail becomes content and the count is redone (at most four rounds); when a heading falls
        back to another of its rules, the lines after it that had become content are tried again.
        Failures and cuts that fail their position are near misses.
        """
        for u in units:
            u.content = not u.candidates
        picked: list[str | None] = [None] * len(units)  # each unit's rule in the previous round
        for _ in range(4):
            total = sum(u.content for u in units)
            changed = False
            seen = 0
            for i, u in enumerate(units):
                u.whole = None
                if u.candidates and not u.content:
                    prev = units[i - 1] if i else None
                    headless: list[Rule] = []  # headings whose list stayed content: not tried again
                    for rule, matched in _heads_first(u.candidates, units, i):
                        ok = rule.position_ok(seen, total - seen)
                        if ok and rule.after:
                            ok = bool(prev and prev.whole and (prev.whole[0].id in rule.after
                                                               or prev.whole[0].id == rule.id))
                            # ... or the unit above ends with a sentence a head cut off ("Independent
                            # journalism costs money. Become a member today." over "Join now")
                            ok = ok or bool(prev and prev.whole is None and any(
                                r.id in rule.after and b >= prev.end for r, _, b in prev.cuts))
                        if ok and rule.before:
                            # a heading with nothing it heads is content ("See also" + a kept list)
                            nxt = units[i + 1] if i + 1 < len(units) else None
                            ok = nxt is None or (not nxt.content and any(
                                r.id in rule.before for r, _ in nxt.candidates))
                            if not ok:
                                headless.append(rule)
                        if ok:
                            u.whole = (rule, matched)
                            break
                    if u.whole is not None and headless:
                        u.candidates = [c for c in u.candidates if c[0] not in headless]
                    if u.whole is None:
                        u.content = True
                        changed = True
                seen += u.content
            for i, u in enumerate(units):
                rid = u.whole[0].id if u.whole else None
                if picked[i] is not None and rid is not None and rid != picked[i]:
                    # a heading that fell back to another rule ("More from X:" closing the text,
                    # then anywhere) gives the lines chained to it another chance; the rule it left
                    # is not tried again, or reopening those lines would bring it back (a loop)
                    u.candidates = [c for c in u.candidates if c[0].id != picked[i]]
                    j = i + 1
                    while j < len(units) and units[j].candidates and units[j].content:
                        units[j].content = False
                        changed = True
                        j += 1
                picked[i] = rid
            if not changed:
                break
        seen = 0
        total = sum(u.content for u in units)
        for u in units:
            if u.candidates and u.whole is None:
                # chained rules (``after``) would match every short line: not worth reporting
                for rule, matched in u.candidates:
                    if not rule.after:
                        near.append(Evidence(rule.id, f"{matched[:160]} [failed position]"))
                        break
            after_me = total - seen - (1 if u.content else 0)
            kept = []
            if u.whole is None:
                for cut in u.cuts:
                    rule = cut[0]
                    if rule.position_ok(seen, after_me) and not rule.after:
                        kept.append(cut)
                    else:
                        near.append(Evidence(rule.id, f"{text[cut[1]:cut[2]][:160]} [failed position]"))
            else:
                kept = u.cuts
            u.cuts = kept
            seen += u.content

    @staticmethod
    def _apply(text: str, units: list[Unit], near: list[Evidence]) -> StepResult:
        spans: list[tuple[int, int, Rule, str]] = []  # (start, end, rule, reason)
        evidence: list[tuple[str, Evidence]] = []
        group: list[tuple[Unit, Any, str]] = []  # consecutive whole units being removed
        for i, u in enumerate(units):
            if u.whole:
                rule, matched = u.whole
                for cut in u.cuts:  # sentences stripped before the rest matched
                    _note(evidence, cut[0], text[cut[1]:cut[2]])
                _note(evidence, rule, matched)
                if rule.action == "remove":
                    also = sorted({c[0].id for c in u.cuts} - {rule.id})
                    reason = f"boilerplate: {rule.description}".strip()
                    if also:
                        reason += f" (with {', '.join(also)})"
                    group.append((u, rule, reason))
                    nxt = units[i + 1] if i + 1 < len(units) else None
                    if nxt is None or not (nxt.whole and nxt.whole[0].action == "remove"):
                        spans.extend(_group_spans(text, group))
                        group = []
                continue
            for rule, a, b in u.cuts:
                _note(evidence, rule, text[a:b])
                if rule.action != "remove":
                    continue
                if b >= u.end:  # a trailing run: take the space before it
                    while a > u.start and text[a - 1].isspace():
                        a -= 1
                else:
                    while b < u.end and text[b].isspace():
                        b += 1
                spans.append((a, b, rule, f"boilerplate: {rule.description}".strip()))
        if not spans:
            return StepResult(text, evidence=evidence, near_misses=near)
        spans.sort(key=lambda s: (s[0], s[1]))
        out: list[str] = []
        edits: list[Edit] = []
        pos = 0
        for start, end, rule, reason in spans:
            start = max(start, pos)
            if end <= start:
                continue
            out.append(text[pos:start])
            edits.append(Edit(rule.id, start, end, text[start:end], "", reason))
            pos = end
        out.append(text[pos:])
        return StepResult("".join(out), edits=edits, evidence=evidence, near_misses=near)


def _heads_first(candidates: list[tuple[Rule, str]], units: list[Unit], i: int) -> list[tuple[Rule, str]]:
    """Unit ``i``'s candidates in the order they are tried: a heading rule (``before``) whose list
    is right below it first, so "Keep reading" above two headlines takes them with it instead of
    going alone as a "Keep reading" link; otherwise rule order."""
    nxt = units[i + 1] if i + 1 < len(units) else None
    if nxt is None or nxt.content or not any(r.before for r, _ in candidates):
        return candidates
    below = {r.id for r, _ in nxt.candidates}
    heads = [c for c in candidates if c[0].before and not c[0].before.isdisjoint(below)]
    if not heads:
        return candidates
    return heads + [c for c in candidates if not any(c is h for h in heads)]


def _find_notices(text: str, units: list[Unit], slots: notices.NoticeSlots, enabled: set[str],
                  hints: list[str]) -> None:
    """Notices no rule named, by their slots: the whole unit when every sentence is one, else
    the run of notice sentences at its end or start (``cleaners.notices``). ``hints``: the
    slots' keywords present in the article."""
    trigger = slots.trigger
    if trigger is None:
        return
    for u in units:
        # (rules chained to a heading match any line: they do not count here)
        if any(not r.after for r, _ in u.candidates):
            continue
        lo, hi = u.start, u.end  # what the rules' sentence cuts left
        for _, c0, c1 in sorted(u.cuts, key=lambda c: c[1]):
            if not text[lo:c0].strip():
                lo = max(lo, c1)
        for _, c0, c1 in sorted(u.cuts, key=lambda c: -c[2]):
            if not text[c1:hi].strip():
                hi = min(hi, c0)
        if hi <= lo:
            continue
        # a rule cut a flagged notice off the start ("This story was produced by an automated
        # writing engine ..."): what follows it may run on ("It was not reviewed by a journalist.")
        lead = any(r.flag == "unedited_feed" and r.action == "remove" and c1 <= lo and not text[c1:lo].strip()
                   for r, _, c1 in u.cuts)
        lowered = text[lo:hi].lower()
        if not lead and (not any(k in lowered for k in hints) or not trigger.search(text, lo, hi)):
            continue
        a, b = unwrap(text[lo:hi])
        base = lo + a
        inner = text[base:lo + b]
        spans = notices.split_sentences(inner)
        kinds: list[str | None] = []
        for s0, s1 in spans:
            found = notices.classify(inner[s0:s1], slots)
            kinds.append(found[0] if found and found[0] in enabled else None)
        if lead and spans and kinds[0] is None:
            sent = inner[spans[0][0]:spans[0][1]]
            if notices.runs_on_unreviewed(sent, slots):
                kinds[0] = "notice.unedited" if "notice.unedited" in enabled else None
            elif (slots.has("ai_meta", sent) or slots.has("ai_directive", sent)) and not _QUOTES.search(sent) \
                    and not slots.has("reported", sent) and sent.count(" ") < notices.RUN_ON_MAX_WORDS:
                kinds[0] = "notice.ai_text" if "notice.ai_text" in enabled else None
        for k in range(1, len(spans)):
            # an assistant's caveat runs on: "Please note that this article is based on general
            # knowledge ... For accurate information, please contact the library directly."
            if kinds[k] is None and kinds[k - 1] == "notice.ai_text":
                sent = inner[spans[k][0]:spans[k][1]]
                if (slots.has("ai_meta", sent) or slots.has("ai_directive", sent)) and not _QUOTES.search(sent) \
                        and not slots.has("reported", sent):
                    kinds[k] = "notice.ai_text"
        for k in range(1, len(spans)):
            # a notice runs on: "This item is distributed automatically from our wire partners. It
            # has not been reviewed or edited by our journalists." (the second sentence says so
            # of the text the first one named; with a translation notice, the pair is unedited)
            if kinds[k] is None and kinds[k - 1] in ("notice.unedited", "notice.translated") \
                    and notices.runs_on_unreviewed(inner[spans[k][0]:spans[k][1]], slots):
                kinds[k] = "notice.unedited" if "notice.unedited" in enabled else kinds[k - 1]
                if kinds[k] == "notice.unedited" and kinds[k - 1] == "notice.translated":
                    kinds[k - 1] = "notice.unedited"
        if not any(kinds):
            continue
        if all(kinds):
            kind = next((k for k in kinds if k and NOTICE_RULES[k].flag), kinds[0])
            u.candidates.insert(0, (NOTICE_RULES[kind or "notice.unedited"], inner))
            continue
        i = len(spans)
        while i > 0 and kinds[i - 1]:
            i -= 1
        for j in range(i, len(spans)):  # a trailing run
            u.cuts.append((NOTICE_RULES[kinds[j] or ""], base + spans[j][0], base + spans[j][1]))
        j = 0
        while j < i and kinds[j]:  # a leading run
            u.cuts.append((NOTICE_RULES[kinds[j] or ""], base + spans[j][0], base + spans[j][1]))
            j += 1


def _edge_calls(text: str, units: list[Unit], near: list[Evidence], threshold: float) -> None:
    """Take short calls to action off the leading and trailing blocks (``cleaners.edge_calls``).

    Walks in from each edge over units already removed and units scoring at least ``threshold``;
    the first other content unit ends the block. Inside the article a short line goes only at a
    higher score (``edge_calls.NEXT_TO_WIDGET_MARGIN`` / ``MID_MARGIN``), never with reporting. At least ``MIN_CONTENT_LEFT`` content units stay,
    and the lines taken are at most ``MAX_SHARE`` of the article's words (else none is taken).
    A unit a rule cut a sentence off is scored on what the cut left, and goes whole if that is a
    call too (a sign-up blurb whose "Unsubscribe anytime." was cut needs only ``is_card_blurb``).
    """
    content = sum(u.content for u in units)
    taken: list[tuple[Unit, str]] = []
    for order in (range(len(units) - 1, -1, -1), range(len(units))):
        scored = 0
        card = False  # the unit before this one (towards the edge) is a removed sign-up line
        for i in order:
            u = units[i]
            if u.whole is not None or any(u is t for t, _ in taken):
                card = u.whole is not None and bool(edge_calls.CARD_RULES.search(u.whole[0].id))
                continue  # boilerplate already: the block goes on
            if not u.content or scored >= edge_calls.MAX_PER_EDGE:
                break
            if order.step < 0 and _under_furniture(text, units, i):
                continue  # a kept card's one-line tail ("Written by Ana Ruiz" / "Reporter. Coffee.")
            if u.cuts:
                # a rule cut a sentence off this unit ("... in your inbox. No spam. Unsubscribe
                # anytime."): what it left is scored, and the unit goes whole if that is a call too
                if any(r.action != "remove" for r, _, _ in u.cuts):
                    break
                inner = _left_by_cuts(text, u).strip()
                if not inner:
                    break
            else:
                a, b = unwrap(text[u.start:u.end])
                inner = text[u.start + a:u.start + b]
            if not inner or inner.count(" ") >= edge_calls.MAX_WORDS or content <= edge_calls.MIN_CONTENT_LEFT:
                break
            scored += 1
            score, feats = edge_calls.score_call(inner)
            if u.cuts and any(edge_calls.CARD_RULES.search(r.id) for r, _, _ in u.cuts) \
                    and edge_calls.is_card_blurb(inner):
                score = max(score, threshold)  # a sign-up card's blurb whose small print was cut
            need = threshold
            if card and inner.count(" ") < edge_calls.CARD_MAX_WORDS and not edge_calls.is_safety(inner):
                need = threshold - edge_calls.CARD_MARGIN  # a sign-up card's heading
                if edge_calls.is_card_heading(inner):
                    score = max(score, need)  # ... naming the product: "The Harbour Courier weekly"
            if card and edge_calls.is_card_blurb(inner):
                # the card's blurb ("Local news, every Friday. Free, straight to your inbox."):
                # taken here, so the card's heading above it is still reached
                score = max(score, need)
            card = False
            if score < need:
                if score >= threshold / 2:
                    near.append(Evidence(EDGE_CALL_RULE.id, f"{inner[:160]} [score {score:.1f}: "
                                                            f"{', '.join(feats)}]"))
                break
            taken.append((u, inner))
            card = True
            content -= 1
    for i, u in enumerate(units):  # inside the article: a higher bar
        if u.whole is not None or not u.content or u.cuts or any(u is t for t, _ in taken):
            continue
        if content <= edge_calls.MIN_CONTENT_LEFT:
            break
        a, b = unwrap(text[u.start:u.end])
        inner = text[u.start + a:u.start + b]
        if not inner or inner.count(" ") >= edge_calls.MAX_WORDS:
            continue
        signup_next = any(w is not None and w[0].action == "remove" and edge_calls.CARD_RULES.search(w[0].id)
                          for w in (units[j].whole for j in (i - 1, i + 1) if 0 <= j < len(units)))
        if signup_next and edge_calls.is_card_blurb(inner):
            # a sign-up card's blurb beside its removed heading: "Independent local news from Port
            # Alder, free every Tuesday and Friday."
            taken.append((u, inner))
            content -= 1
            continue
        lowered = inner.lower()
        if not any(h in lowered for h in edge_calls.MID_HINTS) or any(q in inner for q in "\"“”„«»"):
            continue
        score, feats = edge_calls.score_call(inner)
        if score < threshold or "reporting" in feats or "quote" in feats:
            continue
        widget = any(w is not None and w[0].action == "remove"
                     for w in (units[j].whole for j in (i - 1, i + 1) if 0 <= j < len(units)))
        need = threshold + (edge_calls.NEXT_TO_WIDGET_MARGIN if widget else edge_calls.MID_MARGIN)
        if score < need:
            near.append(Evidence(EDGE_CALL_RULE.id, f"{inner[:160]} [score {score:.1f} inside the "
                                                    f"article, needs {need:.1f}: {', '.join(feats)}]"))
            continue
        taken.append((u, inner))
        content -= 1
    if not taken:
        return
    words = sum(text[u.start:u.end].count(" ") + 1 for u in units if u.content or u.whole is None)
    if sum(inner.count(" ") + 1 for _, inner in taken) > edge_calls.MAX_SHARE * words:
        for _, inner in taken:
            near.append(Evidence(EDGE_CALL_RULE.id, f"{inner[:160]} [too much of a short article]"))
        return
    for u, inner in taken:
        a, b = unwrap(text[u.start:u.end])
        u.whole = (EDGE_CALL_RULE, text[u.start + a:u.start + b] if u.cuts else inner)
        u.cuts = []
        u.content = False


def _under_furniture(text: str, units: list[Unit], i: int) -> bool:
    """Unit ``i`` is a short line right below a kept page-furniture line (``action: keep``: an
    author card, a copyright line) with nothing but edge lines below it: the card's tail (a
    one-line bio), not the article, so the walk from the bottom edge goes on past it."""
    prev = units[i - 1] if i else None
    if prev is None or prev.whole is None or prev.whole[0].action != "keep" or units[i].cuts:
        return False
    if any(v.content for v in units[i + 1:]):
        return False
    line = text[units[i].start:units[i].end]
    return line.count(" ") < 8 and not edge_calls.is_safety(line) and not any(q in line for q in "\"“”„«»")


def _left_by_cuts(text: str, u: Unit) -> str:
    """What the sentence cuts leave of unit ``u``."""
    out, pos = [], u.start
    for _, a, b in sorted(u.cuts, key=lambda c: c[1]):
        out.append(text[pos:max(pos, a)])
        pos = max(pos, b)
    out.append(text[pos:u.end])
    return " ".join(x.strip() for x in out if x.strip())


def removal_spans(text: str, units: list[Unit], removed: list[tuple[int, Any, str]]
                  ) -> list[tuple[int, int, Any, str]]:
    """Spans removing whole units ``(index into units, label, reason)``, runs sharing separators."""
    spans: list[tuple[int, int, Any, str]] = []
    group: list[tuple[Unit, Any, str]] = []
    for k, (i, label, reason) in enumerate(removed):
        group.append((units[i], label, reason))
        if k + 1 == len(removed) or removed[k + 1][0] != i + 1:
            spans.extend(_group_spans(text, group))
            group = []
    return spans


def _group_spans(text: str, group: list[tuple[Unit, Any, str]]) -> list[tuple[int, int, Any, str]]:
    """Spans removing a run of consecutive units with one of the separators around the run.

    The larger separator is kept, so taking "Share this:" off the end of a paragraph block keeps
    the blank line before the next paragraph; at the end of the text the run takes everything
    after the last content.
    """
    n = len(text)
    first, last = group[0][0], group[-1][0]
    prev_end = first.start
    while prev_end > 0 and text[prev_end - 1].isspace():
        prev_end -= 1
    next_start = last.end
    while next_start < n and text[next_start].isspace():
        next_start += 1
    pre, post = text[prev_end:first.start], text[last.end:next_start]
    keep_post = next_start < n and prev_end > 0 and post.count("\n") > pre.count("\n")
    out = []
    for k, (u, rule, reason) in enumerate(group):
        if keep_post or next_start == n:  # take the separator before each unit
            start = prev_end if k == 0 else group[k - 1][0].end
            end = n if (next_start == n and k == len(group) - 1) else u.end
        else:  # take the separator after each unit
            start = u.start
            end = next_start if k == len(group) - 1 else group[k + 1][0].start
        out.append((start, end, rule, reason))
    return out


def _note(evidence: list[tuple[str, Evidence]], rule: Rule, matched: str) -> None:
    if rule.flag:
        evidence.append((rule.flag, Evidence(rule.id, matched.strip()[:300], 1.0)))
