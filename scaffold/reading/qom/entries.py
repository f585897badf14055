"""The compat entry, and the one reader of entries: the items of every GlobalProperty
array a machine type applies (hw_compat_*, pc_compat_*, the local arrays of options
functions, spapr's and s390x's, and of boards, pc_piix_compat_defaults,
arm_virt_compat...), read on the syntax tree.  lint reads them from the QOM model's
cached facts (facts.py); compat add reads the array it writes to with the same reader,
and keeps each entry's node to write beside it."""
from __future__ import annotations

from typing import NamedTuple, Protocol

from tree_sitter import Node

from scaffold.reading import cmatch, csyntax
from scaffold.reading.cmatch import Code


class Entry(NamedTuple):
    """One `{ driver, property, value }` of a GlobalProperty array, as written in C."""

    array: str
    path: str
    line: int
    driver: str        # as written: "virtio-blk-device", TYPE_X86_CPU, "qemu64" "-" TYPE_X86_CPU
    prop: str          # as written: "num-queues"
    value: str
    optional: bool
    array_line: int    # where the array starts: local arrays share names (pnv's phb_compat)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def text(self) -> str:
        return f"{{ {self.driver}, {self.prop}, {self.value} }}"

    @property
    def driver_name(self) -> str:
        """The driver as a name: `"virtio-device"` is virtio-device (a macro stays)."""
        return csyntax.c_string(self.driver) if self.driver.startswith('"') else self.driver

    @property
    def property_name(self) -> str:
        """The property as a name: `"num-queues"` is num-queues."""
        return csyntax.c_string(self.prop) if self.prop.startswith('"') else self.prop


class _Entries(Protocol):
    """What read_entries needs of the model (model.py imports this module)."""

    entries: list[Entry]


def read_entries(model: _Entries) -> list[Entry]:
    """Every entry of every GlobalProperty array under hw/ (from the model's cached facts)."""
    return sorted((e for e in model.entries if e.path.startswith("hw/")),
                  key=lambda e: (e.path, e.line))


def entries_in(root: Node, path: str, code: Code) -> list[Entry]:
    """The entries of a file's GlobalProperty arrays."""
    out: list[Entry] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "declaration":
            kind, declared = cmatch.declaration_parts(node, code)
            if kind == "GlobalProperty":
                for name, array, value in declared:
                    if array and value is not None and value.type == "initializer_list":
                        out += [e for e, _ in array_entries(name, path, node.start_point[0] + 1,
                                                              value, code)]
                continue
        stack.extend(reversed(node.children))
    return out


def array_entries(array: str, path: str, first: int, init: Node,
                  code: Code) -> list[tuple[Entry, Node]]:
    """(entry, its initializer's node) for each item of one array's initializer; `first`
    the line where the array's declaration starts."""
    out = []
    for item in cmatch.elements(init, code):
        if item.type != "initializer_list":
            continue
        fields: dict[str, str] = {}
        positional = []
        for part in cmatch.elements(item, code):
            if part.type == "initializer_pair":
                designator = part.child_by_field_name("designator")
                given = part.child_by_field_name("value")
                if designator is not None and given is not None:
                    fields[code.text(designator).lstrip(". ")] = " ".join(code.text(given).split())
            else:
                positional.append(" ".join(code.text(part).split()))
        driver = fields.get("driver", positional[0] if positional else "")
        prop = fields.get("property", positional[1] if len(positional) > 1 else "")
        value = fields.get("value", positional[2] if len(positional) > 2 else "")
        if driver and prop:
            out.append((Entry(array, path, item.start_point[0] + 1, driver, prop, value,
                              fields.get("optional", "false") == "true", first), item))
    return out
