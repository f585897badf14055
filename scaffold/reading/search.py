"""Which files of a tree name something: retire's follow-ups ask it of thousands of files
of hw/, include/, target/, tests/ and docs/ that the tree index does not cover."""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from collections.abc import Iterator

from scaffold.reading.csyntax import utf8

# Never QEMU's sources: vendored code, firmware, generated or build output.
SKIP_DIRS = {".git", "roms", "subprojects", "build", "pc-bios", "linux-headers", "python"}
MAX_SIZE = 2_000_000   # larger files are data (images, logs), not code that names a type


class FileSearch:
    """The files below `tops` (with one of `suffixes`, if given) that contain one of
    `needles`, read once on first use and then asked for subsets of the needles."""

    def __init__(self, root: Path, tops: tuple[str, ...], suffixes: tuple[str, ...] | None,
                 needles: list[bytes]):
        self.root, self.suffixes, self.needles = root, suffixes, needles
        self.tops = tuple(t for t in tops if (root / t).is_dir())
        self._hits: dict[str, bytes] | None = None

    def _files(self) -> dict[str, bytes]:
        if self._hits is None:
            self._hits = {}
            if self.needles:
                for rel in self._paths():
                    try:
                        data = (self.root / rel).read_bytes()
                    except OSError:   # unreadable or vanished: it names nothing
                        continue
                    if len(data) <= MAX_SIZE and any(n in data for n in self.needles):
                        self._hits[rel] = data
        return self._hits

    def _paths(self) -> list[str]:
        """The regular files below the tops: in a git work tree, those git tracks (an
        untracked copy is no part of the tree, as for the tree's own scan); never a FIFO
        or a device, whose read would wait forever."""
        from scaffold.reading.history import tracked

        listed = tracked(self.root, self.tops)
        if listed is not None:
            skip = tuple(f"{d}/" for d in SKIP_DIRS)
            names = [p for p in listed if not any(f"/{d}" in f"/{p}" for d in skip)
                     and (self.suffixes is None or p.endswith(self.suffixes))]
        else:
            base = len(str(self.root).rstrip(os.sep)) + 1
            names = []
            for top in self.tops:
                for dirpath, dirnames, filenames in os.walk(self.root / top):
                    dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
                    names += [os.path.join(dirpath, n)[base:] for n in filenames
                              if self.suffixes is None or n.endswith(self.suffixes)]
        return sorted(p for p in names if _regular(self.root / p))

    def containing(self, needles: list[bytes]) -> Iterator[tuple[str, bytes]]:
        """(relative path, bytes) of the files that contain one of `needles` (a subset of
        the needles the search was made for)."""
        for rel, data in self._files().items():
            if any(n in data for n in needles):
                yield rel, data

    def naming(self) -> dict[str, list[str]]:
        """needle -> the files that name it as a word."""
        out: dict[str, list[str]] = {}
        for rel, data in self._files().items():
            for needle in self.needles:
                if re.search(rb"\b" + re.escape(needle) + rb"\b", data):
                    out.setdefault(utf8(needle), []).append(rel)
        return out


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
