"""Reading the reference YAML files, keeping each entry's line number for error messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

LINE_KEY = "__line__"


class ReferenceFileError(ValueError):
    """A reference file is wrong; the message names the file, the line and what to fix."""


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        mapping[LINE_KEY] = node.start_mark.line + 1
        return mapping


def load_entries(path: Path, key: str) -> list[dict[str, Any]]:
    """The list under `key` in a YAML file, each entry a dict with its line number."""
    try:
        with path.open(encoding="utf-8") as handle:
            document = yaml.load(handle, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except FileNotFoundError as exc:
        raise ReferenceFileError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise ReferenceFileError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        raise ReferenceFileError(f"{path}: expected a top-level '{key}:' list")
    entries: list[dict[str, Any]] = document[key]
    for entry in entries:
        if not isinstance(entry, dict):
            raise ReferenceFileError(f"{path}: every item under '{key}' must be a mapping")
    return entries


def where(path: Path, entry: dict[str, Any]) -> str:
    return f"{path.name}:{entry.get(LINE_KEY, '?')}"


def required(path: Path, entry: dict[str, Any], field: str, kind: type = str) -> Any:
    value = entry.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ReferenceFileError(f"{where(path, entry)}: '{field}' is required")
    if not isinstance(value, kind):
        raise ReferenceFileError(f"{where(path, entry)}: '{field}' must be a {kind.__name__}, not {value!r}")
    return value
