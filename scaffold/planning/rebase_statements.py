"""The statement half of a distribution's rebase (`qscaffold compat rebase`): what
upstream's X.Y options functions set besides their compat arrays (s390x CPU features,
zPCI properties, `max_threads`, `enforce_amd_1tb_hole`...), for each release from the
old base up to before the new one, carried into each family's newest downstream type.

A statement is placed when it stands alone: the declarations it uses come along (a
`static GlobalProperty compat[]`, `S390CcwMachineClass *s390mc`), and the downstream
options neither declare the same name otherwise, nor call the same function, nor set
the same field themselves.  Where it goes follows the downstream function's own order:
declarations after its declarations (then a blank line), a `compat_props_add` before its
first one, a field's assignment after its last assignment, anything else last.  A
statement that does not stand alone is listed with file:line for a person; one the
vendor declined (.qscaffold/declined.toml) is said with its reason; one already there
is skipped.  Upstream's own bookkeeping is not carried: the chain call, its compat
arrays (the array half copies their entries) and the alias and default resets.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from tree_sitter import Node

from scaffold.reading.machines import RESETS as _RESETS
from scaffold.planning.functions import Function, param_type
from scaffold.reading.cmatch import param_names, assigned_field
from scaffold.planning.plan import Edit
from scaffold.reading import csyntax
from scaffold.reading.declined import Declined, normalized
from scaffold.reading.machine_types import VendorFamily
from scaffold.reading.families import FAMILIES, FamilySpec
from scaffold.reading.tree import QemuTree, SourceFile
from scaffold.version import Version

_UPSTREAM_ARRAY = re.compile(r"(hw|pc)_compat_\d+_\d+\Z")


@dataclass(eq=False, repr=False)
class Statements:
    """What the statement half found: edits, and lines for the user."""

    edits: list[Edit] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)       # for a person, with file:line
    declined: list[str] = field(default_factory=list)


def plan_statements(tree: QemuTree, families: list[VendorFamily], old_base: Version,
                    new_base: Version, declined: Declined) -> Statements:
    out = Statements()
    for family in families:
        spec = next((s for s in FAMILIES if s.name == family.spec.upstream), None)
        if spec is None or not (tree.root / family.spec.file).is_file():
            continue
        _family(tree.file(family.spec.file), family, spec, old_base, new_base, declined, out)
    return out


@dataclass(eq=False, repr=False)
class _Target:
    """One downstream options function and what is placed in it."""

    fn: Function
    present: set[str]              # the family's statements (and callees'), normalized
    decls: dict[str, str]          # name -> its declaration, normalized
    family_decls: dict[str, set[str]]   # name -> the family's declarations of it
    called: set[str]
    assigned: set[str]
    new_decls: list[tuple[int, str, bytes]] = field(default_factory=list)   # (at, name, lines)
    carried: set[str] = field(default_factory=set)   # what this run placed, normalized
    placed: list[tuple[int, bytes]] = field(default_factory=list)


def _family(file: SourceFile, family: VendorFamily, spec: FamilySpec, old_base: Version,
            new_base: Version, declined: Declined, out: Statements) -> None:
    data = file.data
    functions = csyntax.functions(file.full_tree.root_node)
    wanted = _upstream_region(data, spec, old_base, new_base)
    if wanted is not None:   # upstream's functions, where `#if 0` may hide them
        hidden = csyntax.functions(csyntax.parse_everything(data, wanted).root_node)
        functions = {**hidden, **functions}
    newest = family.newest
    targets: dict[str, _Target] = {}
    for name in newest.options:
        node = functions.get(name)
        params = param_names(node) if node is not None else []
        if node is not None and len(params) == 1:
            targets[param_type(node)] = _target(data, Function(node, name, params[0]), functions,
                                                family)
    upstream = []
    for fn_name, node in functions.items():
        name = fn_name or ""
        for kind in spec.kinds:
            m = kind.match(name)
            if m and old_base <= Version(int(m["major"]), int(m["minor"])) < new_base:
                upstream.append((Version(int(m["major"]), int(m["minor"])), name, node))
    for _, name, node in sorted(upstream, key=lambda u: u[0], reverse=True):
        params = param_names(node)
        target = targets.get(param_type(node))
        if target is None or len(params) != 1:
            continue
        _carry(data, file.rel, spec, Function(node, name, params[0]), target, declined, out)
    for target in targets.values():
        out.edits += _edits(file, family, target)


_DEFINITION = re.compile(rb"^(?:static\s+)?void\s+(\w+)\s*\([^;{]*\)\s*\{", re.M)


def _upstream_region(data: bytes, spec: FamilySpec, old_base: Version,
                     new_base: Version) -> tuple[int, int] | None:
    """The bytes holding upstream's options functions of the releases carried: from the
    first definition to the end of the last (found by name, no parse)."""
    spans = []
    for m in _DEFINITION.finditer(data):
        name = csyntax.utf8(m.group(1))
        found = next((k.match(name) for k in spec.kinds if k.match(name)), None)
        if found and old_base <= Version(int(found["major"]), int(found["minor"])) < new_base:
            end = data.find(b"\n}", m.end())
            spans.append((m.start(), len(data) if end < 0 else end + 3))
    if not spans:
        return None
    return min(s for s, _ in spans), min(len(data), max(e for _, e in spans))


def _target(data: bytes, fn: Function, functions: dict[str | None, Node],
            family: VendorFamily) -> _Target:
    """The function, with what the family's types already set: a statement an older
    type carries was carried by an earlier rebase (or this one, before a bump)."""
    todo = [functions[n] for t in family.types for n in t.options if n in functions]
    present, seen = set(), set()
    family_decls: dict[str, set[str]] = {}
    while todo:   # the options, and the functions of the file they call (the base)
        node = todo.pop()
        body = node.child_by_field_name("body")
        if body is None or node.id in seen:
            continue
        seen.add(node.id)
        for s in body.named_children:
            present.add(normalized(csyntax.utf8(data[s.start_byte:s.end_byte])))
            for name in csyntax.declared_names(s):
                family_decls.setdefault(name, set()).add(present_key(data, s))
            call = csyntax.macro_call(s)
            if call is not None and call[0] in functions:
                todo.append(functions[call[0]])
    decls = {name: normalized(csyntax.utf8(data[d.start_byte:d.end_byte]))
             for d in fn.declarations() for name in csyntax.declared_names(d)}
    called = {c[0] for s in fn.statements() for c in [csyntax.macro_call(s)] if c}
    assigned = {a for s in fn.statements() for a in [assigned_field(s)] if a}
    return _Target(fn, present, decls, family_decls, called, assigned)


def present_key(data: bytes, node: Node) -> str:
    return normalized(csyntax.utf8(data[node.start_byte:node.end_byte]))


def _carry(data: bytes, rel: str, spec: FamilySpec, up: Function, target: _Target,
           declined: Declined, out: Statements) -> None:
    decls = {name: d for d in up.declarations() for name in csyntax.declared_names(d)}
    for statement in up.statements():
        if statement.type == "declaration" or _bookkeeping(statement, spec):
            continue
        text = re.sub(rf"\b{up.param}\b", target.fn.param,
                      csyntax.utf8(data[statement.start_byte:statement.end_byte]))
        key = normalized(text)
        where = f"{rel}:{statement.start_point[0] + 1}"
        first = text.split("\n")[0].strip()
        if key in target.carried:
            continue
        if key in target.present:
            out.done.append(f"{target.fn.name} has {up.name}'s `{first}`")
            continue
        no = declined.find(up.name, text)
        if no is not None:
            out.declined.append(f"{where}: {up.name}'s `{first}`: {no.reason} "
                                f"({declined.path}:{no.line})")
            continue
        used = [n for n in (csyntax.utf8(i.text or b"") for i in csyntax.identifiers(statement))
                if n in decls]
        why = _conflict(data, statement, used, decls, target)
        if why:
            out.left.append(f"{where}: {up.name}'s `{first}` not carried into "
                            f"{target.fn.name}: {why}")
            continue
        for name in used:
            if name not in target.decls and name not in {n for _, n, _ in target.new_decls}:
                target.new_decls.append((decls[name].start_byte, name,
                                         csyntax.lines_of(data, decls[name])))
        line = re.sub(rf"\b{up.param}\b", target.fn.param,
                      csyntax.utf8(csyntax.lines_of(data, statement)))
        target.placed.append((_place(data, statement, target.fn), line.encode()))
        target.carried.add(key)


def _bookkeeping(statement: Node, spec: FamilySpec) -> bool:
    """Upstream's chain call, its compat arrays and its alias/default resets."""
    call = csyntax.macro_call(statement)
    if call is not None:
        name, node = call
        if any(k.match(name) for k in spec.kinds) or name in spec.base_options:
            return True
        args = node.child_by_field_name("arguments")
        named = args.named_children if args is not None else []
        if name == "compat_props_add" and len(named) > 1 and \
                _UPSTREAM_ARRAY.match(csyntax.utf8(named[1].text or b"")):
            return True
    return assigned_field(statement) in _RESETS


def _conflict(data: bytes, statement: Node, used: list[str], decls: dict[str, Node],
              target: _Target) -> str | None:
    """Why the statement does not stand alone in the target, or None."""
    for name in used:
        theirs = present_key(data, decls[name])
        if target.family_decls.get(name, {theirs}) != {theirs}:
            return f"the family declares its own {name}"
    call = csyntax.macro_call(statement)
    if call is not None and call[0] in target.called and call[0] != "compat_props_add":
        return f"it calls {call[0]}() itself"
    assigned = assigned_field(statement)
    if assigned is not None and assigned in target.assigned:
        return f"it sets {assigned} itself"
    return None


def _place(data: bytes, statement: Node, fn: Function) -> int:
    """Where in `fn` the statement goes, by the function's own order."""
    statements = [s for s in fn.statements() if s.type != "declaration"]
    call = csyntax.macro_call(statement)
    if call is not None and call[0] == "compat_props_add":
        first = next((s for s in statements if (c := csyntax.macro_call(s)) and
                      c[0] == "compat_props_add"), None)
        if first is not None:
            return csyntax.line_start(data, first.start_byte)
    if assigned_field(statement) is not None:
        last = [s for s in statements if assigned_field(s) is not None]
        if last:
            return csyntax.line_end(data, last[-1].end_byte)
    return fn.end_of_body(data)


def _edits(file: SourceFile, family: VendorFamily, target: _Target) -> list[Edit]:
    data, fn, edits = file.data, target.fn, []
    if target.new_decls:
        new = sorted(target.new_decls)   # in upstream's order
        text = b"".join(lines for _, _, lines in new)
        mine = fn.declarations()
        if mine:
            at = csyntax.line_end(data, mine[-1].end_byte)
        else:
            statements = fn.statements()
            # above the first statement and the comments that belong to it
            first = fn.body.named_children[0] if statements else None
            at = csyntax.line_start(data, first.start_byte) if first is not None \
                else fn.end_of_body(data)
            text += b"\n" if statements or target.placed else b""
        names = ", ".join(n for _, n, _ in new)
        edits.append(Edit(file.rel, at, at, text, f"{fn.name}: declare {names}", family.name))
    for at, line in target.placed:
        edits.append(Edit(file.rel, at, at, line,
                          f"{fn.name}: {csyntax.utf8(line).strip().splitlines()[0]}",
                          family.name))
    return edits
