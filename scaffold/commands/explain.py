"""`qscaffold explain CODE`: what a finding's code means and why the rule exists (the
rules' catalogue), as text or JSON."""
from __future__ import annotations

from dataclasses import dataclass

from scaffold.commands.handling import emit_json
from scaffold.errors import UsageError


@dataclass(eq=False, repr=False)
class ExplainOptions:
    code: str = "all"
    json: bool = False


def run(opts: ExplainOptions) -> int:
    from scaffold.rules import catalogue as rules

    code = opts.code
    found = list(rules.RULES) if code == "all" else [r for r in [rules.lookup(code)] if r]
    if not found:
        raise UsageError(rules.folded(code) or
                         f"no rule {code!r} (`qscaffold explain all` lists them)")
    if opts.json:
        emit_json({"rules": [{"code": r.code, "name": r.name, "severity": r.severity,
                              "summary": r.summary, "why": r.why} for r in found]}, "explain")
    elif code == "all":
        print("\n".join(f"{r.code} {r.name:<22} {r.severity:<8} {r.summary}" for r in found))
    else:
        print(found[0].explain(), end="")
    return 0
