"""What a command reports about a tree: a Finding is one instance of a Rule.

Rules are data (scaffold/rules.py), as in ruff: a code, a name, a severity, a one-line
summary and a short "why" that `qscaffold check --explain CODE` prints.  `check`, `compat`
and (later) `lint` report Findings of the same type, so they print, sort and serialise alike.
"""
from __future__ import annotations

from typing import NamedTuple

# error: would not build or link, or changes what a guest sees; pending: a bump is due;
# warning: worth a look, never fails `check`; info: what the tool saw or left alone
SEVERITIES = ("error", "pending", "warning", "info")


class Rule(NamedTuple):
    code: str           # stable, for --explain and scripts: C101
    name: str           # stable, readable: chain-missing
    severity: str       # the severity findings of this rule have...
    summary: str
    why: str
    otherwise: str = ""  # ...unless this says when they have another one, and which

    def explain(self) -> str:
        other = f"\nSeverity: {self.otherwise}\n" if self.otherwise else ""
        return f"{self.code} {self.name} ({self.severity})\n\n{self.summary}\n{other}\n{self.why}\n"


class Finding(NamedTuple):
    severity: str
    kind: str            # the rule's name
    message: str
    fix: str = ""
    path: str | None = None
    line: int | None = None
    family: str | None = None
    version: str | None = None

    @property
    def rule(self) -> Rule:
        from scaffold.rules import by_name   # the catalogue imports this module
        return by_name(self.kind)

    @property
    def code(self) -> str:
        return self.rule.code

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}: " if self.path and self.line else \
            (f"{self.path}: " if self.path else "")
        who = " ".join(x for x in (self.family, self.version) if x)
        who = f"{who}: " if who else ""
        fix = f" (fix: {self.fix})" if self.fix else ""
        return f"{where}{self.severity}[{self.code}]: {who}{self.message}{fix}"

    def as_json(self) -> dict:
        return {"code": self.code, **self._asdict()}

    @property
    def key(self) -> tuple:
        return (self.kind, self.family, self.version, self.message)


def ordered(findings: list[Finding]) -> list[Finding]:
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: (order[f.severity], f.path or "", f.line or 0))


def failing(findings: list[Finding], strict: bool = False) -> list[Finding]:
    bad = ("error", "pending", "warning") if strict else ("error", "pending")
    return [f for f in findings if f.severity in bad]
