"""A distribution's own compat arrays (hw_compat_rhel_9_1, pc_rhel_9_0_compat) and the
upstream entries copied into them: each copy sits under a comment naming the upstream
array it came from (`/* hw_compat_rhel_8_5 from hw_compat_6_0 */`, the vendor's
`[arrays] comment`).  `compat rebase` writes and corrects such copies; the vendor claims
checks read which upstream release each of the vendor's releases equals from them."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tree_sitter import Node

from scaffold.reading import compat_arrays, csyntax
from scaffold.reading.cmatch import declaration_parts
from scaffold.reading.families import VendorArrays
from scaffold.reading.qom.entries import Entry, array_entries
from scaffold.reading.tree import QemuTree


@dataclass(eq=False, repr=False)
class VendorArray:
    """A vendor array of the tree: its name, release, file, initializer and entries."""

    name: str
    version: tuple[int, int]
    rel: str
    line: int
    start: int           # the definition, with the comment lines right above it
    init: Any
    entries: list[tuple[Entry, Any]]


Copy = tuple[Entry, Node, VendorArray]


def read_vendor_arrays(tree: QemuTree, arrays: VendorArrays, prefix: str) -> list[VendorArray]:
    """The vendor's arrays of a prefix, in the files holding upstream's arrays."""
    pattern = arrays.pattern(prefix)
    if pattern is None:
        return []
    out = []
    files = sorted({p.file.rel for p in compat_arrays.all_pairs(tree, extern=False)})
    for rel in files:
        file = tree.file(rel)
        code = file.code
        for node in csyntax.top_level(file.full_tree.root_node):
            if node.type != "declaration":
                continue
            kind, declared = declaration_parts(node, code)
            for name, is_array, init in declared:
                m = pattern.match(name)
                if kind != "GlobalProperty" or not is_array or m is None or init is None:
                    continue
                line = node.start_point[0] + 1
                out.append(VendorArray(name, (int(m.group("major")), int(m.group("minor"))), rel,
                                       line, with_comment(file.data, node.start_byte), init,
                                       array_entries(name, rel, line, init, code)))
    return out


def all_vendor_arrays(tree: QemuTree, arrays: VendorArrays) -> list[VendorArray]:
    """Every prefix's vendor arrays, read once per tree."""
    key = ("vendor-arrays", arrays.vendor)
    if key not in tree.memo:
        tree.memo[key] = [a for prefix in sorted(arrays.names)
                          for a in read_vendor_arrays(tree, arrays, prefix)]
    return list(tree.memo[key])


def copies_by_source(tree: QemuTree, ours: list[VendorArray], arrays: VendorArrays
                     ) -> dict[str, list[Copy]]:
    """The vendor's entries by the upstream array their comment says they came from
    (`/* hw_compat_rhel_8_5 from hw_compat_6_0 */` above the entry)."""
    before, _, after = arrays.comment.partition("{upstream}")
    pattern = re.compile(re.escape(before).replace(re.escape("{array}"), r"\w+") + r"(\w+)" +
                         re.escape(after))
    out: dict[str, list[Copy]] = {}
    for array in ours:
        data = tree.file(array.rel).data
        previous = array.init.start_byte
        for entry, node in array.entries:
            found = pattern.findall(csyntax.utf8(data[previous:node.start_byte]))
            if found:
                out.setdefault(found[-1], []).append((entry, node, array))
            previous = node.end_byte
    return out


def with_comment(data: bytes, start: int) -> int:
    """The start of a definition with the comment lines right above it."""
    at = csyntax.line_start(data, start)
    while at > 0:
        before = csyntax.line_start(data, at - 1)
        line = data[before:at].strip()
        if not (line.startswith((b"/*", b"*", b"//")) or line.endswith(b"*/")) or not line:
            break
        at = before
    return at
