"""The one reader: every family of a tree, upstream's and the vendors', read into the one
model of machine types (machine_types.py), and what no family claims said.  How a
family's registrations are named is its data: by number (machines.py reads upstream's
version blocks, in any of the layouts of QEMU's history), or by the vendor's templates
over the registration's arguments (downstream.py)."""
from __future__ import annotations

import re
from typing import Any, NamedTuple

from scaffold.errors import ScaffoldError, UsageError
from scaffold.reading import downstream
from scaffold.reading.families import OTHER_TYPES, FamilySpec, spec_for
from scaffold.reading.family_files import all_specs, load_specs, macros_for
from scaffold.reading.machine_types import MachineFamily, VendorFamily, VendorType
from scaffold.reading.machines import Family, Note, family_in
from scaffold.reading.registrations import of_file
from scaffold.reading.tree import QemuTree


class Machines(NamedTuple):
    """Every family of a tree, read by the one reader (`read_machines`)."""

    upstream: list[Family]              # upstream's numbered families, in FAMILIES' order
    vendors: list[VendorFamily]         # the vendors' families, in their files' order
    claimed: dict[str, set[int]]        # per file, the registration lines vendors claim
    disabled: list[Note]                # families whose registrations `#if 0` compiles out

    @property
    def families(self) -> list[MachineFamily[Any]]:
        """Every family, upstream's then the vendors'."""
        return [*self.upstream, *self.vendors]


def read_machines(tree: QemuTree) -> Machines:
    """The one reader: every family the families data describes (families.py), as the
    tree holds it, read into the one model of machine types (machine_types.py).  A
    family's registrations are named by number where its names carry upstream's version
    (its file found by its macro in its hw/<arch>/ folder, in any of the layouts of
    QEMU's history: `read_family`), or by the vendor's templates over the registration's
    arguments (downstream.read_family).  Read once per tree and families file (a tree is
    never changed in place: edits make a new one)."""
    key = ("machines", str(tree.memo.get("families-file")))
    found: Machines | None = tree.memo.get(key)
    if found is None:
        found = tree.memo[key] = _read_machines(tree)
    return found


def _read_machines(tree: QemuTree) -> Machines:
    files: dict[str, list[str]] = {}   # upstream family -> the files that register it
    for rel, macros in sorted(tree.machine_files.items()):
        for macro in macros:
            spec = spec_for(macro, rel)
            if spec is not None and rel not in files.setdefault(spec.name, []):
                files[spec.name].append(rel)
    machines = Machines([], [], {}, [])
    owner: dict[tuple[str, int], str] = {}   # one registration, one family
    for spec in all_specs(tree):
        if spec.is_upstream:
            for rel in files.get(spec.name, []):
                _read_numbered(tree, spec, rel, machines)
        else:
            _read_named(tree, spec, owner, machines)
    machines.disabled.sort(key=lambda n: n.path or "")   # said file by file
    return machines


def _read_numbered(tree: QemuTree, spec: FamilySpec, rel: str, machines: Machines) -> None:
    """An upstream family as `rel` holds it, or the note that `#if 0` compiles it out."""
    family = family_in(tree, spec, rel)
    off = tree.file(rel).memo.get("disabled", {}).get(spec.name)
    if family:
        machines.upstream.append(family)
    elif not off:   # its macros are defined here, and nothing registers with them
        raise ScaffoldError(f"the file defines {spec.macro} but registers no machine type "
                            "with it: is it cut short? Fix the file first", path=rel,
                            family=spec.name)
    if off:
        machines.disabled.append(Note("family-disabled", f"{off[0]} {spec.macro} "
                                      f"registration{'s' if off[0] != 1 else ''} disabled by "
                                      "`#if 0` (a downstream tree): left alone",
                                      path=rel, line=off[1], family=spec.name))


def _read_named(tree: QemuTree, spec: FamilySpec, owner: dict[tuple[str, int], str],
                machines: Machines) -> None:
    """A vendor's family, refused when another family claims one of its registrations
    (a bump would edit it twice)."""
    vendor, lines = downstream.read_family(tree, spec)
    for line in sorted(lines):
        other = owner.setdefault((spec.file, line), spec.name)
        if other != spec.name:
            raise UsageError(f"families {other} and {spec.name} both claim this "
                             "registration; make their macros or names tell them apart",
                             path=spec.file, line=line, family=spec.name)
    if vendor.types:
        machines.vendors.append(vendor)
        machines.claimed.setdefault(spec.file, set()).update(lines)


def read_families(tree: QemuTree) -> tuple[list[Family], list[Note]]:
    """Upstream's families found in the tree (read_machines'), and notes on what no
    family reads."""
    families = machine_families(tree)
    notes: list[Note] | None = tree.memo.get("family-notes")
    if notes is None:
        notes = tree.memo["family-notes"] = read_machines(tree).disabled + \
            _unclaimed(tree, families)
    return families, list(notes)


def machine_families(tree: QemuTree) -> list[Family]:
    """Upstream's families found in the tree, without the notes on what no family reads
    (a plan's check of its own result, which judges errors only)."""
    return list(read_machines(tree).upstream)


def read_downstream(tree: QemuTree) -> tuple[list[VendorFamily], dict[str, set[int]]]:
    """The vendors' families the tree registers (read_machines'), and per file the lines
    they claim."""
    machines = read_machines(tree)
    return list(machines.vendors), dict(machines.claimed)


def latest_holders(tree: QemuTree) -> dict[str, VendorType]:
    """Upstream family -> the vendor's type that holds its latest mark: Ubuntu registers
    upstream's newest pseries with `false` and hands the flag, the alias and the default
    to pseries-jammy.  Upstream's newest is then rightly not the latest."""
    out: dict[str, VendorType] = {}
    for family in read_downstream(tree)[0]:
        latest = next((t for t in family.types if t.latest), None)
        if latest is not None:
            out.setdefault(family.spec.upstream, latest)
    return out


# a registration of a family's macro that is still its family's, though not a version:
# a bugfix release's type (v4_0_1 / "pc-q35-4.0.1", DEFINE_Q35_MACHINE_BUGFIX(4, 0, 1))
# or a variant of a version (DEFINE_SPAPR_MACHINE(2_12_sxxm, "2.12-sxxm", false))
_EXTRA_NAME = re.compile(r"(?:\A|-)\d+\.\d+(?:\.\d+|-[a-z]+)\Z")
_BUGFIX_ARGS = re.compile(r"\d+\.\d+\.\d+\Z")


def _family_extra(args: list[str]) -> bool:
    return (len(args) > 1 and _EXTRA_NAME.search(args[1]) is not None) or \
        _BUGFIX_ARGS.fullmatch(".".join(args[:3])) is not None


def _unclaimed(tree: QemuTree, families: list[Family]) -> list[Note]:
    """Every live registration of the family files that no family reads: one note each,
    with its line and macro (a downstream's own types, a family nobody described, a
    family's macro with a name that is not a version: DEFINE_Q35_MACHINE(jammy, ...)
    when no families data describes Ubuntu's).  A bugfix release's type (pc-q35-4.0.1)
    is its family's."""
    claimed = read_machines(tree).claimed
    read = {(f.file.rel, b.macro.line) for f in families for b in f.blocks if b.macro}
    files = set(tree.machine_files) | {s.file for s in load_specs(tree)
                                       if (tree.root / s.file).is_file()}
    notes = []
    for rel in sorted(files):
        for reg in of_file(tree.file(rel), macros_for(tree, rel)):
            if reg.line in claimed.get(rel, ()) or (rel, reg.line) in read or \
                    (reg.macro != "TypeInfo" and spec_for(reg.macro, rel) and
                     _family_extra(reg.args)):
                continue
            shown = f"{reg.macro}({', '.join(reg.args[:2])}{', ...' if len(reg.args) > 2 else ''})" \
                if reg.macro != "TypeInfo" else f"a TypeInfo named {reg.args[0]}"
            other = next((a for a in reg.args if a in OTHER_TYPES.get(rel, ())), None)
            if other is not None:
                notes.append(Note("registration-other", f"{shown} registers {other}, a machine "
                                  "type of no versioned family: left alone", path=rel,
                                  line=reg.line))
            else:
                notes.append(Note("family-unknown", f"{shown} registers a machine type no "
                                  "family describes: not read, not checked, not bumped "
                                  "(describe its family: docs/families.md)", path=rel,
                                  line=reg.line))
    return notes
