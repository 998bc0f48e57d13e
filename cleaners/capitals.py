"""Step `capitals` (stub: passes text through; to be implemented)."""

from __future__ import annotations

from .pipeline import Context, StepResult


class RepairCapitals:
    name = "capitals"

    def __call__(self, text: str, ctx: Context) -> StepResult:
        return StepResult(text)
