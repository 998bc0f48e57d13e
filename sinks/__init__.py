"""Where cleaned articles are stored: ``open_sink(url)`` picks the backend from the URL.

    sqlite:///data/feedscrub.db      a file relative to the working directory (folders are created)
    sqlite:////var/lib/feedscrub.db  an absolute path
    postgresql://user@host/db        PostgreSQL (needs ``pip install feedscrub[postgres]``)
    postgres://user@host/db          the same

Every backend implements the small ``Sink`` protocol of ``base.py``; adding one is adding a file
and a line in ``open_sink``. Exports (JSONL, Parquet) live in ``export.py``. The tables, columns
and the upsert rules are documented in docs/storage.md.
"""

from __future__ import annotations

from feedscrub.errors import StoreError

from .base import Sink, WriteStats

__all__ = ["Sink", "WriteStats", "open_sink"]


def open_sink(url: str, *, near_duplicate_threshold: float | None = None, shingle_words: int = 5) -> Sink:
    """An opened sink for ``url`` (schema created or migrated). Use it as a context manager.

    ``near_duplicate_threshold`` (estimated Jaccard similarity of ``shingle_words``-word shingles)
    installs the MinHash near-duplicate index of ``neardup.py``; None (the default here) leaves it
    off. Pass ``Settings.near_duplicate_threshold`` / ``near_duplicate_shingle_words``.
    Raises ``StoreError`` naming the URL for an unknown scheme or a store that cannot be opened.
    """
    sink: Sink
    near = None
    if near_duplicate_threshold is not None:
        from .neardup import NearDuplicateIndex

        near = NearDuplicateIndex(near_duplicate_threshold, shingle_words)
    if url.startswith("sqlite:///"):
        from .sqlite import SqliteSink

        path = url[len("sqlite:///") :].split("?", 1)[0]
        if not path:
            raise StoreError(f"{url}: no database path after sqlite:///")
        sink = SqliteSink(path, url=url, near_duplicates=near)
    elif url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresSink

        sink = PostgresSink(url, near_duplicates=near)
    else:
        raise StoreError(
            f"{url!r}: unknown store URL; use sqlite:///PATH, sqlite:////ABS/PATH or "
            "postgresql://USER@HOST/DB"
        )
    sink.open()
    return sink
