"""Which families a tree is read with: upstream's (families.FAMILIES), the vendors' files
the tool ships, the tree's own (.qscaffold/families.toml) and one given with
--families, each read once per tree (docs/families.md); and what a vendor's files say
besides its families (its arrays, its commit subject, its releases' codenames)."""
from __future__ import annotations

import re
from pathlib import Path

from scaffold.errors import UsageError
from scaffold.reading import families as model
from scaffold.reading.families import (FAMILIES, IN_TREE, UPSTREAM_FILE, DownstreamVersion,
                                       FamilySpec, VendorArrays, read_file, toml)
from scaffold.reading.tree import QemuTree


def vendor_files(tree: QemuTree, extra: Path | None) -> list[Path]:
    """The vendors' families files a tree reads: those the tool ships, the tree's own,
    the one given by option."""
    from scaffold.userfiles import kept_file

    files = sorted(p for p in model.SHIPPED.glob("*.toml") if p != UPSTREAM_FILE)
    if kept_file(tree.root / IN_TREE, IN_TREE):
        files.append(tree.root / IN_TREE)
    if extra is not None:
        if not kept_file(extra, f"--families {extra}"):
            raise UsageError(f"--families {extra}: no such file")
        files.append(extra)
    return files


def load_specs(tree: QemuTree, extra: Path | None = None) -> list[FamilySpec]:
    """The vendors' families a tree reads (upstream's are FAMILIES): the shipped files,
    then the tree's own file, then one given by option (`extra`, or the tree's
    `families-file`: `--families FILE`); a family of the same name is replaced by the
    later description."""
    extra = extra or tree.memo.get("families-file")   # --families FILE
    key = ("specs", str(extra))
    if key not in tree.memo:
        specs: dict[str, FamilySpec] = {}
        for path in vendor_files(tree, extra):
            for spec in read_file(path):
                specs[spec.name] = spec
        tree.memo[key] = list(specs.values())
    return list(tree.memo[key])


def with_families_file(tree: QemuTree, path: Path | None) -> QemuTree:
    """The tree, reading the families file `--families` names besides the others."""
    if path is not None:
        tree.memo["families-file"] = path.resolve()
    return tree


def vendor_arrays(tree: QemuTree, vendor: str) -> VendorArrays | None:
    """The vendor's arrays as its families files describe them (the last file that
    does, as for families)."""
    found = None
    for path in vendor_files(tree, tree.memo.get("families-file")):
        data = toml(path)
        arrays = data.get("arrays")
        if data.get("vendor") != vendor or arrays is None:
            continue
        if not isinstance(arrays, dict) or not all(isinstance(v, str) for v in arrays.values()):
            raise UsageError(f"{path}: [arrays] holds strings: hw, pc (name templates) and "
                             "comment")
        names = {k: v for k, v in arrays.items() if k != "comment"}
        found = VendorArrays(vendor, names, arrays.get("comment", "/* {array} from {upstream} */"),
                             str(path))
    return found


def bump_subject(tree: QemuTree, vendor: str) -> str:
    """The subject of a downstream bump's commit, `{version}` to fill: the vendor's
    `subject` (the last file that says one), else "hw: add {version} machine types"."""
    found = "hw: add {version} machine types"
    for path in vendor_files(tree, tree.memo.get("families-file")):
        data = toml(path)
        subject = data.get("subject")
        if data.get("vendor") != vendor or subject is None:
            continue
        if not isinstance(subject, str) or "{version}" not in subject:
            raise UsageError(f"{path}: `subject` is a string with {{version}} in it")
        found = subject
    return found


def parse_version(tree: QemuTree, text: str) -> DownstreamVersion | None:
    """A downstream version as a command names it: rhel9.2.0, or ubuntu-kinetic for a
    vendor whose families data lists its releases by codename (None: not downstream)."""
    numeric = DownstreamVersion.parse(text)
    if numeric is not None:
        return numeric
    m = re.fullmatch(r"([a-z]+)-([a-z]+)", text)
    if m is None:
        return None
    specs = [s for s in load_specs(tree) if s.vendor == m.group(1) and s.releases]
    if not specs:
        return None
    found = specs[0].version_of(m.group(2))
    if found is None:
        known = ", ".join(name for name, _ in specs[0].releases)
        raise UsageError(f"{text}: {m.group(2)!r} is not one of {m.group(1)}'s releases in "
                         f"{specs[0].source} ({known})")
    return found


def all_specs(tree: QemuTree) -> list[FamilySpec]:
    """Every family the tree is read with: upstream's, then the vendors'."""
    return [*FAMILIES, *load_specs(tree)]


def macros_for(tree: QemuTree, rel: str) -> tuple[str, ...]:
    """The registration macros the vendors' families name in a file (the byte scan
    looks for them besides `DEFINE_*MACHINE*`)."""
    return tuple(sorted({m for s in load_specs(tree) if s.file == rel
                         for m in s.macros or (s.macro,)}))
