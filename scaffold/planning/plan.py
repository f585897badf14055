"""A plan is data: the edits a command would make, computed in memory.

It can describe itself (for a dry run or a JSON report), produce the new file
contents, and check them before anything touches the disk.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from scaffold.jsondoc import SCHEMA
from scaffold.reading import csyntax
from scaffold.rules import chain
from scaffold.errors import ScaffoldError
from scaffold.reading.tree import QemuTree
from scaffold.version import Version

if TYPE_CHECKING:
    from tree_sitter import Tree

    from scaffold.reading.families import DownstreamVersion
    from scaffold.reading.machines import Family
from scaffold.rules.registry import Finding, errors


# path -> (old bytes, new bytes) of every file a plan changes
Contents = dict[str, tuple[bytes, bytes]]


class Edit(NamedTuple):
    path: str
    start: int
    end: int
    text: bytes
    what: str
    family: str | None = None

    def describe(self) -> str:
        return f"{self.path}: {self.what}"


@dataclass(eq=False, repr=False)
class Plan:
    """The edits a command would make, and what it found along the way."""

    command: str
    target: Version | DownstreamVersion | None
    edits: list[Edit] = field(default_factory=list)
    families: list[str] = field(default_factory=list)   # families this plan changes
    done: list[str] = field(default_factory=list)       # parts already in the tree
    skipped: list[str] = field(default_factory=list)    # left alone on purpose, and why
    left: list[str] = field(default_factory=list)       # for a person, with file:line
    notes: list[Finding] = field(default_factory=list)   # what it saw on the way
    result: QemuTree | None = field(default=None, repr=False)   # the tree after the edits
    _before: tuple[QemuTree, list[Family] | None] | None = field(default=None, repr=False)   # to verify

    @property
    def paths(self) -> list[str]:
        return sorted({e.path for e in self.edits})

    def contents(self, tree: QemuTree) -> Contents:
        """path -> (old bytes, new bytes) for every file the plan changes."""
        out = {}
        for path in self.paths:
            old = tree.file(path).data
            out[path] = (old, splice(old, [e for e in self.edits if e.path == path]))
        return out

    def match_line_endings(self, tree: QemuTree) -> None:
        """Templates write LF; in a file that uses CRLF, new text uses CRLF too."""
        crlf = {p for p in self.paths if _uses_crlf(tree.file(p).data)}
        self.edits = [e._replace(text=re.sub(rb"(?<!\r)\n", b"\r\n", e.text)) if e.path in crlf else e
                      for e in self.edits]

    def checked(self, tree: QemuTree, families: list[Family] | None, later: bool = False
                ) -> "Plan":
        """The plan made ready to show or write: new text takes the file's line endings,
        and the result must have no new C parse error and no `check` finding worse than
        before; sets `result` (the tree after the edits).  With `later`, the `check` part
        waits for `verify()` (a dry run runs it while git makes the diff)."""
        if self.edits:
            self.match_line_endings(tree)
            contents = self.contents(tree)
            self.result = tree.with_contents(contents, reparsed_without_new_errors(tree, self, contents))
            self._before = (tree, families)
            if not later:
                self.verify()
        return self

    def verify(self) -> None:
        """The result must pass `qscaffold check` wherever the tree did (once)."""
        if self._before is not None and self.result is not None:
            tree, families = self._before
            self._before = None
            verify(tree, families, self.result)

    def as_json(self) -> dict[str, Any]:
        """docs/json.md's plan: what a dry run with --format json prints."""
        return {
            "schema": SCHEMA,
            "command": self.command,
            "version": str(self.target) if self.target else None,
            "families": self.families,
            "files": self.paths,
            "done": self.done,
            "skipped": self.skipped,
            "left": self.left,
            "notes": [n.as_json() for n in self.notes],
            "edits": [{"path": e.path, "start": e.start, "end": e.end, "what": e.what,
                       "family": e.family, "text": e.text.decode("utf-8", "surrogateescape")}
                      for e in self.edits],
        }


def _uses_crlf(data: bytes) -> bool:
    return b"\r" in data and data.count(b"\r\n") * 2 > data.count(b"\n")   # memchr first


def splice(data: bytes, edits: list[Edit]) -> bytes:
    """Apply non-overlapping edits; insertions at one offset keep the plan's order."""
    ordered = sorted(enumerate(edits), key=lambda ie: (ie[1].start, ie[1].end, ie[0]))
    out, pos = [], 0
    for _, edit in ordered:
        if edit.start < pos:
            raise ScaffoldError(f"internal error: overlapping edits ({edit.what})", path=edit.path)
        out.append(data[pos:edit.start])
        out.append(edit.text)
        pos = edit.end
    out.append(data[pos:])
    return b"".join(out)


def reparsed_without_new_errors(tree: QemuTree, plan: Plan, contents: Contents
                                ) -> dict[str, tuple[Tree, tuple[int, int] | None]]:
    """Refuse a result with more parse errors than the file had (macro calls aside).

    The new text is parsed incrementally (SourceFile.reparse).  Returns (new syntax
    tree, parsed region) by path."""
    parsed: dict[str, tuple[Tree, tuple[int, int] | None]] = {}
    for path, (_, new) in contents.items():
        edits = [(e.start, e.end, e.text) for e in plan.edits if e.path == path]
        old_tree, new_tree, region = tree.file(path).reparse(new, edits)
        before = csyntax.syntax_errors(old_tree)
        parsed[path] = (new_tree, region)
        after = csyntax.syntax_errors(parsed[path][0])
        if len(after) > len(before):
            known = set(before)
            line = next((l for l, kind in after if (l, kind) not in known), after[0][0])
            raise ScaffoldError("internal error: the edit would add a C parse error; nothing written",
                                path=path, line=line)
    return parsed


def verify(before: QemuTree, families: list[Family] | None, after: QemuTree) -> None:
    """The changed tree must pass `qscaffold check` wherever the original did."""
    from scaffold.reading.reader import machine_families

    new = errors(chain.check_tree(after, machine_families(after), warnings=False))
    if not new:
        return
    old = {f.key for f in chain.check_tree(before, families, warnings=False)}
    regressions = [f for f in new if f.key not in old]
    if regressions:
        f = regressions[0]
        raise ScaffoldError(f"internal error: the result would fail `qscaffold check` "
                            f"({f.message}); nothing written", path=f.path, line=f.line,
                            family=f.family)
