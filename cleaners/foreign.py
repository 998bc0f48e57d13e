"""Step ``foreign``: find stray fragments of another language in an English article.

The product's typical victim is an English article machine-translated from Spanish (or Portuguese,
French, Italian, German) that still carries untranslated leftovers: ``[el país]``, ``o en``,
``y la``, ``del``, ``según``, ``la comunidad``. Whole-paragraph language detection misses these
two-word fragments, so this step scores *words*: for each word ``w`` and each candidate language
``L`` (``CANDIDATE_LANGS``), ``r_L(w) = log10(freq_L(w) / freq_en(w))`` from wordfreq's offline
lists. A fragment is a run of adjacent words (no punctuation between) leaning to the same ``L``:

- two or more words, each with ``r_L >= 1`` (ten times likelier in ``L`` than in English) or a
  frequent function word of ``L`` (``freq_L >= 1e-3`` and ``r_L >= 0.5``: ``do``, ``no`` in
  Portuguese), at least one of them such a function word (or a connector, below), and a summed
  score (each ``r`` capped at 4) ``>= ctx.settings.foreign_min_score * 7`` (3.5 by default);
- a single word from ``SINGLE_LEFTOVERS`` (function words English prose never uses in lowercase:
  ``del``, ``según``, ``que``, ``segundo``, ``selon``, ``della``, ``und``), frequent in ``L``
  (``freq_L >= 1e-4``), nearly absent from English (``freq_en <= 3e-5``, ``r_L >= 2.5``) and
  leading straight into the next word (``según the``, not ``según.`` or ``para 4``);
- a frequent function word of ``L`` plainly not English straight before an English determiner
  (``com the heating``, ``ohne the support``: ``ENGLISH_DETERMINERS``), even outside
  ``SINGLE_LEFTOVERS``; English words that do stand there (``tout the``) are listed apart;
- a conjunction of ``L`` (``CONJUNCTIONS``) with the word it joins: a word of ``L`` between
  English words (``one hour y media``) or a preposition of ``L`` between two names (``the
  Solimões e do Madeira``, ``Soumbédioune et de Thiaroye``); see ``_stranded_conjunctions``;
- a sentence connector or focusing adverb from ``SINGLE_CONNECTORS`` (``además``, ``inoltre``,
  ``außerdem``, ``notamment``, ``soprattutto``, ``besonders``), commas or not; an elided article
  and noun (``l'entreprise``, ``dell'anno``);
- a capitalised word of L opening a sentence (``_opens_sentence_leftover``): a function word before
  lowercase words (``Según the``), a connector opening a run of L (``Besonders betroffen are``),
  before an English determiner (``Zudem the city``) or a comma (``Außerdem, the``; not a surname:
  ``Daher, the minister,``), a German preposition before a German noun (``Nach Angaben der
  Polizei``, ``Laut Polizei``);
- an article of L opening a sentence before a capitalised common noun of L that English does not
  use and English words (``Die Stadt responded``, ``A Câmara Municipal promised``), only in an
  article holding another leftover of the same L, since a name reads the same (``Die Zeit
  reported``; see ``_opening_names``);
- anything filling a pair of square brackets that reads as ``L`` (see ``_bracketed``):
  ``[la capital]``, ``[a comunidade]``, ``[die Regierung]``, ``[ayuntamiento]``, capitalised or
  not (``[La Ville]``, ``[l'État]``, ``[A Prefeitura]``), in capitals (``[A PREFEITURA]``) or
  opening with an elided article on a common noun of ``L`` (``[L'Administration Plante]``);
  ``[Kalashnikov]`` (one proper noun), ``[L'Oréal Paris]`` (a brand) and ``[the minister]``,
  ``[THE MAYOR]`` (English) are editorial;
- the Portuguese or Italian ``e`` (and) with an article between lowercase English words:
  ``the government e a approval`` (``_conjunction_article``; ``a`` alone scores as English);
- the Spanish ``y`` with ``a la``/``al`` (``the drought y a la poor upkeep``), and ``e`` with an
  article between names (``Fortaleza e a Belém``), grown over the words of L that finish it (``y a
  la caída del turismo``);
- a contracted preposition of ``L`` after plain English and before a capitalised common noun of
  ``L`` English does not know, the name ending there: ``the figures della Provincia``
  (``_leftover_before_noun``);
- a preposition of several words (``COMPOUND_PREPOSITIONS``: ``à cause de``, ``grazie a``, ``por
  causa de``) leading straight into English, though one of its words is English (``cause``);
  its last preposition may be contracted with an article (``a partir del Saturday``, ``au lieu
  du``), and connectors of several words count too (``vale a dire``, ``o sea``);
- a connector written with hyphens or as an abbreviation (``GLUED_CONNECTORS``: ``c'est-à-dire``,
  ``bzw.``, ``d.h.``), English on both sides;
- a common noun of ``L`` that English does not know at all, between ``the`` and an English word:
  ``the prefeitura declared`` (``_lone_nouns``; loans such as ``barrio`` are known to English);
- a number word of ``L`` opening a partitive is no named thing: ``tres de ellos`` (``NUMERALS``);
  a preposition and a number word of one ``L`` before English are a leftover: ``con due floors``
  (``PREPOSITION_NUMERALS``);
- function words of ``L`` between names: ``como Madrid ou Barcelona``, ``entre Lyon et Lille``
  (``_interleaved``); function words leading into a capitalised noun of ``L`` that English does
  not know: ``the Navy e do Exército``.

- a contracted preposition of L (``CONTRACTED_LINKS``: ``della``, ``dei``) between a plain English
  word and a capitalised common English noun: ``funds della Region`` (``_link_before_english_noun``);
  a preposition of L before a figure: ``in Coimbra até 2026`` (``PREPOSITIONS_BEFORE_NUMBERS``);
  ``e i``, ``e do`` (Italian, Portuguese "and the", "and of the") between lowercase words.

- a short conjunction the word scores cannot tell from English, in the one frame English never
  writes it: ``o`` (or) before an English preposition (``, o in any case``), ``mas``/``mais``
  (but) after a comma or English before an article or determiner (``, mas a recovery``); not
  after an article, a letter or a letter's head (``the o in``, ``type o in``, ``a, e, i, o``)
  (``_short_conjunctions``).

- evidence certain only beside another leftover of the same L found by the rules above (a clean
  article has none, so these never fire on edited English; see ``_with_siblings``): a lone word of
  L English does not use between English words or after a comma (``será recovered``, ``the
  director, quien added``), an auxiliary and participle (``a indiqué that``), a preposition before
  a figure (``capacity para 12,000 people``), a plural article opening a sentence (``Los
  prestadores of``), ``per i 200,000 students``, and runs a name rule would let pass: after a name
  of several capitals or a rare proper noun (``to Cancún por motivos de trabajo``), or a
  preposition and article after a common English noun (``340 points de la capitale``).

- also beside a sibling: ``como`` between a comma and English (``SIBLING_COMMA_WORDS``: Lake Como
  is capitalised), ``de la`` before a capitalised common noun of L between lowercase English
  (``six days de la Ville currently``: ``_link_article_noun``); and, on their own, a preposition
  English also spells before a date (``on sale dal 15 May``: ``PREPOSITIONS_BEFORE_DATES``), a
  bracketed lowercase elided article on a noun of L (``[l'ateneo]``: a brand is capitalised).

An accepted fragment is extended over the foreign words that finish it (``selon une`` +
``source syndicale``, ``und den`` + ``Heizkostenzuschuss``; see ``_extend``).

What is *not* a leftover, and never reported:

- names: capitalised words never start a fragment (except a sentence-initial function word such
  as ``Según`` followed by lowercase English); lowercase words between capitalised ones belong to
  the name (``Río de la Plata``, ``Cerro del Fortín``, ``Der Weg einer Freiheit``, ``Caisse de
  dépôt et placement du Québec``: up to five, when the first capitalised word is a word of ``L`` or
  unknown to English, so not ``the Navy e do Exército``), so do those of a name in sentence case
  (``Société nationale des chemins de fer``) or spelled out before its acronym (``Office québécois
  de la langue française (OQLF)``), ALL-CAPS words opening a line (datelines: ``SÃO PAULO —``,
  ``RIO DE JANEIRO —``), and
  ``de``/``del``/``da``/``von``... before a capitalised word (``the de Blasio era``); a title in
  sentence case continues its capitalised first word (``Cien años de soledad``); a capitalised
  fragment alone on its line is a title in a list; runs of four or more ALL-CAPS words are names
  or headings, and a lone all-caps word is an acronym;
- things named in the other language: ``tacos de canasta``, ``samba de roda``, ``casas de fado``,
  ``pão de queijo``, ``tire sur la neige``, ``aglio e olio``, ``bacalhau à Brás``, ``risotto alla milanese`` (see
  ``_is_compound_name``), and English loan phrases (``de facto``, ``à la carte``,
  ``en route``, ``per se``: ``ENGLISH_LOANS``);
- quoted or parenthesised text, and whole sentences, that are mostly in the other language (a
  slogan, a song title, a gloss such as ``(la migra)``; German „…“ quotation marks too): quoted on
  purpose;
- what an editor keeps on purpose, from ``config/loanwords.yaml`` (``Loanwords``, handed in by
  ``ctx.resources.loanwords``; see ``_drop_deliberate``): dishes (``coq au vin``, ``soupe à
  l'oignon``, ``arepas de huevo``: every content word a dish word, or one in a food article);
  streets, buildings and institutions after their head (``Via dei Tribunali``, ``Rua do
  Ouvidor``: ``_after_name_head``); terms introduced by a naming verb or followed by a gloss
  (``known as the oficina do segredo``, ``saudade (literally, longing)``); leftovers quoted as
  examples, bracketed ones too (``phrases such as "the president of [el país]"``:
  ``quoted_as_example``, the one notion the glossary repair and ``cleaners.translationese`` share,
  so a news story about translation errors passes untouched). A fragment of noun,
  link and noun (``festa da cidade``) is reported with confidence at most 0.5, so that
  ``machine_translated`` counts it half: a term more than a leftover. ``the Serra da Canastra e
  do Cerrado`` joins two places (a geographic head, ``place_features``), so its ``e do`` is one;
- words glued to other characters (``e-mail``, ``Amazon.com``, ``x=[]``);
- anything in an article whose own language is not English: the article's language is not
  foreign. The step decides that with ``cleaners.language.detect_language`` (the detected
  language wins over the feed's declared one, which is often wrong; a text too short to tell
  follows the feed, and English without one) and stores it in ``ctx.language`` for
  ``flags.finish``.

Repairs, only where certain. A fragment that fills a pair of square brackets on its own
(``[el país]``) is a translation tool's "untranslated segment" marker, not an editorial bracket:

- if ``ctx.resources.glossary[L]`` has the fragment (``{"el país": "the country"}``), the whole
  bracketed leftover is replaced by the English, brackets dropped: ``[el país]`` → ``the country``
  (rule ``foreign.glossary``; capitalised at a sentence start);
- otherwise only the marker brackets go: ``[o governo]`` → ``o governo``, still reported (rule
  ``foreign.bracket_marker``).

A bracketed name of L straight after the English name it translates (``towards Corsica [la
Corse]``, ``Lisbon [A Lisboa]``: an article of L and a capitalised name) is no leftover: the text
already says it in English. Its marker brackets become an ordinary gloss, ``Corsica (la Corse)``
(rule ``foreign.name_gloss``; see ``_is_name_gloss``), and nothing is reported.

Every other fragment stays in the text and is reported. Editorial brackets (``[…]``, ``[sic]``,
``[the minister]``, ``[inaudible]``) are English or punctuation and never touched.

Fragments are reported as ``ForeignFragment(text, start, end, lang, score, repaired)``: ``text``
is the leftover as found (``"el país"``, even once repaired); ``score`` is the run score / 7,
capped at 1; ``start``/``end`` index this step's *output* text, and ``flags.finish`` re-anchors
them through the later steps' edits so that the article's ``foreign_fragments`` index the FINAL
cleaned text (for a repaired fragment, the span of its English repair). The step records
``ctx.scratch["foreign_edit_mark"]`` for that.

What this module does not do: detect leftovers in articles written in a language other than
English, or in languages other than ``CANDIDATE_LANGS``; translate anything not in the glossary.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate

from feedscrub.models import Edit, Evidence, ForeignFragment

from .language import detect_language
from .pipeline import Context, StepResult

__all__ = [
    "CANDIDATE_LANGS",
    "FindForeignFragments",
    "Loanwords",
    "compile_loanwords",
    "english_frequency",
    "find_fragments",
    "find_name_glosses",
    "quoted_as_example",
]

CANDIDATE_LANGS = ("es", "pt", "fr", "it", "de")


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


@dataclass(slots=True, frozen=True)
class Loanwords:
    """Words an English editor keeps on purpose (``config/loanwords.yaml``; format in its header):
    dish words and the food context that licenses them, heads of street, building and institution
    names, and geographic heads."""

    culinary: frozenset[str] = frozenset()
    food_context: frozenset[str] = frozenset()
    food_context_min: int = 2
    name_heads: frozenset[str] = frozenset()
    place_features: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()


def compile_loanwords(doc: object) -> Loanwords:
    """Validate the parsed ``config/loanwords.yaml``; ``ValueError`` names the bad field."""
    if not isinstance(doc, dict):
        raise ValueError("loanwords: must be a mapping")

    def words(key: str) -> frozenset[str]:
        value = doc.get(key) or []
        if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
            raise ValueError(f"loanwords: {key!r} must be a list of words")
        return frozenset(w.strip().casefold().replace("’", "'") for w in value)

    minimum = doc.get("food_context_min", 2)
    if not isinstance(minimum, int) or minimum < 1:
        raise ValueError("loanwords: 'food_context_min' must be a positive integer")
    return Loanwords(words("culinary"), words("food_context"), minimum, words("name_heads"),
                     words("place_features"), words("units"))


_EPS = 1e-8
RUN_WORD_MIN_RATIO = 1.0  # a word joins a run when 10x likelier in L than in English ...
FUNCTION_MIN_FREQ = 1e-3  # ... or when this frequent in L (a function word: do, no) ...
FUNCTION_MIN_RATIO = 0.5  # ... and at least 3x likelier in L; a run needs one such word
# a common English word (mayor, plaza, piano) leans only when clearly likelier in L
COMMON_ENGLISH_FREQ = 1e-5
COMMON_ENGLISH_MIN_RATIO = 1.5
SINGLE_MIN_FREQ = 1e-4
SINGLE_MAX_EN_FREQ = 3e-5
SINGLE_MIN_RATIO = 2.5
MAX_CAPS_RUN = 3  # a longer run of ALL-CAPS words is a name or a heading, not a leftover
BRACKET_MIN_SCORE = 2.0
ENGLISH_FUNCTION_FREQ = 1e-3  # "and", "with": a fragment never grows over one
PLAIN_FOREIGN_MAX_EN_FREQ = 1e-6  # a run of plainly foreign words needs each this rare in English
PLAIN_FOREIGN_THRESHOLD_FACTOR = 2.0  # ... and twice the run threshold (two sure words)
STRONG_RATIO = 2.0  # a connector run of words each 100x likelier in L needs no function word
RATIO_CAP = 4.0  # one rare word must not make a fragment on its own

# Real English words (or English-text abbreviations, Unix commands: du) that are also frequent
# function words elsewhere: never a fragment on their own.
ENGLISH_HOMOGRAPHS = _wordset(
    "du con pour sans lo den mal ja je tu ne ce ou es se su si ci di il os mas um mit aus dem ser nos "
    "pas par sur al le les des au et die bin hat son sale dove come burro pan pie red ha ho ma mi "
    "me te ti va vi via ad per pro re"
)

# The only words reported on their own: frequent function words (prepositions, conjunctions,
# contracted articles) of each language that English prose never uses in lowercase; their English
# frequency comes from names (Guillermo del Toro, von der Leyen). A curated list, because English
# has low-frequency homographs for many others (todo, tout, temps, outros, pendant, sans, con).
SINGLE_LEFTOVERS = _wordset(
    "del que las los por para una unos unas más pero según desde hasta hacia sobre entre durante "
    "mediante tras aunque sino cuando donde muy también después segundo não uma mais são pelo pela pelos "
    "pelas após também através até ao aos às numa une dans avec aux chez leur leurs très depuis "
    "lors puis selon della delle dello degli dei nel nella nelle negli alla alle dalla sulla sul "
    "secondo anche presso tramite perché però und der das nicht eine einer eines auf für laut "
    "zwischen gemäß vom zum zur beim sowie wegen bei ist sich auch oder aber nach "
    # Portuguese preposition + demonstrative, one word: "the fleet nesta Tuesday"
    "nesta neste nestas nestes nessa nesse desta deste destas destes dessa desse naquela naquele "
    "daquela daquele "
    # "already" and Italian "in the" (plural): "the Northern Arc, já registers queues", "clinics nei
    # weekend"; never English words
    "já già nei"
)  # not: dos (dos and don'ts), sus, dal (lentils), sous (sous chef), verso, dem

# Prepositions of L, never English words, that stand before a figure: "beds in Coimbra até 2026"
PREPOSITIONS_BEFORE_NUMBERS = _wordset(
    "até após desde hasta según durante depuis jusqu dès selon entro seit nel nella nello dalla dallo "
    # "after", "over", "between", "before", "about": "evacuated, dopo 36 hours of rain", "rund 500
    # people", "avant 2030"
    "dopo oltre tras entre après avant vor etwa rund"
)

# Prepositions of L that are English words too (dal: lentils), leftovers only before a date:
# "on sale dal 15 May", "open dal 2027" (see _date_follows)
PREPOSITIONS_BEFORE_DATES = _wordset("dal dai sous")
_MONTHS = _wordset("january february march april may june july august september october november december "
                   "jan feb mar apr jun jul aug sep sept oct nov dec")


def _date_follows(words: list[_Word], k: int) -> bool:
    """Whether words[k] opens a date: a year (2027) or a day and an English month (15 May)."""
    if k >= len(words):
        return False
    t = words[k].text.rstrip(".,;:")
    if len(t) == 4 and t.isdigit() and t[:2] in ("19", "20"):
        return True
    return t.isdigit() and len(t) <= 2 and k + 1 < len(words) and words[k + 1].low in _MONTHS


# English words that open a noun phrase. A frequent function word of another language standing
# straight before one ("com the heating", "dans the region") is a leftover even when it is not in
# SINGLE_LEFTOVERS: English never puts it there.
ENGLISH_DETERMINERS = _wordset("the an this these those its their his her our")
DETERMINER_MAX_EN_FREQ = 1e-4
# English words that are also such function words and do stand before "the": "give 'em the slip",
# "tout the scheme", "thou hast the", "a boa the length of a bus"
ENGLISH_BEFORE_DETERMINER = _wordset("em tout hast boa")

# Conjunctions (and, or) of the candidate languages, and the prepositions that link names
CONJUNCTIONS = _wordset("y e o et ou und oder")
NAME_LINKS = _wordset("de del da do dos das du des di della delle dello dei degli von")

# Sentence adverbs and connectors ("moreover", "however", "instead"): never English, and as
# leftovers they often stand between commas, so these need not lead into the next word.
SINGLE_CONNECTORS = _wordset(
    "además asimismo entonces incluso todavía além contudo todavia entretanto porém ainda portanto "
    "cependant toutefois néanmoins pourtant d'ailleurs désormais d'après inoltre invece tuttavia "
    "comunque pertanto dunque quindi infatti ormai außerdem allerdings jedoch trotzdem dennoch "
    "deshalb daher zudem ebenfalls "
    # prepositions too rare for SINGLE_LEFTOVERS' frequency floor, never English: "174 passengers,
    # conforme informed the operator" (as, according to)
    "conforme consoante "
    # ... and others of the kind: "lost ten percent, gemäß the measurements", "malgré the rain",
    # "nonostante the protests", "perante the court", "mientras the government negotiates"
    "gemäß angesichts aufgrund bezüglich infolge mittels seitens anlässlich malgré parmi envers "
    "perante nonostante malgrado tranne mientras "
    # "as well as", "that is": "funds for the farmers, nonché for the transport"
    "nonché ossia ovvero sprich "
    # focusing adverbs ("notably", "especially", "mainly"), never English: "financed notamment par
    # la Banque mondiale", "Besonders betroffen are the districts", "soprattutto in the north"
    "notamment surtout particulièrement principalement également especialmente principalmente "
    "particularmente sobretudo soprattutto specialmente particolarmente insbesondere besonders "
    "hauptsächlich vorwiegend"
)

# English loan phrases from other languages: established English, not leftovers.
ENGLISH_LOANS = frozenset(
    p.strip()
    for p in """
    de facto|de jure|de rigueur|de trop|de luxe|de novo|de minimis|à la carte|a la carte|à la mode|
    a la mode|à la|en route|en masse|en bloc|en passant|en suite|en plein air|per se|faux pas|
    du jour|déjà vu|fait accompli|par excellence|tour de force|joie de vivre|pièce de résistance|
    raison d'être|je ne sais quoi|c'est la vie|nom de guerre|nom de plume|hors d'oeuvre|
    hors d'œuvre|crème de la crème|mise en scène|mise en place|cri de coeur|laissez faire|
    savoir faire|bon appétit|bon vivant|femme fatale|avant garde|et al|et cetera|ad hoc|
    status quo|vice versa|in situ|bona fide|pro bono|quid pro quo|per capita|per annum|mea culpa|
    alma mater|persona non grata|sine qua non|modus operandi|magnum opus|prima facie|ad infinitum|
    habeas corpus|hasta la vista|mano a mano|por favor|que sera sera|la dolce vita|dolce vita|
    a cappella|al dente|al fresco|sotto voce|con carne|chili con carne|arroz con pollo|al pastor|
    dulce de leche|pan dulce|carne asada|café con leche|arroz con leche|chile relleno|
    huevos rancheros|sopa de lima|pollo asado|maître d'hôtel|maître d'|table d'hôte|
    crème fraîche|femme de chambre|objet d'art|objets d'art|pico de gallo|son et lumière|coup d'état|coup de grâce|
    au pair|au revoir|au naturel|au gratin|bon voyage|par avion|tête à tête|cause célèbre|
    belle époque|film noir|art deco|art nouveau|nouveau riche|noblesse oblige|esprit de corps|
    pas de deux|idée fixe|enfant terrible|ménage à trois|que será será|vaya con dios|
    cinco de mayo|día de los muertos|dia de los muertos|feliz navidad|la la|ooh la la|tra la la|
    à propos|a propos|entre nous|mi amigo|mi casa|su casa|muchas gracias|hasta luego|hasta mañana|
    buenos días|buenas noches|dolce far niente|la vie en rose|ça va|tout de suite|
    rentrée|la rentrée|laïcité|banlieue|banlieues|grande école|grandes écoles|
        """.replace("\n", "").split("|")
    if p.strip()
)
_LOAN_MAX_WORDS = max(len(p.split()) for p in ENGLISH_LOANS)

# Lowercase words that join capitalised words into one name (``Río de la Plata``).
NAME_CONNECTORS = frozenset(
    str.split(
        "de del della delle dello dei degli di da do dos das du des la las le les los el y e i von "
        "van der den zu"
    )
)
_NAME_LINKS_BEFORE_CAPITAL = frozenset(str.split("de del della di da do dos das du des von van der zu al"))

_ELISION = re.compile(r"(?:l|d|qu|j|n|s|c|m|t|dell|dall|nell|sull|all|un)['’](\w+)$")
_CHUNK = re.compile(r"[^\s<>]+")  # "<" and ">" split HTML remnants from words
_LEAD = "([{“\"'‘«¿¡„‚"
_TRAIL = ")]}”\"'’».,;:!?…"
_CORE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_SENTENCE_END = re.compile(r"(?:[.!?:;…]['\"”’)\]]*|\n)\s*['\"“‘«(\[¿¡]*$")
_SENTENCE = re.compile(r"(?:[^.!?\n<>]+|\n(?![ \t]*\n))+")  # a single newline may be a soft wrap
# German and Polish quotation marks open low: „Ich will hier spielen“ (closed by “, ” or ")
_QUOTED = re.compile(r"„[^“”\"\n]{1,300}[“”\"]|‚[^‘’\n]{1,300}[‘’]|“[^”\n]{1,300}”|«[^»\n]{1,300}»|\"[^\"\n]{1,300}\"|\([^()\n]{1,120}\)")
# single quotes, often nested in a double-quoted remark: "... are 'una vergogna' — a disgrace"
_QUOTED_SINGLE = re.compile(r"(?<![\w'’])['‘][^\W\d_][^'‘’\n]{0,118}['’](?![\w'’])")



LEXICON_MIN_FREQ = 1e-6
MAX_REMEMBERED_FORMS = 400_000  # bounds the quick look's memory (~40 MB at most)
ENGLISH_MIN_FREQ = 1e-7


def _bucket_dict(buckets: list[list[str]], min_freq: float, also: set[str] | None = None) -> dict[str, float]:
    """wordfreq's frequency buckets (bucket i holds words at 10**(-i/100)) as a dict."""
    out: dict[str, float] = {}
    last = int(-100 * math.log10(min_freq))
    for i, bucket in enumerate(buckets):
        f = 10 ** (-i / 100)
        if i <= last:
            out.update(dict.fromkeys(bucket, f))
        elif also:
            out.update((w, f) for w in bucket if w in also)
        else:
            break
    return out


def english_frequency(word: str) -> float:
    """A word's frequency in English (wordfreq), 0.0 when rarer than 1e-7 or unknown."""
    return _Lexicon.get().en_freq(word)


class _Lexicon:
    """wordfreq's frequency lists for English and the candidate languages, loaded once."""

    _lock = threading.Lock()
    _instance: _Lexicon | None = None

    def __init__(self) -> None:
        # Only what the rules read: words of the candidate languages at >= 1e-6 (rarer ones never
        # lean), and English at >= 1e-7 plus every word kept for another language. About a sixth
        # of wordfreq's lists, read without wordfreq's own (unbounded) dictionary cache.
        from wordfreq import get_frequency_list

        self.other = {
            lang: _bucket_dict(get_frequency_list(lang), LEXICON_MIN_FREQ) for lang in CANDIDATE_LANGS
        }
        keep = set().union(*self.other.values())
        self.en = _bucket_dict(get_frequency_list("en"), ENGLISH_MIN_FREQ, keep)
        self._cache: dict[str, dict[str, tuple[float, float]]] = {}
        # word forms, as written, judged by the quick first look (``_may_hold_fragments``)
        self.trigger_forms: set[str] = set()
        self.quiet_forms: set[str] = set()

    @classmethod
    def get(cls) -> _Lexicon:
        if cls._instance is None:
            with cls._lock:
                if cls._instance is None:
                    cls._instance = cls()
        return cls._instance

    def cached_leanings(self, word: str) -> dict[str, tuple[float, float]] | None:
        """``leanings(word)`` if already computed, else None (a quick look for hot loops)."""
        return self._cache.get(word)

    def leanings(self, word: str) -> dict[str, tuple[float, float]]:
        """``{lang: (ratio, freq)}`` for each language the word leans to (see the constants)."""
        got = self._cache.get(word)
        if got is not None:
            return got
        raw, word = word, word.casefold().replace("’", "'")  # wordfreq's keys: außerdem -> ausserdem
        fen = self.en.get(word, 0.0)
        key = word
        m = _ELISION.match(word)
        if m and fen == 0.0:
            key = m.group(1)  # d'après, l'état, dell'anno: judge the word after the elision
        out: dict[str, tuple[float, float]] = {}
        for lang, freqs in self.other.items():
            f = freqs.get(key, 0.0)
            if f < 1e-6:
                continue
            r = math.log10((f + _EPS) / (fen + _EPS))
            content = r >= RUN_WORD_MIN_RATIO and (fen < COMMON_ENGLISH_FREQ or r >= COMMON_ENGLISH_MIN_RATIO)
            if content or (r >= FUNCTION_MIN_RATIO and f >= FUNCTION_MIN_FREQ):
                out[lang] = (min(r, RATIO_CAP), f)
        if len(self._cache) < 200_000:
            self._cache[raw] = out
        return out

    def remember_form(self, form: str, triggers: bool) -> None:
        """Record whether a word form (as written) can take part in a fragment (``_triggers``)."""
        if len(self.trigger_forms) + len(self.quiet_forms) < MAX_REMEMBERED_FORMS:
            (self.trigger_forms if triggers else self.quiet_forms).add(form)

    def ratio(self, word: str, lang: str) -> tuple[float, float]:
        """``(log10 ratio to English, capped; frequency in lang)`` for any word."""
        word = word.casefold()
        f = self.other[lang].get(word, 0.0)
        r = math.log10((f + _EPS) / (self.en.get(word, 0.0) + _EPS))
        return min(r, RATIO_CAP), f

    def en_freq(self, word: str) -> float:
        return self.en.get(word.casefold(), 0.0)


@dataclass(slots=True)
class _Word:
    start: int
    end: int
    text: str
    low: str
    cap: bool  # first letter uppercase, rest not all caps
    upper: bool  # ALL CAPS, two letters or more
    glued_after: str  # trailing punctuation stripped from the chunk
    masked: bool = False


@dataclass(slots=True)
class Found:
    """A detected fragment, in the coordinates of the text the step received."""

    start: int
    end: int
    text: str
    lang: str
    score: float
    bracket_start: int = -1  # set when the fragment fills a [ ... ] pair on its own
    bracket_end: int = -1
    langs: tuple[str, ...] = ()  # every language the words share (del resto: es, it)
    set_phrase: bool = False  # noun, link, noun (a term more than a leftover): reported as weak


def _words(text: str) -> list[_Word]:
    out: list[_Word] = []
    append = out.append
    word = _Word
    for m in _CHUNK.finditer(text):
        chunk = m.group()
        if chunk.isalpha():  # the common case: a bare word, nothing to strip
            upper = len(chunk) > 1 and chunk.isupper()
            append(word(m.start(), m.end(), chunk, chunk.lower(), chunk[0].isupper() and not upper, upper, ""))
            continue
        stripped = chunk.lstrip(_LEAD)
        core = stripped.rstrip(_TRAIL)
        start = m.end() - len(stripped)
        if core.isalpha():
            low = core.lower()
            first = core[0]
        elif ("'" in core or "’" in core) and _CORE.fullmatch(core):
            low = core.lower().replace("’", "'")
            m_el = _ELISION.match(low)  # l’État: capitalised after the elision
            first = core[len(core) - len(m_el.group(1))] if m_el else core[0]
        else:
            # glued to digits, hyphens, dots (e-mail, Amazon.com): a separator for runs
            append(_Word(start, start + len(core), core, "", False, False, "#", True))
            continue
        upper = len(core) > 1 and core.isupper()
        cap = (core[0].isupper() or first.isupper()) and not upper
        append(_Word(start, start + len(core), core, low, cap, upper, stripped[len(core) :]))
    return out


_FAST_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
FAST_MIN_RATIO = 1.75  # no fragment without one word this much likelier in L (3.5 over two, capped at 4)


def _may_hold_fragments(text: str, lex: _Lexicon) -> bool:
    """A cheap first look: does any word lean hard enough to be part of a fragment?

    A capitalised word counts only if it could open one (a function word at a sentence start,
    ``Según``); names such as ``Duque`` cannot. Each whitespace-separated chunk (``según``,
    ``country,``) is judged once per process and remembered in one of two sets, so an article
    costs a split and two set operations.
    """
    chunks = set(text.split())
    if not chunks.isdisjoint(lex.trigger_forms):
        return True
    for chunk in chunks - lex.quiet_forms:
        hit = any(_triggers(w, lex) for w in _FAST_WORD.findall(chunk))
        lex.remember_form(chunk, hit)
        if hit:
            return True
    return False


def _triggers(w: str, lex: _Lexicon) -> bool:
    low = w.lower()
    lean = lex.leanings(low)
    if not lean or max(r for r, _ in lean.values()) < FAST_MIN_RATIO:
        return False
    if w[0].islower() or w.isupper() or low in SINGLE_LEFTOVERS or low in SINGLE_CONNECTORS:
        return True
    return max(f for _, f in lean.values()) >= FUNCTION_MIN_FREQ


def _sentence_start(text: str, start: int) -> bool:
    return (start <= 4 and not text[:start].strip(_LEAD + " \t\n")) or bool(
        _SENTENCE_END.search(text, max(0, start - 40), start)
    )


def _mask_deliberate(text: str, words: list[_Word], lex: _Lexicon) -> None:
    """Mask stretches that are mostly another language: quoted on purpose, not left over.

    A quotation or parenthesis (a slogan, a song title, a gloss such as ``(la migra)``) whose
    lowercase words mostly lean to another language, and any sentence of five or more lowercase
    words that does (a foreign title or a quoted sentence without quotation marks).
    """
    # prefix sums over the lowercase words (capitalised words never start a fragment anyway):
    # how many there are, and how many lean to another language
    lowercase = [bool(w.low) and not (w.cap or w.upper) for w in words]
    cached = lex.cached_leanings
    leanings = lex.leanings
    leans = [
        is_low and bool(lean if (lean := cached(w.low)) is not None else leanings(w.low))
        for w, is_low in zip(words, lowercase, strict=True)
    ]
    n_low = [0, *accumulate(lowercase)]
    n_lean = [0, *accumulate(leans)]
    if n_lean[-1] == 0:
        return
    starts = [w.start for w in words]
    spans = list(_QUOTED.finditer(text)) if any(c in text for c in '“«"(„') else []
    spans += list(_QUOTED_SINGLE.finditer(text)) if any(c in text for c in "'‘") else []
    spans += [m for m in _SENTENCE.finditer(text) if len(m.group()) > 20]
    for m in spans:
        i = bisect.bisect_left(starts, m.start())
        j = bisect.bisect_left(starts, m.end())
        inner, leaning = n_low[j] - n_low[i], n_lean[j] - n_lean[i]
        if not leaning:
            continue
        quoted = m.re is _QUOTED or m.re is _QUOTED_SINGLE
        if (quoted and leaning >= 0.5 * inner) or (not quoted and inner >= 5 and leaning >= 0.6 * inner):
            for w in words[i:j]:
                w.masked = True


def _is_loan(words: list[_Word], i: int, j: int) -> bool:
    """Whether words[i:j] lies within an English loan phrase (looking a little around it)."""
    lo, hi = max(0, i - _LOAN_MAX_WORDS + 1), min(len(words), j + _LOAN_MAX_WORDS - 1)
    for a in range(lo, i + 1):
        for b in range(j, hi + 1):
            if b - a > _LOAN_MAX_WORDS:
                break
            phrase = " ".join(w.low for w in words[a:b])
            if phrase in ENGLISH_LOANS:
                return True
    return False


def _after_figure(text: str, prev: _Word, w: _Word) -> bool:
    """Whether ``prev`` is a figure (``130.16``, ``1,500``, ``2 million``) straight before ``w``."""
    if text[prev.end : w.start].strip():
        return False
    if not prev.low:
        return prev.text[:1].isdigit()
    return prev.low in ("million", "billion", "thousand", "hundred")


def _candidate(w: _Word, lex: _Lexicon) -> dict[str, tuple[float, float]]:
    if w.masked or not w.low:
        return {}
    return lex.leanings(w.low)



def _free(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    """No fragment already found overlaps ``[start, end)``."""
    return not any(a < end and start < b for a, b in taken)


def _clear(found: Iterable[Found], start: int, end: int) -> bool:
    """No fragment of ``found`` overlaps ``[start, end)``."""
    return not any(f.start < end and start < f.end for f in found)


def find_fragments(
    text: str, min_score: float = 0.5, near: list[Found] | None = None, loanwords: Loanwords | None = None
) -> list[Found]:
    """Detect foreign fragments in English ``text``; ``min_score`` scales the run threshold.

    ``loanwords`` (``config/loanwords.yaml``) names what an editor keeps on purpose: dishes,
    streets and buildings named in their language, geographic heads (see ``_kept_on_purpose``).

    Runs of two or more words that lean to one language but score below the threshold, or that
    a name/loan/title rule let pass, are appended to ``near`` when given (``--explain``).
    """
    lex = _Lexicon.get()
    if not _may_hold_fragments(text, lex) and "[" not in text and not _may_hold_glued(text):
        return []  # (brackets may hold a capitalised leftover the quick look skips: [A Prefeitura])
    words = _words(text)
    if not words:
        return []
    _mask_deliberate(text, words, lex)
    run_threshold = 7.0 * min_score
    lw = loanwords or Loanwords()
    found: list[Found] = _bracketed(text, words, lex)
    pending: list[Found] = []  # reported only beside another leftover of L (_with_siblings)
    taken = [(f.start, f.end) for f in found]
    n = len(words)
    i = 0
    while i < n:
        w = words[i]
        lean = _candidate(w, lex)
        if not lean or (w.cap and not _opens_sentence_leftover(text, words, i, lean, lex)):
            i += 1
            continue
        if w.low in lw.units and i > 0 and _after_figure(text, words[i - 1], w):
            i += 1  # "a fine of 130.16 reais", "500 pesos": the country's unit, kept on purpose
            continue
        if w.upper:
            k = i + 1
            while k < n and words[k].upper and not words[k - 1].glued_after:
                k += 1
            if k - i == 1 or k - i > MAX_CAPS_RUN or _caps_dateline(text, words, i, k):
                i = k  # an acronym (MIT, DEL), a name or heading in capitals (BOM DIA BOA TARDE),
                continue  # or a dateline (SÃO PAULO —, RIO DE JANEIRO —)
        k = _interleaved(words, i, lean, lex)
        if k:
            run = words[i:k]
            top = max(lean, key=lambda x: lean[x][0])
            if _free(taken, run[0].start, run[-1].end):
                found.append(_make(text, run, top, run_threshold, set(lean)))
            i = k
            continue
        # grow a run of words leaning to a common language, stopping at punctuation
        langs = set(lean)
        j = i + 1
        while j < n and not words[j - 1].glued_after.strip("'’\"”»") and langs:
            nxt = words[j]
            nl = _candidate(nxt, lex)
            if not nl:
                break
            if nxt.cap and not ("de" in langs and "de" in nl and nl["de"][0] >= 2.0):
                break
            if nxt.upper != w.upper:
                break
            common = langs & set(nl)
            if not common:
                break
            langs = common
            j += 1
        if j - i >= 3 and j < n and not words[j - 1].glued_after and (words[j].cap or words[j].upper) \
                and words[j - 1].low not in NAME_CONNECTORS and "de" not in langs:
            j -= 1  # "e del" + "piazzale Roma": a lowercase head opens the name after the leftover
        run = words[i:j]
        lang, score = _best(run, langs, lex)
        if lang and _after_name_head(words, i, j, lw):
            i = j  # "Via dei Tribunali", "Rua do Ouvidor": a street or building named in L
            continue
        if lang and _link_before_english_noun(words, i, j, lang, lex):
            if _free(taken, words[i].start, words[j - 1].end):
                found.append(_make(text, words[i:j], lang, run_threshold, langs))
            i = j
            continue
        if lang and j - i == 1 and _article_cognate_phrase(words, i, lang, lex):
            if _free(taken, words[i].start, words[i + 2].end):
                found.append(_make(text, words[i : i + 3], lang, run_threshold, langs))
            i += 3
            continue
        if lang and _link_before_name_modifier(words, i, j, lang, lex):
            if _free(taken, words[i].start, words[j - 1].end):
                found.append(_make(text, words[i:j], lang, run_threshold, langs))
            i = j
            continue
        if lang and _leftover_before_noun(words, i, j, lang, lex):
            if _free(taken, words[i].start, words[j].end):
                found.append(_make(text, words[i : j + 1], lang, score + lex.ratio(words[j].low, lang)[0], langs))
            i = j + 1
            continue
        if lang and (_is_name_part(words, i, j, lang, lex) or _acronym_name(text, words, i, j)):
            i = j  # a shorter run inside a name is still part of the name
            continue
        if lang and j < n and not words[j - 1].glued_after and (score < run_threshold or j - i <= 2):
            # "the Navy e do Exército", "the Air Force e da Marinha": function words leading into a
            # capitalised noun of L that English does not know (an institution named in L) are one
            # leftover with it
            nxt = words[j]
            r_next, f_next = lex.ratio(nxt.low, lang) if nxt.low else (0.0, 0.0)
            # ... but not inside a name: "Da Gino al Parlamento" (after a name-like capital)
            in_name = i > 0 and words[i - 1].cap and not words[i - 1].glued_after and (
                _name_like(words[i - 1], lang, lex)
                # a personal name after a capital ("Da Gino"), not English words ("Air Force")
                or (i > 1 and words[i - 2].cap and not words[i - 2].glued_after
                    and lex.en_freq(words[i - 1].low) < 1e-5))
            # ... nor before a longer name: "e dalla Regione Lombardia" (the leftover is "e dalla")
            longer = j + 1 < n and not nxt.glued_after and (words[j + 1].cap or words[j + 1].upper)
            if nxt.cap and r_next >= STRONG_RATIO and f_next >= 1e-5 and lex.en_freq(nxt.low) < 1e-7 \
                    and not in_name and not longer:
                j += 1
                run = words[i:j]
                score += r_next
        if (
            lang
            and _accept(run, lang, score, lex, run_threshold, words, j - 1)
            and not _is_loan(words, i, j)
        ):
            if _is_compound_name(text, words, i, j, lang, lex):
                if _named_or_left(words, i, j, lex):  # a name, or a leftover: the article decides
                    pending.append(_make(text, run, lang, score, langs))
                i = j  # tacos de canasta: the whole run is the name, not just its first words
                continue
            if _free(taken, run[0].start, run[-1].end) and not _whole_line_title(
                text, run
            ):
                j0, j = j, _extend(words, j, lang, lex)
                for other in sorted(langs - {lang}) if j0 - i == 1 else ():  # "que" + "a maior parte": pt
                    j_other = _extend(words, j0, other, lex)
                    if j_other > j:
                        j, lang = j_other, other
                if j - i == 1 and w.cap and j < n and not words[j].low and words[j].text[:1].isdigit() \
                        and text.startswith(",", words[j].end):
                    j += 1  # "Nel 2024, the fee": the phrase opening the sentence, year and all
                run = words[i:j]
                found.append(_make(text, run, lang, score, langs))
            i = j
        elif j - i > 1:
            if near is not None and lang and score >= 0.6 * run_threshold:
                near.append(_make(text, run, lang, score, langs))
            i += 1  # a shorter run starting later may still qualify
        else:
            i = j
    found.extend(_compound_prepositions(text, words, found, lex, run_threshold))
    found.extend(_lone_nouns(words, found, lex))
    found.extend(_postposed_adjectives(words, found, lex))
    found.extend(_opening_articles(text, words, found, lex))
    found.extend(_preposition_numerals(text, words, found, run_threshold))
    found.extend(_glued_connectors(text, words, found, run_threshold))
    found.extend(_conjunction_article(text, words, found, run_threshold, lex))
    found.extend(_stranded_conjunctions(text, words, found, lex, run_threshold, lw.place_features))
    found.extend(_short_conjunctions(text, words, found, lex, run_threshold))
    found.sort(key=lambda f: f.start)
    found = _drop_deliberate(text, words, found, lex, lw)
    if found:
        found.extend(_opening_names(text, words, found, lex))
        found.extend(_with_siblings(text, words, found, pending, lex, lw))
        found.sort(key=lambda f: f.start)
    if len(found) > 1:
        found = _join_clauses(text, words, found, lex)
    # an ambiguous fragment (del resto: es or it) takes the language of the article's others
    counts: dict[str, int] = {}
    for f in found:
        counts[f.lang] = counts.get(f.lang, 0) + (len(f.langs) <= 1)
    if counts:
        main = max(counts, key=lambda k: counts[k])
        for f in found:
            if main in f.langs and counts[main] > 0:
                f.lang = main
    return found


# Evidence that is certain only beside another leftover of the same language (a sibling found by
# the rules above, not one of these): a lone word of L, a name-like phrase of L. A clean article
# has no sibling, so these never fire on edited English; in a translated one, the tool that left
# "según" also left "será" and "por motivos de trabajo".
SIBLING_MIN = 1
SIBLING_WORD_MIN_RATIO = 3.0  # a lone word a thousand times likelier in L than in English ...
SIBLING_WORD_MIN_FREQ = 1e-5  # ... a common word of L (será, quien, lembrando, agregó) ...
SIBLING_WORD_MAX_EN_FREQ = 1e-6  # ... that English does not use
# auxiliaries of L taken in before a lone participle of L: "a indiqué", "ha señalado", "tem dito"
PARTICIPLE_ENDINGS: dict[str, tuple[str, ...]] = {
    "fr": ("é", "ée", "és", "ées", "u", "ue", "us", "is", "it", "ert", "int"),
    "es": ("ado", "ido", "ada", "ida", "cho", "to"),
    "pt": ("ado", "ido", "ada", "ida", "to"),
    "it": ("ato", "ito", "uto", "ata", "ita", "uta", "sto", "so"),
}
AUXILIARIES: dict[str, frozenset[str]] = {  # (each with its participles' endings)
    "fr": _wordset("a ont avait avaient aurait est sont était"),
    "es": _wordset("ha han había habían habría"),
    "pt": _wordset("tem têm tinha tinham foi foram"),
    "it": _wordset("ha hanno aveva avevano è sono era"),
}
# plural articles of L that never open an English sentence: "Los prestadores of tourist services"
# a conjunction of L that English spells only as a name (Lake Como), between a comma and English:
# "when the power fails, como happened in 2024"
SIBLING_COMMA_WORDS: dict[str, tuple[str, ...]] = {"como": ("es", "pt")}
SIBLING_OPENING_ARTICLES: dict[str, str] = {"los": "es", "las": "es", "gli": "it", "os": "pt"}
# an Italian preposition and plural article: "per i 200,000 students", "con gli operators"
ITALIAN_PREPOSITION_ARTICLES = (_wordset("per con tra fra su da"), _wordset("i gli"))


def _named_or_left(words: list[_Word], i: int, j: int, lex: _Lexicon) -> bool:
    """A run ``_is_compound_name`` let pass that reads as a leftover too: a preposition of L
    (``SINGLE_LEFTOVERS``) after a capitalised word (``to Cancún por motivos de trabajo``: a title
    in sentence case reads the same), or a preposition and an article of L after a common English
    noun (``340 points de la capitale``; ``tire sur la neige`` reads the same). Decided by
    ``_with_siblings``."""
    run, prev = words[i:j], words[i - 1] if i > 0 else None
    if prev is None or prev.glued_after or run[0].cap or run[0].upper:
        return False
    if run[0].low in SINGLE_LEFTOVERS and prev.cap:
        # after a name of several capitals ("the Plaza Grande desde el próximo mes") or a proper
        # noun rare in L's own text ("to Cancún por motivos"): a title in sentence case has one
        # capital, on a common word of L, often after an article ("the Consulta della bicicletta")
        before = words[i - 2] if i >= 2 else None
        several = before is not None and (before.cap or before.upper) and not before.glued_after
        proper = max((f for _, f in lex.leanings(prev.low).values()), default=0.0) < SIBLING_WORD_MIN_FREQ \
            and (before is None or before.low not in ENGLISH_DETERMINERS | {"a"})
        return several or proper
    return (len(run) >= 3 and run[0].low in NAME_LINKS and run[1].low in _NOUN_PHRASE_ARTICLES
            and bool(prev.low) and not (prev.cap or prev.upper) and lex.en_freq(prev.low) >= COMMON_ENGLISH_FREQ)


def _english_word(w: _Word | None, lex: _Lexicon) -> bool:
    """A lowercase word of plain English, not plainly a word of another language (``pesos`` is
    English too)."""
    return (w is not None and bool(w.low) and not (w.cap or w.upper or w.masked)
            and lex.en_freq(w.low) >= OPENING_NEXT_MIN_EN_FREQ
            and not any(r >= STRONG_RATIO for r, _ in lex.leanings(w.low).values()))


def _sibling_candidates(text: str, words: list[_Word], lex: _Lexicon) -> list[Found]:
    """The lone leftovers ``_with_siblings`` weighs (each a rule's evidence, never enough alone):

    - a lowercase word of L that English does not use (``SIBLING_WORD_*``) between lowercase
      English words or after a comma: ``the investment será recovered``, ``the director, quien
      added``, ``a councillor, lembrando that``; with an auxiliary of L before a participle (``a
      indiqué that``: ``AUXILIARIES``) and the words of L after it (``quien agregó that``);
    - a preposition of L (``SINGLE_LEFTOVERS``) before a figure and an English word: ``capacity
      para 12,000 people``;
    - a plural article of L opening a sentence before a lowercase word English does not know and
      English: ``Los prestadores of tourist services`` (``SIBLING_OPENING_ARTICLES``);
    - an Italian preposition and plural article before a figure or English: ``per i 200,000
      students`` (``ITALIAN_PREPOSITION_ARTICLES``)."""
    out: list[Found] = []
    n = len(words)
    preps, articles = ITALIAN_PREPOSITION_ARTICLES
    en_get = lex.en.get
    for k, w in enumerate(words):
        low = w.low
        if not low or w.upper or w.masked:
            continue
        if w.cap:
            lang = SIBLING_OPENING_ARTICLES.get(low)
            nxt = words[k + 1] if lang and k + 1 < n else None
            if lang and nxt is not None and not w.glued_after and not nxt.glued_after and k + 2 < n \
                    and nxt.low and not (nxt.cap or nxt.upper or nxt.masked) and len(nxt.low) >= 4 \
                    and lex.en_freq(nxt.low) < LONE_NOUN_MAX_EN_FREQ and _english_word(words[k + 2], lex) \
                    and _sentence_start(text, w.start):
                out.append(_make(text, words[k : k + 2], lang, 3.5, {lang}))
            continue
        if low == "de" and k >= 1:
            langs = _link_article_noun(words, k, lex)
            if langs:
                out.append(_make(text, words[k : k + 3], max(sorted(langs), key=lambda lg: lex.ratio(
                    words[k + 2].low, lg)[0]), 3.5, langs))
            continue
        if low in NAME_LIST_CONJUNCTIONS:
            e = _conjunction_in_names(words, k, lex)
            if e:
                lang = NAME_LIST_CONJUNCTIONS[low]
                out.append(_make(text, words[k:e], lang, 3.5, {lang}))
            continue
        if low not in preps and low not in SINGLE_LEFTOVERS and low not in SIBLING_COMMA_WORDS \
                and (len(low) < 4 or en_get(low, 0.0) >= SIBLING_WORD_MAX_EN_FREQ):
            continue  # (most words: plain English)
        prev = words[k - 1] if k else None
        nxt = words[k + 1] if k + 1 < n else None
        if low in SIBLING_COMMA_WORDS:
            if prev is not None and prev.glued_after == "," and not w.glued_after and nxt is not None \
                    and nxt.low and not (nxt.cap or nxt.upper or nxt.masked) and _english_word(nxt, lex) \
                    and not _leans(nxt.low, lex):
                out.append(_make(text, [w], SIBLING_COMMA_WORDS[low][0], 3.5, set(SIBLING_COMMA_WORDS[low])))
            continue
        if w.low in preps and nxt is not None and nxt.low in articles and not w.glued_after \
                and not nxt.glued_after and k + 2 < n and prev is not None and _english_word(prev, lex) \
                and not prev.glued_after and (words[k + 2].text[:1].isdigit() or _english_word(words[k + 2], lex)):
            out.append(_make(text, words[k : k + 2], "it", 3.5, {"it"}))
            continue
        if w.low in SINGLE_LEFTOVERS and w.low not in ENGLISH_HOMOGRAPHS and not w.glued_after \
                and nxt is not None and not nxt.low and nxt.text[:1].isdigit() and not nxt.glued_after.strip("#") \
                and k + 2 < n and _english_word(words[k + 2], lex) and prev is not None \
                and _english_word(prev, lex) and not prev.glued_after:
            lean = lex.leanings(w.low)
            if lean:
                lang = max(sorted(lean), key=lambda lg: lean[lg][0])
                out.append(_make(text, [w], lang, 3.5, set(lean)))
            continue
        if len(w.low) < 4 or lex.en_freq(w.low) >= SIBLING_WORD_MAX_EN_FREQ:
            continue
        langs = {lg for lg, (r, f) in lex.leanings(w.low).items()
                 if r >= SIBLING_WORD_MIN_RATIO and f >= SIBLING_WORD_MIN_FREQ}
        if not langs and prev is not None and prev.glued_after == "," and not w.glued_after \
                and nxt is not None and nxt.low in ENGLISH_DETERMINERS and lex.en_freq(w.low) == 0.0:
            # ", detalló the agency", ", acrescentou the mayor": a reporting verb of L English never
            # writes, between a comma and an English determiner (rarer forms: past tenses)
            langs = {lg for lg, (r, f) in lex.leanings(w.low).items()
                     if r >= RUN_WORD_MIN_RATIO * 2 and f >= 1e-6}
        if not langs or prev is None:
            continue
        a = k
        if any(prev.low in AUXILIARIES.get(lg, ()) and w.low.endswith(PARTICIPLE_ENDINGS[lg]) for lg in langs) \
                and not prev.glued_after and not (prev.cap or prev.upper):
            a = k - 1  # "a indiqué", "ha señalado": the auxiliary goes with its participle
        elif prev.low in ENGLISH_DETERMINERS or prev.low == "a":
            continue  # "is a fuite en avant": a noun of L an English article introduces is a term
        before = words[a - 1] if a else None
        if before is None or before.masked or before.glued_after not in ("", ","):
            continue
        if before.glued_after == "" and not (_english_word(before, lex) or (before.cap and a == k - 1)):
            continue  # after a comma ("the director, quien added"), or after English
        lang = max(sorted(langs), key=lambda lg: lex.ratio(w.low, lg)[0])
        e = _extend(words, k + 1, lang, lex) if not w.glued_after else k + 1
        after = words[e] if e < n else None
        if not words[e - 1].glued_after and not _english_word(after, lex):
            continue  # the sentence goes on in L (a quotation) or in a name
        out.append(_make(text, words[a:e], lang, 3.5, langs))
    return out


LINK_ARTICLES: dict[str, tuple[str, ...]] = {"la": ("fr", "es"), "las": ("es",), "los": ("es",), "les": ("fr",)}


def _link_article_noun(words: list[_Word], k: int, lex: _Lexicon) -> set[str]:
    """``five to six days de la Ville currently``: ``de`` and an article of L after a lowercase
    English word, before a capitalised common noun of L English hardly uses and lowercase English
    after it (an institution left untranslated: Ville, Junta). The languages, or none. A name has
    a capital before it (``Río de la Plata``, ``Tour de la Provence``)."""
    n = len(words)
    if k + 2 >= n or words[k].glued_after or words[k + 1].glued_after:
        return set()
    prev, art, noun = words[k - 1], words[k + 1], words[k + 2]
    if art.low not in LINK_ARTICLES or prev.cap or prev.upper or prev.masked or prev.glued_after \
            or not _english_word(prev, lex) or _leans(prev.low, lex):
        return set()
    if not noun.cap or noun.masked or noun.upper or lex.en_freq(noun.low) >= COMMON_ENGLISH_FREQ:
        return set()
    after = words[k + 3] if k + 3 < n else None
    if not noun.glued_after and (after is None or after.cap or after.upper or not _english_word(after, lex)):
        return set()  # a longer name, or the sentence goes on in L
    return {lg for lg in LINK_ARTICLES[art.low] if lex.ratio(noun.low, lg)[0] >= STRONG_RATIO
            and lex.ratio(noun.low, lg)[1] >= 1e-5}


# a conjunction of L English never writes, joining names: "Tumaco, Buenaventura y Guapi",
# "markets in Europe y Estados Unidos" (not "Ramón y Cajal", "Ortega y Gasset", "the Va y Ven
# bus": one name)
NAME_LIST_CONJUNCTIONS: dict[str, str] = {"y": "es"}
NAME_LIST_MAX_WORDS = 3


def _conjunction_in_names(words: list[_Word], k: int, lex: _Lexicon) -> int:
    """The end of ``y`` + the name after it when ``y`` joins names in a list (a comma before the
    name before it) or after a name English spells too (``Europe``); 0 otherwise."""
    n = len(words)
    if k < 1 or k + 1 >= n or words[k].glued_after or words[k - 1].glued_after:
        return 0
    prev = words[k - 1]
    if not prev.cap or prev.masked or not words[k + 1].cap or words[k + 1].masked or len(prev.low) < 3:
        return 0
    if k >= 2 and words[k - 2].low in ENGLISH_DETERMINERS and not words[k - 2].glued_after:
        return 0  # "the Va y Ven system", "the Ramón y Cajal hospital": one name
    listed = k >= 2 and words[k - 2].glued_after == "," and (words[k - 2].cap or words[k - 2].upper)
    if not listed and lex.en_freq(prev.low) < COMMON_ENGLISH_FREQ:
        return 0
    e = k + 1
    while e < n and e < k + 1 + NAME_LIST_MAX_WORDS and words[e].cap and not words[e].masked:
        e += 1
        if words[e - 1].glued_after:
            break
    if e < n and not words[e - 1].glued_after and (words[e].cap or words[e].upper):
        return 0  # a longer name goes on
    return e


def _with_siblings(
    text: str, words: list[_Word], found: list[Found], pending: list[Found], lex: _Lexicon, lw: Loanwords
) -> list[Found]:
    """The ``pending`` runs and ``_sibling_candidates`` that stand in an article holding
    ``SIBLING_MIN`` leftovers of their language found on surer evidence (``found``), and that no
    editor kept on purpose (``_drop_deliberate``)."""
    per_lang: dict[str, int] = {}
    for f in found:
        for lg in f.langs or (f.lang,):
            per_lang[lg] = per_lang.get(lg, 0) + 1
    if max(per_lang.values(), default=0) < SIBLING_MIN:
        return []
    out: list[Found] = []
    starts = [w.start for w in words]
    for f in _drop_deliberate(text, words, [*pending, *_sibling_candidates(text, words, lex)], lex, lw):
        langs = [lg for lg in f.langs or (f.lang,) if per_lang.get(lg, 0) >= SIBLING_MIN]
        if not langs or not _clear((*found, *out), f.start, f.end):
            continue
        if _is_loan(words, bisect.bisect_left(starts, f.start), bisect.bisect_left(starts, f.end)) \
                or quoted_as_example(text, f.start):
            continue
        f.lang = max(langs, key=lambda lg: per_lang[lg])
        out.append(f)
    return out


# What may stand between two fragments of one language that are one clause of it: figures
# ("de 12,7 % sur"), at most one comma, and words English does not use or shares with L.
_GAP_FIGURE = re.compile(r"\d[\d.,]*%?|%")
JOIN_MAX_GAP_WORDS = 3
JOIN_UNKNOWN_MAX_EN_FREQ = 1e-7  # "internamento", "crederò": unknown to English (and to the lists)


def _join_clauses(text: str, words: list[_Word], found: list[Found], lex: _Lexicon) -> list[Found]:
    """Make one fragment of neighbours that are one clause of L: ``Le gouvernement`` + ``propose``
    + ``une augmentation de`` + ``12,7 %`` + ``sur cinq ans``; ``e o tempo de`` + ``internamento``
    + ``diminui para metade``; ``se possível``, ``evitar os horários de pico``.

    The words between must be figures, words English does not know, or one word L shares with
    English (``propose``); a comma joins two fragments of two words or more each (not a connector
    and the leftover after it: ``sin embargo, según``). Bracketed fragments stay apart."""
    out = [found[0]]
    for g in found[1:]:
        f = out[-1]
        langs = (set(f.langs) or {f.lang}) & (set(g.langs) or {g.lang})
        if f.lang in (set(g.langs) or {g.lang}):
            langs.add(f.lang)
        if f.end <= g.start and langs and f.bracket_start < 0 and g.bracket_start < 0 \
                and _one_clause(text[f.end : g.start], f, g, langs, lex):
            lang = f.lang if f.lang in langs else min(langs)
            joined = Found(f.start, g.end, text[f.start : g.end], lang, f.score + g.score,
                           langs=tuple(sorted(langs)))
            out[-1] = joined
            continue
        out.append(g)
    return out


def _one_clause(gap: str, f: Found, g: Found, langs: set[str], lex: _Lexicon) -> bool:
    tokens = gap.split()
    if len(tokens) > JOIN_MAX_GAP_WORDS + 1 or gap.count("\n"):
        return False
    commas, shared = 0, 0
    for tok in tokens:
        if _GAP_FIGURE.fullmatch(tok):
            continue
        core = tok.rstrip(",")
        commas += len(tok) - len(core)
        if not core:
            continue
        if not core.isalpha() or not core.islower():
            return False
        fen = lex.en_freq(core)
        if fen < JOIN_UNKNOWN_MAX_EN_FREQ:
            continue
        if fen >= ENGLISH_FUNCTION_FREQ or not any(_cognate(*lex.ratio(core, lg)) for lg in langs):
            return False
        shared += 1
    if shared > 1 or commas > 1:
        return False
    return not commas or (len(f.text.split()) >= 2 and len(g.text.split()) >= 2)


# Prepositions of several words, some holding an English word ("à cause de": cause), so the word
# scores miss them; a leftover when English goes on straight after ("delays à cause de the
# expropriations").
COMPOUND_PREPOSITIONS: dict[str, tuple[str, ...]] = {
    "fr": ("à cause de", "à cause du", "à cause des", "grâce à", "grâce au", "grâce aux",
           "à partir de", "à partir du", "au lieu de", "à côté de", "au cours de", "au sein de",
           "afin de", "auprès de", "face à", "en raison de", "en dépit de", "à l'égard de",
           "à l'issue de", "jusqu'à", "sous peine de", "sous peine", "faute de", "à l'instar de",
           "lors de"),
    "es": ("a causa de", "a partir de", "o sea", "es decir", "a pesar de", "en lugar de", "a través de", "además de",
           "junto a", "frente a", "debido a", "acerca de", "en cuanto a", "alrededor de",
           "a lo largo de", "por medio de", "en contra de", "dentro de", "después de"),
    "pt": ("por causa de", "a partir de", "apesar de", "em vez de", "através de", "além de",
           "ao longo de", "em relação a", "por meio de", "diante de", "depois de", "dentro de"),
    "it": ("a causa di", "a causa del", "a causa della", "a partire da", "a partire dal",
           "invece di", "grazie a", "grazie al", "grazie alla", "insieme a", "oltre a",
           "rispetto a", "in base a", "accanto a", "vale a dire"),
}
# ... and each with its last preposition contracted with an article: "a partir del Saturday",
# "au lieu du", "além do", "grazie alla"
_CONTRACTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {"de": ("del",), "a": ("al",)},
    "pt": {"de": ("do", "da", "dos", "das"), "a": ("ao", "à", "aos", "às"), "em": ("no", "na")},
    "fr": {"de": ("du", "des"), "à": ("au", "aux")},
    "it": {"di": ("del", "della", "dei", "degli", "delle"), "a": ("al", "alla", "ai", "alle"),
           "da": ("dal", "dalla", "dai")},
}
for _lang, _phrases in list(COMPOUND_PREPOSITIONS.items()):
    _more = []
    for _p in _phrases:
        _head, _, _last = _p.rpartition(" ")
        for _c in _CONTRACTIONS.get(_lang, {}).get(_last, ()) if _head else ():
            _more.append(f"{_head} {_c}")
    COMPOUND_PREPOSITIONS[_lang] = tuple(dict.fromkeys((*_phrases, *_more)))
_COMPOUND_PREPOSITION = re.compile(
    r"(?<![\w'’-])(" + "|".join(
        sorted({re.escape(p) for ps in COMPOUND_PREPOSITIONS.values() for p in ps}, key=len, reverse=True)
    ) + r")(?= [^\W\d_])",
    re.IGNORECASE,
)
_PREPOSITION_LANGS: dict[str, list[str]] = {}
for _lang, _phrases in COMPOUND_PREPOSITIONS.items():
    for _p in _phrases:
        _PREPOSITION_LANGS.setdefault(_p, []).append(_lang)
# the longest word of each phrase: a text holding none of them needs no regex scan
_PREPOSITION_FIRST = frozenset(p.split()[0].lower() for p in _PREPOSITION_LANGS)
_PREPOSITION_KEYS = frozenset(max(p.split(), key=len) for p in _PREPOSITION_LANGS)


def _compound_prepositions(
    text: str, words: list[_Word], found: list[Found], lex: _Lexicon, score: float
) -> list[Found]:
    """``delays à cause de the expropriations``: a preposition of several words of L
    (``COMPOUND_PREPOSITIONS``) leading straight into English (the next word is no word of L);
    lowercase, or capitalised at a sentence start. Quoted or masked stretches are left alone."""
    if _PREPOSITION_KEYS.isdisjoint([w.low for w in words]):
        return []
    out: list[Found] = []
    starts = [w.start for w in words]
    # matched only where a phrase's first word stands (one long alternation tried at every
    # position of the text costs more than the rest of this function)
    matches = (
        m for w in words if w.low in _PREPOSITION_FIRST and (m := _COMPOUND_PREPOSITION.match(text, w.start))
    )
    for m in matches:
        phrase = m.group(1)
        if phrase[0].isupper() and not _sentence_start(text, m.start()):
            continue
        k = bisect.bisect_left(starts, m.start())
        e = bisect.bisect_left(starts, m.end())
        if k >= len(words) or words[k].start != m.start() or e >= len(words):
            continue
        run, nxt = words[k:e], words[e]
        if any(w.masked or w.upper for w in run) or any(w.glued_after for w in run[:-1]):
            continue
        if run[-1].glued_after.strip("'’") or nxt.masked or not nxt.low:
            continue
        langs = _PREPOSITION_LANGS[phrase.lower().replace("’", "'")]
        if any(lg in lex.leanings(nxt.low) for lg in langs) and lex.en_freq(nxt.low) < ENGLISH_FUNCTION_FREQ:
            continue  # the phrase goes on in L: the run rules judge the whole of it
        over = [f for f in found if f.start < m.end() and m.start() < f.end]
        if any(f.start < m.start() or f.end > m.end() for f in over):
            continue
        for f in over:  # "partir del" found by the run rules: the whole preposition is the leftover
            found.remove(f)
        out.append(_make(text, run, langs[0], score, set(langs)))
    return out


# Connectors written with hyphens or as abbreviations, which the word rules cannot score (wordfreq
# splits them, and a word glued to dots or hyphens is a separator): "soils more unstable,
# c'est-à-dire that", "further strikes bzw. an expansion". Reported when English stands on both
# sides (a quoted sentence in L is masked, and so are its words).
GLUED_CONNECTORS: dict[str, str] = {
    "c'est-à-dire": "fr", "peut-être": "fr", "au-delà": "fr", "bzw.": "de", "d.h.": "de", "z.b.": "de",
    "usw.": "de", "u.a.": "de", "bspw.": "de", "ggf.": "de", "evtl.": "de", "ecc.": "it", "cfr.": "it",
    "p.ej.": "es", "p. ej.": "es",
}
_GLUED_CONNECTOR = re.compile(
    r"(?<![\w'’.-])(" + "|".join(re.escape(k).replace("'", "['’]") for k in GLUED_CONNECTORS)
    + r")(?=[\s,;:)]|$)",
    re.IGNORECASE,
)
# a cheap look before the regex: each connector's tail, as it appears in lowercased text
_GLUED_TAILS = tuple({k.replace("'", "")[-6:] for k in GLUED_CONNECTORS})


def _may_hold_glued(text: str) -> bool:
    low = text.lower()
    return any(t in low for t in _GLUED_TAILS)


def _glued_connectors(text: str, words: list[_Word], found: list[Found], score: float) -> list[Found]:
    """``c'est-à-dire that``, ``bzw. an``: see ``GLUED_CONNECTORS``."""
    if not _may_hold_glued(text):
        return []
    out: list[Found] = []
    starts = [w.start for w in words]
    for m in _GLUED_CONNECTOR.finditer(text):
        key = m.group(1).lower().replace("’", "'")
        if m.group(1)[0].isupper() and not _sentence_start(text, m.start()):
            continue
        k = bisect.bisect_left(starts, m.start())
        e = bisect.bisect_right(starts, m.end() - 1)
        before = words[k - 1] if k > 0 else None
        after = words[e] if e < len(words) else None
        if after is None or not after.low or after.masked or (before is not None and before.masked):
            continue  # a quoted sentence in L, or the end of the text
        if not _clear(found, m.start(), m.end()):
            continue
        lang = GLUED_CONNECTORS[key]
        out.append(Found(m.start(), m.end(), m.group(1), lang, score, langs=(lang,)))
    return out


# "a terminal con due floors": a preposition of L with a number word of L, before English. The
# number words are per language, so "con due" (it) counts and "con dos" (es) too, while the
# English "con" before "due to" does not.
PREPOSITION_NUMERALS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "it": (_wordset("con senza"), _wordset("due tre quattro cinque sei sette otto nove dieci")),
    "es": (_wordset("con sin"), _wordset("dos tres cuatro cinco seis siete ocho nueve diez")),
    "pt": (_wordset("com sem"), _wordset("dois duas três quatro cinco seis sete oito nove dez")),
    "fr": (_wordset("avec sans"), _wordset("deux trois quatre cinq six sept huit neuf dix")),
    "de": (_wordset("mit ohne"), _wordset("zwei drei vier fünf sechs sieben acht neun zehn")),
}
_NUMERAL_PREPOSITIONS = frozenset().union(*(preps for preps, _ in PREPOSITION_NUMERALS.values()))
_NOT_AFTER_NUMERAL = _wordset("to diligence process course date")  # "con due to", "due process"


def _preposition_numerals(text: str, words: list[_Word], found: list[Found], score: float) -> list[Found]:
    """``con due floors``, ``com dois cinemas``: a preposition and a number word of the same L
    (``PREPOSITION_NUMERALS``), lowercase, between English words."""
    out: list[Found] = []
    for k in range(len(words) - 2):
        if words[k].low not in _NUMERAL_PREPOSITIONS:
            continue
        w, num, nxt = words[k], words[k + 1], words[k + 2]
        if w.cap or w.upper or w.masked or w.glued_after or num.glued_after or num.masked:
            continue
        if not nxt.low or nxt.cap or nxt.upper or nxt.masked or nxt.low in _NOT_AFTER_NUMERAL:
            continue
        for lang, (preps, numerals) in PREPOSITION_NUMERALS.items():
            if w.low in preps and num.low in numerals:
                if _clear(found, w.start, num.end):
                    out.append(_make(text, words[k : k + 2], lang, score, {lang}))
                break
    return out


LONE_NOUN_MIN_RATIO = 3.0  # a thousand times likelier in L than in English ...
LONE_NOUN_MIN_FREQ = 2e-5  # ... a common word of L (prefeitura, gobierno, ayuntamiento) ...
LONE_NOUN_MAX_EN_FREQ = 1e-7  # ... unknown to English (loans such as barrio, favela, plaza are known)
LONE_NOUN_AFTER = _wordset("the an")  # "the prefeitura declared", "an expediente of"
# "the buses urbanos.", "an occupation hotelera of 96%": an adjective of L left after the English
# noun it follows (Romance adjectives follow their noun), a word English does not know at all
POSTPOSED_MIN_RATIO = 2.0
POSTPOSED_MIN_FREQ = 1e-6
POSTPOSED_LANGS = ("es", "pt", "it")
# the English noun before the adjective: plain English, not only the commonest ("booking obbligatoria")
POSTPOSED_PREV_MIN_EN_FREQ = 1e-6
POSTPOSED_ENDINGS = ("os", "as", "era", "ero", "ales", "iles", "ivo", "iva", "ico", "ica", "ano", "ana",
                     "ense", "enses", "oso", "osa", "ado", "ada", "ido", "ida", "ario", "aria", "oria", "orio")


def _lone_nouns(words: list[_Word], found: list[Found], lex: _Lexicon) -> list[Found]:
    """``The prefeitura declared``: a common noun of L that English does not know at all, between
    English ``the`` and an English word (``LONE_NOUN_*``): the tool left the noun untranslated.

    Not a dish or thing named in L: the word after it is no word of L (``the oficina do segredo``,
    ``the pão de queijo`` go on in L), and English loans (``the barrio``, ``the piazza``) are known
    to English. Capitalised words (names) are never judged here."""
    out: list[Found] = []
    for k in range(1, len(words) - 1):
        if words[k - 1].low not in LONE_NOUN_AFTER:
            continue
        w, prev, nxt = words[k], words[k - 1], words[k + 1]
        if w.low == "" or w.cap or w.upper or w.masked or w.glued_after or prev.glued_after:
            continue
        if not nxt.low or nxt.cap or nxt.upper or nxt.masked:
            continue
        if lex.en_freq(w.low) >= LONE_NOUN_MAX_EN_FREQ or lex.en_freq(nxt.low) < COMMON_ENGLISH_FREQ:
            continue
        lean = lex.leanings(w.low)
        langs = [lg for lg, (r, f) in sorted(lean.items())
                 if r >= LONE_NOUN_MIN_RATIO and LONE_NOUN_MIN_FREQ <= f < FUNCTION_MIN_FREQ]
        if not langs or (w.low.endswith("s") and lex.en_freq(w.low[:-1]) > 0.0) or _is_loan(words, k, k + 1):
            continue  # a function word of L (outros), an English plural (outros: outro), a loan (the rentrée)
        if any(lex.ratio(w.low, lg)[1] >= 1e-6 and lg in lex.leanings(nxt.low) for lg in CANDIDATE_LANGS):
            continue  # "the oficina do segredo": the name goes on in L
        if not _clear(found, w.start, w.end):
            continue
        lang = max(langs, key=lambda lg: lean[lg][0])
        out.append(Found(w.start, w.end, w.text, lang, lean[lang][0], langs=tuple(langs)))
    return out


def _postposed_adjectives(words: list[_Word], found: list[Found], lex: _Lexicon) -> list[Found]:
    """``the buses urbanos.``, ``weapons blancas during``: an adjective of L (``POSTPOSED_*``: its
    ending, a word English does not know at all) straight after a lowercase English word and
    before punctuation or another English word. A phrase named in L (``salsa verde``, ``casas
    de fado``) has a word of L before it, and capitalised words (names) are never judged."""
    out: list[Found] = []
    for k in range(1, len(words)):
        w, prev = words[k], words[k - 1]
        if len(w.low) < 5 or w.low[-1] not in "aoes" or w.cap or w.upper or w.masked:
            continue
        if not w.low.endswith(POSTPOSED_ENDINGS):
            continue
        if not prev.low or prev.cap or prev.upper or prev.masked or prev.glued_after:
            continue
        if not POSTPOSED_PREV_MIN_EN_FREQ <= lex.en_freq(prev.low) < ENGLISH_FUNCTION_FREQ or _leans(prev.low, lex):
            continue  # a noun before it: no function word ("runs a pastelaria": a lone noun's case),
            # no word of L (a word of L before it makes a name of L: "casas de fado")
        if lex.en_freq(w.low) >= LONE_NOUN_MAX_EN_FREQ:
            continue
        nxt = words[k + 1] if k + 1 < len(words) else None
        if not w.glued_after and (nxt is None or not nxt.low or nxt.cap or nxt.masked
                                  or lex.en_freq(nxt.low) < COMMON_ENGLISH_FREQ or _leans(nxt.low, lex)):
            continue  # it must end the phrase: punctuation or English after it
        lean = lex.leanings(w.low)
        langs = [lg for lg in POSTPOSED_LANGS if lg in lean
                 and lean[lg][0] >= POSTPOSED_MIN_RATIO and POSTPOSED_MIN_FREQ <= lean[lg][1] < FUNCTION_MIN_FREQ]
        if not langs or (w.low.endswith("s") and lex.en_freq(w.low[:-1]) >= POSTPOSED_MIN_FREQ):
            continue  # an English plural of a loan ("the team's ultras")
        if not _clear(found, w.start, w.end):
            continue
        lang = max(langs, key=lambda lg: lean[lg][0])
        out.append(Found(w.start, w.end, w.text, lang, lean[lang][0], langs=tuple(langs)))
    return out


# "La direction promises that ...", "Los vecinos complained": an article of L opening a sentence,
# its noun (a word of L, perhaps English too: direction, police) in lowercase, English after it
OPENING_ARTICLES: dict[str, tuple[str, ...]] = {
    "la": ("fr", "es", "it"), "le": ("fr",), "les": ("fr",), "los": ("es",), "las": ("es",),
    "il": ("it",), "gli": ("it",),
}
OPENING_NOUN_MIN_FREQ = 1e-5
OPENING_NEXT_MIN_EN_FREQ = 1e-6  # the word after the noun is English (insists, promises)


def _opening_articles(text: str, words: list[_Word], found: list[Found], lex: _Lexicon) -> list[Found]:
    """``La direction promises``: a capitalised article of L (``OPENING_ARTICLES``) opening a
    sentence, then a lowercase common word of L, then a lowercase English word that leans to no
    other language. Names keep their capitals (``La Liga``, ``Los Angeles``); ``La dolce vita``
    goes on in L."""
    out: list[Found] = []
    for k in range(len(words) - 2):
        w, noun, nxt = words[k], words[k + 1], words[k + 2]
        langs = OPENING_ARTICLES.get(w.low)
        if not langs or not w.cap or w.glued_after or w.masked:
            continue
        if not noun.low or noun.cap or noun.upper or noun.masked or noun.glued_after or len(noun.low) < 3:
            continue
        if not nxt.low or nxt.cap or nxt.upper or nxt.masked or _leans(nxt.low, lex):
            continue
        if lex.en_freq(nxt.low) < OPENING_NEXT_MIN_EN_FREQ or not _sentence_start(text, w.start):
            continue
        lang = max(langs, key=lambda lg: lex.ratio(noun.low, lg)[1])
        r, f = lex.ratio(noun.low, lang)
        if f < OPENING_NOUN_MIN_FREQ or f >= FUNCTION_MIN_FREQ * 10:
            continue
        if any(x.start < noun.end and w.start < x.end for x in found):
            continue
        out.append(Found(w.start, noun.end, text[w.start:noun.end], lang, max(r, 1.0), langs=(lang,)))
    return out


# "Die Stadt responded", "A Câmara Municipal promised": an article of L opening a sentence before
# a capitalised common noun of L (an institution the tool left untranslated) and English
OPENING_NAME_ARTICLES: dict[str, tuple[str, ...]] = {
    "el": ("es",), "la": ("es", "fr", "it"), "los": ("es",), "las": ("es",), "o": ("pt",),
    "a": ("pt",), "os": ("pt",), "as": ("pt",), "le": ("fr",), "les": ("fr",), "il": ("it",),
    "lo": ("it",), "gli": ("it",), "der": ("de",), "die": ("de",), "das": ("de",),
}
OPENING_NAME_MIN_FREQ = 1e-5  # a common noun of L (Stadt, Câmara, Prefeitura, Ayuntamiento) ...
OPENING_NAME_MAX_EN_FREQ = 1e-6  # ... that English does not use
OPENING_NAME_MAX_WORDS = 2  # capitalised words of L after the noun: "A Câmara Municipal"


def _opening_names(text: str, words: list[_Word], found: list[Found], lex: _Lexicon) -> list[Found]:
    """``Die Stadt responded``, ``A Câmara Municipal promised``, ``El Ayuntamiento said``: a
    capitalised article of L (``OPENING_NAME_ARTICLES``) opening a sentence, a capitalised common
    noun of L that English does not use (perhaps with capitalised words of L after it), then a
    lowercase English word.

    A name in L reads the same (``Die Zeit reported``, ``Le Monde wrote``, ``El País said``), so
    this is only a leftover in an article that holds another leftover of the same L (``found``):
    the tool that left ``Besonders betroffen`` also left ``Die Stadt``."""
    langs_found = {lg for f in found for lg in (f.langs or (f.lang,))}
    out: list[Found] = []
    for k in range(len(words) - 2):
        w = words[k]
        langs = [lg for lg in OPENING_NAME_ARTICLES.get(w.low, ()) if lg in langs_found]
        if not langs or not w.cap or w.glued_after or w.masked or not _sentence_start(text, w.start):
            continue
        noun = words[k + 1]
        if not noun.cap or noun.masked or lex.en_freq(noun.low) >= OPENING_NAME_MAX_EN_FREQ:
            continue
        # German coins compounds freely: a long one is rarer in any list ("Die Fertigstellung")
        langs = [lg for lg in langs if lex.ratio(noun.low, lg)[0] >= STRONG_RATIO and lex.ratio(noun.low, lg)[1]
                 >= (1e-6 if lg == "de" and len(noun.low) >= 10 else OPENING_NAME_MIN_FREQ)]
        if not langs:
            continue
        lang = langs[0]
        e = k + 2
        while e < len(words) and e - k - 2 < OPENING_NAME_MAX_WORDS and not words[e - 1].glued_after \
                and words[e].cap and not words[e].masked and lex.ratio(words[e].low, lang)[1] >= 1e-6 \
                and lex.ratio(words[e].low, lang)[0] >= FUNCTION_MIN_RATIO:
            e += 1
        nxt = words[e] if e < len(words) else None
        if nxt is None or words[e - 1].glued_after or not nxt.low or nxt.cap or nxt.upper or nxt.masked:
            continue
        if lex.en_freq(nxt.low) < OPENING_NEXT_MIN_EN_FREQ or _leans(nxt.low, lex):
            continue  # English goes on: "responded", "promised"
        if not _clear(found, w.start, words[e - 1].end):
            continue
        score = sum(lex.ratio(x.low, lang)[0] for x in words[k:e])
        out.append(_make(text, words[k:e], lang, score, {lang}))
    return out


def _leans(word: str, lex: _Lexicon) -> bool:
    """Whether ``word`` is ten times likelier in some candidate language than in English."""
    return any(r >= RUN_WORD_MIN_RATIO for r, _ in lex.leanings(word).values())


# "the federal government e a approval", "Recife e a Lisbon": the Portuguese/Italian "e" (and)
# with an article, after a word and before one (names too); "a" is English, so the word scores
# miss it. The Spanish "y" with "a la"/"al" (and to the): "breakdowns y a la lack of fuel".
_CONJ_ARTICLE = re.compile(
    r"(?<=[A-Za-zÀ-ÿ,] )(?:e (?:(a|o|as|os)|il|la|lo|gli|le|i|(do|da|dos|das|no|na|nos|nas))|"
    r"(y) (?:a la|a las|a los|al))(?= [A-Za-z])"
)
# "vitamin e do anything", "plan e do": a letter naming a thing before the English verb "do"
_LETTER_NAMES = _wordset("vitamin type plan grade class section channel phase option exhibit figure "
                         "appendix schedule model item point part route line gate block")


def _conjunction_article(
    text: str, words: list[_Word], found: list[Found], score: float, lex: _Lexicon
) -> list[Found]:
    if "e " not in text and "y " not in text:
        return []
    out: list[Found] = []
    starts = [w.start for w in words]
    for m in _CONJ_ARTICLE.finditer(text):
        k = bisect.bisect_left(starts, m.start())
        n = len(m.group().split())
        if k + n >= len(words) or words[k].start != m.start() or any(
            w.masked or w.glued_after for w in words[k : k + n]
        ):
            continue
        if not _clear(found, m.start(), m.end()):
            continue
        if m.group(2):  # "the cheese e do butter": "and of the" before a noun, after a noun
            prev, after = words[k - 1] if k else None, words[k + n]
            if prev is None or not prev.low or prev.cap or prev.upper or prev.low in _LETTER_NAMES:
                continue
            if not after.low or after.cap or after.upper or lex.en_freq(after.low) >= 3e-4:
                continue
        lang = "pt" if m.group(1) or m.group(2) else "es" if m.group(3) else "it"
        # "y a la caída del turismo in the centre": the words of L that finish the leftover (and a
        # fragment found there already, now part of this one: "e a" + "reabertura fica para")
        e = _extend(words, k + n, lang, lex)
        for f in [f for f in found if words[k].start < f.start < words[e - 1].end]:
            found.remove(f)
            e = max(e, bisect.bisect_left(starts, f.end))
        out.append(_make(text, words[k:e], lang, score, {lang}))
    return out


def _stranded_conjunctions(
    text: str, words: list[_Word], found: list[Found], lex: _Lexicon, score: float,
    place_features: frozenset[str] = frozenset(),
) -> list[Found]:
    """A conjunction of L (``y``, ``e``, ``et``, ``und``) left standing with the word it joins.

    - between lowercase English words, with the word of L after it: ``one hour y media in the
      traffic``; the next word must be known in L and no likelier in English (``vitamin e
      deficiency``, ``type o blood`` and ``x y and z`` stay quiet);
    - between two names, with a preposition of L: ``the Solimões e do Madeira``, ``of Soumbédioune
      et de Thiaroye`` (the source's "and of"); not inside a longer name that links with
      prepositions of L already (``Ministère de l'Économie et des Finances``), and not between
      capitals without the preposition (``Trinidad y Tobago``).

    Loan phrases (``son et lumière``), things named in L (``cacio e pepe``: the word before is
    a word of L too), quotations and fragments already found are left alone.
    """
    out: list[Found] = []
    n = len(words)
    for k in range(n - 1):
        w = words[k]
        if w.low not in CONJUNCTIONS or w.cap or w.upper or w.masked or w.glued_after:
            continue
        conj = [lg for lg, (r, f) in lex.leanings(w.low).items() if r >= STRONG_RATIO and f >= FUNCTION_MIN_FREQ]
        prev, nxt = (words[k - 1] if k else None), words[k + 1]
        if not conj or prev is None or not prev.low or not nxt.low or nxt.masked or nxt.upper or nxt.cap:
            continue
        langs: list[str] = []
        if nxt.low in NAME_LINKS and k + 2 < n and words[k + 2].cap and prev.cap and not prev.glued_after \
                and not nxt.glued_after:
            a = k - 1  # the first capitalised word of the name on the left
            while a > 0 and words[a - 1].cap and not words[a - 1].glued_after:
                a -= 1
            before = words[a - 1] if a > 0 else None
            head = words[a - 2] if a >= 2 and words[a - 2].cap and not words[a - 2].glued_after else None
            if before is not None and not before.glued_after and (
                before.low in NAME_CONNECTORS or _ELISION.match(before.low) or before.low in NAME_LINKS
            ) and (head is None or head.low not in place_features):
                continue  # "Ministère de l'Économie et des Finances": all one name
                # (but "the Serra da Canastra e do Cerrado": two places, joined in L)
            if _ELISION.match(prev.low):
                continue
            langs = [lg for lg in conj if lg in lex.leanings(nxt.low)]
        elif not (prev.cap or prev.upper) and len(nxt.low) >= 3:
            langs = [lg for lg in conj
                     if lex.ratio(nxt.low, lg)[1] >= 1e-6 and lex.ratio(nxt.low, lg)[0] >= -0.5]
        if not langs or _is_loan(words, k, k + 2):
            continue
        run = words[k : k + 2]
        if not _clear(found, run[0].start, run[-1].end):
            continue
        lang = max(sorted(langs), key=lambda lg: lex.ratio(nxt.low, lg)[0])
        word_of_l = lex.ratio(prev.low, lang)[1] >= 1e-6 and lex.ratio(prev.low, lang)[0] >= -0.3
        english = lex.en_freq(prev.low) >= 1e-6 and not word_of_l
        if not prev.cap and (not english or _is_name_part(words, k, k + 2, lang, lex)
                             or _acronym_name(text, words, k, k + 2)):
            continue  # "cacio e pepe", "Caisse de dépôt et placement du Québec": one named thing
        out.append(_make(text, run, lang, score, set(langs)))
    return out


# "or" of es/it/pt before a preposition English shares ("o in any case", "o for the"), and "but"
# of pt/es/fr before an article of L or an English determiner (", mas a recovery", ", mais the"):
# English writes neither lowercase there (it has "o'", "type o", "the o in", "moms and mas")
OR_CONJUNCTION = "o"
OR_LANGS = frozenset({"es", "it", "pt"})
OR_BEFORE = _wordset("in on at by for with from into per as even rather without through under during")
BUT_CONJUNCTIONS: dict[str, tuple[str, ...]] = {"mas": ("pt", "es"), "mais": ("pt", "fr")}
BUT_ARTICLES: dict[str, str] = {"a": "pt", "o": "pt", "os": "pt", "as": "pt", "la": "es", "el": "es",
                                "los": "es", "las": "es", "le": "fr", "les": "fr", "une": "fr"}
BUT_BEFORE = ENGLISH_DETERMINERS | _wordset("não também ainda que it he she they we")


def _short_conjunctions(
    text: str, words: list[_Word], found: list[Found], lex: _Lexicon, score: float
) -> list[Found]:
    """``o`` (or) before an English preposition, and ``mas``/``mais`` (but) after a comma or
    English before an article: two-letter and three-letter conjunctions the word scores cannot
    tell from English, certain only in this frame. The word before is English (not an article,
    a letter or a letter's head: ``the o in``, ``type o in``, ``a, e, i, o``) or ends at a comma;
    the words after are lowercase."""
    out: list[Found] = []
    n = len(words)
    for k in range(1, n - 2):
        w = words[k]
        if w.low != OR_CONJUNCTION and w.low not in BUT_CONJUNCTIONS:
            continue
        if w.cap or w.upper or w.masked or w.glued_after:
            continue
        prev, nxt, after = words[k - 1], words[k + 1], words[k + 2]
        if prev.glued_after not in ("", ",") or len(prev.low) < 2 or (prev.glued_after == "" and (
                not _english_word(prev, lex) or prev.low in ENGLISH_DETERMINERS
                or prev.low in _LETTER_NAMES or prev.low in ("a", "letter", "letters", "vowel", "big"))):
            continue
        if nxt.glued_after or not nxt.low or nxt.cap or nxt.upper or nxt.masked:
            continue
        if not after.low or after.upper or after.masked:
            continue
        if w.low == OR_CONJUNCTION:
            if nxt.low not in OR_BEFORE or after.cap:
                continue
            run, lang, langs = words[k : k + 2], "es", set(OR_LANGS)
        else:
            if nxt.low not in BUT_ARTICLES and nxt.low not in BUT_BEFORE:
                continue
            own = BUT_CONJUNCTIONS[w.low]
            lang = BUT_ARTICLES.get(nxt.low, own[0])
            if lang not in own or (after.cap and nxt.low not in BUT_ARTICLES):
                continue
            run, langs = (words[k : k + 2] if nxt.low in BUT_ARTICLES else [w]), set(own)
        if not _clear(found, run[0].start, run[-1].end):
            continue
        out.append(_make(text, run, lang, score, langs))
    return out


_BRACKETED = re.compile(r"\[([^\[\]\n]{1,60})\]")


def _is_name_gloss(text: str, words: list[_Word], m: re.Match[str], lex: _Lexicon) -> bool:
    """``towards Corsica [la Corse] before``: a bracketed name of L straight after the English name
    it translates (the tool kept the source's name beside its translation). The bracket holds an
    article or preposition of L (``la``, ``l'``, ``a``, ``die``) and a capitalised name; the word
    before the bracket is a capitalised name (not a sentence's first word). Not a leftover: the
    text already says it in English; the step turns the marker into an ordinary gloss,
    ``Corsica (la Corse)`` (rule ``foreign.name_gloss``)."""
    starts = [w.start for w in words]
    a = bisect.bisect_left(starts, m.start(1))
    b = bisect.bisect_left(starts, m.end(1))
    inner = words[a:b]
    if not 2 <= len(inner) <= 4 or a == 0 or any(not w.low or w.masked for w in inner):
        return False
    before = words[a - 1]
    if not (before.cap or before.upper) or before.glued_after or before.end != m.start() - 1:
        return False
    if _sentence_start(text, before.start) and not (a >= 2 and words[a - 2].cap):
        return False  # "Officials [la Ville]" opens a sentence: one capital proves no name
    first = inner[0]
    if first.upper or not any(w.cap for w in inner[1:]):  # "[la Corse]", "[La Corse]"
        return False
    return any(lex.ratio(first.low, lg)[1] >= FUNCTION_MIN_FREQ and lex.ratio(first.low, lg)[0] >= 0
               for lg in CANDIDATE_LANGS)


def find_name_glosses(text: str) -> list[tuple[int, int]]:
    """The ``[...]`` spans (brackets included) that gloss the name before them in L
    (``Corsica [la Corse]``; see ``_is_name_gloss``): never reported as leftovers."""
    if "[" not in text:
        return []
    lex = _Lexicon.get()
    words = _words(text)
    return [(m.start(), m.end()) for m in _BRACKETED.finditer(text) if _is_name_gloss(text, words, m, lex)]


def _bracketed(text: str, words: list[_Word], lex: _Lexicon) -> list[Found]:
    """``[la capital]``: a translation tool's marker around an untranslated phrase.

    One word must be plainly foreign (``[ayuntamiento]``, ``[l'État]``: 300 times likelier in
    ``L``, unknown to English; capitalised only after an elided article: ``[Kalashnikov]`` is a
    name). Otherwise the brackets are evidence enough for a weaker phrase: two to four words, the first a
    frequent function word of ``L`` at least as likely in ``L`` as in English (``la``, ``a``,
    ``il``, ``die``), every word known in ``L``, and a summed score of at least 2
    (``[la capital]``, ``[a comunidade]``). Editorial brackets (``[the minister]``, ``[sic]``,
    ``[…]``) fail these tests.
    """
    if "[" not in text:
        return []
    out: list[Found] = []
    starts = [w.start for w in words]
    for m in _BRACKETED.finditer(text):
        if _is_name_gloss(text, words, m, lex):
            continue  # "Corsica [la Corse]": the name in L beside its English
        inner = words[bisect.bisect_left(starts, m.start(1)) : bisect.bisect_left(starts, m.end(1))]
        if (
            len(inner) == 1
            and inner[0].low
            and not inner[0].masked
            and not ((inner[0].cap and not _ELISION.match(inner[0].low)) or inner[0].upper)
            and inner[0].start == m.start(1)
            and inner[0].end == m.end(1)
        ):
            # "[ayuntamiento]": one plainly foreign word (not [sic], [inaudible], [laughs])
            lean = lex.leanings(inner[0].low)
            best = max(lean, key=lambda k: lean[k][0], default=None)
            if best and lean[best][0] >= 2.5 and lean[best][1] >= 1e-5 and lex.en_freq(inner[0].low) < 1e-7:
                out.append(Found(m.start(1), m.end(1), m.group(1), best, 3.5, m.start(), m.end()))
            elif _ELISION.match(inner[0].low) and (elided := _elided_phrase(inner, lex)):
                out.append(Found(m.start(1), m.end(1), m.group(1), elided, 3.5, m.start(), m.end()))
            continue
        if not 2 <= len(inner) <= 4 or any(not w.low or w.masked for w in inner):
            continue
        if inner[0].start != m.start(1) or inner[-1].end != m.end(1):
            continue
        elided = _elided_phrase(inner, lex)
        if elided:
            out.append(Found(m.start(1), m.end(1), m.group(1), elided, 3.5, m.start(), m.end()))
            continue
        # "[La Ville]", "[Die Stadt]": capitals do not make a name when the phrase opens with an
        # article or preposition of L that English does not use ("[La]" is not English).
        # "[A PREFEITURA]", "[LE MINISTÈRE]": a phrase all in capitals reads as its lowercase, when
        # one of its words is plainly L ("[LA TIMES]", "[THE MINISTER]" are not).
        shouted = m.group(1) == m.group(1).upper()
        names = any(w.upper for w in inner) and not shouted
        openers: list[tuple[float, str]] = []
        for lang in CANDIDATE_LANGS:
            if names and lang != "de":
                continue
            if shouted and not any(lex.ratio(w.low, lang)[0] >= STRONG_RATIO for w in inner):
                continue
            r0, f0 = lex.ratio(inner[0].low, lang)
            # "[a capital] counts, ...": an article English shares, but an editor's bracket opening
            # a sentence would be capitalised ("[The capital] counts"): a tool's marker
            lowercase_opener = (not inner[0].cap and not shouted and _sentence_start(text, m.start())
                                and f0 >= FUNCTION_MIN_FREQ)
            if f0 < FUNCTION_MIN_FREQ or (r0 < 0 and not lowercase_opener):
                continue
            if any(w.cap for w in inner[1:]) and lang != "de" and r0 < 1.0 and not all(
                lex.ratio(w.low, lang)[0] >= STRONG_RATIO for w in inner[1:]
            ):
                continue  # "[A Prefeitura]" passes: "prefeitura" is plainly Portuguese
            # German compounds are coined freely ([das Verkehrsdezernat]): a capitalised word
            # unknown to both lists counts as German after a German article
            rest = [(STRONG_RATIO, 1e-5) if lang == "de" and w.cap and len(w.low) >= 6
                    and lex.ratio(w.low, lang)[1] < 1e-6 and lex.en_freq(w.low) < 1e-7
                    else lex.ratio(w.low, lang) for w in inner[1:]]
            if any(f < 1e-6 for _, f in rest):
                continue
            score = r0 + sum(r for r, _ in rest)
            if score >= BRACKET_MIN_SCORE:
                out.append(Found(m.start(1), m.end(1), m.group(1), lang, max(score, 3.5), m.start(), m.end()))
                break
            if lowercase_opener and all(_cognate(r, f) for r, f in rest):
                openers.append((score, lang))
        else:
            if openers:  # "a capital" reads as es and pt: the article's other leftovers decide
                best_lang = max(openers)[1]
                out.append(Found(m.start(1), m.end(1), m.group(1), best_lang, 3.5, m.start(), m.end(),
                                 langs=tuple(sorted(lg for _, lg in openers))))
    return out


ELIDED_NOUN_MIN_FREQ = 1e-5
ELIDED_LOWER_NOUN_MIN_FREQ = 1e-6  # "[l'ateneo]": lowercase, the noun may be rarer


def _elided_phrase(inner: list[_Word], lex: _Lexicon) -> str | None:
    """``[L'Administration Plante]``, ``[l'Hôtel de Ville]``: a bracketed phrase opening with an
    elided article of L (English has none) on a noun known in L; the words after it are words of L
    or names. Returns the language, or None. The noun must be a common one (``administration``,
    ``hôtel``): a brand (``[L'Oréal Paris]``) is not."""
    first = inner[0]
    m = _ELISION.match(first.low)
    if not m or first.upper or lex.en_freq(first.low) > 0.0:
        return None
    lean = lex.leanings(first.low)
    best = max(sorted(lean), key=lambda k: lean[k][0], default=None)
    # a brand is capitalised (L'Oréal); a lowercase elided article before a noun of L is no name
    min_freq = ELIDED_NOUN_MIN_FREQ if first.cap else ELIDED_LOWER_NOUN_MIN_FREQ
    if best is None or lean[best][0] < STRONG_RATIO or lex.ratio(m.group(1), best)[1] < min_freq:
        return None
    if all(w.cap or w.upper or lex.ratio(w.low, best)[1] >= 1e-6 for w in inner[1:]):
        return best
    return None


# number words of L, which English shares as names or loans (tres, dos, cinco) but which open a
# partitive, not a named thing: "tres de ellos", "dois dos feridos", "trois d'entre eux"
NUMERALS = _wordset(
    "dos tres cuatro cinco seis siete ocho nueve diez dois duas três quatro sete oito nove dez "
    "deux trois quatre cinq sept huit neuf dix tre quattro cinque sei sette otto dieci "
    # quantifiers open a partitive the same way: "ninguno de ellos", "alguns dos feridos"
    "ninguno ninguna alguno alguna algunos algunas varios varias muchos muchas pocos pocas "
    "nenhum nenhuma alguns algumas vários várias muitos muitas poucos poucas aucun aucune "
    "plusieurs certains certaines nessuno nessuna alcuni alcune molti molte pochi poche"
)
# personal pronouns of L close a partitive, never a named thing: "la mitad de ellos", "parte di loro"
PARTITIVE_PRONOUNS = _wordset("ellos ellas eles elas eux elles loro essi esse")
_COMPOUNDING = _wordset("de del al a con en di da do dos das au aux à alla la")
# a dish or style named with a contracted article: risotto alla milanese, moules au pistou,
# penne all'arrabbiata; after a word English borrowed from L (known to English, but rarer there
# than a plain English noun: spaghetti, risotto, tacos; not "interior del país")
_ARTICLE_LINKS = _wordset("alla alle allo al ai agli au aux")
LOANWORD_MIN_EN_FREQ = 1e-7
LOANWORD_MAX_EN_FREQ = 1e-5


_CONTENT_LINKS = _wordset("de di a à con en")  # prepositions only: not "la" (selon la société)


def _content_link_content(words: list[_Word], i: int, j: int, lang: str, lex: _Lexicon) -> bool:
    """``pastéis de nata``, ``queso de bola``: a content word of L, a bare preposition, a content
    word of L, all lowercase. Translation tools translate such nouns; what they leave behind are
    the function words (``de la``, ``y la``, ``do setor``)."""
    first = words[i]
    if first.low in SINGLE_LEFTOVERS or first.low in SINGLE_CONNECTORS:
        return False  # "selon la société": a leftover preposition, not a noun
    if words[i + 1].low not in _CONTENT_LINKS or words[i + 1].glued_after:
        return False
    k = i + 2
    if k >= len(words) or k > j:
        return False
    last = words[k]
    f_last = lex.ratio(last.low, lang)[1] if last.low else 0.0
    return (
        bool(last.low)
        and not (last.cap or last.upper or last.masked)
        # a noun of L, or a word neither list knows (a species, a local thing: pata de guanaco)
        and (f_last >= 1e-6 or (len(last.low) >= 4 and lex.en_freq(last.low) == 0.0))
        and f_last < FUNCTION_MIN_FREQ
        and last.low not in SINGLE_LEFTOVERS
        and lex.en_freq(last.low) < FUNCTION_MIN_FREQ
    )


def _content_word(w: _Word, lang: str, lex: _Lexicon) -> bool:
    """A lowercase word of L that is no function word (``olio``, ``pepe``, ``poésie``)."""
    f = lex.ratio(w.low, lang)[1]
    return (
        not (w.cap or w.upper)
        and 1e-6 <= f < FUNCTION_MIN_FREQ
        and w.low not in SINGLE_LEFTOVERS
        and w.low not in SINGLE_CONNECTORS
    )


def _english_singular(word: str, lex: _Lexicon) -> bool:
    """``casas``: the plural of a word English shares (``casa``)."""
    return len(word) > 3 and word.endswith("s") and lex.en_freq(word[:-1]) >= 1e-6


# names of things link with a bare preposition (casa de fados, tacos de canasta, tire sur la
# neige, œufs sur le plat); a contracted article in the link (del, della, do) reads as a
# translated phrase (the interior del país)
_BARE_COMPOUNDING = _wordset("de a con en di à la sur sous")
_NOUN_LINKS_STRICT = _wordset("sur sous")


_JOINED_ARTICLES = _wordset("el la los las il lo gli le les o os a as um uma un une der die das den")
# ... or a preposition contracted with one: "Acireale e sui comuni of the slope"
_JOINED_LINKS = _JOINED_ARTICLES | _wordset(
    "al del sul sui sulla sulle nel nei nella nelle dal dai dalla dalle degli della delle "
    "do da dos das no na nos nas ao aos du des au aux")


def _is_compound_name(text: str, words: list[_Word], i: int, j: int, lang: str, lex: _Lexicon) -> bool:
    """A thing named in the other language: a dish, a genre, a title.

    - ``tacos de canasta``, ``chiles en nogada``: the run opens with a compounding preposition,
      ends with a content word of ``L``, and the word before is a word of ``L`` that English
      shares (``tacos``, ``pan``); a leftover sits after plain English (``among del resto``);
    - ``samba de roda``, ``casa de fados``: the run opens with such a shared content word (or
      the plural of one: ``casas de fado``), or is a noun, a bare preposition and a noun of ``L``
      (``pão de queijo``: tools translate nouns and leave function words behind);
    - ``aglio e olio``: two nouns of ``L`` joined by a conjunction;
    - ``bacalhau à Brás``: a noun of ``L`` and a preposition before a name;
    - ``risotto alla milanese``: a contracted article after a dish English borrowed;
    - ``Cien años de soledad``, ``Pobre de mí``: the run continues a capitalised word of ``L``
      (a title in sentence case) and holds a content word of ``L`` or ends the clause; ``La Paz
      y la neighboring`` is not one (function words only, and English goes on).
    """
    run = words[i:j]
    prev = words[i - 1] if i > 0 and not words[i - 1].glued_after else None
    if (
        len(run) >= 2
        and run[1].low in _COMPOUNDING
        and not run[0].cap
        and run[0].low not in NUMERALS  # "tres de ellos" (three of them) names nothing
        and run[-1].low not in PARTITIVE_PRONOUNS
        and lex.ratio(run[0].low, lang)[1] < FUNCTION_MIN_FREQ
        and (lex.en_freq(run[0].low) >= 1e-6 or _english_singular(run[0].low, lex)
             or _content_link_content(words, i, j, lang, lex))
    ):
        return True
    if len(run) == 3 and run[1].low in CONJUNCTIONS and all(_content_word(w, lang, lex) for w in (run[0], run[2])):
        return True  # "aglio e olio", "sturm und drang": two nouns of L joined, one named thing
    if (
        2 <= len(run) <= 3
        and not (run[0].cap or run[0].upper)
        and run[0].low not in SINGLE_LEFTOVERS
        and run[0].low not in SINGLE_CONNECTORS  # "notamment par la Banque mondiale": an adverb
        and lex.ratio(run[0].low, lang)[1] < FUNCTION_MIN_FREQ
        and all(w.low in _COMPOUNDING for w in run[1:])  # noun, links, name ("pastel de la Abuela")
        and not run[-1].glued_after
        and j < len(words)
        and words[j].cap
    ):
        return True  # "bacalhau à Brás", "pastéis de Belém": a thing named after a person or place
    if prev is None or not prev.low:
        return False
    if (
        ((j - i >= 2 and run[0].low in _ARTICLE_LINKS) or run[0].low.startswith("all'"))
        and not (prev.cap or prev.upper)
        and LOANWORD_MIN_EN_FREQ <= lex.en_freq(prev.low) < LOANWORD_MAX_EN_FREQ
        and lex.ratio(run[-1].low, lang)[1] < FUNCTION_MIN_FREQ
    ):
        r_prev, f_prev = lex.ratio(prev.low, lang)
        if (f_prev >= 1e-6 and r_prev >= -0.3) or (f_prev == 0.0 and lex.en_freq(run[-1].low) < 1e-7):
            # "risotto alla milanese", "linguine alle cozze", "penne all'arrabbiata": a dish
            # English borrowed (known to L, or to neither list) with its dressing in L
            return True
    if prev.cap and lang in lex.leanings(prev.low) and not _sentence_start(text, prev.start) \
            and not (len(run) >= 3 and run[0].low in CONJUNCTIONS and run[1].low in _JOINED_LINKS):
        # (not "energy from Colombia y el alquiler of barges": a conjunction and an article join a
        # leftover to the name; titles do not open so)
        content = any(lex.ratio(w.low, lang)[1] < FUNCTION_MIN_FREQ for w in run)
        ends_clause = bool(run[-1].glued_after) or j >= len(words)
        if content or ends_clause:
            return True
    if j - i < 2 or run[0].low not in _BARE_COMPOUNDING or prev.cap or prev.upper:
        return False  # "interior del país": an article in the link makes it a leftover
    if lex.ratio(run[-1].low, lang)[1] >= FUNCTION_MIN_FREQ:
        return False
    r, f = lex.ratio(prev.low, lang)
    # "sur" and "sous" follow nouns of many kinds ("a vote sur la réforme"): the noun before must
    # be at least as much a word of L as of English ("tire sur la neige")
    return f >= 3e-6 and r >= (0.0 if run[0].low in _NOUN_LINKS_STRICT else -0.3)


def _whole_line_title(text: str, run: list[_Word]) -> bool:
    """A capitalised run that is a whole line on its own: a title in a list (``Le tueur``)."""
    if not run[0].cap:
        return False
    line_start = text.rfind("\n", 0, run[0].start) + 1
    line_end = text.find("\n", run[-1].end)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    return line.strip(" \t" + _LEAD + _TRAIL) == text[run[0].start : run[-1].end]


NAME_MIN_EN_FREQ = 5e-8  # a capitalised word English text uses this often may be a surname (Daher)


def _opens_sentence_leftover(
    text: str, words: list[_Word], i: int, lean: dict[str, tuple[float, float]], lex: _Lexicon
) -> bool:
    """Whether a capitalised word of L may open a fragment: it opens a sentence and is

    - a function word of L before lowercase words: ``Según the cooperative``;
    - a connector of L (``SINGLE_CONNECTORS``) opening a run of L (``Besonders betroffen are``),
      or straight before an English determiner (``Zudem the city plans``), or before a comma when
      English never writes it (``Außerdem, the``; not ``Daher, the minister,``: a surname);
    - a German preposition (``SINGLE_LEFTOVERS``) before a capitalised common noun of German, as
      German writes nouns: ``Nach Angaben der Polizei``, ``Laut Polizei``, ``Wegen Bauarbeiten``.
    Names keep their capitals and are followed by English: ``Daher said``, ``Für Elise is``.
    """
    w = words[i]
    if i + 1 >= len(words) or not _sentence_start(text, w.start):
        return False
    nxt = words[i + 1]
    if w.low in SINGLE_CONNECTORS:
        if w.glued_after == "," and lex.en_freq(w.low) < NAME_MIN_EN_FREQ:
            return True
        if not w.glued_after and nxt.low in ENGLISH_DETERMINERS and not nxt.cap:
            return True
    if w.low in PREPOSITIONS_BEFORE_NUMBERS and not w.glued_after and not nxt.low \
            and nxt.text[:1].isdigit():
        return True  # "Nel 2024, the fee collected", "Desde 2019 the line": never English
    if not _next_lowercase(words, i):
        if w.glued_after or not nxt.cap or w.low not in SINGLE_LEFTOVERS or "de" not in lean:
            return False
        r, f = lex.ratio(nxt.low, "de")
        return r >= STRONG_RATIO and f >= 1e-6 and lex.en_freq(nxt.low) < OPENING_NAME_MAX_EN_FREQ
    if w.low in SINGLE_LEFTOVERS or max(f for _, f in lean.values()) >= FUNCTION_MIN_FREQ:
        return True
    return w.low in SINGLE_CONNECTORS and bool(set(lean) & set(_candidate(nxt, lex)))


def _next_lowercase(words: list[_Word], i: int) -> bool:
    return (
        i + 1 < len(words)
        and bool(words[i + 1].low)
        and words[i + 1].text[0].islower()
        and not words[i].glued_after
    )


def _best(run: list[_Word], langs: set[str], lex: _Lexicon) -> tuple[str | None, float]:
    best, best_score = None, 0.0
    for lang in sorted(langs):
        s = sum(lex.leanings(w.low)[lang][0] for w in run)
        if s > best_score:
            best, best_score = lang, s
    return best, best_score


# words that may open a plainly foreign run though English knows them a little ("salvo")
_PLAIN_RUN_OPENERS = _wordset("salvo")


def _accept(
    run: list[_Word], lang: str, score: float, lex: _Lexicon, threshold: float, words: list[_Word], k: int
) -> bool:
    """Whether ``run`` (ending at ``words[k]``) is a fragment."""
    if len(run) >= 2:
        if run[0].upper and len(run) > MAX_CAPS_RUN:
            return False
        has_function = any(
            (lex.leanings(w.low)[lang][1] >= FUNCTION_MIN_FREQ or w.low in SINGLE_LEFTOVERS)
            and lex.leanings(w.low)[lang][0] >= FUNCTION_MIN_RATIO
            for w in run
        )
        # or every word plainly not English and one a connector (além disso)
        all_foreign = any(w.low in SINGLE_CONNECTORS for w in run) and all(
            lex.leanings(w.low)[lang][0] >= STRONG_RATIO for w in run
        )
        if has_function or all_foreign:
            return score >= threshold
        # or every word lowercase, plainly of L and unknown to English, at twice the threshold (not
        # "vino rosso", 4.2): "quase todas of small dimension", "salvo nuove emissioni" (a dish or
        # a term is let pass by _drop_deliberate)
        if score < PLAIN_FOREIGN_THRESHOLD_FACTOR * threshold:
            return False
        return all(
            not w.cap and lex.en_freq(w.low) < PLAIN_FOREIGN_MAX_EN_FREQ
            and lex.leanings(w.low)[lang][0] >= STRONG_RATIO
            for w in run if w is not run[0] or w.low not in _PLAIN_RUN_OPENERS
        ) and sum(lex.leanings(w.low)[lang][0] >= STRONG_RATIO for w in run) >= 2
    w = run[0]
    if w.low in SINGLE_CONNECTORS and not w.upper and lex.en_freq(w.low) <= SINGLE_MAX_EN_FREQ:
        return True
    # a leftover function word leads into the next word: "según the", "del river"
    if w.upper or w.low in ENGLISH_HOMOGRAPHS or len(w.low) < 2 or w.glued_after:
        return False
    nxt = words[k + 1] if k + 1 < len(words) else None
    if nxt is not None and not nxt.low and nxt.text[:1].isdigit() and w.low in PREPOSITIONS_BEFORE_NUMBERS:
        return True  # "in Coimbra até 2026": a preposition of L English never writes, before a figure
    if nxt is not None and not nxt.low and w.low in PREPOSITIONS_BEFORE_DATES and _date_follows(words, k + 1):
        return True  # "on sale dal 15 May": "from" before a date (dal alone may be lentils)
    if nxt is None or not nxt.low:
        return False  # "para 4", end of text: not leading into a word
    r, f = lex.leanings(w.low)[lang]
    fen = lex.en_freq(w.low)
    if _ELISION.match(w.low) and fen == 0.0 and r >= STRONG_RATIO:
        return True  # l'entreprise, dell'anno: an article glued to a noun, two words in one
    if (
        nxt.low in ENGLISH_DETERMINERS
        and not nxt.cap
        and f >= SINGLE_MIN_FREQ
        and r >= SINGLE_MIN_RATIO
        and fen <= DETERMINER_MAX_EN_FREQ
        and w.low not in ENGLISH_BEFORE_DETERMINER
    ):
        return True  # "El Niño com the heating": a function word of L straight before "the"
    if not (f >= SINGLE_MIN_FREQ and fen <= SINGLE_MAX_EN_FREQ and r >= SINGLE_MIN_RATIO):
        return False
    return w.low in SINGLE_LEFTOVERS


def _leftover_before_noun(
    words: list[_Word], i: int, j: int, lang: str, lex: _Lexicon, english_after: bool = False
) -> bool:
    """``the estimates della Regione``: a contracted preposition of L (``SINGLE_LEFTOVERS``) after
    plain English and before a capitalised common noun of L that English does not know (an
    institution left untranslated: ``Regione``, ``Prefeitura``, ``Ayuntamiento``), the name ending
    there. Not ``Guillermo del Toro`` (a name before), ``the de Blasio era`` (``de`` is no contracted
    preposition), ``della Repubblica Italiana`` (a longer name follows)."""
    if j - i != 1 or j >= len(words) or i == 0:
        return False
    w, prev, nxt = words[i], words[i - 1], words[j]
    if w.low not in SINGLE_LEFTOVERS and not (lang == "pt" and w.low in PT_CONTRACTED_LINKS):
        return False
    if w.cap or w.upper or w.glued_after or prev.glued_after:
        return False
    if not prev.low or prev.cap or prev.upper or prev.masked or lex.en_freq(prev.low) < 1e-6:
        return False
    if lang in lex.leanings(prev.low):
        return False  # "a sala della Regione": the words before are of L too, a quotation or name
    if i >= 2 and words[i - 2].cap and not words[i - 2].glued_after and len(prev.low) <= 3 \
            and lex.ratio(prev.low, lang)[1] >= FUNCTION_MIN_FREQ:
        return False  # "the Tren a las Nubes", "Camino a la Meta": a link of L inside a name
    if not nxt.cap or nxt.masked or lex.en_freq(nxt.low) >= 1e-6:
        return False
    r, f = lex.ratio(nxt.low, lang)
    if r < STRONG_RATIO or f < 1e-5:
        return False
    after = words[j + 1] if j + 1 < len(words) else None
    if english_after:
        return True
    if nxt.glued_after == "" and after is not None and _english_word(after, lex) \
            and lex.en_freq(after.low) < ENGLISH_FUNCTION_FREQ and lex.ratio(nxt.low, lang)[0] < NAME_MODIFIER_MAX_RATIO:
        return False  # "residents della Veneto region": see _link_before_name_modifier
    return nxt.glued_after != "" or after is None or not (after.cap or after.upper)


def _link_before_name_modifier(words: list[_Word], i: int, j: int, lang: str, lex: _Lexicon) -> bool:
    """``residents della Veneto region``: a contracted preposition of L (``CONTRACTED_LINKS``)
    after plain English, before a capitalised word of L that qualifies an English noun; the tool
    translated "Veneto region" and left "of the" (the leftover is the link alone)."""
    if j - i != 1 or i == 0 or j + 1 >= len(words) or words[i].low not in CONTRACTED_LINKS:
        return False
    nxt, after = words[j], words[j + 1]
    if not nxt.cap or nxt.glued_after or not _english_word(after, lex) \
            or lex.en_freq(after.low) >= ENGLISH_FUNCTION_FREQ or lex.ratio(nxt.low, lang)[0] >= NAME_MODIFIER_MAX_RATIO:
        return False
    return _leftover_before_noun(words, i, j, lang, lex, english_after=True)


# a capitalised word of L English uses less than a thousandth as often is a common noun of L
# (Provincia, Regione, Ayuntamiento); a region's name is known to English (Veneto, Toscana, Lazio)
NAME_MODIFIER_MAX_RATIO = 2.8

# Portuguese "of the" that English also spells ("do", "da"): a leftover only before a capitalised
# common noun of Portuguese English does not know ("the decision do Governo")
PT_CONTRACTED_LINKS = _wordset("do da dos das")

# contracted prepositions of L ("of the") that open no English name: "funds della Region"
CONTRACTED_LINKS = _wordset("del della delle dello dei degli nella nelle dalla dalle")


def _link_before_english_noun(words: list[_Word], i: int, j: int, lang: str, lex: _Lexicon) -> bool:
    """``funds della Region, foresee``: a contracted preposition of L (``CONTRACTED_LINKS``)
    between a plain English word and a capitalised common English noun, the name ending there: the
    tool translated the noun and left "of the". Not ``Guillermo del Toro`` (a name before), ``the
    del Monte brand`` (``Monte`` is a word of L), ``della Robbia`` (unknown to English)."""
    if j - i != 1 or i == 0 or j >= len(words):
        return False
    w, prev, nxt = words[i], words[i - 1], words[j]
    if w.low not in CONTRACTED_LINKS or w.cap or w.upper or w.glued_after or prev.glued_after:
        return False
    if not prev.low or prev.cap or prev.upper or prev.masked or lex.en_freq(prev.low) < 1e-6:
        return False
    if lang in lex.leanings(prev.low):
        return False
    if not nxt.cap or nxt.masked or lex.en_freq(nxt.low) < 1e-5 or lex.leanings(nxt.low):
        return False
    after = words[j + 1] if j + 1 < len(words) else None
    return nxt.glued_after != "" or after is None or not (after.cap or after.upper)


def _after_name_head(words: list[_Word], i: int, j: int, lw: Loanwords) -> bool:
    """``Via dei Tribunali``, ``Rua do Ouvidor``, ``Palazzo della Ragione``: lowercase links after
    a capitalised head of a street, building or institution name (``Loanwords.name_heads``),
    before a capitalised word (in the run or right after it)."""
    if i == 0 or not lw.name_heads:
        return False
    head = words[i - 1]
    if not head.cap or head.glued_after or head.low not in lw.name_heads:
        return False
    k = i
    while k < j and words[k].low in NAME_CONNECTORS and not words[k].cap and not words[k].glued_after:
        k += 1
    if k == i:
        return False
    nxt = words[k] if k < len(words) else None
    return nxt is not None and (nxt.cap or nxt.upper)


# links inside a dish name: "coq au vin", "soupe à l'oignon", "arepas de huevo", "cacio e pepe"
_DISH_LINKS = NAME_CONNECTORS | _wordset("au aux à a al alla alle allo con en in il lo sur et ao à la")
_NAMING_BEFORE = re.compile(
    r"(?:\bknown as|\bcalled|\bdubbed|\bnicknamed|\bso-called|\bnamed|\bcalls? (?:it|them)|"
    r"\bthe (?:term|word|words|phrase|expression|motto|slogan|nickname|name|label)|"
    # a leftover quoted as an example: 'phrases such as “según the ministry”', 'words like'
    r"\b(?:phrases?|words?|terms?|expressions?|fragments?|leftovers?) (?:such as|like)|"
    # a gloss in parentheses naming the local term: "street parties (the famous blocos)"
    r"\((?:the |its |their )?(?:famous|popular|local|traditional|typical|beloved|iconic|celebrated|legendary))"
    r"(?: (?:the|a|an|its|their|his|her))?[ \t]*[“\"‘'«]?$",
    re.IGNORECASE,
)
_GLOSS_AFTER = re.compile(
    r"[”\"’'»]?[ \t]*(?:\(|,|—|–|:)[ \t]*(?:meaning\b|literally\b|lit\.|which (?:means|translates)|"
    r"roughly\b|translated as\b|or\b|i\.e\.)",
    re.IGNORECASE,
)


# a quotation that opens right after one of these phrases is quoted as an example of an error
_QUOTATION_OPENERS = {"“": "”", "\"": "\"", "«": "»", "„": "“”\"", "‘": "’", "'": "'’"}
_EXAMPLE_QUOTE_REACH = 200  # how far back the quotation may open
_NEXT_EXAMPLE = re.compile(r"[”\"»’'](?:,? and|,? or|,)[ \t]*[“\"«‘']$")


def quoted_as_example(text: str, pos: int, depth: int = 0) -> bool:
    """Whether ``pos`` lies inside a quotation given as an example of an error or a term:
    'phrases such as "the president of [el país]"', 'words like «según the ministry»', 'the
    expression “a nível de”'. One notion for every step: the foreign detector does not report such
    a leftover, the glossary does not repair it, and the machine-translation score does not count
    it or the translationese around it (a news story about translation errors stays untouched)."""
    lo = max(0, pos - _EXAMPLE_QUOTE_REACH)
    q = pos - 1
    while q >= lo:
        ch = text[q]
        if ch == "\n":
            return False
        closers = _QUOTATION_OPENERS.get(ch)
        if closers is not None:
            if ch in "\"'" and q > 0 and (text[q - 1].isalnum() or text[q - 1] in ".,;:!?"):
                q -= 1  # a closing straight quote (or an apostrophe): keep looking back
                continue
            if any(c in text[q + 1 : pos] for c in closers):
                return False  # the quotation closed before ``pos``
            if _NAMING_BEFORE.search(text, max(0, q - 40), q + 1):
                return True
            # the next example of a list: 'phrases such as "según the" and "y la"'
            listed = _NEXT_EXAMPLE.search(text, max(0, q - 12), q + 1)
            return listed is not None and depth < 6 and quoted_as_example(text, listed.start(), depth + 1)
        q -= 1
    return False


def _culinary(w: _Word, lw: Loanwords) -> bool:
    low = w.low
    m = _ELISION.match(low)
    return low in lw.culinary or bool(m and m.group(1) in lw.culinary)


def _dish(words: list[_Word], i: int, j: int, lw: Loanwords, food: bool) -> bool:
    """``coq au vin``, ``soupe à l'oignon gratinée``, ``arepas de huevo``: a dish named in L.

    The words around the fragment are taken in while they are dish words (``Loanwords.culinary``);
    the dish opens with a content word (its head), not a link. It is a dish when every content
    word is a dish word, or, in an article about food (``food``), when one is and a link joins
    them (``pâté de campagne``, ``tarte Tatin``)."""
    if not lw.culinary:
        return False
    a = i
    while a > 0 and i - a < 3 and words[a - 1].low and not words[a - 1].upper \
            and not words[a - 1].glued_after and not words[a - 1].masked and _culinary(words[a - 1], lw):
        a -= 1
    b = j
    while b < len(words) and b - j < 3 and words[b].low and not words[b].upper \
            and not words[b - 1].glued_after and (_culinary(words[b], lw)
                                                  or (food and words[b].cap)):
        b += 1
    span = words[a:b]
    if span[0].low in _DISH_LINKS:
        return False  # "the price del pan": a leftover preposition, not a dish's head
    content = [w for w in span if w.low not in _DISH_LINKS]
    dish_words = sum(_culinary(w, lw) for w in content)
    if dish_words == len(content):
        return True
    linked = any(w.low in _DISH_LINKS for w in span[1:])
    return food and linked and bool(content) and _culinary(content[0], lw) and len(content) <= 3


def _food_article(text: str, lw: Loanwords) -> bool:
    if not lw.food_context:
        return False
    hits = 0
    for token in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)?", text.lower()):
        if token in lw.food_context:
            hits += 1
            if hits >= lw.food_context_min:
                return True
    return False


def _drop_deliberate(
    text: str, words: list[_Word], found: list[Found], lex: _Lexicon, lw: Loanwords
) -> list[Found]:
    """Drop the fragments an editor kept on purpose (``_kept_on_purpose``); mark set phrases weak."""
    if not found:
        return found
    starts = [w.start for w in words]
    food: bool | None = None
    out = []
    for f in found:
        if quoted_as_example(text, f.bracket_start if f.bracket_start >= 0 else f.start):
            continue  # 'phrases such as "the president of [el país]"': an example, not a leftover
        i = bisect.bisect_left(starts, f.start)
        j = bisect.bisect_left(starts, f.end)
        if i >= j or words[i].start != f.start:
            out.append(f)  # (a bracketed leftover: always reported)
            continue
        if f.bracket_start < 0:
            a = i  # the phrase may open before the fragment: "known as the fornada" + "da madrugada"
            while a > 0 and i - a < 3 and words[a - 1].low and not (words[a - 1].cap or words[a - 1].upper) \
                    and not words[a - 1].glued_after and lex.en_freq(words[a - 1].low) < COMMON_ENGLISH_FREQ:
                a -= 1
            start = words[a].start
            if _NAMING_BEFORE.search(text, max(0, start - 40), start) or _GLOSS_AFTER.match(text, f.end):
                continue  # "known as the oficina do segredo", "saudade (meaning longing)"
            if lw.culinary and any(_culinary(w, lw) for w in words[max(0, i - 3) : j + 3]):
                if food is None:
                    food = _food_article(text, lw)
                if _dish(words, i, j, lw, food):
                    continue
        run = words[i:j]
        if len(run) >= 2 and all(_content(w, f.lang, lex) for w in (run[0], run[-1])):
            f.set_phrase = True  # "oficina do segredo": noun, link, noun; a term more than a leftover
        out.append(f)
    return out


def _content(w: _Word, lang: str, lex: _Lexicon) -> bool:
    """A word of a fragment that is no function word of L."""
    if w.low in SINGLE_LEFTOVERS or w.low in CONJUNCTIONS or w.low in NAME_CONNECTORS or w.low in _DISH_LINKS:
        return False
    return lex.ratio(w.low, lang)[1] < FUNCTION_MIN_FREQ


MAX_NAME_LOWERCASE = 5  # "Caisse de dépôt et placement du Québec"
_ACRONYM = re.compile(r"\s*\((?-i:[A-Z][A-Za-z&.]{1,9})\)")


def _name_like(w: _Word, lang: str, lex: _Lexicon) -> bool:
    """A capitalised word that can open a name in ``lang``: a word of ``lang`` (Conseil, Río) that
    is no function word (Según), or a word English does not know (Lula); not "Navy" or "The"."""
    if not w.cap or w.glued_after:
        return False
    lean = lex.leanings(w.low)
    if lang in lean:
        return lean[lang][1] < FUNCTION_MIN_FREQ and w.low not in SINGLE_LEFTOVERS
    return lex.en_freq(w.low) < 1e-6


def _is_name_part(words: list[_Word], i: int, j: int, lang: str = "", lex: _Lexicon | None = None) -> bool:
    """Lowercase words inside a capitalised name or title.

    ``Río de la Plata``, ``Conseil du patronat du Québec``, ``Caisse de dépôt et placement du
    Québec``: up to five lowercase words between a capitalised word of the name's language (or
    one English does not know) and another capitalised word; ``Office québécois de la langue
    française (OQLF)``: a capitalised word, lowercase words, then an acronym in brackets.
    ``Société nationale des chemins de fer``: lowercase words of the name's language all the way
    from its capitalised first word. ``Calzada de Guadalupe`` after a lowercase word too, when
    the run is a name connector such as ``de``/``del``/``von``. Not a name: ``the Navy e do
    Exército`` (Navy is plain English).
    """
    run = words[i:j]
    if lex is not None and lang and not run[-1].glued_after:
        a = i - 1  # walk left over lowercase words to a capitalised one
        while a >= 0 and words[a].low and not (words[a].cap or words[a].upper) \
                and not words[a].glued_after and j - a <= MAX_NAME_LOWERCASE:
            a -= 1
        b = j  # and right
        while b < len(words) and words[b].low and not (words[b].cap or words[b].upper) \
                and not words[b - 1].glued_after and b - a <= MAX_NAME_LOWERCASE + 1:
            b += 1
        if a >= 0 and words[a].cap and not words[a].glued_after and not words[b - 1].glued_after:
            left_name = _name_like(words[a], lang, lex)
            right_cap = b < len(words) and (words[b].cap or words[b].upper) and b - a - 1 <= MAX_NAME_LOWERCASE
            # every word between is a word of the name's language ("La Paz y la neighboring El
            # Alto" is not one name: English goes on)
            same_lang = all(lex.ratio(w.low, lang)[1] >= 1e-6 and lex.ratio(w.low, lang)[0] >= -0.3
                            for w in words[a + 1:b])
            if right_cap and left_name and same_lang:
                return True
    if lex is not None and lang:
        # "the Société nationale des chemins de fer français": a name in sentence case, words of
        # L all the way from its capitalised first word
        a = i - 1
        while a >= max(0, i - 4) and words[a].low and not (words[a].cap or words[a].upper) \
                and not words[a].glued_after and lang in lex.leanings(words[a].low):
            a -= 1
        if 0 <= a < i - 1 and _name_like(words[a], lang, lex) and lang in lex.leanings(words[a].low):
            return True
    after = words[j] if j < len(words) else None
    before = words[i - 1] if i > 0 else None
    if (
        before is not None
        and (before.cap or before.upper)
        and not before.glued_after
        and len(run) <= 3
        and (run[-1].cap or (after is not None and after.cap and not run[-1].glued_after))
        and (lex is None or not lang or before.upper or _name_like(before, lang, lex))
    ):
        return True
    if (
        after is not None
        and after.text[:1].isupper()  # "Trois-Mages" too (a hyphenated word is not ``cap``)
        and not run[-1].glued_after
        and lex is not None
        and lang
        and 2 <= len(run) <= 3
        and run[-1].low in _NAME_LINKS_BEFORE_CAPITAL
        and not run[0].cap
        and run[0].low not in SINGLE_LEFTOVERS
        and lex.ratio(run[0].low, lang)[1] < FUNCTION_MIN_FREQ
    ):
        return True  # "rue des Trois-Mages", "calle de Alcalá": a street or place before its name
    if after is None or not after.cap or run[-1].glued_after:
        return False
    return all(w.low in NAME_CONNECTORS for w in run) and run[0].low in _NAME_LINKS_BEFORE_CAPITAL


def _acronym_name(text: str, words: list[_Word], i: int, j: int) -> bool:
    """``Office québécois de la langue française (OQLF)``: a name spelled out before its acronym."""
    a = i - 1
    while a >= 0 and words[a].low and not (words[a].cap or words[a].upper) and j - a <= 8:
        a -= 1
    if a < 0 or not words[a].cap or any(w.glued_after for w in words[a:i]):
        return False
    b = j
    while b < len(words) and words[b].low and not (words[b].cap or words[b].upper) \
            and not words[b - 1].glued_after and b - a <= 9:
        b += 1
    if words[b - 1].glued_after:
        return False
    return bool(_ACRONYM.match(text, words[b - 1].end))


def _interleaved(words: list[_Word], i: int, lean: dict[str, tuple[float, float]], lex: _Lexicon) -> int:
    """``como Madrid ou Barcelona``, ``entre Lyon et Lille``: a function word of L plainly not
    English, a capitalised name, a conjunction of L, a name. Returns the end index, or 0.

    Not after a capitalised word (``Banco de Madrid y Barcelona`` is a name) and not at a
    sentence start.
    """
    w = words[i]
    if w.cap or w.upper or w.low in ENGLISH_HOMOGRAPHS or i + 4 > len(words):
        return 0
    if i > 0 and (words[i - 1].cap or words[i - 1].upper) and not words[i - 1].glued_after:
        return 0
    strong = [lg for lg, (r, f) in lean.items() if r >= STRONG_RATIO and f >= FUNCTION_MIN_FREQ]
    if not strong or lex.en_freq(w.low) > SINGLE_MAX_EN_FREQ:
        return 0
    a, conj, b = words[i + 1 : i + 4]
    if w.glued_after or not a.cap or a.glued_after or conj.glued_after or not b.cap:
        return 0
    if conj.cap or not conj.low or len(conj.low) > 2:
        return 0
    conj_lean = lex.leanings(conj.low)
    if not any(lg in conj_lean for lg in strong):
        return 0
    return i + 4


def _caps_dateline(text: str, words: list[_Word], i: int, k: int) -> bool:
    """ALL-CAPS words opening a line (with the capitals before them): a dateline or place name."""
    a = i
    while a > 0 and words[a - 1].upper and not words[a - 1].glued_after:
        a -= 1
    line_start = text.rfind("\n", 0, words[a].start) + 1
    return not text[line_start : words[a].start].strip(" \t" + _LEAD)


# articles of L that open a noun phrase left untranslated ("el sector exportador", "et le
# personnel"); not "a", "o", "die" (English words)
_NOUN_PHRASE_ARTICLES = _wordset("el los las le les il gli lo la os der das den")
COGNATE_MIN_FREQ = 3e-5
COGNATE_MIN_RATIO = -0.3


def _cognate(r: float, f: float) -> bool:
    """A word as much of L as of English (``sector``, ``personnel``, ``capital``, ``regime``)."""
    return f >= COGNATE_MIN_FREQ and r >= COGNATE_MIN_RATIO


def _article_cognate_phrase(words: list[_Word], i: int, lang: str, lex: _Lexicon) -> bool:
    """``and el sector exportador asked``, ``il settore turistico``, ``le personnel soignant``: a
    lowercase article of L after lowercase English, a word L shares with English, then a word
    plainly of L that English does not know; a noun phrase the tool left untranslated."""
    if i == 0 or i + 2 >= len(words):
        return False
    prev, w, mid, last = words[i - 1], words[i], words[i + 1], words[i + 2]
    if w.low not in _NOUN_PHRASE_ARTICLES or w.cap or w.upper or w.glued_after or mid.glued_after:
        return False
    if not prev.low or prev.cap or prev.upper or prev.masked or mid.masked or last.masked:
        return False
    if mid.cap or mid.upper or last.cap or last.upper or not mid.low or not last.low:
        return False
    if lang not in lex.leanings(w.low) or not _cognate(*lex.ratio(mid.low, lang)):
        return False
    r, f = lex.ratio(last.low, lang)
    return r >= STRONG_RATIO and f >= 1e-6 and lex.en_freq(last.low) < 1e-7


# English prepositions that make a shared noun the head of an English phrase: "y el" + "sector of
# gastronomy", "et les" + "parents of pupils" (the tool translated the noun with its complement)
_ENGLISH_NOUN_LINKS = _wordset("of for from with")
# an English auxiliary or modal after the noun: the clause goes on in English with that noun as its
# subject ("et la situation could extend": the leftover is "et la", the noun reads as English)
_ENGLISH_VERBS_AFTER_NOUN = _wordset("could would should will may might can must has have had is are was were")


def _extend(words: list[_Word], j: int, lang: str, lex: _Lexicon) -> int:
    """Grow an accepted fragment over the foreign words that finish it.

    ``selon une`` + ``source syndicale``, ``und den`` + ``Heizkostenzuschuss``: up to three more
    lowercase words known in ``lang``, ending with one plainly not English (ten times likelier in
    ``lang``), or a long German compound noun English does not know; stops at punctuation and
    at other capitalised words (``laut der Stadträtin``, ``e dalla Regione``: a title or name).
    """
    best = j
    k = j
    while k < len(words) and k < j + 3 and not words[k - 1].glued_after:
        w = words[k]
        if not w.low or w.masked or w.upper:
            break
        r, f = lex.ratio(w.low, lang)
        fen = lex.en_freq(w.low)
        if r < -1.0 and fen >= ENGLISH_FUNCTION_FREQ:
            break  # "alle cozze and penne": English goes on
        if w.cap:
            # a German compound noun English does not know: "und Kleingärten", "den Heizkostenzuschuss"
            if lang == "de" and k == j and fen == 0.0 and (len(w.low) >= 12 or (len(w.low) >= 8 and f >= 1e-6)):
                best = k + 1
            break
        if not w.glued_after and k + 1 < len(words) and (words[k + 1].cap or words[k + 1].upper) \
                and lang != "de":
            break  # "e del" + "piazzale Roma": a lowercase head opens the name after the leftover
        plainly = r >= RUN_WORD_MIN_RATIO and f >= 1e-6 and fen < COMMON_ENGLISH_FREQ
        if k == j and j >= 2 and words[k - 1].low in _NOUN_PHRASE_ARTICLES \
                and words[k - 2].low in CONJUNCTIONS and _cognate(r, f) \
                and not (not w.glued_after and k + 1 < len(words)
                         and words[k + 1].low in _ENGLISH_NOUN_LINKS | _ENGLISH_VERBS_AFTER_NOUN):
            # "et le personnel", "e il regime": a noun joined by a conjunction, a word of L too (not
            # "où la circulation": a clause goes on in English)
            best = k + 1
        if k > best and f >= FUNCTION_MIN_FREQ:
            break  # "y pidió support del gobierno": English between, a new leftover after it
        if plainly:
            best = k + 1
        elif f < 1e-6:
            break
        k += 1
    return best


def _make(text: str, run: list[_Word], lang: str, score: float, langs: set[str]) -> Found:
    start, end = run[0].start, run[-1].end
    f = Found(start, end, text[start:end], lang, score, langs=tuple(sorted(langs)))
    # a bracket pair holding exactly this fragment: "[el país]"
    if start > 0 and text[start - 1] == "[" and end < len(text) and text[end] == "]":
        f.bracket_start, f.bracket_end = start - 1, end + 1
    return f


# a single word from the curated lists (SINGLE_LEFTOVERS, SINGLE_CONNECTORS) is no near-threshold
# guess: its run score is low only because it is one word
SURE_SINGLE_WORDS = SINGLE_LEFTOVERS | SINGLE_CONNECTORS
SURE_SINGLE_CONFIDENCE = 0.6
SET_PHRASE_CONFIDENCE = 0.5  # below flags.MT_STRONG_FRAGMENT: a set phrase counts half


def _confidence(f: Found) -> float:
    """Map a run score to 0..1 for reporting (4 is a confident single word, 7+ a sure pair); a set
    phrase (noun, link, noun) at most ``SET_PHRASE_CONFIDENCE``."""
    c = min(1.0, f.score / 7.0)
    if f.bracket_start < 0 and f.text.lower() in SURE_SINGLE_WORDS:
        c = max(c, SURE_SINGLE_CONFIDENCE)  # "Laut the court", "sowie the number": never English
    return round(min(c, SET_PHRASE_CONFIDENCE) if f.set_phrase else c, 3)


def _norm_phrase(s: str) -> str:
    return " ".join(s.replace("’", "'").lower().split())


_glossary_cache: dict[int, tuple[object, dict[str, dict[str, str]]]] = {}


def _glossary_lookup(glossary: dict, lang: str, phrase: str) -> str | None:
    """The English for ``phrase`` in ``glossary[lang]`` (case, spacing and apostrophes folded)."""
    cached = _glossary_cache.get(id(glossary))
    if cached is None or cached[0] is not glossary:
        table = {
            str(lg): {_norm_phrase(str(k)): str(v) for k, v in (entries or {}).items()}
            for lg, entries in glossary.items()
            if isinstance(entries, dict)
        }
        _glossary_cache[id(glossary)] = cached = (glossary, table)
    english = cached[1].get(lang, {}).get(_norm_phrase(phrase))
    if english and phrase[:1].isupper() and english[:1].islower():
        english = english[0].upper() + english[1:]  # "[El país] lost" at a sentence start
    return english


class FindForeignFragments:
    """Report translation leftovers in English articles; repair bracketed ones from the glossary."""

    name = "foreign"

    def __call__(self, text: str, ctx: Context) -> StepResult:
        lang, prob = detect_language(
            text, seed=ctx.settings.language_seed, max_chars=ctx.settings.language_max_chars
        )
        ctx.language = lang
        ctx.scratch["language_prob"] = prob
        ctx.scratch["foreign_edit_mark"] = len(ctx.edits)
        # too short to tell: trust the feed, and without one assume English (the product's case)
        host = lang or (ctx.document.feed_language or "en").split("-")[0].lower()
        if host != "en":
            return StepResult(text)
        near: list[Found] = []
        loanwords = getattr(ctx.resources, "loanwords", None)
        found = find_fragments(text, ctx.settings.foreign_min_score, near, loanwords)
        near_misses = [Evidence(f"foreign.{f.lang}", f.text, _confidence(f)) for f in near]
        source = ctx.document.source
        glosses = find_name_glosses(text) if ctx.settings.rule_enabled("foreign.name_gloss", source) else []
        glosses = [g for g in glosses if not any(f.start < g[1] and g[0] < f.end for f in found)
                   and not quoted_as_example(text, g[0])]
        if not found and not glosses:
            return StepResult(text, near_misses=near_misses)
        glossary = getattr(ctx.resources, "glossary", None) or {}
        out: list[str] = []
        edits: list[Edit] = []
        frags: list[ForeignFragment] = []
        pos = 0
        items: list[Found | tuple[int, int]] = [*found, *glosses]
        items.sort(key=lambda x: x[0] if isinstance(x, tuple) else x.start)
        for f in items:
            if isinstance(f, tuple):  # "Corsica [la Corse]" -> "Corsica (la Corse)": a gloss
                a, b = f
                out.append(text[pos:a])
                after = "(" + text[a + 1 : b - 1] + ")"
                out.append(after)
                pos = b
                edits.append(Edit("foreign.name_gloss", a, b, text[a:b], after,
                                  "translation-tool brackets around the source's name for the name before them"))
                continue
            repair = None
            if f.bracket_start >= 0:
                english = _glossary_lookup(glossary, f.lang, f.text)
                if english and english[:1].isupper() and not _sentence_start(text, f.bracket_start) \
                        and english.split()[0] in ("The", "A", "An"):
                    english = english[0].lower() + english[1:]  # "asked [l'État] for" -> "the state"
                elif english and english[:1].islower() and _sentence_start(text, f.bracket_start):
                    english = english[0].upper() + english[1:]  # "[a capital] counts" -> "The capital"
                if english is not None and ctx.settings.rule_enabled("foreign.glossary", source):
                    repair = (
                        "foreign.glossary",
                        english,
                        f"untranslated {f.lang} leftover in translation-tool brackets; glossary",
                    )
                elif ctx.settings.rule_enabled("foreign.bracket_marker", source):
                    repair = (
                        "foreign.bracket_marker",
                        f.text,
                        f"translation-tool brackets around an untranslated {f.lang} leftover",
                    )
            if repair:
                rule, after, reason = repair
                out.append(text[pos : f.bracket_start])
                new_start = sum(len(s) for s in out)
                out.append(after)
                pos = f.bracket_end
                before = text[f.bracket_start : f.bracket_end]
                edits.append(Edit(rule, f.bracket_start, f.bracket_end, before, after, reason))
                frags.append(
                    ForeignFragment(
                        f.text,
                        new_start,
                        new_start + len(after),
                        f.lang,
                        _confidence(f),
                        repaired=rule == "foreign.glossary",
                    )
                )
            else:
                out.append(text[pos : f.start])
                new_start = sum(len(s) for s in out)
                out.append(text[f.start : f.end])
                pos = f.end
                frags.append(
                    ForeignFragment(f.text, new_start, new_start + len(f.text), f.lang, _confidence(f))
                )
        out.append(text[pos:])
        ctx.scratch["foreign_edit_mark"] = len(ctx.edits) + len(edits)
        return StepResult("".join(out), edits=edits, fragments=frags, near_misses=near_misses)
