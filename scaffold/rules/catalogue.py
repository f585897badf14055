"""Every rule, in the catalogue's order: `qscaffold check --explain` and docs/rules.md
(`table()`, which a test keeps equal to the file)."""
from __future__ import annotations

from scaffold.rules import advice, chain, downstream_arrays, entries, vendor_compat  # noqa: F401  (each registers its rules)
from scaffold.rules.registry import SEVERITIES, Finding, Rule, by_name, failing, ordered, registered

__all__ = ["SEVERITIES", "Finding", "Rule", "RULES", "by_name", "failing", "lookup", "ordered",
           "table"]

_ORDER = {code: i for i, code in enumerate(['C101', 'C102', 'C103', 'C104', 'C105', 'C106', 'C107', 'C108', 'C109', 'C110', 'C111', 'C201', 'C202', 'C203', 'C301', 'C302', 'C303', 'C304', 'C305', 'C401', 'C402', 'C403', 'C404', 'C405', 'C406', 'C407', 'C408', 'C409', 'C501', 'C502', 'C503', 'C504', 'C505', 'C901', 'C902', 'C903', 'A101', 'A102', 'A103', 'A104', 'A105', 'A106', 'A107', 'A108', 'L101', 'L102', 'L103', 'L201', 'L202', 'L203', 'L204', 'L205', 'L206', 'L207', 'L902', 'L901'])}
RULES = sorted(registered(), key=lambda r: (_ORDER.get(r.code, len(_ORDER)), r.code))
_BY_CODE = {r.code: r for r in RULES}


def lookup(code_or_name: str) -> Rule | None:
    rule = _BY_CODE.get(code_or_name.upper())
    if rule is None:
        try:
            rule = by_name(code_or_name)
        except KeyError:
            return None
    return rule


def table() -> str:
    """docs/rules.md's table."""
    rows = ["| Code | Name | Severity | What it reports |", "|---|---|---|---|"]
    for r in RULES:
        sev = f"{r.severity} ({r.otherwise})" if r.otherwise else r.severity
        rows.append(f"| {r.code} | `{r.name}` | {sev} | {r.summary} |")
    return "\n".join(rows) + "\n"
