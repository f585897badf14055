"""The steps of the one checklist (checklist.py) that a distribution's families take at its
release: its own types, the rebase bits or its calls of upstream's options, the older
majors' types; not upstream's (no compat array of its own per release, no mailing list)."""
from __future__ import annotations

from scaffold.commands.checklist_model import Context, Item, named
from scaffold.reading import compat_arrays, csyntax
from scaffold.reading.families import Base, DownstreamVersion
from scaffold.reading.machine_types import VendorFamily
from scaffold.reading.qom.entries import Entry, entries_in
from scaffold.reading.cmatch import Code
from scaffold.reading.tree import QemuTree
from scaffold.rules.registry import Finding, errors
from scaffold.version import Version


def families(ctx: Context) -> list[Item]:
    """Each of the vendor's families: its type of the release, marked latest, chained."""
    findings = ctx.findings()
    return [named(f"family:{family.name}", _family(family, ctx.vendor_target, findings))
            for family in ctx.families if isinstance(family, VendorFamily)]


def upstream_base(ctx: Context) -> list[Item]:
    return [named("upstream-base", _upstream_base(ctx.tree, _vendor(ctx), ctx.vendor_target))]


def rebase(ctx: Context) -> list[Item]:
    return [named("rebase", _rebase(ctx.tree))]


def older_majors(ctx: Context) -> list[Item]:
    """The types of older majors, kept for migration."""
    target = ctx.vendor_target
    older: dict[int, list[str]] = {}
    for family in _vendor(ctx):
        for t in family.types:
            if t.version.major < target.major:
                older.setdefault(t.version.major, []).append(t.name)
    return [Item(True, "Types of older majors kept for migration (deprecate them by the "
                 "distribution's support policy)",
                 [f"{target.vendor} {major}: {len(names)} types ({', '.join(names[:4])}"
                  f"{' ...' if len(names) > 4 else ''})"
                  for major, names in sorted(older.items())], id="older-majors")]


def built(ctx: Context) -> list[Item]:
    return [Item(False, f"Built: `qemu-system-<arch> -machine help` lists the {ctx.target} "
                 "types under their aliases, and every older type still",
                 ["qscaffold's --build-dir compiles the changed files; a full build "
                  "runs -machine help"], id="built")]


def _vendor(ctx: Context) -> list[VendorFamily]:
    return [f for f in ctx.families if isinstance(f, VendorFamily)]


def _family(family: VendorFamily, target: DownstreamVersion, findings: list[Finding]) -> Item:
    from scaffold.planning.downstream_bump import frozen

    newest = family.newest
    why = frozen(family, newest, target)
    if why:
        return Item(True, f"{family.name}: no {target} type ({why})", [])
    own = [f for f in errors(findings) if f.family == family.name]
    have = next((t for t in family.types if t.version == target), None)
    done = have is not None and have.latest and not own
    details = [f"newest is {newest.name}" + (" (the latest)" if newest.latest else "")]
    if not done:
        details.append(f"`qscaffold bump {target}` adds it")
    details += [str(f) for f in own[:5]]
    how = "calling upstream's options" if family.spec.base is Base.UPSTREAM else \
        "the older ones chained to it"
    return Item(done, f"{family.name}: the {target} type registered in {family.spec.file}, "
                f"marked latest, {how}", details)


def _upstream_base(tree: QemuTree, families: list[VendorFamily],
                   target: DownstreamVersion) -> Item:
    """A vendor whose types call upstream's options (Ubuntu) has no rebase bits: its
    release's types call the options of the QEMU it ships, the tree's newest."""
    from scaffold.reading.reader import read_families

    newest = {f.name: str(f.newest.version) for f in read_families(tree)[0]}
    details, done = [], True
    for family in families:
        t = next((t for t in family.types if t.version == target and not t.suffix), None)
        want = newest.get(family.spec.upstream)
        if t is None or want is None:
            continue
        if t.upstream_version != want:
            done = False
            details.append(f"{t.name} calls {family.spec.upstream} {t.upstream_version}'s "
                           f"options, the tree's newest is {want}")
    return Item(done, f"The {target} types call the options of the QEMU the release ships "
                "(the tree's newest upstream types)", details)


def _rebase(tree: QemuTree) -> Item:
    """Upstream's entries of the last two releases before the tree's base: copied into
    some vendor array (matched by type and property), or listed."""
    text = "Rebase bits: upstream's compat entries of the releases since the last base " \
           "copied into the vendor's arrays (`qscaffold compat rebase --from A.B --to C.D`)"
    if not tree.version:
        return Item(False, text, ["VERSION not found: the base is unknown"])
    base = Version(tree.version[0], tree.version[1])
    releases = {base.prev(), base.prev().prev()}
    upstream: list[Entry] = []
    vendor: set[tuple[str, str]] = set()
    for pair in compat_arrays.all_pairs(tree, extern=False):
        if pair.version in releases:
            upstream += [e for e, _ in compat_arrays.entry_nodes(pair)[1]]
    for rel in sorted({p.file.rel for p in compat_arrays.all_pairs(tree, extern=False)}):
        data = tree.file(rel).data   # the vendor's arrays: those not named as upstream's
        for e in entries_in(csyntax.parse(data).root_node, rel, Code(data)):
            if not compat_arrays.ARRAY_NAME.match(e.array):
                vendor.add((e.driver, e.prop))
    missing = [e for e in upstream if (e.driver, e.prop) not in vendor]
    return Item(not missing, text, [f"{e.where}: {e.array} {e.text} is in no vendor array"
                                    for e in missing[:10]])
