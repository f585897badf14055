"""A plan is data: the edits a command would make, computed in memory.

It can describe itself (for a dry run or a JSON report), produce the new file
contents, and check them before anything touches the disk.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from scaffold.reading import csyntax
from scaffold.errors import ScaffoldError
from scaffold.reading.tree import QemuTree
from scaffold.version import Version
from scaffold.findings import Finding


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
    target: Version | None
    edits: list[Edit] = field(default_factory=list)
    families: list[str] = field(default_factory=list)   # families this plan changes
    done: list[str] = field(default_factory=list)       # parts already in the tree
    notes: list[Finding] = field(default_factory=list)   # what it saw on the way
    result: QemuTree | None = field(default=None, repr=False)   # the tree after the edits
    _before: tuple | None = field(default=None, repr=False)     # (tree, families) before

    @property
    def paths(self) -> list[str]:
        return sorted({e.path for e in self.edits})

    def contents(self, tree: QemuTree) -> dict[str, tuple[bytes, bytes]]:
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

    def finish(self, tree: QemuTree, families, check_result: bool = True) -> "Plan":
        """Line endings as the file has them; then the result is checked before anything
        is written, here or (`check_result=False`) when the caller says: a dry run checks
        while git renders the diff."""
        if self.edits:
            self.match_line_endings(tree)
            self._before = (tree, families)
            if check_result:
                self.check_result()
        return self

    def check_result(self) -> None:
        """No new C parse error, and `qscaffold check` no worse than before; sets `result`
        (the tree after the edits)."""
        if self._before is None:
            return
        tree, families = self._before
        contents = self.contents(tree)
        self.result = tree.with_contents(contents, check_syntax(tree, self, contents))
        verify(tree, families, self.result)
        self._before = None

    def as_json(self) -> dict:
        return {
            "command": self.command,
            "version": str(self.target) if self.target else None,
            "families": self.families,
            "files": self.paths,
            "done": self.done,
            "notes": [str(n) for n in self.notes],
            "edits": [{"file": e.path, "start": e.start, "end": e.end, "what": e.what,
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


def check_syntax(tree: QemuTree, plan: Plan, contents: dict[str, tuple[bytes, bytes]]) -> dict:
    """Refuse a result with more parse errors than the file had (macro calls aside).

    The new text is parsed incrementally: the old syntax tree is told about the edits and
    tree-sitter re-parses only what they touch.  Returns (new syntax tree, parsed region)
    by path."""
    parsed = {}
    for path, (old, new) in contents.items():
        file = tree.file(path)
        edits = [e for e in plan.edits if e.path == path]
        region = file.region
        if region and "full_tree" in file.__dict__:
            old_tree, region = file.full_tree, None     # already parsed whole: stay whole
        else:
            if region and not all(region[0] <= e.start and e.end <= region[1] for e in edits):
                file = file.unfocused()     # an edit outside the parsed region: parse it all
                region = None
            old_tree = file.tree
        edited = old_tree.copy()
        anchor = csyntax.region_anchor(old_tree)
        points = csyntax.points_of(old, [o for e in edits for o in (e.start, e.end)], anchor)
        for e in sorted(edits, key=lambda e: e.start, reverse=True):
            start = points[e.start]
            rows = e.text.count(b"\n")
            end = (start[0] + rows, len(e.text) - e.text.rfind(b"\n") - 1) if rows \
                else (start[0], start[1] + len(e.text))
            edited.edit(start_byte=e.start, old_end_byte=e.end, new_end_byte=e.start + len(e.text),
                        start_point=start, old_end_point=points[e.end], new_end_point=end)
        before = csyntax.syntax_errors(old_tree)
        if region:
            region = (region[0], region[1] + len(new) - len(old))
        parsed[path] = (csyntax.parse(new, edited, region, anchor), region)
        after = csyntax.syntax_errors(parsed[path][0])
        if len(after) > len(before):
            known = set(before)
            line = next((l for l, kind in after if (l, kind) not in known), after[0][0])
            raise ScaffoldError("internal error: the edit would add a C parse error; nothing written",
                                path=path, line=line)
    return parsed


def verify(before: QemuTree, families, after: QemuTree) -> None:
    """The changed tree must pass `qscaffold check` wherever the original did."""
    from scaffold.reading import check

    new = [f for f in check.check_tree(after) if f.severity == "error"]
    if not new:
        return
    old = {f.key for f in check.check_tree(before, families)}
    regressions = [f for f in new if f.key not in old]
    if regressions:
        f = regressions[0]
        raise ScaffoldError(f"internal error: the result would fail `qscaffold check` "
                            f"({f.message}); nothing written", path=f.path, line=f.line,
                            family=f.family)
