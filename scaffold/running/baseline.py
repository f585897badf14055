"""Known differences, each with its reason: a fork gates on new ones only.

A TOML file of `[[known]]` tables:

    [[known]]
    property = "rombar"          # required (or `migration = "glob of the error"`)
    type = "*"                   # device type, glob (default: any)
    machine = "pc-*"             # machine type, glob (default: any)
    old = 1                      # optional: only this old value ...
    new = -1                     # ... and this new one
    reason = "10.1 made rombar signed: -1 (the device decides) enables it as 1 did"
"""
from __future__ import annotations

import tomllib
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, NamedTuple

from scaffold.errors import UsageError
from scaffold.userfiles import read_text


class Known(NamedTuple):
    reason: str
    property: str | None = None
    type: str = "*"
    machine: str = "*"
    old: Any = None
    new: Any = None
    migration: str | None = None   # glob of a migration error this reason explains

    def explains(self, machine: str, type_name: str, prop: str, old: Any, new: Any) -> bool:
        return (self.property is not None and fnmatchcase(prop, self.property)
                and fnmatchcase(type_name, self.type) and fnmatchcase(machine, self.machine)
                and (self.old is None or self.old == old)
                and (self.new is None or self.new == new))

    def explains_failure(self, machine: str, error: str) -> bool:
        return self.migration is not None and fnmatchcase(machine, self.machine) and \
            fnmatchcase(error, self.migration)


def load(path: Path) -> list[Known]:
    try:
        data = tomllib.loads(read_text(path, "--baseline"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"--baseline {path}: {exc}") from None
    except RecursionError:   # `[[[[...` thousands deep
        raise UsageError(f"--baseline {path}: nested too deep") from None
    out = []
    for number, entry in enumerate(data.get("known", []), 1):
        unknown = set(entry) - set(Known._fields)
        if unknown or not entry.get("reason") or not (entry.get("property") or entry.get("migration")):
            raise UsageError(f"--baseline {path}: entry {number} needs a reason and a property "
                             f"or migration{'; unknown keys: ' + ', '.join(sorted(unknown)) if unknown else ''}")
        out.append(Known(**entry))
    return out
