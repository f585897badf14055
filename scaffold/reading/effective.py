"""Effective compat: every compat property a versioned machine type applies, in the order
QEMU applies it, computed from the source (issue 36).

A type's class options function runs at class init.  It calls the next newer version's
options first (down to the family's base options), then adds its own arrays: so the list
runs from the family's base arrays, through the newest version's, to the type's own.  It
is read as the compiler would run it: the options function's statements in order, every
`compat_props_add(X->compat_props, ARRAY, LEN)` appending ARRAY's entries, every call of
another function of the file followed where it stands.  ARRAY is a local array of the
function, an array of the file, or one of the tree's compat arrays (hw_compat_10_1,
pc_compat_10_1, a vendor's).  Type names are resolved for the chosen target (TYPE_X86_CPU
is "x86_64-cpu" for x86_64, "i386-cpu" for i386); where the model cannot tell, it says so.
QEMU keeps an entry a later one overrides: both stay in the list, the earlier marked.

The binary states the same list (QMP `query-machines` with `compat-props`, QEMU 9.0 and
later); tests/test_effective_compat.py holds the two side by side.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from tree_sitter import Node

from scaffold.errors import UsageError
from scaffold.reading import compat_arrays, csyntax
from scaffold.reading.cmatch import Code, arguments, declaration_parts
from scaffold.reading.qom.entries import Entry, array_entries
from scaffold.reading.machine_types import MachineFamily, class_options
from scaffold.reading.tree import QemuTree, SourceFile

# the QEMU binary a family's types live in, by the hw/<arch>/ folder of its file
TARGETS = {"i386": ("x86_64", "i386"), "arm": ("aarch64", "arm"), "m68k": ("m68k",),
           "s390x": ("s390x",), "ppc": ("ppc64",), "loongarch": ("loongarch64",)}


class Applied(NamedTuple):
    """One compat property a machine type applies, where it comes from."""

    qom_type: str | None     # for the target; None: the model cannot tell
    driver: str              # as written: TYPE_X86_CPU, "qemu64" "-" TYPE_X86_CPU
    prop: str                # the property's name
    value: str
    array: str
    path: str
    line: int
    added_by: str            # the options function whose compat_props_add added it
    overridden: bool = False  # a later entry sets the same type and property

    @property
    def key(self) -> tuple[str, str]:
        return (self.qom_type or self.driver, self.prop)


@dataclass(eq=False, repr=False)
class CompatMachine:
    """A versioned machine type and where its class options start."""

    name: str
    family: str
    path: str
    line: int
    options: str             # its class options function
    arch: str                # hw/<arch>/ of its file
    macro: str = ""          # its registration macro (DEFINE_VIRT_MACHINE_AS_LATEST)
    vendor: str | None = None
    disabled: bool = False   # upstream's, compiled out by `#if 0` (a distribution's base)


@dataclass(eq=False, repr=False)
class Effective:
    machine: CompatMachine
    target: str
    entries: list[Applied] = field(default_factory=list)
    cannot_tell: list[str] = field(default_factory=list)   # with file:line


def machine_types(tree: QemuTree) -> list[CompatMachine]:
    """Every versioned machine type the tree registers, upstream's and the vendors' (the
    one model: read_machines), newest first within a family."""
    from scaffold.reading.reader import read_machines

    return [m for family in read_machines(tree).families for m in _compat_machines(family)]


def _compat_machines(family: MachineFamily[Any]) -> list[CompatMachine]:
    """The family's registered types with a class options function."""
    return [CompatMachine(t.name, family.name, family.path, t.registered, fn,
                          family.spec.arch, t.macro, family.spec.vendor or None)
            for t in family.types if t.registered is not None
            for fn in [class_options(family, t)] if fn]


def _upstream_named(tree: QemuTree, name: str) -> list[CompatMachine] | None:
    """The upstream types of that name, reading only the families whose names it fits
    (`compat show pc-q35-7.2` parses pc_q35.c alone); None when it fits none, or a family
    cannot be read so: then every family is read, as `machines` does."""
    from scaffold.reading.families import FAMILIES, spec_for
    from scaffold.reading.machines import family_in

    specs = [s for s in FAMILIES if name.startswith(s.prefix + "-") and
             re.fullmatch(r"\d+\.\d+", name[len(s.prefix) + 1:])]
    if not specs:
        return None
    out = []
    for rel, macros in sorted(tree.machine_files.items()):
        for spec in specs:
            if not any(spec_for(m, rel) == spec for m in macros):
                continue
            if csyntax.disabled_spans(tree.file(rel).data):
                return None   # a downstream tree: its families are read whole
            family = family_in(tree, spec, rel)
            if family is not None:
                out += [m for m in _compat_machines(family) if m.name == name]
    return out or None


def arch_of(target: str) -> str | None:
    """The hw/<arch>/ folder of a target's machine types (x86_64: i386)."""
    return next((arch for arch, targets in TARGETS.items() if target in targets), None)


def find(tree: QemuTree, name: str, target: str | None = None) -> CompatMachine:
    """The machine type of that name (of the target's binary: arm's and m68k's virt-10.1
    are two types of one name)."""
    known = _upstream_named(tree, name) if target is None else None
    known = known or machine_types(tree)
    if target is not None:
        arch = arch_of(target)
        if arch is None:
            raise UsageError(f"--target {target}: not a target of a versioned family "
                             f"({', '.join(t for ts in TARGETS.values() for t in ts)})")
        known = [m for m in known if m.arch == arch]
    named = [m for m in known if m.name == name]
    if len(named) > 1:
        targets = ", ".join(default_target(m) for m in named)
        raise UsageError(f"{name} is a machine type of {len(named)} targets ({targets}): "
                         "say which with --target")
    found = named[0] if named else _compiled_out(tree, name, target)
    if found is None:
        close = sorted(m.name for m in known if m.name.split("-")[:2] == name.split("-")[:2])
        hint = f" (this tree has {', '.join(close[:6])}{', ...' if len(close) > 6 else ''})" \
            if close else " (`qscaffold machines` lists them)"
        raise UsageError(f"no versioned machine type {name!r}{hint}")
    return found


def _compiled_out(tree: QemuTree, name: str, target: str | None) -> CompatMachine | None:
    """An upstream type a distribution's tree keeps under `#if 0` (RHEL's pc-q35-7.2):
    no type of its binary, but the base its own types claim to equal.  Found by the
    family's name pattern and its class options function in the code as written."""
    from scaffold.reading.families import FAMILIES
    from scaffold.reading.reader import read_families

    live = {f.name for f in read_families(tree)[0]}
    for spec in FAMILIES:
        if spec.name in live or not name.startswith(spec.prefix + "-"):
            continue
        if target is not None and arch_of(target) != spec.arch:
            continue
        version = name[len(spec.prefix) + 1:]
        major, _, minor = version.partition(".")
        if not (major.isdigit() and minor.isdigit()):
            continue
        for rel in tree.machine_files:
            if rel.split("/")[1:2] != [spec.arch]:
                continue
            functions = csyntax.functions(everything(tree.file(rel)).root_node)
            for pattern in spec.class_kind.patterns:
                fn = re.sub(r"\(\?P<major>[^)]*\)_\(\?P<minor>[^)]*\)",
                            f"{major}_{minor}", pattern)
                if fn in functions:
                    node = functions[fn]
                    return CompatMachine(name, spec.name, rel, node.start_point[0] + 1, fn,
                                       spec.arch, "", None, disabled=True)
    return None


def default_target(machine: CompatMachine) -> str:
    return TARGETS.get(machine.arch, (machine.arch,))[0]


def compute(tree: QemuTree, machine: CompatMachine, target: str | None = None,
            resolve: bool = True) -> Effective:
    """The machine type's compat properties, in the order QEMU applies them.  With
    `resolve=False` no type name is resolved (no QOM model is read): entries compare by
    their text, which is what `check` needs to set two types of one tree side by side."""
    target = target or default_target(machine)
    result = Effective(machine, target)
    file = tree.file(machine.path)
    root = everything(file).root_node if machine.disabled else file.full_tree.root_node
    functions = csyntax.functions(root)
    arrays = _Arrays(tree, machine.path)
    resolved: dict[str, str | None] = {}
    if resolve:
        from scaffold.reading.qom.model import load_resolver

        model = load_resolver(tree.root)

    def qom_type(driver: str) -> str | None:
        if not resolve:
            return None
        if driver not in resolved:
            resolved[driver] = _for_target(model.resolve(driver), target)
        return resolved[driver]

    def text(expr: str) -> str:
        """A string literal's text; a macro naming one (ACPI_PM_PROP_ACPI_PCIHP_BRIDGE)
        resolved as the compiler would; anything else as written."""
        if expr.strip().startswith('"'):
            return _text(expr)
        return qom_type(expr) or _text(expr)

    def run(name: str, depth: int) -> None:
        node = functions.get(name)
        body = node.child_by_field_name("body") if node is not None else None
        if body is None or depth > 40:
            return
        local = {n: init for s in body.named_children if s.type == "declaration"
                 for n, is_array, init in declaration_parts(s, file.code)[1]
                 if is_array and init is not None}
        for statement in body.named_children:
            if statement.type.startswith("preproc_") and _adds_or_calls(statement):
                result.cannot_tell.append(f"{machine.path}:{statement.start_point[0] + 1}: "
                                          f"{name} adds or calls under a build condition")
                continue
            called = csyntax.macro_call(statement)
            if called is None:
                continue
            callee, call = called
            if callee == "compat_props_add":
                args = arguments(call)
                if len(args) < 2:
                    continue
                array = file.code.text(args[1]).strip()
                entries = arrays.entries(array, local.get(array), file.code)
                if entries is None:
                    result.cannot_tell.append(f"{machine.path}:{statement.start_point[0] + 1}: "
                                              f"{name} adds {array}, which the tree does not "
                                              "define where it can be read")
                    continue
                for entry in entries:
                    result.entries.append(Applied(
                        qom_type(entry.driver), entry.driver, text(entry.prop),
                        text(entry.value), entry.array, entry.path, entry.line, name))
            elif callee in functions:
                run(callee, depth + 1)

    before, after = _class_init(file.data, machine.macro, functions)
    for name in before:
        run(name, 0)
    run(machine.options, 0)
    for name in after:
        run(name, 0)
    last = {e.key: i for i, e in enumerate(result.entries)}
    result.entries = [e._replace(overridden=last[e.key] != i)
                      for i, e in enumerate(result.entries)]
    return result


def everything(file: Any) -> Any:
    """The file parsed as written, `#if 0` included (read once: every compiled-out
    upstream type of a distribution's tree asks it)."""
    if "everything" not in file.memo:
        file.memo["everything"] = csyntax.parse_everything(file.data)
    return file.memo["everything"]


_DEFINE = re.compile(rb"^[ \t]*#[ \t]*define[ \t]+(\w+)\(([^)]*)\)((?:[^\n]*\\\n)*[^\n]*)",
                     re.M)


def _class_init(data: bytes, macro: str, functions: dict[str | None, Node]
                ) -> tuple[list[str], list[str]]:
    """The functions of the file the registration macro's class_init calls before and
    after the type's options (arm's `arm_virt_compat_set(mc)` first), read from its
    #define, through the macros it expands to (DEFINE_VIRT_MACHINE_AS_LATEST to
    DEFINE_VIRT_MACHINE_IMPL).  A macro defined elsewhere (x86's in pc.h) is taken to
    call the options alone, as upstream's do."""
    bodies = {m.group(1).decode(): m.group(3).decode("utf-8", "replace")
              for m in _DEFINE.finditer(data)}
    seen: set[str] = set()
    while macro in bodies and macro not in seen:
        seen.add(macro)
        body = bodies[macro]
        if "class_init" in body:
            calls = re.findall(r"(\w+(?:##\w+##\w+)?|MACHINE_VER_SYM\(options[^)]*\))\s*\(\s*mc\s*\)",
                               body)
            at = next((i for i, c in enumerate(calls) if "options" in c and
                       c not in functions), None)
            if at is None:
                return [], []
            return ([c for c in calls[:at] if c in functions],
                    [c for c in calls[at + 1:] if c in functions and "latest" not in c])
        inner = next((name for name in re.findall(r"\b(DEFINE_\w+)\s*\(", body)
                      if name in bodies), None)
        if inner is None:
            break
        macro = inner
    return [], []


def _adds_or_calls(node: Node) -> bool:
    return any(csyntax.macro_call(n) is not None for n in csyntax.descendants(node)
               if n.type == "expression_statement")


def _for_target(names: list[str] | None, target: str) -> str | None:
    """The one type name a driver expression has in the target's build: a macro defined
    per target (`TYPE_X86_CPU`: "x86_64-cpu" or "i386-cpu") is the one naming it."""
    if not names:
        return None
    if len(names) == 1:
        return names[0]
    mine = [n for n in names if target in n]
    return mine[0] if len(mine) == 1 else None


def _text(expr: str) -> str:
    """A C string literal (or a concatenation of them) as its text; other expressions (a
    macro, `stringify(...)`) as written."""
    stripped = expr.strip()
    return csyntax.c_string(stripped) if stripped.startswith('"') else stripped


class _Arrays:
    """GlobalProperty arrays by name: the function's local ones, the file's own, then the
    tree's compat arrays (hw_compat_*, pc_compat_*, a vendor's)."""

    def __init__(self, tree: QemuTree, rel: str):
        self.tree, self.rel = tree, rel
        self._mine: dict[str, list[Entry]] | None = None
        self._global: dict[str, list[Entry]] | None = None

    def entries(self, name: str, local: Node | None, code: Code) -> list[Entry] | None:
        if local is not None:
            return _entries(name, self.rel, local.start_point[0] + 1, local,
                            self.tree.file(self.rel))
        mine = self._file_arrays()
        if name in mine:
            return mine[name]
        return self._tree_arrays().get(name)

    def _file_arrays(self) -> dict[str, list[Entry]]:
        if self._mine is None:
            self._mine = _arrays_of(self.tree, self.rel)
        return self._mine

    def _tree_arrays(self) -> dict[str, list[Entry]]:
        if self._global is None:
            self._global = {}
            for rel in self.tree.array_defs:
                for name, entries in _arrays_of(self.tree, rel).items():
                    self._global.setdefault(name, entries)
        return self._global


def _arrays_of(tree: QemuTree, rel: str) -> dict[str, list[Entry]]:
    """The file's GlobalProperty arrays, read once per file (every type asks them)."""
    file = tree.file(rel)
    if "effective-arrays" not in file.memo:
        file.memo["effective-arrays"] = _read_arrays(tree, rel)
    return dict(file.memo["effective-arrays"])


def _read_arrays(tree: QemuTree, rel: str) -> dict[str, list[Entry]]:
    file = tree.file(rel)
    out: dict[str, list[Entry]] = {}
    for node in csyntax.top_level(file.full_tree.root_node):
        if node.type != "declaration":
            continue
        kind, declared = declaration_parts(node, file.code)
        if "GlobalProperty" not in kind:
            continue
        for name, is_array, init in declared:
            if is_array and init is not None:
                out[name] = _entries(name, rel, node.start_point[0] + 1, init, file)
    return out


def _macros(file: SourceFile) -> dict[str, tuple[list[str], str]]:
    """The file's function-like macros: name -> (parameters, body), read once."""
    if "effective-macros" not in file.memo:
        file.memo["effective-macros"] = {
            m.group(1).decode(): ([p.strip() for p in m.group(2).decode().split(",")],
                                  m.group(3).decode("utf-8", "replace"))
            for m in _DEFINE.finditer(file.data)}
    macros: dict[str, tuple[list[str], str]] = file.memo["effective-macros"]
    return macros


def _entries(name: str, rel: str, first: int, init: Node, file: SourceFile) -> list[Entry]:
    """An array's entries in order, an item that is a macro of the file expanding to
    entries (pc_compat_2_4's `PC_CPU_MODEL_IDS("2.4.0")`) expanded where it stands."""
    from scaffold.reading.cmatch import elements

    found = [(node.start_byte, e) for e, node in array_entries(name, rel, first, init,
                                                                file.code)]
    for item in elements(init, file.code):
        if item.type != "call_expression":
            continue
        macros = _macros(file)
        callee = item.child_by_field_name("function")
        macro = macros.get(file.code.text(callee).strip()) if callee is not None else None
        if macro is None:
            continue
        params, body = macro
        args = [file.code.text(a) for a in arguments(item)]
        text = body.replace("\\\n", " ")
        for param, arg in zip(params, args):
            text = re.sub(rf"\b{re.escape(param)}\b", arg.replace("\\", "\\\\"), text)
        wrapped = f"GlobalProperty x[] = {{ {text} }};\n".encode()
        tree = csyntax.parse(wrapped)
        declaration = tree.root_node.named_children[0] if tree.root_node.named_children else None
        parts = declaration_parts(declaration, Code(wrapped))[1] if declaration is not None \
            else []
        inner = parts[0][2] if parts else None
        if inner is None:
            continue
        line = item.start_point[0] + 1
        found += [(item.start_byte, e._replace(line=line)) for e, _ in
                  array_entries(name, rel, first, inner, Code(wrapped))]
    return [e for _, e in sorted(found, key=lambda p: p[0])]


__all__ = ["Applied", "Effective", "CompatMachine", "compat_arrays", "compute", "find",
           "machine_types"]
