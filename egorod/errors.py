"""Problems found in the editors' files, reported all at once as ``path:line: field: message``."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Exit(IntEnum):
    """Exit status of every command: the same three meanings everywhere."""
    OK = 0          # done
    CONTENT = 1     # content, settings or a recipient list have mistakes; or some work failed
    USAGE = 2       # the command line or the environment is wrong


@dataclass(frozen=True, order=True)
class Problem:
    path: str          # relative to the repository root
    line: int          # 1-based line in the file; 0 when the whole file is concerned
    field: str         # front-matter key or settings path; "-" when not about one field
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


@dataclass
class Problems:
    """A collector passed down the loading stages so every mistake is reported in one run."""
    items: list[Problem] = field(default_factory=list)

    def add(self, path: str, line: int, field_name: str, message: str) -> None:
        self.items.append(Problem(path, line, field_name, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def sorted(self) -> list[Problem]:
        return sorted(set(self.items))


class BuildFailed(Exception):
    """Raised with the collected problems when content or settings are invalid."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems

    def __reduce__(self):   # raised in a worker process, it must arrive whole in the parent
        return (type(self), (self.problems,))
