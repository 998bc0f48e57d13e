"""The pipeline's last word: the article's language, flags, title and fragment spans.

``finish(ctx, text) -> CleanResult`` runs after every step. It does not change the body beyond
stripping it; it turns what the steps found into:

- ``language``: detected on the cleaned text (``cleaners.language``; the ``foreign`` step already
  detected it and left it in ``ctx.language``), falling back to the feed's declared language
  when the text is short (``SHORT_TEXT_WORDS``) or the guess unsure (``SURE_LANGUAGE_PROB``), and
  when the text is too short to tell;
- ``language_mismatch``: the feed declares one language and the text reads as another
  (detection probability >= 0.8), with the two in its evidence;
- ``unedited_feed``: the boilerplate step found an "unedited feed" disclaimer (evidence named
  ``unedited_feed``);
- ``machine_translated`` and its score (see ``machine_translation_score``): translation leftovers
  and the artifacts translation tools leave, per 1,000 words; the flag is the score at or above
  ``ctx.settings.machine_translated_threshold`` in an English article (a whole article in another
  language is not a translation leftover); an unedited-feed disclaimer counts as one more artifact
  only beside leftovers (``MT_NOTICE_MIN_FRAGMENTS``); evidence lists every signal. Translationese
  (``cleaners.translationese``: "will be of five euros", "approved this Thursday", "the X of the Y"
  density; patterns in ``config/translationese.yaml``, carried by ``ctx.resources``) adds a
  second score, ``translationese_score``: one reported leftover with a couple of calques, or
  several calques alone, flag; the higher score counts (translationese is looked for only in
  English text the leftovers alone leave under ``MT_SURE_SCORE``). Evidence names each rule, the text
  it matched, the points and the threshold;
- ``title``: ``cleaners.titles.clean_title`` when that module is there (its edits are added);
- ``foreign_fragments``: re-anchored from the ``foreign`` step's output to the FINAL text, through
  the edits of the steps after it (punctuation, capitals) and the final strip;
- ``edits``: the steps' edits, then the strip of surrounding whitespace (rule ``whitespace.strip``,
  step ``finish``), so that replaying the body's edits step by step reproduces ``text``; then the
  title's edits (step ``title``, offsets into the title).

What this module is not for: finding anything in the text itself; steps do that.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping

from feedscrub.models import Edit, Evidence, Flags, ForeignFragment

from .language import detect_language
from .pipeline import CleanResult, Context
from .translationese import TranslationeseReport, find_translationese

__all__ = ["finish", "machine_translation_score", "reanchor", "translationese_score"]

MISMATCH_MIN_PROB = 0.8
# Below this many words, or this detection probability, the feed's declared language wins over a
# detected other one: commit messages and one-line items get exotic guesses (id, sq, it).
SHORT_TEXT_WORDS = 25
SURE_LANGUAGE_PROB = 0.9

# Weight of each signal (per occurrence) and how many occurrences count at most.
MT_SIGNALS: dict[str, tuple[float, int]] = {
    "foreign_fragment": (1.0, 20),
    "bracketed_leftover": (0.5, 10),
    "capitals.stranded": (0.6, 4),
    "punct.stray_closer": (0.6, 4),
    "punct.empty_brackets": (0.6, 4),
    "punct.unclosed_open": (0.4, 2),
    "punct.space_before": (0.3, 3),
    "punct.glued_words": (0.3, 3),
    # the title says the text was translated ("Translated from Portuguese: ..."): no proof of a
    # machine on its own (never a strong signal), but it adds to the leftovers of one
    "title.translated_prefix": (0.6, 1),
    # an unedited-feed disclaimer ("published from the agency feed without review") beside
    # leftovers of MT_NOTICE_MIN_FRAGMENTS points: the feed's text went out as the tool left it
    # (no signal without them: most unedited agency copy is not translated)
    "unedited_feed.notice": (0.6, 1),
}
MT_NOTICE_MIN_FRAGMENTS = 1.5
# a long fragment is several leftovers the foreign step joined into one clause ("Le gouvernement
# propose une augmentation de 12,7 % sur cinq ans"): it counts once per this many words, at most
# MT_FRAGMENT_MAX_CLAUSES times
MT_FRAGMENT_CLAUSE_WORDS = 4
MT_FRAGMENT_MAX_CLAUSES = 3
MT_MIN_POINTS = 2.0  # below this many points the score is scaled down (one stray fragment)
# Without a foreign fragment, the score is scaled by the share of this many strong artifacts.
MT_STRONG = ("bracketed_leftover", "capitals.stranded", "punct.stray_closer")
MT_MIN_STRONG_WITHOUT_FRAGMENTS = 3
# Fragments alone (no artifact) flag an article only from this many points: one or two weak
# fragments in a long, clean article are a name or a quotation missed, not a translation.
MT_MIN_FRAGMENT_POINTS_ALONE = 2.5
MT_STRONG_FRAGMENT = 0.6  # a fragment reported with less confidence is weak
MT_SCALE = 2.5  # points per 1,000 words at which the score reaches 1 - 1/e
MT_MIN_WORDS = 300  # shorter texts are scored as if this long (a short text is no denser)
# Translationese (cleaners.translationese, config/translationese.yaml) weighed with the leftovers
# (see translationese_score): the article flags when translationese points plus leftovers (each
# reported leftover at least one point, at most MT_TRANSLATIONESE_LEFTOVER_CAP together) reach
# MT_TRANSLATIONESE_MIN_SUPPORT, with at least MT_TRANSLATIONESE_WITH_LEFTOVER translationese points
# from two rules (one leftover and a couple of calques), or from translationese alone at
# MT_TRANSLATIONESE_MIN_SUPPORT points from MT_TRANSLATIONESE_ALONE_RULES rules (no single habit
# of a writer flags an article).
# Translationese is looked for unless the leftovers alone score at least this: a borderline flag
# (two single-word leftovers) is backed by its calques in the evidence.
MT_SURE_SCORE = 0.75
# An unedited-feed disclaimer that says the text was translated by a machine is the publisher's own
# word for it ("This content was translated automatically from Spanish ...", "machine translation",
# "traducido automáticamente", "traduction automatique", "maschinell übersetzt"): the score is at
# least MT_NOTICE_SCORE. Only the disclaimer counts (evidence ``unedited_feed``), never a sentence
# of the story that merely mentions translation software.
MT_NOTICE = re.compile(
    r"\b(?:translat|tradu|tradott|übersetz|vertaal)\w*\W+(?:\w+\W+){0,4}?"
    r"(?:automati|machine|maschinell|software|máquina)\w*"
    r"|\b(?:automati|machine|maschinell)\w*\W+(?:\w+\W+){0,4}?(?:translat|tradu|tradott|übersetz|vertaal)\w*",
    re.IGNORECASE,
)
MT_NOTICE_SCORE = 0.95
MT_TRANSLATIONESE_MIN_SUPPORT = 3.0
MT_TRANSLATIONESE_LEFTOVER_CAP = 2.0
MT_TRANSLATIONESE_WITH_LEFTOVER = 1.5
# any reported leftover counts here, a lone function word (según, weak: 0.5 points) included
MT_TRANSLATIONESE_MIN_LEFTOVER = 0.5
MT_TRANSLATIONESE_WITH_LEFTOVER_RULES = 2
MT_TRANSLATIONESE_ALONE_RULES = 3

_WORDS = re.compile(r"\w+")


def _lang_code(lang: str | None) -> str | None:
    if not lang:
        return None
    return lang.replace("_", "-").split("-")[0].lower() or None


def machine_translation_score(signals: Mapping[str, float], words: int) -> tuple[float, float]:
    """``(score, points)``: 0..1 from the weighted density of translation signals.

    ``points`` weighs each signal (``MT_SIGNALS``); the score is ``1 - exp(-density / MT_SCALE)``
    with ``density`` the points per 1,000 words (texts shorter than ``MT_MIN_WORDS`` count as that
    long), scaled down when the evidence is thin: by ``points / MT_MIN_POINTS`` below that many
    points (one stray fragment is no translation); by the square of ``points /
    MT_MIN_FRAGMENT_POINTS_ALONE`` when fragments are the only artifact (a title's translation label
    is none; two weak fragments in a long
    clean article are no translation; a weak fragment counts half); and, when no foreign fragment
    was found, by the share of ``MT_MIN_STRONG_WITHOUT_FRAGMENTS`` strong artifacts present (spacing, empty brackets
    and glued words alone are sloppy copy, not translation).
    """
    points = sum(w * min(signals.get(name, 0), cap) for name, (w, cap) in MT_SIGNALS.items())
    density = points * 1000 / max(words, MT_MIN_WORDS)
    score = 1 - math.exp(-density / MT_SCALE)
    score *= min(1.0, points / MT_MIN_POINTS)
    if not signals.get("foreign_fragment"):
        strong = sum(signals.get(k, 0) for k in MT_STRONG)
        score *= min(1.0, strong / MT_MIN_STRONG_WITHOUT_FRAGMENTS)
    elif not any(signals.get(k) for k in MT_SIGNALS if k not in ("foreign_fragment", "title.translated_prefix")):
        score *= min(1.0, points / MT_MIN_FRAGMENT_POINTS_ALONE) ** 2
    return score, points


def translationese_score(leftovers: float, points: float, rules: int, words: int) -> float:
    """0..1 from translationese ``points`` (from ``rules`` distinct rules) and the leftovers found.

    ``leftovers`` is the ``foreign_fragment`` signal (a weak fragment counts half) plus bracketed
    leftovers. ``support`` is the translationese points plus the leftovers, each reported leftover
    worth at least one point, at most ``MT_TRANSLATIONESE_LEFTOVER_CAP`` together; the score is ``1 - exp(-density / MT_SCALE)`` with
    ``density`` the support per 1,000 words (as in ``machine_translation_score``, so a long
    article needs more). Unless the evidence is enough (see the MT_TRANSLATIONESE_* constants),
    the score is halved and scaled by ``support / MT_TRANSLATIONESE_MIN_SUPPORT``, which keeps it
    below 0.5.
    """
    if points <= 0:
        return 0.0
    has_leftover = leftovers >= MT_TRANSLATIONESE_MIN_LEFTOVER
    support = points + (min(max(leftovers, 1.0), MT_TRANSLATIONESE_LEFTOVER_CAP) if has_leftover else 0.0)
    density = support * 1000 / max(words, MT_MIN_WORDS)
    score = 1 - math.exp(-density / MT_SCALE)
    with_leftover = (
        has_leftover
        and points >= MT_TRANSLATIONESE_WITH_LEFTOVER
        and rules >= MT_TRANSLATIONESE_WITH_LEFTOVER_RULES
    )
    alone = points >= MT_TRANSLATIONESE_MIN_SUPPORT and rules >= MT_TRANSLATIONESE_ALONE_RULES
    if support >= MT_TRANSLATIONESE_MIN_SUPPORT and (with_leftover or alone):
        return score
    return score * 0.5 * min(1.0, support / MT_TRANSLATIONESE_MIN_SUPPORT)


def _map_pos(p: int, edits: list[Edit], side: str) -> int:
    """Where offset ``p`` of a step's input lands in its output (``side``: start or end of a span)."""
    delta = 0
    for e in edits:
        grows = len(e.after) - (e.end - e.start)
        if e.end < p or (e.end == p and (side == "start" or e.start < e.end)):
            delta += grows
        elif e.start < p < e.end:
            return e.start + delta + (len(e.after) if side == "end" else 0)
        elif e.start >= p:
            break
    return p + delta


def _clauses(fragment: str) -> int:
    return min(MT_FRAGMENT_MAX_CLAUSES, 1 + (len(fragment.split()) - 1) // MT_FRAGMENT_CLAUSE_WORDS)


def reanchor(
    fragments: list[ForeignFragment], later_edits: list[Edit], lstrip: int, final_len: int
) -> list[ForeignFragment]:
    """Move fragment spans through ``later_edits`` (in step order) and the final strip."""
    groups: list[list[Edit]] = []
    for edit in later_edits:
        if groups and groups[-1][0].step == edit.step:
            groups[-1].append(edit)
        else:
            groups.append([edit])
    out = []
    for f in fragments:
        s, e = f.start, f.end
        for g in groups:
            g_sorted = sorted(g, key=lambda x: (x.start, x.end))
            s, e = _map_pos(s, g_sorted, "start"), _map_pos(e, g_sorted, "end")
        s = min(max(s - lstrip, 0), final_len)
        e = min(max(e - lstrip, s), final_len)
        if e > s:
            out.append(ForeignFragment(f.text, s, e, f.lang, f.score, f.repaired))
    return out


def _title(ctx: Context) -> tuple[str | None, list[Edit]]:
    title = ctx.document.title
    try:
        from .titles import clean_title
    except ImportError:  # titles.py not written yet: keep the feed's title, trimmed
        return (title.strip() if isinstance(title, str) else title), []
    new, edits = clean_title(title, ctx)
    return new, [
        e if e.step else Edit(e.rule, e.start, e.end, e.before, e.after, e.reason, "title") for e in edits
    ]


def finish(ctx: Context, text: str) -> CleanResult:
    flags = Flags()
    for name, ev in ctx.evidence:
        flags.evidence.setdefault(name, []).append(ev)
    flags.unedited_feed = bool(flags.evidence.get("unedited_feed"))

    final = text.strip()
    lstrip = len(text) - len(text.lstrip())

    # language: the foreign step detected it on the cleaned body; detect here if it did not run
    if "language_prob" in ctx.scratch:
        lang, prob = ctx.language, float(ctx.scratch["language_prob"])
    else:
        lang, prob = detect_language(
            final, seed=ctx.settings.language_seed, max_chars=ctx.settings.language_max_chars
        )
    feed_lang = _lang_code(ctx.document.feed_language)
    if lang is None:
        lang, prob = feed_lang, 0.0
    elif feed_lang and lang != feed_lang and (
        prob < SURE_LANGUAGE_PROB or len(_WORDS.findall(final)) < SHORT_TEXT_WORDS
    ):
        lang, prob = feed_lang, 0.0  # a short or unsure guess ("For more visit ...": sq) yields
    if feed_lang and lang and lang != feed_lang and prob >= MISMATCH_MIN_PROB:
        flags.language_mismatch = True
        flags.evidence.setdefault("language_mismatch", []).append(
            Evidence(
                "language.detected", f"feed declares {feed_lang!r}, text reads as {lang!r}", round(prob, 3)
            )
        )

    # foreign fragments, in the final text's coordinates
    mark = int(ctx.scratch.get("foreign_edit_mark", len(ctx.edits)))
    fragments = reanchor(list(ctx.fragments), ctx.edits[mark:], lstrip, len(final))

    # machine translation: leftovers and translation-tool artifacts per 1,000 words
    signals: defaultdict[str, float] = defaultdict(float)
    # a weak fragment (a pair of function words scoring near the threshold) counts half
    signals["foreign_fragment"] = sum((1.0 if f.score >= MT_STRONG_FRAGMENT else 0.5) * _clauses(f.text)
                                      for f in fragments)
    evidence: list[Evidence] = [Evidence(f"foreign.{f.lang}", f.text, f.score) for f in fragments]
    for e in ctx.edits:
        # a tool's brackets around the source's name ("Corsica [la Corse]") are its marker too
        if e.rule in ("foreign.glossary", "foreign.bracket_marker", "foreign.name_gloss"):
            signals["bracketed_leftover"] += 1
            evidence.append(Evidence(e.rule, e.before))
        elif e.rule in MT_SIGNALS:
            signals[e.rule] += 1
            evidence.append(Evidence(e.rule, e.before.strip() or e.reason))
    if flags.unedited_feed and signals["foreign_fragment"] >= MT_NOTICE_MIN_FRAGMENTS:
        signals["unedited_feed.notice"] = 1
        evidence.append(Evidence("unedited_feed.notice", flags.evidence["unedited_feed"][0].text))
    title, title_edits = _title(ctx)
    for e in title_edits:
        if e.rule in MT_SIGNALS:
            signals[e.rule] += 1
            evidence.append(Evidence(e.rule, e.before.strip() or e.reason))
    words = len(_WORDS.findall(final))
    score, points = machine_translation_score(signals, words)
    notice = next((ev for ev in flags.evidence.get("unedited_feed", []) if MT_NOTICE.search(ev.text)), None)
    if notice is not None and ctx.settings.rule_enabled("mt.translation_notice", ctx.document.source):
        score = max(score, MT_NOTICE_SCORE)
        evidence.append(Evidence("mt.translation_notice", notice.text, MT_NOTICE_SCORE))
    # translationese: the source's constructions carried into English ("will be of five euros");
    # looked for only in English text whose leftovers alone do not already decide
    source = ctx.document.source
    tr = TranslationeseReport()
    if lang == "en" and score < max(ctx.settings.machine_translated_threshold, MT_SURE_SCORE):
        tr = find_translationese(
            final,
            getattr(ctx.resources, "translationese", None),
            lambda rule: ctx.settings.rule_enabled(rule, source),
            words,
        )
        leftovers = signals["foreign_fragment"] + signals["bracketed_leftover"]
        score = max(score, translationese_score(leftovers, tr.points, len(tr.rules), words))
    flags.machine_translated_score = score
    threshold = ctx.settings.machine_translated_threshold
    if lang == "en" and score >= threshold:
        flags.machine_translated = True
        summary = ", ".join(f"{k}={v:g}" for k, v in sorted(signals.items()) if v)
        if tr.points:
            summary += f"; translationese {tr.points:.2f} points from {len(tr.rules)} rules ({tr.summary()})"
        flags.evidence["machine_translated"] = [
            Evidence(
                "mt.score",
                f"{summary}; {words} words; {points:.1f} leftover and artifact points; "
                f"threshold {threshold:g}",
                round(score, 4),
            ),
            *evidence,
            *(Evidence(h.rule, h.text, h.weight) for h in tr.hits),
        ]
        if tr.density_points:
            flags.evidence["machine_translated"].append(
                Evidence(
                    tr.density_rule,
                    f"'of the' {tr.density_rate:.1f} per 1,000 words",
                    tr.density_points,
                )
            )

    # the strip is an edit too, so that replaying the edits reproduces the text
    strip_edits = []
    if lstrip:
        strip_edits.append(
            Edit("whitespace.strip", 0, lstrip, text[:lstrip], "", "leading whitespace", "finish")
        )
    rstrip = len(text) - len(text.rstrip())
    if rstrip and final:
        strip_edits.append(
            Edit(
                "whitespace.strip",
                len(text) - rstrip,
                len(text),
                text[len(text) - rstrip :],
                "",
                "trailing whitespace",
                "finish",
            )
        )
    return CleanResult(
        text=final,
        title=title,
        language=lang,
        flags=flags,
        edits=list(ctx.edits) + strip_edits + title_edits,
        foreign_fragments=fragments,
    )
