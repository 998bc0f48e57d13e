"""Near-duplicates across feeds (MinHash over 5-word shingles, LSH bands in the store), both backends.

The texts are in ``neardup_texts.py``: one wire story as three outlets ran it (verbatim, edited),
and stories on the same topic that are not the same story.
"""

from __future__ import annotations

import itertools
import sqlite3
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import neardup_texts as T
import pytest
from feedscrub.sinks import open_sink
from feedscrub.sinks.neardup import MIN_SHINGLES, NearDuplicateIndex, shingles, signature, similarity
from feedscrub.sinks.serialize import article_to_json
from feedscrub.sinks.sqlite import SqliteSink
from sink_factory import make_article, with_text

from feedscrub.models import Article
from feedscrub.settings import Settings

THRESHOLD = Settings().near_duplicate_threshold
assert THRESHOLD is not None

SAME_STORY = [("WIRE", "REWRITE_1"), ("WIRE", "REWRITE_2"), ("REWRITE_1", "REWRITE_2")]
DIFFERENT = [
    (a, b)
    for a, b in itertools.combinations(
        ["WIRE", "REWRITE_1", "REWRITE_2", "FOLLOW_UP", "LOCAL_ANGLE", "OTHER"], 2
    )
    if (a, b) not in SAME_STORY
]


def story(name: str, k: int, feed: str, *, title: str | None = None, minutes: int = 0) -> Article:
    """One outlet's article carrying the text ``name`` of neardup_texts.py."""
    base = make_article(k)
    art = replace(
        base,
        id=f"{feed}#{name.lower()}-{k}",
        feed_url=feed,
        title=title or f"{name} headline {k}",
        fetched_at=base.fetched_at + timedelta(minutes=minutes),
    )
    return with_text(art, getattr(T, name))


def records(sink: Any) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in sink.read_records(include_raw=False)}


def near_sink(url: str) -> Any:
    return open_sink(url, near_duplicate_threshold=THRESHOLD)


# --- the threshold, measured -------------------------------------------------------------------


def _exact_jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


@pytest.mark.parametrize(("a", "b"), SAME_STORY)
def test_rewrites_of_one_story_are_above_the_threshold(a: str, b: str) -> None:
    ta, tb = getattr(T, a), getattr(T, b)
    assert _exact_jaccard(ta, tb) >= 0.5  # measured: 0.50 (edited vs edited) .. 0.90 (verbatim)
    assert similarity(signature(ta), signature(tb)) >= THRESHOLD + 0.05  # type: ignore[arg-type]


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_stories_on_one_topic_are_far_below_it(a: str, b: str) -> None:
    ta, tb = getattr(T, a), getattr(T, b)
    assert _exact_jaccard(ta, tb) <= 0.1  # measured: 0.085 at most (the follow-up reusing a paragraph)
    assert similarity(signature(ta), signature(tb)) <= THRESHOLD - 0.25  # type: ignore[arg-type]


def test_short_and_empty_texts_are_not_fingerprinted() -> None:
    assert signature("") is None
    assert signature("Flood waters rise in Harbor City as the levee holds overnight") is None
    assert len(shingles(T.OTHER)) >= MIN_SHINGLES and signature(T.OTHER) is not None


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="threshold"):
        NearDuplicateIndex(1.5)
    with pytest.raises(ValueError):
        Settings(near_duplicate_threshold=0)
    assert Settings(near_duplicate_threshold=None).near_duplicate_threshold is None


# --- in a store --------------------------------------------------------------------------------

F1, F2, F3 = "https://wire-one.example/rss", "https://daily-two.example/feed", "https://three.example/atom"


def test_two_rewrites_in_two_feeds_are_linked(store_url: str) -> None:
    original = story("WIRE", 1, F1)
    edited = story("REWRITE_2", 2, F2, title="Crews shore up Calder levee", minutes=30)
    verbatim = story("REWRITE_1", 3, F3, minutes=45)
    with near_sink(store_url) as sink:
        assert sink.write_articles([original]).new == [original.id]
        stats = sink.write_articles([edited])
        assert stats.duplicates == [edited.id] and stats.new == []
    with near_sink(store_url) as sink:  # another sink, another connection: the index is in the store
        assert sink.write_articles([verbatim]).duplicates == [verbatim.id]
        recs = records(sink)
    assert recs[original.id]["duplicate_of"] is None
    assert recs[edited.id]["duplicate_of"] == original.id
    assert recs[verbatim.id]["duplicate_of"] == original.id  # the earliest wins, not the closest
    assert len(recs) == 3  # nothing deleted


def test_the_index_survives_across_processes(store_url: str, tmp_path: Path) -> None:
    """The original is written by another process; this one finds it through the stored index."""
    original = story("WIRE", 1, F1)
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[3]); from sink_factory import make_article;"
        "from feedscrub.sinks import open_sink; from feedscrub.sinks.serialize import article_from_json;"
        "s = open_sink(sys.argv[1], near_duplicate_threshold=0.4);"
        "print(s.write_articles([article_from_json(sys.argv[2])]).new); s.close()"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, store_url, article_to_json(original), str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    copy = story("REWRITE_2", 2, F2, minutes=30)
    with near_sink(store_url) as sink:
        assert sink.write_articles([copy]).duplicates == [copy.id]
        assert records(sink)[copy.id]["duplicate_of"] == original.id


def test_different_stories_on_one_topic_are_not_linked(store_url: str) -> None:
    arts = [
        story("WIRE", 1, F1),
        story("FOLLOW_UP", 2, F1, minutes=5),
        story("LOCAL_ANGLE", 3, F2, minutes=10),
        story("OTHER", 4, F3, minutes=15),
    ]
    with near_sink(store_url) as sink:
        for a in arts:
            stats = sink.write_articles([a])
            assert stats.new == [a.id] and stats.duplicates == []
        assert all(r["duplicate_of"] is None for r in records(sink).values())


def test_exact_duplicates_still_work(store_url: str) -> None:
    a = story("WIRE", 1, F1)
    copy = replace(a, id="copy-in-another-feed", feed_url=F2)  # same text and title: same content_hash
    with near_sink(store_url) as sink:
        sink.write_articles([a])
        assert sink.write_articles([copy]).duplicates == [copy.id]
        assert records(sink)[copy.id]["duplicate_of"] == a.id


def test_rewriting_the_original_does_not_make_it_a_duplicate(store_url: str) -> None:
    original = story("WIRE", 1, F1)
    copy = story("REWRITE_1", 2, F2, minutes=30)
    with near_sink(store_url) as sink:
        sink.write_articles([original])
        assert sink.write_articles([copy]).duplicates == [copy.id]
        # the feed corrects its story: new content, same id -> revision 2, still the original
        corrected = with_text(original, original.text.replace("31.4 feet", "31.6 feet"))
        stats = sink.write_articles([corrected])
        assert stats.updated == [original.id] and stats.duplicates == []
        assert sink.write_articles([corrected]).unchanged == [original.id]
        recs = records(sink)
    assert recs[original.id]["duplicate_of"] is None and recs[original.id]["revision"] == 2
    assert recs[copy.id]["duplicate_of"] == original.id


def test_duplicates_in_one_batch(store_url: str) -> None:
    batch = [
        story("WIRE", 1, F1),
        story("FOLLOW_UP", 2, F1),
        story("REWRITE_2", 3, F2),
        story("REWRITE_1", 4, F3),
        story("LOCAL_ANGLE", 5, F3),
    ]
    with near_sink(store_url) as sink:
        stats = sink.write_articles(batch)
        assert sorted(stats.duplicates) == sorted([batch[2].id, batch[3].id])
        assert sorted(stats.new) == sorted([batch[0].id, batch[1].id, batch[4].id])
        recs = records(sink)
        assert {recs[a.id]["duplicate_of"] for a in batch[2:4]} == {batch[0].id}
        assert sink.write_articles(batch).unchanged == [a.id for a in batch]  # idempotent


def test_an_original_rewritten_too_short_in_a_batch_with_its_copy(store_url: str) -> None:
    """The original's new text is too short to fingerprint; a copy later in the batch still works."""
    original = story("WIRE", 1, F1)
    with near_sink(store_url) as sink:
        sink.write_articles([original])
        stub = with_text(original, "Developing story, check back.")
        copy = story("REWRITE_1", 2, F2)
        stats = sink.write_articles([stub, copy])
        assert stats.updated == [original.id] and stats.new == [copy.id]
        assert records(sink)[copy.id]["duplicate_of"] is None  # nothing left to be a copy of


def test_without_a_threshold_nothing_is_linked(store_url: str) -> None:
    with open_sink(store_url) as sink:
        sink.write_articles([story("WIRE", 1, F1)])
        assert sink.write_articles([story("REWRITE_1", 2, F2)]).duplicates == []


def test_one_failed_record_does_not_leave_its_signature(tmp_path: Path) -> None:
    """The record-by-record fallback rolls a refused record's index rows back with it."""
    path = tmp_path / "s.db"
    with SqliteSink(path, near_duplicates=NearDuplicateIndex(THRESHOLD)) as sink:
        sink._require().execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON articles WHEN NEW.feed_url = 'https://bad.example/' "
            "BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END"
        )
        good, bad = story("WIRE", 1, F1), story("OTHER", 2, "https://bad.example/")
        stats = sink.write_articles([good, bad])
        assert stats.new == [good.id] and [i for i, _ in stats.rejected] == [bad.id]
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT article_id FROM near_dup_signatures")] == [good.id]
    conn.close()


def test_candidate_lookup_is_an_index_search(tmp_path: Path) -> None:
    with SqliteSink(tmp_path / "s.db", near_duplicates=NearDuplicateIndex(THRESHOLD)) as sink:
        plan = (
            sink._require()
            .execute(
                "EXPLAIN QUERY PLAN SELECT b.band_key, s.article_id, s.signature, a.first_seen_at, a.fetched_at "
                "FROM near_dup_bands b JOIN near_dup_signatures s ON s.sig_id = b.sig_id "
                "JOIN articles a ON a.id = s.article_id WHERE b.band_key IN (?, ?)",
                (1, 2),
            )
            .fetchall()
        )
    detail = " | ".join(r[-1] for r in plan)
    assert "SCAN" not in detail, detail  # every table reached through an index


def test_racing_near_duplicates_have_one_original(store_url: str) -> None:
    """Four writers store rewrites of one story at the same moment: one original, three copies."""
    names = ["WIRE", "REWRITE_1", "REWRITE_2", "REWRITE_1"]
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            with near_sink(store_url) as sink:
                barrier.wait()
                sink.write_articles([story(names[k], k, f"https://f{k}.example/rss", title=f"t{k}")])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with open_sink(store_url) as sink:
        recs = records(sink)
    originals = [i for i, r in recs.items() if r["duplicate_of"] is None]
    assert len(recs) == 4 and len(originals) == 1
    assert {r["duplicate_of"] for r in recs.values() if r["duplicate_of"]} == set(originals)
