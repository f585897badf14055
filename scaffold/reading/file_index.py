"""One index of a tree's C files, kept by the tree reader (tree.py) and the QOM model
(qom/model.py) alike, as git keeps its index: each file's stamp (mtime, size, inode,
ctime) with what was learnt from its bytes under that stamp:

- its roles (tree.py: defines compat arrays, declares them, registers machine types; or
  none of these, so that a file that does not matter is not even read again);
- its content's digest, under which the QOM model keeps a file's facts across trees
  (model.py: a CI job's fresh clone of a tree seen before has new stamps, the same
  digests).

One format and one walk for both readers (a symbolic link to a folder refused, FIFOs and
dangling links said and skipped), one rule for a stamp too recent to trust: a file
changed in the last two seconds may change again within the same timestamp tick and keep
its stamp ("racy git"), so it is never remembered.  Each reader's walk keeps its own
part of the tree's index in its own file (`scope`): a bump stats the ~3,000 files of
hw/ and include/ and loads their 0.2 MB, never the 0.9 MB of the QOM model's ~9,000
(3 ms a run).  `QSCAFFOLD_NO_INDEX=1` turns the index off.
"""
from __future__ import annotations

import marshal
import os
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scaffold.cache import cache_dir
from scaffold.errors import ScaffoldError

RACY_NS = 2_000_000_000
SCHEMA = 4   # the entries' shape: another schema is never read

# An entry: (mtime_ns, size, inode, ctime_ns, roles, digest).  roles: UNREAD (the file was
# never classified), None (it has no role) or tree.py's (defines, declares, macros);
# digest: the content's blake2b (model.py), or None.
UNREAD = 0
Entry = tuple[int, int, int, int, Any, bytes | None]


def stamp(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


class FileIndex:
    """The index of the tree at `root` for one reader's walk (`scope`): what each file was
    when last read (`known`), and what this run saw (`seen`, which `save` writes)."""

    def __init__(self, root: Path, scope: str) -> None:
        self.root = root
        self.scope = scope
        self.racy = time.time_ns() - RACY_NS
        self.off = bool(os.environ.get("QSCAFFOLD_NO_INDEX"))
        self.known: dict[str, Entry] = {} if self.off else _load(_path(root, scope))
        self.seen: dict[str, Entry] = {}

    def entry(self, rel: str, st: os.stat_result) -> Entry | None:
        """The file's entry if its stamp is the one remembered, else None."""
        hit = self.known.get(rel)
        return hit if _fits(hit, st) else None

    def walk(self, tops: list[str], suffixes: tuple[str, ...], refusal: str,
             skip: frozenset[str] = frozenset()
             ) -> Iterator[tuple[str, str, os.stat_result, Entry | None]]:
        """`walk`'s files with the entry remembered for each one's stamp (or None); a
        remembered one is seen by this run already."""
        return walk(self.root, tops, suffixes, refusal, skip, self.known, self.seen)

    def note(self, rel: str, st: os.stat_result, roles: Any = UNREAD,
             digest: bytes | None = None) -> None:
        """What this run learnt of a file (nothing for a racy stamp); what it did not
        learn again is kept from the entry of the same stamp."""
        if st.st_mtime_ns >= self.racy:
            return
        old = self.seen.get(rel) or self.entry(rel, st)
        if old is not None:
            roles = old[4] if roles is UNREAD else roles
            digest = old[5] if digest is None else digest
        self.seen[rel] = (*stamp(st), roles, digest)

    def save(self) -> None:
        """Write the index as this run's walk saw the files (one that is gone is
        forgotten): each scope's walk covers all of its files."""
        if self.off or self.seen == self.known:
            return
        new = self.seen
        path = _path(self.root, self.scope)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(marshal.dumps(new))
            os.replace(tmp, path)
            _prune(path.parent)
        except OSError:   # a cache only: a read-only one costs time, never a failure
            pass


def walk(root: Path, tops: list[str], suffixes: tuple[str, ...], refusal: str,
         skip: frozenset[str] = frozenset(), known: dict[str, Entry] | None = None,
         seen: dict[str, Entry] | None = None
         ) -> Iterator[tuple[str, str, os.stat_result, Entry | None]]:
    """(path, path in the tree, stat, the `known` entry for that stamp or None) of every
    regular file below the `tops` folders of `root` (in that order, each depth first)
    whose name ends in one of `suffixes`, folders named in `skip` left out; an entry
    found is put in `seen`.  A symbolic link to a folder is refused with `refusal` (what
    it would leave out); a FIFO or a dangling link (an editor's .#virt.c) is said and
    skipped, never read.  One flat loop: a stat and a lookup a file is most of the cost."""
    from scaffold import notices

    base = len(str(root).rstrip(os.sep)) + 1
    skipped: list[str] = []
    remembered = known or {}
    for top in tops:
        stack = [os.path.join(root, top)]
        while stack:
            try:
                entries = os.scandir(stack.pop())
            except OSError:
                continue
            with entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name not in skip:
                            stack.append(entry.path)
                        continue
                    if entry.is_symlink() and entry.name not in skip and entry.is_dir():
                        raise ScaffoldError(f"a symbolic link to a directory: {refusal}; put "
                                            "the directory itself there",
                                            path=entry.path[base:])
                    if not entry.name.endswith(suffixes):
                        continue
                    if not entry.is_file():
                        skipped.append(entry.path[base:])
                        continue
                    path = entry.path
                    rel = path[base:]
                    st = entry.stat()
                    hit = remembered.get(rel)
                    if hit is not None and type(hit) is tuple and len(hit) == 6 and \
                            hit[0] == st.st_mtime_ns and hit[1] == st.st_size and \
                            hit[2] == st.st_ino and hit[3] == st.st_ctime_ns and \
                            (hit[5] is None or type(hit[5]) is bytes):   # as _fits
                        if seen is not None:
                            seen[rel] = hit
                        yield path, rel, st, hit
                    else:
                        yield path, rel, st, None
    notices.skipped(skipped)


def _path(root: Path, scope: str) -> Path:
    digest = zlib.crc32(str(root.resolve()).encode())   # hashlib costs 3 ms to import
    return cache_dir("index", f"{root.name}-{digest:08x}.{scope}.v{SCHEMA}.idx")


def _load(path: Path) -> dict[str, Entry]:
    try:   # marshal: twice as fast to load as JSON, and no import (a cache, not an interface)
        index = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    # an entry of the wrong shape (a damaged cache) is never trusted: checked where it
    # is used (`_fits`), since checking 3,000 entries up front costs a bump 2 ms
    return index if isinstance(index, dict) else {}


def _fits(hit: object, st: os.stat_result) -> bool:
    """An entry of the right shape, for this stamp."""
    return type(hit) is tuple and len(hit) == 6 and hit[0] == st.st_mtime_ns and \
        hit[1] == st.st_size and hit[2] == st.st_ino and hit[3] == st.st_ctime_ns and \
        (hit[5] is None or type(hit[5]) is bytes)


def _prune(folder: Path, keep: int = 64) -> None:
    """Scratch trees (tests, worktrees) each leave an index: keep the newest ones."""
    indexes = [p for p in folder.iterdir() if not p.name.endswith(".tmp")]
    if len(indexes) > keep:
        indexes.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in indexes[keep:]:
            stale.unlink(missing_ok=True)
