"""Machine-type registrations in a family's file: every `DEFINE_*MACHINE*(...)` written at
the start of a line that `#if 0` does not compile out, and every TypeInfo whose parent is
a machine type and that is not abstract.  The readers of families claim theirs; what no
family claims is said (rules/chain.py), never dropped.

A registration is a macro invocation at the top level, which QEMU writes at the start of
a line: it is found by a scan of the bytes (no parse: `bump` reads only the parts of its
files that matter), its arguments split at the top-level commas as the preprocessor
splits them.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from scaffold.reading import csyntax

if TYPE_CHECKING:
    from scaffold.reading.tree import SourceFile

_CALL = re.compile(rb"^(DEFINE_\w*MACHINE\w*)[ \t]*\(", re.M)
_TYPEINFO = re.compile(rb"^(?:static\s+)?(?:const\s+)?TypeInfo\s+(\w+)\s*=\s*\{", re.M)
# a registration's parenthesised arguments: strings, and parentheses nested two deep
_ARGS = re.compile(rb'\(((?:[^()"]|"(?:[^"\\\n]|\\.)*"|\((?:[^()"]|"(?:[^"\\\n]|\\.)*"'
                   rb'|\([^()]*\))*\))*)\)')


class Registration(NamedTuple):
    macro: str            # DEFINE_PC_MACHINE, or "TypeInfo" for a TypeInfo
    args: list[str]       # as written, string quotes taken off; a TypeInfo: its .name
    line: int
    start: int = 0        # a macro's registration: the bytes of `NAME(...)`
    end: int = 0


@lru_cache(maxsize=16)
def _call(macros: tuple[str, ...]) -> re.Pattern[bytes]:
    if not macros:
        return _CALL
    names = b"|".join(re.escape(m.encode()) + rb"\w*" for m in macros)
    return re.compile(rb"^(DEFINE_\w*MACHINE\w*|" + names + rb")[ \t]*\(", re.M)


def registrations(data: bytes, macros: tuple[str, ...] = ()) -> list[Registration]:
    """Every live registration of the file, in file order: `DEFINE_*MACHINE*` calls, and
    calls of the `macros` a families file names (a vendor's DEFINE_ACME_VIRT)."""
    call = _call(tuple(sorted(set(macros))))
    if not macros and b"MACHINE" not in data:
        return []
    disabled = csyntax.disabled_spans(data)

    def live(at: int) -> bool:
        return not any(start <= at < end for start, end in disabled)

    out = []
    line, counted = 1, 0
    for m in call.finditer(data):
        if not live(m.start()):
            continue
        args = _ARGS.match(data, m.end() - 1)
        if args is None:
            continue
        line += data.count(b"\n", counted, m.start())
        counted = m.start()
        text = csyntax.utf8(args.group(1))
        out.append(Registration(csyntax.utf8(m.group(1)),
                                [" ".join(a.split()).strip('"') for a in csyntax.split_args(text)],
                                line, m.start(1), args.end()))
    if b"TypeInfo" in data:
        for m in _TYPEINFO.finditer(data):   # where one is: the declaration is parsed
            if not live(m.start()):
                continue
            end = data.find(b"};", m.end())
            found = _machine_typeinfo(data[m.start():end + 2 if end >= 0 else len(data)])
            if found is not None:
                out.append(Registration("TypeInfo", [found or csyntax.utf8(m.group(1))],
                                        csyntax.line_of(data, m.start())))
    return sorted(out, key=lambda r: r.line)


def _machine_typeinfo(declaration: bytes) -> str | None:
    """A `TypeInfo X = {...};` that registers a machine type: its `.parent` names a
    machine type (`TYPE_MACHINE`, `TYPE_VIRT_MACHINE`...) and it is not `.abstract`.
    Its `.name` as written ("" when it has none), else None.  Read by syntax."""
    from scaffold.reading.cmatch import Code, designated

    code = Code(declaration)
    for node in csyntax.top_level(csyntax.parse(declaration).root_node):
        for declarator in node.children_by_field_name("declarator") \
                if node.type == "declaration" else []:
            value = declarator.child_by_field_name("value")
            if value is None or value.type != "initializer_list":
                continue
            fields = designated(value, code)
            parent = fields.get("parent")
            abstract = fields.get("abstract")
            if parent is None or "MACHINE" not in code.text(parent) or \
                    (abstract is not None and code.text(abstract).strip() == "true"):
                return None
            name = fields.get("name")
            return " ".join(code.text(name).split()) if name is not None else ""
    return None


def of_file(file: "SourceFile", macros: tuple[str, ...] = ()) -> list[Registration]:
    """A file's registrations, read once per file and set of macros (the families'
    readers and the unclaimed check ask the same files)."""
    key = ("registrations", tuple(sorted(set(macros))))
    if key not in file.memo:
        file.memo[key] = registrations(file.data, key[1])
    return list(file.memo[key])
