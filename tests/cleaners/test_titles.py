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


def _ctx(source=None, removed=()):
    """A stand-in for the pipeline's context: the document's source and the boilerplate edits."""
    from types import SimpleNamespace

    from feedscrub.models import Edit
    edits = [Edit("en.continue_reading", 0, len(b), b, "", "boilerplate", "boilerplate") for b in removed]
    return SimpleNamespace(document=SimpleNamespace(source=source), edits=edits)


def test_site_prefix_goes_when_the_articles_boilerplate_names_the_site():
    ctx = _ctx(removed=["Click here for more stories from the Northgate Courier."])
    title, edits = clean_title("Northgate Courier: Library extends weekend hours at three branches", ctx)
    assert title == "Library extends weekend hours at three branches"
    assert [e.rule for e in edits] == ["title.site_prefix"]
    title, _ = clean_title("Harbour Times: Ferry fares frozen for another year", _ctx(source="Harbour Times"))
    assert title == "Ferry fares frozen for another year"


@pytest.mark.parametrize("title", [
    "Q&A: What the new bin collection rules mean for you",
    "Ranji Trophy: Kerala opener hits a century on the first day",
    "Marseille : les bus de nuit circuleront aussi le dimanche",
    "Kestrel Times: minister to resign over the harbour contracts",  # a report credited to an outlet
])
def test_colon_prefix_stays_without_proof_it_is_the_site(title):
    # the boilerplate names the place and the competition, not as a publication
    ctx = _ctx(removed=["More news from Marseille »", "All the Ranji Trophy coverage", "Follow Q&A on X"])
    assert clean_title(title, ctx) == (title, [])
