"""Compile what an edit touched with the tree's own build (`--build-dir`).

A maintainer always has a configured build directory.  After the files are written and
before anything is committed, the objects that compile the edited C files (every target
that has them: one file may be built for x86_64 and i386) are rebuilt with ninja; a
compiler error puts every file back.  Headers have no object of their own: the edited
C files that include them are what check them.
"""
from __future__ import annotations

from dataclasses import dataclass

import os
import re
import subprocess
from pathlib import Path

from scaffold.errors import ScaffoldError, UsageError

_DIAGNOSTIC = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):(?:\d+:)? (?:fatal )?error: (?P<msg>.*)$",
                         re.M)


def objects(build_dir: Path, src_root: Path, paths: list[str]) -> dict[str, list[str]]:
    """path -> the ninja outputs (objects) that compile it, from compile_commands.json."""
    db = build_dir / "compile_commands.json"
    if not (build_dir / "build.ninja").exists() or not db.exists():
        raise UsageError(f"--build-dir {build_dir}: not a configured build directory "
                         "(no build.ninja / compile_commands.json)")
    wanted = {os.path.realpath(src_root / p): p for p in paths}
    out: dict[str, list[str]] = {p: [] for p in paths}
    try:
        import json   # only with --build-dir

        entries = json.loads(db.read_text())
    except (OSError, ValueError, RecursionError):
        raise UsageError(f"--build-dir {build_dir}: compile_commands.json cannot be read "
                         "(re-run meson or ninja there)") from None
    for entry in entries if isinstance(entries, list) else []:
        full = os.path.realpath(os.path.join(entry.get("directory", build_dir), entry["file"]))
        rel = wanted.get(full)
        if rel is not None and entry.get("output"):
            out[rel].append(entry["output"])
    return out


def first_error(output: str, build_dir: Path, src_root: Path) -> tuple[str | None, int | None, str]:
    """(file relative to the tree, line, message) of the compiler's first error."""
    m = _DIAGNOSTIC.search(output)
    if not m:
        tail = [line for line in output.splitlines() if line.strip()]
        return None, None, tail[-1] if tail else "the build failed"
    path = os.path.realpath(os.path.join(build_dir, m.group("file")))
    root = os.path.realpath(src_root)
    rel = os.path.relpath(path, root) if path.startswith(root + os.sep) else m.group("file")
    return rel, int(m.group("line")), m.group("msg").strip()


@dataclass(eq=False, repr=False)
class Compile:
    """An executor action: rebuild the objects of the edited C files (nothing to undo)."""

    build_dir: Path
    src_root: Path
    paths: list[str]

    def targets(self) -> list[str]:
        found = objects(self.build_dir, self.src_root, [p for p in self.paths if p.endswith(".c")])
        return sorted({o for outs in found.values() for o in outs})

    def describe(self) -> str:
        sources = [p for p in self.paths if p.endswith(".c")]
        return f"compile {', '.join(sources) or 'nothing'} in {self.build_dir}"

    def run(self) -> None:
        targets = self.targets()
        if not targets:
            return
        proc = subprocess.run(["ninja", "-C", str(self.build_dir), *targets],
                              capture_output=True, text=True, errors="replace")
        if proc.returncode != 0:
            rel, line, msg = first_error(proc.stdout + proc.stderr, self.build_dir, self.src_root)
            raise ScaffoldError(f"does not compile: {msg}; every file was put back",
                                path=rel or str(self.build_dir), line=line)

    def undo(self) -> None:
        pass


def compile_step(build_dir: Path, src_root: Path, paths: list[str]) -> Compile:
    """The compile action for these files; a build dir that is not one is refused now,
    before anything is written."""
    objects(build_dir, src_root, paths)
    return Compile(build_dir, src_root, sorted(paths))
