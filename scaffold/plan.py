"""A plan is data: the edits a command would make, computed in memory.

It can describe itself (for a dry run or a JSON report), produce the new file
contents, and check them before anything touches the disk.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import csyntax
from .errors import ScaffoldError
from .tree import QemuTree
from .version import Version


@dataclass(frozen=True)
class Edit:
    path: str
    start: int
    end: int
    text: bytes
    what: str
    family: str | None = None

    def describe(self) -> str:
        return f"{self.path}: {self.what}"


@dataclass
class Plan:
    command: str
    target: Version | None
    edits: list[Edit] = field(default_factory=list)
    families: list[str] = field(default_factory=list)   # families this plan changes
    done: list[str] = field(default_factory=list)       # parts already in the tree
    notes: list[str] = field(default_factory=list)

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

    def as_json(self) -> dict:
        return {
            "command": self.command,
            "version": str(self.target) if self.target else None,
            "families": self.families,
            "files": self.paths,
            "done": self.done,
            "notes": self.notes,
            "edits": [{"file": e.path, "start": e.start, "end": e.end, "what": e.what,
                       "family": e.family, "text": e.text.decode("utf-8", "surrogateescape")}
                      for e in self.edits],
        }


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


def check_syntax(contents: dict[str, tuple[bytes, bytes]]) -> None:
    """Refuse a result with more parse errors than the file had (macro calls aside)."""
    for path, (old, new) in contents.items():
        before = csyntax.syntax_errors(csyntax.parse(old))
        after = csyntax.syntax_errors(csyntax.parse(new))
        if len(after) > len(before):
            known = set(before)
            line = next((l for l, kind in after if (l, kind) not in known), after[0][0])
            raise ScaffoldError("internal error: the edit would add a C parse error; nothing written",
                                path=path, line=line)
