"""Test-wide setup: Prefect offline, quiet and isolated from the user's ~/.prefect."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="feedscrub-prefect-home-"))
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", None)
os.environ.pop("PREFECT_RUNNER_HEARTBEAT_FREQUENCY", None)

from feedscrub.prefect_env import quiet_prefect

quiet_prefect()

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
