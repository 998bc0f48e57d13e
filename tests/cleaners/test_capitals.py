"""RepairCapitals against the cases in cases/capitals.yaml (positive, negative, known failures)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from feedscrub.cleaners.capitals import RepairCapitals, repair_capitals
from feedscrub.cleaners.pipeline import Context, Document
from feedscrub.cleaners.resources import Resources
from feedscrub.cleaners.settings import CleanSettings

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "capitals.yaml").read_text(encoding="utf-8"))


def _ids(section: str) -> list:
    return [pytest.param(c, id=c["id"]) for c in CASES[section]]


@pytest.mark.parametrize("case", _ids("positive"))
def test_lowers_stranded_capital(case):
    new, edits = repair_capitals(case["text"])
    assert new == case["output"]
    assert edits and all(e.rule == "capitals.stranded" for e in edits)
    for e in edits:
        assert case["text"][e.start : e.end] == e.before and e.after == e.before.lower()


@pytest.mark.parametrize("case", _ids("negative"))
def test_leaves_names_and_titles(case):
    assert repair_capitals(case["text"]) == (case["text"], [])


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, id=c["id"], marks=pytest.mark.xfail(strict=True, reason=c["why"]))
        for c in CASES["known_failures"]
    ],
)
def test_known_failures(case):
    assert repair_capitals(case["text"])[0] == case["output"]


def _ctx(settings: CleanSettings, language: str | None = "en") -> Context:
    ctx = Context(document=Document(content=""), settings=settings, resources=Resources())
    ctx.language = language
    return ctx


def test_step_can_be_switched_off():
    text = CASES["positive"][0]["text"]
    result = RepairCapitals()(text, _ctx(CleanSettings(disabled_rules=frozenset({"capitals.stranded"}))))
    assert (result.text, result.edits) == (text, [])


def test_step_leaves_other_languages_alone():
    text = "Die Kommission hat In der Sitzung am Montag entschieden."
    result = RepairCapitals()(text, _ctx(CleanSettings(), language="de"))
    assert (result.text, result.edits) == (text, [])
