"""Step "opendata": the practice library as CSV and JSON under /open-data/ (documented on
the page /open-data/)."""
from __future__ import annotations

import hashlib

from ..context import BuildContext
from ..incremental import KeptFiles, describe
from ..opendata import CSV_PATH, JSON_PATH, records, to_csv, to_json
from ..output import StagedOutput
from .base import Step


class OpenDataStep(Step):
    name = "opendata"

    def run(self, context: BuildContext, staged: StagedOutput) -> None:
        """Kept from the previous build while no practice, city, setting or code changed."""
        site = context.site
        key = hashlib.sha256("\n".join([context.templates_key, site.settings.base_url,
                                        describe(site.practices), describe(site.cities)]).encode()).hexdigest()
        files = KeptFiles(context, staged, "opendata")
        paths = [CSV_PATH, JSON_PATH]
        if files.keep(paths, key):
            return
        rows = records(site)
        staged.write(CSV_PATH, to_csv(rows))
        staged.write(JSON_PATH, to_json(site, rows))
        files.made(paths, key)
