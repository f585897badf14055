"""`qscaffold lint`'s judge over a whole tree: every compat entry against the QOM model
(rules/entries.py), and with `since`, what a range of commits added."""
from __future__ import annotations

from pathlib import Path

from scaffold.errors import UsageError
from scaffold.reading import history
from scaffold.reading.reader import read_families
from scaffold.reading.qom.entries import read_entries
from scaffold.reading.qom.model import QomModel, load
from scaffold.reading.tree import QemuTree
from scaffold.rules.entries import VERSIONED, judge_options_since, judge_since, lint
from scaffold.rules.registry import Finding, failing, ordered


def run_lint(root: Path, strict: bool = False,
             since: str | None = None) -> tuple[list[Finding], int, QomModel]:
    model = load(root)
    entries = read_entries(model)
    if not any(VERSIONED.fullmatch(e.array) for e in entries):   # a gate pointed astray fails
        raise UsageError(f"{root}: not a QEMU source tree (no hw_compat_X_Y or pc_compat_X_Y "
                         "entries found): nothing to lint")
    findings = lint(model, entries)
    if since is not None:
        try:
            families, _ = read_families(QemuTree.open(root))
        except UsageError:   # no versioned machine types here: the entries only
            families = []
        changes = history.read_since(root, since, entries, [f.file.rel for f in families],
                                     model.files_defining)
        findings = ordered(findings + judge_since(model, entries, changes.added, changes.changed_in)
                           + judge_options_since(families, changes.added))
    return findings, 1 if failing(findings, strict) else 0, model
