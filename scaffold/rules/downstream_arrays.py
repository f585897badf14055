"""check's rules on a distribution's own compat arrays (hw_compat_rhel_9_1...): each one
whole (definition, `_len`, extern pair), and the newest of each prefix added by the
types its release covers, in every family that keeps up with the vendor's arrays."""
from __future__ import annotations

from scaffold.reading.families import VendorArrays, FAMILIES
from scaffold.reading.family_files import vendor_arrays
from scaffold.reading.machine_types import VendorFamily, VendorType
from scaffold.reading.downstream import VendorArrayFact, vendor_array_facts
from scaffold.reading.reader import read_downstream
from scaffold.reading.tree import QemuTree
from scaffold.rules.fixtures import ARM, Fixture
from scaffold.rules.registry import Finding, Rule, register

BOARDS = "include/hw/boards.h"
DOWNSTREAM_ARRAY_PAIR = register(Rule("C408", "downstream-array-pair", "error",
    "a distribution's compat array lacks its definition, its _len or its extern pair",
    "A vendor array is used by name from the machine files: without its extern pair they "
    "do not compile, without its definition they do not link, and without `_len` "
    "compat_props_add cannot be written for it.",
    fixture=Fixture("downstream-if0", ((BOARDS, "extern GlobalProperty hw_compat_rhel_9_2[];\n"
                                        "extern const size_t hw_compat_rhel_9_2_len;\n\n", ""),))))
DOWNSTREAM_ARRAY_MISSING = register(Rule("C409", "downstream-array-missing", "error",
    "a distribution's newest compat array is not added by a type its release covers",
    "The newest vendor array holds what the last rebase changed; a type of its release (or "
    "older, with no newer type before it) that does not add it gives its guests the new "
    "behaviour and breaks migration from the older release. Families that stopped taking "
    "the vendor's arrays (a frozen spapr) are left alone.",
    fixture=Fixture("downstream-if0", ((ARM, "    compat_props_add(mc->compat_props, "
                                        "hw_compat_rhel_9_2, hw_compat_rhel_9_2_len);\n", ""),))))


def judge(tree: QemuTree) -> list[Finding]:
    families = read_downstream(tree)[0]
    if not families:
        return []
    arrays = vendor_arrays(tree, families[0].spec.vendor)
    if arrays is None:
        return []
    facts = vendor_array_facts(tree, arrays)
    return _pairs(facts, families, arrays) + _newest_added(facts, families)


def _pairs(facts: list[VendorArrayFact], families: list[VendorFamily],
           arrays: VendorArrays) -> list[Finding]:
    out = []
    known = {f.name for f in facts}
    for f in facts:
        where = f.defined or f.declared
        assert where is not None   # a fact is made from one of them
        missing = [what for what, ok in (("its definition", f.defined), ("its _len", f.has_len
                   or not f.defined), ("its extern declaration", f.declared),
                   ("its extern _len", f.declared_len or not f.declared)) if not ok]
        if missing:
            out.append(DOWNSTREAM_ARRAY_PAIR.finding(
                f"{f.name} lacks {', '.join(missing)}",
                "define it with its _len in the file of the others, and declare both in the "
                "header that declares them", path=where[0], line=where[1]))
    for family in families:
        for t in family.types:
            for fn, added in t.adds.items():
                for name in added:
                    if name not in known and any(
                            (pattern := arrays.pattern(p)) and pattern.match(name)
                            for p in arrays.names):
                        out.append(DOWNSTREAM_ARRAY_PAIR.finding(
                            f"{fn} adds {name}, which the tree neither defines nor declares",
                            f"define and declare {name} (qscaffold compat rebase makes it)",
                            path=family.spec.file, line=t.line, family=family.name,
                            version=str(t.version)))
    return out


def _newest_added(facts: list[VendorArrayFact], families: list[VendorFamily]
                  ) -> list[Finding]:
    out = []
    for prefix in sorted({f.prefix for f in facts}):
        ours = sorted((f for f in facts if f.prefix == prefix and f.defined),
                      key=lambda f: f.version)
        if not ours:
            continue
        newest, previous = ours[-1], (ours[-2] if len(ours) > 1 else None)
        for family in families:
            upstream = next((s for s in FAMILIES if s.name == family.spec.upstream), None)
            if upstream is not None and prefix not in upstream.arrays:
                continue
            expected = _covering(family, newest.version)
            if expected is None or _adds(expected, newest.name):
                continue
            # a family that stopped (RHEL 9's spapr) is left alone; one that still takes
            # the vendor's arrays past its own newest type (RHEL's i440fx list) is not
            before = _covering(family, previous.version) if previous is not None else None
            keeps_up = expected.version.major == newest.version[0] or (
                previous is not None and before is not None and _adds(before, previous.name)
                and previous.version > (before.version.major, before.version.minor))
            if keeps_up:
                out.append(DOWNSTREAM_ARRAY_MISSING.finding(
                    f"{expected.name} does not add {newest.name}, the newest "
                    f"{prefix} array, though its release covers it",
                    f"add compat_props_add(..., {newest.name}, {newest.name}_len) to "
                    f"{expected.options[0] if expected.options else 'its options'}",
                    path=family.spec.file, line=expected.line, family=family.name,
                    version=str(expected.version)))
    return out


def _covering(family: VendorFamily, release: tuple[int, int]) -> VendorType | None:
    """The newest type of the family not newer than the release (its array's user)."""
    return next((t for t in family.types if not t.suffix and
                 (t.version.major, t.version.minor) <= release), None)


def _adds(t: VendorType | None, name: str) -> bool:
    return t is not None and any(name in added for added in t.adds.values())
