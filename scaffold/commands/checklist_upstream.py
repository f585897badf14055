"""The steps of the one checklist (checklist.py) that upstream's numbered families take at
the start of a cycle: the compat arrays, each family's new type, the latest marker, the
patch, the lifecycle, the docs, the proof and the recipients."""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile

from scaffold.applying import scm
from scaffold.reading import compat_arrays
from scaffold.rules import chain
from scaffold.rules.registry import errors, warnings
from scaffold.commands.bump import subject
from scaffold.commands.checklist_model import Context, Item, named
from scaffold.reading.lifecycle import read_policy
from scaffold.version import current_release, in_development, Version
from scaffold.reading.machines import Family, VersionBlock
from scaffold.reading.tree import QemuTree

DEVEL_LIST = "qemu-devel@nongnu.org"
# family name -> (the family, its versions past deletion)
Past = dict[str, tuple[Family, list[VersionBlock]]]


def default_version(tree: QemuTree, families: list[Family]) -> Version:
    """The release whose cycle this is: a 10.2.50 tree works toward 11.0; a 10.2.0
    release tree is where the 11.0 cycle starts."""
    if tree.version:
        major, minor, micro = tree.version
        return current_release(tree.version) if in_development(tree.version) else \
            Version(major, minor).next()
    newest: Version = max(f.newest.version for f in families)
    return newest.next()


def arrays(ctx: Context) -> list[Item]:
    """The cycle's compat arrays (hw_compat_A_B, pc_compat_A_B), defined and declared."""
    items = []
    defs = compat_arrays.all_pairs(ctx.tree, extern=False)
    decls = compat_arrays.all_pairs(ctx.tree, extern=True)
    for prefix in sorted({p for f in ctx.families for p in f.spec.arrays}):
        name = chain.array_name(prefix, ctx.release)
        d = [p for p in defs if p.name == name]
        x = [p for p in decls if p.name == name]
        details = [f"defined in {d[0].file.rel}:{d[0].line}" if d else "not defined yet",
                   f"declared in {x[0].file.rel}:{x[0].line}" if x else "no extern declaration yet"]
        items.append(Item(bool(d and x), f"Compat array `{name}` added and declared", details,
                          id=f"array:{prefix}"))
    return items


def families(ctx: Context) -> list[Item]:
    """Each family's new type, the release before chained to it with its arrays."""
    items = []
    target, release = ctx.version, ctx.release
    defined = {p.name for p in compat_arrays.all_pairs(ctx.tree, extern=False)}
    for family in ctx.numbered:
        machine = f"{family.spec.prefix}-{target}"
        block, older = family.block(target), family.block(release)
        problems = []
        if block is None:
            problems.append(f"no {machine} yet")
        elif older is not None:
            problems = [f.message for f in errors(chain.judge_chain(family, family.type_of(older),
                                                                    family.type_of(block)) +
                                                   chain.judge_compat_props(family, older,
                                                                            False, defined))]
        items.append(Item(not problems, f"{family.name}: `{machine}` added in {family.file.rel}, "
                          f"{release} chained to it with its compat arrays", problems,
                          id=f"family:{family.name}"))
    return items


def latest(ctx: Context) -> list[Item]:
    """The latest/default marker on the new release in every family."""
    target, families = ctx.version, ctx.numbered
    unmoved = [f.name for f in families
               if f.newest_block.version != target or not f.newest_block.marks_latest()]
    return [Item(not unmoved, f"Latest/default machine type moved to {target} in every family",
                 [f"still on {f.newest.version}: {f.name}" for f in families if f.name in unmoved],
                 id="latest")]


def checkpatch(ctx: Context) -> list[Item]:
    return [named("checkpatch", _checkpatch(ctx.tree, ctx.version))]


def lifecycle(ctx: Context) -> list[Item]:
    return _lifecycle(ctx.tree, ctx.numbered, ctx.version)


def docs(ctx: Context) -> list[Item]:
    return [named("docs", _docs(ctx.tree, ctx.numbered))]


def prove(ctx: Context) -> list[Item]:
    return [named("prove", _prove(ctx.version))]


def send(ctx: Context) -> list[Item]:
    return [named("send", _recipients(ctx.tree, ctx.numbered))]


def lint_item(tree: QemuTree) -> Item:
    """Every compat entry checked against the QOM model (qscaffold lint)."""
    from scaffold.rules.lint_tree import run_lint

    findings, _, _ = run_lint(tree.root)
    bad = errors(findings)
    noted = len(warnings(findings))
    details = [str(f) for f in bad[:10]] + ([f"... {len(bad) - 10} more"]
                                            if len(bad) > 10 else [])
    if noted:
        details.append(f"{noted} warnings: `qscaffold lint` lists them")
    return Item(not bad, "`qscaffold lint` finds no error in the compat entries", details)


def _checkpatch(tree: QemuTree, target: Version) -> Item:
    text = "The patch passes `scripts/checkpatch.pl`"
    script = tree.root / "scripts" / "checkpatch.pl"
    how = (f"`qscaffold bump {target} --dry-run --format patch -o bump.patch && "
           "scripts/checkpatch.pl bump.patch`")
    if not (tree.root / ".git").exists() or not script.exists() or not shutil.which("perl"):
        return Item(False, text, [f"run {how}"])
    if scm.head_subject(tree.root) != subject(target):
        return Item(False, text, [f"HEAD is not the bump commit; run {how}"])
    patch = scm.head_patch(tree.root)
    with tempfile.NamedTemporaryFile(suffix=".patch") as fh:
        fh.write(patch)
        fh.flush()
        proc = subprocess.run(["perl", str(script), fh.name], cwd=tree.root, capture_output=True,
                              text=True, errors="replace")
    total = next((l for l in proc.stdout.splitlines() if l.startswith("total:")), "")
    return Item(proc.returncode == 0, text, [f"HEAD: {total}" if total else "HEAD checked"])


def _lifecycle(tree: QemuTree, families: list[Family], target: Version) -> list[Item]:
    policy = read_policy(tree)
    if policy is None:
        return [Item(True, "Lifecycle: this tree predates the versioned machine type policy (9.1)",
                     id="lifecycle")]
    newly: list[tuple[Family, VersionBlock]] = []
    past: Past = {}
    for family in families:
        for block in family.blocks:
            status = policy.status(block.version, target)
            if status == "deprecated" and policy.status(block.version, target.prev()) == "supported":
                newly.append((family, block))
            if status == "past-deletion":
                past.setdefault(family.name, (family, []))[1].append(block)
    items = [named("deprecations", _deprecations(tree, families, newly, target))]
    details = []
    for family, blocks in past.values():
        span = f"{blocks[0].version}" if len(blocks) == 1 else \
            f"{blocks[-1].version} .. {blocks[0].version} ({len(blocks)} versions)"
        details.append(f"{family.name} ({family.file.rel}): {span}, not registered any more")
    used_only_by_past = _arrays_only_used_by(families, past)
    if used_only_by_past:
        details.append("compat arrays only those use: " + ", ".join(used_only_by_past))
    if past:
        details.append("`qscaffold retire --dry-run` shows the series that removes them, and "
                       "what must be done by hand")
    items.append(Item(not past, "No code left for machine types past deletion "
                      "(remove it and the compat arrays only they use)", details,
                      id="past-deletion"))
    return items


_DEPRECATION = re.compile(r"\bMACHINE_VER_DEPRECATION\s*\(")


def _announcing_macros(tree: QemuTree) -> set[str]:
    """Macros of the shared headers whose definition calls MACHINE_VER_DEPRECATION (x86's
    DEFINE_PC_VER_MACHINE in pc.h)."""
    out = set()
    for rel in tree.array_externs:
        text = tree.file(rel).data.decode("utf-8", "replace")
        for m in re.finditer(r"#\s*define\s+(\w+)\((?:[^\n]*\\\n)*[^\n]*", text):
            if _DEPRECATION.search(m.group(0)):
                out.add(m.group(1))
    return out


def _deprecations(tree: QemuTree, families: list[Family],
                  newly: list[tuple[Family, VersionBlock]], target: Version) -> Item:
    """The types the release deprecates get their deprecation reason from the
    registration macros (MACHINE_VER_DEPRECATION); a family whose macros lack it would
    let them pass unannounced."""
    text = f"Machine types {target} deprecates are announced by MACHINE_VER_DEPRECATION()"
    if not newly:
        return Item(True, text, [f"{target} deprecates no versioned machine type"])
    details, done = [], True
    shared = _announcing_macros(tree)
    for family in {f.name: f for f, _ in newly}.values():
        names = ", ".join(f"{family.spec.prefix}-{b.version}" for f, b in newly if f is family)
        source = family.file.data.decode("utf-8", "replace")
        if _DEPRECATION.search(source) or any(re.search(rf"\b{m}\(", source) for m in shared):
            details.append(f"{names}: deprecation reason set by the registration macro in "
                           f"{family.file.rel}")
        else:
            done = False
            details.append(f"{names}: {family.file.rel} never calls MACHINE_VER_DEPRECATION(); "
                           "set mc->deprecation_reason by hand")
    return Item(done, text, details)


def _arrays_only_used_by(families: list[Family], past: Past) -> list[str]:
    users: dict[str, set[bool]] = {}
    for family in families:
        gone = {b.version for b in past.get(family.name, (None, []))[1]}
        for block in family.blocks:
            for fn in block.functions.values():
                for name, _ in chain._compat_adds(fn):
                    users.setdefault(name, set()).add(block.version in gone)
    return sorted((n for n, flags in users.items() if flags == {True}),
                  key=lambda n: [int(x) for x in re.findall(r"\d+", n)], reverse=True)


def _prove(target: Version) -> Item:
    """What only running two QEMUs shows (a new vmstate field, a changed default): never
    ticked from the tree, since it needs the previous release's binary."""
    release = target.prev()
    return Item(False, f"Proved against the previous release ({release}): every machine type "
                "both binaries offer keeps its devices' properties and migrates",
                [f"`qscaffold prove --old /path/to/qemu-{release}/qemu-system-x86_64 "
                 "--build-dir build --backward` (and each target you build; `--baseline FILE` "
                 "for the known differences, each with its reason)"])


def _docs(tree: QemuTree, families: list[Family]) -> Item:
    doc = tree.root / "docs" / "about" / "deprecated.rst"
    text = "Every family is in the deprecation docs' list of versioned machine type architectures"
    if not doc.exists():
        return Item(False, text, ["docs/about/deprecated.rst not found"])
    heading = re.search(r"Versioned machine types \(([^)]*)\)", doc.read_text(errors="replace"))
    listed = {a.strip() for a in heading.group(1).split(",")} if heading else set()
    missing = sorted({a for f in families for a in f.spec.doc_arches} - listed)
    return Item(not missing, text, [f"add to docs/about/deprecated.rst: {', '.join(missing)}"]
                if missing else [])


def _recipients(tree: QemuTree, families: list[Family]) -> Item:
    files = sorted({f.file.rel for f in families} | set(tree.array_defs) | set(tree.array_externs))
    lists = sorted({f"{name}@nongnu.org" for f in families for name in f.spec.lists})
    details = [f"To: {DEVEL_LIST}", f"Cc: {', '.join(lists)}" if lists else "Cc: -"]
    from scaffold.reading.maintainers import addresses

    _, people = addresses(tree, files)
    if people:
        details.append("Cc (scripts/get_maintainer.pl): " + ", ".join(people))
    return Item(False, "Send the patch to the list with the maintainers in copy", details)
