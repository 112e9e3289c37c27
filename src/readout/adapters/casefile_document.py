"""Read a case file's text into plain Python data: YAML or JSON, with errors that name the line.

The YAML loader is a ``SafeLoader`` that keeps timestamps and dates as text (pydantic parses them, and
refuses a timestamp without an offset), knows only ``true``/``false`` as booleans (so ``country: NO`` stays
Norway) and refuses duplicate keys, which PyYAML would otherwise resolve silently to the last one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

__all__ = ["CaseYamlLoader", "DocumentError", "parse_json", "parse_yaml", "read_document"]

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BOOL = "tag:yaml.org,2002:bool"
_MERGE = "tag:yaml.org,2002:merge"


class DocumentError(ValueError):
    """The file cannot be read or parsed; the message says where and why."""


class CaseYamlLoader(yaml.SafeLoader):
    """SafeLoader without the timestamp and YAML 1.1 boolean (yes/no/on/off) resolvers; no duplicate keys."""

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


def read_document(path: Path) -> Any:
    """The file's data: JSON for ``.json``, YAML for anything else; DocumentError if unreadable or empty."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DocumentError("file not found") from None
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
    return data
