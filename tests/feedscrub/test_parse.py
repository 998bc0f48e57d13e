"""feedscrub.parse and feedscrub.jsonfeed: malformed input, hostile XML, JSON Feed, HTML pages."""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from feedscrub.models import FetchResult, ParsedFeed
from feedscrub.parse import discover_feed_links, parse_feed, strip_entity_declarations
from feedscrub.settings import FeedSpec

URL = "https://example.org/feed.xml"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def parse(body: bytes, content_type: str = "", url: str = URL) -> ParsedFeed:
    headers = {"content-type": content_type} if content_type else {}
    return parse_feed(FetchResult(feed_url=url, final_url=url, status=200, body=body, headers=headers),
                      FeedSpec(url=url), now=NOW)


def rss(items: str, head: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>{head}<rss version="2.0"><channel><title>T</title>'
            f"<link>https://example.org/</link><language>en</language>{items}</channel></rss>").encode()


# --- hostile XML ---------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>laugh</title><link>https://example.org/1</link><description>&lol9;</description></item>
</channel></rss>"""


def _xxe(secret: Path) -> list[bytes]:
    uri = secret.as_uri().encode()
    general = (b'<?xml version="1.0"?>\n<!DOCTYPE rss [ <!ENTITY xxe SYSTEM "' + uri + b'"> ]>\n'
               b'<rss version="2.0"><channel><title>&xxe;</title><item><title>t &xxe;</title>'
               b"<link>https://example.org/1</link><description>&xxe;</description></item></channel></rss>")
    parameter = (b'<?xml version="1.0"?>\n<!DOCTYPE rss [ <!ENTITY % ext SYSTEM "' + uri + b'"> %ext; ]>\n'
                 b'<rss version="2.0"><channel><title>p</title><item><title>t</title>'
                 b"<description>x</description></item></channel></rss>")
    external_dtd = (b'<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "' + uri + b'">\n'
                    b'<rss version="2.0"><channel><title>d</title><item><title>t</title>'
                    b"<description>x</description></item></channel></rss>")
    return [general, parameter, external_dtd]


def _all_text(p: ParsedFeed) -> str:
    return " ".join(
        " ".join(str(v) for v in (e.title, e.content, e.summary, e.url, e.author, e.guid)) for e in p.entries
    ) + f" {p.title}"


def test_billion_laughs_does_not_expand() -> None:
    started = time.monotonic()
    p = parse(BILLION_LAUGHS)
    assert time.monotonic() - started < 2
    assert any(w.startswith("entities_removed:") for w in p.warnings)
    assert "lollollol" not in _all_text(p)
    assert len(p.entries) == 1 and p.entries[0].title == "laugh"


def test_xxe_leaks_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN-4711\n")
    for doc in _xxe(secret):
        p = parse(doc)
        assert "TOP-SECRET" not in _all_text(p)
        assert len(p.entries) == 1


def test_xxe_etc_passwd_leaks_nothing() -> None:
    if not Path("/etc/passwd").is_file():
        pytest.skip("no /etc/passwd on this machine")
    for doc in _xxe(Path("/etc/passwd")):
        assert "root:" not in _all_text(parse(doc))


def test_feedparser_itself_does_not_resolve_external_entities(tmp_path: Path) -> None:
    """Documents feedparser 6's own behaviour: our DOCTYPE stripping is defence in depth, not the only wall."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN-4711\n")
    for doc in _xxe(secret):
        d = feedparser.parse(io.BytesIO(doc))
        assert "TOP-SECRET" not in json.dumps(d, default=str)
    d = feedparser.parse(io.BytesIO(BILLION_LAUGHS))
    assert "lollollol" not in json.dumps(d, default=str)


def test_body_that_is_a_path_is_not_opened() -> None:
    # feedparser.parse(b"/etc/passwd") would read the file; parse_feed hands it a stream
    p = parse(b"/etc/passwd")
    assert p.entries == [] and "root:" not in _all_text(p)


def test_strip_entity_declarations_keeps_plain_doctype() -> None:
    netscape = b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "x.dtd"><rss/>'
    assert strip_entity_declarations(netscape) == (netscape, False)
    stripped, removed = strip_entity_declarations(b'<!DOCTYPE r [<!ENTITY a "]>">]><rss>&a;</rss>')
    assert removed and stripped == b"<rss>&a;</rss>"


# --- malformed and truncated ----------------------------------------------------------------------

ITEMS = "".join(
    f"<item><title>Item {i}</title><link>https://example.org/{i}</link><guid isPermaLink=\"false\">g{i}</guid>"
    f"<pubDate>Mon, 0{i} Jun 2025 10:00:00 GMT</pubDate><description>&lt;p&gt;Body {i}&lt;/p&gt;</description></item>"
    for i in range(1, 6)
)


def test_truncated_xml_keeps_complete_items() -> None:
    whole = rss(ITEMS)
    cut = whole[: whole.index(b"<item><title>Item 4") + 30]
    p = parse(cut)
    assert any(w.startswith("bozo:") for w in p.warnings)
    assert [e.title for e in p.entries][:3] == ["Item 1", "Item 2", "Item 3"]


def test_binary_garbage_gives_no_entries_and_a_warning() -> None:
    p = parse(bytes(range(256)) * 40)
    assert p.entries == [] and p.version is None and p.warnings


def test_entry_fields() -> None:
    p = parse(rss(ITEMS.replace("https://example.org/1", "/one?utm_source=x")))
    assert (p.title, p.language, p.version) == ("T", "en", "rss20")
    e = p.entries[0]
    assert e.url == "https://example.org/one?utm_source=x"  # resolved, kept as published
    assert e.guid == "g1" and e.feed_url == URL and len(e.id) == 32
    assert e.published_at == datetime(2025, 6, 1, 10, tzinfo=UTC) and e.updated_at is None
    assert e.content == "<p>Body 1</p>" and e.content_type == "text/html"
    assert e.language == "en"


def test_richest_content_wins_and_summary_is_kept() -> None:
    item = ("<item><title>a</title><link>https://example.org/a</link><description>short</description>"
            "<content:encoded><![CDATA[<p>the long full text of the article</p>]]></content:encoded></item>")
    body = rss(item).replace(b'<rss version="2.0">',
                             b'<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">')
    e = parse(body).entries[0]
    assert e.content == "<p>the long full text of the article</p>" and e.summary == "short"


def test_plain_text_content() -> None:
    e = parse(rss("<item><title>a</title><description>just words</description></item>")).entries[0]
    assert (e.content, e.content_type) == ("just words", "text/plain")
    atom_text = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><title>t</title><id>urn:1</id><content type="text">use &lt;b&gt; for bold</content></entry></feed>"""
    e = parse(atom_text).entries[0]
    assert (e.content, e.content_type) == ("use <b> for bold", "text/plain")


def test_absurd_dates_are_dropped() -> None:
    items = ("<item><title>future</title><pubDate>Sat, 01 Jan 2100 00:00:00 GMT</pubDate></item>"
             "<item><title>past</title><pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate></item>"
             "<item><title>ok</title><pubDate>Wed, 31 Dec 2025 23:00:00 +0100</pubDate></item>")
    dates = {e.title: e.published_at for e in parse(rss(items)).entries}
    assert dates == {"future": None, "past": None, "ok": datetime(2025, 12, 31, 22, tzinfo=UTC)}


def test_atom_xml_base_and_dates() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example.net/sub/" xml:lang="de">
<title>A</title><id>urn:a</id><updated>2025-01-02T03:04:05Z</updated>
<entry><title>E</title><id>urn:e1</id><link href="posts/1"/><author><name>Ann</name></author>
<published>2025-01-01T10:00:00+02:00</published><updated>2025-01-02T10:00:00Z</updated>
<content type="html">&lt;b&gt;x&lt;/b&gt;</content></entry></feed>"""
    e = parse(atom, "application/atom+xml").entries[0]
    assert e.url == "https://blog.example.net/sub/posts/1"
    assert e.author == "Ann" and e.language == "de"
    assert e.published_at == datetime(2025, 1, 1, 8, tzinfo=UTC)
    assert e.updated_at == datetime(2025, 1, 2, 10, tzinfo=UTC)


def test_text_xml_without_charset_is_read_as_declared() -> None:
    body = rss("<item><title>Grüße – €</title></item>")
    assert parse(body, "text/xml").entries[0].title == "Grüße – €"


def test_declared_latin1_but_utf8_bytes_is_repaired() -> None:
    body = rss("<item><title>Café €</title></item>").replace(b'encoding="utf-8"', b'encoding="ISO-8859-1"')
    p = parse(body)
    assert p.entries[0].title == "Café €"
    assert any(w.startswith("encoding_repaired:") for w in p.warnings)


def test_server_charset_wrong() -> None:
    body = rss("<item><title>Café</title></item>")
    assert parse(body, "application/rss+xml; charset=iso-8859-1").entries[0].title == "Café"


def test_no_body() -> None:
    r = FetchResult(feed_url=URL, final_url=URL, status=304, not_modified=True)
    p = parse_feed(r, FeedSpec(url=URL))
    assert p.entries == [] and p.warnings == ["no_body: nothing to parse (not modified)"]


def test_ttl() -> None:
    body = rss("<ttl>30</ttl><item><title>a</title></item>")
    assert parse(body).ttl_s == 1800


# --- HTML instead of a feed ----------------------------------------------------------------------

HTML = b"""<!DOCTYPE html><html><head><title>News</title>
<link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/rss+xml" title="RSS" href="/feed/">
<LINK REL="alternate" TYPE="application/atom+xml" HREF="https://cdn.example.org/atom.xml">
<link rel="alternate" hreflang="de" href="/de/">
</head><body><p>Hello</p></body></html>"""


def test_html_page_names_its_feeds() -> None:
    p = parse(HTML, "text/html; charset=utf-8", url="https://example.org/news/")
    assert p.entries == []
    assert p.alternates == ["https://example.org/feed/", "https://cdn.example.org/atom.xml"]
    (w,) = [w for w in p.warnings if w.startswith("not_a_feed:")]
    assert "https://example.org/feed/" in w


def test_discover_feed_links_ignores_other_links() -> None:
    assert discover_feed_links(b'<link rel="alternate" href="/x"><a href="/feed.xml">', "https://a.test/") == []


# --- JSON Feed -----------------------------------------------------------------------------------

JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "J",
    "language": "fr",
    "items": [
        {"id": "1", "url": "/p/1", "title": "one", "content_html": "<p>un</p>",
         "date_published": "2025-03-01T12:00:00+01:00", "authors": [{"name": "Zoé"}]},
        {"id": 2, "content_text": "deux", "date_modified": "2025-03-02T00:00:00Z", "author": {"name": "Old"}},
        {"id": "3", "summary": "trois"},
    ],
}


def test_json_feed() -> None:
    p = parse(json.dumps(JSON_FEED).encode(), "application/feed+json", url="https://j.example/feed.json")
    assert (p.title, p.language, p.version) == ("J", "fr", "json11")
    a, b, c = p.entries
    assert (a.url, a.author, a.content_type, a.language) == ("https://j.example/p/1", "Zoé", "text/html", "fr")
    assert a.published_at == datetime(2025, 3, 1, 11, tzinfo=UTC)
    assert (b.guid, b.content, b.content_type, b.author) == ("2", "deux", "text/plain", "Old")
    assert b.updated_at == datetime(2025, 3, 2, tzinfo=UTC)
    assert c.content == "trois"


def test_json_feed_detected_without_content_type() -> None:
    body = b"\xef\xbb\xbf  " + json.dumps(JSON_FEED).encode()
    assert len(parse(body, "text/plain").entries) == 3


def test_truncated_json_feed_keeps_complete_items() -> None:
    whole = json.dumps(JSON_FEED).encode()
    cut = whole[: whole.index(b'"summary": "trois"') + 5]
    p = parse(cut)
    assert [e.guid for e in p.entries] == ["1", "2"]
    assert p.title == "J"
    assert any(w.startswith("json_truncated:") for w in p.warnings)


def test_json_that_is_not_a_feed() -> None:
    for body in (b"[1, 2, 3]", b'{"hello": "world"}', b"{"):
        p = parse(body, "application/json")
        assert p.entries == [] and p.warnings


# --- identity inside a document ------------------------------------------------------------------


def test_shared_guid_does_not_collapse_a_feed() -> None:
    items = "".join(f"<item><title>t{i}</title><link>https://example.org/{i}</link><guid>same</guid></item>"
                    for i in range(4))
    p = parse(rss(items))
    assert len({e.id for e in p.entries}) == 4


def test_shared_guid_and_link_fall_back_to_content() -> None:
    items = "".join(f"<item><title>t{i}</title><link>https://example.org/</link><guid>same</guid></item>"
                    for i in range(3))
    assert len({e.id for e in parse(rss(items)).entries}) == 3


def test_ids_are_stable_across_runs_and_unique_across_feeds() -> None:
    body = rss(ITEMS)
    a = [e.id for e in parse(body).entries]
    assert a == [e.id for e in parse(body).entries]
    other = [e.id for e in parse(body, url="https://mirror.example/feed.xml").entries]
    assert not set(a) & set(other)


# --- inputs that crash feedparser itself -----------------------------------------------------------


def test_surrogate_character_reference_does_not_crash() -> None:
    p = parse(rss("<item><title>bad &#xD800; ref &#99999999999; ok &#233;</title></item>"))
    assert p.entries[0].title is not None and "é" in p.entries[0].title
    assert any(w.startswith("invalid_markup_replaced:") for w in p.warnings)


def test_non_ascii_encoding_name_does_not_crash() -> None:
    body = rss("<item><title>x</title></item>").replace(b'encoding="utf-8"', b'encoding="utf-\xe5\xe7"')
    p = parse(body)
    assert [e.title for e in p.entries] == ["x"]


def test_feedparser_crash_becomes_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise KeyError("media_player")

    monkeypatch.setattr(feedparser, "parse", boom)
    p = parse(rss("<item><title>x</title></item>"))
    assert p.entries == [] and p.warnings[-1].startswith("parse_error: feedparser crashed: KeyError")


def test_content_type_lies_either_way() -> None:
    assert parse(rss("<item><title>x</title></item>"), "application/json").version == "rss20"
    assert parse(json.dumps(JSON_FEED).encode(), "application/rss+xml").version == "json11"


def test_undeclared_cyrillic_in_a_malformed_document() -> None:
    text = "Новости: правительство утвердило бюджет на следующий год, сообщает агентство. " * 3
    body = ("<rss version='2.0'><channel><title>Лента</title><item><title>" + text
            + "</title><description>" + text + "</description></item><broken></channel></rss>").encode("koi8-r")
    p = parse(body)
    assert p.entries[0].title is not None and p.entries[0].title.startswith("Новости")
    assert any(w.startswith("encoding_repaired: read as koi8") for w in p.warnings)
    assert any(w.startswith("bozo:") for w in p.warnings)
