"""Plan `qscaffold bump rhel9.2.0`: a distribution's new minor release of its own machine
types (docs/families.md).

For every family the vendor continues, the newest type's block (its options functions,
the other functions its registration names, the registration) gets a new block before
it, for the new version: the same functions, renamed, whose options keep only what each
type sets for itself (the family's `own` fields, with the new version) and what only the
newest carries (the family's `newest` functions and arrays, moved); the registration
copied in its latest form.  The previous newest chains to the new type: its call of the
newest-only base function becomes the call of the new options, or the call goes first
after its declarations; it resets the alias the chain now brings, where the family's
older types reset it; its registration takes the older form.  No array is added: a
distribution adds its arrays at the next rebase (`qscaffold compat rebase`).

A family whose newest type belongs to an older major than the bump's is frozen (RHEL 9's
spapr types stop at pseries-rhel8.5.0): it gets no new type, and the plan says why.
"""
from __future__ import annotations

import re
from tree_sitter import Node

from scaffold.errors import ScaffoldError, UsageError
from scaffold.planning.plan import Edit, Plan
from scaffold.reading import csyntax
from scaffold.planning.functions import Function
from scaffold.reading.cmatch import param_names, assigned_field, assigned_value
from scaffold.reading.families import MarkKind, DownstreamVersion
from scaffold.reading.family_files import load_specs
from scaffold.reading.machine_types import VendorFamily, VendorType
from scaffold.reading.downstream import newest_only
from scaffold.reading.reader import read_downstream, read_families
from scaffold.reading.machines import RESETS
from scaffold.reading.tree import QemuTree, SourceFile

def bumped(tree: QemuTree, target: DownstreamVersion) -> list[VendorFamily]:
    """The vendor's families a bump to `target` plans (planning/bump.py, the one planner),
    refused when the tree fails `check` on them before."""
    for spec in load_specs(tree):   # a file cut short is said as the bumped family's
        if spec.vendor == target.vendor and (tree.root / spec.file).is_file():
            tree.file(spec.file).refuse_if_cut(spec.name)
    families = [f for f in read_downstream(tree)[0] if f.spec.vendor == target.vendor]
    if not families:
        raise UsageError(f"bump {target}: this tree registers no {target.vendor} machine types "
                         "(`qscaffold machines` lists the families it reads)")
    _refuse_a_failing_tree(tree, families)
    return families


def plan_copied(tree: QemuTree, plan: Plan, family: VendorFamily,
                target: DownstreamVersion) -> None:
    """A vendor's family whose types chain to their own newer ones (RHEL's): its newest
    type copied as the new one, unless the family is frozen or has it already."""
    newest = family.newest
    why = frozen(family, newest, target)
    if why:
        plan.skipped.append(f"{family.name}: {why}")
        return
    if newest.version == target:
        plan.done.append(f"{family.name} {target}")
        return
    if newest.version[1:] > target[1:]:   # a usage error, as upstream's `bump 10.1` on 10.2
        raise UsageError(f"{target} is not newer than the newest type, {newest.name}",
                         path=family.spec.file, line=newest.line, family=family.name)
    plan.edits += plan_family(tree, family, newest, target)
    plan.families.append(family.name)


def _refuse_a_failing_tree(tree: QemuTree, families: list[VendorFamily]) -> None:
    """A family that fails `check` before the bump (a type's name mistyped, a chain
    broken) is said as such, not planned on: what the bump would make of it cannot be
    told, and its result would fail check too."""
    from scaffold.rules import chain
    from scaffold.rules.registry import errors

    names = {f.name for f in families}
    found = [f for f in errors(chain.judge_downstream(tree)) if f.family in names]
    if found:
        f = found[0]
        raise ScaffoldError(f"the tree fails `qscaffold check` before the bump "
                            f"({f.code}: {f.message}); fix it first", path=f.path,
                            line=f.line, family=f.family)


def plan_codename(tree: QemuTree, plan: Plan, family: VendorFamily,
                  target: DownstreamVersion) -> None:
    """A vendor's family whose types call upstream's options (Ubuntu's): the newest
    release's types copied for the next codename (codename_bump.py)."""
    from scaffold.planning.codename_bump import plan_codename_family

    upstream = {f.name: f for f in read_families(tree)[0]}
    newest = family.newest
    if family.spec.continued is False:
        plan.skipped.append(f"{family.name}: frozen at {newest.name} (`continued = false` "
                            "in its families data)")
        return
    if newest.version[1:4] == target[1:4]:
        plan.done.append(f"{family.name} {target}")
        return
    if newest.version[1:4] > target[1:4]:
        raise UsageError(f"{target} ({target.release}) is not newer than the newest type, "
                            f"{newest.name} ({newest.version.release})", path=family.spec.file,
                            line=newest.line, family=family.name)
    base = upstream.get(family.spec.upstream)
    if base is None:
        raise ScaffoldError(f"its types call {family.spec.upstream}'s options, and the tree "
                            f"has no live {family.spec.upstream} family", path=family.spec.file,
                            line=newest.line, family=family.name)
    plan.edits += plan_codename_family(tree, family, base, target)
    plan.families.append(family.name)


def frozen(family: VendorFamily, newest: VendorType,
           target: DownstreamVersion) -> str | None:
    """Why the family gets no new type, or None: the vendor's data decides, else a
    family whose newest type is of an older major than the bump's is frozen."""
    continued = family.spec.continued
    if continued is False:
        return f"frozen at {newest.name} (`continued = false` in its families data)"
    if continued is None and newest.version.major < target.major:
        return (f"frozen at {newest.name}, of {target.vendor}{newest.version.major}, an older "
                f"major than {target}")
    return None


# -- one family ------------------------------------------------------------------------------

def plan_family(tree: QemuTree, family: VendorFamily, newest: VendorType,
                target: DownstreamVersion) -> list[Edit]:
    spec = family.spec
    file = tree.file(spec.file)
    data = file.data
    reg = newest.registration
    assert reg is not None   # every downstream type is read from its registration
    file.refuse_if_cut(family.name)   # a function left open hides the rest: said, not guessed
    functions = csyntax.functions(file.full_tree.root_node)
    options = []
    for name in newest.options:
        node = functions.get(name)
        if node is None:
            raise _error(family, newest, f"no options function {name}() for {newest.name}")
        options.append(_function(node, name, family, newest,
                                 retag(name, newest.version, target)))
    others = [functions[a] for a in reg.args if a in functions and a not in newest.options]
    nodes = [f.node for f in options] + others
    start = csyntax.line_start(data, min(n.start_byte for n in nodes))
    if reg.start < max(n.end_byte for n in nodes):
        raise _error(family, newest, "the registration comes before its functions")
    end = reg.end + (data[reg.end:reg.end + 1] == b";")
    stray = [n for n in csyntax.top_level(file.full_tree.root_node)
             if n.type == "function_definition" and start <= n.start_byte < end and
             n not in nodes]
    if stray:
        raise _error(family, newest, f"{csyntax.function_name(stray[0])}() sits inside "
                                     f"{newest.name}'s block; not copied")

    family.memo["moving"] = _arrays_for_the_new_release(tree, family, newest, target)
    header = _header(file, newest, start)
    new_block = _new_block(data, family, newest, target, options, start, end)
    if header is not None:   # the comment naming the newest type heads the copy too
        text = retag(csyntax.utf8(data[header:start]), newest.version, target)
        new_block = _like_release(text, tree).encode() + new_block
        start = header
    rest = data[end:]
    gap = rest[:len(rest) - len(rest.lstrip(b" \t\r\n"))]
    if gap.count(b"\n") < 2 or not rest.strip():
        gap = b"\n\n"
    what = f"add {retag(newest.name, newest.version, target)} as the newest type"
    edits = [Edit(file.rel, start, start, new_block + gap, what, family.name)]
    edits += _demote(file, family, newest, options, functions)
    return edits


def _arrays_for_the_new_release(tree: QemuTree, family: VendorFamily,
                                newest: VendorType, target: DownstreamVersion) -> set[str]:
    """The vendor arrays the newest adds for a release not older than the bump's: a
    rebase made hw_compat_rhel_9_2 before any 9.2.0 type existed (`--array-release
    9.2`) and wired it into 9.0.0, the newest type up to 9.2; once 9.2.0 exists, it is
    that type's (the older ones get it through the chain)."""
    from scaffold.reading.family_files import vendor_arrays

    arrays = vendor_arrays(tree, family.spec.vendor)
    out: set[str] = set()
    for name in (a for added in newest.adds.values() for a in added):
        for prefix in arrays.names if arrays is not None else ():
            pattern = arrays.pattern(prefix) if arrays is not None else None
            m = pattern.match(name) if pattern is not None else None
            if m and (int(m.group("major")), int(m.group("minor"))) >= (target.major,
                                                                         target.minor):
                out.add(name)
    return out


def _header(file: SourceFile, newest: VendorType, start: int) -> int | None:
    """Where the comment that heads the newest type's block starts (`/* pseries-rhel8.5.0
    * like pseries-6.0 */` above its options, blank lines between allowed), or None: a
    comment right above the block that names the type or its version."""
    data = file.data
    comments = [n for n in csyntax.top_level(file.full_tree.root_node)
                if n.type == "comment" and n.end_byte <= start]
    if not comments or data[comments[-1].end_byte:start].strip():
        return None
    comment = comments[-1]
    text = csyntax.utf8(data[comment.start_byte:comment.end_byte])
    if newest.name in text or newest.version.release in text:
        return csyntax.line_start(data, comment.start_byte)
    return None


def _like_release(header: str, tree: QemuTree) -> str:
    """A header saying which upstream type the vendor's is like (`like pseries-6.0`)
    says it of the tree's own release: a new type behaves as the QEMU it ships."""
    if tree.version is None:
        return header
    major, minor = tree.version[0], tree.version[1]
    return re.sub(r"(\blike [\w-]+-)\d+\.\d+\b", rf"\g<1>{major}.{minor}", header)


def _error(family: VendorFamily, t: VendorType, what: str) -> ScaffoldError:
    return ScaffoldError(what, path=family.spec.file, line=t.line, family=family.name)


def _function(node: Node, name: str, family: VendorFamily, t: VendorType,
              new_name: str = "") -> Function:
    names = param_names(node)
    if len(names) != 1:
        raise _error(family, t, f"{name}() does not take one named parameter")
    return Function(node, name, names[0], new_name)


# -- the new block ---------------------------------------------------------------------------

def _new_block(data: bytes, family: VendorFamily, newest: VendorType,
               target: DownstreamVersion, options: list[Function], start: int,
               end: int) -> bytes:
    reg = newest.registration
    assert reg is not None
    subs = [(f.body.start_byte, f.body.end_byte, _new_body(data, family, f)) for f in options]
    subs.append((reg.start, reg.end, _new_registration(data, family, newest, target)))
    out, pos = [], start
    for s, e, text in sorted(subs):
        out += [data[pos:s], text]
        pos = e
    out.append(data[pos:end])
    return retag(csyntax.utf8(b"".join(out)), newest.version, target).encode()


def _new_body(data: bytes, family: VendorFamily, fn: Function) -> bytes:
    """What the new type's options keep of the newest's: its own fields and the
    newest-only calls, with the declarations they use; a blank line where the kept
    statements had one between them."""
    statements = fn.statements()
    kept = [s for s in statements if s.type != "declaration" and
            (_newest_only(s, family) or assigned_field(s) in family.spec.own)]
    used = {csyntax.utf8(i.text or b"") for s in kept for i in csyntax.identifiers(s)}
    keep = [s for s in statements if s in kept or
            (s.type == "declaration" and used & set(csyntax.declared_names(s)))]
    out = [b"{\n"]
    for i, s in enumerate(keep):
        if i and b"\n\n" in data[keep[i - 1].end_byte:csyntax.line_start(data, s.start_byte)]:
            out.append(b"\n")
        out.append(csyntax.lines_of(data, s))
    return b"".join(out) + b"}"


def _new_registration(data: bytes, family: VendorFamily, newest: VendorType,
                      target: DownstreamVersion) -> bytes:
    """The newest's registration for the target: every argument retagged, and those
    the type's name is made of (`9, 0, 0` of virt-rhel{0}.{1}.{2}) read back from it."""
    reg = newest.registration
    assert reg is not None
    name = retag(newest.name, newest.version, target)
    template = family.spec.machine
    pattern = "".join(f"(?P<a{p[1:-1]}>.+?)" if re.fullmatch(r"\{\d+\}", p) else re.escape(p)
                      for p in re.split(r"(\{\d+\})", template))
    wanted = re.fullmatch(pattern, name.removesuffix(newest.suffix))
    spans = csyntax.call_arg_spans(data, reg.start, reg.end)
    out, pos = [], reg.start
    for i, (s, e) in enumerate(spans):
        text = csyntax.utf8(data[s:e])
        new = retag(text, newest.version, target)
        if wanted is not None and f"a{i}" in wanted.groupdict() and new == text:
            new = text.replace(reg.args[i], wanted.group(f"a{i}"), 1)
        out += [data[pos:s], new.encode()]
        pos = e
    out.append(data[pos:reg.end])
    return b"".join(out)


def retag(text: str, old: DownstreamVersion, new: DownstreamVersion) -> str:
    """`text` with the old version's spellings replaced by the new one's: the tag form of
    names (rhel900 -> rhel920) and the dotted form of strings (9.0.0 -> 9.2.0)."""
    tag = rf"(?<![A-Za-z0-9]){old.vendor}{old.major}{old.minor}{old.micro}(?!\d)"
    dotted = rf"(?<![\d.]){old.major}\.{old.minor}\.{old.micro}(?![\d.])"
    text = re.sub(tag, f"{new.vendor}{new.major}{new.minor}{new.micro}", text)
    return re.sub(dotted, f"{new.major}.{new.minor}.{new.micro}", text)


# -- the previous newest ---------------------------------------------------------------------

def _demote(file: SourceFile, family: VendorFamily, newest: VendorType,
            options: list[Function], functions: dict[str | None, Node]) -> list[Edit]:
    data, edits = file.data, []
    for index, fn in enumerate(options):
        call = f"{fn.new_name}({fn.param});"
        chained_at = None
        for statement in fn.statements():
            if not _newest_only(statement, family):
                continue
            callee = csyntax.macro_call(statement)
            if chained_at is None and callee is not None and callee[0] in functions:
                edits.append(Edit(file.rel, statement.start_byte, statement.end_byte,
                                  call.encode(), f"{fn.name}: chain to {fn.new_name}",
                                  family.name))
                chained_at = csyntax.line_end(data, statement.end_byte)
                continue
            start = csyntax.line_start(data, statement.start_byte)
            edits.append(Edit(file.rel, start, csyntax.line_end(data, statement.end_byte), b"",
                              f"{fn.name}: {_first_line(data, statement)} moves to the newest",
                              family.name))
        resets = _resets(data, family, fn, _model(data, family, functions)) if index == 0 else []
        if chained_at is None:
            at, text = _after_declarations(data, fn, call)
            if resets and resets[0][0] is None:   # the reset right after the chain call
                text = text.replace(b";\n", b";\n" + b"".join(r for _, r in resets), 1)
                resets = []
            edits.append(Edit(file.rel, at, at, text, f"{fn.name}: chain to {fn.new_name}",
                              family.name))
            chained_at = at
        for anchor, text in resets:
            at = chained_at if anchor is None else _after_field(data, fn, anchor, chained_at)
            edits.append(Edit(file.rel, at, at, text,
                              f"{fn.name}: reset {_assigned_text(text)}", family.name))
    if family.spec.latest.kind is not MarkKind.ALIAS:   # else the reset above is the whole demotion
        edits.append(_demoted_registration(file, family, newest))
    return edits


def _resets(data: bytes, family: VendorFamily, fn: Function,
            model: Function | None) -> list[tuple[str | None, bytes]]:
    """The alias (and default) resets the previous newest needs once it chains to the
    new type, where the family's next older type (`model`) puts them: (the field
    assigned just before, or None for right after the chain call; the line to insert)."""
    if family.spec.latest.kind is not MarkKind.ALIAS:
        return []   # the registration marks the latest: the chain brings no alias
    have = {assigned_field(s) for s in fn.statements()}
    out: list[tuple[str | None, bytes]] = []
    for field in RESETS:
        if field in have:
            continue
        found = None
        statements = model.statements() if model is not None else []
        for i, s in enumerate(statements):
            if model is not None and assigned_field(s) == field and assigned_value(s) in ("NULL", "false", "0"):
                text = re.sub(rf"\b{model.param}\b", fn.param, csyntax.utf8(csyntax.lines_of(data, s)))
                found = (assigned_field(statements[i - 1]) if i else None, text.encode())
        if found is None and field == "alias":
            found = (None, f"{fn.indent(data)}{fn.param}->alias = NULL;\n".encode())
        if found is not None:
            out.append(found)
    return out


def _model(data: bytes, family: VendorFamily, functions: dict[str | None, Node]
           ) -> Function | None:
    """The first options function of the next older type: where the family resets what
    the chain brings."""
    olders = [t for t in family.types if not t.suffix][1:2]
    node = functions.get(olders[0].options[0]) if olders and olders[0].options else None
    if node is None:
        return None
    try:
        return _function(node, olders[0].options[0], family, olders[0])
    except ScaffoldError:
        return None


def _after_declarations(data: bytes, fn: Function, call: str) -> tuple[int, bytes]:
    """Where the chain call goes when no base call is replaced: first after the
    declarations (after the blank line that ends them, with one after it), else first."""
    statements = fn.statements()
    indent = fn.indent(data)
    decls = fn.declarations()
    if decls:
        eol = csyntax.line_end(data, decls[-1].end_byte)
        if len(statements) > len(decls) and data[eol:eol + 1] == b"\n":
            return eol + 1, f"{indent}{call}\n\n".encode()
        return eol, f"{indent}{call}\n".encode()
    if statements:
        return csyntax.line_start(data, statements[0].start_byte), f"{indent}{call}\n".encode()
    return fn.end_of_body(data), f"{indent}{call}\n".encode()


def _after_field(data: bytes, fn: Function, field: str, default: int) -> int:
    for s in fn.statements():
        if assigned_field(s) == field:
            return csyntax.line_end(data, s.end_byte)
    return default


def _demoted_registration(file: SourceFile, family: VendorFamily,
                          newest: VendorType) -> Edit:
    reg = newest.registration
    assert reg is not None
    data, kind = file.data, family.spec.latest
    what = f"{newest.name} is no longer the latest"
    if kind.kind is MarkKind.MACRO and reg.macro.endswith("_AS_LATEST"):
        return Edit(file.rel, reg.start, reg.start + len(reg.macro),
                    reg.macro.removesuffix("_AS_LATEST").encode(), what, family.name)
    if kind.kind is MarkKind.ARG:
        s, e = csyntax.call_arg_spans(data, reg.start, reg.end)[kind.argument]
        new = {b"true": b"false", b"1": b"0"}.get(data[s:e])
        if new is not None:
            return Edit(file.rel, s, e, new, what, family.name)
    raise _error(family, newest, f"cannot tell how {reg.macro}() marks {newest.name} as the "
                                 f"latest (`latest = \"{kind}\"`)")


# -- statements ------------------------------------------------------------------------------

def _newest_only(statement: Node, family: VendorFamily) -> bool:
    """A statement only the newest type's options carry: it calls or adds one of the
    family's `newest` names, or sets the alias or the default."""
    if assigned_field(statement) in RESETS:
        return True
    names = newest_only(family) | family.memo.get("moving", set())   # read from the code
    return any(csyntax.utf8(i.text or b"") in names for i in csyntax.identifiers(statement))


def _assigned_text(line: bytes) -> str:
    return csyntax.utf8(line).strip()


def _first_line(data: bytes, node: Node) -> str:
    return csyntax.utf8(data[node.start_byte:node.end_byte]).split("\n")[0].strip()
