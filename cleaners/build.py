"""The default order of the cleaning steps. Read it top to bottom: it is the whole recipe."""

from __future__ import annotations

from .pipeline import Pipeline, Step
from .resources import Resources
from .settings import CleanSettings

PIPELINE_VERSION = "14"  # bump when a change to steps or rules would change stored output


def default_pipeline(settings: CleanSettings, resources: Resources) -> Pipeline:
    from .boilerplate import RemoveBoilerplate
    from .capitals import RepairCapitals
    from .flags import finish
    from .foreign import FindForeignFragments
    from .html import HtmlToText
    from .learned import RemoveLearnedBoilerplate
    from .punctuation import RepairPunctuation
    from .unicode import RepairUnicode

    steps: list[Step] = [
        HtmlToText(),  # text/html only: paragraphs kept, widgets/scripts/comments dropped
        RepairUnicode(),  # ftfy, conservative
        RemoveBoilerplate(),  # rule packs: subscribe/follow/share/disclaimers/...
        RemoveLearnedBoilerplate(),  # paragraphs recurring across one source's articles
        FindForeignFragments(),  # translation leftovers; glossary repairs where certain
        RepairPunctuation(),  # broken brackets, space before punctuation, doubled spaces
        RepairCapitals(),  # "in The beginning" -> "in the beginning"
    ]
    return Pipeline(steps, finish, settings, resources)
