"""`qscaffold prove --repo TREE`: the machine types proven come from the source tree's
versioned types (upstream's and a vendor's, reading/effective.py), and every property a
run finds changed is set against what the source's compat list for that type says
(issue 36): an entry there that the binary does not apply means the build is not this
source; no entry means a compat entry is missing."""
from __future__ import annotations

from pathlib import Path

from scaffold.reading import effective
from scaffold.reading.effective import Applied, CompatMachine
from scaffold.reading.qom.model import QomModel
from scaffold.reading.tree import QemuTree
from scaffold.running.prove import Binary, Difference, MachineResult


def source_of_build(build_dir: Path) -> Path | None:
    """The source tree a QEMU build directory was configured from, as meson records it
    (meson-info/meson-info.json), if it is still a QEMU tree; None otherwise."""
    import json

    try:
        info = json.loads((build_dir / "meson-info" / "meson-info.json").read_text())
        source = Path(info["directories"]["source"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return source if (source / "hw").is_dir() and (source / "include").is_dir() else None


class Source:
    def __init__(self, repo: Path, target: str):
        self.tree = QemuTree.open(repo)
        self.target = target
        arch = effective.arch_of(target)
        self.types: dict[str, CompatMachine] = {
            m.name: m for m in effective.machine_types(self.tree) if m.arch == arch}
        self._lists: dict[str, dict[tuple[str, str], Applied]] = {}
        self._model: QomModel | None = None

    def machines(self, old: Binary, new: Binary) -> tuple[list[str], list[str]]:
        """The source's types both binaries offer (newest first per family, as the source
        lists them), and those a binary lacks."""
        both = [name for name in self.types if name in old.names and name in new.names]
        return both, [name for name in self.types if name not in both]

    def says(self, d: Difference) -> str:
        """What the source's list of the machine type sets for the property on the
        device's type or a parent of it (QEMU applies a global to subtypes too)."""
        machine = self.types.get(d.machine)
        if machine is None:
            return ""
        if d.machine not in self._lists:
            found = effective.compute(self.tree, machine, self.target)
            self._lists[d.machine] = {e.key: e for e in found.entries if not e.overridden}
        from scaffold.reading.qom.model import load

        if self._model is None:
            self._model = load(self.tree.root)
        model = self._model
        for name in [d.type, *model.ancestors(d.type)]:
            entry = self._lists[d.machine].get((name, d.property))
            if entry is not None:
                return (f"the source's {d.machine} sets {name} {d.property}={entry.value} "
                        f"({entry.array}, {entry.path}:{entry.line}): the new binary is not "
                        "built from this source, or something else sets it")
        return (f"the source's {d.machine} has no compat entry for it: one is missing, or "
                "the change is meant (--baseline)")

    def annotate(self, results: list[MachineResult]) -> None:
        for r in results:
            r.differences = [d._replace(source=self.says(d)) for d in r.differences]
