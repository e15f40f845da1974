"""YAML that remembers where each key was written, so errors can name the line."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from . import limits
from .i18n import _


@dataclass
class Located:
    """A parsed YAML mapping with the 1-based line of each key (and of nested keys)."""
    data: Any
    lines: dict[str, int] = field(default_factory=dict)   # "key" or "key.sub" or "key[0]" → line
    first_line: int = 1
    # Keys written twice in one mapping: (key, line of the repeat, line of the first).
    duplicates: list[tuple[str, int, int]] = field(default_factory=list)

    def line(self, key: str, default: int | None = None) -> int:
        return self.lines.get(key, self.first_line if default is None else default)


# libyaml's parser is about ten times faster than the pure-Python one; both give line marks.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BaseLoader):  # type: ignore[valid-type,misc]  # chosen at run time
    """Safe loader that keeps dates as strings so ISO checks give our own messages."""


# Dates are validated by the content schema (with a clear message), not by YAML.
_LineLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _walk(node: yaml.Node, prefix: str, offset: int, lines: dict[str, int],
          duplicates: list[tuple[str, int, int]]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            line = key_node.start_mark.line + 1 + offset
            if key in seen:
                # YAML keeps the last value silently: a repeated key is almost always a slip.
                duplicates.append((key, line, seen[key]))
            seen[key] = line
            lines.setdefault(key, line)
            _walk(value_node, key, offset, lines, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = f"{prefix}[{index}]"
            lines.setdefault(key, item.start_mark.line + 1 + offset)
            _walk(item, key, offset, lines, duplicates)


class YamlError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"


def _event_problem(event: yaml.Event, depth: int, resolve: Any) -> str | None:
    """What makes one parser event unacceptable in our files, before anything is built.

    Anchors and aliases let 400 bytes stand for billions of values (a «billion laughs»
    took 60 s and 6 GB); tags (!!python/object...) make types no field expects; deep
    nesting and thousand-digit numbers cost time of their own. None of them has a use in
    front matter or site.yaml.
    """
    if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
        return _("YAML anchors (&name) and aliases (*name) are not allowed; write the value out")
    tag = getattr(event, "tag", None)
    if tag is not None and not (isinstance(event, yaml.ScalarEvent) and tag == "!"):
        tag = tag.replace("tag:yaml.org,2002:", "!!")
        return _("YAML tags such as {tag} are not allowed; write plain values").format(tag=tag)
    if depth > limits.MAX_YAML_DEPTH:
        return _("lists and mappings are nested more than {depth} levels deep").format(depth=limits.MAX_YAML_DEPTH)
    if isinstance(event, yaml.ScalarEvent):
        value = event.value
        found = limits.forbidden_character(value)
        if found is not None:
            return limits.character_message(found[1])
        if (len(value) > limits.MAX_YAML_NUMBER_CHARACTERS and event.implicit[0]
                and resolve(yaml.ScalarNode, value, (True, False)) in (_INT, _FLOAT)):
            return _("a number of {length:,} characters; numbers have at most {most} (write it in quotes if it "
                     "is text)").format(length=len(value), most=limits.MAX_YAML_NUMBER_CHARACTERS)
    return None


def _refuse_costly(text: str, line_offset: int) -> None:
    """Walk the parser's events once (libyaml: fast, nothing built); raise on the first one
    that could make building the values cost more than the text itself."""
    loader = _LineLoader(text)
    try:
        depth = 0
        while (event := loader.get_event()) is not None:
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            problem = _event_problem(event, depth, loader.resolve)
            if problem is not None:
                raise YamlError(event.start_mark.line + 1 + line_offset, problem)
            if isinstance(event, yaml.StreamEndEvent):
                break
    finally:
        loader.dispose()


def load(text: str, line_offset: int = 0) -> Located:
    """Parse YAML text; ``line_offset`` is added to every line (front matter starts at 2)."""
    try:
        _refuse_costly(text, line_offset)
        loader = _LineLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        # An unclosed bracket or quote is noticed only at the end of the text: point at
        # where it was opened instead, which is where the editor has to look.
        opened = exc.context and ("flow" in exc.context or "quoted" in exc.context)
        mark = exc.context_mark if opened and exc.context_mark else exc.problem_mark
        mark = mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        problem = exc.problem or str(exc)
        raise YamlError(line, _("invalid YAML: {problem}").format(problem=problem)) from None
    except yaml.YAMLError as exc:
        raise YamlError(1 + line_offset, _("invalid YAML: {problem}").format(problem=exc)) from None

    lines: dict[str, int] = {}
    duplicates: list[tuple[str, int, int]] = []
    if node is not None:
        _walk(node, "", line_offset, lines, duplicates)
    return Located(data=data, lines=lines, first_line=1 + line_offset, duplicates=duplicates)
