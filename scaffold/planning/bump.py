"""Plan `qscaffold bump X.Y` (and a vendor's `bump rhel9.4.0`, `bump ubuntu-kinetic`): one
planner for every family, each planned by its shape.  For upstream's numbered families:
new compat arrays, a new newest block per family, the previous newest demoted.  The
result is a Plan; nothing here writes to disk."""
from __future__ import annotations

from enum import StrEnum
from typing import Any
from collections.abc import Callable

from scaffold.reading import compat_arrays, csyntax
from scaffold.reading.reader import latest_holders, read_families
from scaffold.reading.families import Base, DownstreamVersion
from scaffold.reading.machine_types import MachineFamily
from scaffold.rules import chain, registry
from scaffold.errors import ScaffoldError, UsageError
from scaffold.reading.machines import Family, Layout, MacroCall, VersionBlock, assigned_field, reset_convention
from scaffold.planning.plan import Edit, Plan
from scaffold.planning.templates import render
from scaffold.reading.tree import QemuTree
from scaffold.version import Version


def render_macro(macro: MacroCall, family: Family, version: Version, latest: bool | None,
                 options_fn: str) -> str:
    return render("machine_macro.c.j2", form=macro.form, macro=family.spec.macro, version=version,
                  latest=latest, machine=family.spec.prefix,
                  middle=macro.args[2:-1] if macro.form is Layout.TAGGED else [],
                  align=macro.align, options_fn=options_fn, terminator=macro.terminator)


def renamed(name: str, family: Family, old: Version, new: Version) -> str:
    m = next(m for k in family.spec.kinds if (m := k.match(name)) is not None)
    return name[:m.start("major")] + new.underscored + name[m.end("minor"):]


def _shape_error(family: Family, block: VersionBlock, what: str) -> ScaffoldError:
    return family.error(f"machine version {block.version}: {what}", block.start)


def _refuse_odd_block(family: Family, block: VersionBlock, latest: bool) -> None:
    for kind in family.spec.kinds:
        if kind.role not in block.functions:
            raise _shape_error(family, block, f"no {kind.role} function")
        fn = block.functions[kind.role]
        if not fn.param:
            raise family.error(f"{fn.name} does not take one named parameter", fn.start)
    if block.macro is None:
        raise _shape_error(family, block, f"no {family.spec.macro}() registration")
    class_fn = block.class_fn
    assert class_fn is not None   # every kind of function was found above
    expect = render_macro(block.macro, family, block.version, latest, class_fn.name)
    if expect != block.macro.text:
        raise family.error(f"registration of {block.version} has an unexpected shape "
                           f"(expected {expect.splitlines()[0]!r})", block.macro.start)
    if block.marks_latest() != latest:
        state = "is marked" if block.marks_latest() else "is not marked"
        raise _shape_error(family, block, f"{state} as the latest version")
    if block.macro.start < block.start:
        raise _shape_error(family, block, "registration comes before its options functions")


def plan_family(family: Family, target: Version, handed: bool = False) -> list[Edit]:
    """`handed`: a vendor's type holds the family's latest mark (Ubuntu's pseries-jammy):
    the newest upstream version is registered as an older one, and so is the new one,
    so that the vendor's default and alias stay where they are."""
    newest = family.newest_block
    data = family.file.data
    path = family.file.rel
    _refuse_odd_block(family, newest, not handed)
    older = family.blocks[1] if len(family.blocks) > 1 else None
    if older is not None:
        _refuse_odd_block(family, older, False)
        if not older.start > newest.end:
            raise _shape_error(family, older, f"comes before {newest.version} in the file "
                                              "(blocks are ordered newest first)")
    convention = reset_convention(family)
    macro, class_fn = newest.macro, newest.class_fn
    assert macro is not None and class_fn is not None   # _refuse_odd_block made sure
    names = {fn.name: renamed(fn.name, family, newest.version, target)
             for fn in newest.functions.values()}
    indent = family.indent()

    # 1. The new newest block: a copy of the current newest, renamed.
    subs = [(s.start, s.end, new) for fn in newest.functions.values() for new in [names[fn.name]]
            for s in fn.name_spans()]
    if newest.header:
        subs.append((newest.header.start, newest.header.end,
                     render("block_header.c.j2", machine=family.spec.header, version=target)))
    subs.append((macro.start, macro.end,
                 render_macro(macro, family, target, not handed, names[class_fn.name])))
    copy, pos = [], newest.start
    for start, end, text in sorted(subs):
        copy += [data[pos:start], text.encode()]
        pos = end
    copy.append(data[pos:newest.end])
    gap = data[newest.end:older.start] if older else b"\n\n"
    if gap.strip():
        gap = b"\n\n"
    edits = [Edit(path, newest.start, newest.start, b"".join(copy) + gap,
                  f"add {family.spec.prefix} {target} as the newest version", family.name)]

    # 2. The previous newest chains to the new one and adds its release's arrays.
    for fn in newest.functions.values():
        body = render("demoted_options.c.j2", indent=indent, chain=names[fn.name], param=fn.param,
                      resets=[assigned_field(s, fn.param) for s in newest.alias_lines()]
                      if fn.kind.adds_compat and convention != "none" else [],
                      arrays=[f"{p}_compat_{newest.version.underscored}" for p in family.spec.arrays]
                      if fn.kind.adds_compat else [])
        edits.append(Edit(path, fn.body.start, fn.body.end, body.encode(),
                          f"{fn.name}: chain to {names[fn.name]}", family.name))

    # 3. Its registration takes the older form.
    demoted = render_macro(macro, family, newest.version, False, class_fn.name)
    if demoted != macro.text:
        edits.append(Edit(path, macro.start, macro.end, demoted.encode(),
                          f"{newest.version} is no longer the latest", family.name))

    # 4. 8.1-9.2 x86 trees: only the second-newest resets the alias, so the reset moves.
    if convention == "second" and older is not None and older.class_fn is not None:
        older_fn = older.class_fn
        for stmt in older.alias_lines():
            start = csyntax.line_start(data, stmt.start_byte)
            end = data.index(b"\n", stmt.end_byte) + 1
            edits.append(Edit(path, start, end, b"",
                              f"{older_fn.name}: drop the "
                              f"{assigned_field(stmt, older_fn.param)} reset", family.name))
    return edits


def plan_arrays(tree: QemuTree, release: Version, prefixes: list[str]) -> tuple[list[Edit], list[str]]:
    """Empty `<prefix>_compat_<release>` arrays and their externs, newest first."""
    edits, done = [], []
    for extern, template, what in ((False, "compat_array.c.j2", "definition"),
                                   (True, "compat_extern.h.j2", "extern declaration")):
        pairs = compat_arrays.all_pairs(tree, extern)
        for prefix in prefixes:
            mine = [p for p in pairs if p.prefix == prefix]
            name = f"{prefix}_compat_{release.underscored}"
            if any(p.version == release for p in mine):
                done.append(f"{name} {what}")
                continue
            older = sorted((p for p in mine if p.version < release), key=lambda p: p.version)
            if not older:
                raise ScaffoldError(f"no {prefix}_compat arrays older than {release} found "
                                    f"({'extern declarations' if extern else 'definitions'})")
            anchor = older[-1]
            gap = compat_arrays.separator_after(mine, anchor)
            if gap.strip():
                gap = b"\n\n"
            text = render(template, name=name).encode()
            edits.append(Edit(anchor.file.rel, anchor.start, anchor.start, text + gap,
                              f"add {name} ({what})"))
    return edits, done


def plan_bump(tree: QemuTree, target: Version | DownstreamVersion,
              verify_later: bool = False) -> Plan:
    """The one bump planner: every family of the release's kind (upstream's for 11.0, the
    vendor's for rhel9.4.0 or ubuntu-kinetic; read_machines) gets its new type, planned
    by its family's shape (`planner(shape_of(family))`, chosen by its data): a numbered family's new version
    block and the release's compat arrays, a vendor's copy of its newest type chained to
    the older ones, or a codename type calling the tree's newest upstream options.  The
    plan is checked (with `verify_later`, the caller runs `plan.verify()` before it
    shows or writes anything)."""
    families, plan = _release(tree, target)
    for family in families:
        planner(shape_of(family))(tree, plan, family, target)
    if plan.skipped and not plan.families and not plan.done:
        raise UsageError(f"bump {target}: no {getattr(target, 'vendor', '')} family is "
                         f"continued ({'; '.join(plan.skipped)})")
    # the release's compat arrays, where the families' data says one adds them (upstream's
    # hw_compat_A_B and pc_compat_A_B of the release that just shipped)
    prefixes = sorted({p for f in families for p in f.spec.arrays}, key=["hw", "pc"].index)
    if prefixes and isinstance(target, Version):
        array_edits, done = plan_arrays(tree, target.prev(), prefixes)
        plan.edits += array_edits
        plan.done += done
    return plan.checked(tree, read_families(tree)[0], later=verify_later)


def _release(tree: QemuTree, target: Version | DownstreamVersion
             ) -> tuple[list[Any], Plan]:
    """The families a release bumps, and its plan: upstream's numbered families for 11.0
    (with what the reader left alone, said after the bump), the vendor's for its own."""
    if isinstance(target, DownstreamVersion):
        from scaffold.planning.downstream_bump import bumped

        return bumped(tree, target), Plan("bump", target)
    return _numbered_release(tree, target), \
        Plan("bump", target, notes=chain.reader_notes(read_families(tree)[1]))


class Shape(StrEnum):
    """How a family's new type is written, from its data: upstream's numbered versions
    (a version block from the templates), a vendor's types chained to their own newer
    ones (a copy of the newest, RHEL's), or a vendor's types calling upstream's options
    (the newest release's types copied for the next codename, Ubuntu's)."""

    NUMBERED = "numbered"
    COPIED = "copied"
    CODENAME = "codename"


def shape_of(family: MachineFamily[Any]) -> Shape:
    if family.spec.is_upstream:
        return Shape.NUMBERED
    return Shape.CODENAME if family.spec.base is Base.UPSTREAM else Shape.COPIED


def _numbered_release(tree: QemuTree, target: Version) -> list[Family]:
    """Upstream's families, refused when `target` is not the release after theirs."""
    families = read_families(tree)[0]
    if not families:
        raise ScaffoldError(f"{tree.root}: no versioned machine types found")
    newest = max(f.newest_block.version for f in families)
    if target > newest.next():
        raise UsageError(f"{target} skips a release: the newest machine types are {newest}, "
                         f"so the next bump is {newest.next()}")
    if target < newest or (target == newest and any(f.newest_block.version > target for f in families)):
        raise UsageError(f"{target} is not newer than the newest machine types ({newest})")
    return families


def _plan_numbered(tree: QemuTree, plan: Plan, family: Family, target: Version) -> None:
    """A numbered family: its new version block, the previous newest chained to it."""
    release = target.prev()
    version = family.newest_block.version
    if version == target:
        defined = {p.name for p in compat_arrays.all_pairs(tree, extern=False)}
        _refuse_half_done(family, target, defined | {chain.array_name(p, release)
                                                     for p in family.spec.arrays})
        plan.done.append(f"{family.name} {target}")
        return
    if version != release:
        raise family.error(f"newest machine version is {version}, but bumping to {target} "
                           f"needs every family at {release} or {target}", family.newest_block.start)
    handed = family.name in latest_holders(tree) and not family.newest_block.marks_latest()
    plan.edits += plan_family(family, target, handed)
    plan.families.append(family.name)


def planner(shape: Shape) -> Callable[..., None]:
    """The planner of a family's shape: (tree, plan, family, target), adding to the plan
    the family's edits, or why it is done or left alone."""
    if shape is Shape.NUMBERED:
        return _plan_numbered
    from scaffold.planning.downstream_bump import plan_codename, plan_copied   # vendors'

    return plan_copied if shape is Shape.COPIED else plan_codename


def _refuse_half_done(family: Family, target: Version, defined: set[str]) -> None:
    """A family already at `target`: accept it only if its bump is complete."""
    blocks = family.blocks[:2]
    findings = chain.judge_shape(family, blocks[0]) + \
        chain.judge_compat_props(family, blocks[0], True, defined)
    if len(blocks) > 1:
        findings += chain.judge_shape(family, blocks[1]) + chain.judge_chain(family, family.types[1], family.types[0]) \
            + chain.judge_compat_props(family, blocks[1], False, defined)
    errors = registry.errors(findings)
    if errors:
        raise ScaffoldError(f"already has {target} but its bump is incomplete ({errors[0].message}); "
                            "finish or revert it by hand", path=family.file.rel,
                            line=errors[0].line, family=family.name)
