"""Matchers for the compat arrays: `GlobalProperty hw_compat_A_B[]` definitions with their
`_len`, and the matching `extern` pairs in the headers."""
from __future__ import annotations

from dataclasses import dataclass

from typing import TYPE_CHECKING, Any

import re

from scaffold.errors import ScaffoldError
from scaffold.reading import csyntax
from scaffold.reading.qom.entries import Entry, array_entries
from scaffold.reading.tree import ARRAY_DEF, ARRAY_EXTERN, QemuTree, SourceFile
from scaffold.version import Version

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

_NAME = re.compile(r"(hw|pc)_compat_(\d+)_(\d+)(_len)?\Z")
ARRAY_NAME = re.compile(r"(hw|pc)_compat_\d+_\d+\Z")


@dataclass(eq=False, repr=False)
class ArrayPair:
    """A compat array with its `_len` (a definition, or the two extern lines)."""

    file: SourceFile
    prefix: str
    version: Version
    start: int          # the array's declaration
    end: int            # end of the `_len` declaration
    len_name: str | None
    extern: bool
    node: Any           # the array's declaration node

    @property
    def name(self) -> str:
        return f"{self.prefix}_compat_{self.version.underscored}"

    @property
    def line(self) -> int:
        return self.file.line(self.start)


def _declared(node: Node) -> str | None:
    decl = node.child_by_field_name("declarator")
    while decl is not None and decl.type in ("init_declarator", "array_declarator", "pointer_declarator"):
        decl = decl.child_by_field_name("declarator")
    return csyntax.utf8(decl.text or b"") if decl is not None and decl.type == "identifier" else None


def read_pairs(file: SourceFile, extern: bool) -> list[ArrayPair]:
    """Array/`_len` pairs in file order (definitions, or `extern` declarations)."""
    file.refuse_if_cut()
    cache = file.memo.setdefault("pairs", {})
    if extern not in cache:
        cache[extern] = _read_pairs(file, extern)
    pairs: list[ArrayPair] = cache[extern]
    return pairs


_LEN_DEF = re.compile(rb"\nconst\s+size_t\s+(?:hw|pc)_compat_\d+_\d+_len\s*=[^;]*;[^\n]*\n")
_LEN_EXTERN = re.compile(rb"\nextern\s+const\s+size_t\s+(?:hw|pc)_compat_\d+_\d+_len\s*;[^\n]*\n")


def _syntax_tree(file: SourceFile, extern: bool) -> Tree:
    """The pairs sit together (machine.c and pc.c, boards.h and pc.h): parse just that
    stretch, unless the file is already parsed in a way that covers it."""
    first = (ARRAY_EXTERN if extern else ARRAY_DEF).search(file.data)
    ends = [m.end() for m in (_LEN_EXTERN if extern else _LEN_DEF).finditer(file.data)]
    if not (first and ends and ends[-1] > first.start()):
        return file.full_tree
    file.parse_only(first.start(), ends[-1])
    region = file.region
    if region is None or (region[0] <= first.start() and ends[-1] <= region[1]):
        return file.tree
    return file.full_tree   # parsed for something else (a family in the same file)


def _read_pairs(file: SourceFile, extern: bool) -> list[ArrayPair]:
    tree = _syntax_tree(file, extern)
    pairs = _pairs_in(file, extern, tree)
    if _missing(file, extern, pairs) and tree is not file.full_tree:
        tree = file.full_tree   # the stretch parsed was too short (arrays without `_len`)
        pairs = _pairs_in(file, extern, tree)
    missing = _missing(file, extern, pairs)
    if missing:   # arrays never vanish silently (see _missing)
        _orphan_length(file, extern, pairs)
        errors = csyntax.syntax_errors(tree)
        raise ScaffoldError(f"compat array {'declarations' if extern else 'definitions'} "
                            f"cannot all be read ({missing}): a C syntax error, e.g. a deleted "
                            "line, hides them; fix the file first", path=file.rel,
                            line=errors[0][0] if errors else None)
    return pairs


def _pairs_in(file: SourceFile, extern: bool, tree: Tree) -> list[ArrayPair]:
    nodes = [n for n in csyntax.top_level(tree.root_node) if n.type == "declaration"]
    pairs = []
    for i, node in enumerate(nodes):
        is_extern = any(c.type == "storage_class_specifier" and c.text == b"extern" for c in node.children)
        name = _declared(node)
        m = _NAME.match(name or "")
        if not m or m.group(4) or is_extern != extern:
            continue
        after = nodes[i + 1] if i + 1 < len(nodes) else None
        len_name = _declared(after) if after is not None else None
        paired = after is not None and len_name == f"{name}_len"
        pairs.append(ArrayPair(file, m.group(1), Version(int(m.group(2)), int(m.group(3))),
                               node.start_byte, after.end_byte if after is not None and paired else node.end_byte,
                               len_name if paired else None, extern, node))
    return pairs


def _missing(file: SourceFile, extern: bool, pairs: list[ArrayPair]) -> str:
    """What the text holds but the syntax tree did not give: a deleted
    `GlobalProperty hw_compat_4_2[] = {` line makes the parser swallow the arrays after it,
    whose externs would then look stale.  Empty when everything was read."""
    arrays = len((ARRAY_EXTERN if extern else ARRAY_DEF).findall(file.data))
    lens = len((_LEN_EXTERN if extern else _LEN_DEF).findall(b"\n" + file.data))
    if arrays <= len(pairs) and lens <= sum(1 for p in pairs if p.len_name):
        return ""
    return f"{arrays} arrays and {lens} lengths in the text, {len(pairs)} read"


_LEN_NAME = re.compile(rb"\n(?:extern\s+)?const\s+size_t\s+((?:hw|pc)_compat_\d+_\d+)_len\b")


def _orphan_length(file: SourceFile, extern: bool, pairs: list[ArrayPair]) -> None:
    """A `_len` whose array is not there (its definition renamed or deleted, its extern
    line deleted) is said by name, rather than as a count of what could not be read."""
    read = {p.name for p in pairs}
    for m in _LEN_NAME.finditer(b"\n" + file.data):
        name = m.group(1).decode()
        is_extern = m.group(0).lstrip().startswith(b"extern")
        if is_extern != extern or name in read:
            continue
        line = file.line(m.start())   # the "\n" prepended makes m.start() the line's start
        if extern:
            raise ScaffoldError(f"{name} is not declared: `extern GlobalProperty {name}[];` is "
                                f"missing before {name}_len; put it back", path=file.rel,
                                line=line)
        raise ScaffoldError(f"{name}_len counts {name}, which is defined nowhere (its "
                            "definition was renamed or deleted); put it back", path=file.rel,
                            line=line)


def all_pairs(tree: QemuTree, extern: bool) -> list[ArrayPair]:
    files = tree.array_externs if extern else tree.array_defs
    return [p for rel in files for p in read_pairs(tree.file(rel), extern)]


def separator_after(pairs: list[ArrayPair], first: ArrayPair) -> bytes:
    """The spacing the file puts between two pairs (copied, not assumed)."""
    same = [p for p in pairs if p.file is first.file and p.start >= first.end]
    return first.file.data[first.end:same[0].start] if same else b"\n\n"


def entry_nodes(pair: ArrayPair) -> tuple[Any, list[tuple[Entry, Any]]]:
    """The array's initializer node, and its entries with the node of each (compat add
    writes beside them), read by the one entry reader (reading/qom/entries.py)."""
    init = pair.node.child_by_field_name("declarator").child_by_field_name("value")
    return init, array_entries(pair.name, pair.file.rel, pair.line, init, pair.file.code)
