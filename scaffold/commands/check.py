"""`qscaffold check`: the whole compat chain verified (rules/chain.py), as text or JSON;
`--explain CODE` says what a finding means (explain.py)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scaffold.commands.handling import emit_json


@dataclass(eq=False, repr=False)
class CheckOptions:
    repo: Path | None = None
    families: Path | None = None
    strict: bool = False
    explain: str | None = None
    json: bool = False


def run(opts: CheckOptions) -> int:
    from scaffold.commands.reports import check, open_tree, render_check

    if opts.explain is not None:
        from scaffold.commands import explain

        return explain.run(explain.ExplainOptions(opts.explain, opts.json))
    findings, code = check(open_tree(opts.repo, opts.families), opts.strict)
    if opts.json:
        emit_json({"findings": [f.as_json() for f in findings], "failed": bool(code)}, "check")
    else:
        from scaffold.commands.terminal import severities

        print(severities(render_check(findings)), end="")
    return code
