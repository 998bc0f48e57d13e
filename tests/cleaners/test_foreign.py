"""FindForeignFragments against the cases in cases/foreign.yaml (positive, negative, repairs, known failures)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from feedscrub.cleaners.foreign import FindForeignFragments, compile_loanwords, find_fragments
from feedscrub.cleaners.pipeline import Context, Document
from feedscrub.cleaners.resources import build_resources
from feedscrub.cleaners.settings import CleanSettings

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "foreign.yaml").read_text(encoding="utf-8"))
GLOSSARY = yaml.safe_load(
    (Path(__file__).parents[2] / "config" / "glossary.yaml").read_text(encoding="utf-8")
)
LOANWORDS_DOC = yaml.safe_load(
    (Path(__file__).parents[2] / "config" / "loanwords.yaml").read_text(encoding="utf-8")
)
LOANWORDS = compile_loanwords(LOANWORDS_DOC)


def reported(text: str) -> list[str]:
    return sorted(f.text.lower() for f in find_fragments(text, loanwords=LOANWORDS))


def run_step(text: str, feed_language: str | None = "en", settings: CleanSettings | None = None):
    ctx = Context(
        document=Document(content=text, feed_language=feed_language),
        settings=settings or CleanSettings(),
        resources=build_resources([], GLOSSARY, loanwords=LOANWORDS_DOC),
    )
    return FindForeignFragments()(text, ctx), ctx


def _ids(section: str) -> list:
    return [pytest.param(c, id=c["id"]) for c in CASES[section]]


@pytest.mark.parametrize("case", _ids("positive"))
def test_reports_leftover(case):
    assert reported(case["text"]) == sorted(f.lower() for f in case["fragments"])


@pytest.mark.parametrize("case", _ids("negative"))
def test_stays_quiet(case):
    assert reported(case["text"]) == []


@pytest.mark.parametrize("case", _ids("repairs"))
def test_repairs(case):
    result, _ = run_step(case["text"])
    assert result.text == case["output"]
    for f in result.fragments:  # spans index the step's output
        if not f.repaired:
            assert result.text[f.start : f.end] == f.text


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, id=c["id"], marks=pytest.mark.xfail(strict=True, reason=c["why"]))
        for c in CASES["known_failures"]
    ],
)
def test_known_failures(case):
    assert reported(case["text"]) == sorted(f.lower() for f in case["fragments"])


def test_repaired_fragment_keeps_original_text_and_points_at_repair():
    result, _ = run_step("Officials said that [la ciudad] needs more water.")
    (frag,) = result.fragments
    assert (frag.text, frag.lang, frag.repaired) == ("la ciudad", "es", True)
    assert result.text[frag.start : frag.end] == "the city"
    (edit,) = result.edits
    assert (edit.rule, edit.before, edit.after) == ("foreign.glossary", "[la ciudad]", "the city")


def test_glossary_rule_can_be_switched_off():
    settings = CleanSettings(disabled_rules=frozenset({"foreign.glossary", "foreign.bracket_marker"}))
    text = "Officials said that [la ciudad] needs more water."
    result, _ = run_step(text, settings=settings)
    assert result.text == text
    assert [f.text for f in result.fragments] == ["la ciudad"]


SPANISH_ARTICLE = (
    "El ayuntamiento aprobó este martes el presupuesto para el próximo año, que incluye una "
    "partida de tres millones de euros para la reforma de la plaza mayor y la mejora del "
    "alumbrado en los barrios del norte. Según el concejal de Hacienda, las obras empezarán en "
    "primavera y durarán unos ocho meses."
)


@pytest.mark.parametrize("feed_language", ["es", "en", None])
def test_whole_article_in_another_language_has_no_leftovers(feed_language):
    result, ctx = run_step(SPANISH_ARTICLE, feed_language=feed_language)
    assert ctx.language == "es"
    assert result.fragments == [] and result.edits == [] and result.text == SPANISH_ARTICLE


def test_bracket_in_spanish_article_is_not_repaired():
    text = SPANISH_ARTICLE + " Los vecinos dicen que [el ayuntamiento] no les escucha."
    result, _ = run_step(text, feed_language="es")
    assert result.text == text


def test_english_article_sets_language():
    _, ctx = run_step(
        "The council approved the budget on Tuesday and said that the works would "
        "start in the spring and last about eight months, according to the mayor."
    )
    assert ctx.language == "en"
