"""Notices about the text itself, found by slots rather than by whole wordings.

Rule packs name notice wordings one by one; every examiner writes a new one ("This article was
translated automatically and published without human verification", "Dieser Artikel wurde
maschinell aus dem Deutschen übersetzt"). What such sentences share is their parts, so each pack
lists its language's words for the parts under ``notice_slots`` (data, in ``config/rules/*.yaml``)
and this module decides from which parts a sentence has:

- ``self``: the text refers to itself ("this article", "este texto", "dieser Beitrag");
- ``translated``: it was machine-translated ("translated automatically", "maschinell übersetzt");
- ``automated``: it was produced or published automatically, by AI, or from a feed or wire, or is
  relayed as it arrived ("appears as received from the wire");
- ``unreviewed``: no person checked it ("without human verification", "sin revisión");
- ``provenance``: someone other than the newsroom supplied it ("supplied by a news agency", "this
  wire story", "a third-party provider", "proporcionado por una agencia", "von einer Agentur
  geliefert"); a credit alone is no notice;
- ``unaltered``: it went out as it came, no person of the site edited it ("published without
  alteration", "in full as received", "has not edited its content", "not reviewed by our editors",
  "sin modificaciones", "unverändert"); narrower than ``unreviewed``: "has not been verified" (a
  newsroom's caution about a claim: "This report from the state agency has not been verified")
  is not one;
- ``narrative``: the sentence tells events ("later", "in 2019", "despite", "trotz"): "The ministry
  published this press release without changes and later withdrew it" is news, so the
  ``provenance`` + ``unaltered`` decision does not take it;
- ``reported``: reported speech ("said", "dijo", "sagte") or a correction ("An earlier version of
  this story ..."): the sentence is news, never a notice;
- ``reviewed``: a person checked it ("... and reviewed by an editor"): without ``unreviewed``, the
  sentence is no notice of unedited text (an AI-assisted story an editor checked stays);
- ``ai_directive`` and ``ai_meta``: an assistant telling the reader about its own text ("Please
  note that specific details ... were not available to me", "Please verify these details with
  official sources").

Decision (``classify``): a sentence of at most ``MAX_WORDS`` words, without quotation marks or a
``reported`` word, is

- about itself when ``self`` starts within ``SELF_WITHIN`` characters (after a label such as
  "Note:"), anywhere after a notice label opening it ("Disclaimer: The X did not edit this
  story."), when the text is the pronoun subject opening it ("It is automatically syndicated
  from ..."), or a process opens it ("Automatically translated from ...");
- ``notice.unedited`` (unedited_feed) when about itself with ``automated``, or with
  ``translated`` and ``unreviewed``, or with ``provenance`` and ``unaltered`` (a syndicated or
  agency text relayed unedited: "Disclaimer: X publishes this wire story in full as received"),
  without ``narrative``;
- ``notice.translated`` (no flag: translation alone is the machine_translated flag's business)
  when about itself with ``translated`` but no ``unreviewed``;
- ``notice.ai_text`` (unedited_feed) with ``ai_directive`` and ``ai_meta``; the caller keeps these
  to the article's edges, so a service piece's "Please note that the museum is closed on Mondays"
  (no ``ai_meta``) and body text stay.

``cleaners.boilerplate`` applies the result to units no rule matched: the whole unit when every
sentence is a notice, else the run of notice sentences at its start or end; a sentence with an
``ai_meta`` or ``ai_directive`` slot right after a ``notice.ai_text`` sentence joins it ("... For
accurate information, please contact the library directly."), and a short one with an
``unreviewed`` slot right after a ``notice.unedited`` or ``notice.translated`` sentence joins it as
``notice.unedited`` ("... from our wire partners. It has not been reviewed by our editors.";
``runs_on_unreviewed``). A process opening the sentence
counts only before a label end or a clause about the text ("Auto-generated]", "Machine translation
by ..."), not before a noun it qualifies ("Auto-generated captions were wrong").

What this module is not for: wordings a rule pack already names, calls to action
(``cleaners.edge_calls``), or notices quoted inside a news sentence (kept by design).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["MAX_WORDS", "RUN_ON_MAX_WORDS", "SELF_WITHIN", "SLOTS", "NoticeSlots", "classify", "compile_slots",
           "runs_on_unreviewed", "split_sentences"]

SLOTS = ("self", "translated", "automated", "unreviewed", "reported", "ai_directive", "ai_meta", "reviewed",
         "provenance", "unaltered", "narrative")
MAX_WORDS = 45
SELF_WITHIN = 32  # characters before "this article" (a label, "Except for the headline,")
RUN_ON_MAX_WORDS = 20  # a sentence joining the notice before it ("It has not been reviewed.")
_QUOTE = re.compile(r"[\"“”„«»]")
_SENTENCE = re.compile(r"(?<=[.!?…])[\"”’»)\]]*\s+")


@dataclass(slots=True, frozen=True)
class NoticeSlots:
    """One compiled regex per slot (words from every pack); ``keywords`` (lowercase substrings,
    the packs' ``keywords`` entry) are a cheap prefilter: a unit without one is not tried (the
    caller finds them with the rules' keyword scan), and ``trigger`` (any process or AI slot)
    is searched only in a unit holding one."""

    slots: Mapping[str, re.Pattern[str]]
    trigger: re.Pattern[str] | None
    keywords: tuple[str, ...] = ()

    def has(self, slot: str, sentence: str) -> bool:
        rx = self.slots.get(slot)
        return bool(rx and rx.search(sentence))


def compile_slots(words: Mapping[str, Sequence[str]], where: str = "notice_slots") -> NoticeSlots | None:
    """Compile slot word lists (regexes, case-insensitive; a space matches any whitespace and
    `` ?`` optional whitespace, as in the rule packs)."""
    compiled: dict[str, re.Pattern[str]] = {}
    keywords = tuple(sorted({str(k).lower() for k in words.get("keywords", ())}))
    for slot, alternatives in words.items():
        if slot == "keywords":
            continue
        if slot not in SLOTS:
            raise ValueError(f"{where}: unknown notice slot {slot!r} (known: {', '.join(SLOTS)})")
        alts = [str(a).replace(" ?", r"\s*").replace(" *", r"\s*").replace(" ", r"\s+")
                for a in alternatives if str(a).strip()]
        if not alts:
            continue
        try:
            compiled[slot] = re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"{where}: slot {slot} does not compile: {exc}") from None
    if not compiled:
        return None
    trig = [compiled[s].pattern for s in ("translated", "automated", "ai_directive", "provenance") if s in compiled]
    trigger = re.compile("|".join(trig), re.IGNORECASE) if trig else None
    return NoticeSlots(compiled, trigger, keywords)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` (offsets), at ., !, ? or … followed by whitespace."""
    spans, pos = [], 0
    for m in _SENTENCE.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def classify(sentence: str, slots: NoticeSlots) -> tuple[str, list[str]] | None:
    """``(kind, slots found)`` when ``sentence`` is a notice about the text, else None.

    ``kind`` is ``notice.unedited``, ``notice.translated`` or ``notice.ai_text``.
    """
    s = sentence.strip()
    if not s or s.count(" ") >= MAX_WORDS or _QUOTE.search(s) or slots.has("reported", s):
        return None
    found = [name for name in SLOTS[:4] if slots.has(name, s)]
    unaltered = slots.has("unaltered", s)
    if "unreviewed" not in found and not unaltered and slots.has("reviewed", s):
        return None  # "generated with an AI tool and reviewed by an editor": a person checked it
    process = "translated" in found or "automated" in found
    # the text must be what the sentence is about: "this article" near its start (after a label
    # such as "Note:" or "Except for the headline,"), or the process opening it; a news lede
    # about "articles produced by an AI tool without checks" is neither
    about_itself = _self_leads(s, slots) or _opens_with_process(s, slots)
    if process and "unreviewed" in found and about_itself:
        return "notice.unedited", found
    # someone else's text relayed unedited: "Note from the editor: The text of this report was
    # supplied by a news agency and is published without alteration."
    if unaltered and about_itself and slots.has("provenance", s) and not slots.has("narrative", s):
        return "notice.unedited", [*found, "provenance", "unaltered"]
    if process and about_itself:
        if "automated" in found:
            return "notice.unedited", found
        return "notice.translated", found
    if slots.has("ai_directive", s) and slots.has("ai_meta", s):
        return "notice.ai_text", ["ai_directive", "ai_meta"]
    return None


def runs_on_unreviewed(sentence: str, slots: NoticeSlots) -> bool:
    """Does ``sentence``, right after a notice about the text, say that no person checked it
    ("It has not been reviewed or edited by X journalists.", "No fue revisado por la redacción.")?
    Short, an ``unreviewed`` slot, no quotation marks or ``reported`` word: the caller joins it to
    the notice before it."""
    s = sentence.strip()
    return bool(s) and s.count(" ") < RUN_ON_MAX_WORDS and not _QUOTE.search(s) \
        and not slots.has("reported", s) and slots.has("unreviewed", s)


def _self_leads(s: str, slots: NoticeSlots) -> bool:
    rx = slots.slots.get("self")
    m = rx.search(s) if rx else None
    if m and (m.start() <= SELF_WITHIN or _LABEL.match(s)):
        return True  # a notice label ("Disclaimer:") says the whole sentence is about the text
    if m and _SITE_SUBJECT.fullmatch(s, 0, m.start()):
        return True  # "The Kinabalu Evening Courier republishes this ...": the site as the subject
    # "It is automatically syndicated from ...": the text as the pronoun subject
    return bool(_PRONOUN_SUBJECT.match(s))


# a label that announces a notice about the publication, in each pack language
_LABEL = re.compile(
    r"[(\[*_ ]*(?:disclaimer|editor[’']?s note|publisher[’']?s note|note|aviso(?: legal)?|advertencia|nota(?: (?:del editor|de la redacci[óo]n|da reda[çc][ãa]o|do editor|dell[’']editore|della redazione))?"
    r"|avertissement|note de la r[ée]daction|hinweis|anmerkung der redaktion|avvertenza|avviso"
    r"|(?:editor|newsroom|desk|publisher|reader)s?[’']? note|note (?:from|by|of) the (?:editors?|newsroom|desk|publishers?)"
    r"|(?:a )?note (?:to|for) (?:our )?(?:readers|subscribers)|notice|important|transparency note"
    r"|nota (?:al lector|para (?:los|nuestros) lectores|aos leitores|ao leitor|per i lettori|ai lettori)|aviso (?:al lector|aos leitores)"
    r"|avis aux lecteurs|note aux lecteurs|hinweis (?:der redaktion|f[üu]r (?:leser|unsere leser)|in eigener sache)|avviso ai lettori)\s*:",
    re.IGNORECASE,
)
# the site as the subject, right before "this ...": a capitalised name of at most six words and a
# publishing verb ("Borneo Daily Post publishes this wire story ...", "Harbour Times carries this ...")
_SITE_SUBJECT = re.compile(
    r"[(\[*_ ]*(?:the )?(?:[A-Z0-9][\w&’'.-]*\s+){1,6}(?:(?:has|have) )?(?:re)?(?:publish|carr(?:y|ie)|run|reproduc|relay|post|print"
    r"|distribut|present|reprint|share|bring|offer|provid|feature)\w*\s+"
    r"|[(\[*_ ]*(?:[A-Z0-9][\w&’'.-]*\s+){1,6}(?:publica|reproduz|reproduce|publie|reproduit|ver[öo]ffentlicht|ver[öo]ffentlichen|[üu]bernimmt|pubblica|riproduce)\s+"
)
# the text itself as a pronoun subject opening the sentence (process slots still required)
_PRONOUN_SUBJECT = re.compile(
    r"(?:it|this) (?:is|was|has been|had been|comes|came)\b|(?:ele|ela) (?:[ée]|foi)\b|(?:il|elle) (?:est|a [ée]t[ée])\b"
    r"|(?:er|sie|es) (?:ist|wurde)\b|(?:[èe]|[èe] stat[oa])\b(?= (?:generat|pubblicat|tradott))",
    re.IGNORECASE,
)


def _opens_with_process(s: str, slots: NoticeSlots) -> bool:
    """"Automatically translated from Spanish." / "(Machine translation.)": the process opens it."""
    head = s.lstrip("([*_ —–-").lstrip()
    for slot in ("translated", "automated"):
        rx = slots.slots.get(slot)
        m = rx.search(head) if rx else None
        if m:
            before = head[:m.start()].split()
            # nothing before it, or one word that is not a determiner ("Note:", "Artikel"); "The
            # automatic translation feature ..." is a subject, not a notice
            if before and (len(before) > 1 or before[0].lower() in _DETERMINERS):
                return False
            # ... and a label or a clause about the text follows ("Auto-generated]", "Machine
            # translation by ...", "Automatically translated from Spanish"), not a noun it
            # qualifies ("Auto-generated captions were often wrong")
            return bool(_AFTER_PROCESS.match(head, m.end()))
    return False


_AFTER_PROCESS = re.compile(
    r"\s*(?:$|[\])}:.;,!?—–-]|(?:from|by|with|using|via|through|and|or|in|into|for|without|de|del|por|com|par|avec|aus|von|mit|ohne|da|dal"
    r"|article|story|text|content|summary|report|news|item|copy|version|dispatch|artículo|texto|artigo|texte|artikel|beitrag|testo|articolo)\b)",
    re.IGNORECASE,
)


_DETERMINERS = frozenset(
    ["the", "a", "an", "this", "that", "its", "their", "our", "el", "la", "los", "las", "un", "una", "o", "os", "as", "um", "uma", "le", "les", "une", "der", "die", "das", "ein", "eine", "il", "lo", "gli", "i", "uno"]
)
