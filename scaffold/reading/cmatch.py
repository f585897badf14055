"""Matchers for C syntax nodes, in LibCST's manner: what to find is said as a pattern
(a call to one of these functions, the designated fields of an initializer, the items
of an initializer list with the `#if` lines around them); what is done with a match is
the caller's business.

Text is read from a `Code`: the file's bytes with comments blanked (offsets kept), so a
commented-out call or field is never a match, while the syntax tree is the one of the
file as it is (tree-sitter's recovery from a macro it cannot parse depends on what is
there).

How C is read, everywhere in qscaffold: a statement, a declaration, a call or an
initializer is read from the syntax tree, through these matchers and csyntax's walkers.
Regular expressions over a file's bytes stay for three things only, each said where it
is written (tests/test_layers.py holds the modules to it):
- preprocessor lines, which tree-sitter leaves as text: `#define` bodies (facts.py,
  effective.py, lifecycle.py, the checklist's deprecation macros), `#include` lines,
  `#if 0` spans (csyntax.py);
- pre-parse filters: which files matter (tree.py's roles), where a word, a registration
  or a family's first version is (registrations.py, machines.py, search.py, retire's
  follow-ups), which stretch of a file to parse (compat_arrays.py, rebase_statements.py),
  and cross-checks that the syntax tree gave every item the text holds (a deleted brace
  must not make arrays or registrations vanish silently);
- lexical scans: identifiers, comments and string literals, whitespace and line ends.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

from tree_sitter import Node

from scaffold.reading import csyntax

_UPPER = re.compile(r"[A-Z][A-Z0-9_]*")   # a macro's name (a QOM cast's)
_DIRECTIVE = re.compile(r"^[ \t]*#[ \t]*(?P<d>if|ifdef|ifndef|elif|else|endif)\b[^\n]*", re.M)


class Code:
    """A file's code, comments blanked: the text of its nodes."""

    def __init__(self, data: bytes) -> None:
        self.bytes = csyntax.blank_comments(data)

    def text(self, node: Node) -> str:
        return csyntax.utf8(self.bytes[node.start_byte:node.end_byte])

    def between(self, start: int, end: int) -> str:
        return csyntax.utf8(self.bytes[start:end])


class Call(NamedTuple):
    """A match of `calls()`: the callee's name, its argument nodes, the call's node."""

    name: str
    args: list[Node]
    node: Node


def callee(call: Node) -> str:
    """The name a call_expression calls ("" for `(*fn)(...)` and other expressions)."""
    fn = call.child_by_field_name("function")
    return csyntax.utf8(fn.text or b"") if fn is not None and fn.type == "identifier" else ""


def arguments(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    return [a for a in args.named_children if a.type != "comment"] if args is not None else []


def macro_arguments(call: Node, code: Code) -> list[str]:
    """A macro's arguments as text, split at the top-level commas: a macro's argument
    need not be an expression (`struct AVRTimer16State`), which tree-sitter would split
    into ERROR nodes."""
    args = call.child_by_field_name("arguments")
    if args is None:
        return []
    return csyntax.split_args(code.text(args).strip()[1:-1].strip())


def calls(node: Node, wanted: Callable[[str], bool]) -> Iterator[Call]:
    """Every call below `node` whose callee's name `wanted` accepts, in the file's order."""
    for n in csyntax.descendants_in_order(node):
        if n.type == "call_expression":
            name = callee(n)
            if name and wanted(name):
                yield Call(name, arguments(n), n)


def calls_named(root: Node, data: bytes, name: str) -> Iterator[Call]:
    """As `calls(root, named(name))`, in the file's order, found where the name's bytes are
    (a pre-parse filter) and asked of the syntax tree there: a file's 100,000 nodes are
    not walked for a few calls (a RHEL file's compat_props_add, 0.1 s a check)."""
    word = name.encode()
    at = data.find(word)
    while at >= 0:
        node = root.descendant_for_byte_range(at, at + len(word))
        call = node.parent if node is not None else None
        if node is not None and call is not None and node.type == "identifier" and \
                csyntax.text(node) == word and call.type == "call_expression" and \
                call.child_by_field_name("function") == node:
            yield Call(name, arguments(call), call)
        at = data.find(word, at + len(word))


def named(*names: str) -> Callable[[str], bool]:
    chosen = frozenset(names)
    return chosen.__contains__


def prefixed(prefix: str) -> Callable[[str], bool]:
    return lambda name: name.startswith(prefix)


def elements(init: Node, code: Code) -> Iterator[Node]:
    """The items of an initializer list, in order.  tree-sitter does not know the
    preprocessor: an item beside an `#if` line may be recovered inside an ERROR node, or
    glued to the directive's expression (`#if VERSION >= 0x0107` then `DEFINE_PROP_...`
    parses as one comparison); such an item is found below the node that holds it."""
    for child in init.named_children:
        if child.type in ("comment", "preproc_directive", "preproc_arg"):
            continue
        if child.type == "ERROR" or _on_directive_line(code, child):
            yield from elements(child, code)
        else:
            yield child


def conditioned(init: Node, code: Code) -> Iterator[tuple[Node, tuple[str, ...]]]:
    """(item, the `#if` lines around it) for each item of an initializer list.  The
    directives are preprocessor lines between the items: read as lines, not as C."""
    stack: list[str] = []
    previous = init.start_byte + 1
    for item in elements(init, code):
        for m in _DIRECTIVE.finditer(code.between(previous, item.start_byte)):
            line, d = m.group(0).strip(), m.group("d")
            if d in ("if", "ifdef", "ifndef"):
                stack.append(line)
            elif d in ("elif", "else") and stack:
                stack[-1] = line
            elif d == "endif" and stack:
                stack.pop()
        previous = item.end_byte
        yield item, tuple(stack)


def _on_directive_line(code: Code, node: Node) -> bool:
    start = code.bytes.rfind(b"\n", 0, node.start_byte) + 1
    return code.bytes[start:node.start_byte].lstrip().startswith(b"#")


def designated(init: Node, code: Code) -> dict[str, Node]:
    """`.field = value` of an initializer list: field -> the value's node."""
    out: dict[str, Node] = {}
    for item in elements(init, code):
        if item.type != "initializer_pair":
            continue
        designator = item.child_by_field_name("designator")
        value = item.child_by_field_name("value")
        if designator is not None and designator.type == "field_designator" and value is not None:
            out[code.text(designator).lstrip(".").strip()] = value
    return out


def pairs_below(node: Node, code: Code, field: str) -> Iterator[Node]:
    """The values of every `.field = value` at any depth below `node`."""
    for n in csyntax.descendants(node):
        if n.type == "initializer_pair":
            designator = n.child_by_field_name("designator")
            value = n.child_by_field_name("value")
            if designator is not None and value is not None and \
                    code.text(designator).lstrip(".").strip() == field:
                yield value


def strings_below(node: Node, code: Code) -> list[str]:
    """The C strings below `node`, in order (concatenated literals joined)."""
    return [csyntax.c_string(code.text(n)) for n in csyntax.descendants_in_order(node)
            if n.type in ("string_literal", "concatenated_string")
            and (n.parent is None or n.parent.type != "concatenated_string")]


def declaration_parts(node: Node, code: Code) -> tuple[str, list[tuple[str, bool, Node | None]]]:
    """(type, [(name, is an array, initializer node)]) of a declaration:
    `static const TypeInfo foo_types[] = {...}` is ("TypeInfo", [("foo_types", True, {...})])."""
    kind = node.child_by_field_name("type")
    out = []
    for top in node.children_by_field_name("declarator"):
        value = None
        declarator: Node | None = top
        if top.type == "init_declarator":
            value = top.child_by_field_name("value")
            declarator = top.child_by_field_name("declarator")
        array = False
        while declarator is not None and declarator.type != "identifier":
            array = array or declarator.type == "array_declarator"
            declarator = declarator.child_by_field_name("declarator")
        if declarator is not None:
            out.append((code.text(declarator), array, value))
    return (code.text(kind) if kind is not None else ""), out


def assigned_field(statement: Node) -> str | None:
    """The field an expression statement assigns (`desc` of `m->desc = "...";`)."""
    expr = csyntax.statement_expr(statement, "assignment_expression")
    left = expr.child_by_field_name("left") if expr is not None else None
    if left is None or left.type != "field_expression":
        return None
    name = left.child_by_field_name("field")
    return csyntax.utf8(name.text or b"") if name is not None else None


def assigned_value(statement: Node) -> str:
    """The right-hand side of an assignment statement, as written ("" for others)."""
    expr = csyntax.statement_expr(statement, "assignment_expression")
    right = expr.child_by_field_name("right") if expr is not None else None
    return csyntax.utf8(right.text or b"") if right is not None else ""


class ClassCast(NamedTuple):
    """`PCMachineClass *pcmc = PC_MACHINE_CLASS(m);`: a local declared from a QOM cast."""

    type: str    # PCMachineClass
    var: str     # pcmc
    cast: str    # PC_MACHINE_CLASS(m), as written


def class_cast(node: Node) -> ClassCast | None:
    """The declaration `T *var = CAST(...);` alone (no qualifier, one declarator, the value
    a call of an upper-case macro), else None."""
    if node.type != "declaration":
        return None
    kind = node.child_by_field_name("type")
    declarators = node.children_by_field_name("declarator")
    if kind is None or kind.type != "type_identifier" or len(declarators) != 1 or \
            any(c.type in ("storage_class_specifier", "type_qualifier") for c in node.children):
        return None
    init = declarators[0]
    pointer = init.child_by_field_name("declarator") if init.type == "init_declarator" else None
    value = init.child_by_field_name("value") if init.type == "init_declarator" else None
    var = pointer.child_by_field_name("declarator") if pointer is not None and \
        pointer.type == "pointer_declarator" else None
    if var is None or var.type != "identifier" or value is None or \
            value.type != "call_expression" or not _UPPER.fullmatch(callee(value)):
        return None
    return ClassCast(csyntax.utf8(csyntax.text(kind)), csyntax.utf8(csyntax.text(var)),
                     csyntax.utf8(csyntax.text(value)))


def field_assignments(node: Node) -> Iterator[tuple[str, Node]]:
    """(field, value node) of every `x->field = value` at or below `node`, in file order
    (both branches of an `#ifdef` a statement includes)."""
    for n in csyntax.descendants_in_order(node):
        if n.type != "assignment_expression":
            continue
        left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
        name = left.child_by_field_name("field") if left is not None and \
            left.type == "field_expression" else None
        if name is not None and right is not None:
            yield csyntax.utf8(csyntax.text(name)), right


def param_names(fn: Node) -> list[str]:
    """The names of a function definition's parameters."""
    out = []
    for n in csyntax.descendants_in_order(fn.child_by_field_name("declarator") or fn):
        if n.type == "parameter_declaration":
            decl = n.child_by_field_name("declarator")
            while decl is not None and decl.type != "identifier":
                decl = decl.child_by_field_name("declarator")
            if decl is not None:
                out.append(csyntax.utf8(decl.text or b""))
    return out
