"""Exports: date partitions, the fixed Parquet schema, JSONL fields, windows, replacing a partition."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from feedscrub.sinks import open_sink
from feedscrub.sinks.export import export_articles, parquet_schema, partition_of
from feedscrub.sinks.serialize import EXPORT_COLUMNS, article_to_record
from sink_factory import BASE_TIME, make_article, with_text

from feedscrub.errors import StoreError
from feedscrub.models import Article


def expected_partitions(arts: list[Article]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for a in arts:
        out.setdefault(partition_of(article_to_record(a)), set()).add(a.id)
    return out


def test_parquet_export_has_the_documented_schema_and_partitions(store_url: str, tmp_path: Path) -> None:
    arts = [make_article(i) for i in range(60)]
    updated = with_text(arts[0], "A corrected text.")
    with open_sink(store_url) as sink:
        sink.write_articles(arts)
        sink.write_articles([updated])
        files = export_articles(sink, "parquet", tmp_path / "out")
    want = expected_partitions(arts)
    assert {f.parent.name for f in files} == set(want)
    assert all(f.name == "part-0.parquet" for f in files)
    seen: dict[str, dict] = {}
    for f in files:
        table = pq.read_table(f)
        assert table.schema.remove_metadata().equals(parquet_schema().remove_metadata())
        assert table.schema.metadata == parquet_schema().metadata
        rows = table.to_pylist()
        assert {r["id"] for r in rows} == want[f.parent.name]
        seen.update({r["id"]: r for r in rows})
    assert len(seen) == 60
    row = seen[arts[0].id]
    assert row["revision"] == 2 and row["previous_content_hash"] == arts[0].content_hash
    assert row["text"] == "A corrected text."
    mt = next(a for a in arts if a.flags.machine_translated and a.edits)
    r = seen[mt.id]
    assert r["machine_translated"] is True
    assert dict(r["flags_evidence"])["machine_translated"][0] == {
        "rule": "mt.calque",
        "text": "en el otro mano",
        "score": 0.83,
    }
    assert r["edits"][0]["rule"] == mt.edits[0].rule and r["edits"][0]["start"] == mt.edits[0].start
    assert r["fetched_at"] == mt.fetched_at


def test_jsonl_export_lines_carry_every_field(store_url: str, tmp_path: Path) -> None:
    arts = [make_article(i) for i in range(25)]
    with open_sink(store_url) as sink:
        sink.write_articles(arts)
        files = export_articles(sink, "jsonl", tmp_path / "out")
    want = expected_partitions(arts)
    got: dict[str, set[str]] = {}
    for f in files:
        assert f.name == "part-0.jsonl"
        for line in f.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            assert list(rec) == list(EXPORT_COLUMNS)
            got.setdefault(f.parent.name, set()).add(rec["id"])
    assert got == want
    first = json.loads(files[0].read_text(encoding="utf-8").splitlines()[0])
    assert first["fetched_at"].endswith("+00:00") and first["revision"] == 1


def test_window_selects_by_fetched_at(store_url: str, tmp_path: Path) -> None:
    arts = [make_article(i) for i in range(40)]
    since, until = BASE_TIME + timedelta(days=2), BASE_TIME + timedelta(days=3)
    with open_sink(store_url) as sink:
        sink.write_articles(arts)
        files = export_articles(sink, "parquet", tmp_path / "out", since=since, until=until)
    ids = {i for f in files for i in pq.read_table(f, columns=["id"]).column("id").to_pylist()}
    assert ids == {a.id for a in arts if since <= a.fetched_at < until}


def test_re_export_replaces_a_partition_and_leaves_others(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stranger = out / "date=1999-01-01" / "part-0.jsonl"
    stranger.parent.mkdir(parents=True)
    stranger.write_text("{}\n")
    arts = [make_article(i) for i in range(10)]
    with open_sink(f"sqlite:///{tmp_path}/s.db") as sink:
        sink.write_articles(arts)
        first = export_articles(sink, "jsonl", out)
        (first[0].parent / "part-7.jsonl").write_text("stale\n")
        second = export_articles(sink, "jsonl", out)
    assert first == second
    assert not (first[0].parent / "part-7.jsonl").exists()
    assert stranger.exists()
    lines = sum(len(f.read_text().splitlines()) for f in second)
    assert lines == 10
    assert not list(out.rglob("*.tmp"))


def test_many_partitions_and_small_batches_keep_files_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import feedscrub.sinks.export as export

    monkeypatch.setattr(export, "MAX_OPEN_PARTS", 2)
    monkeypatch.setattr(export, "BATCH_ROWS", 3)
    # published dates alternate between partitions, so writers are closed and reopened as part-1, ...
    arts = [make_article(i, published_at=BASE_TIME - timedelta(days=i % 4)) for i in range(40)]
    with open_sink(f"sqlite:///{tmp_path}/s.db") as sink:
        sink.write_articles(arts)
        files = export_articles(sink, "parquet", tmp_path / "out")
    assert {f.parent.name for f in files} == {
        f"date={(BASE_TIME - timedelta(days=d)):%Y-%m-%d}" for d in range(4)
    }
    total = sum(pq.read_metadata(f).num_rows for f in files)
    assert total == 40
    assert any(f.name != "part-0.parquet" for f in files)


def test_unknown_format_is_a_store_error(tmp_path: Path) -> None:
    with open_sink(f"sqlite:///{tmp_path}/s.db") as sink, pytest.raises(StoreError, match="csv"):
        export_articles(sink, "csv", tmp_path / "out")
