"""Scale-out on Prefect's engine: two workers, shards as flow runs, one worker killed mid-run.

Slow (about 3 minutes on a quick machine: the zombie automation waits 90 s without a heartbeat), so it is marked
`scale`; `.ci/run` runs it. The same check, bigger, is `python scripts/scale_out.py --kill`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.scale, pytest.mark.postgres]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "scale_out.py"


def _postgres_up() -> bool:
    try:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.mark.skipif(not _postgres_up(), reason="needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth)")
def test_a_killed_worker_crashes_its_run_which_is_rerun_with_nothing_lost_or_duplicated():
    spec = importlib.util.spec_from_file_location("scale_out", SCRIPT)
    assert spec and spec.loader
    scale_out = importlib.util.module_from_spec(spec)
    sys.modules["scale_out"] = scale_out  # dataclasses look their module up while it is executed
    spec.loader.exec_module(scale_out)

    # 900 s: the zombie detection alone waits 90 s, and on a slow shared machine the rescheduled
    # runs' start-up can take minutes (420 s was once not enough there)
    report = scale_out.run(feeds=16, shards=4, items=3, delay_s=1.5, kill=True, timeout_s=900)

    assert "error" not in report, (report.get("error"), report.get("run_states"))
    assert report["killed_run"], "no flow run was running on worker-1 to kill"
    states = report["killed_run_states"]
    assert "CRASHED" in states and states[-1] == "COMPLETED", states
    assert all(report["runs_started_per_worker"].values()), report["runs_started_per_worker"]
    assert report["articles"] == report["expected"] == 48
    assert report["distinct_ids"] == report["distinct_feed_guid"] == 48
