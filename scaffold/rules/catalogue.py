"""Every rule, in the catalogue's order: `qscaffold check --explain` and docs/rules.md
(`table()`, which a test keeps equal to the file)."""
from __future__ import annotations

from scaffold.rules import advice, chain, downstream_arrays, entries, vendor_compat  # noqa: F401  (each registers its rules)
from scaffold.rules.registry import JUDGES, SEVERITIES, Finding, Rule, by_name, failing, ordered, registered

__all__ = ["SEVERITIES", "Finding", "Rule", "RULES", "by_name", "failing", "lookup", "ordered",
           "table"]

# in the catalogue's order: by judge (check's, compat add's, lint's), then by code
RULES = sorted(registered(), key=lambda r: (list(JUDGES).index(r.judge), r.code))
_BY_CODE = {r.code: r for r in RULES}


# codes no rule reports any more, and the rules that judge what they judged
FOLDED: dict[str, tuple[str, tuple[str, ...]]] = {
    "C106": ("downstream-chain", ("C101", "C102", "C103", "C104")),
    "C108": ("downstream-latest", ("C303", "C304")),
}


def folded(code_or_name: str) -> str | None:
    """What became of a code no rule reports any more (None: not one of those)."""
    key = code_or_name.upper()
    for code, (name, now) in FOLDED.items():
        if key == code or code_or_name == name:
            return (f"{code} ({name}) is judged by {', '.join(now)}: one chain judge serves "
                    f"upstream's and the vendors' families (`qscaffold explain {now[0]}`)")
    return None


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
