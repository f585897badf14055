"""Plan `qscaffold retire`: remove versioned machine types past deletion, then the compat
arrays nothing adds any more, then extern declarations of arrays defined nowhere.

The result is a series of steps, each one commit in upstream's style, computed one after
the other on the tree as the previous steps leave it (in memory), each checked like any
plan (no new parse error, no new `check` error) so that every commit builds on its own.
What cannot be done mechanically is reported as a follow-up, never guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scaffold.jsondoc import SCHEMA
from scaffold.progress import Progress
from scaffold.errors import ScaffoldError, UsageError
from scaffold.planning.compat_edit import expand_families
from scaffold.reading.cmatch import class_cast
from scaffold.planning.fields import Kept, Why, plan_field
from scaffold.planning.plan import Contents, Edit, Plan
from scaffold.planning.removal import plan_removal
from scaffold.reading import compat_arrays, csyntax
from scaffold.reading.compat_arrays import ArrayPair
from scaffold.reading.families import FAMILIES
from scaffold.reading.lifecycle import Policy, read_policy
from scaffold.version import current_release, Version
from scaffold.reading.machines import Family, VersionBlock, assigned_field, function_name
from scaffold.reading.reader import read_families
from scaffold.reading.search import FileSearch
from scaffold.reading.tree import QemuTree

if TYPE_CHECKING:
    from tree_sitter import Node

DOC = "docs/about/deprecated.rst"


@dataclass(eq=False, repr=False)
class RetireStep:
    """One commit of a retire series."""

    subject: str
    summary: str
    plan: Plan
    contents: dict[str, tuple[bytes, bytes]]

    def as_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "summary": self.summary, "files": self.plan.paths,
                "edits": self.plan.as_json()["edits"]}


@dataclass(eq=False, repr=False)
class FollowUp:
    """Something retire leaves to the maintainer, with where it is."""

    kind: str        # class-field | mention | kept
    message: str
    path: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}: " if self.path and self.line else \
            (f"{self.path}: " if self.path else "")
        return f"{where}{self.message}"

    def as_json(self) -> dict[str, Any]:
        from scaffold.jsondoc import location

        return {"kind": self.kind, "message": self.message,
                "location": location(self.path, self.line)}


@dataclass(eq=False, repr=False)
class Series:
    """A retire series: its steps, the machine types it retires and follow-ups."""

    steps: list[RetireStep] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)     # machine type names
    provenance: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "command": "retire", "retired": self.retired,
                "steps": [s.as_json() for s in self.steps],
                "followups": [f.as_json() for f in self.followups]}


# --- choosing what to retire -----------------------------------------------------------

def _selected(tree: QemuTree, families: list[Family], up_to: Version | None,
              force: bool) -> tuple[dict[str, list[Version]], Policy | None]:
    """family name -> versions to retire, oldest first."""
    policy = read_policy(tree)
    current = current_release(tree.version) if tree.version else None
    if up_to is None and (policy is None or current is None):
        raise UsageError("this tree has no versioned machine type policy (boards.h before 9.1) "
                         "or no VERSION: name the versions, `qscaffold retire X.Y --force`")
    if up_to is not None and policy is None and not force:
        raise UsageError(f"this tree has no versioned machine type policy (boards.h before "
                         f"9.1): retiring up to {up_to} needs --force")
    chosen: dict[str, list[Version]] = {}
    for family in families:
        if up_to is not None and up_to >= family.newest_block.version:
            raise UsageError(f"{up_to} is not older than the newest {family.name} machine type "
                             f"({family.newest_block.version}); the newest version is never retired")
        versions = []
        for block in reversed(family.blocks[1:]):      # oldest first, never the newest
            past = policy is not None and current is not None and \
                policy.status(block.version, current) == "past-deletion"
            if up_to is None and not past:
                continue
            if up_to is not None and block.version > up_to:
                continue
            if not past and not force:
                when = f"from {policy.deleted_since(block.version)} on" if policy else "never"
                raise ScaffoldError(f"{family.spec.prefix}-{block.version} is not past deletion "
                                    f"yet (it is, {when}); --force retires it anyway",
                                    path=family.file.rel, line=family.file.line(block.start),
                                    family=family.name)
            versions.append(block.version)
        if versions:
            chosen[family.name] = versions
    return chosen, policy


# --- one machine-type step -------------------------------------------------------------

def _bugfix_registrations(family: Family, version: Version) -> list[tuple[int, int, str]]:
    """Registrations of bugfix types of `version` (DEFINE_Q35_MACHINE_BUGFIX(4, 0, 1))."""
    out = []
    for node in csyntax.top_level(family.file.full_tree.root_node):
        called = csyntax.macro_call(node)
        if not called or not called[0].startswith(family.spec.macro):
            continue
        arguments = called[1].child_by_field_name("arguments")
        args = csyntax.split_args(csyntax.utf8(arguments.text or b"")[1:-1]) \
            if arguments is not None else []
        if len(args) == 3 and args[:2] == [str(version.major), str(version.minor)] and args[2].isdigit():
            out.append((node.start_byte, node.end_byte, f"{version}.{args[2]}"))
    return out


def _machine_spans(family: Family, block: VersionBlock
                   ) -> tuple[list[tuple[int, int]], list[str], list[str]]:
    """(byte spans, function names, machine type names) that retiring `block` removes."""
    if block.macro is None or not block.functions:
        raise ScaffoldError(f"machine version {block.version} has no "
                            f"{'registration' if block.macro is None else 'options function'}; "
                            "fix it by hand first", path=family.file.rel,
                            line=family.file.line(block.start), family=family.name)
    spans = [(block.start, block.end)]
    names = [f.name for f in block.functions.values()]
    types = [f"{family.spec.prefix}-{block.version}"]
    for start, end, bugfix in _bugfix_registrations(family, block.version):
        spans.append((start, end))
        types.append(f"{family.spec.prefix}-{bugfix}")
    for name, helper in family.helpers.items():
        m = helper.kind.match_bugfix(name)
        if m and (int(m.group("major")), int(m.group("minor"))) == (block.version.major,
                                                                     block.version.minor):
            spans.append((helper.start, helper.end))
            names.append(name)
    return spans, names, types


def _registered(families: dict[str, Family], rel: str, removed: list[str]) -> set[str]:
    """Options functions of the versions that stay in this file: their registrations name
    them by token pasting, which no text search sees."""
    return {fn.name for f in families.values() if f.file.rel == rel
            for fns in [*(b.functions.values() for b in f.blocks), f.helpers.values()]
            for fn in fns if fn.name not in removed}


def _still_used(family: Family, edits: list[Edit], names: list[str]) -> tuple[str, int] | None:
    """A removed function that code which stays still calls (xenfv-3.1 calls
    pc_i440fx_machine_3_1_options): (name, offset of the first such use)."""
    data = family.file.data
    kept, pos = [], 0
    for e in sorted(edits, key=lambda e: e.start):
        kept.append((pos, data[pos:e.start]))
        pos = e.end
    kept.append((pos, data[pos:]))
    for name in names:
        pattern = re.compile(rb"\b" + name.encode() + rb"\b")
        for offset, text in kept:
            m = pattern.search(text)
            if m:
                return name, offset + m.start()
    return None


def _enclosing(family: Family, offset: int) -> str:
    for node in csyntax.top_level(family.file.full_tree.root_node):
        if node.start_byte <= offset < node.end_byte and node.type == "function_definition":
            return function_name(node) or "code that stays"
    return "code that stays"


def _class_fields(family: Family, block: VersionBlock) -> set[tuple[str, str]]:
    """(class type, field) the version sets through a class cast (pcmc->x = ...)."""
    cached: set[tuple[str, str]] | None = block.memo.get("class_fields")
    if cached is not None:
        return cached
    out: set[tuple[str, str]] = set()
    block.memo["class_fields"] = out
    for fn in block.functions.values():
        casts = {}
        for stmt in fn.statements:
            found = class_cast(stmt)
            if found is not None:
                casts[found.var] = found.type
        for stmt in fn.statements:
            for var, type_ in casts.items():
                name = assigned_field(stmt, var)
                if name:
                    out.add((type_, name))
    return out


# --- the series ------------------------------------------------------------------------

def _families(tree: QemuTree, names: list[str]) -> list[Family]:
    families, _ = read_families(tree)
    if not names:
        return families
    known = {f.name: f for f in families}
    wanted = expand_families(names)
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise UsageError(f"unknown family {unknown[0]!r}; this tree has: {', '.join(known)}")
    return [known[n] for n in wanted]


def _finish_step(current: QemuTree, plan: Plan) -> tuple[QemuTree, Contents]:
    """Check the step like any plan; the tree after it is the next step's start."""
    plan.checked(current, None)
    assert plan.result is not None   # a step always has edits
    return plan.result, plan.contents(current)


def plan_retire(tree: QemuTree, up_to: Version | None = None, names: list[str] | None = None,
                force: bool = False, provenance_args: str = "") -> Series:
    families = _families(tree, names or [])
    chosen, policy = _selected(tree, families, up_to, force)
    # What the series may remove (a superset, filtered later), and where it is named.
    fields_search = FileSearch(tree.root, ("hw", "include", "target"), (".c", ".h"), sorted(
        {f.encode() for family in families for v in chosen.get(family.name, [])
         for block in [family.block(v)] if block for _, f in _class_fields(family, block)}))
    mentions_search = FileSearch(tree.root, ("tests", "docs"), None, sorted(
        {f"{family.spec.prefix}-".encode() for family in families if chosen.get(family.name)}))
    return _plan_series(tree, chosen, policy, provenance_args, fields_search, mentions_search)


def _plan_series(tree: QemuTree, chosen: dict[str, list[Version]], policy: Policy | None, provenance_args: str,
                 fields_search: FileSearch, mentions_search: FileSearch) -> Series:
    series = Series()
    order = {s.name: i for i, s in enumerate(FAMILIES)}
    blocked: dict[str, Version] = {}
    fields: set[tuple[str, str]] = set()
    removed_fields: set[tuple[str, str]] = set()
    why_kept: dict[tuple[str, str], Kept] = {}
    current = tree
    versions = sorted({v for vs in chosen.values() for v in vs})
    total = sum(len({s.subsystem for s in FAMILIES if v in chosen.get(s.name, [])})
                for v in versions)
    with Progress("planning the series", total) as progress:
        current = _plan_versions(series, versions, chosen, order, blocked, fields,
                                 removed_fields, why_kept, current, policy, fields_search,
                                 progress)
    current = _array_steps(current, series)
    current = _stale_step(current, series)
    series.followups += _field_followups(tree, current, fields - removed_fields, fields_search,
                                         why_kept)
    series.followups += _mentions(tree, series.retired, mentions_search)
    series.provenance = f"Generated with `qscaffold retire{provenance_args}`."
    return series


def _plan_versions(series: Series, versions: list[Version], chosen: dict[str, list[Version]],
                   order: dict[str, int], blocked: dict[str, Version],
                   fields: set[tuple[str, str]], removed_fields: set[tuple[str, str]],
                   why_kept: dict[tuple[str, str], Kept],
                   current: QemuTree, policy: Policy | None, fields_search: FileSearch,
                   progress: Progress) -> QemuTree:
    """One step per version and subsystem, each planned on the tree the previous leaves."""
    mentions: dict[str, list[str]] | None = None   # field -> files naming it (grep, once)
    planned = 0
    for version in versions:
        groups: dict[str, list[str]] = {}
        for name in sorted(chosen, key=lambda n: order[n]):
            if version in chosen[name] and name not in blocked:
                spec = next(s for s in FAMILIES if s.name == name)
                groups.setdefault(spec.subsystem, []).append(name)
        for subsystem, members in groups.items():
            planned += 1
            progress.step(planned, f"planning {subsystem}: remove the {version} machine types")
            plan = Plan("retire", version)
            types = []
            families = {f.name: f for f in read_families(current)[0]}
            for name in members:
                family = families[name]
                block = family.block(version)
                if block is None:
                    continue
                spans, functions, machine_types = _machine_spans(family, block)
                edits, _ = plan_removal(family.file, spans, f"remove {machine_types[0]}", name,
                                        keep=_registered(families, family.file.rel, functions))
                used = _still_used(family, edits, functions)
                if used:
                    blocked[name] = version
                    series.followups.append(FollowUp(
                        "kept", f"{family.spec.prefix}-{version} and newer are kept: "
                        f"{used[0]} is still used by {_enclosing(family, used[1])}; retire that "
                        "user first, by hand", family.file.rel, family.file.line(used[1])))
                    continue
                plan.edits += edits
                plan.families.append(name)
                types += machine_types
                fields |= _class_fields(family, block)
            if not plan.edits:
                continue
            step_fields = sorted({f for name in plan.families
                                  for block in [families[name].block(version)] if block
                                  for f in _class_fields(families[name], block)})
            # a field a kept version still sets stays: known from the families, no parse
            still = {f for fam in families.values() for b in fam.blocks
                     if not (fam.name in plan.families and b.version == version)
                     for f in _class_fields(fam, b)}
            step_fields = [f for f in step_fields if f not in still]
            gone = []
            if step_fields:
                if mentions is None:
                    mentions = fields_search.naming()
                for type_, field in step_fields:   # removed with their last setter
                    removal = plan_field(current, type_, field, mentions.get(field, []),
                                         list(plan.edits))
                    clash = next((e for e in removal.edits for o in plan.edits if e.path == o.path
                                  and e.start < o.end and o.start < e.end), None)
                    if clash is not None:   # `if (vmc->a && vmc->b)`: one field a step
                        removal = removal._replace(reason=Kept(
                            Why.FOLDED_TWICE, f"its reader at {clash.path}:"
                            f"{current.file(clash.path).line(clash.start)} is folded for "
                            "another field of this step; remove it by hand"))
                    if removal.reason:
                        why_kept[(type_, field)] = removal.reason
                        continue
                    plan.edits += removal.edits
                    removed_fields.add((type_, field))
                    gone.append((type_, field, removal.value))
            current, contents = _finish_step(current, plan)
            series.retired += types
            series.steps.append(_machine_step(subsystem, types, version, policy, plan, contents))
            for type_, field, value in gone:
                series.steps[-1].summary += (
                    f" No remaining machine type sets {type_}::{field}: remove it, and fold "
                    f"the code reading it with {value}.")
    return current


def _machine_step(subsystem: str, types: list[str], version: Version, policy: Policy | None,
                  plan: Plan, contents: Contents) -> RetireStep:
    main = [t for t in types if t.count(".") == 1]
    # upstream names q35 before i440fx: "pc-q35-2.7 and pc-i440fx-2.7"
    main.sort(key=lambda t: t.startswith("pc-i440fx"))
    bugfix = [t for t in types if t.count(".") == 2]
    names = " and ".join(main)
    plural = len(main) > 1
    subject = f"{subsystem}: Remove deprecated {names} machine{'s' if plural else ''}"
    if policy is not None:
        since = policy.deleted_since(version)
        why = (f"{'These' if plural else 'This'} versioned machine type{'s are' if plural else ' is'} "
               f"past the deletion horizon of QEMU's versioned machine type policy ({DOC}): "
               f"{'they have' if plural else 'it has'} not been registered since QEMU {since}.")
    else:
        why = (f"{'These' if plural else 'This'} versioned machine type{'s are' if plural else ' is'} "
               "retired on purpose (--force).")
    summary = f"{why} Remove {'their' if plural else 'its'} code."
    if bugfix:
        summary += f" The bugfix type {' and '.join(bugfix)} goes with {main[0]}."
    return RetireStep(subject, summary, plan, contents)


_ARRAY_USE = re.compile(rb"\b(?:hw|pc)_compat_\d+_\d+\b")


def _array_uses(tree: QemuTree) -> dict[str, list[tuple[str, int]]]:
    """Every mention of a compat array (or its _len) in the files the tree holds."""
    uses: dict[str, list[tuple[str, int]]] = {}
    for rel, file in tree.files.items():
        for m in _ARRAY_USE.finditer(file.data):
            uses.setdefault(m.group().decode("utf-8", "replace"), []).append((rel, m.start()))
    return uses


def _used_elsewhere(uses: dict[str, list[tuple[str, int]]], name: str,
                    own: list[ArrayPair]) -> bool:
    """Whether anything names the array outside its own definition and declarations."""
    return any(not any(p.file.rel == rel and p.start <= at < p.end for p in own)
               for rel, at in uses.get(name, []))


def _array_steps(current: QemuTree, series: Series) -> QemuTree:
    """One step per array that nothing adds any more: definition, `_len`, both externs."""
    families, _ = read_families(current)
    newest = min(f.newest_block.version for f in families)
    defs = compat_arrays.all_pairs(current, extern=False)
    decls = {p.name: p for p in compat_arrays.all_pairs(current, extern=True)}
    uses = _array_uses(current)
    orphans = []
    for pair in defs:
        own = [pair] + ([decls[pair.name]] if pair.name in decls else [])
        if pair.version < newest and not _used_elsewhere(uses, pair.name, own):
            orphans.append(pair)
    for pair in sorted(orphans, key=lambda p: (p.version, p.prefix != "hw")):
        defined = {p.name: p for p in compat_arrays.all_pairs(current, extern=False)}
        decls = {p.name: p for p in compat_arrays.all_pairs(current, extern=True)}
        plan = Plan("retire", pair.version)
        target = defined[pair.name]
        edits, pruned = plan_removal(target.file, [(target.start, target.end)],
                                     f"remove {pair.name}[]")
        plan.edits += edits
        if pair.name in decls:
            extern = decls[pair.name]
            plan.edits += plan_removal(extern.file, [(extern.start, extern.end)],
                                       f"remove the {pair.name} declarations")[0]
        current, contents = _finish_step(current, plan)
        prefix = target.file.rel.removesuffix(".c")
        summary = (f"No machine type adds {pair.name} any more: remove the array, its length "
                   "and their declarations.")
        if pruned:
            summary += f" {', '.join(csyntax.utf8(n) for n in pruned)}, used only by it, goes too."
        series.steps.append(RetireStep(f"{prefix}: Remove {pair.name}[] array", summary, plan,
                                       contents))
    return current


def _stale_step(current: QemuTree, series: Series) -> QemuTree:
    """One step removing every extern pair whose array is defined nowhere."""
    defined = {p.name for p in compat_arrays.all_pairs(current, extern=False)}
    uses = _array_uses(current)
    # an extern that anything else names is never stale: the tree is broken, not dead text
    stale = [p for p in compat_arrays.all_pairs(current, extern=True)
             if p.name not in defined and not _used_elsewhere(uses, p.name, [p])]
    if not stale:
        return current
    plan = Plan("retire", None)
    for rel in sorted({p.file.rel for p in stale}):
        mine = [p for p in stale if p.file.rel == rel]
        plan.edits += plan_removal(mine[0].file, [(p.start, p.end) for p in mine],
                                   "remove declarations of arrays defined nowhere")[0]
    current, contents = _finish_step(current, plan)
    names = ", ".join(p.name for p in stale)
    header = stale[0].file.rel.removeprefix("include/").removesuffix(".h")
    series.steps.append(RetireStep(
        f"{header}: Remove stale compat array declarations",
        f"{names} {'is' if len(stale) == 1 else 'are'} declared but defined nowhere: the "
        "declarations are dead text. Remove them.", plan, contents))
    return current


# --- what is reported rather than done -------------------------------------------------

def _field_followups(before: QemuTree, after: QemuTree, fields: set[tuple[str, str]],
                     search: FileSearch,
                     why_kept: dict[tuple[str, str], Kept] | None = None) -> list[FollowUp]:
    """Class fields no remaining machine type sets, with their declaration and readers."""
    if not fields:
        return []
    names = {f for _, f in fields}
    pattern = re.compile(rb"\b(" + b"|".join(re.escape(n.encode()) for n in sorted(names)) + rb")\b")
    found: dict[str, dict[str, list[tuple[str, int]]]] = {n: {"set": [], "read": [], "decl": []} for n in names}
    for rel, data in search.containing([n.encode() for n in names]):   # the word, as text
        if rel in after.files:
            data = after.files[rel].data
        root = None
        for m in pattern.finditer(data):
            root = root or (after.files[rel].full_tree if rel in after.files
                            else csyntax.parse(data)).root_node
            use = _field_use(root, data, m.start(), m.end(), rel.endswith(".h"))
            if use is not None:
                found[m.group(1).decode("utf-8", "replace")][use].append(
                    (rel, csyntax.line_of(data, m.start())))
    out = []
    for type_, name in sorted(fields):
        info = found[name]
        kept = (why_kept or {}).get((type_, name))
        alive = kept is not None and kept.why.alive
        if info["set"] and (kept is None or alive):
            continue
        decl = info["decl"][0] if info["decl"] else (None, None)
        reads = ", ".join(f"{p}:{l}" for p, l in info["read"][:8])
        more = f" (+{len(info['read']) - 8} more)" if len(info["read"]) > 8 else ""
        out.append(FollowUp("class-field", f"{type_}::{name}: no remaining machine type sets it; "
                            f"remove the field and the code reading it ({reads or 'read nowhere'}"
                            f"{more})" + (f"; not done: {kept.text}" if kept else ""),
                            decl[0], decl[1]))
    return out


def _field_use(root: Node, data: bytes, start: int, end: int, header: bool) -> str | None:
    """What the field named at `start` does there, by syntax: "set" (`x->f = v`, `.f = v`
    in an initializer), "read" (any other `x->f` or `x.f`), "decl" (its declaration in
    a struct of a header), None (another name, a comment).  In a macro's body, which the
    parse leaves as text, the preprocessor's words are read: `->f =` sets it."""
    node = root.descendant_for_byte_range(start, end)
    if node is not None and node.type == "preproc_arg":
        before, after = data[max(0, start - 2):start], data[end:end + 3]
        if not (before.endswith((b"->", b"."))):
            return None
        return "set" if after.lstrip()[:1] == b"=" and after.lstrip()[1:2] != b"=" else "read"
    if node is None or node.type != "field_identifier" or node.parent is None:
        return None
    parent = node.parent
    if parent.type == "field_expression":
        assign = parent.parent
        if assign is not None and assign.type == "assignment_expression" and \
                assign.child_by_field_name("left") == parent and \
                csyntax.text(csyntax.child(assign, "operator")) == b"=":
            return "set"
        return "read"
    if parent.type == "field_designator":
        return "set"
    holder: Node | None = parent
    while holder is not None and holder.type in ("array_declarator", "pointer_declarator",
                                                 "function_declarator",
                                                 "parenthesized_declarator"):
        holder = holder.parent
    if header and holder is not None and holder.type == "field_declaration":
        return "decl"
    return None


def _mentions(tree: QemuTree, retired: list[str], search: FileSearch) -> list[FollowUp]:
    """Every line of tests/ and docs/ that names a removed machine type."""
    if not retired:
        return []
    alternatives = b"|".join(re.escape(t.encode()) for t in sorted(retired, key=len, reverse=True))
    pattern = re.compile(rb"(?<![\w.-])(" + alternatives + rb")(?![\w]|\.\d)")
    out = []
    prefixes = sorted({t.rsplit("-", 1)[0].encode() + b"-" for t in retired})
    for rel, data in search.containing(prefixes):
        if b"\0" in data[:4096]:
            continue
        for m in pattern.finditer(data):
            line = csyntax.line_of(data, m.start())
            out.append(FollowUp("mention", f"names the removed machine type {csyntax.utf8(m.group(1))}",
                                rel, line))
    return out
