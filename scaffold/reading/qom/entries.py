"""The entries of every GlobalProperty array a machine type applies: hw_compat_*,
pc_compat_*, and the local arrays of options functions (spapr's, s390x's) and boards
(pc_piix_compat_defaults, arm_virt_compat...).  Read with tree-sitter with the rest of
a file's QOM facts (facts.py), and cached with them."""
from __future__ import annotations

import re
from typing import NamedTuple

from scaffold.reading import csyntax

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_ARRAY = re.compile(r"\bGlobalProperty\s+(\w+)\s*\[\s*\]\s*=")


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


def read_entries(model) -> list[Entry]:
    """Every entry of every GlobalProperty array under hw/ (from the model's cached facts)."""
    return sorted((Entry(*e) for e in model.entries if e[1].startswith("hw/")),
                  key=lambda e: (e.path, e.line))


def entries_in(root_node) -> list[tuple]:
    """(array, line, driver, property, value, optional) of a file's GlobalProperty arrays."""
    out: list[tuple] = []
    stack = [root_node]
    while stack:
        node = stack.pop()
        if node.type == "declaration":
            text = csyntax.utf8(node.text)
            m = _ARRAY.search(text)
            if m:
                out += _items(m.group(1), text, node.start_point[0] + 1)
                continue
        stack.extend(reversed(node.children))
    return out


def _items(array: str, text: str, first: int) -> list[tuple]:
    body = text.split("=", 1)[1]
    clean = _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), body)
    offset = len(text) - len(body)
    out = []
    depth, start = 0, None
    for i, ch in enumerate(clean):
        if ch == "{":
            depth += 1
            if depth == 2:
                start = i
        elif ch == "}":
            if depth == 2 and start is not None:
                item = clean[start + 1:i]
                entry = _entry(item)
                if entry is not None:
                    line = first + text[:offset + start].count("\n")
                    out.append((array, line, *entry, first))
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
