"""finish(): language, language_mismatch, unedited_feed, machine_translated, title, fragment spans.

Runs the steps this area owns (foreign → punctuation → capitals) and ``finish`` on articles
written for these tests, so the flags are checked end to end without the boilerplate rules.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from feedscrub.cleaners.capitals import RepairCapitals
from feedscrub.cleaners.flags import finish, machine_translation_score, reanchor
from feedscrub.cleaners.foreign import FindForeignFragments
from feedscrub.cleaners.pipeline import Context, Document, Pipeline, StepResult
from feedscrub.cleaners.punctuation import RepairPunctuation
from feedscrub.cleaners.resources import build_resources
from feedscrub.cleaners.settings import CleanSettings

from feedscrub.models import Edit, Evidence, ForeignFragment

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "flags.yaml").read_text(encoding="utf-8"))
GLOSSARY = yaml.safe_load(
    (Path(__file__).parents[2] / "config" / "glossary.yaml").read_text(encoding="utf-8")
)
TRANSLATIONESE = yaml.safe_load(
    (Path(__file__).parents[2] / "config" / "translationese.yaml").read_text(encoding="utf-8")
)


def pipeline(*extra_steps, settings: CleanSettings | None = None) -> Pipeline:
    steps = [*extra_steps, FindForeignFragments(), RepairPunctuation(), RepairCapitals()]
    resources = build_resources([], GLOSSARY, translationese=TRANSLATIONESE)
    return Pipeline(steps, finish, settings or CleanSettings(), resources)


def clean(text: str, feed_language: str | None = "en", title: str | None = None, *extra_steps):
    return pipeline(*extra_steps).clean(Document(content=text, feed_language=feed_language, title=title))


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in CASES["articles"]])
def test_article_flags(case):
    res = clean(case["text"], case.get("feed_language", "en"))
    assert res.language == case["language"]
    assert res.flags.machine_translated is case["machine_translated"], res.flags.evidence
    assert res.flags.language_mismatch is case.get("language_mismatch", False)
    if "fragments" in case:
        assert sorted(f.text.lower() for f in res.foreign_fragments) == sorted(case["fragments"])
    if case.get("unchanged"):
        assert res.text == case["text"].strip()
        assert {e.rule for e in res.edits} <= {"whitespace.strip"}
    for absent in case.get("absent", []):
        assert absent not in res.text
    if res.flags.machine_translated:
        ev = res.flags.evidence["machine_translated"]
        assert ev[0].rule == "mt.score" and len(ev) > 1
        assert res.flags.machine_translated_score >= CleanSettings().machine_translated_threshold
    else:
        assert "machine_translated" not in res.flags.evidence
        if res.language == "en":
            assert res.flags.machine_translated_score < CleanSettings().machine_translated_threshold


def test_fragment_spans_index_the_final_text():
    case = next(c for c in CASES["articles"] if c["id"] == "mt-from-spanish")
    res = clean("\n\n  " + case["text"])
    assert res.foreign_fragments
    for f in res.foreign_fragments:
        if f.repaired:
            assert res.text[f.start : f.end] in GLOSSARY[f.lang].values()
        else:
            assert res.text[f.start : f.end] == f.text


@pytest.mark.parametrize(
    ("signals", "words", "flagged"),
    [
        ({"foreign_fragment": 3}, 400, True),
        ({"foreign_fragment": 2, "capitals.stranded": 1}, 600, True),
        ({"foreign_fragment": 1}, 300, False),  # one stray fragment is no translation
        ({"punct.space_before": 3, "punct.glued_words": 3, "punct.empty_brackets": 2}, 300, False),
        ({"capitals.stranded": 2, "punct.stray_closer": 2}, 300, True),  # strong artifacts, no leftover
        ({"foreign_fragment": 2}, 3000, False),  # two leftovers in a very long text: too thin
        ({"foreign_fragment": 1.0}, 600, False),  # two weak fragments (half each), no artifact
        ({"foreign_fragment": 1.5}, 300, False),  # three weak fragments, no artifact
        ({"foreign_fragment": 2.0}, 2000, False),  # two fragments alone in a long article
        ({"foreign_fragment": 2, "punct.unclosed_open": 1}, 400, True),  # with an artifact: flagged
        ({"title.translated_prefix": 1}, 300, False),  # a translation label alone: a translator's work
        ({"foreign_fragment": 1, "title.translated_prefix": 1}, 300, False),  # ... with one leftover
        ({"foreign_fragment": 0.5, "capitals.stranded": 1}, 300, False),  # one weak leftover, one capital
        # ... the same under a "Translated from ...:" title: the label adds to the tool's traces
        ({"foreign_fragment": 0.5, "capitals.stranded": 1, "title.translated_prefix": 1}, 300, True),
    ],
)
def test_machine_translation_score(signals, words, flagged):
    score, _ = machine_translation_score(Counter(signals), words)
    assert (score >= CleanSettings().machine_translated_threshold) is flagged


def test_machine_translated_threshold_is_a_setting():
    case = next(c for c in CASES["articles"] if c["id"] == "mt-from-spanish")
    strict = pipeline(settings=CleanSettings(machine_translated_threshold=1.01))
    res = strict.clean(Document(content=case["text"], feed_language="en"))
    assert not res.flags.machine_translated and res.flags.machine_translated_score > 0.5


def test_short_text_falls_back_to_feed_language():
    assert clean("Hola.", feed_language="es-ES").language == "es"
    assert clean("OK", feed_language=None).language is None


@pytest.mark.parametrize(
    "text",
    [
        "Dr. Amara Okoye: Paediatric sleep clinic opens at St Luke's",
        "For more visit http://example.org/events",
        "fix typo in parser; bump version",
    ],
)
def test_short_or_unsure_text_follows_the_declared_language(text):
    assert clean(text, feed_language="en-US").language == "en"


def test_language_mismatch_has_evidence():
    spanish = next(c for c in CASES["articles"] if c["id"] == "whole-article-spanish")["text"]
    res = clean(spanish, feed_language="en-US")
    assert res.flags.language_mismatch
    (ev,) = res.flags.evidence["language_mismatch"]
    assert "'en'" in ev.text and "'es'" in ev.text


class _Disclaimer:
    """Stands in for the boilerplate step, which emits ``unedited_feed`` evidence."""

    name = "boilerplate"

    def __call__(self, text: str, ctx: Context) -> StepResult:
        return StepResult(
            text, evidence=[("unedited_feed", Evidence("en.unedited_feed", "created from the feed"))]
        )


def test_unedited_feed_comes_from_step_evidence():
    text = "The council approved the budget on Tuesday after a long debate in the chamber."
    assert not clean(text).flags.unedited_feed
    res = clean(text, "en", None, _Disclaimer())
    assert res.flags.unedited_feed and res.flags.evidence["unedited_feed"]


class _Notice:
    """A step standing in for the boilerplate rules: it found the given unedited-feed disclaimer."""

    name = "notice"

    def __init__(self, notice: str) -> None:
        self.notice = notice

    def __call__(self, text, ctx):
        return StepResult(text, evidence=[("unedited_feed", Evidence("en.unedited_feed", self.notice))])


NOTICE_STORY = (
    "The harbour board approved on Friday a new schedule for the ferries to the islands, which will run "
    "every forty minutes in the summer season. The operator said the change needs two more crews."
)


@pytest.mark.parametrize("notice", [
    "This story was translated automatically from Portuguese and has not been checked by our desk.",
    "Machine translation: published from the partner feed without editing.",
    "Ce texte a été traduit automatiquement et n'a pas été relu par la rédaction.",
    "Dieser Beitrag wurde maschinell übersetzt und nicht redigiert.",
])
def test_a_disclaimer_naming_machine_translation_flags_it(notice):
    res = clean(NOTICE_STORY, "en", None, _Notice(notice))
    assert res.flags.unedited_feed and res.flags.machine_translated
    assert any(e.rule == "mt.translation_notice" for e in res.flags.evidence["machine_translated"])


@pytest.mark.parametrize("notice", [
    "This story was generated automatically from the agency feed and has not been checked by our desk.",
])
def test_a_disclaimer_without_translation_does_not_flag_it(notice):
    res = clean(NOTICE_STORY, "en", None, _Notice(notice))
    assert res.flags.unedited_feed and not res.flags.machine_translated


# two leftovers, one of them weak: too thin alone, but beside an unedited-feed disclaimer the
# feed's text went out as the translation tool left it
LEFTOVER_STORY = (
    "The port workers will stop for two days next week, et les ferries to the islands will not run, "
    "said a delegate of the union auprès de the newspaper. The harbour board regrets the decision and "
    "asks passengers to postpone their trips until the weekend, when the service returns to normal. "
    "Shops near the terminal expect a quiet week."
)


def test_an_unedited_feed_disclaimer_beside_leftovers_flags_it():
    alone = clean(LEFTOVER_STORY)
    assert alone.foreign_fragments and not alone.flags.machine_translated
    notice = "This dispatch comes from the agency feed and went out without review by our desk."
    res = clean(LEFTOVER_STORY, "en", None, _Notice(notice))
    assert res.flags.unedited_feed and res.flags.machine_translated
    assert any(e.rule == "unedited_feed.notice" for e in res.flags.evidence["machine_translated"])


def test_an_unedited_feed_disclaimer_without_leftovers_does_not_flag_it():
    notice = "This dispatch comes from the agency feed and went out without review by our desk."
    res = clean(NOTICE_STORY + " Passengers were told to check the timetable.", "en", None, _Notice(notice))
    assert res.flags.unedited_feed and not res.flags.machine_translated


def test_a_story_about_translation_software_is_not_flagged():
    text = NOTICE_STORY + " The board's website will be machine translated into four languages next year."
    assert not clean(text).flags.machine_translated


def test_title_is_cleaned_and_text_stripped():
    res = clean("\n  The council approved the budget on Tuesday.  \n", "en", "  Budget approved  ")
    assert res.text == "The council approved the budget on Tuesday."
    assert res.title == "Budget approved"


def test_reanchor_through_later_edits():
    text_after_foreign = "A  b según the c ."  # fragment "según" at 5..10
    frag = ForeignFragment("según", 5, 10, "es", 0.6)
    later = [
        Edit("punct.double_space", 1, 3, "  ", " ", step="punctuation"),
        Edit("punct.space_before", 16, 17, " ", "", step="punctuation"),
    ]
    (moved,) = reanchor([frag], later, lstrip=0, final_len=len(text_after_foreign) - 2)
    assert (moved.start, moved.end) == (4, 9)
    assert "A b según the c."[moved.start : moved.end] == "según"


def _replay(text: str, edits: list[Edit]) -> str:
    """Apply edits step by step; within a step, offsets index that step's input."""
    groups: list[list[Edit]] = []
    for e in edits:
        if groups and groups[-1][0].step == e.step:
            groups[-1].append(e)
        else:
            groups.append([e])
    for g in groups:
        out, pos = [], 0
        for e in sorted(g, key=lambda x: (x.start, x.end)):
            assert text[e.start : e.end] == e.before
            out.append(text[pos : e.start])
            out.append(e.after)
            pos = e.end
        text = "".join(out) + text[pos:]
    return text


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in CASES["articles"]])
def test_edits_replay_to_the_text(case):
    raw = "\n  " + case["text"] + "  \n"
    res = clean(raw, case.get("feed_language", "en"), "A title | Site")
    body = [e for e in res.edits if e.step != "title"]
    assert _replay(raw, body) == res.text
