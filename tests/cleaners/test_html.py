"""HtmlToText: paragraphs kept, widgets and scripts dropped, entities decoded (cases/html.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from feedscrub.cleaners.html import HtmlToText
from feedscrub.cleaners.pipeline import Context, Document
from feedscrub.cleaners.resources import Resources
from feedscrub.cleaners.settings import CleanSettings

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "html.yaml").read_text(encoding="utf-8"))


def run(text: str, content_type: str = "text/html"):
    ctx = Context(Document(text, content_type), CleanSettings(), Resources())  # type: ignore[arg-type]
    return HtmlToText()(text, ctx)


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["id"])
def test_html_cases(case):
    res = run(case["html"])
    if "expect" in case:
        assert res.text == case["expect"].strip()
    for span in case.get("absent", []):
        assert span not in res.text, f"still has {span!r}"
    for span in case.get("present", []):
        assert span in res.text, f"lost {span!r}"
    for kind in case.get("dropped", []):
        assert kind in res.edits[0].reason


def test_plain_text_passes_through_untouched():
    text = "<p> is how you'd write a paragraph tag &amp; more\n\nSecond paragraph."
    res = run(text, "text/plain")
    assert res.text == text and not res.edits


def test_one_whole_text_edit():
    html = "<p>One.</p><script>x()</script><p>Two.</p>"
    res = run(html)
    (e,) = res.edits
    assert (e.rule, e.start, e.end, e.before, e.after) == ("html.to_text", 0, len(html), html, "One.\n\nTwo.")
    assert "html.script" in e.reason
