"""A QEMU source tree: its files, found by what they contain.

One pass over hw/ and include/ notes which C files define or declare compat arrays and
which ones register versioned machine types; the tree's file index (file_index.py, shared
with the QOM model) remembers what each file is, which spares reading the files that did
not change and do not matter.
Nothing relies on a fixed path: boards.h moved to include/hw/core/ during 11.0.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffold import notices
from scaffold.reading import csyntax, history
from scaffold.reading.file_index import UNREAD, FileIndex
from scaffold.errors import ScaffoldError, UsageError
from scaffold.version import parse_tree_version

if TYPE_CHECKING:
    from tree_sitter import Tree

    from scaffold.reading.cmatch import Code

Roles = tuple[bool, bool, list[str]]   # defines arrays, declares them, registration macros
Found = tuple[str, bytes, Roles]       # a file that matters: path, bytes, roles

ARRAY_DEF = re.compile(rb"^GlobalProperty\s+(hw|pc)_compat_\d+_\d+\s*\[\]", re.M)
ARRAY_EXTERN = re.compile(rb"^extern\s+GlobalProperty\s+(hw|pc)_compat_\d+_\d+\s*\[\]", re.M)
# A registration with a version-like first argument: (10, 2), (7_2, ...), (v7_2, ...)
# (anchored on "\n" rather than re.M's "^": a literal start lets re skip ahead quickly).
# Used only on files the index does not know: compiled (by `re`) when first needed.
MACHINE_CALL = rb"\n(DEFINE_\w*MACHINE\w*)\(\s*v?\d+\s*[_,]"
LATEST_DEFINE = rb"\n#\s*define\s+(\w+)_AS_LATEST\b"
TOPS = ("hw", "include")   # where compat arrays and machine types live


@dataclass(eq=False, repr=False)
class SourceFile:
    """One C file: its bytes and, parsed on first use, its syntax tree."""

    rel: str
    data: bytes
    # Bytes to parse, when only part of the file matters (see `parse_only`); None: all.
    region: tuple[int, int] | None = None
    # What readers derived from these bytes (families, arrays...): bytes never change.
    memo: dict[Any, Any] = field(default_factory=dict)

    @cached_property
    def tree(self) -> Tree:
        return csyntax.parse(self.data, region=self.region)

    @cached_property
    def full_tree(self) -> Tree:
        return self.tree if self.region is None else csyntax.parse(self.data)

    @property
    def code(self) -> Code:
        """Its bytes with comments blanked (cmatch.Code), made once."""
        if "code" not in self.memo:
            from scaffold.reading.cmatch import Code

            self.memo["code"] = Code(self.data)
        code: Code = self.memo["code"]
        return code

    @property
    def parsed(self) -> bool:
        return "tree" in self.__dict__

    def parse_only(self, start: int, end: int | None = None) -> None:
        """Parse only from `start` (a blank line before what we look for) to `end`, if
        the file is not parsed yet.

        QEMU's family files hold their versioned machine types at the end and the compat
        arrays sit together, so this spares parsing most of a 160 KB file.  A region that
        does not start cleanly falls back to the whole file."""
        if self.parsed:
            return
        start = self.data.rfind(b"\n\n", 0, start) + 1
        self.region = (start, len(self.data) if end is None else end)
        root = self.tree.root_node
        first = root.children[0] if root.children else None
        if start == 0 or first is None or first.type == "ERROR" or first.is_missing:
            self.parse_whole()

    def parse_whole(self) -> None:
        self.region = None
        self.__dict__.pop("tree", None)

    def reparse(self, new: bytes, edits: list[tuple[int, int, bytes]]
                ) -> tuple[Tree, Tree, tuple[int, int] | None]:
        """The syntax tree of `new`, this file's bytes with `edits` (start, end, text)
        made: tree-sitter is told about the edits and re-parses only what they touch.
        Returns (old syntax tree, new syntax tree, new region)."""
        file, region = self, self.region
        if region and "full_tree" in self.__dict__:
            old_tree, region = self.full_tree, None     # already parsed whole: stay whole
        else:
            if region and not all(region[0] <= s and e <= region[1] for s, e, _ in edits):
                file, region = SourceFile(self.rel, self.data), None   # an edit outside it
            old_tree = file.tree
        edited = old_tree.copy()
        anchor = csyntax.region_anchor(old_tree)
        points = csyntax.points_of(self.data, [o for s, e, _ in edits for o in (s, e)], anchor)
        for start_byte, end_byte, text in sorted(edits, key=lambda e: e[0], reverse=True):
            start = points[start_byte]
            rows = text.count(b"\n")
            end = (start[0] + rows, len(text) - text.rfind(b"\n") - 1) if rows \
                else (start[0], start[1] + len(text))
            edited.edit(start_byte=start_byte, old_end_byte=end_byte,
                        new_end_byte=start_byte + len(text), start_point=start,
                        old_end_point=points[end_byte], new_end_point=end)
        if region:
            region = (region[0], region[1] + len(new) - len(self.data))
        return old_tree, csyntax.parse(new, edited, region, anchor), region

    def line(self, offset: int) -> int:
        return csyntax.line_of(self.data, offset)

    def refuse_if_cut(self, family: str | None = None) -> None:
        """A file cut short or with a function left open is an error for every command:
        what it still holds would be read as the whole (fewer versions, a family gone)
        and written back.  Decided once per file."""
        if "whole" not in self.memo:
            self.memo["whole"] = self._cut(family)
        if self.memo["whole"] is not None:
            raise self.memo["whole"]

    def _cut(self, family: str | None) -> ScaffoldError | None:
        at = csyntax.unbalanced_brace(self.data)
        if at is not None:
            opened = self.data[at:at + 1] == b"{"
            return ScaffoldError("this brace is never closed: the file is cut short or a "
                                 "function is left open; fix the file first" if opened else
                                 "this brace closes nothing: fix the file first",
                                 path=self.rel, line=self.line(at), family=family)
        if self.data and not self.data.endswith(b"\n"):   # checkpatch refuses that: a cut
            return ScaffoldError("the file does not end with a line break: it is cut short; "
                                 "fix the file first", path=self.rel,
                                 line=self.data.count(b"\n") + 1, family=family)
        # what follows the last top-level closing brace, parsed alone (no whole parse),
        # unless the last line ends as only a whole item can
        end = len(self.data.rstrip())
        last_line = self.data[self.data.rfind(b"\n", 0, end) + 1:end]
        if last_line.endswith((b";", b"}", b"*/")) or last_line.lstrip().startswith(b"#"):
            return None
        closing = self.data.rfind(b"\n}", 0, end)   # the last line a top-level `}` starts
        tail = self.data.find(b"\n", closing + 2) + 1 if closing >= 0 else 0
        if not self.data[tail:end].strip():
            return None   # it ends with an item whose braces close
        root = csyntax.parse(self.data[tail:]).root_node
        last = root.children[-1] if root.children else None
        if last is not None and (last.type == "ERROR" or (
                last.type in ("declaration", "function_definition") and last.has_error)):
            return ScaffoldError("the file ends inside this item: it is cut short; fix the "
                                 "file first", path=self.rel,
                                 line=self.line(tail) + last.start_point[0], family=family)
        return None


@dataclass(eq=False, repr=False)
class QemuTree:
    """The files of a QEMU tree that matter to us, by role."""

    root: Path
    files: dict[str, SourceFile] = field(default_factory=dict)
    array_defs: list[str] = field(default_factory=list)      # files defining hw/pc compat arrays
    array_externs: list[str] = field(default_factory=list)   # files declaring them
    machine_files: dict[str, set[str]] = field(default_factory=dict)  # file -> macros it calls
    # files that look like ours but have no role: one cut short may have lost it
    suspect: list[str] = field(default_factory=list)
    memo: dict[Any, Any] = field(default_factory=dict)   # what readers derived (a tree never changes)

    @staticmethod
    def locate(path: str | os.PathLike[str] | None) -> Path:
        """The QEMU tree `--repo` names, or the one containing the current directory."""
        start = Path(path) if path is not None else Path.cwd()
        if not start.exists():
            raise UsageError(f"--repo {start}: no such directory")
        if path is None:  # the QEMU tree containing the current directory
            for candidate in (start, *start.resolve().parents):
                if _looks_like_qemu(candidate):
                    start = candidate
                    break
        if not start.is_dir() or not _looks_like_qemu(start):
            raise UsageError(f"{start}: not a QEMU source tree (no hw/ and include/ folders)")
        return start

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None) -> "QemuTree":
        start = cls.locate(path)
        tree = cls(start)
        tree._scan()
        # a file cut short is an error for every command (a family's file: when its family
        # is read, which names it)
        for rel in (*tree.suspect, *tree.array_defs, *tree.array_externs):
            if rel not in tree.machine_files:
                tree.file(rel).refuse_if_cut()
        if not tree.array_defs or not tree.machine_files:
            raise UsageError(f"{start}: not a QEMU source tree (no compat arrays or versioned "
                             "machine types found)")
        return tree

    def _scan(self) -> None:
        index = FileIndex(self.root, "roles")
        found: list[Found] = []
        for path, rel, st, hit in index.walk(list(TOPS), (".c", ".h"),
                                             "qscaffold reads and writes no file through a "
                                             "link (a family there would be left out)"):
            known: Any = hit[4] if hit is not None else UNREAD
            if known is None:   # no role: not even read
                continue
            data = _read(path)
            if _is_roles(known):
                what: Roles | None = (bool(known[0]), bool(known[1]), list(known[2]))
            else:
                what = roles(data)
                index.note(rel, st, roles=what)
            if what is not None:
                found.append((path, data, what))
        index.save()
        base = len(str(self.root).rstrip(os.sep)) + 1
        found.sort()
        rels = [full[base:].replace(os.sep, "/") for full, _, _ in found]
        state = history.work_tree(self.root, ("hw", "include"))
        stray = {r for r in rels if r in state.untracked} if state else set()
        if stray:   # `cp virt.c virt-backup.c`: never read as a family, never committed
            notices.warn(f"not tracked by git, so not read: {', '.join(sorted(stray))} "
                         "(git add it, or remove it)")
        if state is not None:
            roles_now = {full[base:].replace(os.sep, "/"): macros for full, _, (_, _, macros)
                         in found}
            self._refuse_lost_registrations(state, roles_now)
        for full, data, (defines, declares, macros) in found:
            rel = full[base:].replace(os.sep, "/")
            if rel in stray:
                continue
            self.files[rel] = SourceFile(rel, data)
            if defines:
                self.array_defs.append(rel)
            if declares:
                self.array_externs.append(rel)
            if macros:
                self.machine_files[rel] = set(macros)
            if not (defines or declares or macros):
                self.suspect.append(rel)

    def _refuse_lost_registrations(self, state: "history.WorkTree",
                                   now: dict[str, list[str]]) -> None:
        """A file changed since HEAD that registered machine types there and registers
        fewer kinds now (a file cut short before its registrations, wherever the cut
        falls, or a family deleted by hand) is an error for every command: a family must
        never vanish silently.  Only changed C files of hw/ are compared (git status)."""
        for rel in sorted(state.changed):
            if not (rel.startswith("hw/") and rel.endswith(".c")) or rel in state.untracked:
                continue
            before = history.at_head(self.root, rel)
            head = roles(before) if before else None
            if not head or not head[2]:
                continue
            from scaffold.reading.families import spec_for

            lost = sorted(m for m in set(head[2]) - set(now.get(rel, []))
                          if spec_for(m, rel) is not None)   # a family qscaffold reads
            if lost:
                if (self.root / rel).is_file():
                    self.file(rel).refuse_if_cut()   # the exact place, when it is a cut
                raise ScaffoldError(f"registered machine types with {', '.join(lost)} at HEAD "
                                    "and does not now: is it cut short? Fix the file first "
                                    "(or commit the removal if you meant it)", path=rel)

    @cached_property
    def version(self) -> tuple[int, int, int] | None:
        path = self.root / "VERSION"
        if not path.is_file():   # missing, a directory, a FIFO (whose read would wait)
            return None
        try:
            return parse_tree_version(path.read_text())
        except (OSError, UnicodeDecodeError):
            return None

    def with_contents(self, contents: dict[str, tuple[bytes, bytes]],
                      parsed: dict[str, tuple[Tree, tuple[int, int] | None]] | None = None
                      ) -> "QemuTree":
        """The same tree as it would be with these new file contents (nothing is written);
        `parsed` hands over syntax trees already made for them."""
        files = dict(self.files)
        for rel, (_, new) in contents.items():
            files[rel] = SourceFile(rel, new)
            if parsed and rel in parsed:   # syntax trees already made for them
                files[rel].__dict__["tree"], files[rel].region = parsed[rel]
        clone = QemuTree(self.root, files, list(self.array_defs), list(self.array_externs),
                         dict(self.machine_files))
        clone.__dict__["version"] = self.version
        if "families-file" in self.memo:   # a setting (--families FILE), not derived data
            clone.memo["families-file"] = self.memo["families-file"]
        return clone

    def file(self, rel: str) -> SourceFile:
        if rel not in self.files:
            self.files[rel] = SourceFile(rel, (self.root / rel).read_bytes())
        return self.files[rel]


def roles(data: bytes) -> Roles | None:
    """What a file is to us: (defines compat arrays, declares them, registration macros it
    calls), or None if it is none of these.

    Versioned machine types exist to carry compat properties: array definitions and their
    externs say "compat_", a family's file "DEFINE_" and "MACHINE" (a file cut short may
    have lost every "compat_"; it must still be seen), so that two searches rule out
    almost every file before any regular expression runs."""
    compat = b"compat_" in data
    if not compat and not (b"DEFINE_" in data and b"MACHINE" in data):
        return None
    if data and not data.endswith(b"\n"):
        return (False, False, [])   # cut short, perhaps of its role: QemuTree.open says so
    defines = declares = False
    if compat and b"GlobalProperty" in data:
        defines = ARRAY_DEF.search(data) is not None
        declares = ARRAY_EXTERN.search(data) is not None
    macros: set[str] = set()
    if b"DEFINE_" in data and b"MACHINE" in data:
        macros = {m.group(1).decode("utf-8", "replace") for m in re.finditer(MACHINE_CALL, data)}
        if b"_AS_LATEST" in data:
            macros |= {m.group(1).decode("utf-8", "replace") for m in re.finditer(LATEST_DEFINE, data)}
    return (defines, declares, sorted(macros)) if defines or declares or macros else None


def _read(path: str) -> bytes:
    with open(path, "rb", buffering=0) as fh:
        return fh.readall()


def _is_roles(value: Any) -> bool:
    """An index entry's roles of the right shape (a damaged cache is never trusted)."""
    return isinstance(value, tuple) and len(value) == 3 and isinstance(value[2], (list, tuple)) \
        and all(isinstance(m, str) for m in value[2])


def _looks_like_qemu(path: Path) -> bool:
    return (path / "hw").is_dir() and (path / "include").is_dir()
