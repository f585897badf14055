"""The rules' registry: what a finding is, and the one place each rule is listed.

As in ruff, a rule is a unit: a code, a name, a severity, a one-line summary, a short
"why" (`qscaffold explain CODE`) and its fixture, defined once beside the judge that
reports it (rules/chain.py: check's; rules/entries.py: lint's; rules/advice.py:
compat's), and a Finding is made from its Rule (`RULE.finding(message, ...)`): a code's
severity lives in one place.  tests/test_rules.py runs each rule's fixture, which makes
it fire, compares the findings with the rule's snapshot (tests/snapshots/rules/), and
checks that the tree unchanged is quiet; docs/rules.md is the table this registry
prints (a test keeps them equal).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from scaffold.jsondoc import location
from scaffold.rules.fixtures import Fixture

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
    other: str = ""      # that other severity
    fixture: Fixture | None = None   # how its test makes it fire (rules/fixtures.py)
    judge: str = "check"  # the command whose judge reports it: one of JUDGES

    def explain(self) -> str:
        other = f"\nSeverity: {self.otherwise}\n" if self.otherwise else ""
        return f"{self.code} {self.name} ({self.severity})\n\n{self.summary}\n{other}\n{self.why}\n"

    def finding(self, message: str, fix: str = "", *, path: str | None = None,
                line: int | None = None, family: str | None = None,
                version: str | None = None, other: bool = False,
                entry: "EntryRef | None" = None) -> "Finding":
        """A finding of this rule; `other`: in the case `otherwise` describes."""
        assert not other or self.other, f"{self.code} has one severity"
        return Finding(self.other if other else self.severity, self.name, message, fix, path,
                       line, family, version, entry)


_REGISTRY: dict[str, Rule] = {}

# The judges, in the catalogue's order: check's rules (C), compat add's advice (A),
# lint's (L).  A rule's code starts with its judge's letter.
JUDGES = {"check": "C", "compat add": "A", "lint": "L"}


def register(rule: Rule) -> Rule:
    assert rule.code not in {r.code for r in _REGISTRY.values()} and rule.name not in _REGISTRY
    assert rule.code.startswith(JUDGES[rule.judge]), (rule.code, rule.judge)
    _REGISTRY[rule.name] = rule
    return rule


def register_for(judge: str) -> Callable[[Rule], Rule]:
    """`register` for a module whose rules one judge reports (advice.py: compat add's)."""
    def register_judged(rule: Rule) -> Rule:
        return register(rule._replace(judge=judge))
    return register_judged


def by_name(name: str) -> Rule:
    return _REGISTRY[name]


def registered() -> list[Rule]:
    return list(_REGISTRY.values())


class EntryRef(NamedTuple):
    """The compat entry a finding is about, as written (quotes taken off)."""

    array: str
    type: str
    property: str
    value: str


class Finding(NamedTuple):
    severity: str
    kind: str            # the rule's name
    message: str
    fix: str = ""
    path: str | None = None
    line: int | None = None
    family: str | None = None
    version: str | None = None
    entry: EntryRef | None = None

    @property
    def rule(self) -> Rule:
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

    def as_json(self) -> dict[str, Any]:
        """docs/json.md's finding: the entry as fields, the place as a location."""
        return {"code": self.code, "severity": self.severity, "kind": self.kind,
                "message": self.message, "fix": self.fix or None,
                "location": location(self.path, self.line), "family": self.family,
                "version": self.version,
                "entry": self.entry._asdict() if self.entry else None}

    @property
    def key(self) -> tuple[str, str | None, str | None, str]:
        return (self.kind, self.family, self.version, self.message)


def ordered(findings: list[Finding]) -> list[Finding]:
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: (order[f.severity], f.path or "", f.line or 0))


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def warnings(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "warning"]


def failing(findings: list[Finding], strict: bool = False) -> list[Finding]:
    bad = ("error", "pending", "warning") if strict else ("error", "pending")
    return [f for f in findings if f.severity in bad]
