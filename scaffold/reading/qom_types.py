"""QOM type names declared in the tree: `#define TYPE_X "name"` and the virtio-pci
variant tables (`.generic_name`, `.transitional_name`, ... with their `.base_name`)."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.reading.csyntax import utf8

_DEFINE = re.compile(rb'#\s*define\s+(TYPE_\w+)\s+"([^"\n]+)"')
_NAMED = re.compile(rb'\.(name|generic_name|transitional_name|non_transitional_name)\s*=\s*"([^"\n]+)"')
_BASE = re.compile(rb'\.base_name\s*=\s*(TYPE_\w+|"[^"\n]+")')
_VARIANT = re.compile(rb'\.(?:generic_name|transitional_name|non_transitional_name)\s*=\s*"([^"\n]+)"')
# QOM types are declared all over the tree (migration/, target/, net/, backends/...).
_SKIP = {"tests", "roms", "subprojects", "docs", "python", "scripts", "build", "pc-bios",
         "linux-headers", "contrib", "tcg", "debian", ".git"}
# Where QOM properties are declared: qdev property tables (also inside the macros that
# expand to several) and the object_*property_add* calls.
_PROPERTY = re.compile(rb'\b(?:\w*DEFINE_PROP\w*|object_(?:class_)?property_add\w*|'
                       rb'qdev_prop_\w+|object_class_property_set_description)'
                       rb'\s*\(\s*(?:[^,()"]+(?:\([^()]*\))?\s*,\s*)?(?:"([^"\n]+)"|([A-Z][A-Z0-9_]+)\s*,)')
_STRING_DEFINE = re.compile(rb'#\s*define\s+([A-Z][A-Z0-9_]+)\s+"([^"\n]+)"')
# x86 CPU features are properties named by the feature-word tables
_FEATURE_NAMES = re.compile(rb'\.feat_names\s*=\s*\{(.*?)\}', re.S)
_TRANSPORT = re.compile(r"(virtio-[a-z0-9-]+?)-(pci|ccw|mmio)(?:-base|-transitional|-non-transitional)?")


@dataclass(eq=False, repr=False)
class TypeIndex:
    """QOM type names and properties declared across the tree."""

    macros: dict[str, tuple[str, str]] = field(default_factory=dict)   # TYPE_X -> (name, header)
    names: set[str] = field(default_factory=set)
    base_of: dict[str, str] = field(default_factory=dict)               # variant -> its -base parent
    properties: set[str] = field(default_factory=set)                   # every declared property

    @classmethod
    def scan(cls, root: Path) -> "TypeIndex":
        index = cls()
        base = len(str(root).rstrip(os.sep)) + 1
        pending = []
        prop_macros: set[str] = set()                # DEFINE_PROP_BIT(SOME_PROP_NAME, ...)
        strings: set[tuple[str, str]] = set()        # #define SOME_PROP_NAME "name"
        tops = sorted(e.name for e in os.scandir(root) if e.is_dir() and e.name not in _SKIP)
        for top in tops:
            for dirpath, _, filenames in os.walk(root / top):
                for name in filenames:
                    if not name.endswith((".c", ".h")):
                        continue
                    path = os.path.join(dirpath, name)
                    with open(path, "rb") as fh:
                        data = fh.read()
                    if b"PROP" in data or b"property_add" in data:
                        for literal, macro in _PROPERTY.findall(data):
                            (index.properties if literal else prop_macros).add(
                                utf8(literal or macro))
                        strings.update((utf8(k), utf8(v)) for k, v in _STRING_DEFINE.findall(data))
                    if b".feat_names" in data:
                        for table in _FEATURE_NAMES.findall(data):
                            index.properties.update(utf8(s) for s in re.findall(rb'"([^"\n]+)"', table))
                    if b"TYPE_" not in data and b"_name" not in data:
                        continue
                    rel = path[base:]
                    for macro, value in _DEFINE.findall(data):
                        index.macros.setdefault(utf8(macro), (utf8(value), rel))
                        index.names.add(utf8(value))
                    index.names.update(utf8(v) for _, v in _NAMED.findall(data))
                    if b".base_name" in data:
                        pending.append(data)
        index.properties.update(v for k, v in strings if k in prop_macros)
        for data in pending:  # virtio-pci tables: the variants' common -base parent
            for table in re.split(rb"\n\}", data):
                b = _BASE.search(table)
                if not b:
                    continue
                parent = index.resolve(utf8(b.group(1)))
                for variant in _VARIANT.findall(table):
                    if parent:
                        index.base_of[utf8(variant)] = parent
        return index

    def resolve(self, device: str) -> str | None:
        """A device as written in C (`"virtio-net-device"` or `TYPE_VIRTIO_NET`) -> its name."""
        device = device.strip()
        if device.startswith('"') and device.endswith('"'):
            return device[1:-1]
        if device in self.macros:
            return self.macros[device][0]
        return device if device in self.names else None

    def advice(self, name: str) -> list[str]:
        """Why another type may be the better target (the seed article's two cases)."""
        out = []
        m = _TRANSPORT.fullmatch(name)
        if m:
            stem, transport = m.group(1), m.group(2)
            general = next((n for n in (f"{stem}-device", stem) if n in self.names), None)
            if general:
                out.append(f"{name} applies to the {transport} transport only; {general} covers "
                           "every transport (pci, ccw, mmio): use it unless the change is "
                           f"{transport}-specific")
        parent = self.base_of.get(name)
        if parent and parent != name:
            out.append(f"{name} does not cover its transitional variants; {parent} is the parent "
                       "of all of them")
        return out
