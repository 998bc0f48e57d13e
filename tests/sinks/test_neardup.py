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
from sink_factory import make_article, run_together, with_text

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


def filler(k: int, feed: str = "https://filler.example/rss") -> Article:
    """An unrelated story: 150 words of the test texts in a random order (shares no 5-word run)."""
    import random

    vocabulary = sorted(
        {w for name in ("WIRE", "FOLLOW_UP", "LOCAL_ANGLE", "OTHER") for w in getattr(T, name).split()}
    )
    rng = random.Random(k)
    base = make_article(k)
    art = replace(base, id=f"{feed}#filler-{k}", feed_url=feed, title=f"Filler {k}")
    return with_text(art, " ".join(rng.choice(vocabulary) for _ in range(150)))


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


def test_every_index_query_is_an_index_search(tmp_path: Path) -> None:
    """The queries the index runs while writing (new articles, then rewrites) never scan a table."""
    with SqliteSink(tmp_path / "s.db", near_duplicates=NearDuplicateIndex(THRESHOLD)) as sink:
        conn = sink._require()
        sink.write_articles([story("WIRE", 1, F1)])
        seen: list[str] = []
        conn.set_trace_callback(seen.append)  # statements with their values filled in
        sink.write_articles([story("REWRITE_1", 2, F2), filler(3)])
        sink.write_articles([with_text(story("WIRE", 1, F1), T.WIRE + " Updated.")])
        conn.set_trace_callback(None)
        queries = [q for q in seen if q.lstrip().startswith("SELECT") and "near_dup" in q]
        assert any("near_dup_bands" in q for q in queries) and any("signature" in q for q in queries)
        for q in queries:
            plan = [r[-1] for r in conn.execute("EXPLAIN QUERY PLAN " + q)]
            # every table reached through an index (scanning a subquery's own rows is fine)
            scans = [step for step in plan if step.startswith("SCAN") and "subquery" not in step]
            assert not scans, (q[:200], plan)


def test_a_common_passage_keeps_only_its_earliest_owners(store_url: str) -> None:
    """A story carried by many feeds: its band buckets stop growing at the cap (so a lookup reads
    at most that many rows, however many feeds run it), and every copy still points at the original."""
    from feedscrub.sinks.neardup import BUCKET_CAP

    with near_sink(store_url) as sink:
        original = story("WIRE", 1, F1)
        sink.write_articles([original])
        copies = [
            with_text(story("WIRE", 10 + n, f"https://copy{n}.example/"), T.WIRE + f" Copy {n}.")
            for n in range(BUCKET_CAP + 8)
        ]
        for copy in copies[:-4]:
            sink.write_articles([copy])
        sink.write_articles(copies[-4:])  # a batch adding to full buckets: the cap holds across it too
        rows = records(sink)
    assert max(_bucket_sizes(store_url)) == BUCKET_CAP, "the copies share band keys, up to the cap"
    assert all(rows[c.id]["duplicate_of"] == original.id for c in copies)


def test_exact_copies_of_a_common_story_keep_its_buckets_capped(store_url: str) -> None:
    """Exact copies are never looked up in the band index, so the store does not know their
    buckets' sizes: it checks them as it writes, within a batch and across batches."""
    from feedscrub.sinks.neardup import BUCKET_CAP

    with near_sink(store_url) as sink:
        original = story("WIRE", 1, F1)
        sink.write_articles([original])
        copies = [
            story("WIRE", 10 + n, f"https://copy{n}.example/", title=original.title)
            for n in range(BUCKET_CAP + 8)
        ]
        sink.write_articles(copies[: BUCKET_CAP - 4])
        sink.write_articles(copies[BUCKET_CAP - 4 :])
        rows = records(sink)
    assert set(_bucket_sizes(store_url)) == {BUCKET_CAP}
    assert all(rows[c.id]["duplicate_of"] == original.id for c in copies)


def _bucket_sizes(url: str) -> list[int]:
    sql = "SELECT count(*) FROM near_dup_bands GROUP BY band_key"
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url[len("sqlite:///") :])
        try:
            return [r[0] for r in conn.execute(sql)]
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(sql)]


def test_an_exact_copy_costs_no_band_lookup(tmp_path: Path) -> None:
    """A batch of exact copies of stored articles (one story in many feeds) is settled by its
    content hash: the band index is not searched for it."""
    with SqliteSink(tmp_path / "s.db", near_duplicates=NearDuplicateIndex(THRESHOLD)) as sink:
        original = story("WIRE", 1, F1)
        sink.write_articles([original])
        conn = sink._require()
        seen: list[str] = []
        conn.set_trace_callback(seen.append)
        copies = [replace(original, id=f"copy-{n}", feed_url=f"https://copy{n}.example/") for n in range(3)]
        stats = sink.write_articles(copies)
        conn.set_trace_callback(None)
        assert sorted(stats.duplicates) == sorted(c.id for c in copies)
        assert not [q for q in seen if q.lstrip().startswith("SELECT") and "FROM near_dup_bands" in q]
        near = story("REWRITE_1", 2, F2)  # a rewrite is still looked up, and found
        assert sink.write_articles([near]).duplicates == [near.id]


# --- how texts are fingerprinted -----------------------------------------------------------------


def test_the_signature_follows_the_words_not_the_spelling() -> None:
    """Case, punctuation and spacing are not part of a shingle, in ASCII text and in any other."""
    plain = T.WIRE
    shouted = T.WIRE.upper().replace(",", " ,  ").replace("\n\n", " -- ")
    assert shingles(plain) == shingles(shouted)
    assert (signature(plain) == signature(shouted)).all()  # type: ignore[union-attr]
    german = "Der Stadtrat hat am Dienstag den neuen Haushalt für Schulen beschlossen, sagte Müller. " * 3
    loud = german.upper().replace(",", " ;").replace("FÜR", "Für")
    assert shingles(german) == shingles(loud)
    assert (signature(german) == signature(loud)).all()  # type: ignore[union-attr]
    # words the ASCII fast path and the Unicode path both see are hashed alike
    mixed = T.WIRE + " Déjà vu."
    assert similarity(signature(mixed), signature(T.WIRE)) > 0.95  # type: ignore[arg-type]


def test_one_changed_word_changes_only_a_little() -> None:
    changed = T.WIRE.replace("levee", "dike", 1)
    est = similarity(signature(T.WIRE), signature(changed))  # type: ignore[arg-type]
    assert shingles(changed) != shingles(T.WIRE)
    assert 0.9 <= est < 1.0


def test_repeated_phrases_count_once() -> None:
    """A long text that repeats a few words has few distinct shingles: not fingerprinted."""
    assert signature("Buy now, pay later! " * 300) is None
    assert len(shingles("Buy now, pay later! " * 300)) < MIN_SHINGLES


def test_a_signature_does_not_depend_on_its_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashed alone, in a batch, or (a very long text) piece by piece: the same signature."""
    from feedscrub.sinks import neardup

    names = ["WIRE", "REWRITE_1", "FOLLOW_UP", "OTHER"]
    alone = [signature(getattr(T, n)) for n in names]
    together = neardup.signatures([getattr(T, n) for n in names] + ["", "too short to count"])
    assert together[4:] == [None, None]
    for a, b in zip(alone, together, strict=False):
        assert (a == b).all()  # type: ignore[union-attr]
    monkeypatch.setattr(neardup, "_GROUP_BYTES", 700)  # WIRE (~2.5 KB) is now cut into pieces
    for a, b in zip(alone, neardup.signatures([getattr(T, n) for n in names]), strict=True):
        assert (a == b).all()  # type: ignore[union-attr]


def test_fingerprints_are_made_before_the_write_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashing happens outside the write transaction, so another writer is not held up by it;
    unchanged re-writes are not hashed at all."""
    calls: list[tuple[bool, list[str]]] = []
    real = NearDuplicateIndex.fingerprint

    with SqliteSink(tmp_path / "s.db", near_duplicates=NearDuplicateIndex(THRESHOLD)) as sink:

        def spy(self: NearDuplicateIndex, rows: Any) -> Any:
            calls.append((sink._require().in_transaction, [r.id for r in rows]))
            return real(self, rows)

        monkeypatch.setattr(NearDuplicateIndex, "fingerprint", spy)
        first = [story("WIRE", 1, F1), filler(2)]
        sink.write_articles(first)
        copy = story("REWRITE_2", 3, F2)
        assert sink.write_articles([*first, copy]).duplicates == [copy.id]
    assert calls == [(False, [a.id for a in first]), (False, [copy.id])]


def test_a_fingerprint_of_older_content_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer changed an article between the hashing and the lock: the decision uses the
    text actually written."""
    original = story("WIRE", 1, F1)
    stale_source = filler(7)
    with SqliteSink(tmp_path / "s.db", near_duplicates=NearDuplicateIndex(THRESHOLD)) as sink:
        sink.write_articles([original])
        copy = story("REWRITE_1", 2, F2)
        index = sink.near_duplicates
        assert isinstance(index, NearDuplicateIndex)
        real = SqliteSink._fingerprints

        def stale(self: SqliteSink, conn: Any, rows: Any) -> Any:
            prints = real(self, conn, rows)
            other = index.fingerprint([r for r in _prepared([stale_source])])[stale_source.id]
            return {aid: replace(other, content_hash="not-what-is-written") for aid in prints}

        monkeypatch.setattr(SqliteSink, "_fingerprints", stale)
        assert sink.write_articles([copy]).duplicates == [copy.id]


def _prepared(arts: list[Article]) -> Any:
    from datetime import UTC, datetime

    from feedscrub.sinks.serialize import prepare_batch

    return prepare_batch(arts, datetime.now(UTC))[0]


def test_a_batch_of_rewrites_keeps_links_and_leaves_no_stale_keys(store_url: str) -> None:
    """Forty stored articles corrected in one batch (each hits its own stored keys)."""
    from feedscrub.sinks.neardup import BANDS

    original, copy = story("WIRE", 1, F1), story("REWRITE_1", 2, F2, minutes=30)
    others = [filler(k) for k in range(10, 50)]
    with near_sink(store_url) as sink:
        sink.write_articles([original, *others])
        assert sink.write_articles([copy]).duplicates == [copy.id]
        corrected = [
            with_text(a, a.text + " This story has been corrected.") for a in [original, copy, *others]
        ]
        stats = sink.write_articles(corrected)
        assert sorted(stats.updated) == sorted(a.id for a in corrected if a.id != copy.id)
        assert stats.duplicates == [copy.id]
        recs = records(sink)
        assert recs[copy.id]["duplicate_of"] == original.id and recs[copy.id]["revision"] == 2
        assert all(recs[a.id]["duplicate_of"] is None for a in others)
        assert sink.write_articles(corrected).unchanged == [a.id for a in corrected]
    assert _index_counts(store_url) == (42, 42 * BANDS)


def _index_counts(url: str) -> tuple[int, int]:
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url[len("sqlite:///") :])
        try:
            sigs = conn.execute("SELECT count(*) FROM near_dup_signatures").fetchone()[0]
            bands = conn.execute("SELECT count(*) FROM near_dup_bands").fetchone()[0]
        finally:
            conn.close()
        return sigs, bands
    import psycopg

    with psycopg.connect(url) as conn:
        sigs = conn.execute("SELECT count(*) FROM near_dup_signatures").fetchone()[0]  # type: ignore[index]
        bands = conn.execute("SELECT count(*) FROM near_dup_bands").fetchone()[0]  # type: ignore[index]
    return sigs, bands


# --- migration 3: signatures of an older store are made again ------------------------------------


def _as_version_2(url: str) -> None:
    """Turn a fresh store back into what migration 2 left: old-style signatures and band rows."""
    old_sig = bytes(range(256)) * 2  # 128 values, none the new scheme would make
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url[len("sqlite:///") :])
        conn.execute("DELETE FROM schema_meta WHERE version > 2")
        conn.execute("DELETE FROM near_dup_bands")
        conn.execute("UPDATE near_dup_signatures SET signature = ?", (old_sig,))
        conn.execute("INSERT INTO near_dup_bands SELECT sig_id * 1000 + 7, sig_id FROM near_dup_signatures")
        conn.commit()
        conn.close()
        return
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("DELETE FROM schema_meta WHERE version > 2")
        conn.execute("DROP TABLE near_dup_bands")
        conn.execute(
            "CREATE TABLE near_dup_bands (band_key bigint NOT NULL, sig_id bigint NOT NULL, "
            "PRIMARY KEY (band_key, sig_id))"
        )
        conn.execute("UPDATE near_dup_signatures SET signature = %s", (old_sig,))
        conn.execute("INSERT INTO near_dup_bands SELECT sig_id * 1000 + 7, sig_id FROM near_dup_signatures")


def test_migration_3_makes_the_signatures_again(store_url: str) -> None:
    from feedscrub.sinks.neardup import BANDS

    original = story("WIRE", 1, F1)
    arts = [original, *(filler(k) for k in range(10, 14))]
    with near_sink(store_url) as sink:
        sink.write_articles(arts)
        version = sink.schema_version()  # type: ignore[attr-defined]
    _as_version_2(store_url)
    with open_sink(store_url) as sink:  # any open migrates, with or without the index
        assert sink.schema_version() == version == 3  # type: ignore[attr-defined]
    assert _index_counts(store_url) == (len(arts), len(arts) * BANDS)
    with near_sink(store_url) as sink:  # the rebuilt index finds the old article
        copy = story("REWRITE_2", 2, F2, minutes=30)
        assert sink.write_articles([copy]).duplicates == [copy.id]
        assert records(sink)[copy.id]["duplicate_of"] == original.id


def test_racing_near_duplicates_have_one_original(store_url: str) -> None:
    """Four writers store rewrites of one story at the same moment: one original, three copies."""
    names = ["WIRE", "REWRITE_1", "REWRITE_2", "REWRITE_1"]

    def writer(k: int, barrier: threading.Barrier) -> None:
        with near_sink(store_url) as sink:
            barrier.wait()
            sink.write_articles([story(names[k], k, f"https://f{k}.example/rss", title=f"t{k}")])

    run_together(4, writer)
    with open_sink(store_url) as sink:
        recs = records(sink)
    originals = [i for i, r in recs.items() if r["duplicate_of"] is None]
    assert len(recs) == 4 and len(originals) == 1
    assert {r["duplicate_of"] for r in recs.values() if r["duplicate_of"]} == set(originals)
