"""The entries of every GlobalProperty array a machine type applies: hw_compat_*,
pc_compat_*, and the local arrays of options functions (spapr's, s390x's) and boards
(pc_piix_compat_defaults, arm_virt_compat...).  Read with tree-sitter with the rest of
a file's QOM facts (facts.py), and cached with them."""
from __future__ import annotations

import re
from typing import Any, NamedTuple, Protocol

from tree_sitter import Node

from scaffold.reading import csyntax


class _Entries(Protocol):
    """What read_entries needs of the model (model.py imports this module)."""

    entries: list[tuple[Any, ...]]

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_ARRAY = re.compile(r"\bGlobalProperty\s+(\w+)\s*\[\s*\]\s*=")


# (array, line, driver, property, value, optional, array line): cached as plain data
RawEntry = tuple[str, int, str, str, str, bool, int]


class Entry(NamedTuple):
    array: str
    path: str
    line: int
    driver: str        # as written: "virtio-blk-device", TYPE_X86_CPU, "qemu64" "-" TYPE_X86_CPU
    prop: str          # as written
    value: str
    optional: bool
    array_line: int    # where the array starts: local arrays share names (pnv's phb_compat)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def text(self) -> str:
        return f"{{ {self.driver}, {self.prop}, {self.value} }}"


def read_entries(model: _Entries) -> list[Entry]:
    """Every entry of every GlobalProperty array under hw/ (from the model's cached facts)."""
    return sorted((Entry(*e) for e in model.entries if e[1].startswith("hw/")),
                  key=lambda e: (e.path, e.line))


def entries_in(root_node: Node) -> list[RawEntry]:
    """(array, line, driver, property, value, optional) of a file's GlobalProperty arrays."""
    out: list[RawEntry] = []
    stack = [root_node]
    while stack:
        node = stack.pop()
        if node.type == "declaration":
            text = csyntax.utf8(node.text or b"")
            m = _ARRAY.search(text)
            if m:
                out += _items(m.group(1), text, node.start_point[0] + 1)
                continue
        stack.extend(reversed(node.children))
    return out


def _items(array: str, text: str, first: int) -> list[RawEntry]:
    body = text.split("=", 1)[1]
    clean = _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), body)
    line = first + text[:len(text) - len(body)].count("\n")   # where the body starts
    out = []
    depth, start, start_line = 0, None, line
    for i, ch in enumerate(clean):   # one pass, lines counted as it goes (linear)
        if ch == "\n":
            line += 1
        elif ch == "{":
            depth += 1
            if depth == 2:
                start, start_line = i, line
        elif ch == "}":
            if depth == 2 and start is not None:
                entry = _entry(clean[start + 1:i])
                if entry is not None:
                    out.append((array, start_line, *entry, first))
            depth -= 1
    return out


def _entry(item: str) -> tuple[str, str, str, bool] | None:
    parts = csyntax.split_args(item)
    fields: dict[str, str] = {}
    positional = []
    for part in parts:
        m = re.match(r"\s*\.(\w+)\s*=\s*(.*)", part, re.S)
        if m:
            fields[m.group(1)] = m.group(2).strip()
        elif part.strip():
            positional.append(" ".join(part.split()))
    driver = fields.get("driver", positional[0] if positional else "")
    prop = fields.get("property", positional[1] if len(positional) > 1 else "")
    value = fields.get("value", positional[2] if len(positional) > 2 else "")
    if not driver or not prop:
        return None
    return driver, prop, value, fields.get("optional", "false") == "true"
