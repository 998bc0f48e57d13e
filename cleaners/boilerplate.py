"""Step `boilerplate` (stub: passes text through; to be implemented)."""

from __future__ import annotations

from .pipeline import Context, StepResult


class RemoveBoilerplate:
    name = "boilerplate"

    def __call__(self, text: str, ctx: Context) -> StepResult:
        return StepResult(text)
