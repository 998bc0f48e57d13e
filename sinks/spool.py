"""A local spool of articles a store could not take: JSONL files written atomically, replayed later.

What it is for: when PostgreSQL stays unreachable after retries, the batch is not lost; it is
written here and the next ``open()`` of the same store writes it (upserts are idempotent, so a
batch replayed twice does no harm). What it is not for: queueing in normal operation.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from feedscrub.models import Article

from .serialize import article_from_json, article_to_json


class Spool:
    """JSONL files of Articles under ``folder``, one file per spooled batch, oldest first."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def add(self, articles: Sequence[Article]) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.jsonl"
        tmp = self.folder / f".{name}.tmp"
        with tmp.open("w", encoding="utf-8") as f:
            for a in articles:
                f.write(article_to_json(a) + "\n")
            f.flush()
            os.fsync(f.fileno())
        path = self.folder / name
        tmp.replace(path)
        return path

    def pending(self) -> Iterator[tuple[Path, list[Article]]]:
        if not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob("*.jsonl")):
            with path.open(encoding="utf-8") as f:
                yield path, [article_from_json(line) for line in f if line.strip()]

    def done(self, path: Path) -> None:
        path.unlink(missing_ok=True)
