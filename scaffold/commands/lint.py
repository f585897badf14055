"""`qscaffold lint`: every compat entry checked against the QOM model of the tree
(rules/lint_tree.py), with a baseline of known findings, as text or JSON."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scaffold.commands.handling import emit_json
from scaffold.errors import UsageError

if TYPE_CHECKING:
    from scaffold.rules.registry import Finding


@dataclass(eq=False, repr=False)
class LintOptions:
    repo: Path | None = None
    strict: bool = False
    since: str | None = None
    baseline: Path | None = None         # known findings, each with its reason
    write_baseline: Path | None = None   # write the tree's findings as a baseline
    json: bool = False


def run(opts: LintOptions) -> int:
    from scaffold.commands.qom_report import render_lint
    from scaffold.reading.tree import QemuTree
    from scaffold.rules import baseline as lint_baseline
    from scaffold.rules.lint_tree import run_lint
    from scaffold.rules.registry import failing

    if opts.baseline is not None and opts.write_baseline is not None:
        raise UsageError("--baseline and --write-baseline: one or the other")
    known = lint_baseline.load(opts.baseline) if opts.baseline is not None else None
    findings, code, model = run_lint(QemuTree.locate(opts.repo), opts.strict, opts.since)
    if opts.write_baseline is not None:
        code = write_baseline(opts.write_baseline, findings)
        if not opts.json:
            return code
    split = None
    if known is not None:
        split = lint_baseline.split(findings, known)
        code = 1 if failing(split.new, opts.strict) else 0
    if opts.json:
        from scaffold.jsondoc import located, location

        known_ids = {id(f) for f, _ in split.known} if split else set()
        emit_json({"findings": [dict(f.as_json(), known=id(f) in known_ids) for f in findings],
                   "failed": bool(code), "types": len(model.types),
                   "cannot_tell": [located(u) for u in model.unresolved],
                   "stale": [{"code": k.code, "location": location(str(opts.baseline), k.line)}
                             for k in split.stale] if split else []}, "lint")
    else:
        from scaffold.commands.terminal import severities

        print(severities(render_lint(findings, model, split, opts.baseline)), end="")
    return code


def write_baseline(path: Path, findings: list[Finding]) -> int:
    from scaffold.rules import baseline as lint_baseline

    if path.exists():
        raise UsageError(f"--write-baseline {path}: the file exists; remove it first or "
                         "choose another name")
    try:   # docs/ci.md's first step writes into .qscaffold/, which a fresh tree lacks
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(lint_baseline.write(findings), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--write-baseline {path}: {exc.strerror or exc}") from None
    count = sum(1 for f in findings if f.severity != "info")
    print(f"qscaffold: wrote {count} known finding{'' if count == 1 else 's'} to {path}; "
          "fill in each reason, then "
          f"`qscaffold lint --baseline {path}`", file=sys.stderr)
    return 0
