"""What a build step is."""
from __future__ import annotations

from ..context import BuildContext
from ..output import StagedOutput


class Step:
    """One output of the build; a new instance for every build, so it may keep what its
    ``prepare`` found for its ``run``."""

    name = ""

    def prepare(self, context: BuildContext, staged: StagedOutput) -> None:
        """Put into ``context.facts`` what pages need from this step (runs before any ``run``)."""

    def run(self, context: BuildContext, staged: StagedOutput) -> None:
        """Write this step's files into ``staged``."""
