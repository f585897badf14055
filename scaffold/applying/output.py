"""Show a plan (diff, JSON) or write it: shared by every command that edits the tree."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable

from scaffold.applying import diff
from scaffold.planning.plan import Plan
from scaffold.reading.tree import QemuTree


def emit(data: bytes, output: Path | None) -> None:
    if output:
        output.write_bytes(data)
        print(f"qscaffold: wrote {output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def abbrev(tree: QemuTree) -> int:
    return diff.abbrev_length(tree.root if (tree.root / ".git").exists() else None)


def show_diff(tree: QemuTree, contents: dict, output: Path | None = None,
              color: bool | None = None, meanwhile: Callable[[], None] | None = None) -> None:
    """Print (or save) the diff; `meanwhile` runs while git renders it, and the diff is
    shown only if it returns."""
    color = (sys.stdout.isatty() if color is None else color) and not output
    pending = diff.start_diff(contents, color=color, abbrev=abbrev(tree))
    try:
        if meanwhile is not None:
            meanwhile()
    finally:
        data = pending()
    emit(data, output)


def show_json(plan: Plan, output: Path | None = None) -> None:
    emit(json.dumps(plan.as_json(), indent=2).encode() + b"\n", output)


def show_or_write(tree: QemuTree, plan: Plan, dry_run: bool, verbose: bool = False,
                  build_dir: Path | None = None) -> int:
    """For commands that do not commit: print the diff, or write the files atomically
    (and compile them in `build_dir`; a compiler error puts them back)."""
    from scaffold.applying.executor import WriteFiles, execute

    if not plan.edits:
        print("qscaffold: nothing to do", file=sys.stderr)
    elif dry_run:
        show_diff(tree, plan.contents(tree))
    else:
        contents = plan.contents(tree)
        actions: list = [WriteFiles(tree.root, contents)]
        if build_dir is not None:
            from scaffold.applying.build import compile_step

            actions.append(compile_step(build_dir, tree.root, list(contents)))
        execute(actions, quiet=not verbose)
        for edit in plan.edits:
            print(f"qscaffold: {edit.describe()}", file=sys.stderr)
        print("qscaffold: files written, nothing committed (commit them with the change "
              "that needs them)", file=sys.stderr)
    for note in plan.notes:
        print(f"qscaffold: {note}", file=sys.stderr)
    return 0
