"""Translationese (cleaners.translationese, config/translationese.yaml) and its part in the
machine_translated flag: every pattern fires on its examples and stays quiet on the others,
the pack is validated, and whole articles (cases/translationese.yaml) are flagged or left alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from feedscrub.cleaners.capitals import RepairCapitals
from feedscrub.cleaners.flags import finish, translationese_score
from feedscrub.cleaners.foreign import FindForeignFragments
from feedscrub.cleaners.pipeline import Document, Pipeline
from feedscrub.cleaners.punctuation import RepairPunctuation
from feedscrub.cleaners.resources import build_resources
from feedscrub.cleaners.settings import CleanSettings
from feedscrub.cleaners.translationese import compile_translationese, find_translationese

ROOT = Path(__file__).parents[2]
PACK_DOC = yaml.safe_load((ROOT / "config" / "translationese.yaml").read_text(encoding="utf-8"))
PACK = compile_translationese(PACK_DOC)
GLOSSARY = yaml.safe_load((ROOT / "config" / "glossary.yaml").read_text(encoding="utf-8"))
CASES = yaml.safe_load((Path(__file__).parent / "cases" / "translationese.yaml").read_text(encoding="utf-8"))


def pipeline(settings: CleanSettings | None = None) -> Pipeline:
    steps = [FindForeignFragments(), RepairPunctuation(), RepairCapitals()]
    resources = build_resources([], GLOSSARY, translationese=PACK_DOC)
    return Pipeline(steps, finish, settings or CleanSettings(), resources)


def _examples(key: str) -> list:
    return [
        pytest.param(p["id"], ex, id=f"{p['id'].split('.', 1)[1]}:{ex[:30]}")
        for p in PACK_DOC["patterns"]
        for ex in p[key]
    ]


PATTERNS = {p.id: p for p in PACK.patterns}


@pytest.mark.parametrize(("rule", "text"), _examples("match"))
def test_pattern_fires_on_its_examples(rule, text):
    assert PATTERNS[rule].regex.search(text)
    assert find_translationese(text, PACK).points > 0  # (a weightier rule may take the words)


@pytest.mark.parametrize(("rule", "text"), _examples("no_match"))
def test_pattern_stays_quiet_on_edited_english(rule, text):
    assert not PATTERNS[rule].regex.search(text)
    assert rule not in {h.rule for h in find_translationese(text, PACK).hits}


def test_overlapping_matches_count_once_for_the_weightier_rule():
    report = find_translationese("The agency presented this Tuesday the new timetable.", PACK)
    assert [h.rule for h in report.hits] == ["translationese.inverted_report"]
    assert report.points == 1.0


def test_every_pattern_is_documented():
    for p in PACK_DOC["patterns"]:
        assert p["id"].startswith("translationese.")
        assert p["description"] and p["languages"] and p["match"] and p["no_match"]


def test_pack_with_a_failing_example_is_rejected_naming_the_rule():
    bad = {"patterns": [{**PACK_DOC["patterns"][0], "no_match": ["The union said this Monday it would strike."]}]}
    with pytest.raises(ValueError, match=PACK_DOC["patterns"][0]["id"]):
        compile_translationese(bad)


def test_one_habit_counts_at_most_twice():
    text = " ".join(["The fine will be of 300 euros."] * 5)
    report = find_translationese(text, PACK)
    assert len(report.hits) == 5
    assert report.points == 2.0 and report.rules == {"translationese.copula_of_quantity"}


def test_of_the_density_needs_a_long_enough_text():
    chain = "the price of the ticket of the museum of the city of the river. " * 12
    assert find_translationese(chain, PACK).density_points > 0
    assert find_translationese("the price of the ticket of the museum", PACK).density_points == 0


@pytest.mark.parametrize(
    ("leftover", "points", "rules", "words", "flagged"),
    [
        (0.0, 3.5, 4, 250, True),  # several calques, no leftover
        (0.0, 3.0, 2, 250, False),  # two rules alone are a writer's habits
        (1.0, 2.0, 2, 250, True),  # one confident leftover and two calques
        (1.0, 1.0, 1, 250, False),  # one leftover, one calque
        (0.5, 2.0, 2, 250, True),  # one lone function word left over (según) and two calques
        (0.5, 1.0, 1, 250, False),
        (0.0, 2.5, 2, 250, False),  # ... but without it two rules are not enough
        (1.0, 2.5, 3, 3000, False),  # the same evidence in a very long article is too thin
        (0.0, 0.0, 0, 250, False),
    ],
)
def test_translationese_score(leftover, points, rules, words, flagged):
    score = translationese_score(leftover, points, rules, words)
    assert (score >= CleanSettings().machine_translated_threshold) is flagged


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in CASES["articles"]])
def test_article(case):
    res = pipeline().clean(Document(content=case["text"], feed_language="en"))
    assert res.language == "en"
    assert res.flags.machine_translated is case["machine_translated"], res.flags.evidence
    if case["machine_translated"]:
        evidence = res.flags.evidence["machine_translated"]
        assert evidence[0].rule == "mt.score" and "threshold" in evidence[0].text
        named = {e.rule for e in evidence}
        assert set(case["rules"]) <= named
        for e in evidence:
            if e.rule.startswith("translationese.") and e.rule != "translationese.of_the_density":
                assert e.text in res.text  # the matched wording, as it stands in the article
    else:
        assert res.flags.machine_translated_score < CleanSettings().machine_translated_threshold


def test_translationese_rules_can_be_switched_off():
    case = next(c for c in CASES["articles"] if c["id"] == "calques-without-leftovers")
    ids = frozenset(p["id"] for p in PACK_DOC["patterns"]) | {"translationese.of_the_density"}
    off = pipeline(CleanSettings(disabled_rules=ids))
    assert not off.clean(Document(content=case["text"], feed_language="en")).flags.machine_translated


def test_without_a_pack_only_leftovers_count():
    case = next(c for c in CASES["articles"] if c["id"] == "calques-without-leftovers")
    bare = Pipeline([FindForeignFragments()], finish, CleanSettings(), build_resources([], GLOSSARY))
    assert not bare.clean(Document(content=case["text"], feed_language="en")).flags.machine_translated


def test_the_app_loads_the_bundled_pack():
    from feedscrub.config import load_resources, load_settings

    pack = load_resources(load_settings()).translationese
    assert pack is not None and len(pack.patterns) == len(PACK_DOC["patterns"])


@pytest.mark.parametrize(
    "text",
    [
        'She said the errors included phrases such as "the council approved this Thursday the budget".',
        "Readers flagged expressions like “approved this Thursday” and “will be of five euros”.",
    ],
)
def test_calques_quoted_as_examples_are_not_counted(text):
    assert find_translationese(text, PACK).hits == []


def test_the_same_calques_outside_quotation_marks_count():
    text = "The council approved this Thursday the budget, which will be of five million euros."
    assert find_translationese(text, PACK).hits
