"""Class fields that no remaining machine type sets, removed in the commit of the machine
type that set them last, as upstream does (`smc->rma_limit`, `vmc->no_ged`...).

The field goes when every use is mechanical: its declaration in the class struct, its
assignment in the class's own class_init (the function its `TypeInfo` names beside
`.class_size = sizeof(TheClass)`: the value every remaining machine type now gets; none:
the zero of a zero-initialised class), and readers of the forms `if (F) {...}`, `if (!F)`,
`else if` chains, `F && x` / `F || x` in a condition, `F ? a : b` and `return F;`, folded
with that value.  Any other writer keeps the field, versioned or not (isapc, xenfv,
microvm... under any #ifdef), and so does any other form: a follow-up with file:line,
never an edit, never advice to remove a field something still sets."""
from __future__ import annotations

import re
from enum import Enum
from typing import TYPE_CHECKING, NamedTuple

from scaffold.planning.plan import Edit, splice
from scaffold.reading import csyntax
from scaffold.reading.machines import function_name
from scaffold.reading.cmatch import callee, designated
from scaffold.reading.tree import QemuTree, SourceFile

if TYPE_CHECKING:
    from tree_sitter import Node

_FALSE = {"false", "0", "NULL", "0x0"}
_TRUE = {"true", "1"}


class Why(Enum):
    """Why a field a retirement frees stays in the code."""

    STILL_SET = "still set"            # a kept machine type's options, or other code, sets it
    STILL_WRITTEN = "still written"    # code writes it at run time
    NOT_ONE_VALUE = "not one value"    # its setters disagree, or set no constant
    NOT_ONE_FIELD = "not one field"    # its declaration declares others too
    READER_NOT_FOLDED = "reader not folded"   # a reader of a form the tool does not fold
    LEAVES_UNUSED = "leaves unused"    # folding its readers leaves a name unused
    FOLDED_TWICE = "folded twice"      # one reader is folded for another field of the step

    @property
    def alive(self) -> bool:
        """The field still does something: it stays, and is no follow-up to remove."""
        return self in (Why.STILL_SET, Why.STILL_WRITTEN, Why.NOT_ONE_VALUE, Why.NOT_ONE_FIELD)


class Kept(NamedTuple):
    why: Why
    text: str   # for a person, with file:line


class Removal(NamedTuple):
    """The edits removing one field, or why it stays."""

    edits: list[Edit]
    value: str | None = None      # the value its readers were folded with
    reason: Kept | None = None    # why it stays (a follow-up)


def plan_field(tree: QemuTree, type_: str, name: str, paths: list[str],
               removed: list[Edit]) -> Removal:
    """Remove `type_::name` from the files in `paths` (those that mention it), given the
    edits of the machine step that removes its last setter."""
    gone = {(e.path, e.start, e.end) for e in removed}
    uses: list[tuple[str, Node]] = []
    declarations: list[tuple[str, Node]] = []
    word = re.compile(rb"\b" + re.escape(name.encode()) + rb"\b")
    for rel in paths:   # found as text, then asked of the syntax tree (files run to 160 KB)
        file = tree.file(rel)
        root = file.full_tree.root_node
        for m in word.finditer(file.data):
            if any(p == rel and s <= m.start() < e for p, s, e in gone):
                continue
            node = root.descendant_for_byte_range(m.start(), m.end())
            node = node.parent if node is not None and node.type == "field_identifier" else None
            if node is None:
                continue
            if node.type == "field_expression" and _field(node) == name:
                uses.append((rel, node))
            elif node.type == "field_declaration" and name in _declared(node) and \
                    _struct_name(node) == type_:
                declarations.append((rel, node))
    if len(declarations) != 1 or len(_declared(declarations[0][1])) != 1:
        return Removal([], reason=Kept(Why.NOT_ONE_FIELD, "its declaration is not one field alone"))
    setters: list[tuple[str, Node]] = []
    readers: list[tuple[str, Node]] = []
    for rel, node in uses:
        (setters if _assigned(node) else readers).append((rel, node))
    for rel, node in readers:
        if _written(node):   # `x->f |= ...`, `x->f++`, `&x->f`: written at run time
            return Removal([], reason=Kept(Why.STILL_WRITTEN, "still written in "
                                           f"{_function_name(node) or 'code'} "
                                           f"({rel}:{node.start_point[0] + 1})"))
    values = []
    for rel, node in setters:
        fn = _enclosing_function_of(node)
        if fn is None or not _is_class_init_of(tree.file(rel), fn, type_):
            name = (function_name(fn) if fn is not None else None) or "code"
            return Removal([], reason=Kept(Why.STILL_SET, f"still set in {name} "
                                           f"({rel}:{node.start_point[0] + 1})"))
        right = node.parent.child_by_field_name("right") if node.parent is not None else None
        values.append(csyntax.utf8(right.text or b"") if right is not None else "")
    decl_rel, decl = declarations[0]
    type_node = decl.child_by_field_name("type")
    kind = csyntax.utf8(type_node.text or b"") if type_node is not None else ""
    value = values[0] if values else ("false" if kind == "bool" else "0")
    if len(set(values)) > 1 or value not in _FALSE | _TRUE:
        return Removal([], reason=Kept(Why.NOT_ONE_VALUE, "its value is not one constant "
                                       f"({', '.join(values)})"))
    edits = [_delete_lines(tree, decl_rel, decl, f"remove {type_}::{name}")]
    edits += [_delete_lines(tree, rel, _grandparent(node), f"remove the {name} assignment")
              for rel, node in setters]
    folds = [(rel, node, _fold(tree, rel, node, value in _TRUE, value)) for rel, node in readers]
    done = [f for _, _, f in folds if isinstance(f, Edit)]

    def inside(rel: str, start: int, end: int, other: Edit | None = None) -> bool:
        """Within what another fold removes or rewrites (a reader in a dropped branch)."""
        return any(e is not other and e.path == rel and e.start <= start and end <= e.end and
                   (e.start, e.end) != (start, end) for e in done)

    for rel, node, fold in folds:
        if isinstance(fold, str):
            if inside(rel, node.start_byte, node.end_byte):
                continue
            return Removal([], reason=Kept(Why.READER_NOT_FOLDED, f"{fold} "
                                           f"({rel}:{node.start_point[0] + 1}); remove it by hand"))
        if not inside(rel, fold.start, fold.end, fold) and fold not in edits:
            edits.append(fold)
    for rel in sorted({e.path for e in edits}):
        more, unused = _unused_after(tree.file(rel).data, rel, [e for e in removed if e.path == rel],
                                     [e for e in edits if e.path == rel])
        if unused:
            return Removal([], reason=Kept(Why.LEAVES_UNUSED, f"folding its readers leaves "
                                           f"{unused} unused ({rel}); remove it by hand"))
        edits += more
    return Removal(edits, value)


_DECLARATOR = {"init_declarator", "declaration", "function_declarator", "pointer_declarator",
               "array_declarator", "parameter_declaration"}
# What may stand in the initializer of a local that goes with its last use: a literal or a
# name, or a QOM cast or class getter of plain names (`VIRT_MACHINE_GET_CLASS(vms)`).
_PLAIN = {"number_literal", "identifier", "true", "false", "null", "field_identifier"}
_PLAIN_CAST = _PLAIN | {"argument_list", "parenthesized_expression", "field_expression",
                        "call_expression", "(", ")", ",", "->"}


def _pure_initializer(decl: Node) -> bool:
    """Whether the one declarator of `decl` has no initializer, or one that can go with it
    (nothing is called but a QOM cast or class getter: an upper-case macro of names)."""
    [declarator] = decl.children_by_field_name("declarator")
    value = declarator.child_by_field_name("value") if declarator.type == "init_declarator" \
        else None
    if value is None:
        return True
    if value.type in _PLAIN or (value.type == "string_literal" and b" " not in csyntax.text(value)):
        return True
    if value.type == "unary_expression" and _operator(value) == "-":
        return csyntax.child(value, "argument").type == "number_literal"
    if value.type != "call_expression" or not re.fullmatch(r"[A-Z][A-Z0-9_]*", callee(value)):
        return False
    return all(n.type in _PLAIN_CAST for n in csyntax.descendants(value) if n != value)


def _unused_after(data: bytes, rel: str, others: list[Edit],
                  folds: list[Edit]) -> tuple[list[Edit], str | None]:
    """Names the folded code used that are now only declared (or only set): a local whose
    declaration can go with it (as upstream removes `vmc` with the last `vmc->field`), or
    the name that makes the field stay (-Werror refuses an unused local or static function,
    and a local that is set but never read).  Repeated until nothing more goes: removing
    `smc = SPAPR_MACHINE_GET_CLASS(spapr)` can leave `spapr` unused in its turn."""
    extra: list[Edit] = []
    while True:
        more, unused = _unused_once(data, rel, others, folds + extra)
        if unused is not None:
            return [], unused
        if not more:
            return extra, None
        extra += more


def _unused_once(data: bytes, rel: str, others: list[Edit],
                 folds: list[Edit]) -> tuple[list[Edit], str | None]:
    everything = sorted(others + folds, key=lambda e: e.start)
    shifts = []   # (end of an edit in the new text, how far it moved what follows)
    moved = 0
    for e in everything:
        moved += len(e.text) - (e.end - e.start)
        shifts.append((e.end + moved, moved))   # where it ends in the new text
    after = splice(data, everything)
    root = csyntax.parse(after).root_node
    extra: list[Edit] = []
    before = csyntax.parse(data).root_node

    def removal(start: int, end: int, what: str) -> None:
        back = ([m for end_new, m in shifts if end_new <= start] or [0])[-1]
        edit = Edit(rel, start - back, end - back, b"", what)
        if edit not in extra and not any(e.start < edit.end and edit.start < e.end for e in extra):
            extra.append(edit)

    for fold in folds:
        gone = {n.text or b"" for n in csyntax.descendants(before) if n.type == "identifier"
                and fold.start <= n.start_byte < fold.end} - \
            set(re.findall(rb"[A-Za-z_]\w*", fold.text))
        at = fold.start + sum(len(e.text) - (e.end - e.start) for e in everything
                              if e.end <= fold.start)
        scope = _enclosing_function(root, at) or root
        for name in sorted(gone):
            uses = [n for n in csyntax.descendants(scope) if n.type == "identifier" and n.text == name]
            if any(_parameter(n) for n in uses):
                continue   # an unused parameter is no warning
            local = any(n.parent is not None and n.parent.type in _DECLARATOR for n in uses)
            if not local:   # a file-level name: its remaining uses anywhere in the file
                uses = [n for n in csyntax.descendants(root) if n.type == "identifier" and n.text == name]
            declared = [n for n in uses if n.parent is not None and n.parent.type in _DECLARATOR]
            set_only = [n for n in uses if n not in declared and _set_statement(n) is not None]
            if not uses or len(declared) + len(set_only) != len(uses):
                continue   # still read
            if not local and not any(_static(n) for n in uses):
                continue   # an external function or variable: used elsewhere, or not
            decl = declared[0] if declared else None
            while decl is not None and decl.type != "declaration":
                decl = decl.parent
            names = csyntax.declared_names(decl) if decl is not None else []
            if decl is None or not (local and len(declared) == 1 and csyntax.utf8(name) in names
                                    and all(_side_effect_free(_set_statement(n)) for n in set_only)):
                return [], csyntax.utf8(name)
            what = f"remove the unused {csyntax.utf8(name)}"
            if names == [csyntax.utf8(name)] and _pure_initializer(decl):
                removal(*_line_span(after, decl), what)
            elif len(names) > 1 and (span := _declarator_span(decl, declared[0])) is not None:
                removal(*span, what)   # `unsigned facs, dsdt, fadt;` -> `unsigned facs, dsdt;`
            else:
                return [], csyntax.utf8(name)
            for n in set_only:   # `aml_len += ...;` feeding only it
                stmt = _set_statement(n)
                assert stmt is not None   # set_only holds set statements
                # the comment above goes too when it is about this statement alone (a blank
                # line or the block's end follows), not when it heads a group of statements
                follows = after[stmt.end_byte:after.find(b"\n", stmt.end_byte) + 2]
                alone = follows.startswith(b"\n\n") or not after[stmt.end_byte:].lstrip(b" \n")[:1] \
                    or after[stmt.end_byte:].lstrip(b" \n").startswith(b"}")
                removal(*_line_span(after, stmt, _comment_above(after, stmt) if alone else None),
                        what)
    return extra, None


def _declarator_span(decl: Node, ident: Node) -> tuple[int, int] | None:
    """The bytes that drop one declarator of several, with its comma; None when its
    initializer may have side effects."""
    items = [c for c in decl.children if c.type not in ("storage_class_specifier",
                                                        "type_qualifier")]
    target = ident
    while target.parent is not None and target.parent != decl:
        target = target.parent
    value = target.child_by_field_name("value")
    if value is not None and not _side_effect_free_expr(value):
        return None
    i = items.index(target)
    if i > 0 and items[i - 1].type == ",":
        return items[i - 1].start_byte, target.end_byte
    if i + 2 < len(items) and items[i + 1].type == ",":
        return target.start_byte, items[i + 2].start_byte
    return None


def _parameter(node: Node | None) -> bool:
    while node is not None and node.type in ("identifier", "pointer_declarator",
                                             "array_declarator", "function_declarator"):
        node = node.parent
    return node is not None and node.type == "parameter_declaration"


def _set_statement(node: Node) -> Node | None:
    """The statement `node = ...;` (or `node += ...;`...) when that is all `node` does there."""
    parent = node.parent
    if parent is not None and parent.type == "assignment_expression" and \
            parent.child_by_field_name("left") == node and parent.parent is not None and \
            parent.parent.type == "expression_statement":
        return parent.parent
    return None


def _side_effect_free(stmt: Node | None) -> bool:
    """Nothing but reads and arithmetic: no call, no assignment but the outer one, no ++."""
    right = stmt.named_children[0].child_by_field_name("right") if stmt is not None else None
    return right is not None and _side_effect_free_expr(right)


def _side_effect_free_expr(value: Node) -> bool:
    return not any(n.type in ("call_expression", "assignment_expression", "update_expression")
                   for n in csyntax.descendants(value))


def _comment_above(data: bytes, stmt: Node) -> Node:
    """The first of the comments right above `stmt` (no blank line between), or `stmt`."""
    first = stmt
    while first.prev_sibling is not None and first.prev_sibling.type == "comment" and \
            data.count(b"\n", first.prev_sibling.end_byte, first.start_byte) == 1:
        first = first.prev_sibling
    return first


def _static(node: Node | None) -> bool:
    """Whether the declaration or definition `node` names is `static`."""
    while node is not None and node.type not in ("declaration", "function_definition"):
        node = node.parent
    return node is not None and any(c.type == "storage_class_specifier" and c.text == b"static"
                                    for c in node.children)


def _enclosing_function(root: Node, offset: int) -> Node | None:
    for node in csyntax.top_level(root):
        if node.type == "function_definition" and node.start_byte <= offset < node.end_byte:
            return node
    return None


def _field(node: Node) -> str | None:
    field = node.child_by_field_name("field")
    return csyntax.utf8(field.text or b"") if field is not None else None


def _declared(node: Node) -> list[str]:
    return [csyntax.utf8(d.text or b"") for d in node.children_by_field_name("declarator")
            if d.type == "field_identifier"]


def _struct_name(node: Node | None) -> str | None:
    while node is not None and node.type != "struct_specifier":
        node = node.parent
    name = node.child_by_field_name("name") if node is not None else None
    return csyntax.utf8(name.text or b"") if name is not None else None


def _assigned(node: Node) -> bool:
    """`X->f = v;` as a statement of its own."""
    parent = node.parent
    return (parent is not None and parent.type == "assignment_expression"
            and parent.child_by_field_name("left") == node
            and _operator(parent) == "="
            and parent.parent is not None and parent.parent.type == "expression_statement")


def _operator(node: Node) -> str:
    op = node.child_by_field_name("operator")
    return csyntax.utf8(op.text or b"") if op is not None else ""


def _grandparent(node: Node) -> Node:
    """The statement of a field assigned as a statement of its own (`_assigned`)."""
    parent = node.parent
    grand = parent.parent if parent is not None else None
    assert grand is not None   # _assigned(node) holds
    return grand


def _enclosing_function_of(node: Node | None) -> Node | None:
    while node is not None and node.type != "function_definition":
        node = node.parent
    return node


def _function_name(node: Node) -> str | None:
    fn = _enclosing_function_of(node)
    return function_name(fn) if fn is not None else None


def _written(node: Node) -> bool:
    """A write other than `X->f = v;`: a compound assignment, ++/--, or its address taken."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "assignment_expression" and parent.child_by_field_name("left") == node:
        return True
    if parent.type == "update_expression":
        return True
    return parent.type == "pointer_expression" and _operator(parent) == "&"


def _is_class_init_of(file: SourceFile, fn: Node, type_: str) -> bool:
    """Whether `fn` is the class_init of the type whose class is `type_`: a `TypeInfo`
    initializer in the same file with `.class_init = fn` and `.class_size =
    sizeof(type_)`.  What it sets is what every machine type of the class starts from;
    any other function setting the field is a machine type (or code) that keeps it."""
    name = function_name(fn)
    for item in csyntax.top_level(file.full_tree.root_node):
        if item.type != "declaration":
            continue
        for declarator in item.children_by_field_name("declarator"):
            value = declarator.child_by_field_name("value")
            if value is None or value.type != "initializer_list":
                continue
            pairs = designated(value, file.code)
            size = pairs.get("class_size")
            init = pairs.get("class_init")
            if init is not None and init.type == "identifier" and csyntax.utf8(init.text or b"") == name \
                    and size is not None and size.type == "sizeof_expression" \
                    and _sizeof_type(size) == type_:
                return True
    return False


def _sizeof_type(node: Node) -> str | None:
    """`T` of `sizeof(T)`, for a plain type name."""
    inner = node.child_by_field_name("type") or node.child_by_field_name("value")
    while inner is not None and inner.type in ("type_descriptor", "parenthesized_expression") \
            and inner.named_child_count == 1:
        inner = inner.named_children[0]
    return csyntax.utf8(inner.text or b"") if inner is not None else None


def _line_span(data: bytes, node: Node, first: Node | None = None) -> tuple[int, int]:
    """From the start of the first line of `first` (default: the node) to after the node's
    last line.  A blank line next to it goes too where it would be left doubled, or
    against a brace."""
    start = csyntax.line_start(data, (first or node).start_byte)
    end = data.find(b"\n", node.end_byte)
    end = len(data) if end < 0 else end + 1
    blank_before = start > 1 and data[start - 2:start] == b"\n\n"
    next_line = data[end:data.find(b"\n", end) + 1 if data.find(b"\n", end) >= 0 else len(data)]
    if blank_before and (next_line == b"\n" or next_line.strip() == b"}"):
        start -= 1                     # `...;\n\n    if (F) {...}\n}`: no blank before `}`
    elif next_line == b"\n" and data[csyntax.line_start(data, start - 1):start].strip() == b"{":
        end += 1                       # `{\n    if (F) {...}\n\n`: none after `{`
    return start, end


def _delete_lines(tree: QemuTree, rel: str, node: Node, what: str) -> Edit:
    start, end = _line_span(tree.file(rel).data, node)
    return Edit(rel, start, end, b"", what)


def _simplify(node: Node, target: Node, truth: bool) -> tuple[bool | None, str | None] | None:
    """(True/False, None) or (None, residual text) for a condition in which `target`
    stands for a constant; None where the form is not one we fold."""
    if node == target:
        return truth, None
    if node.type == "parenthesized_expression" and node.named_child_count == 1:
        known, text = _simplify(node.named_children[0], target, truth) or (None, None)
        return None if known is None and text is None else (known, text and f"({text})")
    if node.type == "unary_expression" and _operator(node) == "!":
        inner = _simplify(csyntax.child(node, "argument"), target, truth)
        if inner is None:
            return None
        return (not inner[0], None) if inner[1] is None else (None, "!" + inner[1])
    if node.type == "binary_expression":
        op = _operator(node)
        if op in ("&&", "||"):
            left = _simplify(csyntax.child(node, "left"), target, truth)
            right = _simplify(csyntax.child(node, "right"), target, truth)
            if left is None or right is None:
                return None
            for side, other in ((left, right), (right, left)):
                if side[1] is None:   # a constant side decides, or leaves the other
                    if side[0] == (op == "||"):
                        return side[0], None
                    return other
            return None, f"{left[1]} {op} {right[1]}"
    if _contains(node, target):
        return None
    return None, csyntax.utf8(csyntax.text(node))


def _contains(node: Node, target: Node) -> bool:
    return node.start_byte <= target.start_byte and target.end_byte <= node.end_byte


def _fold(tree: QemuTree, rel: str, target: Node, truth: bool, value: str) -> Edit | str:
    """The edit folding the reader `target`, or why it cannot be folded."""
    top = target
    while top.parent is not None and top.parent.type in (
            "parenthesized_expression", "unary_expression", "binary_expression"):
        top = top.parent
    context = csyntax.parent(top)
    data = tree.file(rel).data
    if context.type == "return_statement" and top == target:
        return Edit(rel, target.start_byte, target.end_byte, value.encode(),
                    f"return {value} for {_field(target)}")
    simple = _simplify(top, target, truth)
    if simple is None:
        return "a reader of a form not folded"
    known, text = simple
    if context.type == "conditional_expression" and context.child_by_field_name("condition") == top:
        if known is None:
            return Edit(rel, top.start_byte, top.end_byte, (text or "").encode(),
                        "simplify a condition")
        branch = csyntax.child(context, "consequence" if known else "alternative")
        return Edit(rel, context.start_byte, context.end_byte, csyntax.text(branch), "fold a ?:")
    if context.type != "if_statement" or context.child_by_field_name("condition") != top:
        return "a reader of a form not folded"
    if known is None:   # the rest of the condition stays: `(F && x)` with F true is `(x)`
        text = text or ""
        inner = text[1:-1] if text.startswith("(") and text.endswith(")") else text
        return Edit(rel, top.start_byte + 1, top.end_byte - 1, inner.encode(),
                    "simplify a condition")
    return _fold_if(data, rel, context, known)


def _fold_if(data: bytes, rel: str, stmt: Node, known: bool) -> Edit | str:
    consequence = csyntax.child(stmt, "consequence")
    alternative = stmt.child_by_field_name("alternative")
    kept = consequence if known else (alternative.named_children[0] if alternative else None)
    clause = csyntax.parent(stmt)
    if clause.type == "else_clause":   # `} else if (F) {...}`
        if kept is not None:
            return Edit(rel, stmt.start_byte, stmt.end_byte, csyntax.text(kept), "fold an else-if")
        before = clause.prev_sibling
        assert before is not None   # an else follows its if's branch
        return Edit(rel, before.end_byte, clause.end_byte, b"", "drop an else-if")
    if kept is None:   # the comment right above it explains it: it goes too
        start, end = _line_span(data, stmt, _comment_above(data, stmt))
        return Edit(rel, start, end, b"", "drop an if")
    if kept.type == "if_statement":          # `if (F) {...} else if (x) {...}`, F false
        return Edit(rel, stmt.start_byte, stmt.end_byte, csyntax.text(kept), "fold an if")
    if kept.type != "compound_statement":
        return Edit(rel, stmt.start_byte, stmt.end_byte, csyntax.text(kept), "fold an if")
    body = [c for c in kept.named_children if c.type != "comment"]
    preceding = stmt.prev_named_sibling
    if any(c.type == "declaration" for c in body) and preceding is not None and \
            preceding.type not in ("declaration", "comment"):
        return "its branch declares variables among statements"
    start = csyntax.line_start(data, stmt.start_byte)
    indent = data[start:stmt.start_byte]
    inner = data[data.index(b"\n", kept.start_byte) + 1:csyntax.line_start(data, kept.end_byte - 1)]
    lines = inner.split(b"\n")
    step = _common_step(lines, indent)
    dedented = b"\n".join(line[step:] if line.strip() else line for line in lines)
    end = data.find(b"\n", stmt.end_byte)
    end = len(data) if end < 0 else end + 1
    return Edit(rel, start, end, dedented, "unwrap an if")


def _common_step(lines: list[bytes], indent: bytes) -> int:
    """How much deeper than the `if` its body is indented (4 in QEMU)."""
    depths = [len(line) - len(line.lstrip(b" \t")) for line in lines if line.strip()]
    return max(min(depths, default=len(indent)) - len(indent), 0)
