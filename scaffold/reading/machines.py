"""Matchers: read one family's versioned machine types out of its C file.

Everything is located through the tree-sitter syntax tree and kept as byte spans,
so the planner can splice new text in without touching anything else.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

from scaffold.reading import csyntax
from scaffold.reading.cmatch import field_assignments
from scaffold.errors import ScaffoldError
from scaffold.reading.families import V, FamilySpec, OptionsKind
from scaffold.reading.machine_types import CallSite, OptionsFacts, UpstreamType
from scaffold.reading.tree import QemuTree, SourceFile
from scaffold.version import Version

if TYPE_CHECKING:
    from tree_sitter import Node

# How a file registers one version (QEMU-FACTS "Earlier layouts"):
#   latest:   NAME_AS_LATEST(A, B) / NAME(A, B)             newest marked by the macro
#   flag:     NAME(A_B, "A.B", true|false)                 spapr, s390x up to 9.1
#   flag_num: NAME(A, B, true|false)                       m68k up to 9.1
#   tagged:   NAME(vA_B, "pc-q35-A.B", NULL, fn)           x86 up to 9.1, alias lines mark newest
#   plain:    NAME(A, B) and no _AS_LATEST in the family    x86 9.2, alias lines mark newest
class Layout(StrEnum):
    """A registration's form, and a family's (`machines` shows it; MIXED: several)."""

    LATEST = "latest"
    PLAIN = "plain"
    FLAG = "flag"
    FLAG_NUM = "flag_num"
    TAGGED = "tagged"
    MIXED = "mixed"


MACRO_MARKED = (Layout.LATEST, Layout.FLAG, Layout.FLAG_NUM)
ALIAS_FIELDS = ("alias", "is_default")
# what only the latest type sets, and a demoted one resets: the alias and the default
RESETS = {"alias": "NULL", "is_default": "false"}


class Span(NamedTuple):
    start: int
    end: int


@dataclass(eq=False, repr=False)
class OptionsFn:
    """One versioned options function, located in its file."""

    kind: OptionsKind
    name: str
    param: str
    start: int
    end: int
    body: Span
    line: int
    statements: list[Node]  # tree-sitter nodes of the body's statements
    node: Any = None   # the function_definition (a tree-sitter node)

    def name_spans(self) -> list[Span]:
        """Every use of the function's own name inside its definition."""
        return [Span(n.start_byte, n.end_byte) for n in csyntax.identifiers(self.node)
                if csyntax.utf8(n.text or b"") == self.name]

    @cached_property
    def calls(self) -> list["Call"]:
        """Plain function calls made as statements."""
        out = []
        for stmt in self.statements:
            called = csyntax.macro_call(stmt)
            if called:
                out.append(Call(called[0], called[1], stmt))
        return out


class Call(NamedTuple):
    """A function call made as a statement (`name(args);`)."""

    name: str
    call: Any      # the call_expression node
    stmt: Any      # the statement node

    @property
    def args(self) -> list[str]:
        """Argument texts (decoded when asked: most checks need only the callee)."""
        arguments = self.call.child_by_field_name("arguments")
        return [csyntax.utf8(a.text or b"") for a in arguments.named_children
                if a.type != "comment"]


@dataclass(eq=False, repr=False)
class MacroCall:
    """One registration macro call (DEFINE_*_MACHINE...), as written."""

    name: str
    args: list[str]
    form: Layout
    version: Version
    latest: bool | None  # None where the body's alias lines say it
    start: int
    end: int
    line: int
    text: str
    terminator: str      # ";" or "" (arm and m68k write no semicolon)
    align: str = ""      # tagged form: indentation of the continuation line


@dataclass(eq=False, repr=False)
class VersionBlock:
    """Everything one version of a family has: options functions, registration, header."""

    version: Version
    functions: dict[str, OptionsFn]
    macro: MacroCall | None
    header: Span | None
    memo: dict[Any, Any] = field(default_factory=dict)   # what planners derived from it

    @property
    def start(self) -> int:
        starts = [f.start for f in self.functions.values()]
        if self.header:
            starts.append(self.header.start)
        if starts or self.macro is None:
            return min(starts)
        return self.macro.start

    @property
    def end(self) -> int:
        return self.macro.end if self.macro else max(f.end for f in self.functions.values())

    @property
    def class_fn(self) -> OptionsFn | None:
        return next((f for f in self.functions.values() if f.kind.adds_compat), None)

    def alias_lines(self) -> list[Node]:
        """Statements `<param>->alias = ...;` / `<param>->is_default = ...;` of the class options."""
        fn = self.class_fn
        return [s for s in fn.statements if assigned_field(s, fn.param) in ALIAS_FIELDS] if fn else []

    def marks_latest(self) -> bool:
        if self.macro and self.macro.latest is not None:
            return self.macro.latest
        for stmt in self.alias_lines():
            right = stmt.named_children[0].child_by_field_name("right")
            if right is not None and right.text not in (b"NULL", b"false"):
                return True
        return False


@dataclass(eq=False, repr=False)
class Family:
    """One family's versioned machine types, read from its file."""

    spec: FamilySpec
    file: SourceFile
    layout: Layout              # its registrations' form (`machines` shows it)
    blocks: list[VersionBlock]  # newest first (by version)
    extras: list[tuple[str, int]] = field(default_factory=list)  # bugfix/tagged registrations
    helpers: dict[str, OptionsFn] = field(default_factory=dict)  # bugfix machines' options
    # Functions named for a version newer than every registration (a typo such as
    # ccw_machine_18_1_...): a finding about the function, never a new newest version.
    unregistered: list[OptionsFn] = field(default_factory=list)
    memo: dict[Any, Any] = field(default_factory=dict)   # findings, by the arrays the tree has

    @property
    def disabled_versions(self) -> set[Version]:
        """Versions whose registration `#if 0` compiles out (their functions may live on)."""
        return set(self.file.memo.get("disabled-versions", {}).get(self.spec.name, set()))

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def path(self) -> str:
        return self.file.rel

    @property
    def newest_block(self) -> VersionBlock:
        return self.blocks[0]

    @property
    def newest(self) -> UpstreamType:
        return self.types[0]

    @cached_property
    def types(self) -> list[UpstreamType]:
        """Its versions as the one model's machine types (machine_types.py), newest
        first: what judges and reports ask of every family, upstream's or a vendor's.
        Their options are aligned on the family's options kinds ("" where a version
        lacks one)."""
        out = []
        for i, block in enumerate(self.blocks):
            fns = [block.functions.get(k.role) for k in self.spec.kinds]
            newest = i == 0
            t = UpstreamType(
                self.spec.type_name(block.version), block.version, "",
                self._line(block), tuple(fn.name if fn else "" for fn in fns),
                latest=bool(block.functions) and block.marks_latest(),
                registered=block.macro.line if block.macro else None,
                macro=block.macro.name if block.macro else "",
                settings=(lambda: (self.alias(), self.is_default())) if newest else None)
            for fn in fns:
                if fn is not None:
                    t.adds[fn.name] = [args[1] for c in fn.calls if c.name == "compat_props_add"
                                       for args in [c.args] if len(args) == 3]
                    t.functions[fn.name] = self._facts(fn)._replace(via=(
                        self._facts(helper) if (helper := self.bugfix_of(fn)) else None))
            out.append(t)
        return out

    def _line(self, block: VersionBlock) -> int:
        """The line its block starts on (its header, else its first function or its
        registration), counted from the nearest node."""
        first = min((f for f in block.functions.values()), key=lambda f: f.start, default=None)
        if first is None:
            return block.macro.line if block.macro else self.file.line(block.start)
        if block.header is None:
            return first.line
        return first.line - self.file.data.count(b"\n", block.header.start, first.start)

    def type_of(self, block: VersionBlock) -> UpstreamType:
        """The machine type a block of the family registers."""
        return self.types[self.blocks.index(block)]

    def _facts(self, fn: OptionsFn) -> OptionsFacts:
        return OptionsFacts(fn.name, fn.line, fn.param,
                            tuple(CallSite(c.name, c.stmt.start_point[0] + 1, c.call)
                                  for c in fn.calls))

    def bugfix_of(self, fn: OptionsFn) -> OptionsFn | None:
        """The bugfix machine's options `fn` calls first (q35 4.0 -> 4.0.1), if it does."""
        for call in fn.calls:
            if call.name in self.helpers and fn.kind.match_bugfix(call.name):
                return self.helpers[call.name]
        return None

    def block(self, version: Version) -> VersionBlock | None:
        return next((b for b in self.blocks if b.version == version), None)

    def error(self, message: str, offset: int | None = None) -> ScaffoldError:
        line = self.file.line(offset) if offset is not None else None
        return ScaffoldError(message, path=self.file.rel, line=line, family=self.name)

    def alias(self) -> str | None:
        """The alias the newest version gets ("pc", "q35", "virt", "pseries"...)."""
        for stmt in self.newest_block.alias_lines():
            right = stmt.named_children[0].child_by_field_name("right")
            if right is not None and right.type == "string_literal":
                return csyntax.utf8(right.text or b"").strip('"')
        for node in csyntax.top_level(self.file.full_tree.root_node):  # macros sit at the top
            text = csyntax.utf8(node.text or b"")
            if node.type == "preproc_function_def" and f" {self.spec.macro}_AS_LATEST(" in text:
                names = [n for n in re.findall(r'"([^"]+)"', text) if n != self.spec.prefix]
                if names:
                    return str(names[0])
            if node.type == "preproc_function_def":   # a macro's body: preprocessor text
                m = re.search(r'->alias\s*=\s*"([^"]+)"', text)
                if m:
                    return m.group(1)
            elif node.type == "function_definition" and "latest" in (function_name(node) or ""):
                alias = next((v for f, v in _field_assignments(node) if f == "alias"
                              and v.startswith('"')), None)
                if alias is not None:
                    return csyntax.c_string(alias)
        return None

    def is_default(self) -> bool:
        """Whether the newest version is its binary's default machine: an `is_default = true`
        line in its body, or where the latest marker is defined (the _AS_LATEST macro, or
        a `*latest*` function), or a `true` flag passed by the _AS_LATEST macro (x86)."""
        for stmt in self.newest_block.alias_lines():   # alias lines come from a class function
            if assigned_field(stmt, self.newest_block.class_fn.param) == "is_default":  # type: ignore[union-attr]
                right = stmt.named_children[0].child_by_field_name("right")
                return right is not None and right.text == b"true"
        for node in csyntax.top_level(self.file.full_tree.root_node):
            text = csyntax.utf8(node.text or b"")
            macro = node.type == "preproc_function_def" and f" {self.spec.macro}" in text
            latest_fn = node.type == "function_definition" and "latest" in (function_name(node) or "")
            if macro and re.search(r"is_default\s*=\s*true", text):   # preprocessor text
                return True
            if latest_fn and ("is_default", "true") in _field_assignments(node):
                return True
            # x86: DEFINE_PC_VER_MACHINE(pc_i440fx, "pc-i440fx", init, true, "pc", ...)
            if macro and f" {self.spec.macro}_AS_LATEST(" in text and \
                    re.search(r'\btrue\s*,\s*"', text):
                return True
        return False

    def indent(self) -> str:
        for block in self.blocks[1:] + self.blocks[:1]:
            for fn in block.functions.values():
                if fn.statements:
                    first = fn.statements[0]
                    return self.file.data[csyntax.line_start(self.file.data, first.start_byte):
                                          first.start_byte].decode("utf-8", "replace")
        return "    "


def _field_assignments(node: Node) -> list[tuple[str, str]]:
    """(field, value as written) of every `x->field = value` below `node`, in order."""
    return [(name, csyntax.utf8(csyntax.text(value))) for name, value in field_assignments(node)]


def reset_convention(family: Family) -> str:
    """Where older x86 versions undo the newest's alias/is_default lines.

    "none": the newest carries no alias lines (10.0 layout and later, non-x86);
    "all": every older version resets them (7.2/8.0 trees);
    "second": only the second-newest does, so a bump moves the reset (8.1 to 9.2)."""
    if family.layout in MACRO_MARKED or not family.newest_block.alias_lines():
        return "none"
    older = family.blocks[1:3]
    if len(older) >= 2 and older[1].alias_lines():
        return "all"
    return "second"


def assigned_field(stmt: Node, param: str) -> str | None:
    """`field` when `stmt` is `<param>->field = ...;`, else None."""
    expr = csyntax.statement_expr(stmt, "assignment_expression")
    if expr is None:
        return None
    left = expr.child_by_field_name("left")
    if left is None or left.type != "field_expression":
        return None
    arg = left.child_by_field_name("argument")
    fld = left.child_by_field_name("field")
    if arg is None or fld is None or csyntax.utf8(arg.text or b"") != param:
        return None
    return csyntax.utf8(fld.text or b"")


def _bugfix_function(node: Node, spec: FamilySpec, name: str | None) -> OptionsFn | None:
    if not name or not any(ch.isdigit() for ch in name):   # most helpers: no pattern to try
        return None
    for kind in spec.kinds:
        if kind.match_bugfix(name):
            return _options_fn(node, kind, name)
    return None


function_name = csyntax.function_name   # retire and bump import it from here


def _options_fn(node: Node, kind: OptionsKind, name: str) -> OptionsFn:
    decl = node.child_by_field_name("declarator")
    parameters = decl.child_by_field_name("parameters") if decl is not None else None
    params = [p for p in parameters.named_children
              if p.type == "parameter_declaration"] if parameters is not None else []
    param = ""
    if len(params) == 1:
        pdecl = params[0].child_by_field_name("declarator")
        while pdecl is not None and pdecl.type == "pointer_declarator":
            pdecl = pdecl.child_by_field_name("declarator")
        param = csyntax.utf8(pdecl.text or b"") if pdecl is not None else ""
    body = node.child_by_field_name("body")
    assert body is not None   # a function_definition, matched as one
    statements = [c for c in body.named_children if c.type != "comment"]
    return OptionsFn(kind, name, param, node.start_byte, node.end_byte,
                     Span(body.start_byte, body.end_byte), node.start_point[0] + 1, statements, node)


def _function(node: Node, spec: FamilySpec, name: str | None
              ) -> tuple[Version, OptionsFn] | None:
    if name is None:
        return None
    for kind in spec.kinds:
        m = kind.match(name)
        if m:
            return Version(int(m.group("major")), int(m.group("minor"))), _options_fn(node, kind, name)
    return None


_INT = re.compile(r"\d+\Z")


def parse_macro(spec: FamilySpec, node: Node, name: str, call: Node,
                data: bytes) -> MacroCall | None:
    """Recognise one registration of the family, or None for a call of another shape."""
    args_node = call.child_by_field_name("arguments")
    inner = csyntax.utf8(args_node.text or b"")[1:-1] if args_node is not None else ""
    args = csyntax.split_args(inner)
    # compared with rendered templates, so CRLF files read as LF here
    text = data[node.start_byte:node.end_byte].decode("utf-8", "replace").replace("\r\n", "\n")
    common: dict[str, Any] = dict(name=name, args=args, start=node.start_byte, end=node.end_byte,
                  line=node.start_point[0] + 1, text=text,
                  terminator=";" if text.endswith(";") else "")
    if name == spec.macro + "_AS_LATEST":
        if len(args) == 2 and all(_INT.match(a) for a in args):
            return MacroCall(form=Layout.LATEST, version=Version(int(args[0]), int(args[1])), latest=True, **common)
        return None
    if name != spec.macro:
        return None
    if len(args) == 2 and all(_INT.match(a) for a in args):
        return MacroCall(form=Layout.PLAIN, version=Version(int(args[0]), int(args[1])), latest=None, **common)
    if len(args) == 3 and args[2] in ("true", "false"):
        m = re.fullmatch(r'(\d+)_(\d+)', args[0])
        if m and args[1] == f'"{m.group(1)}.{m.group(2)}"':
            return MacroCall(form=Layout.FLAG, version=Version(int(m.group(1)), int(m.group(2))),
                             latest=args[2] == "true", **common)
        if _INT.match(args[0]) and _INT.match(args[1]):
            return MacroCall(form=Layout.FLAG_NUM, version=Version(int(args[0]), int(args[1])),
                             latest=args[2] == "true", **common)
        return None
    if len(args) >= 3:   # tagged: (vA_B, "pc-q35-A.B", [initfn,] options function)
        m = re.fullmatch(r'v(\d+)_(\d+)', args[0])
        fn_kind = spec.class_kind
        # the name ends in -A.B: pc-i440fx-A.B, or 1.0 to 1.3's "pc-1.3" (before 6.0)
        named = args[1].startswith('"') and args[1].endswith(f'-{m.group(1)}.{m.group(2)}"') \
            if m else False
        if m and named and fn_kind.match(args[-1]):
            align = re.search(r",\r?\n([ \t]*)\S[^\n]*\Z", inner)
            return MacroCall(form=Layout.TAGGED, version=Version(int(m.group(1)), int(m.group(2))),
                             latest=None, align=align.group(1) if align else " ", **common)
    return None


_HEADERS: dict[str, re.Pattern[bytes]] = {}


def _header_label(header: str, comment: bytes) -> str | None:
    """"A.B" of a "/*\n * pseries-A.B\n */" comment (one pattern per family, not per version)."""
    if header not in _HEADERS:
        _HEADERS[header] = re.compile(rb"/\*\s*\*\s*" + re.escape(header.encode()) +
                                      rb"-(\d+\.\d+)\s*\*/")
    m = _HEADERS[header].fullmatch(comment)
    return m.group(1).decode("utf-8", "replace") if m else None


def _first_block(spec: FamilySpec, data: bytes) -> int | None:
    """Where the family's versioned functions or registrations start, found as text so
    that only that part of the file needs parsing."""
    names = "|".join(p.replace(V, r"\d+_\d+") for k in spec.kinds for p in k.patterns)
    m = re.search(rf"\n(?:static\s+void\s+(?:{names})\s*\(|{spec.macro}\w*\()".encode(), data)
    return m.start() + 1 if m else None


def read_family(spec: FamilySpec, file: SourceFile) -> Family | None:
    data = file.data
    # A downstream fork may compile upstream's types out with `#if 0` (the parse sees
    # blanks there); a part of the file could start inside it: then parse all of it.
    disabled = list(csyntax.disabled_spans(data))
    if disabled:
        if file.region is not None:
            file.parse_whole()
    elif not file.parsed:   # parse only the versioned part
        start = _first_block(spec, data)
        if start is not None:
            file.parse_only(start)
    versions: dict[Version, VersionBlock] = {}
    extras: list[tuple[str, int]] = []
    helpers: dict[str, OptionsFn] = {}
    pending_comment = None
    for node in csyntax.top_level(file.tree.root_node):
        kind = node.type
        if kind == "comment":
            pending_comment = node
            continue
        if kind == "function_definition":
            name = function_name(node)
            found = _function(node, spec, name)
            if found is None:
                helper = _bugfix_function(node, spec, name)
                if helper:
                    helpers[helper.name] = helper
            elif found:
                version, fn = found
                block = versions.setdefault(version, VersionBlock(version, {}, None, None))
                if fn.kind.role in block.functions:
                    raise ScaffoldError(f"{fn.name} is defined twice", path=file.rel,
                                        line=fn.line, family=spec.name)
                block.functions[fn.kind.role] = fn
                if spec.header and pending_comment is not None and not block.header \
                        and data[pending_comment.end_byte:node.start_byte].strip() == b"" \
                        and _header_label(spec.header, pending_comment.text or b"") == str(version):
                    block.header = Span(pending_comment.start_byte, pending_comment.end_byte)
        else:
            called = csyntax.macro_call(node)
            if called and (called[0] == spec.macro or called[0].startswith(spec.macro + "_")):
                macro = parse_macro(spec, node, called[0], called[1], data)
                if macro is None:
                    extras.append((called[0], node.start_point[0] + 1))
                else:
                    block = versions.setdefault(macro.version, VersionBlock(macro.version, {}, None, None))
                    if block.macro is not None:
                        raise ScaffoldError(f"machine version {macro.version} is registered twice",
                                            path=file.rel, line=macro.line, family=spec.name)
                    block.macro = macro
        pending_comment = None
    _all_registrations_read(spec, file, versions, extras, disabled)
    registered = [v for v, b in versions.items() if b.macro is not None]
    top = max(registered, default=None)   # the next version may be a bump half done by hand
    unregistered = [fn for v, b in versions.items() if top and v > top and v != top.next()
                    for fn in b.functions.values()]
    for fn in unregistered:
        found = _function(fn.node, spec, fn.name)
        if found is not None:
            versions.pop(found[0], None)
    if not versions:
        return None
    blocks = sorted(versions.values(), key=lambda b: b.version, reverse=True)
    forms = {b.macro.form for b in blocks if b.macro}
    layout = Layout.LATEST if Layout.LATEST in forms else \
        (forms.pop() if len(forms) == 1 else Layout.MIXED)
    if layout is Layout.LATEST:
        for b in blocks:
            if b.macro and b.macro.form is Layout.PLAIN:
                b.macro.form, b.macro.latest = Layout.LATEST, False
    return Family(spec, file, layout, blocks, extras, helpers, unregistered)


_DISABLED_VERSION = re.compile(rb'(?:_AS_LATEST)?\(\s*v?(\d+)\s*[_,]\s*(\d+)\b')


def _all_registrations_read(spec: FamilySpec, file: SourceFile,
                            versions: dict[Version, VersionBlock], extras: list[tuple[str, int]],
                            disabled: list[tuple[int, int]]) -> None:
    """A family must never vanish silently: every registration the text holds must have
    been read from the syntax tree.  A half-finished edit (a deleted closing brace) makes
    tree-sitter swallow the rest of the file; that is an error, at the first parse error.
    Registrations that `#if 0` compiles out are counted apart, for a note."""
    data, macro = b"\n" + file.data, b"\n" + spec.macro.encode()   # calls start a line
    calls = data.count(macro + b"(") + data.count(macro + b"_AS_LATEST(")
    if disabled:
        found = [m.start() for m in re.finditer(re.escape(macro) + rb"(?:_AS_LATEST)?\(", data)]
        off = [at for at in found if any(s <= at < e for s, e in disabled)]
        calls -= len(off)
        if off:
            first = min(s for s, e in disabled if any(s <= at < e for at in off))
            file.memo.setdefault("disabled", {})[spec.name] = (len(off), file.line(first - 1))   # the `#if 0` line
            # the versions registered only under `#if 0`: their options functions may be
            # live (a RHEL 8 tree compiles out some registrations of a family, one by one,
            # and keeps the chain its live types reach), which is no missing registration
            for at in off:
                m = _DISABLED_VERSION.match(data, at + len(macro))
                if m:
                    version = Version(int(m.group(1)), int(m.group(2)))
                    file.memo.setdefault("disabled-versions", {}).setdefault(
                        spec.name, set()).add(version)
    read = sum(1 for b in versions.values() if b.macro) + len(extras)
    if calls <= read:
        return
    errors = csyntax.syntax_errors(file.tree)
    line = errors[0][0] if errors else None
    raise ScaffoldError(f"{calls - read} of {calls} {spec.macro} registrations cannot "
                        "be read (a C syntax error, e.g. a missing brace, hides them); fix the "
                        "file first", path=file.rel, line=line, family=spec.name)



class Note(NamedTuple):
    """What the reader saw and left alone (a registration of no known family, one that
    `#if 0` compiles out): the rules room makes findings of these (rules/chain.py)."""

    kind: str
    message: str
    path: str | None = None
    line: int | None = None
    family: str | None = None

def family_in(tree: QemuTree, spec: FamilySpec, rel: str) -> Family | None:
    """The family `spec` describes, as the file `rel` holds it: read once per file (a
    file cut short is refused first)."""
    file = tree.file(rel)
    file.refuse_if_cut(spec.name)
    read = file.memo.setdefault("families", {})
    if spec.name not in read:
        read[spec.name] = read_family(spec, file)
    family: Family | None = read[spec.name]
    return family
