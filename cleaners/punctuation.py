"""Step ``punctuation``: repair punctuation broken by translation tools and link stripping.

Each rule is conservative: it acts only on a pattern that professional copy does not produce,
and leaves anything ambiguous alone. Rules (ids usable in ``disabled_rules``):

- ``punct.stray_closer``: a closing bracket with no opener. After a closed parenthesis it is a
  doubled closer: ``(no verifiable number). ) – and`` → ``(no verifiable number) – and`` when
  the sentence goes on, ``(… commerce). ) Some`` → ``(… commerce). Some`` when a new one starts;
  ``(which had promised action)) said`` → ``(… action) said``; two closers and no opener
  (``launched in 2023)), whose``) both go.
  Alone it goes only when it stands apart (``word )``): ``a)`` and ``1)`` enumerations stay.
- ``punct.unclosed_open``: an opening parenthesis never closed in its paragraph, holding at most
  four capitalised words, acronyms or figures before a comma or full stop: ``Agency (Aemet, do``
  → ``Agency (Aemet), do``. Longer run-ons are left alone (too uncertain to close). An opener
  followed by a space and a lowercase clause that never closes is dropped: ``rains ( segundo
  researchers`` → ``rains segundo researchers``.
- ``punct.empty_brackets``: ``()``, ``( )``, ``[]``, ``[ ]`` standing apart from a word go, with
  one space. ``push()`` (code) stays.
- ``punct.space_before``: ``next year .`` → ``next year.``, ``the 1990s .`` → ``the 1990s.``,
  ``before 2031 .`` → ``before 2031.``, ``40% ,`` → ``40%,`` (not before another figure: ``1 , 2``),
  ``since 2014 ,"`` → ``since 2014,"`` (before a closing quote or bracket), ``(IDB) ,`` →
  ``(IDB),`` (after an aside closed on its line), ``rained ,`` → ``rained,`` after a word of a sentence (six words or more on the line: ``open .``
  is a command); after a closing quote too (``the “car” .`` → ``the “car”.``, and ``” :`` →
  ``”:`` in English text only); ``the council ,and`` → ``the council, and`` (English text); and ``(if enough are found. )`` → ``(if enough are found.)``, ``(… since 2021. )`` → ``(… since 2021.)``
  before the closer of a matched parenthesis, whatever the line. Ellipses stay. A space before
  ``;:!?`` after a word (French typography carried into a translation: ``the buildings ?``,
  ``the plan ; the``, ``declared :``) goes in English text only, after three words or more on the line,
  and never inside guillemets (``« Liberté ! »``) or before an emoticon's bracket (`` ;)``).
- ``punct.space_inside``: spaces on both sides just inside a short parenthesis (at most six words, starting
  with a letter or figure) go: ``vehicles ( the rodízio ) during`` → ``vehicles (the rodízio)
  during``, ``R$ 30 ( full )`` → ``R$ 30 (full)``. Square brackets (editorial) and smileys stay.
- ``punct.double_space``: two or more spaces between words become one (indentation stays).
- ``punct.glued_words``: ``laborMinister`` → ``labor Minister``: a lowercase word glued to a
  capitalised one where a link was stripped, only when both halves are English words and the
  whole is not, and it is the text's only camelCase word (identifiers in technical prose come
  in crowds: scriptError, asInt). ``iPhone``, ``eBay``, ``YouTube``, ``McDonald``,
  ``PhD``, ``deGrom``, ``getValue`` stay.

Text that carries source code (braces, ``=>``, ``==``, ``();``, ``def``/``func``/``const``...)
is left entirely alone: identifiers such as ``setTimeout`` and ``x = []`` are not damage.

Editorial brackets are never touched: ``[…]``, ``[...]``, ``[sic]``, ``[the minister]``.
Offsets of every ``Edit`` index the text the step received.
"""

from __future__ import annotations

import re

from feedscrub.models import Edit

from .pipeline import Context, StepResult

__all__ = ["RepairPunctuation", "repair_punctuation"]

_CLOSE = {")": "(", "]": "["}
_EMPTY = re.compile(r"(?<=\s)(?:\(\s*\)|\[\s*\])")
_SPACE_BEFORE = re.compile(r"(?<=[^\W_][^\W\d_])[ \t]+([.,])(?=\s|$|[\"”’)\]])")
# ... and after a figure or a percentage ending a clause: "before 2031 .", "more than 40% ." (not
# "1 , 2 , 3" or "3 . 5": a figure after the mark means a list or a decimal)
# ("version 2 . and the next": a full stop after a figure must end the sentence); a comma may end
# a quotation: '"since 2014 ," said' -> '"since 2014," said' (not "1 ,000": a figure after it)
_SPACE_BEFORE_FIGURE = re.compile(
    r"(?:(?<=\d)|(?<=\d%))[ \t]+([.,])"
    r"(?:(?<=,)(?=\s|$|[\"”’)\]])(?![ \t]*\d)|(?<=\.)(?=[ \t]*$|[ \t]+[A-Z\"“‘(]|[\"”’)\]]))",
    re.MULTILINE,
)
# ... and after a closing parenthesis that ends an aside: "the Development Bank (IDB) , which"
# (a word, figure or stop inside it: not a smiley's ":)")
_SPACE_AFTER_PARENTHESIS = re.compile(r"(?<=[\w%.!?][)])[ \t]+([.,])(?=\s|$|[\"”’])")
# ... and after a closing quote that ends a word or a sentence: 'the “car” .', 'observation” ,'
# (colon and semicolon only in English text: French typography puts a space before them)
_SPACE_AFTER_QUOTE = re.compile(r"(?<=[\w.,!?…][”’\"“»«])[ \t]+([.,:;])(?=\s|$)")
# ... and before "?!;:" after a word, in English text only: French typography ("plan ; the", "buildings
# ?") carried into a translation. Not before an emoticon's bracket (" ;)"), not inside guillemets (a
# French quotation: « Liberté ! »), not after a figure ("3 : 1")
_SPACE_BEFORE_HIGH = re.compile(r"[ \t\u00a0\u202f]+([?!]{1,3}|[;:])(?=\s|$|[\"”’]|(?<=[?!])[)\]])")
# a comma pushed off its word onto the next one: "the council ,and the works" -> "council, and"
_COMMA_ON_NEXT = re.compile(r"(?<=[^\W\d_])[ \t]+,(?=[^\W\d_]{2})")
SPACE_BEFORE_MIN_WORDS = 6
SPACE_BEFORE_HIGH_MIN_WORDS = 3  # "open ." alone on a line is a shell command, not a sentence
_DOUBLE_SPACE = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")
_GLUED = re.compile(r"(?<![\w@#/.\-])([a-z]{2,})([A-Z][a-z]{2,})(?![\w@/\-(:]|\.\w)")
# name particles (deGrom) and the verbs and prefixes of programmers' identifiers (getValue, myEvent)
_GLUE_PREFIXES = frozenset(
    str.split(
        "de di da du la le mc mac van von al el ibn bin ben get set is has my on to as run do can "
        "should with new old max min num str int add remove update create delete handle init load "
        "save read write parse find check use make build show hide open close start stop enable "
        "disable evaluate policy target external internal node user item data file"
    )
)
# brands written in camelCase whose halves are English words
GLUED_BRANDS = frozenset(
    str.split(
        "easyjet airbaltic thescore jetblue easyhotel easycar smartwater thinkpad worldremit upwork bookshop"
    )
)
GLUED_MIN_FREQ = 1e-5  # both halves common English words (labor, minister)
GLUED_MAX_PER_TEXT = 1
_CAMEL = re.compile(r"(?<![\w.])[a-z]{2,}[A-Z]\w*")
_UNCLOSED_BODY = re.compile(r"\(((?:[A-Z0-9][\w.&%'’\-]*\s?){1,4})(?=[,.;])")

_CODE = re.compile(
    r"[{}]|=>|==|!=|&&|\|\||\(\);|=\[|\$[\w(]|#<|</?\w+>|#include|"
    r"\b(?:def|func|function)\s+\w+\(|\b(?:const|let|var)\s+\w+\s*=|"
    r"\breturn\b[^.\n]*;|^(?:import|from)\s+[\w.]+(?:\s+import)?\s*$",
    re.M,
)
CODE_MIN_HITS = 2


def _english(word: str) -> float:
    from .foreign import english_frequency  # shares the foreign step's word lists

    return english_frequency(word.lower())


_Candidate = tuple[int, int, str, str, str]  # start, end, after, rule, reason


_STRAY_OPEN = re.compile(r"\( (?=[^\W\d_A-Z]*[a-zß-ÿ])(?=[^\W\d_])")


def _brackets(text: str) -> list[_Candidate]:
    """Stray closers and unclosed openers, paragraph by paragraph."""
    out: list[_Candidate] = []
    para_start = 0
    for para in re.split(r"(?<=\n)(?=\n)", text):  # blank-line paragraphs; "\n" may be a soft wrap
        stack: list[tuple[str, int]] = []
        matched_close: set[int] = set()
        for k, ch in enumerate(para):
            if ch in "([":
                stack.append((ch, k))
            elif ch in ")]":
                if stack and stack[-1][0] == _CLOSE[ch]:
                    _, o = stack.pop()
                    matched_close.add(k)
                    if ch == ")":
                        out.extend(_inner_spaces(para, o, k, para_start))
                    j = k
                    while j > 0 and para[j - 1] in " \t":
                        j -= 1
                    if j < k and j >= 3 and para[j - 1] in ".!?" and para[j - 2].isalnum() \
                            and para[j - 3].isalnum():  # "(if enough are found. )", "(… since 2021. )"
                        out.append((para_start + j, para_start + k, "", "punct.space_before",
                                    "space before a closing bracket"))
                elif ch == ")" or (k and para[k - 1].isspace()):
                    out.extend(_stray(para, k, matched_close, para_start))
        for ch, k in stack:
            if ch == "(":
                m = _UNCLOSED_BODY.match(para, k)
                if m and ")" not in para[k:]:
                    pos = para_start + m.end(1)
                    body_end = pos - (1 if para[m.end(1) - 1] == " " else 0)
                    out.append((body_end, pos, ")", "punct.unclosed_open", "parenthesis never closed"))
                elif _STRAY_OPEN.match(para, k):  # left on the stack: nothing closes it
                    # "rains ( segundo researchers": "( " opening a lowercase clause that never
                    # closes is a translation tool's debris, not an aside
                    out.append((para_start + k, para_start + k + 2, "", "punct.unclosed_open",
                                "stray opening parenthesis before a clause that never closes"))
        para_start += len(para)
    return out


# "rotation of vehicles ( the rodízio ) during", "R$ 30 ( full ) and": spaces just inside a short
# parenthesis, as translation tools leave them; edited copy writes "(full)"
_INNER = re.compile(r"[^\W_][\w .,'’%/-]*")
INNER_MAX_WORDS = 6


def _inner_spaces(para: str, o: int, k: int, base: int) -> list[_Candidate]:
    inner = para[o + 1 : k]
    body = inner.strip(" \t")
    if not body or body == inner or "\n" in inner or len(body.split()) > INNER_MAX_WORDS:
        return []
    if not _INNER.fullmatch(body) or body[-1] in ",/-":
        return []
    lead = len(inner) - len(inner.lstrip(" \t"))
    trail = len(inner) - len(inner.rstrip(" \t"))
    if not lead or not trail:
        return []  # one side only ("(a tax of 2.5 )"): no tool's pattern, left to punct.space_before
    return [(base + o + 1, base + o + 1 + lead, "", "punct.space_inside", "space after an opening parenthesis"),
            (base + k - trail, base + k, "", "punct.space_inside", "space before a closing parenthesis")]


def _stray(para: str, k: int, matched_close: set[int], base: int) -> list[_Candidate]:
    j = k - 1
    while j >= 0 and para[j] in " \t":
        j -= 1
    if j >= 0 and para[j] in ".,;":
        j2 = j - 1
        while j2 >= 0 and para[j2] in " \t":
            j2 -= 1
        if j2 >= 0 and j2 in matched_close:
            rest = para[k + 1 :].lstrip()
            goes_on = bool(rest) and (rest[0].islower() or rest[0] in "–—-,;")
            if goes_on:  # "(x). ) – and" -> "(x) – and"
                return [
                    (
                        base + j2 + 1,
                        base + k + 1,
                        "",
                        "punct.stray_closer",
                        "doubled closer after a parenthesis",
                    )
                ]
            return [
                (base + j + 1, base + k + 1, "", "punct.stray_closer", "doubled closer after a parenthesis")
            ]
    if j >= 0 and para[j] == ")" and j in matched_close:  # "action)) said", "(x) ) and"
        return [(base + j + 1, base + k + 1, "", "punct.stray_closer", "doubled closer after a parenthesis")]
    if j == k - 1 and j >= 1 and para[j] == ")" and para[j - 1].isalnum():
        # "launched in 2023)), whose": two closers and no opener in the paragraph; an
        # enumeration ("a)", "1)") has one
        return [(base + j, base + k + 1, "", "punct.stray_closer", "doubled closer without an opener")]
    if k > 0 and para[k - 1] in " \t":  # "word )": a closer standing apart
        return [(base + j + 1, base + k + 1, "", "punct.stray_closer", "closer without an opener")]
    return []


def _empty(text: str) -> list[_Candidate]:
    out: list[_Candidate] = []
    for m in _EMPTY.finditer(text):
        s, e = m.start(), m.end()
        prev = re.search(r"(\w+)\s*$", text[max(0, s - 20) : s])
        if prev and prev.group(1).lower() in ("the", "a", "an", "empty", "two", "into"):
            continue  # "put it into the [] after the list": the brackets are the subject
        after = re.match(r"[ \t]+", text[e:])
        if after and e + after.end() < len(text) and text[e + after.end()] not in "\n.,;:":
            e += after.end()  # "Mining () that" -> "Mining that"
        else:
            while s > 0 and text[s - 1] in " \t":
                s -= 1  # "2023. [ ]\n" -> "2023.\n"
        out.append((s, e, "", "punct.empty_brackets", "empty brackets"))
    return out


def _spaces(text: str, english: bool) -> list[_Candidate]:
    out: list[_Candidate] = []
    for m in [*_SPACE_BEFORE.finditer(text), *_SPACE_BEFORE_FIGURE.finditer(text)]:
        if m.group(1) == "." and text[m.end() : m.end() + 1] == ".":
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        if len(text[line_start : m.start()].split()) < SPACE_BEFORE_MIN_WORDS:
            continue
        out.append((m.start(), m.start(1), "", "punct.space_before", f"space before {m.group(1)!r}"))
    for m in _SPACE_AFTER_PARENTHESIS.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        line = text[line_start : m.start()]
        if line.rfind("(") < 0 or len(line.split()) < SPACE_BEFORE_MIN_WORDS:
            continue  # the parenthesis must close one opened on its line ("a) , b)" stays)
        out.append((m.start(), m.start(1), "", "punct.space_before", f"space before {m.group(1)!r} after a parenthesis"))
    for m in _SPACE_AFTER_QUOTE.finditer(text):
        if m.group(1) in ":;" and not english:
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        if len(text[line_start : m.start()].split()) < SPACE_BEFORE_MIN_WORDS:
            continue
        out.append((m.start(), m.start(1), "", "punct.space_before", f"space before {m.group(1)!r} after a quote"))
    if english:
        for m in _SPACE_BEFORE_HIGH.finditer(text):
            if not m.start() or not (text[m.start() - 1].isalpha()):
                continue  # after a word only: not "3 : 1", not " :)"
            line_start = text.rfind("\n", 0, m.start()) + 1
            if len(text[line_start : m.start()].split()) < SPACE_BEFORE_HIGH_MIN_WORDS:
                continue  # "Note :", "Q :": a label, not a sentence
            seg = text[line_start : m.start()]
            if seg.rfind("«") > seg.rfind("»"):
                continue  # inside a French quotation: its typography is the quote's own
            out.append((m.start(), m.start(1), "", "punct.space_before",
                        f"space before {m.group(1)!r} (French typography in English text)"))
    if english:
        for m in _COMMA_ON_NEXT.finditer(text):
            out.append((m.start(), m.end(), ", ", "punct.space_before", "comma glued to the next word"))
    for m in _DOUBLE_SPACE.finditer(text):
        out.append((m.start(), m.end(), " ", "punct.double_space", "doubled space"))
    return out


def _glued(text: str) -> list[_Candidate]:
    out: list[_Candidate] = []
    found = list(_GLUED.finditer(text))
    if not found or len(_CAMEL.findall(text)) > GLUED_MAX_PER_TEXT:
        return out  # several camelCase words: identifiers in a technical text, not stripped links
    seen: dict[str, int] = {}
    for m in found:
        seen[m.group()] = seen.get(m.group(), 0) + 1
    for m in found:
        a, b = m.group(1), m.group(2)
        if a in _GLUE_PREFIXES or seen[m.group()] > 1 or m.group().lower() in GLUED_BRANDS:
            continue  # a repeated camelCase word is a name (nodeStorage), not an accident
        if _english(a) >= GLUED_MIN_FREQ and _english(b) >= GLUED_MIN_FREQ and _english(a + b) < 1e-7:
            out.append(
                (m.start(2), m.start(2), " ", "punct.glued_words", f"{a!r} glued to {b!r} (stripped link)")
            )
    return out


def looks_like_code(text: str) -> bool:
    """Whether ``text`` carries source code (a tech blog's snippets), where nothing is repaired."""
    return any(hits >= CODE_MIN_HITS for hits, _ in enumerate(_CODE.finditer(text), 1))


def repair_punctuation(
    text: str, *, english: bool = True, enabled: set[str] | None = None
) -> tuple[str, list[Edit]]:
    """Return the repaired text and its edits (offsets into ``text``)."""
    if looks_like_code(text):
        return text, []
    cands: list[_Candidate] = []
    if "(" in text or ")" in text or "[" in text or "]" in text:
        cands += _empty(text) + _brackets(text)
    cands += _spaces(text, english) + _glued(text)
    if enabled is not None:
        cands = [c for c in cands if c[3] in enabled]
    cands.sort(key=lambda c: (c[0], c[1]))
    edits: list[Edit] = []
    out: list[str] = []
    pos = 0
    for s, e, after, rule, reason in cands:
        if s < pos:
            continue  # overlaps an earlier repair
        out.append(text[pos:s])
        out.append(after)
        edits.append(Edit(rule, s, e, text[s:e], after, reason))
        pos = e
    out.append(text[pos:])
    return "".join(out), edits


RULES = (
    "punct.stray_closer",
    "punct.unclosed_open",
    "punct.empty_brackets",
    "punct.space_before",
    "punct.double_space",
    "punct.glued_words",
    "punct.space_inside",
)


class RepairPunctuation:
    """Broken brackets, space before punctuation, doubled spaces, words glued by a stripped link."""

    name = "punctuation"

    def __call__(self, text: str, ctx: Context) -> StepResult:
        source = ctx.document.source
        enabled = {r for r in RULES if ctx.settings.rule_enabled(r, source)}
        english = ctx.language in (None, "en")
        new, edits = repair_punctuation(text, english=english, enabled=enabled)
        return StepResult(new, edits=edits)
