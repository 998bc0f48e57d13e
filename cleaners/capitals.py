"""Step ``capitals``: lower a capitalised function word stranded mid-sentence.

Translation tools and careless paste leave ``in The beginning``, ``at The end``, ``right Now``,
``inspections In the coming weeks``, ``who He justified``. Rule ``capitals.stranded`` lowers such a
word only when all of these hold:

- it is an article, a preposition, ``Now`` or ``Then`` (``FUNCTION_WORDS``); never ``I`` or the letter
  ``A`` (``vitamin A deficiency``); a subject pronoun (``He``, ``We``) only right after ``who``,
  ``that``, ``and``... (``who He justified``), since elsewhere it usually follows a lost full stop;
- the word before it is all lowercase and on the same line, separated by spaces only (so not
  after ``.``, ``:``, a dash, a quotation mark, a line break, or a capitalised word as in
  ``Drop In``), and is not a determiner (``the About page``);
- the word after it is lowercase (``The beginning``; after ``Then`` also ``I``: ``even Then I
  travel``) or, after ``The``, a decade (``since The
  1990s``; ``The 1975``, a band, has no "s"), so ``The Hague``, ``The New York Times``,
  ``The Athletic``, ``The Guardian``, ``“The Ledger Online”``, ``The Beatles`` are names and stay;
- it is not the start of a title-case title: ``the book In the Heart of the Sea`` (lowercase
  function word followed by a capitalised word) stays;
- the word before is not one that introduces a title (``called``, ``titled``, ``named``...);
- the line is not in title case (a headline), and it is not inside quotation marks;
- after a sentence-opening preposition, ``The`` followed by a lowercase word is lowered too
  (``Brandenburg. In The affected municipalities`` → ``In the affected``); ``In The Hague``,
  ``On The Media`` and title-case lines stay;
- ``IDIOM_ADVERBS``: the second word of an idiom a lowercase preposition opens (``at Least 4,000``,
  ``of Course,``), unless a capitalised word (a title: ``Killer at Large``; weekdays and months
  excepted) stands before the preposition; ``The`` before a number of up to three digits and a
  lowercase word (``for The 8 of September``), never a year-like figure (``The 1975``);
- a sentence-opening idiom (``OPENING_IDIOMS``: ``Until Now there was``, ``At Least 40 people``,
  ``Of Course, the``), also right after an opening quotation mark (``"At The moment nobody``);
  idioms that may open a title (``At Last``, ``On Time``) are left out;
- pronouns (``He``, ``His``...) stay in text that speaks of God (``God``, ``Lord``, ``Jesus``...),
  where capitalised divine pronouns are deliberate.

Offsets of every ``Edit`` index the text the step received.
"""

from __future__ import annotations

import re

from feedscrub.models import Edit

from .pipeline import Context, StepResult

__all__ = ["RepairCapitals", "repair_capitals"]

# Articles, prepositions and "Now": words a translation tool capitalises by mistake. Conjunctions
# and demonstratives (And, This, When...) are left out: mid-line they usually mean a sentence
# lost its full stop (RSS excerpts glue headings to text), which lowering would make worse
# (demonstratives are lowered in one narrow place only, DEMONSTRATIVE_AFTER below).
FUNCTION_WORDS = frozenset(
    str.split(
        "The An In At On Of For To By With From Into Onto Over Under Until After Before During Since "
        "Through About Against Between Among Without Within Towards Toward Upon Now Then He She They We"
    )
)
PRONOUNS = frozenset(str.split("He She They We"))
# A demonstrative is lowered only between a lowercase preposition and a noun of time or manner
# ("at This moment", "for This reason"): a sentence never ends on the preposition, so no full stop
# was lost before it ("the plan This week" may well be two sentences glued).
DEMONSTRATIVES = frozenset(str.split("This These That Those"))
DEMONSTRATIVE_AFTER = frozenset(
    str.split("at in on for of by from until till during since before after to with under")
)
DEMONSTRATIVE_NOUNS = frozenset(
    str.split(
        "moment moments time times year years week weeks month months day days morning afternoon "
        "evening night season point stage reason reasons purpose case cases way weekend summer "
        "winter spring autumn occasion period"
    )
)
# After "lowercase word," a capitalised preposition before a lowercase word is a stray capital
# ("cellars, Through the night", "every day, In spite of"); after a capitalised word ("Finally,
# In the end") or before a capital ("the guide, In Bruges") it is left alone.
AFTER_COMMA = frozenset(
    str.split("In At On For With From Into Over Under Until After Before During Since Through Within Without")
)
_PREV_COMMA = re.compile(r"(?<![A-Za-z’'-])([a-z][A-Za-z’'-]*),[ \t]+$")
# A subject pronoun is lowered only after a word that a clause continues from: "who He justified".
PRONOUN_AFTER = frozenset(
    str.split("who that which whom when where while because although if as since and but or")
)
# "the About page", "my Waiting On list": after a determiner the capital marks a label or name.
DETERMINERS = frozenset(str.split("the a an my your our their his her its this that these those"))
TITLE_INTRODUCERS = frozenset(
    str.split(
        "called titled entitled named dubbed album film movie book novel song single show series play "
        "poem magazine newspaper band episode documentary podcast column"
    )
)
# Adverbial idioms a preposition opens ("at least", "of course", "for now"): a translation tool
# capitalises their second word ("at Least 4,000 people"). Lowered only after that preposition and
# before a lowercase word, a number or a comma; "Killer at Large" (a capitalised word before: a title),
# "at Least Bank" (a name follows) and title-case lines stay.
IDIOM_ADVERBS: dict[str, frozenset[str]] = {
    "at": frozenset(str.split("Least Most First Last Once All Times Large Length Present Random Best Worst")),
    "of": frozenset(str.split("Course")),
    "in": frozenset(str.split("Fact Particular General Short Addition Advance Turn Total Part Practice Theory")),
    "for": frozenset(str.split("Example Instance Now Good Sure Once Ever")),
    "by": frozenset(str.split("Far Then Now Chance")),
    "on": frozenset(str.split("Average Purpose Time")),
}
# calendar words that may stand capitalised before the preposition: "on Tuesday at Least ten"
_CALENDAR = frozenset(
    str.split(
        "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May "
        "June July August September October November December"
    )
)
_IDIOM = re.compile(  # a literal space first: this runs over every article
    r" (at|of|in|for|by|on) ("
    + "|".join(sorted(set().union(*IDIOM_ADVERBS.values())))
    + r")(?=[ \t]+(?:[a-z]|\d)|,[ \t])"
)
# "planned for The 8 of September", "for The 3 candidates": "The" before a small number (a day, a
# count) or a clock time ("at The 6:00 hours", "from The 9.30 session") and a lowercase word;
# "The 1975" (a band) has four digits and stays
_THE_NUMBER = re.compile(r"(The) (?=(?:\d{1,3}(?:st|nd|rd|th)?|\d{1,2}[:.]\d{2}) [a-z])")
_DIVINE = re.compile(r"\b(?:God|Lord|Jesus|Christ|Allah|Almighty|Holy Spirit)\b")
# Speed: these patterns open with their capital, not with a lookbehind or \b, so that the regex
# engine skips straight to the capitals of a text instead of trying every offset (the text is
# mostly lowercase). What a lookbehind asserted is checked after the capital (_CANDIDATE) or by
# the caller (_after_word; a sentence start implies \b).
_CANDIDATE = re.compile(r"([A-Z](?<=[a-z,][ \t][A-Z])[a-z]*)(?=[ \t]+([a-z][\w’'-]*|\d{2,4}s\b|I\b)(?:[ \t]+(\S+))?)")
# a sentence start: a line start or a full stop, then perhaps a quotation opening ("At The moment
# nobody", said a resident: the quoted sentence opens there too)
_AFTER_STOP = re.compile(r"[.!?][\"”’)]?[ \t]+$")


def _after_word(text: str, pos: int) -> bool:
    """``(?<=[a-z,][ \t])`` at ``pos``: a lowercase letter or a comma, then one space or tab."""
    return pos >= 2 and text[pos - 1] in " \t" and (text[pos - 2] == "," or "a" <= text[pos - 2] <= "z")


def _sentence_start(text: str, pos: int) -> bool:
    """Whether ``pos`` opens a sentence: a line start or a full stop before it, then perhaps a
    quotation opening ("At The moment nobody", said a resident: the quoted sentence opens there)."""
    k = pos
    if k and text[k - 1] in "\"“‘":
        k -= 1
        if k and text[k - 1] in " \t(":
            return True  # a quotation opens: its first word opens a sentence
    line_start = text.rfind("\n", 0, k) + 1
    before = text[max(line_start, k - 8) : k]
    return not text[line_start:k].strip(" \t") or bool(_AFTER_STOP.search(before))


# "continue During The next days": a preposition and an article both capitalised mid-sentence,
# after a lowercase word and before one ("In The Mood for Love", a title, has a capital after)
_STRANDED_PAIR = re.compile(  # after a lowercase word: the caller checks _after_word
    r"(In|On|At|For|With|From|During|After|Before|Under|Over|Since|Until|Through|"
    r"Into|Within|Without|Between|Among|Against|Towards|Toward|Across|Throughout|Despite)[ \t]+(The|An|A)"
    r"(?=[ \t]+[a-z][a-z’'-]*\b)"
)
_OPENING_THE = re.compile(
    r"(?:In|On|At|For|With|From|During|After|Before|Under|Over|"
    r"Across|Along|Around|Among|Between|Since|Until|Despite|Throughout|Within|Without)[ \t]+(The)"
    r"(?=[ \t]+[a-z][a-z’'-]*\b(?![ \t]+[A-Z]))",
)
# "Until Now there was", "At Least 40 people", "Of Course, the": an idiom opening a sentence, its
# second word capitalised. Only idioms that open no title or name ("At Last", "On Time" may be songs)
OPENING_IDIOMS: dict[str, frozenset[str]] = {
    "At": frozenset(str.split("Least Most First Once Present Times")),
    "Of": frozenset(str.split("Course")),
    "In": frozenset(str.split("Fact Particular General Addition Short")),
    "For": frozenset(str.split("Example Instance Now")),
    "By": frozenset(str.split("Far Now Then")),
    "On": frozenset(str.split("Average")),
    "Until": frozenset(str.split("Now Then")),
    "Till": frozenset(str.split("Now Then")),
    "Since": frozenset(str.split("Then")),
    "Even": frozenset(str.split("Now Then")),
}
_OPENING_IDIOM = re.compile(
    r"(" + "|".join(OPENING_IDIOMS) + r")[ \t]+("
    + "|".join(sorted(set().union(*OPENING_IDIOMS.values())))
    + r")(?=[ \t]+(?:[a-z]|\d)|,[ \t])",
)
_PREV_WORD = re.compile(r"([A-Za-z’'-]+)[ \t]+$")


def _title_case_line(line: str) -> bool:
    words = re.findall(r"[A-Za-z][\w’'-]*", line)
    if len(words) < 3:
        return False
    caps = sum(1 for w in words if w[0].isupper())
    return caps >= 0.6 * len(words)


def _open_quote(text: str, pos: int, line_start: int) -> int:
    """Offset of the quotation mark still open at ``pos`` on its line, or -1."""
    seg = text[line_start:pos]
    for o, c in (("“", "”"), ("«", "»")):
        k = seg.rfind(o)
        if k >= 0 and seg.find(c, k) < 0:
            return line_start + k
    if seg.count('"') % 2 == 1:
        return line_start + seg.rfind('"')
    return -1


def _closing(q: str) -> str:
    return {"“": "”", "«": "»"}.get(q, '"')


def repair_capitals(text: str) -> tuple[str, list[Edit]]:
    """Return the text with stranded capitals lowered, and the edits (offsets into ``text``)."""
    edits: list[Edit] = []
    divine: bool | None = None
    for m in _CANDIDATE.finditer(text):
        word, nxt, after = m.group(1), m.group(2), m.group(3)
        if (word not in FUNCTION_WORDS and word not in DEMONSTRATIVES) or (nxt[0].isdigit() and word != "The"):
            continue  # a decade may follow only "The": "since The 1990s"
        if nxt == "I" and word != "Then":
            continue  # "even Then I travel": only "Then" is lowered before the pronoun "I"
        if (
            after
            and after[0].isupper()
            and nxt.lower() in {"the", "a", "an", "of", "and", "in", "on", "to", "for"}
        ):
            continue  # "the book In the Heart of the Sea": a title in title case
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        prev = _PREV_WORD.search(text, line_start, m.start())
        if prev is None and word in AFTER_COMMA and nxt[0].islower():
            prev = _PREV_COMMA.search(text, line_start, m.start())  # "every day, In spite of"
        if prev is None or not prev.group(1)[0].islower():
            continue  # "Drop In lets you", "Smile With powerful": part of a capitalised name
        prev_word = prev.group(1).lower()
        if word in DEMONSTRATIVES and (prev_word not in DEMONSTRATIVE_AFTER or nxt not in DEMONSTRATIVE_NOUNS):
            continue  # "the plan This week": a lost full stop more likely than a stray capital
        if prev_word in TITLE_INTRODUCERS or (prev_word in DETERMINERS and word not in ("The", "An")):
            continue  # "the About page" is a label; "that The pipes" is no determiner twice
        if word in PRONOUNS and prev_word not in PRONOUN_AFTER:
            continue  # "their podcasts We implemented": a lost full stop, not a stray capital
        if _title_case_line(line):
            continue
        q = _open_quote(text, m.start(), line_start)
        if q >= 0 and _title_case_line(text[q + 1 : line_start + len(line)].split(_closing(text[q]))[0]):
            continue  # inside a quoted title: “Notes From The Edge”
        if word in PRONOUNS:
            if divine is None:
                divine = bool(_DIVINE.search(text))
            if divine:
                continue
        low = word.lower()
        edits.append(
            Edit(
                "capitals.stranded",
                m.start(1),
                m.end(1),
                word,
                low,
                f"capitalised {low!r} mid-sentence after a lowercase word",
            )
        )
    edits.extend(_idiom_edits(text))
    for m in _OPENING_THE.finditer(text):
        if not _sentence_start(text, m.start()):
            continue
        line_start = text.rfind("\n", 0, m.start(1)) + 1
        line_end = text.find("\n", m.end(1))
        if _title_case_line(text[line_start : line_end if line_end >= 0 else len(text)]):
            continue
        if _quiet_line(text, m.start(1)):
            continue  # a quoted title: “In The Heat of the Night”
        edits.append(Edit("capitals.stranded", m.start(1), m.end(1), "The", "the",
                          "capitalised 'the' after a sentence-opening preposition"))
    for m in _STRANDED_PAIR.finditer(text):
        if not _after_word(text, m.start()):
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        prev = _PREV_WORD.search(text, line_start, m.start())
        if prev is None or not prev.group(1)[0].islower() or prev.group(1).lower() in TITLE_INTRODUCERS:
            continue
        line_end = text.find("\n", m.end())
        if _title_case_line(text[line_start : line_end if line_end >= 0 else len(text)]):
            continue
        if _quiet_line(text, m.start(1)):
            continue  # a quoted title
        for g in (1, 2):
            low = m.group(g).lower()
            edits.append(Edit("capitals.stranded", m.start(g), m.end(g), m.group(g), low,
                              f"capitalised {low!r} mid-sentence in a run of capitalised function words"))
    for m in _OPENING_IDIOM.finditer(text):
        first, word = m.group(1), m.group(2)
        if word not in OPENING_IDIOMS[first] or not _sentence_start(text, m.start()) or _quiet_line(
            text, m.start(2)
        ):
            continue
        low = word.lower()
        edits.append(Edit("capitals.stranded", m.start(2), m.end(2), word, low,
                          f"capitalised {low!r} in the idiom '{first.lower()} {low}' opening a sentence"))
    if not edits:
        return text, []
    edits.sort(key=lambda e: e.start)
    edits = [e for k, e in enumerate(edits) if k == 0 or e.start >= edits[k - 1].end]
    out: list[str] = []
    pos = 0
    for e in edits:
        out.append(text[pos : e.start])
        out.append(e.after)
        pos = e.end
    out.append(text[pos:])
    return "".join(out), edits


def _quiet_line(text: str, pos: int) -> bool:
    """A title-case line (a headline) or a quoted title: capitals there are deliberate."""
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    if _title_case_line(line):
        return True
    q = _open_quote(text, pos, line_start)
    return q >= 0 and _title_case_line(text[q + 1 : line_start + len(line)].split(_closing(text[q]))[0])


def _idiom_edits(text: str) -> list[Edit]:
    """``at Least 4,000``, ``for The 8 of September``: see ``IDIOM_ADVERBS`` and ``_THE_NUMBER``."""
    edits: list[Edit] = []
    for m in _IDIOM.finditer(text):
        prep, word = m.group(1), m.group(2)
        if word not in IDIOM_ADVERBS[prep]:
            continue
        prev = _PREV_WORD.search(text, text.rfind("\n", 0, m.start()) + 1, m.start(1))
        if prev is None and text[: m.start(1)].rstrip(" \t").endswith(","):
            before = ","  # "rise, of Course, once"
        elif prev is None:
            continue
        else:
            before = prev.group(1)
        if before[0].isupper() and before not in _CALENDAR:
            continue  # "Killer at Large", "Man of Course": part of a title or name
        if before.lower() in TITLE_INTRODUCERS or _quiet_line(text, m.start(2)):
            continue
        low = word.lower()
        edits.append(Edit("capitals.stranded", m.start(2), m.end(2), word, low,
                          f"capitalised {low!r} in the idiom '{prep} {low}'"))
    for m in _THE_NUMBER.finditer(text):
        if m.start() < 2 or text[m.start() - 1] not in " \t" or not text[m.start() - 2].islower():
            continue  # after a lowercase word only: "planned for The 8", not "Pages. The 3"
        prev = _PREV_WORD.search(text, text.rfind("\n", 0, m.start()) + 1, m.start(1))
        if prev is None or prev.group(1).lower() in TITLE_INTRODUCERS or _quiet_line(text, m.start(1)):
            continue
        edits.append(Edit("capitals.stranded", m.start(1), m.end(1), "The", "the",
                          "capitalised 'the' before a number mid-sentence"))
    return edits


class RepairCapitals:
    """``in The beginning`` → ``in the beginning``; names and titles untouched."""

    name = "capitals"

    def __call__(self, text: str, ctx: Context) -> StepResult:
        if ctx.language not in (None, "en") or not ctx.settings.rule_enabled(
            "capitals.stranded", ctx.document.source
        ):
            return StepResult(text)
        new, edits = repair_capitals(text)
        return StepResult(new, edits=edits)
