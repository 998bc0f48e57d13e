"""feedscrub.sanitize: hostile HTML neutralised, the structure the cleaners read kept, idempotent."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup, Comment
from feedscrub.cleaners.html import html_to_text

from feedscrub.models import FetchResult, RawEntry
from feedscrub.parse import parse_feed
from feedscrub.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, sanitize_entry, sanitize_html
from feedscrub.settings import FeedSpec

WORDPRESS = """<p>The council voted on Tuesday to reopen the <a href="https://example.org/bridge">old bridge</a>
to cyclists, after <strong>two years</strong> of repairs.</p>
<figure id="attachment_42" class="wp-caption aligncenter"><img class="size-large wp-image-42"
 src="https://example.org/wp-content/uploads/bridge.jpg" alt="The bridge at dawn" width="800" height="533"
 srcset="https://example.org/a.jpg 800w" style="border:0" />
<figcaption class="wp-caption-text">The bridge at dawn.</figcaption></figure>
<h2 id="what-next">What happens next</h2>
<ul class="wp-block-list"><li>Cyclists first, from <em>1 May</em>;</li><li>cars in the autumn.</li></ul>
<blockquote class="wp-block-quote"><p>“We are delighted,” said the mayor.</p></blockquote>
<table class="wp-block-table"><thead><tr><th>Phase</th><th>Date</th></tr></thead>
<tbody><tr><td>Cyclists</td><td>May</td></tr></tbody></table>
<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block sd-social sd-social-icon-text sd-sharing">
<h3 class="sd-title">Share this:</h3><div class="sd-content"><ul><li class="share-twitter">
<a rel="nofollow noopener noreferrer" data-shared="sharing-twitter-42" class="share-twitter sd-button share-icon"
 href="https://example.org/bridge/?share=twitter" target="_blank" title="Click to share on Twitter"
 onclick="window.open(this.href); return false;"><span>Twitter</span></a></li></ul></div></div></div>
<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline"><em>Related</em></h3></div>
<script type="text/javascript">var _wpcom = {"ads": true};</script>
<!-- wp:paragraph --><p>Filed under <span class="cat-links">Transport</span>.</p>"""

HOSTILE = [
    '<p>ok</p><script>alert("x")</script>',
    '<SCRIPT SRC="http://evil.example/x.js"></SCRIPT><p>ok</p>',
    '<p>ok</p><style>body { background: url("javascript:alert(1)") }</style>',
    '<p onclick="alert(1)" onmouseover="alert(2)">ok</p>',
    '<img src="x" onerror="alert(1)" alt="ok">',
    '<a href="javascript:alert(1)">ok</a>',
    '<a href="JaVaScRiPt:alert(1)">ok</a>',
    '<a href="  javascript:alert(1)">ok</a>',
    '<a href="java&#x09;script:alert(1)">ok</a>',
    '<a href="&#106;avascript:alert(1)">ok</a>',
    '<a href="vbscript:msgbox(1)">ok</a>',
    '<img src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==" alt="ok">',
    '<iframe src="https://evil.example/"><p>alert</p></iframe><p>ok</p>',
    '<iframe src="https://evil.example/" /><p>ok</p>',
    '<form action="https://evil.example/"><label>alert</label><input name="q"><button>alert</button></form><p>ok</p>',
    '<p>ok</p><!-- <script>alert(1)</script> -->',
    '<svg onload="alert(1)"><script>alert(2)</script></svg><p>ok</p>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">alert</maction></math><p>ok</p>',
    '<object data="https://evil.example/x.swf">alert</object><embed src="x.swf"><p>ok</p>',
    '<p style="position:fixed;top:0">ok</p>',
    '<div><noscript><img src=x onerror=alert(1)></noscript>ok</div>',
    '<template><script>alert(1)</script></template><p>ok</p>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)"><p>ok</p>',
    '<base href="javascript:alert(1)//"><p>ok</p>',
    '<p>ok<scr<script>ipt>alert(1)</script></p>',
    '<a href="https://example.org/" target="_blank" formaction="javascript:alert(1)">ok</a>',
    '<![CDATA[<script>alert(1)</script>]]><p>ok</p>',
]


def _entries_of(path: Path) -> list[RawEntry]:
    result = FetchResult(feed_url="http://example.org/feed", final_url="http://example.org/feed",
                         status=200, body=path.read_bytes())
    return parse_feed(result, FeedSpec(url="http://example.org/feed")).entries


@pytest.mark.parametrize("html", HOSTILE)
def test_hostile_html_is_neutralised(html: str) -> None:
    out = sanitize_html(html)
    low = out.lower()
    assert "ok" in out  # the harmless text survives
    for needle in ("<script", "<style", "<iframe", "<form", "<input", "<button", "<svg", "<math", "<object",
                   "<embed", "<meta", "<base", "<template", "<!--", "javascript:", "vbscript:", "data:",
                   "style=", "formaction"):
        assert needle not in low, (needle, out)
    # structurally: only allowed tags and attributes, URLs only http(s), mailto or relative, no comments
    soup = BeautifulSoup(out, "html.parser")
    assert not soup.find_all(string=lambda s: isinstance(s, Comment))
    for tag in soup.find_all(True):
        assert tag.name in ALLOWED_TAGS, out
        for attr, value in tag.attrs.items():
            assert attr in ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag.name, set()), out
            if attr in ("href", "src", "cite"):
                assert urlsplit(str(value).strip()).scheme in ("", "http", "https", "mailto"), out
    assert sanitize_html(out) == out


def test_removed_elements_take_their_content_with_them() -> None:
    out = sanitize_html('<form><label>Your e-mail</label><button>Subscribe</button></form><p>Text</p>'
                        '<iframe>Fallback words</iframe><style>p{}</style><script>var secret = 1;</script>')
    assert out == "<p>Text</p>"


def test_a_self_closed_iframe_does_not_swallow_what_follows() -> None:
    # XHTML-style <iframe ... /> as Blogger feeds write it; HTML5 would make the rest its content
    out = sanitize_html('<p>Before.</p><p><iframe src="https://www.blogger.com/video.g" class="b-hbp-video" />'
                        '</p><p>After.</p>')
    assert "After." in out and "<iframe" not in out


def test_wordpress_article_keeps_structure_classes_and_ids() -> None:
    out = sanitize_html(WORDPRESS)
    for kept in ('class="sharedaddy sd-sharing-enabled"', 'class="sd-title"', 'id="jp-relatedposts"',
                 'class="jp-relatedposts"', 'class="wp-caption aligncenter"', 'id="attachment_42"',
                 '<figcaption class="wp-caption-text">', 'alt="The bridge at dawn"', 'id="what-next"',
                 '<a href="https://example.org/bridge">', "<strong>two years</strong>", "<em>1 May</em>",
                 "<ul", "<li>", "<blockquote", "<table", "<th>", "<td>", 'class="cat-links"'):
        assert kept in out, kept
    for gone in ("onclick", "<script", "_wpcom", "srcset", "style=", "data-shared", "<!--", "target="):
        assert gone not in out, gone
    # the cleaners still see the share widget by its class and drop it: same text as before sanitising
    text, dropped, _ = html_to_text(out)
    assert text == html_to_text(WORDPRESS)[0]
    assert "Share this" not in text and dropped["html.widget"] >= 2
    assert "The council voted on Tuesday" in text and "We are delighted" in text


@pytest.mark.parametrize("text", ["", "Plain text.", "Tom & Jerry > Itchy & Scratchy", "a &lt;b&gt; c",
                                  "Ünïcödé — “quotes” 日本語", "line one\n\nline two\n"])
def test_plain_text_passes_unchanged(text: str) -> None:
    assert sanitize_html(text) == text


@pytest.mark.parametrize("html", [WORDPRESS, *HOSTILE, "<p>unclosed <b>bold <i>both</p> after", "<td>cell</td>",
                                  "<p>a</br>b</p>", "Tom &amp; Jerry <b>&nbsp;x</b>"])
def test_idempotent(html: str) -> None:
    once = sanitize_html(html)
    assert sanitize_html(once) == once


def test_realfeeds_idempotent_and_cleaned_text_kept(realfeeds_dir: Path,
                                                    realfeeds_manifest: list[dict[str, object]]) -> None:
    """Every HTML entry of the shared corpus: idempotent; the cleaners' text is the same but for ``</br>``."""
    checked = changed = 0
    for item in realfeeds_manifest:
        for e in _entries_of(realfeeds_dir / str(item["file"])):
            if e.content_type != "text/html":
                continue
            once = sanitize_html(e.content)
            assert sanitize_html(once) == once, item["file"]
            checked += 1
            if html_to_text(once)[0] != html_to_text(e.content)[0]:
                changed += 1
                assert "</br" in e.content.lower(), item["file"]  # HTML5 reads </br> as <br>; libxml2 drops it
    assert checked > 1000 and changed <= 5


def test_speed_per_5kb_article(capsys: pytest.CaptureFixture[str]) -> None:
    """Measured, not asserted: about 0.1-0.3 ms per 5 KB article on the 2-core project machine."""
    article = (WORDPRESS * (5000 // len(WORDPRESS) + 1))[:5000]
    sanitize_html(article)
    runs = 200
    start = time.perf_counter()
    for _ in range(runs):
        sanitize_html(article)
    per_ms = (time.perf_counter() - start) / runs * 1000
    with capsys.disabled():
        print(f"\nsanitize_html: {per_ms:.3f} ms per 5 KB article ({runs} runs)")


def test_sanitize_entry_touches_only_html() -> None:
    base = dict(id="abc", feed_url="http://example.org/feed", guid="g", url="http://example.org/1", title="T",
                author=None, published_at=None, updated_at=None)
    html_entry = RawEntry(**base, content='<p onclick="x()">Hi</p><script>x</script>', content_type="text/html",
                          summary="<b onmouseover='x'>Sum</b>")
    clean = sanitize_entry(html_entry)
    assert clean.content == "<p>Hi</p>" and clean.summary == "<b>Sum</b>" and clean.id == "abc"
    text_entry = RawEntry(**base, content="a < b && c", content_type="text/plain", summary="x > y")
    assert sanitize_entry(text_entry) is text_entry
    assert json.dumps(sanitize_entry(clean).content) == json.dumps(clean.content)
