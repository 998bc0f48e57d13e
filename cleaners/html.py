"""Step ``html``: turns an article's HTML into plain text with its paragraphs kept.

Runs only when ``ctx.document.content_type == "text/html"``; plain text passes through untouched
(no parsing work on it). The markup is parsed with lxml's HTML parser (libxml2) and read the way
BeautifulSoup("lxml") reads that same parse, at a quarter of the cost (BeautifulSoup itself is
the fallback when lxml refuses the markup), and then:

- block elements (``p``, ``div``, ``li``, ``h1``…, ``blockquote``, ``figcaption``, ``tr``…) become
  paragraphs separated by a blank line; ``<br>`` becomes a newline; inside a paragraph runs of
  whitespace become one space (a blank line inside a text node still separates paragraphs,
  for feeds that mix bare text and markup);
- scripts, styles, ``noscript``, ``iframe``, forms and their controls, HTML comments, and
  share / like / related-posts / newsletter / ad / comment widgets (recognised by class or id
  *families*, e.g. ``sharedaddy``, ``sd-*``, ``share-*``, ``jp-relatedposts``, ``related-*``,
  ``mc4wp-*``, ``social*``, and the same in the site's language: ``compartir``, ``partager``,
  ``teilen``…; see ``WIDGET``) are dropped with their content, and so are media players
  (``video-js``/``vjs-*``, JW Player ``jw-*``, MediaElement ``mejs-*``, Trinity Audio and other
  read-aloud widgets, ``<video-js>`` and AMP player elements), whose control and accessibility
  text ("Video Player is loading.", "This is a modal window.") is not prose;
- images are dropped (their ``alt`` text never merges into a sentence); a ``figcaption`` is its
  own paragraph; embedded posts (``blockquote.twitter-tweet``, ``instagram-media``) are kept as
  text: a news story quotes them;
- WordPress shortcodes: ``[caption ...]...[/caption]`` markers are dropped and the caption text
  becomes its own paragraph; media and layout shortcodes (``[gallery]``, ``[embed]...[/embed]``,
  ``[video]``, ``[vc_row]``…) are dropped, and so is any other plugin's shortcode that carries
  ``name="value"`` attributes (``[adrotate banner="12"]``); bracketed prose such as ``[sic]`` or
  ``[the minister]`` is left alone;
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
from lxml import etree

from feedscrub.models import Edit

from .pipeline import Context, StepResult

__all__ = ["WIDGET", "HtmlToText", "html_to_text"]

DROP_TAGS = frozenset({"script", "style", "noscript", "iframe", "form", "button", "input", "select",
                       "textarea", "label", "svg", "object", "embed", "template", "canvas", "audio",
                       "video", "source", "map", "head", "title", "meta", "link",
                       # players as custom elements (Video.js, AMP): controls and fallback text
                       "video-js", "amp-video", "amp-audio", "amp-youtube", "amp-jwplayer",
                       "amp-brightcove", "amp-video-iframe", "amp-ad"})
IMAGE_TAGS = frozenset({"img", "picture"})
BLOCK_TAGS = frozenset({"p", "div", "section", "article", "header", "footer", "aside", "main", "nav",
                        "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
                        "blockquote", "pre", "figure", "figcaption", "table", "thead", "tbody",
                        "tfoot", "tr", "td", "th", "caption", "hr", "address", "details",
                        "summary", "center", "body", "html"})
_KIND = {"script": "html.script", "style": "html.script", "noscript": "html.script",
         "template": "html.script", "iframe": "html.embed", "object": "html.embed",
         "embed": "html.embed", "svg": "html.embed", "canvas": "html.embed", "audio": "html.embed",
         "video": "html.embed", "video-js": "html.embed", "amp-video": "html.embed",
         "amp-audio": "html.embed", "amp-youtube": "html.embed", "amp-jwplayer": "html.embed",
         "amp-brightcove": "html.embed", "amp-video-iframe": "html.embed", "amp-ad": "html.embed",
         "form": "html.form", "button": "html.form", "input": "html.form", "select": "html.form",
         "textarea": "html.form", "label": "html.form"}

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
    # the same widgets named in the site's language: ``compartir``, ``partager``, ``teilen``…
    | (?:compartir|compartilhar|compartilhe|comparteix|partilhar|partag(?:e|er)|teilen|condividi
       |condivisione|delen|redes-sociales|reseaux-sociaux|redes-sociais)(?:[-_][\w-]*)?
    | [\w-]+[-_](?:compartir|compartilhar|comparteix|partilhar|partag(?:e|er)|teilen|condividi
       |condivisione|delen)(?:[-_][\w-]*)?
    # media players, whose control and accessibility text ("Video Player is loading.", "This is a
    # modal window.", "Audio Player", "Getting your Trinity Audio player ready...") is not prose:
    # Video.js / Brightcove, JW Player, MediaElement.js (WordPress), Plyr, and read-aloud widgets
    | video-js | vjs-[\w-]+ | bc-player[\w-]* | brightcove[\w-]* | jwplayer[\w-]* | jw-[\w-]+
    | mejs-[\w-]+ | plyr(?:__[\w-]+|--[\w-]+)? | wp-audio-shortcode | wp-video(?:-shortcode)?
    | trinity-?(?:audio|tts|player)[\w-]* | beyondwords[\w-]* | speechkit[\w-]* | ad-auris[\w-]*
    | listen-(?:to-)?(?:this-)?article[\w-]* | tts-player[\w-]*
)$""", re.VERBOSE | re.IGNORECASE)

_HAS_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
_CAPTION = re.compile(r"\[/?caption\b[^\]]*\]", re.IGNORECASE)
_PAIRED_SHORTCODE = re.compile(r"\[(embed|video|audio|playlist|gallery|tweet|youtube|instagram|soundcloud)"
                               r"\b[^\]]*\].*?\[/\1\]", re.IGNORECASE | re.DOTALL)
_SHORTCODE = re.compile(r"\[/?(?:gallery|embed|video|audio|playlist|contact-form-7|contact-form|vc_\w+"
                        r"|et_pb_\w+|su_\w+|fusion_\w+|tweet|youtube|instagram|soundcloud|button|ad"
                        r"|adsense|wpforms|mc4wp_form|ninja_form|gravityform|jetpack_\w+)\b[^\]]*\]",
                        re.IGNORECASE)
# Any other plugin's shortcode, known by its attributes (an editor's bracket has no ``name="…"``):
# ``[adrotate banner="12"]``, ``[my_widget id=7 /]``; and a closing ``[/name]`` of one. A bare
# shortcode is known by its shape: a lowercase identifier joined by underscores
# (``[wpdiscuz_comments]``, ``[rank_math_breadcrumb /]``), which no editor's bracket has ([sic],
# [...], [the minister], [Kalashnikov] keep their spaces, capitals or dots).
_ATTR_SHORTCODE = re.compile(
    r"""\[[a-z][\w-]*(?:\s+[a-z][\w-]*=(?:"[^"\]\n]*"|'[^'\]\n]*'|\d+))+\s*/?\]|\[/[a-z][\w-]*_[\w-]*\]"""
    r"|\[[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:_[a-z0-9]+(?:-[a-z0-9]+)*)+ ?/?\]"
)
_SPACE = re.compile(r"[ \t\r\n\f\v\u2028\u2029]+")  # not \xa0: a no-break space is meant
# only these make _SPACE change a text: other whitespace, or two spaces in a row
_NEEDS_SQUASH = re.compile(r"[\t\r\n\f\v\u2028\u2029]|  ")
_BR_BREAK = re.compile(r"\n[ \xa0]*\n")


def _squash(s: str) -> str:
    """``_SPACE.sub(" ", s)``, without the work when nothing would change."""
    return _SPACE.sub(" ", s) if _NEEDS_SQUASH.search(s) else s


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
        if "\n" not in s:  # no paragraph break possible (the common case)
            self.buf.append(_squash(s))
            return
        parts = _PARA_BREAK.split(s)
        for i, part in enumerate(parts):
            if i:
                self.flush()
            self.buf.append(_squash(part))  # a source line break is only a space

    def newline(self) -> None:
        self.buf.append("\n")

    def flush(self) -> None:
        if not self.buf:
            return
        raw = "".join(self.buf)
        self.buf = []
        for block in _BR_BREAK.split(raw):  # <br><br> separates paragraphs too
            lines = [_squash(line).strip(" \xa0") for line in block.split("\n")]
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
    html = _SHORTCODE.sub(lambda m: count(m, " "), html)
    return _ATTR_SHORTCODE.sub(lambda m: count(m, " "), html)


def html_to_text(html: str) -> tuple[str, Counter[str], dict[str, str]]:
    """The text of ``html`` (paragraphs separated by blank lines), what was dropped, and samples."""
    dropped: Counter[str] = Counter()
    samples: dict[str, str] = {}
    html = _strip_shortcodes(html, dropped)
    out = _Writer()
    root = _parse(html)
    if root is None:  # lxml gave up: BeautifulSoup's own strategies (bytes, other encodings)
        _walk(BeautifulSoup(html, "lxml"), out, dropped, samples)
    else:
        for node in [*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()]:
            _walk_tree(node, out, dropped, samples, None, False)
    out.flush()
    return "\n\n".join(out.paragraphs), dropped, samples


# lxml.etree directly, read the way BeautifulSoup("lxml") reads the same parse (it is a layer over
# the same libxml2 parser, and costs four times as much): a text node made only of ASCII
# whitespace becomes one space, or one newline if it has one, except inside <pre> and
# <textarea>; text inside <rt>/<rp> (and <script>, <style>, <template>) is not prose.
_STRING_CONTAINERS = frozenset({"rt", "rp", "style", "script", "template"})
_PRESERVE_WHITESPACE = frozenset({"pre", "textarea"})
_ASCII_SPACES = "\x20\x0a\x09\x0c\x0d"


def _parse(html: str) -> Any:
    """The root element of ``html`` parsed by lxml's HTML parser, or None if it gives up."""
    if html[:1] == "\N{BYTE ORDER MARK}":
        html = html[1:]
    try:
        parser = etree.HTMLParser(recover=True)
        parser.feed(html)
        return parser.close()
    except Exception:  # any refusal: fall back to BeautifulSoup's strategies
        return None


def _string(s: str, preserve: bool) -> str:
    if not preserve and not s.strip(_ASCII_SPACES):
        return "\n" if "\n" in s else " "
    return s


def _walk_tree(node: Any, out: _Writer, dropped: Counter[str], samples: dict[str, str],
               container: str | None, preserve: bool) -> None:
    """``_walk`` over an lxml element (``node`` itself included, then its tail-less subtree).

    ``container``: the nearest <rt>/<rp>/<script>/<style>/<template> around ``node``'s parent;
    ``preserve``: inside <pre> or <textarea>.
    """
    tag = node.tag
    if not isinstance(tag, str):
        if tag is etree.Comment:
            dropped["html.comment"] += 1
        return  # processing instructions, entities
    name = tag.lower()
    if name in DROP_TAGS:
        kind = _KIND.get(name, "html.script")
        dropped[kind] += 1
        if kind not in samples:
            samples[kind] = _sample_text(node, name, container)[:60] or name
        return
    if name in IMAGE_TAGS:
        dropped["html.image"] += 1
        return
    if name == "br":
        out.newline()
        return
    cls, ident = node.get("class"), node.get("id")
    if any(WIDGET.match(t) for t in [*(cls or "").split(), *(ident or "").split()]):
        dropped["html.widget"] += 1
        if "html.widget" not in samples:
            samples["html.widget"] = " ".join((cls or "").split()) or str(ident)
        return
    block = name in BLOCK_TAGS
    if block:
        out.flush()
    inner = name if name in _STRING_CONTAINERS else container
    preserve = preserve or name in _PRESERVE_WHITESPACE
    if node.text and inner is None:
        out.text(_string(node.text, preserve))
    for child in node:
        _walk_tree(child, out, dropped, samples, inner, preserve)
        if child.tail and inner is None:
            out.text(_string(child.tail, preserve))
    if block:
        out.flush()


def _sample_text(node: Any, name: str, container: str | None) -> str:
    """``Tag.get_text(" ", strip=True)`` of a dropped element, as BeautifulSoup would give it."""
    want = name if name in _STRING_CONTAINERS else None  # <script> gives its code; <form>, prose
    parts: list[str] = []

    def visit(el: Any, nearest: str | None) -> None:
        if el.text and nearest == want and el.text.strip():
            parts.append(el.text.strip())
        for child in el:
            if isinstance(child.tag, str):
                child_name = child.tag.lower()
                visit(child, child_name if child_name in _STRING_CONTAINERS else nearest)
            if child.tail and nearest == want and child.tail.strip():
                parts.append(child.tail.strip())

    visit(node, want if want else container)
    return " ".join(parts)


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
