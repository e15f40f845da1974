"""Step "video": the files of the self-hosted videos (MP4, WebM, WebVTT captions), published
beside their poster at the address of the files in content/ (content/video/x.webm → /video/x.webm).

The record of a video is kept between builds with its Markdown and captions; its video files,
which may be large, are not part of it: their first bytes are checked again here, so that a
file replaced by one of another kind is never published.
"""
from __future__ import annotations

from pathlib import Path

from .. import routes as r
from ..content.kinds import media_problems
from ..context import BuildContext
from ..errors import BuildFailed
from ..output import StagedOutput
from .base import Step


class VideoStep(Step):
    name = "video"

    def prepare(self, context: BuildContext, staged: StagedOutput) -> None:
        root = context.config.root
        problems = [problem for video in context.site.videos
                    for problem in media_problems((root / video.source.path).parent, video.source, video.sources)]
        if problems:
            raise BuildFailed(sorted(problems))

    def run(self, context: BuildContext, staged: StagedOutput) -> None:
        root = context.config.root
        for video in context.site.videos:
            folder = Path(root, video.source.path).parent
            for name in r.video_files(video):
                staged.copy_file(folder / name, r.video_file_url(video, name).lstrip("/"))
