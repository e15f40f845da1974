"""Stage 2: content files → typed records (being split into modules)."""
from .cache import *  # noqa: F401,F403
from .cache import PARALLEL_LOAD_THRESHOLD, RACY_NS, _all_markdown_files  # noqa: F401
