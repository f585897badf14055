"""tree-sitter-c helpers: parse C, walk top-level items, count parse errors.

QEMU registers machine types with top-level macro calls (`DEFINE_VIRT_MACHINE(10, 2)`
with no `;`, `DEFINE_CCW_MACHINE(7_2, "7.2", true);`) that are not valid C. tree-sitter
marks them with a MISSING `;` or an ERROR node.  Those are the grammar's blind spot for
macros, not defects: `syntax_errors` leaves out errors inside a top-level call of an
upper-case macro, so that "no more errors than before" compares real mistakes.
"""
from __future__ import annotations

import bisect
import re
from functools import lru_cache
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # tree_sitter itself is imported at the first parse
    from tree_sitter import Language, Node, Parser, Tree

_MACRO_NAME = re.compile(rb"[A-Z][A-Z0-9_]*\Z")
_CONTAINERS = {"preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef"}


@lru_cache(maxsize=1)
def _language() -> Language:   # imported at the first parse: `prove`, `--help`, `--explain` never parse
    import tree_sitter_c
    from tree_sitter import Language

    return Language(tree_sitter_c.language())


@lru_cache(maxsize=1)
def _parser() -> Parser:
    from tree_sitter import Parser

    return Parser(_language())


def parse(data: bytes, old_tree: Tree | None = None, region: tuple[int, int] | None = None,
          anchor: tuple[int, int] = (0, 0)) -> Tree:
    """Parse C.  With `old_tree` (already told of the edits) only the changed parts are
    re-parsed; with `region` (start, end) only those bytes are (offsets stay the file's);
    `anchor` is a known (offset, row) at or before the region, to count lines from."""
    if IF_0.search(data):
        data = blank_disabled(data)
    parser = _parser()
    if region is not None:
        from tree_sitter import Parser, Point, Range

        start, end = region
        points = points_of(data, [start, end], anchor)
        parser = Parser(_language())
        parser.included_ranges = [Range(Point(*points[start]), Point(*points[end]), start, end)]
    return parser.parse(data, old_tree) if old_tree is not None else parser.parse(data)


# `#if 0` at the start of a line: code the preprocessor drops (downstream forks keep
# upstream's machine types there); _DIRECTIVE: the conditionals that nest around it.
IF_0 = re.compile(rb"^[ \t]*#[ \t]*if[ \t]+0\b", re.M)
_DIRECTIVE = re.compile(rb"^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b[^\n]*\n?", re.M)


@lru_cache(maxsize=64)
def disabled_spans(data: bytes) -> tuple[tuple[int, int], ...]:
    """(start, end) of the lines that `#if 0` compiles out: from after the `#if 0` line to
    its `#else`, `#elif` or `#endif` (the directives themselves stay).  Asked of the same
    files by every reader: computed once per content."""
    if not IF_0.search(data):
        return ()
    out, depth, start = [], 0, None
    for m in _DIRECTIVE.finditer(data):
        word = m.group(1)
        if start is None:
            if word == b"if" and IF_0.match(m.group()):
                start, depth = m.end(), 0
        elif word in (b"if", b"ifdef", b"ifndef"):
            depth += 1
        elif word == b"endif" and depth:
            depth -= 1
        elif depth == 0 and word in (b"else", b"elif", b"endif"):
            out.append((start, m.start()))
            start = None
    if start is not None:
        out.append((start, len(data)))
    return tuple(out)


# every byte but a newline turned to a space: offsets and lines kept
_BLANK = bytes(b if b == 10 else 32 for b in range(256))


def blank_disabled(data: bytes) -> bytes:
    """`data` with what `#if 0` compiles out turned to spaces, newlines kept: offsets and
    lines stay the file's, and code that never compiles (a brace missing there) is no
    parse error, as it is none for the compiler."""
    out = bytearray(data)
    for start, end in disabled_spans(data):
        out[start:end] = data[start:end].translate(_BLANK)
    return bytes(out)


# C's string and character literals: they can hold `/*`, `//` or a brace that is no code
_LITERAL = rb'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
_LITERALS = re.compile(_LITERAL)
# ...so they come first: a comment is what starts outside one
_COMMENTS = re.compile(_LITERAL + rb'|(/\*.*?\*/|//(?:[^\n\\]|\\\n?)*)', re.S)


def blank_comments(data: bytes) -> bytes:
    """`data` with every comment turned to spaces, newlines kept (as the preprocessor
    drops them before anything is compiled): what is read from it is code, and offsets
    and lines stay the file's.  Strings and character constants are left alone."""
    if b"/*" not in data and b"//" not in data:
        return data

    def blank(m: re.Match[bytes]) -> bytes:
        comment: bytes | None = m.group(1)
        return comment.translate(_BLANK) if comment is not None else m.group(0)
    return _COMMENTS.sub(blank, data)




def unbalanced_brace(data: bytes) -> int | None:
    """The offset of a brace that has no partner in the code the compiler sees (comments,
    strings and `#if 0` left out): the outermost `{` never closed (a file cut short, a
    function left open), or a `}` that closes nothing.  None when they all pair up.
    tree-sitter's errors cannot tell this apart from a macro it does not know."""
    if data.count(b"{") == data.count(b"}"):
        return None   # the usual case, decided without reading the code (a millisecond
        #               less per file; a brace in a comment balancing a missing one is absurd)
    code = _LITERALS.sub(lambda m: b"\0" * len(m.group()),
                         blank_comments(blank_disabled(data)))
    stack = []
    for m in re.finditer(rb"[{}]", code):
        if m.group() == b"{":
            stack.append(m.start())
        elif stack:
            stack.pop()
        else:
            return m.start()
    return stack[0] if stack else None


def points_of(data: bytes, offsets: list[int],
              anchor: tuple[int, int] = (0, 0)) -> dict[int, tuple[int, int]]:
    """(row, column) of byte offsets, as tree-sitter counts them.  Lines are counted once
    for all of them, from `anchor` (offset, row) when it comes before them all (files run
    to 160 KB; counting their lines costs more than re-parsing an edited region)."""
    out, (pos, row) = {}, anchor
    if offsets and min(offsets) < pos:
        pos, row = 0, 0
    for offset in sorted(set(offsets)):
        row += data.count(b"\n", pos, offset)
        out[offset] = (row, offset - line_start(data, offset))
        pos = offset
    return out


def region_anchor(tree: Tree) -> tuple[int, int]:
    """(offset, row) where the parsed region of `tree` starts: edits inside the region
    leave it where it is, so a re-parse can count lines from there."""
    first = tree.included_ranges[0]
    return first.start_byte, first.start_point[0]


def top_level(root: Node) -> Iterator[Node]:
    """Top-level items, looking inside #if/#ifdef blocks."""
    for node in root.children:
        if node.type in _CONTAINERS:
            yield from top_level(node)
        else:
            yield node


def statement_expr(node: Node, kind: str) -> Node | None:
    """The expression of an expression statement when it is of type `kind`, else None."""
    if node.type != "expression_statement" or not node.named_children:
        return None
    expr = node.named_children[0]
    return expr if expr.type == kind else None


def descendants(node: Node) -> Iterator[Node]:
    """`node` and every node below it (depth first, without recursion)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.children)


def descendants_in_order(node: Node) -> Iterator[Node]:
    """`node` and every node below it, in the file's order."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def identifiers(node: Node) -> Iterator[Node]:
    """Every identifier node below `node`."""
    return (n for n in descendants(node) if n.type == "identifier")


def utf8(data: bytes) -> str:
    """C files are bytes: text taken from them never fails to decode (U+FFFD instead)."""
    return data.decode("utf-8", "replace")


def text(node: Node) -> bytes:
    """A node's bytes (tree-sitter types them as optional: a parsed node always has them)."""
    return node.text or b""


def child(node: Node, name: str) -> Node:
    """The child a node of its kind always has (an assignment's `left`, an if's
    `condition`); a tree without it is a bug of the caller's matching."""
    found = node.child_by_field_name(name)
    if found is None:
        raise ValueError(f"a {node.type} without its {name} at byte {node.start_byte}")
    return found


def parent(node: Node) -> Node:
    """The parent of a node that is not the root."""
    if node.parent is None:
        raise ValueError(f"a {node.type} without a parent at byte {node.start_byte}")
    return node.parent


def declared_names(node: Node) -> list[str]:
    """The names a declaration (or function definition) declares: `a`, `b` and `c` of
    `int a, *b = &x, c[2];`, `f` of `static void f(void) {...}`; none for other nodes."""
    if node.type not in ("declaration", "function_definition"):
        return []
    out = []
    for first in node.children_by_field_name("declarator"):
        declarator: Node | None = first
        while declarator is not None and declarator.type != "identifier":
            declarator = declarator.child_by_field_name("declarator")
        if declarator is not None:
            out.append(utf8(declarator.text or b""))
    return out


def macro_call(node: Node) -> tuple[str, Node] | None:
    """(name, call node) when `node` is a statement calling a function or macro, else None."""
    call = statement_expr(node, "call_expression")
    if call is None:
        return None
    fn = call.child_by_field_name("function")
    if fn is None or fn.type != "identifier":
        return None
    return utf8(fn.text or b""), call


def split_args(text: str) -> list[str]:
    """Split a macro's argument text (without the parentheses) at top-level commas."""
    if not any(ch in text for ch in "\"'()[]{}"):   # nothing nests: every comma splits
        return [a.strip() for a in text.split(",")] if text else []
    return [text[start:end] for start, end in comma_spans(text)] if text else []


def call_arg_spans(data: bytes, start: int, end: int) -> list[tuple[int, int]]:
    """The byte spans of a call's arguments (`NAME(a, "b", f(c))` from NAME to `)`),
    blanks around each left out."""
    open_at = data.index(b"(", start)
    inner = data[open_at + 1:end - 1].decode("latin-1")
    return [(open_at + 1 + s, open_at + 1 + e) for s, e in comma_spans(inner)]


def comma_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each top-level comma-separated part of a call's argument text,
    blanks around each left out: the one splitter of C arguments (a string or character
    literal, with its escapes, and brackets nest).  Bytes are split as their latin-1
    text, whose offsets are theirs."""
    spans, depth, quote, begin = [], 0, "", 0
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            spans.append((begin, i))
            begin = i + 1
        i += 1
    spans.append((begin, len(text)))
    return [(start + len(text[start:end]) - len(text[start:end].lstrip()),
             end - (len(text[start:end]) - len(text[start:end].rstrip())))
            for start, end in spans]


def syntax_errors(tree: Tree) -> list[tuple[int, str]]:
    """(line, kind) of each parse error, leaving out those inside top-level macro calls."""
    if not tree.root_node.has_error:
        return []
    tolerated = []
    for node in top_level(tree.root_node):
        called = macro_call(node)
        if called and _MACRO_NAME.match(called[0].encode()):
            tolerated.append((node.start_byte, node.end_byte))
    starts = [s for s, _ in tolerated]
    found = []

    def visit(node: Node) -> None:
        if not node.has_error:
            return
        if node.type == "ERROR" or node.is_missing:
            # top-level calls do not overlap and come in file order: one bisection
            i = bisect.bisect_right(starts, node.start_byte) - 1
            if not (i >= 0 and node.end_byte <= tolerated[i][1]):
                found.append((node.start_point[0] + 1, "missing " + node.type if node.is_missing else "error"))
            if node.is_missing:
                return
        for child in node.children:
            visit(child)

    visit(tree.root_node)
    return found


def line_start(data: bytes, offset: int) -> int:
    return data.rfind(b"\n", 0, offset) + 1


def line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


@lru_cache(maxsize=8192)
def c_string(literal: str) -> str:
    """The text of a C string literal (`"a\\"b"` -> `a"b`); concatenated literals joined.
    Kept: effective compat reads the same entries for every machine type (36,000 calls
    for Ubuntu 22.04's 73 types)."""
    parts = _STRING.findall(literal)
    return "".join(_ESCAPE.sub(r"\1", p) for p in parts) if "\\" in literal else "".join(parts)


_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
_ESCAPE = re.compile(r"\\(.)")


def functions(root: Node) -> dict[str | None, Node]:
    """The file's top-level function definitions by name (inside #if blocks too)."""
    return {function_name(n): n for n in top_level(root) if n.type == "function_definition"}


def function_name(node: Node) -> str | None:
    """The name a function_definition defines (None for odd declarators)."""
    decl = node.child_by_field_name("declarator")
    while decl is not None and decl.type == "pointer_declarator":
        decl = decl.child_by_field_name("declarator")
    if decl is None or decl.type != "function_declarator":
        return None
    ident = decl.child_by_field_name("declarator")
    return utf8(ident.text or b"") if ident is not None and ident.type == "identifier" else None


def line_end(data: bytes, offset: int) -> int:
    """The offset after the newline that ends the line holding `offset`."""
    eol = data.find(b"\n", offset)
    return len(data) if eol < 0 else eol + 1


def lines_of(data: bytes, node: Node) -> bytes:
    """The whole lines a node sits on, newline included."""
    return data[line_start(data, node.start_byte):line_end(data, node.end_byte)]


def parse_everything(data: bytes, region: tuple[int, int] | None = None) -> Tree:
    """Parse C as written, what `#if 0` compiles out included (a downstream tree keeps
    upstream's machine types there; a rebase reads them); with `region`, only those
    bytes (offsets stay the file's)."""
    if region is None:
        return _parser().parse(data)
    from tree_sitter import Parser, Point, Range

    start, end = region
    points = points_of(data, [start, end])
    parser = Parser(_language())
    parser.included_ranges = [Range(Point(*points[start]), Point(*points[end]), start, end)]
    return parser.parse(data)
