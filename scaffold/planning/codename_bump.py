"""Plan `qscaffold bump ubuntu-kinetic` for a family whose types call upstream's options
(`base = "upstream"` in its families data: Ubuntu's).

Such a vendor adds, at each release, one type per family named by the release's codename,
a thin copy of the newest upstream type of the QEMU it ships, and the variants its
previous release had (pc-q35-jammy-hpb): no chain between the vendor's own types.  So a
new release's types are the previous release's blocks, copied and renamed (codename,
release in the description), whose upstream call names the tree's newest upstream
version; they go where the vendor adds its types (after the newest, when the file lists
them oldest first).  The previous release's type gives up the latest mark: its alias and
default are reset to NULL and false (an alias it would keep would name two types), or its
registration's latest flag becomes false.  A variant the vendor stopped adding
(pseries-bionic-sxxm) is not copied: only the newest release's types are.
"""
from __future__ import annotations

import re

from tree_sitter import Node

from scaffold.errors import ScaffoldError
from scaffold.planning.plan import Edit
from scaffold.reading import csyntax
from scaffold.reading.cmatch import assigned_field
from scaffold.reading.families import MarkKind, DownstreamVersion
from scaffold.reading.machine_types import VendorFamily, VendorType
from scaffold.reading.downstream import upstream_match
from scaffold.reading.machines import RESETS, Family
from scaffold.reading.tree import QemuTree
from scaffold.version import Version



def plan_codename_family(tree: QemuTree, family: VendorFamily, upstream: Family,
                         target: DownstreamVersion) -> list[Edit]:
    spec = family.spec
    file = tree.file(spec.file)
    file.refuse_if_cut(family.name)
    data = file.data
    functions = csyntax.functions(file.full_tree.root_node)
    newest = family.newest
    release = [t for t in family.types if t.version == newest.version]
    blocks = sorted((_block(data, functions, family, t) for t in release), key=lambda b: b[0])
    new_upstream = upstream.newest
    texts = []
    for start, end, t in blocks:
        text = csyntax.utf8(data[start:end])
        text = _upstream_call(text, t, upstream, family)
        texts.append(retag(text, newest.version, target, spec.desc))
    older = next((t for t in family.types if t.version[1:4] < newest.version[1:4]), None)
    oldest_first = older is None or older.line < newest.line   # the file's own order
    gap = _gap(data, blocks)
    if oldest_first:   # after the newest release's last block
        at = blocks[-1][1]
        new = "".join(gap + t for t in texts)
    else:
        at = blocks[0][0]
        new = "".join(t + gap for t in texts)
    what = f"add the {target} types ({', '.join(retag(t.name, newest.version, target, None) for _, _, t in blocks)}) " \
           f"on {upstream.name} {new_upstream.version}"
    edits = [Edit(file.rel, at, at, new.encode(), what, family.name)]
    edits += _demote(data, functions, family, newest)
    return edits


def _block(data: bytes, functions: dict[str | None, Node], family: VendorFamily,
           t: VendorType) -> tuple[int, int, VendorType]:
    """A type's bytes: the options functions of its own (not upstream's) and its
    registration, from the first one's line to the registration's end."""
    reg = t.registration
    assert reg is not None
    own = [functions[o] for o in t.options if o in functions and not upstream_match(family.spec, o)]
    starts = [n.start_byte for n in own] + [reg.start]
    start = csyntax.line_start(data, min(starts))
    if own and reg.start < max(n.end_byte for n in own):
        raise ScaffoldError(f"the registration of {t.name} comes before its options function",
                            path=family.spec.file, line=t.line, family=family.name)
    end = reg.end + (data[reg.end:reg.end + 1] == b";")
    return start, end, t


def _gap(data: bytes, blocks: list[tuple[int, int, VendorType]]) -> str:
    """What separates the vendor's blocks: the bytes between two of them, else a line."""
    if len(blocks) > 1:
        between = data[blocks[0][1]:blocks[1][0]]
        if not between.strip():
            return csyntax.utf8(between)
    return "\n\n" if data[blocks[0][0]:blocks[0][1]].count(b"\n") else "\n"


def _upstream_call(text: str, t: VendorType, upstream: Family,
                   family: VendorFamily) -> str:
    """The block calling the tree's newest upstream version instead of the one its
    release shipped: its call of that version's options, or the registration's version
    argument (DEFINE_SPAPR_MACHINE_NAMED(6_2, ...))."""
    if t.upstream_options is None or t.upstream_version is None:
        return text   # a variant reaching upstream through its release's type
    old = upstream.block(_version(t.upstream_version))
    new = upstream.newest_block
    if old is None:
        raise ScaffoldError(f"{t.name} calls {t.upstream_options}, which the tree does not "
                            "define", path=family.spec.file, line=t.line, family=family.name)
    if t.upstream_options in t.options:   # the registration names the upstream version
        under = t.upstream_version.replace(".", "_")
        return re.sub(rf"(?<=\(){re.escape(under)}(?=\s*,)", new.version.underscored, text,
                      count=1)
    for role, fn in old.functions.items():
        if role in new.functions:
            text = re.sub(rf"\b{fn.name}\b", new.functions[role].name, text)
    return text


def _version(text: str) -> Version:
    from scaffold.version import Version

    major, minor = text.split(".")
    return Version(int(major), int(minor))


def retag(text: str, old: DownstreamVersion, new: DownstreamVersion,
          desc: str | None) -> str:
    """`text` with the old release's codename replaced by the new one's, in names and
    strings (pc_q35_jammy_hpb, "pc-q35-jammy-hpb", ubuntu_jammy), and the release in
    descriptions ("Ubuntu 22.04" to "Ubuntu 22.10", as the vendor's `desc` spells it)."""
    text = re.sub(rf"(?<![A-Za-z0-9]){old.codename}(?![A-Za-z0-9])", new.codename, text)
    if desc:
        text = text.replace(desc.format(release=old.release), desc.format(release=new.release))
    return text


def _demote(data: bytes, functions: dict[str | None, Node], family: VendorFamily,
            newest: VendorType) -> list[Edit]:
    """The previous newest gives up the latest mark."""
    kind = family.spec.latest
    edits: list[Edit] = []
    what = f"{newest.name} is no longer the latest"
    if kind.kind is MarkKind.ARG:
        reg = newest.registration
        assert reg is not None
        s, e = csyntax.call_arg_spans(data, reg.start, reg.end)[kind.argument]
        flag = {b"true": b"false", b"1": b"0"}.get(data[s:e])
        if flag is None:
            raise ScaffoldError(f"cannot tell how {reg.macro}() marks {newest.name} as the "
                                f"latest (`latest = \"{kind}\"`)", path=family.spec.file,
                                line=newest.line, family=family.name)
        return [Edit(family.spec.file, s, e, flag, what, family.name)]
    if kind.kind is not MarkKind.ALIAS:
        raise ScaffoldError(f"bump of a `base = \"upstream\"` family marked by `latest = "
                            f"\"{kind}\"` is not supported", path=family.spec.file,
                            line=newest.line, family=family.name)
    node = functions.get(newest.options[0]) if newest.options else None
    body = node.child_by_field_name("body") if node is not None else None
    statements = [s for s in body.named_children if s.type != "comment"] if body else []
    first = next((s for s in statements if not s.type.startswith("preproc_")), None)
    indent = csyntax.utf8(data[csyntax.line_start(data, first.start_byte):first.start_byte]) \
        if first is not None else "    "
    for statement in statements:
        fields = _assigned(statement)
        if not fields or not set(fields) <= set(RESETS):
            continue
        start = csyntax.line_start(data, statement.start_byte)
        param = _param(statement)
        text = "".join(f"{indent}{param}->{f} = {RESETS[f]};\n" for f in dict.fromkeys(fields))
        edits.append(Edit(family.spec.file, start, csyntax.line_end(data, statement.end_byte),
                          text.encode(), f"{newest.options[0]}: reset "
                          f"{' and '.join(dict.fromkeys(fields))}", family.name))
    if not edits:
        raise ScaffoldError(f"{newest.options[0]}() sets no alias or default to reset",
                            path=family.spec.file, line=newest.line, family=family.name)
    return edits


def _assigned(statement: Node) -> list[str]:
    """The fields an assignment statement sets, or those every assignment of a
    conditional (`#ifdef ... #else ... #endif`) sets."""
    field = assigned_field(statement)
    if field is not None:
        return [field]
    if not statement.type.startswith("preproc_"):
        return []
    out = []
    for child in csyntax.descendants(statement):
        if child.type == "expression_statement":
            found = assigned_field(child)
            if found is None:
                return []
            out.append(found)
    return out


def _param(statement: Node) -> str:
    for child in csyntax.descendants(statement):
        if child.type == "field_expression":
            arg = child.child_by_field_name("argument")
            if arg is not None:
                return csyntax.utf8(arg.text or b"")
    return "m"
