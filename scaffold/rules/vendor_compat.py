"""A vendor type's effective compat against the upstream type it claims to equal (issue
36): C110 for a type that calls upstream's options (Ubuntu's), C111 for a type whose
release's arrays copy upstream's (RHEL's).  The claims are read by reading/claims.py,
the lists computed by reading/effective.py."""
from __future__ import annotations

from typing import Any, NamedTuple

from scaffold.reading import compat_arrays, effective
from scaffold.reading.claims import Claim, Provenance, claims, declined_source, provenance, \
    source_of
from scaffold.reading.declined import Declined, read_declined
from scaffold.reading.families import Base
from scaffold.reading.machine_types import MachineFamily, MachineType, VendorFamily
from scaffold.reading.reader import read_downstream
from scaffold.reading.effective import Applied, CompatMachine, Effective
from scaffold.reading.machines import Family
from scaffold.reading.tree import QemuTree
from scaffold.errors import UsageError
from scaffold.rules.fixtures import Q35, Fixture
from scaffold.rules.registry import Finding, Rule, register

DOWNSTREAM_COMPAT = register(Rule("C110", "downstream-compat-differs", "error",
    "a vendor type applies other compat properties than the upstream type it calls",
    "Ubuntu's pc-q35-jammy is QEMU 6.2's pc-q35-6.2 under its own name: its guests must "
    "see the same hardware. Besides what the vendor's own functions add on purpose (a "
    "variant's host_phys_bits_compat), its effective compat must equal the upstream "
    "type's; a difference is a forgotten or stray array.",
    fixture=Fixture("ubuntu-codenames", ((Q35, "    pc_q35_6_0_machine_options(m);\n"
                                          "    m->desc = \"Ubuntu 21.10 PC (Q35 + ICH9, 2009)\";",
                                          "    pc_q35_6_1_machine_options(m);\n"
                                          "    compat_props_add(m->compat_props, hw_compat_6_0, "
                                          "hw_compat_6_0_len);\n"
                                          "    m->desc = \"Ubuntu 21.10 PC (Q35 + ICH9, 2009)\";"),))))
DOWNSTREAM_CLAIM = register(Rule("C111", "downstream-claim-differs", "warning",
    "a vendor type applies other upstream compat than the upstream type its release claims",
    "RHEL's hw_compat_rhel_8_5 copies hw_compat_6_0's and hw_compat_6_1's entries: the "
    "8.5 types claim to be QEMU 6.0's types, with RHEL's own settings on top. An upstream "
    "entry such a type lacks, or sets otherwise, is a copy forgotten at a rebase or an "
    "array left unwired, unless the vendor declined it on purpose: say so in "
    ".qscaffold/declined.toml, with the reason, and it is quiet. A warning: the model "
    "cannot tell a decision nobody wrote down from a mistake. A frozen family (its newest "
    "type of an older major than the vendor's newest) is not judged: the vendor no "
    "longer carries upstream's changes into it.",
    fixture=Fixture("rhel8-shapes", (("hw/ppc/spapr.c", 'DEFINE_SPAPR_MACHINE(6_1, "6.1", false);\n',
                                      'DEFINE_SPAPR_MACHINE(6_1, "6.1", false);\n\n'
                                      "static void spapr_machine_6_0_class_options(MachineClass "
                                      "*mc)\n{\n    spapr_machine_6_1_class_options(mc);\n"
                                      "    compat_props_add(mc->compat_props, hw_compat_6_0, "
                                      "hw_compat_6_0_len);\n}\n\n"
                                      'DEFINE_SPAPR_MACHINE(6_0, "6.0", false);\n'),))))


class Difference(NamedTuple):
    """One (type, property) two lists end with otherwise, and whether that is allowed."""

    key: tuple[str, str]
    mine: Applied | None       # the vendor type's winning entry; None: it lacks it
    theirs: Applied | None     # the upstream type's; None: only the vendor's sets it
    allowed: str | None        # "the vendor's own (pc_rhel_compat)", "declined: ..."


def compare(mine: Effective, theirs: Effective, known: Provenance,
            declined: Declined) -> list[Difference]:
    """Every (type, property) where the two lists end otherwise, each said allowed when
    the vendor's own entry wins or the vendor declined the upstream one."""
    final_mine = {e.key: e for e in mine.entries if not e.overridden}
    final_theirs = {e.key: e for e in theirs.entries if not e.overridden}
    upstream_fns = {e.added_by for e in theirs.entries}
    out = []
    for key in list(final_theirs) + [k for k in final_mine if k not in final_theirs]:
        a, b = final_mine.get(key), final_theirs.get(key)
        if a is not None and b is not None and a.value == b.value:
            continue
        allowed = None
        if a is not None and source_of(a, known, upstream_fns) is None:
            allowed = "the vendor's own"
        elif b is not None and (reason := declined_source(b, declined)) is not None:
            allowed = f"declined: {reason}"
        out.append(Difference(key, a, b, allowed))
    return out


def judge(tree: QemuTree) -> list[Finding]:
    """C111 on every vendor type whose release's arrays claim an upstream type.  A
    difference is said once, at the newest type of the family that has it."""
    families = {f.name: f for f in read_downstream(tree)[0]}
    wanted = [c for c in claims(tree) if families[c.family].spec.base is not Base.UPSTREAM
              and not _frozen(families[c.family], families)]
    if not wanted:
        return []
    known, declined = provenance(tree), read_declined(tree)
    types = {m.name: m for m in effective.machine_types(tree)}
    lists: dict[str, Effective | None] = {}
    said: dict[str, set[tuple[Any, ...]]] = {}
    out = []
    for claim in wanted:
        mine = types.get(claim.vendor_type)
        theirs = _upstream(tree, claim, mine, lists)
        if mine is None or theirs is None:
            continue   # the upstream type is not in the tree: the model cannot tell
        mine_list = effective.compute(tree, mine, resolve=False)
        differences = [d for d in compare(mine_list, theirs, known, declined)
                       if d.allowed is None]
        seen = said.setdefault(claim.family, set())
        new = [d for d in differences if _signature(d) not in seen]
        seen.update(_signature(d) for d in differences)
        if new:
            out.append(_finding(claim, mine, new, known, {e.array for e in mine_list.entries}))
    return out


def _upstream(tree: QemuTree, claim: Claim, mine: CompatMachine | None,
              lists: dict[str, Effective | None]) -> Effective | None:
    if claim.upstream not in lists:
        try:
            found = effective.find(tree, claim.upstream,
                                   effective.default_target(mine) if mine else None)
        except UsageError:   # not in the tree: the model cannot tell
            found = None
        lists[claim.upstream] = effective.compute(tree, found, resolve=False) \
            if found is not None else None
    return lists[claim.upstream]


def _signature(d: Difference) -> tuple[Any, ...]:
    return (d.key, d.mine.value if d.mine else None, d.theirs.value if d.theirs else None)


def _finding(claim: Claim, mine: CompatMachine, new: list[Difference],
             known: Provenance, applied: set[str]) -> Finding:
    lacks = [d.theirs for d in new if d.mine is None and d.theirs is not None]
    adds = [d for d in new if d.theirs is None]
    other = [d for d in new if d.mine is not None and d.theirs is not None]
    arrays = sorted({e.array for e in lacks} | {d.theirs.array for d in other if d.theirs} |
                    {d.mine.array for d in adds if d.mine})
    parts = [f"lacks {len(lacks)}" if lacks else "",
             f"adds {len(adds)}" if adds else "",
             f"sets {len(other)} otherwise" if other else ""]
    shown = new[0].theirs or new[0].mine
    assert shown is not None
    return DOWNSTREAM_CLAIM.finding(
        f"{claim.vendor_type} differs from {claim.upstream}, which {claim.evidence}: "
        f"{' and '.join(p for p in parts if p)} of upstream's entries ({', '.join(arrays)}; "
        f"{shown.qom_type or shown.driver} {shown.prop}{', ...' if len(new) > 1 else ''})"
        f"{_question(lacks, known, applied)}",
        f"`qscaffold compat diff {claim.vendor_type} {claim.upstream}` shows them; decline "
        "what the vendor leaves out on purpose in .qscaffold/declined.toml",
        path=mine.path, line=mine.line, family=claim.family, version=claim.version)


def _question(lacks: list[Applied], known: Provenance, applied: set[str]) -> str:
    """What to look at first: a vendor array that holds copies of the arrays the type
    lacks, and is not wired into it; else the copies a rebase should have made."""
    if not lacks:
        return ""
    sources = {e.array for e in lacks}
    holders = sorted({array for (array, _), source in known.copies.items()
                      if source in sources and array not in applied})
    if holders:
        return f": is {' or '.join(holders)} wired into its options?"
    return f": were {', '.join(sorted(sources))}'s entries copied at the rebase?"


def _frozen(family: VendorFamily, families: dict[str, VendorFamily]) -> bool:
    if family.spec.continued is not None:
        return not family.spec.continued
    newest = max((f.newest.version.major for f in families.values() if f.types), default=0)
    return bool(family.types) and family.newest.version.major < newest


def judge_calls(tree: QemuTree, family: MachineFamily[Any], upstream: Family,
                           t: MachineType[Any], finding: Any,
                           known: dict[Any, Any]) -> list[Finding]:
    """C110: the vendor type's effective compat against the upstream type it calls, the
    entries its own functions add left out (a variant's host_phys_bits_compat, Ubuntu's
    wily hybrid): only what the upstream type's own functions add is compared."""
    if "types" not in known:
        known["types"] = {(m.name, m.path): m for m in effective.machine_types(tree)}
    types = known["types"]
    theirs_name = f"{upstream.spec.prefix}-{t.upstream_version}"
    mine_type = types.get((t.name, family.spec.file))
    theirs_type = types.get((theirs_name, upstream.file.rel))
    if mine_type is None or theirs_type is None:
        return []
    if theirs_name not in known:   # several vendor types call one upstream version
        known[theirs_name] = effective.compute(tree, theirs_type, resolve=False)
    theirs = known[theirs_name]
    upstream_fns = {e.added_by for e in theirs.entries}
    mine = [e for e in effective.compute(tree, mine_type, resolve=False).entries
            if e.added_by in upstream_fns or not _on_purpose(family, e)]
    final_mine = {e.key: e.value for e in mine}   # the last one wins, as in QEMU
    final_theirs = {e.key: e.value for e in theirs.entries}
    lacks = [k for k in final_theirs if k not in final_mine]
    extra = [k for k in final_mine if k not in final_theirs]
    other = [k for k in final_theirs if k in final_mine and final_mine[k] != final_theirs[k]]
    if not (lacks or extra or other):
        return []
    arrays = sorted({e.array for e in theirs.entries if e.key in lacks} |
                    {e.array for e in mine if e.key in extra or e.key in other})
    parts = [f"lacks {len(lacks)} of its entries" if lacks else "",
             f"adds {len(extra)} entr{'y' if len(extra) == 1 else 'ies'}" if extra else "",
             f"sets {len(other)} otherwise" if other else ""]
    return [finding(DOWNSTREAM_COMPAT,
                    f"{t.name} differs from {theirs_name}, the upstream type it calls: "
                    f"{', '.join(p for p in parts if p)} ({', '.join(arrays)})",
                    f"`qscaffold compat diff {t.name} {theirs_name}` shows them")]


def _on_purpose(family: MachineFamily[Any], entry: Any) -> bool:
    """Whether a vendor's entry is its own on purpose: an array of its own (a variant's
    host_phys_bits_compat, Ubuntu's hw_compat_2_4_wily), or any array a helper of its
    adds (Ubuntu's pc_i440fx_wily_machine_options, the hybrid a shipped type keeps).  An
    upstream release array a vendor type's own options add is not: it is a stray one."""
    if not compat_arrays.ARRAY_NAME.match(entry.array):
        return True
    return not any(entry.added_by in t.options for t in family.types)


__all__ = ["DOWNSTREAM_CLAIM", "DOWNSTREAM_COMPAT", "Difference", "compare", "judge", "judge_calls"]
