"""Exports of stored articles for downstream teams: JSONL or Parquet, partitioned by date.

    out_dir/date=2024-05-01/part-0.jsonl       (or part-0.parquet)
    out_dir/date=2024-05-02/part-0.jsonl

What it is for: handing the store's contents to other teams in files. ``since``/``until`` select by
``fetched_at`` (inclusive/exclusive, like ``read_articles``); the partition of a record is the UTC
date it was published (``published_at``), or fetched when the feed gave no date. Records stream from
the sink and are written in batches, so memory stays flat however many articles are exported.

A partition this export writes to is replaced: its old ``part-*`` files of the same format are
removed first. Partitions it does not touch are left alone. Each file is written under a temporary
name and renamed when complete, so a reader never sees half a file.

Parquet (pyarrow, imported lazily) uses the FIXED schema ``PARQUET_SCHEMA`` below, documented in
docs/storage.md; JSONL lines carry the same fields, datetimes as ISO-8601 UTC text, nested values as
JSON. What it is not for: raw items (they stay in the store), or incremental change feeds.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from feedscrub.errors import StoreError
from feedscrub.models import SCHEMA_VERSION

from .base import Sink
from .serialize import EXPORT_COLUMNS, article_to_record, record_to_export, utc

log = logging.getLogger(__name__)

EXPORT_FORMAT_VERSION = 1  # bump when PARQUET_SCHEMA or the JSONL fields change
BATCH_ROWS = 2000  # rows buffered per partition before a Parquet row group is written
MAX_BUFFERED_ROWS = 4000  # over all partitions: past this every buffer is flushed (memory stays flat)
MAX_OPEN_PARTS = 16  # partitions with an open file at once; the least recent one is finished first

Format = Literal["jsonl", "parquet"]


def parquet_schema() -> Any:
    """The fixed Parquet schema of an export (one field per EXPORT_COLUMNS entry, in order)."""
    import pyarrow as pa

    ts = pa.timestamp("us", tz="UTC")
    evidence = pa.struct([("rule", pa.string()), ("text", pa.string()), ("score", pa.float64())])
    edit = pa.struct(
        [
            ("rule", pa.string()),
            ("start", pa.int32()),
            ("end", pa.int32()),
            ("before", pa.string()),
            ("after", pa.string()),
            ("reason", pa.string()),
            ("step", pa.string()),
        ]
    )
    fragment = pa.struct(
        [
            ("text", pa.string()),
            ("start", pa.int32()),
            ("end", pa.int32()),
            ("lang", pa.string()),
            ("score", pa.float64()),
            ("repaired", pa.bool_()),
        ]
    )

    def list_of(t: Any) -> Any:  # "element": the Parquet spec's name, so a file reads back as this schema
        return pa.list_(pa.field("element", t))

    fields = [
        pa.field("id", pa.string(), nullable=False),
        pa.field("feed_url", pa.string(), nullable=False),
        pa.field("source", pa.string()),
        pa.field("url", pa.string()),
        pa.field("guid", pa.string()),
        pa.field("title", pa.string()),
        pa.field("author", pa.string()),
        pa.field("published_at", ts),
        pa.field("updated_at", ts),
        pa.field("fetched_at", ts, nullable=False),
        pa.field("language", pa.string()),
        pa.field("feed_language", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("summary", pa.string()),
        pa.field("unedited_feed", pa.bool_(), nullable=False),
        pa.field("machine_translated", pa.bool_(), nullable=False),
        pa.field("machine_translated_score", pa.float64(), nullable=False),
        pa.field("language_mismatch", pa.bool_(), nullable=False),
        pa.field(
            "flags_evidence",
            pa.map_(pa.field("key", pa.string(), nullable=False), pa.field("value", list_of(evidence))),
        ),
        pa.field("edits", list_of(edit)),
        pa.field("foreign_fragments", list_of(fragment)),
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("pipeline_version", pa.string(), nullable=False),
        pa.field("schema_version", pa.int32(), nullable=False),
        pa.field("store_notes", list_of(pa.string())),
        pa.field("record_hash", pa.string()),
        pa.field("revision", pa.int32()),
        pa.field("previous_content_hash", pa.string()),
        pa.field("first_seen_at", ts),
        pa.field("last_seen_at", ts),
        pa.field("duplicate_of", pa.string()),
    ]
    assert [f.name for f in fields] == list(EXPORT_COLUMNS), "PARQUET schema out of step with EXPORT_COLUMNS"
    return pa.schema(
        fields,
        metadata={
            "feedscrub.export_format_version": str(EXPORT_FORMAT_VERSION),
            "feedscrub.article_schema_version": str(SCHEMA_VERSION),
        },
    )


def partition_of(rec: dict[str, Any]) -> str:
    """``date=YYYY-MM-DD`` of the UTC publication date, or of the fetch date when there is none."""
    when = rec.get("published_at") or rec["fetched_at"]
    return f"date={when:%Y-%m-%d}"


def _records(sink: Sink, since: datetime | None, until: datetime | None) -> Iterator[dict[str, Any]]:
    read_records = getattr(sink, "read_records", None)
    if read_records is not None:  # our sinks: store columns included, raw items not read
        yield from read_records(since=since, until=until, include_raw=False)
    else:  # any other Sink: Article fields only, store columns empty
        for article in sink.read_articles(since=since, until=until):
            yield article_to_record(article)


class _Part:
    """One output file of one partition, written under a temporary name until finished."""

    def __init__(self, path: Path, fmt: Format, schema: Any) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.tmp")
        self.fmt = fmt
        self.schema = schema
        self.buffer: list[dict[str, Any]] = []
        self.rows = 0
        self._file: Any = None
        self._writer: Any = None
        if fmt == "jsonl":
            self._file = self.tmp.open("w", encoding="utf-8", errors="replace", newline="\n")
        else:
            import pyarrow.parquet as pq

            self._writer = pq.ParquetWriter(self.tmp, schema, compression="zstd")

    def add(self, rec: dict[str, Any]) -> None:
        self.rows += 1
        if self._file is not None:
            self._file.write(json.dumps(record_to_export(rec, json_dates=True), ensure_ascii=False) + "\n")
            return
        self.buffer.append(rec)
        if len(self.buffer) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self._writer is None or not self.buffer:
            return
        import pyarrow as pa

        rows, self.buffer = self.buffer, []
        columns = []
        for field in self.schema:
            name = field.name
            values = [r.get(name) for r in rows]
            if name == "flags_evidence":
                values = [list(v.items()) if v is not None else None for v in values]
            columns.append(pa.array(values, type=field.type))
        self._writer.write_table(pa.Table.from_arrays(columns, schema=self.schema))

    def finish(self) -> None:
        if self._file is not None:
            self._file.close()
        else:
            self.flush()
            self._writer.close()
        self.tmp.replace(self.path)

    def abandon(self) -> None:
        try:
            if self._file is not None:
                self._file.close()
            elif self._writer is not None:
                self._writer.close()
        finally:
            self.tmp.unlink(missing_ok=True)


def export_articles(
    sink: Sink, fmt: str, out_dir: str | Path, since: datetime | None = None, until: datetime | None = None
) -> list[Path]:
    """Write the stored articles with ``fetched_at`` in [since, until) under ``out_dir``.

    Returns the files written, sorted. Naive ``since``/``until`` are taken as UTC. Raises
    ``StoreError`` for an unknown format or when pyarrow is missing for Parquet.
    """
    if fmt not in ("jsonl", "parquet"):
        raise StoreError(f"export to {out_dir}: format must be 'jsonl' or 'parquet', not {fmt!r}")
    schema = None
    if fmt == "parquet":
        try:
            schema = parquet_schema()
        except ImportError as exc:
            raise StoreError("Parquet export needs pyarrow: pip install feedscrub[parquet]") from exc
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    open_parts: OrderedDict[str, _Part] = OrderedDict()
    next_index: dict[str, int] = {}
    written: list[Path] = []
    count = 0
    try:
        for rec in _records(sink, utc(since), utc(until)):
            key = partition_of(rec)
            part = open_parts.get(key)
            if part is None:
                if len(open_parts) >= MAX_OPEN_PARTS:
                    _, oldest = open_parts.popitem(last=False)
                    oldest.finish()
                    written.append(oldest.path)
                folder = out / key
                if key not in next_index:  # first time in this export: replace the partition
                    folder.mkdir(parents=True, exist_ok=True)
                    for old in folder.glob(f"part-*.{fmt}"):
                        old.unlink()
                    next_index[key] = 0
                part = _Part(folder / f"part-{next_index[key]}.{fmt}", fmt, schema)  # type: ignore[arg-type]
                next_index[key] += 1
                open_parts[key] = part
            else:
                open_parts.move_to_end(key)
            part.add(rec)
            count += 1
            if (
                fmt == "parquet"
                and count % 500 == 0
                and sum(len(p.buffer) for p in open_parts.values()) > MAX_BUFFERED_ROWS
            ):
                for p in open_parts.values():
                    p.flush()
        for part in open_parts.values():
            part.finish()
            written.append(part.path)
        open_parts.clear()
    except BaseException:
        for part in open_parts.values():
            part.abandon()
        raise
    log.info("exported %d articles to %d %s file(s) under %s", count, len(written), fmt, out)
    return sorted(written)


__all__ = ["BATCH_ROWS", "EXPORT_FORMAT_VERSION", "export_articles", "parquet_schema", "partition_of"]
