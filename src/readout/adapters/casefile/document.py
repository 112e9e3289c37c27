"""Read a case file's text into plain Python data: YAML or JSON, with errors that name the line.

The YAML loader is a ``SafeLoader`` that keeps timestamps and dates as text (pydantic parses them, and
refuses a timestamp without an offset), knows only ``true``/``false`` as booleans (so ``country: NO`` stays
Norway) and refuses duplicate keys, which PyYAML would otherwise resolve silently to the last one.

A document is bounded (``input_limits``): the file by bytes (a regular file only: never a FIFO or a device),
its values by count and nesting depth. YAML values are counted while they are composed, so a long list stops
the parser early, and again after construction with aliases expanded, since validation walks every copy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import Node

from readout.adapters.input_limits import (
    CASE_FILE_MAX_BYTES,
    CASE_FILE_MAX_DEPTH,
    CASE_FILE_MAX_VALUES,
    FileRefused,
    read_regular_file,
)

__all__ = ["CaseYamlLoader", "DocumentError", "parse_json", "parse_yaml", "read_document"]

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BOOL = "tag:yaml.org,2002:bool"
_MERGE = "tag:yaml.org,2002:merge"


class DocumentError(ValueError):
    """The file cannot be read or parsed; the message says where and why."""


class CaseYamlLoader(yaml.SafeLoader):
    """SafeLoader without the timestamp and YAML 1.1 boolean (yes/no/on/off) resolvers; no duplicate keys;
    at most ``CASE_FILE_MAX_VALUES`` nodes, nested at most ``CASE_FILE_MAX_DEPTH`` deep."""

    _nodes = 0
    _depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self._nodes += 1
        self._depth += 1
        try:
            if self._nodes > CASE_FILE_MAX_VALUES or self._depth > CASE_FILE_MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]  # PyYAML is untyped
                what = _too_many() if self._nodes > CASE_FILE_MAX_VALUES else _too_deep()
                raise DocumentError(f"line {mark.line + 1}: {what}")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable) and key in seen:
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            if isinstance(key, Hashable):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


CaseYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_TIMESTAMP, _BOOL)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
CaseYamlLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse_yaml(text: str) -> Any:
    """Parse YAML text with ``CaseYamlLoader``; DocumentError names the line and column of a syntax error."""
    try:
        return yaml.load(text, Loader=CaseYamlLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = exc.problem or exc.context or "syntax error"
        raise DocumentError(f"invalid YAML{where}: {what}") from None
    except yaml.YAMLError as exc:
        raise DocumentError(f"invalid YAML: {exc}") from None
    except RecursionError:
        raise DocumentError(_too_deep()) from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DocumentError(f"invalid JSON: duplicate key {key!r}")
        out[key] = value
    return out


def parse_json(text: str) -> Any:
    """Parse JSON text; DocumentError names the line and column of a syntax error."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise DocumentError(_too_deep()) from None


def read_document(path: Path) -> Any:
    """The file's data: JSON for ``.json``, YAML for anything else; DocumentError if unreadable, empty or over
    a limit of ``input_limits``."""
    try:
        raw = read_regular_file(path, CASE_FILE_MAX_BYTES)
    except FileNotFoundError:
        raise DocumentError("file not found") from None
    except FileRefused as exc:
        raise DocumentError(str(exc)) from None
    except OSError as exc:
        raise DocumentError(f"cannot read the file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"expected UTF-8 text; byte {raw[exc.start]:#04x} at offset {exc.start} is not"
        ) from None
    data = parse_json(text) if path.suffix.lower() == ".json" and text.strip() else parse_yaml(text)
    if data is None:
        raise DocumentError("the file is empty; expected a case file starting with `version: 1`")
    _check_size(data)
    return data


def _too_many() -> str:
    return f"more than {CASE_FILE_MAX_VALUES:,} values; expected at most that many (see docs/limits.md)"


def _too_deep() -> str:
    return f"nested more than {CASE_FILE_MAX_DEPTH} deep; expected at most that (see docs/limits.md)"


def _check_size(data: Any) -> None:
    """Refuse data over the limits once YAML aliases are expanded (``a: &a [...]`` used a thousand times).

    Sizes are kept per object, so a shared one is measured once and counted at every use.
    """
    sizes: dict[int, int] = {}

    def size(value: Any, depth: int) -> int:
        if depth > CASE_FILE_MAX_DEPTH:
            raise DocumentError(_too_deep())
        if not isinstance(value, dict | list):
            return 1
        known = sizes.get(id(value))
        if known is None:
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            known = 1 + sum(size(item, depth + 1) for item in items)
            sizes[id(value)] = known
        if known > CASE_FILE_MAX_VALUES:
            raise DocumentError(_too_many())
        return known

    size(data, 1)
