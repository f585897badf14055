"""The one shape of qscaffold's JSON (docs/json.md): every command prints one object with
a top-level integer "schema" and its "command"; a place in the tree is always
{"path": ..., "line": ...} under "location" (null when there is none); nothing is an
empty string where it means "none" (null)."""
from __future__ import annotations

import re
from typing import Any

SCHEMA = 1
_WHERE = re.compile(r"(?P<path>[^\s:]+?)(?::(?P<line>\d+))?: (?P<message>.*)", re.S)


def document(command: str, **fields: Any) -> dict[str, Any]:
    return {"schema": SCHEMA, "command": command, **fields}


def location(path: str | None, line: int | None = None) -> dict[str, Any] | None:
    return {"path": path, "line": line} if path else None


def located(text: str) -> dict[str, Any]:
    """A "file:line: message" line of prose as {"location", "message"}."""
    m = _WHERE.fullmatch(text)
    if m is None or "/" not in m["path"] and "." not in m["path"]:
        return {"location": None, "message": text}
    return {"location": location(m["path"], int(m["line"]) if m["line"] else None),
            "message": m["message"]}


def where(text: str) -> dict[str, Any] | None:
    """"hw/virtio/virtio-blk.c:1234" as a location."""
    path, _, line = str(text).rpartition(":")
    if path and line.isdigit():
        return location(path, int(line))
    return location(str(text)) if text else None
