"""The names a C file sees through the tree's own headers it includes, directly or through
other headers (`qemu/osdep.h` included): macros, types, enumerators, functions and
variables declared at the top of each header.  System headers (`<...>`) are not read."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from scaffold.reading import csyntax

if TYPE_CHECKING:
    from tree_sitter import Node

_NAMED = {"preproc_def": "name", "preproc_function_def": "name"}
_MAX_HEADERS = 2000   # a bound, not a limit met in practice (10.2's hw/arm/virt.c: ~400)


def _header_path(root: Path, including: str, name: str) -> str | None:
    """The tree-relative path `#include "name"` means in `including`, if in the tree."""
    for base in ("include", os.path.dirname(including), ""):
        rel = os.path.normpath(os.path.join(base, name)).replace(os.sep, "/")
        if not rel.startswith("..") and (root / rel).is_file():
            return rel
    return None


def _names_and_includes(data: bytes) -> tuple[set[str], list[str]]:
    root = csyntax.parse(data).root_node
    names: set[str] = set()
    includes: list[str] = []
    for node in csyntax.top_level(root):
        if node.type == "preproc_include":
            path = node.child_by_field_name("path")
            if path is not None and path.type == "string_literal":
                includes.append(csyntax.c_string(csyntax.utf8(path.text or b"")))
        elif node.type in _NAMED:
            name = node.child_by_field_name(_NAMED[node.type])
            if name is not None:
                names.add(csyntax.utf8(name.text or b""))
        else:
            names.update(csyntax.declared_names(node))
            for sub in _walk(node):
                if sub.type in ("enumerator", "type_definition"):
                    field = "name" if sub.type == "enumerator" else "declarator"
                    for named in sub.children_by_field_name(field):
                        if named.type in ("identifier", "type_identifier"):
                            names.add(csyntax.utf8(named.text or b""))
    return names, includes


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if n.type not in ("compound_statement", "function_definition"):
            stack.extend(n.children)


def visible_names(root: Path, rel: str, data: bytes) -> set[str]:
    """Every name the tree's headers that `rel` includes (transitively) declare."""
    seen: set[str] = set()
    names: set[str] = set()
    _, pending = _names_and_includes(data)
    queue = [(rel, inc) for inc in pending]
    while queue and len(seen) < _MAX_HEADERS:
        including, name = queue.pop()
        header = _header_path(root, including, name)
        if header is None or header in seen:
            continue
        seen.add(header)
        try:
            text = (root / header).read_bytes()
        except OSError:
            continue
        found, more = _names_and_includes(text)
        names |= found
        queue += [(header, inc) for inc in more]
    return names
