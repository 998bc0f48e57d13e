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


# The text is read from lxml's parse directly, the way BeautifulSoup read the same parse before
# (identical on every item of the real feeds, the eval cases and the bench corpus); these pin the
# corners where the two could part.
@pytest.mark.parametrize(
    ("html", "text"),
    [
        ('<p>Kanji <ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp>字</ruby> here</p>', "Kanji 漢字 here"),
        ("<pre>line one\n\n  line two</pre><p>after</p>", "line one\n\nline two\n\nafter"),
        ("\ufeff<p>Byte order mark first</p>", "Byte order mark first"),
        ("<p>one</p>\n\n\n<p>two</p> \t <span>three</span>", "one\n\ntwo\n\nthree"),
        ("<p>a<!-- c -->b</p>", "ab"),
    ],
)
def test_parse_corners(html, text):
    assert run(html).text == text


def test_comments_outside_the_root_element_are_counted():
    res = run("<!-- top --><p>Body</p><!-- end -->")
    assert res.text == "Body"
    assert "html.comment×2" in res.edits[0].reason


def test_dropped_form_sample_is_its_prose_not_its_script():
    res = run("<form><script>var a=1;</script> Sign   up <b>now</b></form><p>Body</p>")
    assert res.text == "Body"
    assert "html.form×1 ('Sign   up now')" in res.edits[0].reason
