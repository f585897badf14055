"""`qscaffold check`: verify the whole compat chain, version by version.

Each rule is a small function returning Findings.  The same rules run on the tree a
bump would write, before it is written.
"""
from __future__ import annotations

from typing import Any

from scaffold.findings import Finding, failing, ordered
from scaffold.reading import compat_arrays
from scaffold.reading.families import FamilySpec
from scaffold.reading.lifecycle import current_release
from scaffold.reading.machines import Family, OptionsFn, VersionBlock, read_families
from scaffold.reading.tree import QemuTree
from scaffold.version import Version

def _finding(family: Family, block: VersionBlock | None, severity: str, kind: str, message: str,
             fix: str = "", offset: int | None = None) -> Finding:
    if offset is None and block is not None:
        offset = block.start
    return Finding(severity, kind, message, fix, family.file.rel,
                   family.file.line(offset) if offset is not None else None, family.name,
                   str(block.version) if block else None)


def array_name(prefix: str, version: Version) -> str:
    return f"{prefix}_compat_{version.underscored}"


def _versioned_callee(spec: FamilySpec, name: str):
    for kind in spec.options:
        m = kind.match(name)
        if m:
            return kind, Version(int(m.group("major")), int(m.group("minor")))
    return None


def _bugfix_fn(family: Family, fn: OptionsFn) -> OptionsFn | None:
    """The bugfix machine's options `fn` calls first (q35 4.0 -> 4.0.1), if it does."""
    for call in fn.calls:
        if call.name in family.helpers and fn.kind.match_bugfix(call.name):
            return family.helpers[call.name]
    return None


def check_chain(family: Family, block: VersionBlock, newer: VersionBlock) -> list[Finding]:
    """`block` calls `newer`'s options of the same kind, with its own parameter."""
    out = []
    for kind in family.spec.options:
        fn = block.functions.get(kind.role)
        target = newer.functions.get(kind.role)
        if fn is None or target is None:
            continue
        via = _bugfix_fn(family, fn)
        if via is not None:  # QEMU's q35 4.0 applies its compat props through 4.0.1
            out.append(_finding(family, block, "info", "chain-bugfix",
                                f"{fn.name} chains through the bugfix machine's {via.name}",
                                "", fn.start))
            fn = via
        calls = [c for c in fn.calls
                 if _versioned_callee(family.spec, c.name) or c.name in family.spec.base_options]
        fix = f"call {target.name}({fn.param}) first"
        if not calls:
            out.append(_finding(family, block, "error", "chain-missing",
                                f"{fn.name} does not call {target.name}", fix, fn.start))
            continue
        name, node = calls[0].name, calls[0].stmt
        if name in family.spec.base_options:
            out.append(_finding(family, block, "error", "chain-base",
                                f"{fn.name} calls the base {name} instead of {target.name}",
                                fix, node.start_byte))
        elif name != target.name:
            out.append(_finding(family, block, "error", "chain-wrong",
                                f"{fn.name} calls {name} instead of {target.name}", fix,
                                node.start_byte))
        elif calls[0].args != [fn.param]:
            out.append(_finding(family, block, "error", "chain-param",
                                f"{fn.name} passes ({', '.join(calls[0].args)}) to {name}, not its own "
                                f"parameter {fn.param}", fix, node.start_byte))
    return out


def _compat_adds(fn: OptionsFn) -> list[tuple[str, Any]]:
    """Names of the hw_/pc_compat arrays a function adds, with the call statements."""
    out = []
    for call in fn.calls:
        if call.name == "compat_props_add":
            args = call.args
            if len(args) == 3 and compat_arrays.ARRAY_NAME.match(args[1]):
                out.append((args[1], call.stmt))
    return out


def check_compat_props(family: Family, block: VersionBlock, newest: bool,
                       defined: set[str]) -> list[Finding]:
    """An older version adds its own release's arrays exactly once; the newest adds none.

    Only arrays the tree defines are wanted: the oldest machine types predate them."""
    out = []
    for kind in family.spec.options:
        fn = block.functions.get(kind.role)
        if fn is None:
            continue
        fn = _bugfix_fn(family, fn) or fn
        adds = _compat_adds(fn)
        wanted = [] if newest or not kind.adds_compat else \
            [n for p in family.spec.arrays for n in [array_name(p, block.version)] if n in defined]
        for name in wanted:
            count = sum(1 for added, _ in adds if added == name)
            line = f"compat_props_add({fn.param}->compat_props, {name}, {name}_len);"
            if count == 0:
                out.append(_finding(family, block, "error", "compat-missing",
                                    f"{fn.name} does not add {name}", f"add `{line}`", fn.start))
            elif count > 1:
                out.append(_finding(family, block, "warning", "compat-duplicate",
                                    f"{fn.name} adds {name} {count} times", "keep one", fn.start))
        own = {array_name(p, block.version) for p in family.spec.arrays} if kind.adds_compat else set()
        for name, node in adds:
            if name not in wanted and not (name in own and not newest and name not in defined):
                out.append(_finding(family, block, "error", "compat-foreign",
                                    f"{fn.name} adds {name}, which belongs to "
                                    f"{'no version: the newest has no arrays' if newest else 'another version'}",
                                    "remove that line", node.start_byte))
    return out


def check_shape(family: Family, block: VersionBlock) -> list[Finding]:
    out = []
    for kind in family.spec.options:
        if kind.role not in block.functions:
            out.append(_finding(family, block, "error", "function-missing",
                                f"no {kind.role} function for {block.version}"))
    if block.macro is None:
        out.append(_finding(family, block, "error", "registration-missing",
                            f"{block.version} has options but no {family.spec.macro}() registration"))
    return out


def check_family(family: Family, defined: set[str]) -> list[Finding]:
    out = []
    blocks = family.blocks
    markers = [b for b in blocks if b.functions and b.marks_latest()]
    if not markers or markers[0] is not blocks[0]:
        out.append(_finding(family, blocks[0], "error", "latest-missing",
                            f"the newest version {blocks[0].version} is not marked as the latest",
                            "move the latest/default marker to it"))
    for extra in markers:
        if extra is not blocks[0]:
            out.append(_finding(family, extra, "error", "latest-extra",
                                f"{extra.version} is marked as the latest too", "unmark it",
                                extra.macro.start if extra.macro else None))
    for fn in family.unregistered:   # static and called by nothing: -Werror fails
        out.append(_finding(family, None, "error", "function-unregistered",
                            f"{fn.name} names a version newer than every {family.spec.macro}() "
                            "registration; nothing calls it", "fix the name (a typo?) or "
                            "register its version", fn.start))
    for i, block in enumerate(blocks):
        out += check_shape(family, block)
        out += check_compat_props(family, block, i == 0, defined)
        if i > 0:
            out += check_chain(family, block, blocks[i - 1])
    return out


def check_arrays(tree: QemuTree, families: list[Family]) -> list[Finding]:
    out = []
    defs = compat_arrays.all_pairs(tree, extern=False)
    decls = compat_arrays.all_pairs(tree, extern=True)
    declared = {p.name: p for p in decls}
    defined = {p.name: p for p in defs}
    adds = [(f, fn, name, stmt) for f in families
            for fn in [fn for b in f.blocks for fn in b.functions.values()] + list(f.helpers.values())
            for name, stmt in _compat_adds(fn)]
    used = {name for _, _, name, _ in adds}

    def severity_of(name: str) -> str:   # what nothing uses can neither fail to build nor link
        return "error" if name in used else "warning"

    for pair in defs:
        if pair.len_name is None:
            out.append(Finding(severity_of(pair.name), "array-len", f"{pair.name} has no {pair.name}_len after it",
                               f"add `const size_t {pair.name}_len = G_N_ELEMENTS({pair.name});`",
                               pair.file.rel, pair.line))
        if pair.name not in declared:
            out.append(Finding(severity_of(pair.name), "extern-missing", f"{pair.name} is defined but not declared",
                               f"add `extern GlobalProperty {pair.name}[];` and its _len",
                               pair.file.rel, pair.line))
    for pair in decls:
        if pair.name not in defined:
            if pair.name in used:   # a reference to it would not link
                out.append(Finding("error", "definition-missing",
                                   f"{pair.name} is used but defined nowhere (it would not link)",
                                   "define it, or stop adding it", pair.file.rel, pair.line))
            else:                   # dead text, but it compiles (8.1.50 to 9.2 carried some)
                out.append(Finding("warning", "stale-declaration",
                                   f"stale declaration: {pair.name} is declared but defined "
                                   "nowhere and used nowhere", "remove the extern lines "
                                   "(qscaffold retire does)", pair.file.rel, pair.line))
        elif pair.len_name is None:
            out.append(Finding(severity_of(pair.name), "extern-len", f"no `extern const size_t {pair.name}_len;` "
                               "after the array's declaration", "add it", pair.file.rel, pair.line))
    for family, fn, name, stmt in adds:   # neither defined nor declared: does not compile
        if name not in defined and name not in declared:
            out.append(_finding(family, None, "error", "array-undefined",
                                f"{fn.name} adds {name}, which is defined and declared "
                                "nowhere (it would not compile)",
                                f"define {name} (and its _len), or remove the line",
                                stmt.start_byte))
    newest = max((f.newest.version for f in families), default=None)
    for pair in defs:
        if pair.name not in used:
            severity, what = "info", "no machine type adds it (its machine types were removed)"
            if newest is not None and pair.version >= newest:
                severity, what = "warning", f"the newest machine types ({newest}) have no arrays"
            out.append(Finding(severity, "array-unused", f"{pair.name}: {what}",
                               "remove it" if severity == "warning" else "", pair.file.rel, pair.line))
    return out


def check_versions(tree: QemuTree, families: list[Family]) -> list[Finding]:
    out = []
    newest = {f.name: f.newest.version for f in families}
    if len(set(newest.values())) > 1:
        top = max(newest.values())
        for f in families:
            if newest[f.name] != top:
                out.append(_finding(f, f.newest, "error", "families-disagree",
                                    f"newest version is {newest[f.name]}, other families have {top}",
                                    f"qscaffold bump {top}"))
    if newest:
        top = max(newest.values())
        release = top.prev()
        pairs = compat_arrays.all_pairs(tree, extern=False)
        defined = {p.name for p in pairs}
        for prefix in sorted({p for f in families for p in f.spec.arrays}):
            if array_name(prefix, release) not in defined:
                home = max((p for p in pairs if p.prefix == prefix), default=None,
                           key=lambda p: p.version)   # where its siblings are defined
                out.append(Finding("warning", "array-missing",
                                   f"{array_name(prefix, release)} is not defined, but the "
                                   f"{release} machine types need it", f"qscaffold bump {top}",
                                   home.file.rel if home else None))
    if tree.version and newest:
        major, minor, micro = tree.version
        expected = current_release(tree.version)
        top = max(newest.values())
        if top < expected:
            out.append(Finding("pending", "bump-pending",
                               f"VERSION is {major}.{minor}.{micro} but the newest machine types are "
                               f"{top}: the {expected} machine types are missing",
                               f"qscaffold bump {expected}", "VERSION"))
        elif top > expected:
            out.append(Finding("warning", "version-behind",
                               f"the newest machine types ({top}) are newer than VERSION "
                               f"{major}.{minor}.{micro} implies ({expected})", "", "VERSION"))
    return out


def check_tree(tree: QemuTree, families: list[Family] | None = None) -> list[Finding]:
    notes: list[Finding] = []   # what the reader saw and left alone
    if families is None:
        families, notes = read_families(tree)
    out = list(notes)
    defined = {p.name for p in compat_arrays.all_pairs(tree, extern=False)}
    for family in families:
        # a family's findings depend on its file and on which of its own arrays exist:
        # cached on the (immutable) family, so a series re-checks only what it changed
        own = frozenset(n for b in family.blocks for p in family.spec.arrays
                        for n in [array_name(p, b.version)] if n in defined)
        cache = family.memo.setdefault("findings", {})
        if own not in cache:
            cache[own] = check_family(family, defined)
        out += cache[own]
    out += check_arrays(tree, families)
    out += check_versions(tree, families)
    return ordered(out)


__all__ = ["Finding", "check_tree", "failing"]
