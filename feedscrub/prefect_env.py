"""Make Prefect offline and quiet before it is imported: no telemetry, no exit-time tracebacks.

Only fills in variables the operator has not set, so a real deployment can override any of them.
"""

from __future__ import annotations

import os

from feedscrub.bundled import DIR as BUNDLED

QUIET_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "PREFECT_LOGGING_CONFIG_PATH": str(BUNDLED / "prefect-logging.yaml"),
    # The temporary server needs ~8 s to start here; the default timeout is too tight on a busy machine.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}


def quiet_prefect() -> None:
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
