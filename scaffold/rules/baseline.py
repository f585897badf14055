"""A lint baseline: the findings a fork knows and accepts, each with its reason, so that
its CI fails on new ones only (`qscaffold lint --baseline FILE`).  The shape is prove's
(scaffold/running/baseline.py): a TOML file of `[[known]]` tables.

    [[known]]
    code = "L202"                          # the rule
    array = "hw_compat_3_1"                # the entry, as written, quotes taken off
    type = "memory-backend-file"
    property = "x-use-canonical-path-for-ramblock-id"
    reason = "only file and memfd backends had the ramblock id bug"

A finding that is not about an entry (`lint --since`'s options) is known by its file and
message instead: `path = "hw/i386/pc_q35.c"`, `message = "glob of the message"`.
`lint --write-baseline FILE` writes every error and warning of the tree in this shape,
with an empty reason for a person to fill in; an empty reason is refused.
"""
from __future__ import annotations

import tomllib
from fnmatch import fnmatchcase
from pathlib import Path
from typing import NamedTuple

from scaffold.errors import UsageError
from scaffold.rules.registry import Finding
from scaffold.userfiles import read_text

KEYS = ("code", "array", "type", "property", "value", "path", "message", "reason")


class Known(NamedTuple):
    code: str
    reason: str
    line: int                 # of its [[known]] table, for messages
    array: str | None = None
    type: str | None = None
    property: str | None = None
    value: str | None = None
    path: str | None = None
    message: str | None = None

    def explains(self, finding: Finding) -> bool:
        if finding.code != self.code:
            return False
        entry = finding.entry
        if self.array is not None:
            return entry is not None and (entry.array, entry.type, entry.property) == \
                (self.array, self.type, self.property) and \
                (self.value is None or self.value == entry.value)
        return (self.path is None or self.path == finding.path) and \
            (self.message is None or fnmatchcase(finding.message, self.message))


def load(path: Path) -> list[Known]:
    text = read_text(path, "--baseline")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"--baseline {path}: {exc}") from None
    except RecursionError:   # `[[[[...` thousands deep
        raise UsageError(f"--baseline {path}: nested too deep") from None
    starts = [n + 1 for n, line in enumerate(text.splitlines()) if line.strip() == "[[known]]"]
    out = []
    for number, table in enumerate(data.get("known", [])):
        line = starts[number] if number < len(starts) else 1
        where = f"{path}:{line}"
        unknown = set(table) - set(KEYS)
        if unknown:
            raise UsageError(f"{where}: unknown keys {', '.join(sorted(unknown))} (known: "
                             f"{', '.join(KEYS)})")
        if not all(isinstance(v, str) for v in table.values()):
            raise UsageError(f"{where}: every value is a string")
        if not table.get("code"):
            raise UsageError(f"{where}: a known finding names its rule: code = \"L202\"")
        if not table.get("reason", "").strip():
            raise UsageError(f"{where}: {table['code']} has no reason; say why the finding is "
                             "accepted (that is what a baseline is for)")
        if "array" in table and not all(table.get(k) for k in ("type", "property")):
            raise UsageError(f"{where}: an entry is array, type and property")
        if "array" not in table and not (table.get("path") or table.get("message")):
            raise UsageError(f"{where}: a known finding names its entry (array, type, "
                             "property) or its path and message")
        out.append(Known(table["code"], table["reason"], line,
                         **{k: table.get(k) for k in KEYS if k not in ("code", "reason")}))
    return out


class Split(NamedTuple):
    new: list[Finding]
    known: list[tuple[Finding, Known]]
    stale: list[Known]        # baseline entries no finding matches any more


def split(findings: list[Finding], known: list[Known]) -> Split:
    new, matched, used = [], [], set()
    for f in findings:
        k = next((k for k in known if k.explains(f)), None)
        if k is None or f.severity == "info":
            new.append(f)
        else:
            matched.append((f, k))
            used.add(k.line)
    return Split(new, matched, [k for k in known if k.line not in used])


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write(findings: list[Finding]) -> str:
    """The TOML of every error, warning and pending finding, reasons left to fill in."""
    out = ["# qscaffold lint baseline: known findings, each with the reason it is accepted.",
           "# `qscaffold lint --baseline FILE` fails only on findings not listed here.", ""]
    for f in findings:
        if f.severity == "info":
            continue
        out.append("[[known]]")
        out.append(f"code = {_quote(f.code)}")
        if f.entry is not None:
            out += [f"array = {_quote(f.entry.array)}", f"type = {_quote(f.entry.type)}",
                    f"property = {_quote(f.entry.property)}"]
        else:
            out += [f"path = {_quote(f.path or '')}", f"message = {_quote(f.message)}"]
        out.append(f"# {f.path}:{f.line}: {f.severity}: {f.message}"[:200])
        out += ['reason = ""', ""]
    return "\n".join(out)
