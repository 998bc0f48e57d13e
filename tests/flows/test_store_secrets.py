"""Store credentials come from the environment or a Prefect Secret block, never parameters or logs."""

from __future__ import annotations

import pytest
from feedscrub.flows.ingest import _redact, resolve_store

from feedscrub.errors import ConfigError

URL = "postgresql://feedscrub:s3cret@db.internal/news"


def test_env_reference(monkeypatch):
    monkeypatch.setenv("FEEDSCRUB_STORE", URL)
    assert resolve_store("env:FEEDSCRUB_STORE") == URL
    assert resolve_store("sqlite:///data/x.db") == "sqlite:///data/x.db"


def test_missing_env_reference_is_named():
    with pytest.raises(ConfigError, match="FEEDSCRUB_MISSING"):
        resolve_store("env:FEEDSCRUB_MISSING")


def test_passwords_are_redacted_in_logs():
    assert _redact(URL) == "postgresql://feedscrub:***@db.internal/news"
    assert _redact("postgresql://postgres@127.0.0.1/test") == "postgresql://postgres@127.0.0.1/test"


@pytest.mark.prefect
def test_secret_block_reference(prefect_harness):
    from prefect.blocks.system import Secret

    Secret(value=URL).save("feedscrub-store-test", overwrite=True)
    assert resolve_store("secret:feedscrub-store-test") == URL
