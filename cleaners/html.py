"""Step ``html``: turns an article's HTML into plain text with its paragraphs kept.

Runs only when ``ctx.document.content_type == "text/html"``; plain text passes through untouched
(no BeautifulSoup work on it). The markup is parsed with BeautifulSoup and lxml, and then:

- block elements (``p``, ``div``, ``li``, ``h1``…, ``blockquote``, ``figcaption``, ``tr``…) become
  paragraphs separated by a blank line; ``<br>`` becomes a newline; inside a paragraph runs of
  whitespace become one space (a blank line inside a text node still separates paragraphs,
  for feeds that mix bare text and markup);
- scripts, styles, ``noscript``, ``iframe``, forms and their controls, HTML comments, and
  share / like / related-posts / newsletter / ad / comment widgets (recognised by class or id
  *families*, e.g. ``sharedaddy``, ``sd-*``, ``share-*``, ``jp-relatedposts``, ``related-*``,
  ``mc4wp-*``, ``social*``; see ``WIDGET``) are dropped with their content;
- images are dropped (their ``alt`` text never merges into a sentence); a ``figcaption`` is its
  own paragraph; embedded posts (``blockquote.twitter-tweet``, ``instagram-media``) are kept as
  text: a news story quotes them;
- WordPress shortcodes: ``[caption ...]...[/caption]`` markers are dropped and the caption text
  becomes its own paragraph; media and layout shortcodes (``[gallery]``, ``[embed]...[/embed]``,
  ``[video]``, ``[vc_row]``…) are dropped; bracketed prose such as ``[sic]`` is left alone;
- entities (``&#8220;``, ``&amp;``) are decoded by the parser.

Edits: the conversion is recorded as ONE edit, rule ``html.to_text``, spanning the whole input
(``before`` the HTML, ``after`` the text); its reason lists what was dropped by kind
(``html.script``, ``html.widget``, ``html.comment``, ``html.form``, ``html.image``,
``html.shortcode``) with a short sample of each. Per-element edits with offsets are not emitted:
lxml does not report where an element ends in the source, and one whole-text edit keeps the
"replay the edits in order" contract exact.

What this step is not for: recognising boilerplate *text* ("Share this:" typed as a paragraph);
that is ``cleaners.boilerplate``.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from feedscrub.models import Edit

from .pipeline import Context, StepResult

__all__ = ["WIDGET", "HtmlToText", "html_to_text"]

DROP_TAGS = frozenset({"script", "style", "noscript", "iframe", "form", "button", "input", "select",
                       "textarea", "label", "svg", "object", "embed", "template", "canvas", "audio",
                       "video", "source", "map", "head", "title", "meta", "link"})
IMAGE_TAGS = frozenset({"img", "picture"})
BLOCK_TAGS = frozenset({"p", "div", "section", "article", "header", "footer", "aside", "main", "nav",
                        "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
                        "blockquote", "pre", "figure", "figcaption", "table", "thead", "tbody",
                        "tfoot", "tr", "td", "th", "caption", "hr", "address", "details",
                        "summary", "center", "body", "html"})
_KIND = {"script": "html.script", "style": "html.script", "noscript": "html.script",
         "template": "html.script", "iframe": "html.embed", "object": "html.embed",
         "embed": "html.embed", "svg": "html.embed", "canvas": "html.embed", "audio": "html.embed",
         "video": "html.embed", "form": "html.form", "button": "html.form", "input": "html.form",
         "select": "html.form", "textarea": "html.form", "label": "html.form"}

# Class/id tokens of widgets that are never article text: share and like buttons, related-post
# lists, newsletter and subscription boxes, ads and trackers, comment sections, author boxes.
WIDGET = re.compile(r"""^(?:
      sharedaddy | sd-(?:sharing|social|like|block|content|title|rating)[\w-]* | sharing[\w-]*
    | share | share[-_][\w-]* | [\w-]*[-_]share[s]?(?:[-_][\w-]*)? | social[\w-]* | [\w-]+-social[\w-]*
    | jp-relatedposts[\w-]* | related | related[-_][\w-]* | [\w-]+[-_]related(?:[-_][\w-]*)?
    | yarpp[\w-]* | crp_related[\w-]* | rp4wp[\w-]* | jetpack-likes[\w-]* | likes?-widget[\w-]*
    | post-likes[\w-]* | wpl-likebox | addtoany[\w-]* | a2a_kit[\w-]* | heateor[\w-]* | essb[\w-]*
    | swp_social[\w-]* | sfsi[\w-]* | shareaholic[\w-]* | mc4wp[\w-]* | newsletter[\w-]*
    | [\w-]+-newsletter[\w-]* | subscribe[\w-]* | subscription[\w-]* | optin[\w-]* | signup-form[\w-]*
    | ad | ads | ad-slot[\w-]* | ad-container[\w-]* | ad-unit[\w-]* | adsbygoogle | advert[\w-]*
    | advertisement[\w-]* | google-auto-placed | taboola[\w-]* | outbrain[\w-]* | ob-widget[\w-]*
    | comments? | comment-respond | comments-area | respond | disqus_thread | wpdiscuz[\w-]*
    | author-bio[\w-]* | about-author | post-tags | tags-links | wp-block-buttons | more-link-wrapper
    | screen-reader-text | sharing-screen-reader-text | feedflare | wpcnt | promo-box[\w-]*
    | wp-embedded-content
)$""", re.VERBOSE | re.IGNORECASE)

_HAS_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
_CAPTION = re.compile(r"\[/?caption\b[^\]]*\]", re.IGNORECASE)
_PAIRED_SHORTCODE = re.compile(r"\[(embed|video|audio|playlist|gallery|tweet|youtube|instagram|soundcloud)"
                               r"\b[^\]]*\].*?\[/\1\]", re.IGNORECASE | re.DOTALL)
_SHORTCODE = re.compile(r"\[/?(?:gallery|embed|video|audio|playlist|contact-form-7|contact-form|vc_\w+"
                        r"|et_pb_\w+|su_\w+|fusion_\w+|tweet|youtube|instagram|soundcloud|button|ad"
                        r"|adsense|wpforms|mc4wp_form|ninja_form|gravityform|jetpack_\w+)\b[^\]]*\]",
                        re.IGNORECASE)
_SPACE = re.compile(r"[ \t\r\n\f\v\u2028\u2029]+")  # not \xa0: a no-break space is meant
_PARA_BREAK = re.compile(r"[ \t\r\f\v\xa0]*\n[ \t\r\f\v\xa0]*\n\s*")


def _is_widget(tag: Tag) -> bool:
    attrs = tag.attrs or {}
    raw: Any = attrs.get("class") or []
    classes: list[str] = raw.split() if isinstance(raw, str) else [str(c) for c in raw]
    tokens = [*classes, *str(attrs.get("id") or "").split()]
    return any(WIDGET.match(t) for t in tokens)


class _Writer:
    """Collects paragraphs: inline text accumulates; a block boundary ends the paragraph."""

    def __init__(self) -> None:
        self.paragraphs: list[str] = []
        self.buf: list[str] = []

    def text(self, s: str) -> None:
        parts = _PARA_BREAK.split(s)
        for i, part in enumerate(parts):
            if i:
                self.flush()
            self.buf.append(_SPACE.sub(" ", part))  # a source line break is only a space

    def newline(self) -> None:
        self.buf.append("\n")

    def flush(self) -> None:
        if not self.buf:
            return
        raw = "".join(self.buf)
        self.buf = []
        for block in re.split(r"\n[ \xa0]*\n", raw):  # <br><br> separates paragraphs too
            lines = [_SPACE.sub(" ", line).strip(" \xa0") for line in block.split("\n")]
            para = "\n".join(line for line in lines if line.strip())
            if para:
                self.paragraphs.append(para)


def _walk(node: Tag, out: _Writer, dropped: Counter[str], samples: dict[str, str]) -> None:
    for child in node.children:
        if isinstance(child, Comment):
            dropped["html.comment"] += 1
            continue
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:  # skip CData, doctype, processing instructions
                out.text(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = (child.name or "").lower()
        if name in DROP_TAGS:
            kind = _KIND.get(name, "html.script")
            dropped[kind] += 1
            samples.setdefault(kind, child.get_text(" ", strip=True)[:60] or name)
            continue
        if name in IMAGE_TAGS:
            dropped["html.image"] += 1
            continue
        if name == "br":
            out.newline()
            continue
        if _is_widget(child):
            dropped["html.widget"] += 1
            samples.setdefault("html.widget", " ".join(child.get("class") or []) or str(child.get("id")))
            continue
        block = name in BLOCK_TAGS
        if block:
            out.flush()
        _walk(child, out, dropped, samples)
        if block:
            out.flush()


def _strip_shortcodes(html: str, dropped: Counter[str]) -> str:
    def count(m: re.Match[str], repl: str) -> str:
        dropped["html.shortcode"] += 1
        return repl

    html = _PAIRED_SHORTCODE.sub(lambda m: count(m, " "), html)
    html = _CAPTION.sub(lambda m: count(m, "<div></div>"), html)  # caption text: own paragraph
    return _SHORTCODE.sub(lambda m: count(m, " "), html)


def html_to_text(html: str) -> tuple[str, Counter[str], dict[str, str]]:
    """The text of ``html`` (paragraphs separated by blank lines), what was dropped, and samples."""
    dropped: Counter[str] = Counter()
    samples: dict[str, str] = {}
    html = _strip_shortcodes(html, dropped)
    soup = BeautifulSoup(html, "lxml")
    out = _Writer()
    _walk(soup, out, dropped, samples)
    out.flush()
    return "\n\n".join(out.paragraphs), dropped, samples


class HtmlToText:
    """HTML → paragraphs of plain text (see the module docstring); plain text passes through."""

    name = "html"

    def __call__(self, text: str, ctx: Context) -> StepResult:
        if ctx.document.content_type != "text/html" or not text:
            return StepResult(text)
        if not _HAS_TAG.search(text):
            # declared HTML but no markup: keep its line structure, decode entities only
            from html import unescape

            plain = unescape(text)
            if plain == text:
                return StepResult(text)
            return StepResult(plain, edits=[Edit("html.to_text", 0, len(text), text, plain,
                                                 "HTML without markup: entities decoded")])
        out, dropped, samples = html_to_text(text)
        parts = []
        for kind, n in sorted(dropped.items()):
            sample = samples.get(kind)
            parts.append(f"{kind}×{n}" + (f" ({sample!r})" if sample else ""))
        reason = "HTML converted to text, paragraphs kept"
        if parts:
            reason += "; dropped " + ", ".join(parts)
        return StepResult(out, edits=[Edit("html.to_text", 0, len(text), text, out, reason)])
