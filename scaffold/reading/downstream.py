"""A distribution's own versioned machine types (RHEL's pc-q35-rhel9.2.0...), read from
the tree with the vendor's families described as data (scaffold/families/*.toml, or a
file the vendor keeps in the tree: .qscaffold/families.toml; docs/families.md).

A family's registrations are the top-level calls of its macro in its file that `#if 0`
does not compile out and whose type name carries the vendor's version (the vendor tag
and three numbers).  What a type's options set is read by following its options function
and the functions of the file it calls, statement by statement: the newest type is the
one whose options leave the alias set, or the one its registration marks.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from tree_sitter import Node

if TYPE_CHECKING:
    from scaffold.reading.cmatch import Code

from scaffold.errors import UsageError
from scaffold.reading import csyntax
from scaffold.reading.families import Base, DownstreamVersion, FamilySpec, MarkKind, VendorArrays
from scaffold.reading.family_files import load_specs, macros_for
from scaffold.reading.machine_types import CallSite, OptionsFacts, VendorFamily, VendorType
from scaffold.reading.registrations import of_file
from scaffold.reading.tree import QemuTree



# -- reading a family -----------------------------------------------------------------------

def read_family(tree: QemuTree, spec: FamilySpec) -> tuple[VendorFamily, set[int]]:
    """The family's types (newest first), and the lines of the registrations it claims."""
    family = VendorFamily(spec)
    if not (tree.root / spec.file).is_file():
        if not spec.shipped:   # the vendor's own file says it is there
            raise UsageError(f"{spec.source}: family {spec.name}: its file {spec.file} is "
                             "not in the tree")
        return family, set()
    file = tree.file(spec.file)
    claimed: set[int] = set()
    mine = []
    for reg in of_file(file, macros_for(tree, spec.file)):
        if not spec.registers_with(reg.macro):
            continue
        name = spec.fill(spec.machine, reg.args)
        found = _version_in(spec, name) if name else None
        if name is not None and found is not None:
            mine.append((reg, name, found[0], found[1]))
    if not mine:   # an upstream tree: nothing parsed
        return family, claimed
    from scaffold.reading.cmatch import arguments, param_names

    code = file.code   # parsing only a downstream tree's files
    functions = csyntax.functions(file.full_tree.root_node)
    for reg, name, version, suffix in mine:
        options = tuple(o for o in (spec.fill(t, reg.args) for t in spec.options) if o)
        t = VendorType(name, version, suffix, reg.line, options, registration=reg,
                       registered=reg.line, macro=reg.macro)
        t.alias, t.default = _settings(functions, code, options[0] if options else None)
        for fn in options:
            node = functions.get(fn)
            body = node.child_by_field_name("body") if node is not None else None
            if body is not None and node is not None:
                called = [c for c in map(csyntax.macro_call, body.named_children) if c]
                params = param_names(node)
                t.functions[fn] = OptionsFacts(
                    fn, node.start_point[0] + 1, params[0] if len(params) == 1 else "",
                    tuple(CallSite(n, call.start_point[0] + 1, call) for n, call in called))
                local = {n for c in body.named_children for n in csyntax.declared_names(c)}
                t.adds[fn] = [code.text(args[1]).strip() for name, call in called
                              if name == "compat_props_add"
                              for args in [arguments(call)] if len(args) > 1
                              and code.text(args[1]).strip() not in local]   # its own `compat[]`
        if spec.base is Base.UPSTREAM:
            t.upstream_options = _upstream_options(functions, spec, options)
            t.upstream_version = upstream_match(spec, t.upstream_options or "")
        mark = spec.latest
        if mark.kind is MarkKind.MACRO:
            t.latest = reg.macro.endswith("_AS_LATEST")
        elif mark.kind is MarkKind.ARG:
            t.latest = len(reg.args) > mark.argument and reg.args[mark.argument] in ("true", "1")
        else:
            t.latest = t.alias is not None
        if mark.kind is not MarkKind.ALIAS:   # the registration's macro marks the newest as the default
            t.default = t.default or t.latest
            t.alias = t.alias or (spec.alias if t.latest else None)
        family.types.append(t)
        claimed.add(reg.line)
    family.types.sort(key=lambda t: (t.version[1:], t.suffix == ""), reverse=True)
    return family, claimed


def _version_in(spec: FamilySpec, name: str) -> tuple[DownstreamVersion, str] | None:
    """The vendor's version a type's name ends in, and a variant's suffix after it:
    pseries-rhel7.6.0-sxxm is rhel7.6.0 and "-sxxm"; pc-q35-jammy-hpb (codenames) is
    ubuntu-jammy and "-hpb"."""
    m = _name_pattern(spec.vendor, tuple(c for c, _ in spec.releases)).search(name)
    if m is None:
        return None
    if spec.releases:
        found = spec.version_of(m.group("v"))
        return (found, m.group("suffix")) if found is not None else None
    version = DownstreamVersion.parse(m.group("v"))
    return (version, m.group("suffix")) if version else None


@lru_cache(maxsize=32)
def _name_pattern(vendor: str, codenames: tuple[str, ...]) -> re.Pattern[str]:
    """The vendor's version at the end of a type's name, then a variant's suffix: one
    pattern per vendor (a bump asks it of every registration of the family files)."""
    if codenames:
        return re.compile(rf"(?<![A-Za-z0-9])(?P<v>{'|'.join(codenames)})"
                          rf"(?P<suffix>(?:-[\w.]+)*)\Z")
    return re.compile(rf"(?P<v>{vendor}\d+\.\d+\.\d+)(?P<suffix>[-\w.]*)\Z")


def upstream_match(spec: FamilySpec, name: str) -> str | None:
    """"6.2" when `name` is one of the upstream family's versioned options functions."""
    from scaffold.reading.families import FAMILIES

    family = next((f for f in FAMILIES if f.name == spec.upstream), None)
    for kind in family.kinds if family is not None else ():
        m = kind.match(name)
        if m:
            return f"{int(m.group('major'))}.{int(m.group('minor'))}"
    return None


def _upstream_options(functions: dict[str | None, Node], spec: FamilySpec,
                      options: tuple[str, ...]) -> str | None:
    """The upstream options function a type's options reach: the options function itself
    (DEFINE_SPAPR_MACHINE_NAMED(6_2, ...) names spapr_machine_6_2_class_options), or the
    first one its body calls, through the file's other functions it calls first (a
    variant's call of its release's type's options, Ubuntu's pc_i440fx_wily helper)."""
    seen: set[str] = set()

    def reach(name: str, depth: int) -> str | None:
        if upstream_match(spec, name):
            return name
        node = functions.get(name)
        body = node.child_by_field_name("body") if node is not None else None
        if body is None or name in seen or depth > 8:
            return None
        seen.add(name)
        for statement in body.named_children:
            called = csyntax.macro_call(statement)
            found = reach(called[0], depth + 1) if called is not None else None
            if found is not None:
                return found
        return None

    return reach(options[0], 0) if options else None




_FIELDS = {"alias": "alias", "is_default": "default"}


def _assigned(statement: Node, code: "Code") -> dict[str, list[str]]:
    """`X->alias = V;` and `X->is_default = V;` in a statement (the branches of an `#ifdef`
    it is included): "alias"/"default" -> the values, in order, read by syntax."""
    from scaffold.reading.cmatch import field_assignments

    out: dict[str, list[str]] = {}
    for name, right in field_assignments(statement):
        key = _FIELDS.get(name)
        value = code.text(right).strip()
        if key == "alias" and (value == "NULL" or right.type == "string_literal"):
            out.setdefault(key, []).append(value)
        elif key == "default" and re.fullmatch(r"\w+", value):
            out.setdefault(key, []).append(value)
    return out


def _settings(functions: dict[str | None, Node], code: "Code",
              options: str | None) -> tuple[str | None, bool]:
    """(alias, is_default) as the options function leaves them, the functions of the
    file it calls followed in order (a newer type's options, the family's base)."""
    state: dict[str, str] = {}

    def run(name: str | None, depth: int) -> None:
        fn = functions.get(name)
        body = fn.child_by_field_name("body") if fn is not None else None
        if body is None or depth > 40:
            return
        for statement in body.named_children:
            called = csyntax.macro_call(statement)
            if called is not None and called[0] in functions:
                run(called[0], depth + 1)
            for key, values in _assigned(statement, code).items():
                # under #ifdef ... #else: what one configuration sets counts
                state[key] = next((v for v in values if v not in ("NULL", "false", "0")),
                                  values[-1])

    run(options, 0)
    alias = state.get("alias")
    return (csyntax.c_string(alias) if alias and alias != "NULL" else None,
            state.get("default", "false") in ("true", "1"))


class VendorArrayFact(NamedTuple):
    """A vendor array as the tree has it: its definition, `_len`, and extern pair."""

    name: str
    prefix: str
    version: tuple[int, int]
    defined: tuple[str, int] | None     # (path, line) of `GlobalProperty NAME[] =`
    has_len: bool
    declared: tuple[str, int] | None    # (path, line) of `extern GlobalProperty NAME[];`
    declared_len: bool


def vendor_array_facts(tree: QemuTree, arrays: VendorArrays) -> list[VendorArrayFact]:
    """Every vendor array the tree defines or declares, read by syntax from the files
    holding upstream's arrays where `#if 0` leaves code: `GlobalProperty NAME[] = {...}`
    and `const size_t NAME_len`, `extern GlobalProperty NAME[];` and `extern const size_t
    NAME_len;`, as upstream writes its own."""
    from scaffold.reading.cmatch import declaration_parts

    found: dict[str, dict[str, Any]] = {}
    for rels, extern in ((tree.array_defs, False), (tree.array_externs, True)):
        for rel in rels:
            file = tree.file(rel)
            code = file.code
            arrays_here: list[tuple[str, int]] = []
            lengths: set[str] = set()
            for node in csyntax.top_level(file.full_tree.root_node):
                if node.type != "declaration":
                    continue
                words = [code.text(c) for c in node.children
                         if c.type in ("storage_class_specifier", "type_qualifier")]
                kind, declared = declaration_parts(node, code)
                if kind == "size_t" and words == (["extern", "const"] if extern else ["const"]):
                    lengths |= {name for name, _, _ in declared}
                elif kind == "GlobalProperty" and words == (["extern"] if extern else []):
                    arrays_here += [(name, node.start_point[0] + 1) for name, is_array, init
                                    in declared if is_array and (init is None) == extern]
            for name, line in arrays_here:
                prefix = next((p for p in arrays.names if (pat := arrays.pattern(p)) and
                               pat.match(name)), None)
                if prefix is None:
                    continue
                fact = found.setdefault(name, {"prefix": prefix})
                has = f"{name}_len" in lengths
                if extern:
                    fact["declared"], fact["declared_len"] = (rel, line), has
                else:
                    fact["defined"], fact["has_len"] = (rel, line), has
    out = []
    for name, fact in sorted(found.items()):
        pattern = arrays.pattern(fact["prefix"])
        named = pattern.match(name) if pattern else None
        version = (int(named.group("major")), int(named.group("minor"))) if named else (0, 0)
        out.append(VendorArrayFact(name, fact["prefix"], version, fact.get("defined"),
                                   fact.get("has_len", False), fact.get("declared"),
                                   fact.get("declared_len", False)))
    return out


def arrays_added(tree: QemuTree) -> set[str]:
    """The compat arrays the downstream families' files add where `#if 0` leaves code
    (hw_compat_rhel_9_1, and any upstream array a downstream type adds itself): the
    arrays `compat_props_add(X->compat_props, ARRAY, ...)` calls name, read by syntax."""
    from scaffold.reading.cmatch import calls_named

    out: set[str] = set()
    for rel in sorted({spec.file for spec in load_specs(tree)}):
        if (tree.root / rel).is_file():
            file = tree.file(rel)
            for call in calls_named(file.full_tree.root_node, file.data, "compat_props_add"):
                args = call.args
                if len(args) > 2 and args[1].type == "identifier":
                    out.add(file.code.text(args[1]))
    return out


_VERSIONED_ARRAY = re.compile(r"\w*_\d+_\d+\w*\Z")   # hw_compat_rhel_9_2, pc_compat_7_1...


def newest_only(family: VendorFamily) -> set[str]:
    """The functions and arrays only the family's newest type's options call or add,
    read from the code: what the newest carries for being the newest (RHEL's
    pc_q35_machine_rhel_options, arm_rhel_compat, spapr's "RHEL defaults"), which a bump
    moves to the new type, whatever it is called.
    - With older types to compare with: every name the newest's options call or add and
      no older type's do (per options kind), but the other types' options (the chain).
    - Always: an array not named for a release that only the newest adds (a distro-wide
      array, arm_rhel_compat, even on a family's only type).
    An array named for a release stays with its type (hw_compat_rhel_9_2 of a newest that
    got its rebase arrays).  The family's data may name more (`newest`)."""
    if "newest-only" in family.memo:
        return set(family.memo["newest-only"])
    main = [t for t in family.types if not t.suffix]
    out = set(family.spec.newest)
    family.memo["newest-only"] = out
    if not main:
        return set(out)
    newest, older = main[0], main[1:]
    options = {o for t in family.types for o in t.options}
    for index, fn in enumerate(newest.options):
        added = set(newest.adds.get(fn, []))
        theirs: set[str] = set()
        for t in older:
            if index < len(t.options):
                theirs |= set(t.calls.get(t.options[index], []))
                theirs |= set(t.adds.get(t.options[index], []))
        out |= {a for a in added - theirs if not _VERSIONED_ARRAY.match(a)}
        if older:
            out |= set(newest.calls.get(fn, [])) - theirs - options - {"compat_props_add"}
    return set(out)
