"""Remove top-level items from a C file: whole functions, registrations, declarations,
with the comments attached to them, keeping the blank-line rhythm of the file, and then
everything file-local that only the removed code used.

QEMU builds development trees with -Wall -Werror: a `static` function left without a
caller breaks the build.  So after the chosen items go, every `static` function or
variable and every `#define` of a .c file that was referenced before but is referenced
no more goes too, until nothing changes.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from scaffold.planning.plan import Edit
from scaffold.errors import ScaffoldError
from scaffold.reading import csyntax
from scaffold.reading.tree import SourceFile

if TYPE_CHECKING:
    from tree_sitter import Node

_IDENT = re.compile(rb"[A-Za-z_]\w*")


def identifiers(data: bytes) -> Counter[bytes]:
    return Counter(_IDENT.findall(data))


def defined_name(node: Node, is_header: bool) -> bytes | None:
    """The name a file-local top-level item defines (static function or variable, or a
    macro of a .c file), else None."""
    if node.type in ("preproc_def", "preproc_function_def") and not is_header:
        name = node.child_by_field_name("name")
        return name.text if name is not None else None
    if node.type not in ("function_definition", "declaration"):
        return None
    if not any(c.type == "storage_class_specifier" and c.text == b"static" for c in node.children):
        return None
    decl = node.child_by_field_name("declarator")
    while decl is not None and decl.type in ("init_declarator", "pointer_declarator",
                                             "array_declarator", "function_declarator"):
        decl = decl.child_by_field_name("declarator")
    return decl.text if decl is not None and decl.type == "identifier" else None


def _attached_comments(nodes: list[Node], chosen: set[int], data: bytes) -> set[int]:
    """Comments right above a removed item (no blank line between) go with it."""
    out = set(chosen)
    for i in sorted(chosen, reverse=True):
        j = i - 1
        while j >= 0 and nodes[j].type == "comment" and j not in out and \
                data[nodes[j].end_byte:nodes[j + 1].start_byte].count(b"\n") <= 1:
            out.add(j)
            j -= 1
    return out


def plan_removal(file: SourceFile, spans: list[tuple[int, int]], what: str,
                 family: str | None = None, keep: frozenset[str] | set[str] = frozenset()
                 ) -> tuple[list[Edit], list[bytes]]:
    """Edits removing the top-level items that lie within `spans`, the comments attached
    to them, and the file-local definitions only they used.  `keep` names definitions
    used in ways the text does not show (options functions that a registration macro
    names by token pasting).  Returns the edits and the names pruned as unused."""
    data = file.data
    root = file.full_tree.root_node
    nodes = list(csyntax.top_level(root))
    chosen = {i for i, n in enumerate(nodes)
              if any(s <= n.start_byte and n.end_byte <= e for s, e in spans)}
    for s, e in spans:   # read from a parse of part of the file, hidden in the whole one
        if not any(s <= nodes[i].start_byte and nodes[i].end_byte <= e for i in chosen):
            errors = csyntax.syntax_errors(file.full_tree)
            raise ScaffoldError(f"cannot {what}: a C syntax error in the file hides it; fix "
                                "the file first", path=file.rel,
                                line=errors[0][0] if errors else file.line(s), family=family)
    is_header = file.rel.endswith(".h")
    before = identifiers(data)
    ids: dict[int, Counter[bytes]] = {}

    def own_ids(i: int) -> Counter[bytes]:
        if i not in ids:
            ids[i] = identifiers(data[nodes[i].start_byte:nodes[i].end_byte])
        return ids[i]

    candidates = [(i, name) for i, n in enumerate(nodes)
                  for name in [defined_name(n, is_header)] if name and csyntax.utf8(name) not in keep]
    pruned: list[bytes] = []
    while True:
        chosen = _attached_comments(nodes, chosen, data)
        kept = before.copy()
        for i in chosen:
            kept.subtract(own_ids(i))
        more = set()
        for i, name in candidates:
            if i in chosen:
                continue
            own = own_ids(i)[name]
            if before[name] > own and kept[name] <= own:   # used before, by removed code only
                more.add(i)
                pruned.append(name)
        if not more:
            break
        chosen |= more
    return _edits(file, nodes, chosen, what, family), pruned


def _edits(file: SourceFile, nodes: list[Node], chosen: set[int], what: str,
           family: str | None) -> list[Edit]:
    """One edit per run of consecutive removed items: from the end of the item kept before
    the run to the end of the run, so that the spacing after it stays as it was."""
    data = file.data
    edits = []
    i = 0
    while i < len(nodes):
        if i not in chosen:
            i += 1
            continue
        j = i
        while j + 1 < len(nodes) and j + 1 in chosen and nodes[j + 1].parent == nodes[i].parent:
            j += 1
        start, end = nodes[i].start_byte, nodes[j].end_byte
        prev_end = nodes[i - 1].end_byte if i > 0 else None
        if prev_end is not None and data[prev_end:start].strip() == b"" and \
                nodes[i - 1].parent == nodes[i].parent:
            start = prev_end
        else:   # first item of the file or of an #if block: take its lines and the blanks after
            start = csyntax.line_start(data, start)
            m = re.compile(rb"[ \t]*(?:\r?\n[ \t]*)*(?:\r?\n)").match(data, end)
            end = m.end() if m else end
        edits.append(Edit(file.rel, start, end, b"", what, family))
        i = j + 1
    return edits
