"""The machine families that have versioned machine types, declared as data.

A family is found in the tree by its registration macro (and, where several
architectures share a macro name, by the hw/<arch>/ folder it lives in).  Every
per-family difference the bump needs is a field here, not a code path.
"""
from __future__ import annotations

import re
from typing import NamedTuple

# Version placeholder in function-name patterns.
V = r"(?P<major>\d+)_(?P<minor>\d+)"


class OptionsKind(NamedTuple):
    """One per-version function: name patterns (current first), parameter type, role."""

    role: str              # "options", "class_options", "instance_options": the key in a block
    patterns: tuple[str, ...]
    param_type: str
    adds_compat: bool  # class-level options add the release's compat arrays

    def match(self, name: str, bugfix: bool = False):
        """The match of `name` against the patterns; with `bugfix`, a bugfix release's
        machine type (pc-q35-4.0.1): major_minor_micro in the name."""
        for pattern in _compiled(self.patterns, bugfix):
            m = pattern.fullmatch(name)
            if m:
                return m
        return None

    def match_bugfix(self, name: str):
        return self.match(name, bugfix=True)


_COMPILED: dict[tuple, list[re.Pattern]] = {}


def _compiled(patterns: tuple[str, ...], bugfix: bool) -> list[re.Pattern]:
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

    @property
    def class_kind(self) -> OptionsKind:
        return next(k for k in self.options if k.adds_compat)


def _mc_options(*patterns: str) -> tuple[OptionsKind, ...]:
    return (OptionsKind("options", patterns, "MachineClass", True),)


def _virt(name: str, lists: tuple[str, ...], arches: tuple[str, ...]) -> FamilySpec:
    return FamilySpec(name, "DEFINE_VIRT_MACHINE", name, "virt",
                      _mc_options(rf"virt_machine_{V}_options"), lists=lists, doc_arches=arches,
                      subsystem=f"hw/{name}/virt")


FAMILIES: tuple[FamilySpec, ...] = (
    _virt("arm", ("qemu-arm",), ("aarch64", "arm")),
    FamilySpec("i440fx", "DEFINE_I440FX_MACHINE", "i386", "pc-i440fx",
               _mc_options(rf"pc_i440fx_machine_{V}_options", rf"pc_i440fx_{V}_machine_options"),
               base_options=("pc_i440fx_machine_options",), arrays=("hw", "pc"),
               doc_arches=("i386", "x86_64"), subsystem="hw/i386/pc"),
    _virt("loongarch", (), ("loongarch64",)),
    _virt("m68k", (), ("m68k",)),
    FamilySpec("q35", "DEFINE_Q35_MACHINE", "i386", "pc-q35",
               _mc_options(rf"pc_q35_machine_{V}_options", rf"pc_q35_{V}_machine_options"),
               base_options=("pc_q35_machine_options",), arrays=("hw", "pc"),
               doc_arches=("i386", "x86_64"), subsystem="hw/i386/pc"),
    FamilySpec("s390x", "DEFINE_CCW_MACHINE", "s390x", "s390-ccw-virtio",
               (OptionsKind("instance_options", (rf"ccw_machine_{V}_instance_options",),
                            "MachineState", False),
                OptionsKind("class_options", (rf"ccw_machine_{V}_class_options",),
                            "MachineClass", True)),
               lists=("qemu-s390x",), doc_arches=("s390x",), subsystem="hw/s390x/ccw"),
    FamilySpec("spapr", "DEFINE_SPAPR_MACHINE", "ppc", "pseries",
               (OptionsKind("class_options", (rf"spapr_machine_{V}_class_options",),
                            "MachineClass", True),),
               header="pseries", lists=("qemu-ppc",), doc_arches=("ppc64",),
               subsystem="hw/ppc/spapr"),
)


# Machine types upstream registers in a family's file beside the versioned family, with no
# compat chain of their own: said as such (info), not as registrations nobody reads.
OTHER_TYPES: dict[str, tuple[str, ...]] = {
    "hw/i386/pc_piix.c": ("isapc", "xenfv-4.2", "xenfv-3.1"),
}


def spec_for(macro: str, rel_path: str) -> FamilySpec | None:
    """The family a registration macro belongs to, given the file that calls it."""
    parts = rel_path.split("/")
    arch = parts[1] if len(parts) > 2 and parts[0] == "hw" else None
    for spec in FAMILIES:  # _AS_LATEST, _BUGFIX, _TAGGED... belong to the family too
        if (macro == spec.macro or macro.startswith(spec.macro + "_")) and spec.arch == arch:
            return spec
    return None
