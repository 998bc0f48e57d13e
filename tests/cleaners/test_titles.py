"""clean_title: site and section names cut from the edges; real titles untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from feedscrub.cleaners.titles import clean_title

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "titles.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES["in_the_wild"], ids=lambda c: c["title"][:40])
def test_title_cleaned(case):
    title, edits = clean_title(case["title"])
    assert title == case["expect"]
    assert edits and all(e.rule.startswith("title.") for e in edits)


@pytest.mark.parametrize("title", CASES["negative"])
def test_real_title_untouched(title):
    assert clean_title(title) == (title, [])


@pytest.mark.parametrize("case", CASES["known_failures"], ids=lambda c: c["title"][:40])
@pytest.mark.xfail(strict=True, reason="accepted limit")
def test_known_failures(case):
    assert clean_title(case["title"])[0] == case["expect"]


def test_none_and_empty():
    assert clean_title(None) == (None, [])
    assert clean_title("") == ("", [])
