"""Pure text cleaners: text in, (text, edits, flags) out.

No Prefect, no network, no database, no file reads: rule packs and learned state come in as
arguments (``feedscrub.config`` loads them from ``config/``). The pipeline is an ordered list of
named steps, each returning the new text plus what it did; see ``pipeline``.
Import it as ``feedscrub.cleaners``; modules inside use relative imports.
"""

from .pipeline import CleanResult, Context, Document, Pipeline, StepResult

__all__ = ["CleanResult", "Context", "Document", "Pipeline", "StepResult"]
