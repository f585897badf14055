"""Where a distribution's rebase puts upstream's entries, per prefix (hw, pc): the
vendor's newest array when a family's newest type adds it itself (RHEL 9.2's rebase:
hw_compat_rhel_9_1, which pc-q35-rhel9.0.0 adds); else a new array, named for the
newest types' release (after `bump rhel9.2.0`, the next rebase's hw_compat_rhel_9_2) or
the release `--array-release` names, made as the vendor's newest one is: the definition
with its `_len` before it, the extern pair before its own, and a `compat_props_add`
line in the newest type of every family that adds the previous one (the flat i440fx
list included), written as that family adds the previous one."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from scaffold.errors import UsageError
from scaffold.planning.functions import Function, param_type
from scaffold.reading.cmatch import param_names, arguments, calls, named
from scaffold.planning.plan import Edit
from scaffold.reading import csyntax
from scaffold.reading.families import VendorArrays
from scaffold.reading.machine_types import VendorFamily, VendorType
from scaffold.reading.tree import QemuTree
from scaffold.reading.vendor_copies import VendorArray


@dataclass(eq=False, repr=False)
class NewArray:
    """An array the rebase makes: its name, the one it is modelled on, and what names
    the vendor's arrays of its prefix."""

    name: str
    model: VendorArray
    pattern: re.Pattern[str]


def choose(tree: QemuTree, families: list[VendorFamily], ours: list[VendorArray],
           arrays: VendorArrays, prefix: str,
           release: tuple[int, int] | None) -> VendorArray | NewArray:
    newest = max(ours, key=lambda a: a.version)
    if release is None:   # the families at the newest version (frozen ones lag behind)
        top = max(f.newest.version[1:] for f in families)
        current = [f for f in families if f.newest.version[1:] == top]
        if newest.name in {a for f in current for a in added_by(f.newest)}:
            return newest
        release = top[:2]
    name = arrays.names[prefix].format(major=release[0], minor=release[1])
    found = next((a for a in ours if a.name == name), None)
    if found is not None:
        return found
    if release <= newest.version:
        raise UsageError(f"compat rebase: {name} would be older than {newest.name}, the "
                         "newest array; --array-release names a newer release")
    pattern = arrays.pattern(prefix)
    assert pattern is not None   # `ours` were found with it
    return NewArray(name, newest, pattern)


def _options(tree: QemuTree, family: VendorFamily, t: VendorType) -> list[Function]:
    """A type's options functions (those taking one named parameter)."""
    functions = csyntax.functions(tree.file(family.spec.file).full_tree.root_node)
    out = []
    for name in t.options:
        node = functions.get(name)
        params = param_names(node) if node is not None else []
        if node is not None and len(params) == 1:
            out.append(Function(node, name, params[0]))
    return out


def _adds(tree: QemuTree, family: VendorFamily, t: VendorType
          ) -> list[tuple[Function, str, Any]]:
    """(options function, array, statement) for each array a type's options add."""
    code = tree.file(family.spec.file).code
    out = []
    for fn in _options(tree, family, t):
        for statement in fn.statements():
            for call in calls(statement, named("compat_props_add")):
                args = arguments(call.node)
                if len(args) > 1:
                    out.append((fn, code.text(args[1]).strip(), statement))
    return out


def added_by(t: VendorType) -> list[str]:
    """The arrays a type's options add (read with the family: VendorType.adds)."""
    return [array for arrays in t.adds.values() for array in arrays]


def create(tree: QemuTree, families: list[VendorFamily], new: NewArray,
           entries: list[tuple[str, str]]) -> list[Edit]:
    """The new array with its entries, its extern pair, and its wiring."""
    model = new.model
    data = tree.file(model.rel).data
    indent = "  "
    if model.entries:
        first = model.entries[0][1]
        indent = csyntax.utf8(data[csyntax.line_start(data, first.start_byte):first.start_byte])
    body = "".join(f"{indent}{c}\n{indent}{e},\n" for c, e in entries)
    text = (f"GlobalProperty {new.name}[] = {{\n{body}}};\n"
            f"const size_t {new.name}_len = G_N_ELEMENTS({new.name});\n\n")
    edits = [Edit(model.rel, model.start, model.start, text.encode(),
                  f"add {new.name} ({len(entries)} entries)")]
    edits.append(_extern(tree, new))
    edits += _wiring(tree, families, new)
    return edits


def _extern(tree: QemuTree, new: NewArray) -> Edit:
    """The new array's extern pair, above the model array's `extern GlobalProperty X[];`
    (found by syntax in the headers that declare upstream's arrays)."""
    from scaffold.reading.cmatch import declaration_parts

    for rel in _headers(tree):
        file = tree.file(rel)
        for node in csyntax.top_level(file.full_tree.root_node):
            if node.type != "declaration" or not any(
                    csyntax.text(c) == b"extern" for c in node.children
                    if c.type == "storage_class_specifier"):
                continue
            kind, declared = declaration_parts(node, file.code)
            if kind == "GlobalProperty" and [(n, a) for n, a, _ in declared] == \
                    [(new.model.name, True)]:
                text = f"extern GlobalProperty {new.name}[];\nextern const size_t {new.name}_len;\n\n"
                return Edit(rel, node.start_byte, node.start_byte, text.encode(),
                            f"declare {new.name} (extern)")
    raise UsageError(f"compat rebase: no extern declaration of {new.model.name} in the tree's "
                     f"headers, to put {new.name}'s beside")


def _headers(tree: QemuTree) -> list[str]:
    from scaffold.reading import compat_arrays

    return sorted({p.file.rel for p in compat_arrays.all_pairs(tree, extern=True)})


def wire_existing(tree: QemuTree, families: list[VendorFamily], target: VendorArray,
                  ours: list[VendorArray], arrays: VendorArrays, prefix: str) -> list[Edit]:
    """The rebase's array already exists (the newest types add it): a family whose
    newest type lacks it while one of its types adds the array before it gets the line
    too, as that release's other families have it (RHEL 8's x86 types wired, the hw
    array forgotten on one of them)."""
    older = [a for a in ours if a.version < target.version]
    pattern = arrays.pattern(prefix)
    if not older or pattern is None:
        return []
    previous = max(older, key=lambda a: a.version)
    top = max(f.newest.version[1:] for f in families)
    current = [f for f in families if f.newest.version[1:] == top]
    if not any(target.name in added_by(f.newest) for f in current):
        return []
    later = [p for name in arrays.names if name > prefix
             for p in [arrays.pattern(name)] if p is not None]   # hw's line goes before pc's
    return _wiring(tree, current, NewArray(target.name, previous, pattern), skip_if_added=True,
                   later=later)


def _wiring(tree: QemuTree, families: list[VendorFamily], new: NewArray,
            skip_if_added: bool = False, later: list[re.Pattern[str]] | None = None
            ) -> list[Edit]:
    """A `compat_props_add` of the new array in the newest type of every family one of
    whose types adds the previous newest array, modelled on that type's line."""
    edits = []
    old = new.model.name
    for family in families:
        if skip_if_added and any(new.name in added_by(t) for t in family.types):
            continue
        model = next(((fn, s) for t in family.types for fn, array, s in _adds(tree, family, t)
                      if array == old), None)
        if model is None:
            continue
        fn_model, statement = model
        data = tree.file(family.spec.file).data
        adds = _adds(tree, family, family.newest)
        newest_fns = [fn for fn, _, _ in adds] or _options(tree, family, family.newest)
        kind = param_type(fn_model.node)
        target = next((fn for fn in newest_fns if param_type(fn.node) == kind), None)
        if target is None:
            continue
        text = csyntax.utf8(csyntax.lines_of(data, statement)).replace(old, new.name)
        text = re.sub(rf"\b{fn_model.param}\b", target.param, text)
        vendor = [s for fn, array, s in adds if fn is target and new.pattern.match(array)] or \
            [s for fn, array, s in adds if fn is target and any(p.match(array) for p in later or [])]
        at = csyntax.line_start(data, vendor[0].start_byte) if vendor else target.end_of_body(data)
        edits.append(Edit(family.spec.file, at, at, text.encode(),
                          f"{target.name}: add {new.name}", family.name))
    return edits
