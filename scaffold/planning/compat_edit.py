"""`qscaffold compat add` and `compat machine-option`: changes made during a cycle go to
the last release's compat array or compat machines (the seed article's second half)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from scaffold.reading import compat_arrays, csyntax
from scaffold.reading.compat_arrays import ArrayPair
from scaffold.errors import ScaffoldError, UsageError
from scaffold.reading.machines import Family, read_families
from scaffold.planning.plan import Edit, Plan
from scaffold.reading.qom_types import TypeIndex
from scaffold.planning.templates import render
from scaffold.reading.tree import QemuTree


def _c_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class Entry:
    device: str      # as written in C
    property: str
    value: str
    node: object


def _entries(pair: ArrayPair) -> tuple[object, list[Entry]]:
    init = pair.node.child_by_field_name("declarator").child_by_field_name("value")
    out = []
    for child in init.named_children:
        if child.type == "initializer_list":
            items = [c.text.decode("utf-8", "replace") for c in child.named_children if c.type != "comment"]
            if len(items) >= 3:
                out.append(Entry(items[0], items[1], items[2], child))
    return init, out


def _style(entries: list[Entry]) -> dict:
    """The dominant spacing of existing entries: `{ "a", "b", "c" }` or `{"a", "b", "c"}`..."""
    votes = {"space_open": 0, "space_close": 0, "inner_comma": 0}
    for e in entries:
        text = e.node.text.decode("utf-8", "replace")
        votes["space_open"] += 1 if text.startswith("{ ") else -1
        votes["space_close"] += 1 if text.endswith(" }") else -1
        votes["inner_comma"] += 1 if re.search(r",\s*\}$", text) else -1
    if not entries:
        return {"space_open": True, "space_close": True, "inner_comma": False}
    last = entries[-1].node.text.decode("utf-8", "replace")   # a tie follows the newest entry
    tie = {"space_open": last.startswith("{ "), "space_close": last.endswith(" }"),
           "inner_comma": bool(re.search(r",\s*\}$", last))}
    return {k: v > 0 if v else tie[k] for k, v in votes.items()}


def newest_release(families: list[Family]):
    newest = max(f.newest.version for f in families)
    return newest, newest.prev()


def plan_compat_add(tree: QemuTree, device: str, prop: str, value: str, x86: bool = False,
                    force: bool = False, types: TypeIndex | None = None) -> Plan:
    families, _ = read_families(tree)
    newest, release = newest_release(families)
    prefix = "pc" if x86 else "hw"
    pairs = [p for p in compat_arrays.all_pairs(tree, extern=False) if p.prefix == prefix]
    target = next((p for p in pairs if p.version == release), None)
    if target is None:
        raise ScaffoldError(f"{prefix}_compat_{release.sym} does not exist: add the {newest.next()} "
                            f"machine types first (qscaffold bump {newest.next()})")
    types = types or TypeIndex.scan(tree.root)
    is_macro = re.fullmatch(r"TYPE_[A-Z0-9_]+", device) is not None
    name = types.resolve(device) if is_macro else device
    plan = Plan("compat add", release)
    if name is None or (not is_macro and name not in types.names):
        if not force:
            raise UsageError(f"unknown device type {device!r} (no #define TYPE_... or type "
                             "registration for it in the tree); --force adds it anyway")
        plan.notes.append(f"warning: {device} is not a type this tree declares (--force)")
        name = name or device
    if is_macro:
        header = types.macros[device][1]
        include = header.removeprefix("include/")
        if f'#include "{include}"'.encode() not in target.file.data and not header == target.file.rel:
            plan.notes.append(f"warning: {target.file.rel} does not include \"{include}\", "
                              f"which defines {device}")
    plan.notes += [f"warning: {advice}" for advice in types.advice(name)]

    init, entries = _entries(target)
    for e in entries:
        if types.resolve(e.device) == name and e.property == _c_string(prop):
            raise ScaffoldError(f"{target.name} already sets {name} {prop} (= {e.value})",
                                path=target.file.rel, line=e.node.start_point[0] + 1)
    for pair in pairs:
        if pair.version < release:
            for e in _entries(pair)[1]:
                if types.resolve(e.device) == name and e.property == _c_string(prop):
                    plan.notes.append(f"info: {pair.name} sets {name} {prop} = {e.value} "
                                      f"({pair.file.rel}:{e.node.start_point[0] + 1}) for "
                                      f"{pair.version} and older")
    style = _style(entries) if entries else \
        _style([e for p in pairs for e in _entries(p)[1]])
    text = render("compat_entry.c.j2", device=device if is_macro else _c_string(device),
                  property=_c_string(prop), value=_c_string(value), **style)
    data = target.file.data
    indent = _indent(data, entries)
    if entries:
        last = entries[-1].node
        end = last.end_byte
        comma = data[end:end + 1] == b","
        at = end + 1 if comma else end
        plan.edits.append(Edit(target.file.rel, at, at,
                               (b"" if comma else b",") + f"\n{indent}{text},".encode(),
                               f"{target.name}: add {name} {prop}"))
    else:  # `= {};` opens into the multi-line form
        plan.edits.append(Edit(target.file.rel, init.start_byte, init.end_byte,
                               f"{{\n{indent}{text},\n}}".encode(), f"{target.name}: add {name} {prop}"))
    return plan.finish(tree, families)


def _indent(data: bytes, entries: list[Entry]) -> str:
    if entries:
        node = entries[-1].node
        return data[csyntax.line_start(data, node.start_byte):node.start_byte].decode()
    return "    "


MACHINE_NAMES = ("mc", "m")


def plan_machine_option(tree: QemuTree, statement: str, names: list[str], every: bool,
                        param_name: str | None = None) -> Plan:
    families, _ = read_families(tree)
    if not names and not every:
        raise UsageError("name the families with --family NAME (repeatable) or use --all")
    known = {f.name: f for f in families}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"unknown family {unknown[0]!r}; this tree has: {', '.join(known)}")
    chosen = families if every else [known[n] for n in names]
    parsed = _one_statement(statement)
    newest, release = newest_release(families)
    plan = Plan("compat machine-option", release)
    for family in chosen:
        block = family.block(release)
        if block is None or family.newest.version != newest:
            raise ScaffoldError(f"has no {release} compat machine below {newest}",
                                path=family.file.rel, family=family.name)
        fn = block.class_fn
        text = _rewrite(statement, parsed, param_name, fn.param)
        data = family.file.data
        if any(" ".join(s.text.decode("utf-8", "replace").split()) == " ".join(text.split())
               for s in fn.statements):
            plan.notes.append(f"{fn.name} already has `{text}`")
            continue
        compat = [node for name, _, node in fn.calls if name == "compat_props_add"]
        anchor = compat[0].start_byte if compat else fn.body.end - 1
        at = csyntax.line_start(data, anchor)
        indent = family.indent()
        plan.edits.append(Edit(family.file.rel, at, at, f"{indent}{text}\n".encode(),
                               f"{fn.name} ({family.file.rel}:{fn.line}): add `{text}`", family.name))
        plan.families.append(family.name)
    return plan.finish(tree, families)


def _one_statement(statement: str):
    wrapper = f"void f(void)\n{{\n{statement}\n}}\n"
    tree = csyntax.parse(wrapper.encode())
    body = tree.root_node.named_children[0].child_by_field_name("body") \
        if tree.root_node.named_children else None
    items = [c for c in body.named_children if c.type != "comment"] if body is not None else []
    if tree.root_node.has_error or len(items) != 1 or not items[0].type.endswith("_statement"):
        raise UsageError(f"not one C statement: {statement!r}")
    return items[0]


def _rewrite(statement: str, node, param_name: str | None, param: str) -> str:
    """Rename the statement's MachineClass variable to the function's own parameter."""
    offset = len("void f(void)\n{\n".encode())
    idents = list(csyntax.identifiers(node))
    name = param_name or next((n.text.decode() for n in idents if n.text.decode() in MACHINE_NAMES), None)
    if name is None:
        return statement.strip()
    raw = statement.encode()
    for n in sorted((n for n in idents if n.text.decode() == name), key=lambda n: -n.start_byte):
        s, e = n.start_byte - offset, n.end_byte - offset
        raw = raw[:s] + param.encode() + raw[e:]
    return raw.decode().strip()
