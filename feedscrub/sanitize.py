"""HTML sanitising before any HTML is stored: active content out, the structure the cleaners read kept.

``sanitize_html`` runs the markup through nh3 (the Rust ``ammonia`` sanitiser, an HTML5 parser) with
an allow-list, so whatever a feed or an article page contained, what we store cannot run code
when a downstream team renders ``raw_content``:

- removed *with their content*: ``script``, ``style``, ``noscript``, ``template``, ``iframe`` and
  other embeds (``object``, ``embed``, ``svg``, ``math``, ``canvas``, ``audio``, ``video``), forms and
  their controls (``form``, ``button``, ``input``, ``select``, ``textarea``, ``label``), ``title``;
- removed: comments, every attribute not listed below (event handlers such as ``onclick``,
  ``style``, ``data-*``), URLs whose scheme is not http, https or mailto (``javascript:``,
  ``data:``, ``vbscript:``); tags not listed below are unwrapped (their text stays);
- kept: block and inline structure (``p``, ``div``, ``section``, ``article``, ``span``, ``br``,
  ``h1``–``h6``, lists, ``blockquote``, ``pre``, ``figure``/``figcaption``, ``img`` with ``alt``,
  ``a`` with ``href``, ``em``/``strong``/``b``/``i``…, tables) and ``class``, ``id``, ``lang``,
  ``dir``, ``title`` on every tag: ``cleaners.html`` recognises share / related-posts / newsletter
  widgets (WordPress ``sharedaddy``, ``jp-relatedposts``…) by class and id, and drops them itself
  with an edit that says so. Relative URLs stay relative; no ``rel`` is added.

The removed elements are the ones ``cleaners.html`` drops with their content anyway, so the cleaned
text does not change; what changes is the stored raw HTML (its ``html.script`` / ``html.form``
counts in the cleaner's edit reason go to zero, the content is already gone). Measured on the 1,438
HTML entries of ``shared/realfeeds``: the cleaned text is identical for all but two, both a stray
``</br>``, which HTML5 (nh3, browsers) reads as a line break and libxml2 ignores.

Input without a ``<`` cannot hold markup and is returned as it is (plain text passes unchanged, and
fast). Otherwise the output is serialised HTML: entities normalised (``&`` becomes ``&amp;``),
unclosed tags closed. ``sanitize_html`` is idempotent. Speed: 0.2-0.5 ms for a 5 KB article on the
2-core project machine (``test_speed_per_5kb_article`` prints the figure; ~0.3 ms on average over
the realfeeds corpus).

What it is not for: turning HTML into text (``cleaners.html``), deciding what is boilerplate
(``cleaners.boilerplate``), or making HTML safe to embed in a page *with its classes and ids*
(they could clash with the host page's CSS: a renderer namespaces them).
"""

from __future__ import annotations

import dataclasses
import re

import nh3

from feedscrub.models import RawEntry

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_TAGS", "REMOVED_WITH_CONTENT", "sanitize_entry", "sanitize_html"]

#: Tags kept (with the attributes below); any other tag is unwrapped and its text kept.
ALLOWED_TAGS: frozenset[str] = frozenset({
    "p", "div", "span", "br", "hr", "wbr", "section", "article", "main", "header", "footer", "aside", "nav",
    "address", "center", "details", "summary", "hgroup",
    "h1", "h2", "h3", "h4", "h5", "h6",
    "ul", "ol", "li", "dl", "dt", "dd",
    "blockquote", "q", "cite", "pre", "code", "kbd", "samp", "var", "tt",
    "figure", "figcaption", "img", "picture", "a",
    "em", "strong", "b", "i", "u", "s", "strike", "del", "ins", "small", "big", "sub", "sup", "mark",
    "abbr", "acronym", "dfn", "time", "data", "bdi", "bdo", "ruby", "rt", "rp", "font",
    "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
})

#: Tags removed together with everything inside them.
REMOVED_WITH_CONTENT: frozenset[str] = frozenset({
    "script", "style", "noscript", "template", "title",
    "iframe", "frame", "frameset", "noframes", "object", "embed", "applet", "svg", "math", "canvas",
    "audio", "video", "form", "button", "input", "select", "option", "optgroup", "textarea", "label",
    "datalist", "output", "fieldset", "legend",
})

#: Attributes kept, per tag ("*": on every tag). URL attributes are also checked for their scheme.
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "id", "lang", "dir", "title"},
    "a": {"href", "hreflang", "name"},
    "img": {"src", "alt", "width", "height"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "data": {"value"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope", "abbr"},
    "col": {"span"},
    "colgroup": {"span"},
}

_URL_SCHEMES = {"http", "https", "mailto"}
_HAS_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!]")  # a summary has no declared type: markup or plain text?

# Feeds written as XHTML close empty elements as ``<iframe src="..." />``. HTML5 ignores that slash
# on a non-void element, so everything after it would become the iframe's content and be removed
# with it (a real Blogger feed loses its last paragraph that way); libxml2, which the cleaners
# use, reads it as closed. Closing such a tag explicitly keeps the text that follows.
_SELF_CLOSED = re.compile(
    r"<(" + "|".join(sorted(REMOVED_WITH_CONTENT)) + r")(\s[^<>]*?)?/\s*>", re.IGNORECASE
)

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(REMOVED_WITH_CONTENT),
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=_URL_SCHEMES,
    strip_comments=True,
    link_rel=None,
)


def sanitize_html(html: str) -> str:
    """``html`` with active content removed and its structure, classes and ids kept (see the module doc)."""
    if "<" not in html:
        return html
    html = _SELF_CLOSED.sub(r"<\1\2></\1>", html)
    return _CLEANER.clean(html)


def sanitize_entry(entry: RawEntry) -> RawEntry:
    """A copy of ``entry`` whose HTML ``content`` and ``summary`` are sanitised (plain text untouched).

    ``summary`` has no declared type: it is sanitised when it contains a tag.

    The entry's ``id`` is kept: it was computed from the content as published, and changing it would
    re-identify the article.
    """
    content = sanitize_html(entry.content) if entry.content_type == "text/html" else entry.content
    summary = sanitize_html(entry.summary) if entry.summary and _HAS_TAG.search(entry.summary) else entry.summary
    if content is entry.content and summary is entry.summary:
        return entry
    return dataclasses.replace(entry, content=content, summary=summary)
