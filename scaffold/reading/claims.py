"""Which upstream machine type each vendor type claims to equal, and where each entry of
a vendor type's compat list comes from (issue 36).

A vendor type claims an upstream type in one of two ways, both read from the code:
- **it calls the upstream options** (Ubuntu's pc-q35-jammy calls
  pc_q35_6_2_machine_options): it claims pc-q35-6.2;
- **its release's arrays copy from upstream** (RHEL's hw_compat_rhel_8_5 holds entries
  under `/* hw_compat_rhel_8_5 from hw_compat_6_0 */`): every type of release 8.5 claims
  the oldest upstream release its copies come from, 6.0 (what upstream's 6.0 types
  apply, the vendor's 8.5 types apply).  The vendor's newest release, whose arrays
  nothing has filled yet, claims the tree's own QEMU (rhel9.2.0 on a 7.2 tree).  A
  release whose arrays hold no copy claims nothing the model can tell.

An entry of a vendor type's list is **upstream's** (a hw_compat_X_Y / pc_compat_X_Y
entry, or a copy of one), or **the vendor's own** (pc_rhel_compat, an entry of its
arrays without a source comment, a local array of its functions): a vendor type may
differ from the type it claims by its own entries, and by what it declined
(`.qscaffold/declined.toml`), and by nothing else.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from scaffold.reading import compat_arrays
from scaffold.reading.declined import Declined
from scaffold.reading.families import Base
from scaffold.reading.family_files import vendor_arrays
from scaffold.reading.machine_types import VendorFamily, VendorType
from scaffold.reading.reader import read_downstream
from scaffold.reading.effective import Applied
from scaffold.reading.tree import QemuTree
from scaffold.reading.vendor_copies import all_vendor_arrays, copies_by_source

_SOURCE = re.compile(r"\w*?(\d+)_(\d+)\w*")   # hw_compat_6_0, pc_compat_2_11: (6, 0)


class Claim(NamedTuple):
    """A vendor type and the upstream type it claims to equal."""

    vendor_type: str          # pc-q35-rhel8.5.0
    family: str               # rhel-q35
    version: str              # rhel8.5.0
    upstream: str             # pc-q35-6.0
    evidence: str             # how the code says so, for messages


class Provenance(NamedTuple):
    """What the tree says of the vendor's entries: (array, line) of each copy -> the
    upstream array its comment names, each vendor array's release, and its types'
    options functions."""

    copies: dict[tuple[str, int], str]
    release_of: dict[str, tuple[int, int]]
    options: frozenset[str]


def provenance(tree: QemuTree) -> Provenance:
    if "provenance" not in tree.memo:
        copies: dict[tuple[str, int], str] = {}
        release_of: dict[str, tuple[int, int]] = {}
        for vendor in sorted({f.spec.vendor for f in read_downstream(tree)[0]}):
            arrays = vendor_arrays(tree, vendor)
            if arrays is None:
                continue
            ours = all_vendor_arrays(tree, arrays)
            release_of |= {a.name: a.version for a in ours}
            for source, found in copies_by_source(tree, ours, arrays).items():
                for entry, _, array in found:
                    copies[(array.name, entry.line)] = source
        options = {fn for f in read_downstream(tree)[0] for t in f.types for fn in t.options}
        tree.memo["provenance"] = Provenance(copies, release_of, frozenset(options))
    result: Provenance = tree.memo["provenance"]
    return result


def source_of(entry: Applied, known: Provenance, upstream_fns: set[str]) -> str | None:
    """The upstream array an entry is (hw_compat_6_0) or was copied from; None for the
    vendor's own: also an upstream array a helper of the vendor adds (neither a vendor
    type's options nor upstream's: Ubuntu's pc_i440fx_wily_machine_options, whose
    hybrid of 2.5 and 2.4 wily shipped)."""
    if compat_arrays.ARRAY_NAME.match(entry.array):
        helper = entry.added_by not in known.options and entry.added_by not in upstream_fns
        return None if helper else entry.array
    return known.copies.get((entry.array, entry.line))


def declined_source(entry: Applied, declined: Declined) -> str | None:
    """The declination's reason if the vendor declined this upstream entry (by its array
    or the options function that adds it, and "DRIVER PROPERTY")."""
    driver = _name(entry.driver)
    for source in (entry.array, entry.added_by):
        found = declined.find(source, f"{driver} {_name(entry.prop)}")
        if found is not None:
            return f"{found.reason} ({declined.path}:{found.line})"
    return None


def _name(text: str) -> str:
    from scaffold.reading import csyntax

    return csyntax.c_string(text) if text.startswith('"') else text


def release_bases(tree: QemuTree, known: Provenance) -> dict[tuple[int, int], tuple[str, str]]:
    """Vendor release (major, minor) -> the oldest upstream release its arrays copy from,
    and the array that says so: (8, 5) -> ("6.0", "hw_compat_rhel_8_5")."""
    out: dict[tuple[int, int], tuple[tuple[int, int], str]] = {}
    for (array, _), source in known.copies.items():
        m = _SOURCE.fullmatch(source)
        release = known.release_of.get(array)
        if m is None or release is None:
            continue
        version = (int(m.group(1)), int(m.group(2)))
        if release not in out or version < out[release][0]:
            out[release] = (version, array)
    return {r: (f"{v[0]}.{v[1]}", array) for r, (v, array) in out.items()}


def claims(tree: QemuTree) -> list[Claim]:
    """Every vendor type whose claim the code states, newest first within a family."""
    from scaffold.reading.families import FAMILIES

    machines = {s.name: s.prefix for s in FAMILIES}
    families = read_downstream(tree)[0]
    known = provenance(tree)
    bases = release_bases(tree, known)
    newest = max(((t.version.major, t.version.minor) for f in families for t in f.types
                  if not t.version.codename), default=None)
    out: list[Claim] = []
    for family in families:
        machine = machines.get(family.spec.upstream)
        if machine is None:
            continue
        for t in family.types:
            claimed = _claimed(tree, family, t, bases, newest)
            if claimed is not None:
                version, evidence = claimed
                out.append(Claim(t.name, family.name, str(t.version), f"{machine}-{version}",
                                 evidence))
    return out


def _claimed(tree: QemuTree, family: VendorFamily, t: VendorType,
             bases: dict[tuple[int, int], tuple[str, str]],
             newest: tuple[int, int] | None) -> tuple[str, str] | None:
    if family.spec.base is Base.UPSTREAM:
        if t.upstream_version is None or t.upstream_options is None:
            return None
        return t.upstream_version, f"it calls {t.upstream_options}"
    release = (t.version.major, t.version.minor)
    if release in bases:
        version, array = bases[release]
        return version, f"{array} copies from upstream's {version.replace('.', '_')} arrays"
    if release == newest and tree.version is not None and \
            not any(r > release for r in bases):
        version = f"{tree.version[0]}.{tree.version[1]}"
        return version, f"{t.version} is the vendor's newest release, on QEMU {version}"
    return None


def claim_of(tree: QemuTree, name: str) -> Claim | None:
    return next((c for c in claims(tree) if c.vendor_type == name), None)
