#!/usr/bin/env python3
"""e-gorod: build the Assembly's site, feeds, e-mail editions and print PDFs.

    python build.py [build] [--out DIR] [--drafts] [--base-url URL]
    python build.py check [FILE ...]

Exit status: 0 success, 1 content errors, 2 usage errors.
"""
import sys

from egorod.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
