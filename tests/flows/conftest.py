"""One Prefect test harness for the whole session (it takes ~20 s to start), heartbeats off."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    # prefect 3.9 sends a flow-run heartbeat every 180 s by default; tests need none.
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}), \
            prefect_test_harness(server_startup_timeout=180):
        from prefect.settings import get_current_settings

        assert get_current_settings().flows.heartbeat_frequency is None
        yield
