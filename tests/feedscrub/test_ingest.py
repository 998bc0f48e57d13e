"""One shard ingested without Prefect: what reaches the store, and what a bad feed or article costs."""

from __future__ import annotations

import sqlite3

import pytest
from feedscrub.cleaners.pipeline import Pipeline

from feedscrub.config import load_settings
from feedscrub.ingest import run_shard
from feedscrub.settings import FeedSpec

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Millbrook Post</title><link>https://millbrook.example/</link>
<item><title>Millbrook opens a second public pool</title><link>https://millbrook.example/pool</link><guid>mp-1</guid>
<pubDate>Tue, 04 Jun 2024 10:00:00 +0000</pubDate>
<description>&lt;p&gt;The town opened its second public pool on Monday, two years after voters approved the $6 million project.&lt;/p&gt;</description></item>
<item><title>Library fines abolished</title><link>https://millbrook.example/fines</link><guid>mp-2</guid>
<pubDate>Mon, 03 Jun 2024 10:00:00 +0000</pubDate>
<description>&lt;p&gt;Millbrook's library will stop charging late fines from July, the board decided on Monday.&lt;/p&gt;</description></item>
</channel></rss>"""

PAGE = """<!DOCTYPE html><html><head><title>Millbrook Post</title>
<link rel="alternate" type="application/rss+xml" title="Feed" href="/feed.xml"></head>
<body><h1>Millbrook Post</h1><p>Local news.</p></body></html>"""


def _count(db, sql="SELECT count(*) FROM articles"):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def settings():
    return load_settings()


def test_a_web_page_given_for_a_feed_is_followed_to_its_feed_and_remembered(httpserver, tmp_path, settings):
    httpserver.expect_request("/").respond_with_data(PAGE, content_type="text/html")
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    feed = FeedSpec(url=httpserver.url_for("/"), name="Millbrook")
    db = tmp_path / "a.db"

    report = run_shard([feed], settings, f"sqlite:///{db}")

    fr = report.feeds[0]
    assert fr.status == "ok" and fr.new == 2, (fr.status, fr.error)
    assert any("autodiscovered" in w and "/feed.xml" in w for w in fr.warnings)
    assert _count(db) == 2
    httpserver.clear_log()
    run_shard([feed], settings, f"sqlite:///{db}")
    assert [req.path for req, _ in httpserver.log] == ["/feed.xml"]  # the page is not fetched again
    assert _count(db) == 2


def test_a_page_that_is_no_feed_fails_with_its_cause(httpserver, tmp_path, settings):
    httpserver.expect_request("/").respond_with_data("<html><body>Hello</body></html>", content_type="text/html")
    report = run_shard([FeedSpec(url=httpserver.url_for("/"), name="NotAFeed")], settings,
                       f"sqlite:///{tmp_path / 'b.db'}")
    fr = report.feeds[0]
    assert fr.status == "failed" and fr.error_kind and fr.consecutive_failures == 1


def test_an_article_whose_cleaning_fails_is_kept_raw_and_the_feed_goes_on(httpserver, tmp_path, settings,
                                                                          monkeypatch):
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    real_clean = Pipeline.clean

    def flaky(self, doc):
        if "late fines" in doc.content:
            raise RuntimeError("a cleaner bug")
        return real_clean(self, doc)

    monkeypatch.setattr(Pipeline, "clean", flaky)
    db = tmp_path / "c.db"
    report = run_shard([FeedSpec(url=httpserver.url_for("/feed.xml"), name="Millbrook")], settings, f"sqlite:///{db}")
    fr = report.feeds[0]
    assert fr.status == "ok" and fr.new == 2
    assert any("cleaning failed" in w and "a cleaner bug" in w for w in fr.warnings)
    assert _count(db, "SELECT count(*) FROM articles WHERE pipeline_version LIKE '%+error'") == 1
    assert _count(db, "SELECT count(*) FROM raw_items") == 2


FOOTER = "Tips for the Harbour Desk? Write to desk@harbourtimes.example or call 555-0134 any day."


def _footer_feed(start: int, n: int) -> str:
    items = "".join(
        f"<item><title>Harbour story {i}</title><link>https://harbour.example/s/{i}</link><guid>hs-{i}</guid>"
        f"<description>&lt;p&gt;Story {i}: the harbour board met on day {i} to discuss berth number {i * 7} "
        f"and the dredging schedule for pier {i % 5}.&lt;/p&gt;&lt;p&gt;{FOOTER}&lt;/p&gt;</description></item>"
        for i in range(start, start + n))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour</title>{items}</channel></rss>'


def _stored_texts(db):
    con = sqlite3.connect(db)
    try:
        return [t for (t,) in con.execute("SELECT text FROM articles ORDER BY id")]
    finally:
        con.close()


def test_a_sites_own_footer_is_learned_from_new_articles_only(httpserver, tmp_path, settings):
    feed = FeedSpec(url=httpserver.url_for("/h.xml"), name="Harbour")
    db = tmp_path / "l.db"
    httpserver.expect_request("/h.xml").respond_with_data(_footer_feed(0, 12), content_type="application/rss+xml")
    run_shard([feed], settings, f"sqlite:///{db}")
    assert all(FOOTER in t for t in _stored_texts(db))  # nothing learned yet when these were cleaned

    # the same twelve items again (a changed feed body, so it is parsed): they must not count twice
    httpserver.clear()
    httpserver.expect_request("/h.xml").respond_with_data(_footer_feed(0, 12) + " ", content_type="application/rss+xml")
    run_shard([feed], settings, f"sqlite:///{db}")

    httpserver.clear()
    httpserver.expect_request("/h.xml").respond_with_data(_footer_feed(100, 3), content_type="application/rss+xml")
    report = run_shard([feed], settings, f"sqlite:///{db}")
    assert report.feeds[0].new == 3
    texts = _stored_texts(db)
    new = [t for t in texts if t.startswith(("Story 100:", "Story 101:", "Story 102:"))]
    assert len(new) == 3 and not any(FOOTER in t for t in new)
    assert all("the harbour board met" in t for t in new)


def test_two_sources_learn_in_one_chunk_and_keep_their_own_footers(httpserver, tmp_path, settings):
    """Learned state of every source in a chunk is saved together and read back by source."""
    feeds = [FeedSpec(url=httpserver.url_for(f"/{n}.xml"), name=n) for n in ("Harbour", "Quay")]
    db = tmp_path / "two.db"

    def serve(start: int, n: int, tail: str = "") -> None:
        httpserver.clear()
        for f in ("Harbour", "Quay"):
            body = _footer_feed(start, n).replace("Harbour story", f"{f} story").replace("hs-", f"{f}-")
            if f == "Quay":
                body = body.replace("Harbour Desk", "Quay Desk")
            httpserver.expect_request(f"/{f}.xml").respond_with_data(body + tail, content_type="application/rss+xml")

    serve(0, 12)
    run_shard(feeds, settings, f"sqlite:///{db}")
    serve(100, 3)
    run_shard(feeds, settings, f"sqlite:///{db}")
    new = [t for t in _stored_texts(db) if t.startswith(("Story 100:", "Story 101:", "Story 102:"))]
    assert len(new) == 6
    assert not any("Desk? Write to desk@" in t for t in new)
    con = sqlite3.connect(db)
    try:
        keys = {k for (k,) in con.execute("SELECT key FROM state")}
    finally:
        con.close()
    assert {"learned:Harbour", "learned:Quay"} <= keys


def test_a_source_with_three_articles_loses_nothing(httpserver, tmp_path, settings):
    feed = FeedSpec(url=httpserver.url_for("/small.xml"), name="Small")
    db = tmp_path / "s.db"
    httpserver.expect_request("/small.xml").respond_with_data(_footer_feed(0, 3), content_type="application/rss+xml")
    run_shard([feed], settings, f"sqlite:///{db}")
    httpserver.clear()
    httpserver.expect_request("/small.xml").respond_with_data(_footer_feed(0, 3) + " ", content_type="application/rss+xml")
    run_shard([feed], settings, f"sqlite:///{db}")
    assert all(FOOTER in t for t in _stored_texts(db))


def test_only_sanitised_html_is_stored(httpserver, tmp_path, settings):
    from feedscrub.sinks import open_sink

    body = ('<p onclick="steal()">The ferry will run hourly from June.</p><script>alert(1)</script>'
            '<iframe src="https://evil.example/x"></iframe><p><a href="javascript:alert(2)">more</a></p>'
            '<div class="sharedaddy"><h3>Share this:</h3></div>')
    rss = RSS.replace("&lt;p&gt;The town opened its second public pool on Monday, two years after voters "
                      "approved the $6 million project.&lt;/p&gt;", body.replace("&", "&amp;").replace("<", "&lt;")
                      .replace(">", "&gt;"))
    httpserver.expect_request("/feed.xml").respond_with_data(rss, content_type="application/rss+xml")
    store = f"sqlite:///{tmp_path / 'z.db'}"
    run_shard([FeedSpec(url=httpserver.url_for("/feed.xml"), name="Millbrook")], settings, store)
    with open_sink(store) as sink:
        raw = {a.url: a for a in sink.read_articles()}["https://millbrook.example/pool"]
    for bad in ("<script", "alert(1)", "onclick", "<iframe", "javascript:"):
        assert bad not in raw.raw_content, bad
    assert 'class="sharedaddy"' in raw.raw_content  # the cleaners still see the widget
    assert raw.text == "The ferry will run hourly from June.\n\nmore"


PAGE_TEMPLATE = """<!DOCTYPE html><html><head><title>{title}</title></head><body>
<nav><a href="/">Home</a> <a href="/sport">Sport</a></nav>
<article><h1>{title}</h1>
<p>{lead}</p>
<p>{body}</p>
<p>Fishermen who use the inner basin were told to move their boats to the north pontoon.</p>
</article><footer>Copyright Millbrook Post. Contact us.</footer></body></html>"""


BODIES = [
    "The harbour board said the work would be paid from the port's own reserves, without a rise in berth "
    "fees, and that the contractor had agreed to keep one lane of the quay road open throughout the summer.",
    "Divers will spend three weeks inspecting the timber piles under the old fish market, some of which date "
    "from 1911, before engineers decide whether the building can stay open during the works next year.",
    "The second phase replaces the lighting along the promenade with low lamps that the council says will "
    "cut its electricity bill by a third and keep light away from the nesting terns on the breakwater.",
]


def _summary_feed(base: str, n: int) -> str:
    items = "".join(
        f"<item><title>Quay works, part {i}</title><link>{base}/story/{i}</link><guid>q-{i}</guid>"
        f"<description>Works on the quay begin (part {i}).</description></item>" for i in range(n))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Millbrook</title>{items}</channel></rss>'


def test_full_text_feeds_get_the_article_page_once_per_new_article(httpserver, tmp_path):
    cfg = tmp_path / "s.yaml"
    cfg.write_text("fetch:\n  allow_private_addresses: ['127.0.0.1/32']\n", encoding="utf-8")
    settings = load_settings(cfg)
    base = httpserver.url_for("").rstrip("/")

    def serve(items: int) -> None:
        httpserver.clear()
        httpserver.expect_request("/feed.xml").respond_with_data(_summary_feed(base, items),
                                                                 content_type="application/rss+xml")
        for i in range(3):
            httpserver.expect_request(f"/story/{i}").respond_with_data(
                PAGE_TEMPLATE.format(title=f"Quay works, part {i}",
                                     lead=f"Work on the old quay, part {i} of the harbour plan, starts on Monday.",
                                     body=BODIES[i]),
                content_type="text/html; charset=utf-8")

    serve(2)
    feed = FeedSpec(url=httpserver.url_for("/feed.xml"), name="Millbrook", full_text=True)
    db = tmp_path / "ft.db"

    report = run_shard([feed], settings, f"sqlite:///{db}")
    assert report.feeds[0].new == 2, report.feeds[0]
    texts = _stored_texts(db)
    assert all("north pontoon" in t for t in texts)  # the page's text, not the one-line summary
    assert not any("Home" in t or "Contact us" in t for t in texts)  # navigation and footer left out

    serve(3)  # one more item in the feed
    report = run_shard([feed], settings, f"sqlite:///{db}")
    fetched = [req.path for req, _ in httpserver.log]
    assert fetched.count("/story/2") == 1 and "/story/0" not in fetched and "/story/1" not in fetched
    assert report.feeds[0].new == 1 and report.feeds[0].unchanged == 2


def test_full_text_pages_on_private_addresses_are_refused_by_default(httpserver, tmp_path, settings):
    base = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/feed.xml").respond_with_data(_summary_feed(base, 1), content_type="application/rss+xml")
    feed = FeedSpec(url=httpserver.url_for("/feed.xml"), name="Millbrook", full_text=True)
    report = run_shard([feed], settings, f"sqlite:///{tmp_path / 'r.db'}")
    fr = report.feeds[0]
    assert fr.new == 1  # the summary is stored
    assert any(w.startswith("full_text_refused") and "/story/0" in w for w in fr.warnings), fr.warnings
    assert "/story/0" not in [req.path for req, _ in httpserver.log]
