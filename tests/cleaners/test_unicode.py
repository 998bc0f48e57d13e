"""The unicode step: ftfy repairs as explained edits, entities decoded, nothing else touched."""

from __future__ import annotations

import pytest
from feedscrub.cleaners.pipeline import Context, Document
from feedscrub.cleaners.resources import Resources
from feedscrub.cleaners.settings import CleanSettings
from feedscrub.cleaners.unicode import RepairUnicode


def run(text: str):
    return RepairUnicode()(text, Context(Document(text), CleanSettings(), Resources()))


@pytest.mark.parametrize(("before", "after"), [
    ("The mayorâ€™s office said the cafÃ© would reopen.", "The mayor’s office said the café would reopen."),
    ("Prices rose 5&#8201;% &amp; rents fell &#8212; again.", "Prices rose 5\u2009% & rents fell — again."),
    ("&#8220;We are ready,&#8221; she said.", "“We are ready,” she said."),
])
def test_repairs(before, after):
    res = run(before)
    assert res.text == after
    assert res.edits
    for e in res.edits:
        assert e.rule.startswith("unicode.")
        assert before[e.start:e.end] == e.before


@pytest.mark.parametrize("text", [
    "“Curly quotes” and ‘single ones’ stay curly — and dashes stay.",
    "Ｆｕｌｌ-width letters and the ﬁ ligature are left alone.",
    "Año, São Paulo, Zürich, Łódź and Kraków are fine.",
    "R&D spending & the AT&T deal; &nbspx is not an entity.",
    "[sic] and […] and [the minister] are prose.",
])
def test_leaves_good_text_alone(text):
    res = run(text)
    assert res.text == text
    assert not res.edits


def test_entity_edits_have_precise_offsets():
    text = "Line one.\nIt&#8217;s line two &amp; three."
    res = run(text)
    assert [e.rule for e in res.edits] == ["unicode.html_entity", "unicode.html_entity"]
    assert [text[e.start:e.end] for e in res.edits] == ["&#8217;", "&amp;"]
    assert res.text == "Line one.\nIt’s line two & three."


def test_mojibake_edit_names_ftfy_fix():
    res = run("Good line.\nThe cafÃ© is open.")
    (e,) = res.edits
    assert e.rule == "unicode.fix_encoding"
    assert res.text == "Good line.\nThe café is open."
