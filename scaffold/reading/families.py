"""The machine families that have versioned machine types, declared as data:
families/upstream.toml, in the format of the vendors' files beside it (docs/families.md).

A family is found in the tree by its registration macro (and, where several
architectures share a macro name, by the hw/<arch>/ folder it lives in).  Every
per-family difference the bump needs is a field there, not a code path.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple

# Version placeholder in function-name patterns.
V = r"(?P<major>\d+)_(?P<minor>\d+)"


class OptionsKind(NamedTuple):
    """One per-version function: name patterns (current first), parameter type, role."""

    role: str              # "options", "class_options", "instance_options": the key in a block
    patterns: tuple[str, ...]
    param_type: str
    adds_compat: bool  # class-level options add the release's compat arrays

    def match(self, name: str, bugfix: bool = False) -> re.Match[str] | None:
        """The match of `name` against the patterns; with `bugfix`, a bugfix release's
        machine type (pc-q35-4.0.1): major_minor_micro in the name."""
        for pattern in _compiled(self.patterns, bugfix):
            m = pattern.fullmatch(name)
            if m:
                return m
        return None

    def match_bugfix(self, name: str) -> re.Match[str] | None:
        return self.match(name, bugfix=True)


_COMPILED: dict[tuple[tuple[str, ...], bool], list[re.Pattern[str]]] = {}


def _compiled(patterns: tuple[str, ...], bugfix: bool) -> list[re.Pattern[str]]:
    """Matchers run on every function of a family file: compile each pattern once."""
    key = (patterns, bugfix)
    if key not in _COMPILED:
        _COMPILED[key] = [re.compile(p.replace(V, V + r"_(?P<micro>\d+)") if bugfix else p)
                          for p in patterns]
    return _COMPILED[key]


class FamilySpec(NamedTuple):
    name: str              # as in the commit message ("Add 11.0 machine types for arm/i440fx/...")
    macro: str             # registration macro; the newest may use macro + "_AS_LATEST"
    arch: str              # hw/<arch>/ folder of the family's file
    machine: str           # machine type name prefix ("pseries-10.2", "pc-q35-10.2")
    options: tuple[OptionsKind, ...]
    base_options: tuple[str, ...] = ()  # what the newest version's options may call
    arrays: tuple[str, ...] = ("hw",)   # compat array prefixes each older version adds
    header: str | None = None           # a "/*\n * pseries-A.B\n */" comment heads each block
    lists: tuple[str, ...] = ()         # mailing lists in copy besides qemu-devel
    doc_arches: tuple[str, ...] = ()    # names in docs/about/deprecated.rst's list
    subsystem: str = ""                 # commit subject prefix; families sharing one retire together
    file: str = ""                      # where upstream registers it (families/upstream.toml)
    others: tuple[str, ...] = ()        # unversioned machine types its file registers too

    @property
    def class_kind(self) -> OptionsKind:
        return next(k for k in self.options if k.adds_compat)


def _kind(names: list[str], where: str) -> OptionsKind:
    """One options kind from its name templates: its role and parameter read from the
    name, as QEMU names them (ccw_machine_10_2_instance_options takes the MachineState
    and adds no compat; every other kind takes the MachineClass and adds the arrays)."""
    for name in names:
        if "{major}_{minor}" not in name:
            raise ValueError(f"{where}: {name!r} names no version ({{major}}_{{minor}})")
    role = next((r for r in ("instance_options", "class_options")
                 if names[0].endswith("_" + r)), "options")
    instance = role == "instance_options"
    return OptionsKind(role, tuple(n.replace("{major}_{minor}", V) for n in names),
                       "MachineState" if instance else "MachineClass", not instance)


def upstream_spec(table: dict[str, Any], where: str) -> FamilySpec:
    """An upstream family from its [[family]] table (families/upstream.toml)."""
    machine = table["machine"]
    if not machine.endswith("-{version}"):
        raise ValueError(f"{where}: `machine` ends in -{{version}}, not {machine!r}")
    kinds = tuple(_kind([o] if isinstance(o, str) else list(o), where)
                  for o in table["options"])
    return FamilySpec(table["name"], table["macro"], table["file"].split("/")[1],
                      machine[:-len("-{version}")], kinds,
                      tuple(table.get("base_options", ())), tuple(table.get("arrays", ("hw",))),
                      table.get("header"), tuple(table.get("lists", ())),
                      tuple(table.get("doc_arches", ())), table.get("subsystem", ""),
                      table["file"], tuple(table.get("others", ())))


def _upstream_families() -> tuple[FamilySpec, ...]:
    import tomllib

    path = Path(__file__).resolve().parent.parent / "families" / "upstream.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(upstream_spec(t, f"{path}: family {i + 1}")
                 for i, t in enumerate(data["family"]))


# Read once, at import: the families every command knows (families/upstream.toml).
FAMILIES: tuple[FamilySpec, ...] = _upstream_families()


# Machine types upstream registers in a family's file beside the versioned family, with no
# compat chain of their own: said as such (info), not as registrations nobody reads.
OTHER_TYPES: dict[str, tuple[str, ...]] = {s.file: s.others for s in FAMILIES if s.others}


def spec_for(macro: str, rel_path: str) -> FamilySpec | None:
    """The family a registration macro belongs to, given the file that calls it."""
    parts = rel_path.split("/")
    arch = parts[1] if len(parts) > 2 and parts[0] == "hw" else None
    for spec in FAMILIES:  # _AS_LATEST, _BUGFIX, _TAGGED... belong to the family too
        if (macro == spec.macro or macro.startswith(spec.macro + "_")) and spec.arch == arch:
            return spec
    return None
