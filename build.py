#!/usr/bin/env python3
"""e-gorod: build the Assembly's site, feeds, e-mail editions and print PDFs.

    python build.py [build] [--out DIR] [--drafts] [--base-url URL]
    python build.py check [FILE ...]
    python build.py serve [--port N] [--host HOST] [--pdf] [--search]
    python build.py new bulletin|vestnik|practice|city [TITLE]
    python build.py mail NUMBER --recipients FILE [--dry-run] [--smtp HOST:PORT] [--rate N]

Exit status: 0 success, 1 content errors, 2 usage errors.
"""
import gc
import sys

from egorod.cli import main

if __name__ == "__main__":
    status = main(sys.argv[1:])
    # The site model, templates and caches go away with the process: the interpreter's
    # last garbage collection need not walk them first (a tenth of a no-change rebuild).
    gc.freeze()
    sys.exit(status)
