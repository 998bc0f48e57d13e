"""Article titles: site and section names cut from their edges, entities decoded.

``clean_title(title, ctx) -> (title, edits)`` is called by ``cleaners.flags.finish``. It removes

- a trailing site or section name after `` | ``, `` - ``, `` – ``, `` — ``, `` · ``, `` :: ``,
  `` » ``, `` « `` (not one opening a quotation it closes), `` ~ ``, `` • ``, `` // `` (not a
  one-word tail after a number: ``Show: 01 — Length`` names an episode) ("... edge Athletic 2-1
  – SportsWire Daily", "... | International");
- a byline or a date between separators, as blog platforms add them (``... | by Ann Lee | Mar,
  2025 | Medium``);
- a leading section label before `` | `` ("Opinion | ...", "WATCH | ..."), or a station's call
  sign before ``:`` or `` | `` ("KVLT: ...", "WXKR-TV | ..."; not "WADA: ...");
- a leading site name before ``:`` ("Harbour Sentinel: Ferry fares frozen ..."), only when the
  article itself shows it is the site: the feed's source name, or a publication's name that a
  boilerplate line the cleaners removed names ("Read more stories from the Harbour Sentinel."). A colon after a topic, a
  place or a label ("Q&A: ...", "Ranji Trophy: ...", "Marseille : ...") is part of the headline,
  and so is a report credited to another outlet ("Kestrel Times: minister to resign");
- a "translated from Spanish:" style prefix, in any pack language ("Traduit de l'espagnol :",
  "Übersetzt aus dem Englischen:", "[Machine translation]");
- an AI assistant's preamble ("Certainly! Here is the news article: ...") or a label it leaves
  ("Headline: ...", "**Title:** ..."), rule ``title.ai_preamble``;
- HTML entities (``&#8211;``) and doubled whitespace.

The heuristic for an edge segment: at most five words, site-like (each word capitalised, a number,
an initialism or a short connector such as "of", "the", "de", "&"), starting with a capital
letter (or with a broadcaster's frequency or channel number before a station name that says it
broadcasts: "– 680 NewsTalk Halton", "| 9News Perth"), and the remaining title at least four
words long. So real titles keep their dashes
("Ilori-Okene", "2-1" have no spaces around the dash), colons ("Montevideo: OSE confirms ...") and
lowercase tails ("Brexit - what happens next"). Edits index the title string, with rules
``title.site_suffix``, ``title.section_prefix``, ``title.translated_prefix``, ``title.html_entity``,
``title.whitespace``.

In a script without capitals (Arabic, Hebrew, Chinese...) no capital shows a tail is a name, so
only a pipe-separated tail of at most four words (twelve characters unspaced), without sentence
punctuation, after a headline three times its length goes ("... | صحيفة الخليج اليوم"); a leading
label goes only as a single word ("عاجل | ..."). A year closing a headline ("... auf 2026 | Site")
is a date, not an episode number, unless a colon or an episode word stands before it.

In a Title Case title ("Storm Hits Coast – Review & Outlook"), a tail after a dash must also
look like a publication (a word such as Daily, News, Times, Herald, Diario; a domain) or be at most
two words. Known limit: a sentence-case title ending in a short capitalised phrase after a spaced
dash ("Apple unveils new phone - First Look") loses that phrase.
"""

from __future__ import annotations

import html
import re
from typing import Any

from feedscrub.models import Edit

__all__ = ["clean_title"]

_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|·|::|»|«(?![^»]*»)|~|•|//|‖|¦|⋅|›)\s+")
_ENDS_WITH_NUMBER = re.compile(r"(?:^|\s)(?:#|no\.?\s*|ep\.?\s*|episode\s+|part\s+|vol\.?\s*)?\d+[:.]?$",
                               re.IGNORECASE)
_TRANSLATED = re.compile(
    r"^\s*(?:[\[(]\s*)?(?:(?:machine|automatic(?:ally)?|auto)[- ]?translat(?:ed|ion)|translated|translation"
    r"|traducid[oa]|traducci[oó]n(?: autom[áa]tica)?|traduzid[oa]|tradu[çc][ãa]o(?: autom[áa]tica)?"
    r"|traduite?|traduction(?: automatique)?|tradott[oa]|traduzione(?: automatica)?"
    r"|(?:maschinell |automatisch )?übersetzt|(?:maschinelle |automatische )?übersetzung)"
    r"(?:\s+(?:from the|from|del|do|da|de l['’]|de|du|d['’]|aus dem|aus|dall['’]|dal|dallo|dalla|dai)\s*[A-Za-zÀ-ÿ]+)?"
    r"(?:\s*[\])]\s*(?:[:：|–—-]\s*)?|\s*[:：|–—-]\s*)", re.IGNORECASE)
_TRANSLATED_SUFFIX = re.compile(r"\s*[\(\[]\s*(?:translated|machine[- ]translated|traducido|traduzido|traduit"
                                r"|übersetzt)(?:\s+[^\)\]]{1,30})?\s*[\)\]]\s*$", re.IGNORECASE)
# lowercase words a site or section name may contain ("Times of India", "Diário do Douro");
# "in", "on", "for", "a" are left out on purpose: they make a tail read like a phrase
_CONNECTORS = frozenset(["of", "the", "and", "de", "del", "la", "las", "los", "el", "y", "da", "do", "das",
                         "dos", "e", "du", "des", "le", "les", "et", "der", "die", "und", "von", "&",
                         "di", "della", "delle", "dello", "dei", "degli", "del", "al", "am", "im", "d'",
                         "l'"])
_ELISION = re.compile(r"^(?:l|d|dell|dall|nell|sull|all|qu)['’](?=\w)", re.IGNORECASE)
_MAX_SUFFIX_WORDS = 5
_MIN_MAIN_WORDS = 4


_DOMAIN = re.compile(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|info|news|co|es|mx|ar|br|pt|fr|de|it"
                     r"|in|uk|us|ca|au|cl|pe|uy|co\.uk|com\.br|com\.ar|com\.mx)$", re.IGNORECASE)


# a broadcaster's brand opens with its frequency or channel number ("680 NewsTalk Halton", "98.5 FM
# Coast Radio", "9News Perth"): the number, then a station name that says it broadcasts
_FREQUENCY = re.compile(r"^\d{1,4}(?:\.\d{1,2})?(?:\s?(?:FM|AM))?\s*(?=[A-Z])")
_BROADCAST_WORD = re.compile(r"news|radio|talk|\bfm\b|\bam\b|\btv\b|sport", re.IGNORECASE)


def _broadcaster_brand(segment: str) -> bool:
    m = _FREQUENCY.match(segment.strip())
    rest = segment.strip()[m.end():] if m else ""
    return bool(rest) and _BROADCAST_WORD.search(segment) is not None and _site_like(rest)


def _site_like(segment: str) -> bool:
    if _DOMAIN.match(segment.strip()):
        return True  # "elmundo.es", "www.site.com.br"
    if segment[:1].isdigit():
        return _broadcaster_brand(segment)
    words = segment.split()
    if not words or len(words) > _MAX_SUFFIX_WORDS or segment.endswith((".", "?", "!")):
        return False
    if not words[0][:1].isupper() or words[0].lower() in ("a", "an"):
        return False
    publication, lowered = False, 0
    for w in words:
        core = _ELISION.sub("", w.strip("&'’.,()"))  # "Le Courrier de l'Estuaire": l' + a name
        if not core:
            continue
        if core.lower() in _CONNECTORS:
            continue
        if core[0].isupper() or core[0].isdigit():
            publication = publication or core.lower() in _SITE_WORDS
            continue
        # a regional adjective after a publication's noun ("L'Écho mosan", "Le Courrier picard",
        # "Il Corriere fiorentino"); a lowercase word anywhere else makes the tail a phrase
        lowered += 1
        if publication and lowered <= 1:
            continue
        return False
    return True


# words that name a publication: they make a short tail a site name even after a Title Case title
_SITE_WORDS = frozenset([
    "daily", "weekly", "news", "times", "post", "herald", "gazette", "journal", "tribune", "chronicle",
    "online", "wire", "media", "tv", "radio", "press", "observer", "ledger", "record", "dispatch",
    "sentinel", "courier", "star", "sun", "mail", "express", "standard", "today", "bulletin", "monitor",
    "examiner", "telegraph", "guardian", "independent", "mirror", "inquirer", "diario", "jornal",
    "noticias", "notícias", "informa", "hoy", "semanal", "folha", "gazeta", "correio", "zeitung",
    "nachrichten", "quotidien", "giornale", "gazzetta", "corriere", "notizie", "periódico", "periodico",
    "jornal", "diário", "semanário", "journal", "allgemeine", "blatt", "anzeiger", "courrier", "dépêche",
    "provence", "parisien", "matin", "soir", "república", "nación", "mundo", "país", "voz",
    "écho", "echo", "nouvelliste", "républicain", "progrès", "secolo", "eco", "newstalk", "newsradio",
])
# a year after a preposition ends a sentence-like title ("... emergency in 2027"): not an episode number
_ENDS_WITH_YEAR = re.compile(r"\b(?:in|by|until|since|from|for|before|after|of|to|em|en|im|dal|desde)\s+"
                             r"(?:19|20)\d\d$", re.IGNORECASE)
# an AI assistant's preamble before the real title ("Certainly! Here is the news article: ...")
_AI_PREAMBLE = re.compile(
    r"^\s*(?:(?:sure|certainly|of course|absolutely|okay|ok|great)[!,.]?\s+)?"
    r"here(?:'s|’s| is| are)\s+(?:a|an|the|your|my)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:headlines?|titles?|articles?|stor(?:y|ies)|versions?|summary|report)\b[^:]{0,60}:\s*", re.IGNORECASE)


# a label an AI assistant or a raw template leaves before the title ("Headline: ...", "**Title:** ...")
_LABEL = re.compile(
    r"^\s*(?:(?:sure|certainly|of course|absolutely|okay|ok|great)[!,.]?\s+)?\**\s*(?:suggested |proposed |new "
    r"|rewritten |seo )?(?:headline|title|titular|t[íi]tulo|titre|titel|titolo|manchete|schlagzeile|[üu]berschrift)"
    r"\s*\**\s*[:：]\s*\**\s*", re.IGNORECASE)


# a byline or a date between separators, as blog platforms add them ("| by Ann Lee | Mar, 2025 | Medium")
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]{0,6}\.?"
_META_SEGMENT = re.compile(
    r"(?:(?:by|By|BY|por|par|von|di)\s+[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|de|da|van|von|del|di|le|la)){0,4}"
    r"(?:\s+(?:and|&|y|e|et|und)\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3})?"
    r"|" + _MONTH + r"\s+\d{1,2},?\s+\d{4}|" + _MONTH + r",?\s+\d{4}|\d{1,2}\s+" + _MONTH + r",?\s+\d{4}"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})$"
)


# "KVLT: Crews repair ...", "WXKR-TV | Storm ...", "KCRA 3: ...": a North American station's call
# sign before the headline. Four letters after K or W (three with a -TV/-FM suffix); acronyms of
# that shape that are a headline's subject ("WADA: ...", "WNBA: ...") stay.
_CALL_SIGN = re.compile(r"^((?:[KW][A-Z]{3}(?:-(?:TV|FM|AM|DT|LP|CD))?|[KW][A-Z]{2}-(?:TV|FM|AM|DT))"
                        r"(?: News| \d{1,2})?)\s*(?::|\s\|)\s+(?=[A-Z0-9“\"'‘])")
_CALL_SIGN_NOT = frozenset(str.split("WADA WIPO WNBA KPMG WTTC WWII WWDC WHAT WHEN WHERE WITH WILL WANT KILL KING "
                                     "WARN WATCH WAIT WEEK WORK WORD WELL WEST WOKE WOLF WREC WEEE WASH"))


_COLON_PREFIX = re.compile(r"^([A-Z][^:|]{1,60}?)\s?:\s+(?=\S)")
_BOILERPLATE_STEPS = frozenset({"boilerplate", "learned"})
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)


def _names_the_site(name: str, ctx: Any) -> bool:
    """Is ``name`` the site's own name: the document's source, or a publication's name (a word
    such as Sentinel, Times, Daily) named in a line the cleaners removed as boilerplate (a site
    names itself in its calls to action and footers)?"""
    if ctx is None:
        return False
    key = _LEADING_THE.sub("", name.strip()).lower()
    if len(key) < 4:
        return False
    source = getattr(getattr(ctx, "document", None), "source", None)
    if isinstance(source, str) and _LEADING_THE.sub("", source.strip()).lower() == key:
        return True
    if not any(w.strip("&'’.,()").lower() in _SITE_WORDS for w in key.split()):
        return False  # "Munich", "Ranji Trophy": a place or a topic the site's links also name
    word = re.compile(r"(?<!\w)" + re.escape(key) + r"(?!\w)", re.IGNORECASE)
    return any(e.step in _BOILERPLATE_STEPS and word.search(e.before)
               for e in getattr(ctx, "edits", ()))


def _caseless(segment: str) -> bool:
    """Is ``segment`` written in a script without capitals (Arabic, Hebrew, CJK, Devanagari, Thai...)?
    Initials in Latin capitals may sit in it ("NHKニュース"); a lowercase Latin word may not."""
    cased = caseless = 0
    for ch in segment:
        if ch.isalpha():
            if ch.islower():
                return False
            if ch.isupper():
                cased += 1
            else:
                caseless += 1
    return caseless > cased


def _caseless_site(tail: str, main: str) -> bool:
    """A short pipe-separated tail in a caseless script ("| صحيفة الخليج اليوم", "| 新华网"): no
    capital can show it is a name, so its shape must: at most four words (twelve characters where
    words are not spaced), no sentence punctuation, and a headline at least three times as long."""
    tail = tail.strip()
    if not _caseless(tail) or _SENTENCE_MARK.search(tail):
        return False
    words = tail.split()
    if len(words) > 4 or (len(words) == 1 and len(tail) > 12):
        return False
    return len(main.strip()) >= 3 * len(tail) and _long_enough_any_script(main)


_SENTENCE_MARK = re.compile(r"[.!?:;,،؛؟。！？：；，、]")


def _long_enough_any_script(main: str) -> bool:
    # unspaced scripts (Chinese, Japanese, Thai) have no words to count: count characters
    return _long_enough(main) or (len(main.split()) < _MIN_MAIN_WORDS and len(main.strip()) >= 12
                                  and _caseless(main))


_EPISODE_WORD = re.compile(r"^(?:#|no\.?|nr\.?|ep\.?|episode|part|vol\.?|volume|season|series|chapter|track"
                           r"|folge|teil|épisode|capítulo|episodio|puntata)$", re.IGNORECASE)


def _bare_year_ends_phrase(main: str) -> bool:
    """A year closing a headline of five words or more ("... auf 2026", "... a fine 2026", "... im
    Frühjahr 2027") is a date, not an episode number: unless a colon or an episode word stands
    right before it ("Tiny Sounds: 2024 — Rain", "Vol 2026 — Dawn")."""
    words = main.split()
    return (len(words) >= _MIN_MAIN_WORDS + 1 and re.fullmatch(r"(?:19|20)\d\d", words[-1]) is not None
            and not words[-2].endswith(":") and not _EPISODE_WORD.match(words[-2]))


def _title_case(text: str) -> bool:
    words = [w for w in text.split() if len(w) >= 4 and w[:1].isalpha()]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def _strong_site(tail: str) -> bool:
    words = tail.split()
    return (len(words) <= 2 or bool(_DOMAIN.match(tail.strip()))
            or any(w.strip("&'’.,()").lower() in _SITE_WORDS for w in words))


def _long_enough(main: str) -> bool:
    return len(main.split()) >= _MIN_MAIN_WORDS and len(main) >= 20


def clean_title(title: str | None, ctx: Any = None) -> tuple[str | None, list[Edit]]:
    """The cleaned title and the edits that made it (offsets into the title as it was before each)."""
    if not title:
        return title, []
    edits: list[Edit] = []
    t = title
    if "&" in t:
        dec = html.unescape(t)
        if dec != t:
            edits.append(Edit("title.html_entity", 0, len(t), t, dec, "HTML entities decoded"))
            t = dec
    norm = re.sub(r"\s+", " ", t).strip()
    if norm != t:
        edits.append(Edit("title.whitespace", 0, len(t), t, norm, "whitespace normalised"))
        t = norm
    m = _AI_PREAMBLE.match(t)
    if m and _long_enough(t[m.end():]):
        rest = t[m.end():]
        end = len(t)
        if len(rest) > 2 and rest[0] in "\"“'‘" and rest[-1] in "\"”'’":
            end -= 1  # the quotes the assistant put round the title
        edits.append(Edit("title.ai_preamble", 0, len(t), t, t[m.end() + (end < len(t)):end],
                          "AI assistant preamble"))
        t = t[m.end() + (end < len(t)):end]
    m = _LABEL.match(t)
    if m and _long_enough(t[m.end():]):
        rest = t[m.end():]
        end = len(t)
        if len(rest) > 2 and rest[0] in "\"“'‘" and rest[-1] in "\"”'’":
            end -= 1
        edits.append(Edit("title.ai_preamble", 0, len(t), t, t[m.end() + (end < len(t)):end],
                          "headline label left by an AI assistant or a template"))
        t = t[m.end() + (end < len(t)):end]
    m = _TRANSLATED.match(t)
    if m and _long_enough(t[m.end():]):
        edits.append(Edit("title.translated_prefix", 0, m.end(), t[:m.end()], "", "translation label"))
        t = t[m.end():]
    m = _TRANSLATED_SUFFIX.search(t)
    if m and _long_enough(t[:m.start()]):
        edits.append(Edit("title.translated_prefix", m.start(), len(t), t[m.start():], "", "translation label"))
        t = t[:m.start()]
    for _ in range(4):  # "Title | Section | Site", "Title | by Ann Lee | Mar, 2025 | Medium"
        seps = list(_SEPARATORS.finditer(t))
        if not seps:
            break
        last = seps[-1]
        main, tail = t[:last.start()], t[last.end():]
        # In a Title Case title a capitalised tail proves little ("... – Review & Comparisons"):
        # after a dash it must look like a publication or be at most two words.
        weak = _title_case(main) and "|" not in last.group(0) and not _strong_site(tail)
        # "All Things Measured: 01 — Length": one word after a number is an episode's name
        episode = (_ENDS_WITH_NUMBER.search(main) is not None and len(tail.split()) == 1
                   and not _ENDS_WITH_YEAR.search(main) and not _bare_year_ends_phrase(main)
                   and not _DOMAIN.match(tail.strip()) and tail.strip().lower() not in _SITE_WORDS)
        if episode and len(seps) > 1 and _META_SEGMENT.match(t[seps[-2].end():last.start()].strip()):
            episode = False  # "| Mar, 2025 | Medium": the figure is a date's, the tail a platform
        weak = weak or episode
        if _META_SEGMENT.match(tail.strip()) and _long_enough(main):
            edits.append(Edit("title.site_suffix", last.start(), len(t), t[last.start():], "",
                              "byline or date of a blog platform's title"))
            t = main
        elif _site_like(tail) and _long_enough(main) and not weak:
            edits.append(Edit("title.site_suffix", last.start(), len(t), t[last.start():], "",
                              "site or section name"))
            t = main
        elif "|" in last.group(0) and _caseless_site(tail, main):
            edits.append(Edit("title.site_suffix", last.start(), len(t), t[last.start():], "",
                              "site or section name (caseless script)"))
            t = main
        else:
            break
    m = _CALL_SIGN.match(t)
    if m and m.group(1).split("-")[0] not in _CALL_SIGN_NOT and _long_enough(t[m.end():]):
        edits.append(Edit("title.section_prefix", 0, m.end(), t[:m.end()], "",
                          "broadcaster's call sign"))
        t = t[m.end():]
    m = _COLON_PREFIX.match(t)
    if m and _site_like(m.group(1)) and _long_enough(t[m.end():]) and _names_the_site(m.group(1), ctx):
        edits.append(Edit("title.site_prefix", 0, m.end(), t[:m.end()], "",
                          "site name, as the article's own boilerplate names it"))
        t = t[m.end():]
    first = re.search(r"\s+\|\s+", t)
    if first:
        head, rest = t[:first.start()], t[first.end():]
        if len(head.split()) <= 3 and ((_site_like(head) and _long_enough(rest))
                                       or (len(head.split()) == 1 and _caseless_site(head, rest))):
            edits.append(Edit("title.section_prefix", 0, first.end(), t[:first.end()], "",
                              "section label"))
            t = rest
    return t.strip() or title, edits
