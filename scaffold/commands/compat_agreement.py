"""Does the source say what the binary does?  Every versioned machine type's compat
properties as `qscaffold compat show` computes them (reading/effective.py) against the
list a built QEMU states (QMP `query-machines` with `compat-props`, QEMU 9.0 and later):
same entries, same order, same values."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from scaffold.reading import effective
from scaffold.reading.tree import QemuTree
from scaffold.running.qemu import Qemu

Prop = tuple[str, str, str]   # (qom-type, property, value)


def binary_compat_props(binary: Path) -> dict[str, list[Prop]]:
    """machine type -> its compat properties, as the binary states them."""
    with Qemu(binary, ["-machine", "none", "-nodefaults", "-display", "none", "-S"],
              "binary") as vm:
        machines = vm.cmd("query-machines", **{"compat-props": True})
    return {m["name"]: [(c["qom-type"], c["property"], c["value"])
                        for c in m.get("compat-props", [])] for m in machines}


@dataclass(eq=False, repr=False)
class Agreement:
    target: str
    equal: list[str] = field(default_factory=list)
    differ: dict[str, tuple[list[Prop], list[Prop]]] = field(default_factory=dict)

    def summary(self) -> str:
        total = len(self.equal) + len(self.differ)
        return f"{self.target}: {len(self.equal)}/{total} types equal"


def agreement(tree: QemuTree, binary: Path, target: str) -> Agreement:
    """Every versioned machine type both the tree and the binary have (a type past its
    deletion is in the source, not in the binary: left out)."""
    stated = binary_compat_props(binary)
    arch = effective.arch_of(target)
    out = Agreement(target)
    for machine in effective.machine_types(tree):
        if machine.arch != arch or machine.name not in stated:
            continue
        found = effective.compute(tree, machine, target)
        mine = [(e.qom_type or e.driver, e.prop, e.value) for e in found.entries]
        if mine == stated[machine.name]:
            out.equal.append(machine.name)
        else:
            out.differ[machine.name] = (mine, stated[machine.name])
    return out
