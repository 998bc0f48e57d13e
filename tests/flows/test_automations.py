"""The shipped automations are valid Prefect automations and apply idempotently to a server."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from feedscrub.automations import apply_automations, load_automation_files

FOLDER = Path(__file__).resolve().parents[2] / "automations"


def test_every_automation_file_is_a_valid_automation():
    from prefect.automations import Automation

    loaded = load_automation_files(FOLDER, str(uuid.uuid4()))
    names = set()
    for path, data, _ in loaded:
        assert data is not None, path
        a = Automation.model_validate(data)
        names.add(a.name)
        assert a.actions, path
    assert {"feedscrub-crash-zombie-runs", "feedscrub-crash-stuck-pending-runs", "feedscrub-rerun-crashed-ingest",
            "feedscrub-notify-failed-runs", "feedscrub-notify-failing-feed"} <= names


def test_notifications_are_skipped_without_a_block():
    skipped = {p.stem: why for p, data, why in load_automation_files(FOLDER, None) if data is None}
    assert set(skipped) == {"notify-failed-runs", "notify-failing-feed"}
    assert all("--notify-block" in why for why in skipped.values())


@pytest.mark.prefect
def test_apply_creates_then_updates_without_duplicates(prefect_harness):
    from prefect.client.orchestration import get_client

    first = {a.name: a.action for a in apply_automations(FOLDER)}
    assert first["feedscrub-crash-zombie-runs"] in ("created", "updated")
    again = {a.name: a.action for a in apply_automations(FOLDER)}
    assert again["feedscrub-crash-zombie-runs"] == "updated"
    assert again["feedscrub-rerun-crashed-ingest"] == "updated"
    with get_client(sync_client=True) as client:
        names = [a.name for a in client.read_automations()]
    assert names.count("feedscrub-crash-zombie-runs") == 1

