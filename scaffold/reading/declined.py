"""What a distribution chose not to take from upstream at a rebase, with a reason each:
`.qscaffold/declined.toml` in the tree (docs/families.md).  `qscaffold compat rebase`
says each one it meets instead of adding it, and a declination that matches nothing
upstream is said too (a typo must not hide an entry for ever).

    [[declined]]
    from = "ccw_machine_7_1_instance_options"     # an upstream options function or array
    what = "s390_set_qemu_cpu_model(0x8561, 15, 1, qemu_cpu_feat);"   # a statement, or
    reason = "rhel9.0.0 keeps its z14 CPU model"                      # "DRIVER PROPERTY"
"""
from __future__ import annotations

from dataclasses import dataclass, field

from scaffold.errors import UsageError
from scaffold.reading.tree import QemuTree

IN_TREE = ".qscaffold/declined.toml"


def normalized(text: str) -> str:
    """C text compared blanks aside (`f(a,b);` and `f(a, b);` are one statement)."""
    return "".join(text.split())


@dataclass(eq=False, repr=False)
class Declination:
    source: str      # the upstream options function or compat array
    what: str        # a statement, or "DRIVER PROPERTY" of an entry
    reason: str
    line: int        # the [[declined]] table's line in the file, for messages
    used: bool = False


@dataclass(eq=False, repr=False)
class Declined:
    path: str
    items: list[Declination] = field(default_factory=list)

    def find(self, source: str, what: str) -> Declination | None:
        for item in self.items:
            if item.source == source and normalized(item.what) == normalized(what):
                item.used = True
                return item
        return None

    def unused(self) -> list[Declination]:
        return [i for i in self.items if not i.used]


def read_declined(tree: QemuTree) -> Declined:
    path = tree.root / IN_TREE
    declined = Declined(IN_TREE)
    from scaffold.userfiles import kept_file

    if not kept_file(path, IN_TREE):
        return declined
    import tomllib   # only trees that keep the file pay for it

    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise UsageError(f"{IN_TREE}: cannot read it ({e})") from None
    except RecursionError:   # `[[[[...` thousands deep
        raise UsageError(f"{IN_TREE}: cannot read it (nested too deep)") from None
    tables = data.get("declined", [])
    starts = [n + 1 for n, line in enumerate(text.splitlines()) if line.strip() == "[[declined]]"]
    if not isinstance(tables, list):
        raise UsageError(f"{IN_TREE}: `declined` is a list of [[declined]] tables")
    for i, table in enumerate(tables):
        line = starts[i] if i < len(starts) else 1
        keys = ("from", "what", "reason")
        if not isinstance(table, dict) or not all(isinstance(table.get(k), str) and
                                                  table[k].strip() for k in keys):
            raise UsageError(f"{IN_TREE}:{line}: a [[declined]] table has from, what and "
                             "reason, each a non-empty string")
        twice = next((d for d in declined.items if d.source == table["from"] and
                      normalized(d.what) == normalized(table["what"])), None)
        if twice is not None:
            raise UsageError(f"{IN_TREE}:{line}: declines {table['from']}'s `{table['what']}` "
                             f"a second time (first at line {twice.line}); keep one")
        declined.items.append(Declination(table["from"], table["what"], table["reason"], line))
    return declined
