"""write_articles: idempotent upserts, revisions, exact duplicates, and bad records, on both backends."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from feedscrub.sinks import open_sink
from feedscrub.sinks.serialize import REJECT_OVER, TRUNCATE_OVER
from sink_factory import make_article, with_text

from feedscrub.models import Article


def records(sink: Any) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in sink.read_records()}


def test_two_writes_leave_one_row_per_article(store_url: str, articles: list[Article]) -> None:
    with open_sink(store_url) as sink:
        first = sink.write_articles(articles)
        second = sink.write_articles(articles)
        assert sorted(first.new) == sorted(a.id for a in articles)
        assert second.new == second.updated == second.duplicates == []
        assert sorted(second.unchanged) == sorted(a.id for a in articles)
        assert sink.count_articles() == len(articles)
        assert {r["revision"] for r in records(sink).values()} == {1}


def test_unchanged_touches_only_last_seen_at(store_url: str) -> None:
    a = make_article(1)
    with open_sink(store_url) as sink:
        sink.write_articles([a])
        before = records(sink)[a.id]
        sink.write_articles([replace(a, fetched_at=a.fetched_at + timedelta(hours=1))])
        after = records(sink)[a.id]
    assert after["last_seen_at"] >= before["last_seen_at"]
    assert {k: v for k, v in after.items() if k != "last_seen_at"} == {
        k: v for k, v in before.items() if k != "last_seen_at"
    }


def test_changed_content_is_revision_two_with_previous_hash(store_url: str) -> None:
    a = make_article(2)
    b = with_text(a, a.text + "\n\nCorrection: the vote was on Wednesday.")
    with open_sink(store_url) as sink:
        sink.write_articles([a])
        stats = sink.write_articles([b])
        assert stats.updated == [a.id]
        rec = records(sink)[a.id]
        assert sink.count_articles() == 1
        assert rec["revision"] == 2
        assert rec["previous_content_hash"] == a.content_hash
        assert rec["content_hash"] == b.content_hash
        assert rec["text"] == b.text
        assert rec["first_seen_at"] <= rec["last_seen_at"]
        c = with_text(b, b.text + " Updated again.")
        sink.write_articles([c])
        rec = records(sink)[a.id]
        assert (rec["revision"], rec["previous_content_hash"]) == (3, b.content_hash)
        assert next(sink.read_articles()).raw_content == c.raw_content


def test_exact_duplicate_across_feeds_points_at_the_earliest(store_url: str) -> None:
    original = make_article(3)
    copy1 = replace(
        original, id="https://mirror.example.net/rss#1", feed_url="https://mirror.example.net/rss"
    )
    copy2 = replace(original, id="https://aaa.example.net/rss#2", feed_url="https://aaa.example.net/rss")
    with open_sink(store_url) as sink:
        sink.write_articles([original])
        stats = sink.write_articles([copy1, copy2])
        assert sorted(stats.duplicates) == sorted([copy1.id, copy2.id])
        assert stats.new == []
        recs = records(sink)
        assert recs[copy1.id]["duplicate_of"] == original.id
        assert recs[copy2.id]["duplicate_of"] == original.id
        assert recs[original.id]["duplicate_of"] is None
        assert sink.count_articles() == 3  # duplicates are stored, marked


def test_a_copy_of_an_original_that_changed_points_at_the_earliest_copy(store_url: str) -> None:
    """The original of a story is corrected (new content); a later copy of its old text points at
    the earliest copy that still carries it."""
    original = make_article(3)
    first_copy = replace(
        original, id="https://mirror.example.net/rss#1", feed_url="https://mirror.example.net/rss"
    )
    late_copy = replace(
        original, id="https://late.example.net/rss#9", feed_url="https://late.example.net/rss"
    )
    with open_sink(store_url) as sink:
        sink.write_articles([original])
        sink.write_articles([first_copy])
        sink.write_articles([with_text(original, original.text + " Corrected.")])
        assert sink.write_articles([late_copy]).duplicates == [late_copy.id]
        recs = records(sink)
    assert recs[late_copy.id]["duplicate_of"] == first_copy.id
    assert recs[original.id]["duplicate_of"] is None


def test_duplicates_within_one_batch(store_url: str) -> None:
    a = make_article(4)
    b = replace(a, id="zzz-copy", feed_url="https://other.example/rss")
    with open_sink(store_url) as sink:
        stats = sink.write_articles([a, b])
        assert stats.new == [a.id] and stats.duplicates == ["zzz-copy"]
        assert records(sink)["zzz-copy"]["duplicate_of"] == a.id


def test_same_id_twice_in_a_batch_keeps_the_last(store_url: str) -> None:
    a = make_article(5)
    a2 = with_text(a, "second version")
    with open_sink(store_url) as sink:
        stats = sink.write_articles([a, a2])
        assert stats.new == [a.id]
        assert sink.count_articles() == 1
        assert next(sink.read_articles()).text == "second version"


# --- bad data ---------------------------------------------------------------------------------


def test_nul_bytes_and_lone_surrogates_are_stored_safely_with_a_note(store_url: str) -> None:
    a = make_article(6)
    bad = replace(
        a,
        title="Budget\x00 vote \ud800done",
        text="Text with NUL\x00 and \udfff lone surrogate.",
        author="A\x00B",
        edits=[replace(a.edits[0], before="x\x00y\ud83d")] if a.edits else [],
    )
    good = make_article(7)
    with open_sink(store_url) as sink:
        stats = sink.write_articles([bad, good])
        assert stats.rejected == []
        assert sorted(stats.new) == sorted([a.id, good.id])
        rec = records(sink)[a.id]
    assert rec["title"] == "Budget vote \ufffddone"
    assert rec["text"] == "Text with NUL and \ufffd lone surrogate."
    assert rec["author"] == "AB"
    assert rec["content_hash"] == bad.content_hash  # the hash is the record's identity: kept as given
    notes = " | ".join(rec["store_notes"])
    assert "title: 1 NUL byte(s) removed, lone surrogate(s) replaced with U+FFFD" in notes
    assert "text:" in notes


def test_surrogate_pair_held_as_two_code_points_is_rejoined(store_url: str) -> None:
    a = make_article(8, title="Party \ud83c\udf89")  # 🎉 as a surrogate pair
    with open_sink(store_url) as sink:
        sink.write_articles([a])
        assert next(sink.read_articles()).title == "Party 🎉"


def test_far_future_and_past_dates_are_stored_as_null_with_a_note(store_url: str) -> None:
    a = make_article(
        9, published_at=datetime(2999, 1, 1, tzinfo=UTC), updated_at=datetime(1, 1, 1, tzinfo=UTC)
    )
    with open_sink(store_url) as sink:
        stats = sink.write_articles([a])
        assert stats.new == [a.id]
        rec = records(sink)[a.id]
    assert rec["published_at"] is None and rec["updated_at"] is None
    assert any("published_at: 2999-01-01" in n for n in rec["store_notes"])
    assert any("updated_at: 0001-01-01" in n for n in rec["store_notes"])


def test_over_long_title_is_truncated_with_a_note(store_url: str) -> None:
    a = make_article(10, title="Breaking " * 1000)
    with open_sink(store_url) as sink:
        sink.write_articles([a])
        rec = records(sink)[a.id]
    assert len(rec["title"]) == TRUNCATE_OVER["title"] and rec["title"].endswith("…")
    assert (
        f"title: truncated from {len(a.title or '')} to {TRUNCATE_OVER['title']} chars" in rec["store_notes"]
    )


def test_bad_records_are_rejected_by_id_and_the_rest_land(store_url: str) -> None:
    good = [make_article(i) for i in range(11, 16)]
    long_id = "https://spam.example/" + "x" * REJECT_OVER["id"]
    bad = [
        make_article(20, id=long_id),
        make_article(21, id="huge-text", text="x" * (REJECT_OVER["text"] + 1)),
        make_article(22, id="fetched-in-2099", fetched_at=datetime(2099, 1, 1, tzinfo=UTC)),
        make_article(23, id=""),
        make_article(24, id="no-text", text=None),  # type: ignore[arg-type]
    ]
    with open_sink(store_url) as sink:
        stats = sink.write_articles(good[:2] + bad + good[2:])
        assert sorted(stats.new) == sorted(a.id for a in good)
        reasons = dict(stats.rejected)
        assert set(reasons) == {long_id, "huge-text", "fetched-in-2099", "", "no-text"}
        assert "huge-text" in reasons["huge-text"] and "text is 2000001 chars" in reasons["huge-text"]
        assert (
            "fetched-in-2099" in reasons["fetched-in-2099"] and "out of range" in reasons["fetched-in-2099"]
        )
        assert "empty" in reasons[""]
        assert "text is missing" in reasons["no-text"]
        assert "over the 1024 limit" in reasons[long_id]
        assert sink.count_articles() == len(good)


def _poison_trigger(store_url: str, sink: Any) -> None:
    """Make the database itself refuse one id, to exercise the record-by-record fallback."""
    if store_url.startswith("sqlite"):
        sink._conn.execute(
            "CREATE TRIGGER poison BEFORE INSERT ON articles WHEN NEW.id = 'poison' "
            "BEGIN SELECT RAISE(ABORT, 'poisoned record'); END"
        )
    else:
        sink._conn.execute(
            "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.id = 'poison' THEN RAISE EXCEPTION 'poisoned record'; END IF; "
            "RETURN NEW; END $$"
        )
        sink._conn.execute(
            "CREATE TRIGGER poison BEFORE INSERT ON articles FOR EACH ROW EXECUTE FUNCTION poison()"
        )


def test_a_record_the_database_refuses_is_rejected_alone(store_url: str) -> None:
    batch = [make_article(i) for i in range(30, 36)]
    batch.insert(3, make_article(99, id="poison"))
    with open_sink(store_url) as sink:
        _poison_trigger(store_url, sink)
        stats = sink.write_articles(batch)
        assert [aid for aid, _ in stats.rejected] == ["poison"]
        assert "poisoned record" in stats.rejected[0][1] and "'poison'" in stats.rejected[0][1]
        assert sorted(stats.new) == sorted(a.id for a in batch if a.id != "poison")
        assert sink.count_articles() == 6
        # the next batch goes through the fast path again
        assert sink.write_articles([make_article(40)]).new == [make_article(40).id]


def test_empty_batch_and_all_rejected(store_url: str) -> None:
    with open_sink(store_url) as sink:
        assert sink.write_articles([]).new == []
        stats = sink.write_articles([make_article(1, id="")])
        assert len(stats.rejected) == 1
        assert sink.count_articles() == 0


@pytest.mark.parametrize("n", [1, 1200])
def test_batches_larger_than_a_query_chunk(store_url: str, n: int) -> None:
    arts = [make_article(i, size=200) for i in range(n)]
    with open_sink(store_url) as sink:
        assert len(sink.write_articles(arts).new) == n
        changed = [with_text(a, a.text + " (corrected)") for a in arts]
        assert len(sink.write_articles(changed).updated) == n
        assert sink.count_articles() == n


def test_reclean_with_same_text_but_new_flags_is_stored(store_url: str) -> None:
    """A re-clean that changes flags/edits/pipeline_version but not the text must not be lost."""
    a = make_article(50)
    recleaned = replace(
        a,
        flags=replace(a.flags, unedited_feed=not a.flags.unedited_feed),
        edits=[],
        pipeline_version="0.2.0+rules.8",
    )
    with open_sink(store_url) as sink:
        sink.write_articles([a])
        stats = sink.write_articles([recleaned])
        assert stats.updated == [a.id]
        rec = records(sink)[a.id]
        assert rec["revision"] == 1 and rec["previous_content_hash"] is None  # content did not change
        assert rec["pipeline_version"] == "0.2.0+rules.8" and rec["edits"] == []
        assert next(sink.read_articles()) == recleaned
        assert sink.write_articles([recleaned]).unchanged == [a.id]


def test_near_duplicate_hook_marks_duplicates(tmp_path: Path) -> None:
    from feedscrub.sinks.serialize import PreparedRow
    from feedscrub.sinks.sqlite import SqliteSink

    seen_titles: dict[str, str] = {}

    def same_title(row: PreparedRow) -> str | None:  # stands in for a MinHash index
        return seen_titles.setdefault(row.values["title"], row.id)

    a = make_article(60)
    b = with_text(replace(a, id="near-copy"), a.text + " Minor wording change.")
    with SqliteSink(tmp_path / "s.db", near_duplicates=same_title) as sink:
        assert sink.write_articles([a]).new == [a.id]
        stats = sink.write_articles([b])
        assert stats.duplicates == ["near-copy"]
        assert records(sink)["near-copy"]["duplicate_of"] == a.id
