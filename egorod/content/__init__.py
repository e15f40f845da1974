"""Stage 2: content files → typed records, with every mistake collected.

``records`` the typed records, ``read`` one file's front matter, body and links,
``kinds`` the checks of each kind, ``cache`` the record cache and the parallel loading,
``load`` all of ``content/`` at once.
"""
from .cache import PARALLEL_LOAD_THRESHOLD, RecordCache
from .load import load_content
from .read import content_assets, read_source
from .records import (
           CONTENT_DIR,
           Article,
           Bulletin,
           City,
           Collection,
           CollectionArticle,
           Content,
           Contest,
           ContestEdition,
           ContestResult,
           Entry,
           Event,
           Exhibit,
           Exhibition,
           Illustration,
           LazyBody,
           News,
           Page,
           Paper,
           Practice,
           Rejected,
           Source,
           VestnikIssue,
           Video,
           city_references,
           fields_of,
)

__all__ = ["CONTENT_DIR", "PARALLEL_LOAD_THRESHOLD", "Article", "Bulletin", "City", "Collection", "CollectionArticle", "Content", "Contest", "ContestEdition",
           "ContestResult", "Entry", "Event", "Exhibit", "Exhibition", "Illustration", "LazyBody", "News", "Page", "Paper", "Practice", "RecordCache",
           "Rejected", "Source", "VestnikIssue", "Video", "city_references", "content_assets", "fields_of", "load_content",
           "read_source"]
