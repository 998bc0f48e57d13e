"""Applies the server-side automations in ``automations/*.yaml`` to a Prefect server.

Automations run in the Prefect server, so they act even when the process that ran a flow is gone
(in-process hooks such as ``on_failure`` are not guaranteed to run then). Applying is idempotent:
an automation of the same name is updated, not duplicated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import ValidationError

from feedscrub.errors import ConfigError

NOTIFY_TOKEN = "{{ notify_block_id }}"


@dataclass(slots=True)
class Applied:
    name: str
    action: str  # created | updated | skipped
    why: str = ""


def load_automation_files(folder: Path, notify_block_id: str | None) -> list[tuple[Path, dict[str, Any] | None, str]]:
    """Each file with its automation (None when skipped, with the reason)."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: automations folder not found")
    out: list[tuple[Path, dict[str, Any] | None, str]] = []
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if NOTIFY_TOKEN in text:
            if not notify_block_id:
                out.append((path, None, "needs --notify-block TYPE/NAME"))
                continue
            text = text.replace(NOTIFY_TOKEN, notify_block_id)
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(data, dict) or "name" not in data:
            raise ConfigError(f"{path}: an automation is a mapping with a name")
        out.append((path, data, ""))
    return out


def apply_automations(folder: Path, notify_block: str | None = None) -> list[Applied]:
    """Create or update every automation in ``folder`` on the current Prefect API."""
    from prefect.automations import Automation
    from prefect.exceptions import ObjectNotFound

    block_id = _block_id(notify_block) if notify_block else None
    results = []
    for path, data, why in load_automation_files(folder, block_id):
        if data is None:
            results.append(Applied(path.stem, "skipped", why))
            continue
        try:
            wanted = Automation.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(f"{path}: invalid automation: {exc}") from None
        try:
            # prefect's sync/async dual methods confuse type checkers; called here from sync code
            existing = cast(Automation, Automation.read(name=wanted.name))
        except (ObjectNotFound, ValueError):
            existing = None
        if existing is None:
            wanted.create()
            results.append(Applied(wanted.name, "created"))
        else:
            existing.description, existing.enabled = wanted.description, wanted.enabled
            existing.trigger, existing.actions = wanted.trigger, wanted.actions
            existing.update()
            results.append(Applied(wanted.name, "updated"))
    return results


def _block_id(slug: str) -> str:
    from prefect.blocks.core import Block

    try:
        block = Block.load(slug)
    except (ValueError, KeyError) as exc:
        raise ConfigError(f"notification block {slug!r} not found: {exc}") from None
    return str(cast(Any, block)._block_document_id)
