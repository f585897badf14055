"""QEMU release numbers: X.0, X.1, X.2, then (X+1).0 since 4.0; before that 1.0 ... 1.7,
2.0 ... 2.12, 3.0 and 3.1 (trees still carry those machine types and arrays)."""
from __future__ import annotations

import re
from typing import NamedTuple

from scaffold.errors import UsageError

LAST_MINOR = 2  # three releases a year since 4.0
_LAST_MINOR_BEFORE_4 = {1: 7, 2: 12, 3: 1}


def last_minor(major: int) -> int:
    """The last minor release of a major series: 2.12 came before 3.0, 3.1 before 4.0."""
    return _LAST_MINOR_BEFORE_4.get(major, LAST_MINOR)
_FORMAT = re.compile(r"(0|[1-9][0-9]*)\.([0-9]+)")


class Version(NamedTuple):
    """Ordered as (major, minor).  Value types are NamedTuples: a dataclass costs ~0.5 ms
    to create at import, a NamedTuple a tenth of that (issue 12)."""

    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> "Version":
        m = _FORMAT.fullmatch(text.strip()) if text else None
        if not m:
            raise UsageError(f"invalid version {text!r}: expected MAJOR.MINOR, for example 11.0")
        version = cls(int(m.group(1)), int(m.group(2)))
        if version.minor > last_minor(version.major):
            series = "X.0, X.1, X.2" if version.major >= 4 else \
                f"{version.major}.0 ... {version.major}.{last_minor(version.major)}"
            raise UsageError(f"invalid version {text!r}: QEMU releases go {series}")
        return version

    def next(self) -> "Version":
        if self.minor < last_minor(self.major):
            return Version(self.major, self.minor + 1)
        return Version(self.major + 1, 0)

    def prev(self) -> "Version":
        if self.minor > 0:
            return Version(self.major, self.minor - 1)
        return Version(self.major - 1, last_minor(self.major - 1))

    @property
    def underscored(self) -> str:
        """The form used in C identifiers: 10_2."""
        return f"{self.major}_{self.minor}"

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


def parse_tree_version(text: str) -> tuple[int, int, int] | None:
    """The tree's VERSION file: 10.2.0 (release), 10.2.50 (development), 10.2.91 (rc)."""
    parts = text.strip().split(".")
    if len(parts) != 3 or not all(p.isdecimal() for p in parts):
        return None
    return int(parts[0]), int(parts[1]), int(parts[2])


DEVELOPMENT = 50   # X.Y.50 and later (rcs are X.Y.9x): the cycle toward the next release


def in_development(tree_version: tuple[int, int, int]) -> bool:
    """10.2.50 (and 10.2.9x, the rcs) work toward 11.0; 10.2.0 and 10.2.3 are releases
    (a stable branch)."""
    return tree_version[2] >= DEVELOPMENT


def current_release(tree_version: tuple[int, int, int]) -> Version:
    """The release a tree's rules apply to: 10.2.0 is 10.2; 10.2.50 (and rcs) work toward 11.0."""
    major, minor, _ = tree_version
    release = Version(major, minor)
    return release.next() if in_development(tree_version) else release
