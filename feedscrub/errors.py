"""The one exception hierarchy of feedscrub.

    FeedscrubError
    ├── ConfigError   a settings file, feed list or rule pack is invalid (names the file and field)
    ├── FetchError    a feed could not be fetched (names the feed URL; ``kind`` says why)
    ├── ParseError    a feed document could not be read at all (names the feed URL)
    └── StoreError    the store refused or lost a write (names the store and the record)

Every message names the feed, URL, file or record it concerns, so a log line is enough to act on.
"""

from __future__ import annotations


class FeedscrubError(Exception):
    """Base of every error feedscrub raises on purpose."""


class ConfigError(FeedscrubError):
    """A configuration file, feed list or rule pack is missing or invalid."""


class FetchError(FeedscrubError):
    """A feed could not be fetched.

    ``kind`` is a short stable word for dashboards and the feeds table (``timeout``, ``http``,
    ``too_large``, ``redirect_loop``, ``connect``, ``refused``, ...).
    """

    def __init__(self, url: str, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {kind}: {message}")
        self.url = url
        self.kind = kind
        self.message = message
        self.status = status


class ParseError(FeedscrubError):
    """A feed document held nothing usable."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.message = message


class StoreError(FeedscrubError):
    """The store could not be opened or written."""
