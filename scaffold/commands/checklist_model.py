"""What the one checklist is made of (checklist.py): its items, and the context its
steps read: the target release and the families of the target's kind, from the one
model of the tree's machine types."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scaffold.reading.families import DownstreamVersion
from scaffold.reading.machine_types import MachineFamily
from scaffold.reading.machines import Family
from scaffold.reading.tree import QemuTree
from scaffold.rules.registry import Finding
from scaffold.version import Version


@dataclass(eq=False, repr=False)
class Item:
    """One line of the checklist; `id` names it for scripts, stable across releases and
    trees (docs/json.md)."""

    done: bool
    text: str
    details: list[str] = field(default_factory=list)
    id: str = ""

    def markdown(self) -> str:
        out = f"- [{'x' if self.done else ' '}] {self.text}"
        return "\n".join([out] + [f"  - {d}" for d in self.details])


def named(key: str, item: Item) -> Item:
    """The item with its stable id (docs/json.md)."""
    item.id = key
    return item


@dataclass(eq=False, repr=False)
class Context:
    """What every step reads: the tree, the release the checklist is for (upstream's
    11.0, a vendor's rhel9.4.0 or ubuntu-kinetic) and the families of its kind."""

    tree: QemuTree
    target: Version | DownstreamVersion
    families: list[MachineFamily[Any]]
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def upstream(self) -> bool:
        """A release of upstream's numbered families (else a vendor's)."""
        return isinstance(self.target, Version)

    @property
    def numbered(self) -> list[Family]:
        """The families whose versions are numbers (upstream's), with their blocks."""
        return [f for f in self.families if isinstance(f, Family)]

    @property
    def version(self) -> Version:
        """An upstream target (11.0)."""
        assert isinstance(self.target, Version)
        return self.target

    @property
    def release(self) -> Version:
        """The upstream release before the target (its compat arrays are the cycle's)."""
        return self.version.prev()

    @property
    def vendor_target(self) -> DownstreamVersion:
        assert isinstance(self.target, DownstreamVersion)
        return self.target

    def findings(self) -> list[Finding]:
        """`check`'s findings on the tree, made once."""
        if "findings" not in self.memo:
            from scaffold.rules.chain import check_tree
            from scaffold.reading.reader import machine_families

            self.memo["findings"] = check_tree(self.tree, machine_families(self.tree))
        found: list[Finding] = self.memo["findings"]
        return found
