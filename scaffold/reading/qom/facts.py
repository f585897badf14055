"""What one C file says about QOM types, read with tree-sitter: the model's raw material.

Facts are typed records (`FileFacts` and the records below), cached per file by mtime
and size (as the tree index is) so that a warm run parses nothing.  Expressions that
name a type (`TYPE_VIRTIO_BLK`, `"qemu64" "-" TYPE_X86_CPU`) are kept as C text: the
model resolves them once every file's `#define`s are known.

Everything is matched on syntax nodes (reading/cmatch.py): TypeInfo initializers,
Property arrays and their DEFINE_PROP_* items, the object_*property_add*() and
device_class_set_props() calls of a function.  Two things are read as lines, because
they are the preprocessor's and not C: `#define`s (most files are headers that only
define names, read without parsing), and the `#if` lines around an item.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from tree_sitter import Node

from scaffold.reading import cmatch, csyntax
from scaffold.reading.cmatch import Code
from scaffold.reading.qom.entries import Entry, entries_in

# A file worth parsing says one of these; a file that only #defines names is read with a
# pattern (headers: most of the files, none of the parsing).
MARKERS = (b"TypeInfo", b"DEFINE_PROP", b"property_add", b"OBJECT_DEFINE", b"feat_names",
           b"X86CPUDefinition", b"GlobalProperty")
_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(?P<name>\w+)(?P<params>\([\w, \t.]*\))?"
                     r"[ \t]+(?P<value>(?:[^\n]*\\\n)*[^\n]*)", re.M)
_FIRST_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_NAME_MACRO = re.compile(r"[A-Z][A-Z0-9_]+\Z")
_OBJECT_DEFINE = re.compile(r"OBJECT_DEFINE_(\w*?TYPE\w*)\Z")


class Cond(NamedTuple):
    """A build condition around a definition: a preprocessor line (`#ifdef CONFIG_X`,
    `#else`) or a run-time test (`if virtio_mem_has_legacy_guests()`)."""

    text: str

    def __str__(self) -> str:
        return self.text

    @property
    def is_else(self) -> bool:
        return self.text.startswith("#else")


Conds = tuple[Cond, ...]


def conds(lines: tuple[str, ...] | list[str]) -> Conds:
    return tuple(Cond(line) for line in lines)


@dataclass(frozen=True)
class PropFact:
    """A DEFINE_PROP_*() item: its name (None when a macro names it), as written, kind,
    literal default; `param` when the name is the enclosing macro's parameter."""

    name: str | None
    expr: str
    kind: str
    default: str | None
    line: int
    cond: Conds
    param: int | None = None


@dataclass(frozen=True)
class MacroUse:
    """A macro in a Property array that may stand for DEFINE_PROP items
    (`DEFINE_BLOCK_PROPERTIES(VirtIOBlock, conf.conf)`); `first` its first argument."""

    macro: str
    first: str | None
    line: int
    cond: Conds


PropItem = PropFact | MacroUse


@dataclass(frozen=True)
class TypeFact:
    """A TypeInfo (or OBJECT_DEFINE_*TYPE): names as C expressions."""

    name: str
    parent: str | None
    line: int
    cond: Conds
    abstract: bool = False
    class_init: str | None = None
    instance_init: str | None = None
    interfaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class MacroItem:
    """An item of a TypeInfo array written by a macro (`DEFINE_SPAPR_CPU_CORE_TYPE("970")`)."""

    macro: str
    args: tuple[str, ...]
    line: int
    cond: Conds


@dataclass(frozen=True)
class VirtioFact:
    """A VirtioPCIDeviceTypeInfo: the types virtio_pci_types_register() makes of it."""

    line: int
    cond: Conds
    base_name: str | None = None
    generic_name: str | None = None
    transitional_name: str | None = None
    non_transitional_name: str | None = None
    parent: str | None = None
    class_init: str | None = None
    instance_init: str | None = None


@dataclass(frozen=True)
class AddedProp:
    """An object_class_property_add*() or object_property_add*() call."""

    name: str | None
    expr: str
    kind: str
    line: int


@dataclass(frozen=True)
class AliasFact:
    """object_property_add_alias(obj, "name", child, "target")."""

    name: str
    target: str
    line: int


@dataclass(frozen=True)
class FunctionFact:
    """What a function does to the properties of the type it initialises."""

    line: int
    cond: Conds
    arrays: tuple[str, ...] = ()          # Property arrays bound to the class
    array_conds: tuple[tuple[str, Cond], ...] = ()   # a run-time `if` around a binding
    class_props: tuple[AddedProp, ...] = ()
    object_props: tuple[AddedProp, ...] = ()
    aliases: tuple[AliasFact, ...] = ()
    alias_all: tuple[str, ...] = ()       # virtio_instance_init_common()'s child types
    calls: tuple[str, ...] = ()           # functions it calls (followed when they have facts)

    def guard(self, array: str) -> Cond | None:
        return next((c for a, c in self.array_conds if a == array), None)


@dataclass(frozen=True)
class Functional:
    """A function-like macro: `NAME(params) body`."""

    params: tuple[str, ...]
    body: str

    @property
    def variadic(self) -> bool:
        return bool(self.params) and self.params[-1] == "..."

    def takes(self, count: int) -> bool:
        """Whether a use with `count` arguments is one of this macro."""
        if self.variadic:
            return count >= len(self.params) - 1
        return count == len(self.params)


@dataclass
class FileFacts:
    defines: dict[str, list[str]] = field(default_factory=dict)
    functional: dict[str, Functional] = field(default_factory=dict)
    types: list[TypeFact | MacroItem] = field(default_factory=list)
    virtio: list[VirtioFact] = field(default_factory=list)
    arrays: dict[str, list[PropItem]] = field(default_factory=dict)
    macros: dict[str, list[PropItem]] = field(default_factory=dict)
    functions: dict[str, FunctionFact] = field(default_factory=dict)
    cpu_models: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    strings: list[str] = field(default_factory=list)   # loop-registered names
    entries: list[Entry] = field(default_factory=list)

    def says_something(self) -> bool:
        return any((self.defines, self.functional, self.types, self.virtio, self.arrays,
                    self.macros, self.functions, self.cpu_models, self.features,
                    self.unresolved, self.entries))


def extract(data: bytes, path: str = "") -> FileFacts | None:
    """The QOM facts of one file (`path` from the tree's root), or None when it has none."""
    has_defines = b"#define" in data or b"# define" in data
    parse = any(m in data for m in MARKERS)
    if not parse and not has_defines:
        return None
    facts = FileFacts()
    code = Code(data)
    if has_defines:
        _defines(csyntax.utf8(code.bytes), facts)
    if parse:
        root = csyntax.parse(data).root_node
        _Reader(code, facts).walk(root, ())
        if b"GlobalProperty" in data:   # the compat entries lint checks, cached with the rest
            facts.entries = entries_in(root, path, code)
        if b"type_register" in data:
            # names a loop registers (e1000's, say): the model cannot tell their types,
            # but knows that such a name exists
            facts.strings = _loop_registered_names(root, code)
    return facts if facts.says_something() else None


def type_info_of(initializer: str) -> TypeFact | None:
    """The TypeInfo an initializer's text describes (a macro's body, arguments given)."""
    data = f"static const TypeInfo x = {initializer};\n".encode()
    code = Code(data)
    facts = FileFacts()
    _Reader(code, facts).walk(csyntax.parse(data).root_node, ())
    found = [t for t in facts.types if isinstance(t, TypeFact)]
    return found[0] if found else None


# -- #define lines --------------------------------------------------------------------------

def _defines(text: str, facts: FileFacts) -> None:
    """`text`: the file with comments blanked."""
    for m in _DEFINE.finditer(text):
        name, value = m.group("name"), m.group("value").replace("\\\n", " ").strip()
        if not value:
            continue
        if m.group("params"):
            params = tuple(p.strip() for p in m.group("params")[1:-1].split(",") if p.strip())
            if "DEFINE_PROP" in value:
                first = text.count("\n", 0, m.start()) + 1
                props = _macro_props(m.group("value").replace("\\\n", " \n"), first, params)
                if props:
                    facts.macros[name] = props
            elif '"' in value or value.startswith(("(", "{")) or re.fullmatch(r"[\w\s#]+", value):
                facts.functional[name] = Functional(params, value)
        elif name.startswith(("TYPE_", "INTERFACE_")) or '"' in value:
            known = facts.defines.setdefault(name, [])
            if value not in known:
                known.append(value)


def _macro_props(body: str, first_line: int, params: tuple[str, ...]) -> list[PropItem]:
    """The DEFINE_PROP items of a macro's body, parsed as a Property array's items;
    `VIRTIO_DEFINE_PROP_FEATURE(_name, ...)`'s name is the caller's (`param`)."""
    head = "static Property x[] = {"
    data = (head + body + "\n};\n").encode()
    code = Code(data)
    root = csyntax.parse(data).root_node
    init = next((v for n in csyntax.top_level(root) if n.type == "declaration"
                 for _, _, v in cmatch.declaration_parts(n, code)[1] if v is not None), None)
    if init is None:
        return []
    items = _prop_items(init, code, (), first_line)
    return [PropFact(p.name, p.expr, p.kind, p.default, p.line, p.cond, params.index(p.expr))
            if isinstance(p, PropFact) and p.expr in params else p for p in items]


# -- Property arrays ------------------------------------------------------------------------

_KINDS = {"bool": "bool", "bit": "bool", "bit64": "bool", "uint8": "uint8", "uint16": "uint16",
          "uint32": "uint32", "uint64": "uint64", "int32": "int32", "int64": "int64",
          "int": "int32", "size": "size", "size32": "size32", "string": "str",
          "on_off_auto": "OnOffAuto", "on_off_auto_bit64": "OnOffAuto", "link": "link",
          "uuid": "str", "uuid_nodefault": "str", "macaddr": "str", "chr": "str",
          "drive": "str", "drive_iothread": "str", "netdev": "str", "array": "array",
          "pci_devfn": "int32", "usize": "size"}
_LITERAL_DEFAULT = re.compile(r"-?(?:0x[0-9a-fA-F]+|\d+)[uUlL]*|true|false|ON_OFF_AUTO_\w+")


def _prop_items(init: Node, code: Code, outer: Conds, first_line: int) -> list[PropItem]:
    """DEFINE_PROP_* items of a Property array (and the macros that may stand for some),
    with their line (`first_line` is the line of the array's first line) and conditions."""
    out: list[PropItem] = []
    for item, lines in cmatch.conditioned(init, code):
        if item.type != "call_expression":
            continue
        name = cmatch.callee(item)
        args = cmatch.macro_arguments(item, code)
        line = first_line + item.start_point[0] - init.start_point[0]
        cond = outer + conds(lines)
        if name.startswith("DEFINE_PROP"):
            if not args or not re.fullmatch(r'"(?:[^"\\\n]|\\.)*"|\w+', args[0]):
                continue   # DEFINE_PROP_END_OF_LIST()
            kind = name[len("DEFINE_PROP_"):].lower() if name != "DEFINE_PROP" else ""
            raw = args[0]
            out.append(PropFact(csyntax.c_string(raw) if raw.startswith('"') else None, raw,
                                _kind(kind, args[1:]), _default(kind, args[1:]), line, cond))
        elif _NAME_MACRO.match(name):
            first = args[0] if args and re.fullmatch(r'"(?:[^"\\\n]|\\.)*"|\w+', args[0]) else None
            out.append(MacroUse(name, first, line, cond))
    return out


def _kind(kind: str, rest: list[str]) -> str:
    if kind in _KINDS:
        return _KINDS[kind]
    if kind in ("signed", "unsigned", "") and len(rest) >= 3:   # (..., field, default, info, type)
        info = next((a for a in rest if a.startswith("qdev_prop_")), "")
        return info or f"DEFINE_PROP_{kind.upper()}" if kind else info or "DEFINE_PROP"
    return f"DEFINE_PROP_{kind.upper()}"


def _default(kind: str, rest: list[str]) -> str | None:
    index = {"bit": 3, "bit64": 3, "on_off_auto_bit64": 4}.get(kind, 2)
    if kind in ("string", "link", "chr", "drive", "netdev", "macaddr", "array", "uuid"):
        return None
    if len(rest) > index:
        value = rest[index].strip()
        if _LITERAL_DEFAULT.fullmatch(value):
            return value
    return None


# -- the file's top-level items -------------------------------------------------------------

_TYPE_FIELDS = ("name", "parent", "base_name", "generic_name", "transitional_name",
                "non_transitional_name")


class _Reader:
    """One walk of a file's syntax tree, filling its FileFacts."""

    def __init__(self, code: Code, facts: FileFacts) -> None:
        self.code, self.facts = code, facts

    def text(self, node: Node) -> str:
        return self.code.text(node)

    def walk(self, node: Node, outer: Conds) -> None:
        for child in node.children:
            kind = child.type
            if kind in ("preproc_if", "preproc_ifdef", "preproc_elif", "preproc_else",
                        "preproc_elifdef"):
                self.walk(child, outer + (self.condition(child),))
            elif kind == "ERROR" and child.end_point[0] - child.start_point[0] > 20:
                # a macro tree-sitter cannot parse swallowed the rest of the file: what it
                # recovered inside is still declarations and functions; say where it began
                hidden = child.end_point[0] - child.start_point[0]
                self.facts.unresolved.append(
                    f"line {child.start_point[0] + 1}: a C syntax error (or a macro) hides "
                    f"{hidden} lines from the parser; what it recovered was read")
                self.walk(child, outer)
            elif kind == "declaration":
                self.declaration(child, outer)
            elif kind == "function_definition":
                self.function(child, outer)
            elif kind in ("expression_statement", "ERROR") or \
                    b"OBJECT_DEFINE" in (child.text or b""):
                for call in cmatch.calls(child, lambda n: _OBJECT_DEFINE.match(n) is not None):
                    self.object_define(call, outer)

    def condition(self, node: Node) -> Cond:
        if node.type == "preproc_else":
            return Cond("#else")
        return Cond(self.text(node).split("\n", 1)[0].strip())

    # -- declarations ---------------------------------------------------------------------

    def declaration(self, node: Node, outer: Conds) -> None:
        kind, declared = cmatch.declaration_parts(node, self.code)
        for name, array, value in declared:
            if value is None or value.type != "initializer_list":
                continue
            if kind == "VirtioPCIDeviceTypeInfo":
                self.facts.virtio.append(self.virtio(value, outer))
            elif kind == "TypeInfo":
                self.type_infos(value, array, outer)
            elif kind == "Property" and array:
                self.facts.arrays[name] = _prop_items(value, self.code, outer,
                                                      value.start_point[0] + 1)
            elif kind == "X86CPUDefinition" and name == "builtin_x86_defs":
                self.cpu_models(value)
            elif kind == "FeatureWordInfo" and name == "feature_word_info":
                for names in cmatch.pairs_below(value, self.code, "feat_names"):
                    self.facts.features += cmatch.strings_below(names, self.code)

    def fields(self, init: Node) -> dict[str, str]:
        out = {}
        for name, value in cmatch.designated(init, self.code).items():
            text = self.text(value).strip()
            if name in _TYPE_FIELDS:
                out[name] = text
            elif name in ("class_init", "instance_init", "abstract"):
                out[name] = text.strip("& ")
        return out

    def type_fact(self, init: Node, outer: Conds) -> TypeFact | None:
        found = self.fields(init)
        if "name" not in found:
            return None
        interfaces = cmatch.designated(init, self.code).get("interfaces")
        return TypeFact(found["name"], found.get("parent"), init.start_point[0] + 1, outer,
                        found.get("abstract") == "true", found.get("class_init"),
                        found.get("instance_init"), _interfaces(interfaces, self.code))

    def type_infos(self, init: Node, array: bool, outer: Conds) -> None:
        if not array:
            fact = self.type_fact(init, outer)
            if fact is not None:
                self.facts.types.append(fact)
            return
        for item in cmatch.elements(init, self.code):
            if item.type == "initializer_list":
                fact = self.type_fact(item, outer)
                if fact is not None:
                    self.facts.types.append(fact)
            elif item.type == "call_expression" and _NAME_MACRO.match(cmatch.callee(item)):
                # DEFINE_SPAPR_CPU_CORE_TYPE("970_v2.2"): the model expands the macro
                self.facts.types.append(MacroItem(
                    cmatch.callee(item), tuple(cmatch.macro_arguments(item, self.code)),
                    item.start_point[0] + 1, outer))

    def virtio(self, init: Node, outer: Conds) -> VirtioFact:
        f = self.fields(init)
        return VirtioFact(init.start_point[0] + 1, outer, f.get("base_name"),
                          f.get("generic_name"), f.get("transitional_name"),
                          f.get("non_transitional_name"), f.get("parent"),
                          f.get("class_init"), f.get("instance_init"))

    def cpu_models(self, init: Node) -> None:
        """Each model and the aliases of its versions (EPYC-IBPB is EPYC-v2) are types;
        each model is also registered as MODEL-vN, one per version it lists (v1 always)."""
        for item in cmatch.elements(init, self.code):
            if item.type != "initializer_list":
                continue
            name = cmatch.designated(item, self.code).get("name")
            if name is None or name.type not in ("string_literal", "concatenated_string"):
                continue
            model = csyntax.c_string(self.text(name))
            self.facts.cpu_models.append(model)
            for alias in cmatch.pairs_below(item, self.code, "alias"):
                self.facts.cpu_models += cmatch.strings_below(alias, self.code)[:1]
            versions = {1} | {int(self.text(v)) for v in cmatch.pairs_below(item, self.code, "version")
                              if self.text(v).strip().isdigit()}
            self.facts.cpu_models += [f"{model}-v{v}" for v in sorted(versions)]

    # -- OBJECT_DEFINE_TYPE(ModuleObjName, module_obj_name, MODULE_OBJ_NAME, PARENT, ...) --

    def object_define(self, call: cmatch.Call, outer: Conds) -> None:
        args = [self.text(a).strip() for a in call.args]
        if len(args) < 4 or not all(a.type == "identifier" for a in call.args[:4]):
            return   # the macro's own definition (include/qom/object.h), not a use
        prefix, upper, parent = args[1], args[2], args[3]
        self.facts.types.append(TypeFact(
            f"TYPE_{upper}", f"TYPE_{parent}", call.node.start_point[0] + 1, outer,
            "ABSTRACT" in call.name, f"{prefix}_class_init", f"{prefix}_init"))

    # -- functions ------------------------------------------------------------------------

    def function(self, node: Node, outer: Conds) -> None:
        # A function that adds no property and calls no initialiser is never followed:
        # the bytes are tested first, the calls matched only where they may be.  Helpers
        # that only call helpers are followed too (4.x's ich9_lpc_initfn calls
        # ich9_lpc_add_properties, which calls ich9_pm_add_properties).
        raw = node.text or b""
        if not any(m in raw for m in (b"property_add", b"set_props", b"->props",
                                      b"virtio_instance_init_common", b"_init(", b"propert")):
            return
        name = csyntax.function_name(node)
        if not name or name.startswith("device_class_set_props"):
            return   # the setter itself (hw/core/qdev-properties.c), not a use of it
        body = node.child_by_field_name("body")
        if body is None:
            return
        arrays, guards = [], []
        for at, array in _bound_arrays(node, self.code):
            arrays.append(array)
            guard = _guard(node, at, self.code)
            if guard:   # `if (virtio_mem_has_legacy_guests()) device_class_set_props(...)`
                guards.append((array, guard))
        added: dict[str, list[AddedProp]] = {"class": [], "object": []}
        aliases, alias_all, callees = [], [], set()
        for call in cmatch.calls(body, lambda _: True):
            callees.add(call.name)
            texts = [self.text(a).strip() for a in call.args]
            line = call.node.start_point[0] + 1
            if call.name == "object_property_add_alias":
                if len(texts) == 4 and texts[1].startswith('"') and texts[3].startswith('"'):
                    aliases.append(AliasFact(csyntax.c_string(texts[1]),
                                             csyntax.c_string(texts[3]), line))
                continue
            if call.name == "virtio_instance_init_common":
                if texts and re.fullmatch(r'TYPE_\w+|"(?:[^"\\\n]|\\.)*"', texts[-1]):
                    alias_all.append(texts[-1])
                continue
            m = re.fullmatch(r"object_(class_)?property_add(?:_(\w+))?", call.name)
            if m is None or len(texts) < 2:
                continue
            suffix = m.group(2) or ""
            if suffix in ("alias", "child", "const_link", "link"):
                continue
            raw_name = texts[1]
            if not (raw_name.startswith('"') or _NAME_MACRO.match(raw_name)):
                continue
            typed = texts[2] if len(texts) > 2 and texts[2].startswith('"') else None
            # `"link<" TYPE_MEMORY_REGION ">"`: the kind as far as its first literal says
            kind = _ADD_KINDS.get(suffix) or (_first_string(typed) if typed
                                              else suffix or "other")
            added["class" if m.group(1) else "object"].append(AddedProp(
                csyntax.c_string(raw_name) if raw_name.startswith('"') else None, raw_name,
                kind, line))
        self.facts.functions[name] = FunctionFact(
            node.start_point[0] + 1, outer, tuple(arrays), tuple(guards),
            tuple(added["class"]), tuple(added["object"]), tuple(aliases), tuple(alias_all),
            tuple(sorted(callees)))


def _first_string(literals: str) -> str:
    m = _FIRST_STRING.match(literals)
    return csyntax.c_string(m.group(0)) if m else literals


_ADD_KINDS = {"bool": "bool", "str": "str", "uint8_ptr": "uint8", "uint16_ptr": "uint16",
              "uint32_ptr": "uint32", "uint64_ptr": "uint64", "enum": "enum", "tm": "tm"}


def _interfaces(value: Node | None, code: Code) -> tuple[str, ...]:
    """`(InterfaceInfo[]) { { TYPE_A }, { TYPE_B }, { } }` -> (TYPE_A, TYPE_B)."""
    if value is None:
        return ()
    lists = [n for n in csyntax.descendants_in_order(value) if n.type == "initializer_list"]
    out = []
    for inner in lists[1:] if lists else []:
        items = list(cmatch.elements(inner, code))
        if items:
            out.append(code.text(items[0]).strip())
    return tuple(out)


def _bound_arrays(function: Node, code: Code) -> list[tuple[int, str]]:
    """(offset, array) of every Property array the function binds to its class:
    `device_class_set_props(dc, X)` (`_n` too), or before 5.0 `dc->props = X;` with any
    name for the DeviceClass (hw/usb/bus.c: `DeviceClass *k = ...; k->props = usb_props;`)."""
    out = []
    device_classes = {name for n in csyntax.descendants(function) if n.type == "declaration"
                      and (kind := n.child_by_field_name("type")) is not None
                      and code.text(kind) == "DeviceClass" for name in csyntax.declared_names(n)}
    for call in cmatch.calls(function, cmatch.named("device_class_set_props",
                                                    "device_class_set_props_n")):
        if len(call.args) >= 2 and call.args[1].type == "identifier":
            out.append((call.node.start_byte, code.text(call.args[1])))
    for n in csyntax.descendants(function):
        if n.type != "assignment_expression":
            continue
        left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
        if left is None or right is None or left.type != "field_expression":
            continue
        member = left.child_by_field_name("field")
        owner = left.child_by_field_name("argument")
        if member is not None and code.text(member) in ("props", "props_") and \
                right.type == "identifier" and owner is not None and \
                code.text(owner) in device_classes:   # not AspeedGPIOClass's `agc->props`
            out.append((n.start_byte, code.text(right)))
    return sorted(out)


def _guard(function: Node, at: int, code: Code) -> Cond | None:
    """The `if (...)` conditions around the byte `at` inside a function."""
    node = function.descendant_for_byte_range(at, at)
    found = []
    while node is not None and node != function:
        if node.type == "if_statement":
            cond = node.child_by_field_name("condition")
            if cond is not None and not (cond.start_byte <= at < cond.end_byte):
                found.append("if " + " ".join(code.text(cond).split()))
        node = node.parent
    return Cond(" / ".join(reversed(found))) if found else None


# -- names a loop registers -----------------------------------------------------------------

# Arrays of these are not tables a registration loop reads its type names from
_NOT_TYPE_TABLES = {"TypeInfo", "VMStateDescription", "VMStateField", "Property",
                    "VirtioPCIDeviceTypeInfo", "GlobalProperty"}


def _loop_registered_names(root: Node, code: Code) -> list[str]:
    """The `.name = "..."` strings of the file's tables when a loop registers types
    (`for (...) { type_info.name = info->name; type_register_static(&type_info); }`,
    directly or through a function of the file): names the model knows exist without
    knowing their type.  A VMStateDescription's name or a string passed to virtio_init()
    is no registration."""
    functions = csyntax.functions(root)
    registers = cmatch.prefixed("type_register")
    registering = {name for name, fn in functions.items() if any(cmatch.calls(fn, registers))}
    looped = any(loop.type in ("for_statement", "while_statement", "do_statement") and
                 any(cmatch.calls(loop, lambda n: registers(n) or n in registering))
                 for fn in functions.values() for loop in _descendants(fn))
    if not looped:
        return []
    names = set()
    for item in csyntax.top_level(root):
        if item.type != "declaration":
            continue
        kind, declared = cmatch.declaration_parts(item, code)
        if not kind or kind in _NOT_TYPE_TABLES:
            continue
        for _, _, value in declared:
            if value is None:
                continue
            for name in cmatch.pairs_below(value, code, "name"):
                if name.type == "string_literal":
                    names.add(csyntax.c_string(code.text(name)))
    return sorted(names)


def _descendants(node: Node) -> Iterator[Node]:
    return csyntax.descendants(node)   # typed for this module's strict checks


class Location(NamedTuple):
    """Where something is defined: a file of the tree, and a line when there is one."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path
