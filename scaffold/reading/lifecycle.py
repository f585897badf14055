"""QEMU's versioned machine type lifecycle (since 9.1): deprecated after 3 years,
deleted after 6, as `boards.h` computes it (MACHINE_VER_IS_DEPRECATED and friends)."""
from __future__ import annotations

import re
from typing import NamedTuple

from scaffold.reading.tree import QemuTree
from scaffold.version import Version

_MACRO = re.compile(rb"#\s*define\s+MACHINE_VER_(DEPRECATION|DELETION)_MAJOR\s+(\d+)")


class Policy(NamedTuple):
    deprecation: int   # years (major releases)
    deletion: int
    source: str        # the header the numbers were read from

    def _expired(self, cutoff: int, version: Version, current: Version) -> bool:
        return current.major - version.major > cutoff or \
            (current.major - version.major == cutoff and current.minor >= version.minor)

    def deleted_since(self, version: Version) -> Version:
        """The first release that no longer registers `version`."""
        release = Version(version.major + self.deletion, 0)
        while not self._expired(self.deletion, version, release):
            release = release.next()
        return release

    def status(self, version: Version, current: Version) -> str:
        if self._expired(self.deletion, version, current):
            return "past-deletion"
        if self._expired(self.deprecation, version, current):
            return "deprecated"
        return "supported"


def read_policy(tree: QemuTree) -> Policy | None:
    """The numbers from the tree's own boards.h (None before the policy existed)."""
    for rel in tree.array_externs:
        found = dict((k.decode("utf-8", "replace"), int(v)) for k, v in _MACRO.findall(tree.file(rel).data))
        if "DEPRECATION" in found and "DELETION" in found:
            return Policy(found["DEPRECATION"], found["DELETION"], rel)
    return None
