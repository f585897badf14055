"""`qscaffold compat add` and `compat machine-option`: changes made during a cycle go to
the last release's compat array or compat machines (the seed article's second half)."""
from __future__ import annotations

import difflib
import itertools
import re

from scaffold.reading import compat_arrays, csyntax
from scaffold.reading.compat_arrays import ArrayPair
from scaffold.errors import ScaffoldError, UsageError
from scaffold.reading.machines import Family, OptionsFn, read_families
from scaffold.planning.plan import Edit, Plan
from scaffold.reading.qom_types import TypeIndex
from scaffold.planning.templates import render
from scaffold.reading.lifecycle import current_release
from scaffold.reading.tree import QemuTree
from scaffold.version import Version
from scaffold.records import record


def _c_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@record
class Entry:
    """One entry of a compat array: device, property, value, and where it is."""

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


PROPERTY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*\Z")


def target_release(tree: QemuTree, families: list[Family], release: Version | None,
                   plan: Plan) -> tuple[Version, Version]:
    """(newest machine version, the release to change), refusing what would silently
    change machine types that have shipped."""
    newest, last = newest_release(families)
    if release is not None and release >= newest:
        raise UsageError(f"--release {release}: the newest machine types ({newest}) have no "
                         "compat array; the newest older release is " + str(last))
    if tree.version:
        major, minor, micro = tree.version
        current = current_release(tree.version)
        if release is None and micro >= 50 and newest < current:
            raise ScaffoldError(f"the {current} machine types do not exist yet: run "
                                f"`qscaffold bump {current}` first (VERSION is "
                                f"{major}.{minor}.{micro}; without it the change would alter "
                                f"the released {last} machine types); --release {last} "
                                "names that array on purpose")
        if micro < 50:
            plan.notes.append(f"warning: VERSION {major}.{minor}.{micro} is a stable branch: "
                              f"this changes the released {release or last} machine types")
    return newest, release or last


def plan_compat_add(tree: QemuTree, device: str, prop: str, value: str, x86: bool = False,
                    force: bool = False, types: TypeIndex | None = None,
                    release: Version | None = None) -> Plan:
    families, _ = read_families(tree)
    plan = Plan("compat add", None)
    newest, release = target_release(tree, families, release, plan)
    plan.target = release
    prefix = "pc" if x86 else "hw"
    if not PROPERTY_NAME.match(prop):
        raise UsageError(f"invalid property name {prop!r}: QOM property names are letters, "
                         "digits and - _ . +")
    pairs = [p for p in compat_arrays.all_pairs(tree, extern=False) if p.prefix == prefix]
    target = next((p for p in pairs if p.version == release), None)
    if target is None:
        if release == newest.prev():
            raise ScaffoldError(f"{prefix}_compat_{release.sym} does not exist: add the "
                                f"{newest.next()} machine types first (qscaffold bump {newest.next()})")
        raise ScaffoldError(f"{prefix}_compat_{release.sym} does not exist (the {release} machine "
                            "types were removed, or never had one)")
    types = types or TypeIndex.scan(tree.root)
    is_macro = re.fullmatch(r"TYPE_[A-Z0-9_]+", device) is not None
    name = types.resolve(device) if is_macro else device
    if name is None or (not is_macro and name not in types.names):
        if not force:
            raise UsageError(f"unknown device type {device!r} (no #define TYPE_... or type "
                             "registration for it in the tree); --force adds it anyway")
        plan.notes.append(f"warning: {device} is not a type this tree declares (--force)")
        name = name or device
    if prop not in types.properties:
        if not force:
            close = difflib.get_close_matches(prop, sorted(types.properties), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UsageError(f"unknown property {prop!r}: no DEFINE_PROP_*(\"{prop}\", ...) or "
                             f"object_*property_add*(..., \"{prop}\", ...) in the tree{hint} "
                             "(--force adds it anyway)")
        plan.notes.append(f"warning: no device in this tree declares a property {prop} (--force)")
    if is_macro:
        plan.edits += _include_for(target, device, types)
    plan.notes += [f"warning: {advice}" for advice in types.advice(name)]

    init, entries = _entries(target)
    for e in entries:
        if types.resolve(e.device) == name and e.property == _c_string(prop):
            raise ScaffoldError(f"{target.name} already sets {name} {prop} (= {e.value})",
                                path=target.file.rel, line=e.node.start_point[0] + 1)
    for pair in pairs:
        if pair is target or pair.version >= newest:
            continue
        for e in _entries(pair)[1]:
            if types.resolve(e.device) != name or e.property != _c_string(prop):
                continue
            where = f"({pair.file.rel}:{e.node.start_point[0] + 1})"
            if pair.version < release:
                plan.notes.append(f"info: {pair.name} sets {name} {prop} = {e.value} {where}; "
                                  f"it is added after {target.name}, so {pair.version} and older "
                                  "keep that value")
            else:
                plan.notes.append(f"warning: the newer {pair.name} already sets {name} {prop} = "
                                  f"{e.value} {where} for {pair.version} and older; {release} and "
                                  f"older get the new entry instead (older arrays are added last)")
    plan.notes.append(f"info: affects {_affected(families, prefix, release)}")
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


def _affected(families: list[Family], prefix: str, release: Version) -> str:
    """Which machine types an entry in <prefix>_compat_<release> reaches."""
    names = [f"{f.name} {f.spec.machine}-{release}" for f in families
             if prefix in f.spec.arrays and any(b.version <= release for b in f.blocks)]
    return f"the {release} machine types and older: {', '.join(names)}"


_INCLUDE = re.compile(rb'^#\s*include\s+"([^"]+)"[^\n]*\n', re.M)


def _include_for(target: ArrayPair, macro: str, types: TypeIndex) -> list[Edit]:
    """A TYPE_ macro must compile where it is written: the file uses it already or
    includes its header, or the header's #include is added after the file's hw/ ones."""
    data = target.file.data
    header = types.macros[macro][1]
    if re.search(rb"\b" + macro.encode() + rb"\b", data) or header == target.file.rel:
        return []
    if not header.startswith("include/"):
        raise UsageError(f"{macro} is defined in {header}, which {target.file.rel} cannot "
                         f"include; write the type name instead (\"{types.macros[macro][0]}\")")
    include = header.removeprefix("include/")
    found = list(_INCLUDE.finditer(data))
    if any(m.group(1).decode() == include for m in found):
        return []
    hw = [m for m in found if m.group(1).startswith(b"hw/")] or found
    if not hw:
        raise UsageError(f"{target.file.rel} has no #include block; write the type name instead")
    at = hw[-1].end()
    return [Edit(target.file.rel, at, at, f'#include "{include}"\n'.encode(),
                 f"include {include} for {macro}")]


def _indent(data: bytes, entries: list[Entry]) -> str:
    if entries:
        node = entries[-1].node
        return data[csyntax.line_start(data, node.start_byte):node.start_byte].decode()
    return "    "


MACHINE_NAMES = ("mc", "m", "machine", "ms")
FAMILY_GROUPS = {"x86": ("i440fx", "q35")}


def expand_families(names: list[str]) -> list[str]:
    """`x86` is i440fx and q35 wherever families are named."""
    out: list[str] = []
    for name in names:
        for one in FAMILY_GROUPS.get(name, (name,)):
            if one not in out:
                out.append(one)
    return out


def plan_machine_option(tree: QemuTree, statement: str, names: list[str], every: bool,
                        param_name: str | None = None, release: Version | None = None,
                        instance: bool = False) -> Plan:
    families, _ = read_families(tree)
    if not names and not every:
        raise UsageError("name the families with --family NAME (repeatable) or use --all")
    if names and every:
        raise UsageError("--family and --all exclude each other")
    names = expand_families(names)
    known = {f.name: f for f in families}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"unknown family {unknown[0]!r}; this tree has: "
                         f"{', '.join([*known, *FAMILY_GROUPS])}")
    chosen = families if every else [known[n] for n in names]
    if instance:
        lacking = [f.name for f in chosen if not any(not k.adds_compat for k in f.spec.options)]
        if every:
            chosen = [f for f in chosen if f.name not in lacking]
        elif lacking:
            raise UsageError(f"--instance: {lacking[0]} has no instance options (only s390x has)")
    parsed = _one_statement(statement)
    plan = Plan("compat machine-option", None)
    newest, release = target_release(tree, families, release, plan)
    plan.target = release
    for family in chosen:
        block = family.block(release)
        if block is None or family.newest.version <= release:
            raise ScaffoldError(f"has no {release} compat machine below {family.newest.version}",
                                path=family.file.rel, family=family.name)
        fn = next((f for f in block.functions.values() if f.kind.adds_compat != instance), None)
        if fn is None:
            raise ScaffoldError(f"machine version {release} has no "
                                f"{'instance' if instance else 'class'} options function",
                                path=family.file.rel, line=family.file.line(block.start),
                                family=family.name)
        text = _rewrite(statement, parsed, param_name, fn.param)
        data = family.file.data
        if any(" ".join(s.text.decode("utf-8", "replace").split()) == " ".join(text.split())
               for s in fn.statements):
            plan.notes.append(f"{fn.name} already has `{text}`")
            continue
        indent = family.indent()
        compat = [c.stmt for c in fn.calls if c.name == "compat_props_add"]
        anchor = compat[0].start_byte if compat else fn.body.end - 1
        at = csyntax.line_start(data, anchor)
        plan.edits += _declarations(family, fn, text, indent)
        plan.edits.append(Edit(family.file.rel, at, at, f"{indent}{text}\n".encode(),
                               f"{fn.name} ({family.file.rel}:{fn.line}): add `{text}`", family.name))
        plan.families.append(family.name)
    return plan.finish(tree, families)


CLASS_CAST = re.compile(r"\s*(?P<type>[A-Za-z_]\w*)\s*\*\s*(?P<var>[A-Za-z_]\w*)\s*=\s*"
                   r"(?P<cast>[A-Z][A-Z0-9_]*\(.*\));\s*", re.S)


def _casts(family: Family, fn: OptionsFn) -> dict[str, tuple[str, str]]:
    """var -> (declaration with `fn`'s parameter, where it was seen): the family's class
    casts (`PCMachineClass *pcmc = PC_MACHINE_CLASS(m);`), newest function first."""
    out: dict[str, tuple[str, str]] = {}
    sources = [f for b in family.blocks for f in b.functions.values() if f.kind is fn.kind]
    for other in sources:
        for stmt in other.statements:
            if stmt.type != "declaration":
                continue
            m = CLASS_CAST.fullmatch(stmt.text.decode("utf-8", "replace"))
            if not m or m.group("var") in out or other.param not in m.group("cast"):
                continue
            cast = re.sub(rf"\b{re.escape(other.param)}\b", fn.param, m.group("cast"))
            out[m.group("var")] = (f"{m.group('type')} *{m.group('var')} = {cast};",
                                   f"{family.file.rel}:{other.line}")
    return out


def _declarations(family: Family, fn: OptionsFn, text: str, indent: str) -> list[Edit]:
    """Declare the class cast a statement uses when the function does not have it yet:
    at the top of the body, followed by a blank line (QEMU style)."""
    used = set(re.findall(r"[A-Za-z_]\w*", text))
    declared = {n.text.decode() for s in fn.statements if s.type == "declaration"
                for n in csyntax.identifiers(s)}
    needed = [(var, decl) for var, (decl, _) in _casts(family, fn).items()
              if var in used and var not in declared and var != fn.param]
    if not needed:
        return []
    data = family.file.data
    leading = list(itertools.takewhile(lambda s: s.type == "declaration", fn.statements))
    lines = "".join(f"{indent}{decl}\n" for _, decl in needed)
    if leading:   # after the declarations the body starts with
        at = data.index(b"\n", leading[-1].end_byte) + 1
        text_out = lines
    else:
        at = data.index(b"\n", fn.body.start) + 1
        text_out = lines + "\n"
    return [Edit(family.file.rel, at, at, text_out.encode(),
                 f"{fn.name}: declare {', '.join(v for v, _ in needed)}", family.name)]


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
