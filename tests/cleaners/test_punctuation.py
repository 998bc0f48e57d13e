"""RepairPunctuation against the cases in cases/punctuation.yaml (positive, negative, known failures)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from feedscrub.cleaners.pipeline import Context, Document
from feedscrub.cleaners.punctuation import RULES, RepairPunctuation, repair_punctuation
from feedscrub.cleaners.resources import Resources
from feedscrub.cleaners.settings import CleanSettings

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "punctuation.yaml").read_text(encoding="utf-8"))


def _ids(section: str) -> list:
    return [pytest.param(c, id=c["id"]) for c in CASES[section]]


def _replay(text: str, edits) -> str:
    out, pos = [], 0
    for e in edits:
        assert text[e.start : e.end] == e.before
        out.append(text[pos : e.start])
        out.append(e.after)
        pos = e.end
    return "".join(out) + text[pos:]


@pytest.mark.parametrize("case", _ids("positive"))
def test_repairs(case):
    new, edits = repair_punctuation(case["text"])
    assert new == case["output"]
    assert sorted({e.rule for e in edits}) == sorted(case["rules"])
    assert _replay(case["text"], edits) == new  # edits index the input and reproduce the output


@pytest.mark.parametrize("case", _ids("negative"))
def test_leaves_alone(case):
    new, edits = repair_punctuation(case["text"], english=case.get("english", True))
    assert (new, edits) == (case["text"], [])


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, id=c["id"], marks=pytest.mark.xfail(strict=True, reason=c["why"]))
        for c in CASES["known_failures"]
    ],
)
def test_known_failures(case):
    assert repair_punctuation(case["text"])[0] == case["output"]


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_can_be_switched_off(rule):
    cases = [c for c in CASES["positive"] if rule in c["rules"]]
    assert cases, f"no positive case for {rule}"
    settings = CleanSettings(disabled_rules=frozenset({rule}))
    for case in cases:
        ctx = Context(document=Document(content=case["text"]), settings=settings, resources=Resources())
        result = RepairPunctuation()(case["text"], ctx)
        assert rule not in {e.rule for e in result.edits}
