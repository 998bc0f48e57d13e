"""Run one ``run_shard`` in a child process, for the crash and overlap tests; prints a JSON summary.

    python tests/feedscrub/shard_child.py '{"store": URL, "feeds": [...], "batch_size": 4}'

Test-only options: ``near_duplicate_threshold`` installs the near-duplicate index (ingest does not
pass the setting yet); ``hang_at_write`` + ``marker`` stop inside the n-th write transaction.
The last line of stdout is ``{"feeds": n, "failed": [...], "new": n, "updated": n, "unchanged": n,
"duplicates": n, "rejected": n, "spooled": n}``. No Prefect: ``run_shard`` is plain Python.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from pathlib import Path
from typing import Any

from feedscrub.sinks import open_sink

from feedscrub import ingest
from feedscrub.ingest import run_shard
from feedscrub.settings import FeedSpec, FetchSettings, Settings


def main(arg: str) -> None:
    args = json.loads(arg)
    settings = Settings(
        batch_size=args.get("batch_size", 4),
        fetch=FetchSettings(per_host_concurrency=args.get("per_host", 4), concurrency=8, read_timeout_s=10),
    )
    feeds = [FeedSpec(url=u, name=f"farm-{i}") for i, u in enumerate(args["feeds"])]
    if args.get("near_duplicate_threshold"):
        # ingest does not pass the setting to open_sink yet: install the index for this run
        ingest.open_sink = functools.partial(  # type: ignore[attr-defined]
            open_sink, near_duplicate_threshold=args["near_duplicate_threshold"]
        )
    if args.get("hang_at_write"):
        _hang_inside_write(args["hang_at_write"], Path(args["marker"]))
    report = run_shard(feeds, settings, args["store"])
    fr = report.feeds
    print(
        json.dumps(
            {
                "feeds": len(fr),
                "failed": [(f.url, f.error_kind, f.error) for f in fr if f.status == "failed"],
                **{
                    k: sum(getattr(f, k) for f in fr)
                    for k in ("new", "updated", "unchanged", "duplicates", "rejected", "spooled")
                },
            }
        ),
        flush=True,
    )


def _hang_inside_write(nth: int, marker: Path) -> None:
    """Make the ``nth`` batch write stop after its rows are applied, before COMMIT (the marker file
    says so), so a SIGKILL from the test lands inside an open write transaction."""
    from feedscrub.sinks.postgres import PostgresSink
    from feedscrub.sinks.sqlite import SqliteSink

    writes = [0]
    for cls in (SqliteSink, PostgresSink):

        def apply(self: Any, *a: Any, _real: Any = cls._apply) -> Any:
            out = _real(self, *a)
            writes[0] += 1
            if writes[0] == nth:
                marker.write_text("inside write transaction")
                time.sleep(120)
            return out

        cls._apply = apply  # type: ignore[method-assign]


if __name__ == "__main__":
    main(sys.argv[1])
