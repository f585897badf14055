"""What a guest gets: every settable property of the machine and of every device in the
composition tree (`/machine`, its `peripheral`, `peripheral-anon` and `unattached`
children, recursively), read with `qom-get`.

Only properties a type declares as settable are read (`device-list-properties`,
`qom-list-properties` for the machine): those are what compat entries set, and live state
(`realized`, a balloon's `guest-stats`, the machine's `rtc-time`) is left out by that alone.
"""
from __future__ import annotations

import re
import threading
from typing import Any, NamedTuple

from scaffold.running.qemu import Qemu, QemuError

_INDEXED = re.compile(r"(?P<base>.*)\[(?P<index>\d+)\]$")
_SKIP_TYPES = ("child<", "link<")


class QomObject(NamedTuple):
    path: str                    # as QEMU names it: /machine/unattached/device[3]
    type: str
    values: dict[str, Any]       # property -> value, for the settable ones
    unreadable: tuple[str, ...]  # settable but qom-get failed (no getter)


class TypeProperties:
    """The settable property names of each type, asked once per binary (thread-safe)."""

    def __init__(self) -> None:
        self._names: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def names(self, vm: Qemu, type_name: str, device: bool) -> frozenset[str]:
        with self._lock:
            if type_name in self._names:
                return self._names[type_name]
        command = "device-list-properties" if device else "qom-list-properties"
        try:
            found = frozenset(p["name"] for p in vm.cmd(command, typename=type_name))
        except QemuError:   # abstract or not creatable as asked: nothing to compare
            found = frozenset()
        with self._lock:
            self._names[type_name] = found
        return found


def walk(vm: Qemu, device_types: set[str], known: TypeProperties) -> dict[str, QomObject]:
    """key -> object for the machine and every device below it.  Keys are paths, except
    that indexed names (`device[7]`) become `device<TYPE>#k` (the k-th of that type among
    its siblings): two QEMU versions number anonymous devices differently."""
    out: dict[str, QomObject] = {}
    machine_type = vm.cmd("qom-get", path="/machine", property="type")
    out["/machine"] = _read(vm, "/machine", machine_type,
                            known.names(vm, machine_type, device=False),
                            vm.cmd("qom-list", path="/machine"))
    _children(vm, "/machine", "/machine", vm.cmd("qom-list", path="/machine"), device_types,
              known, out)
    return out


def _children(vm: Qemu, path: str, key: str, listing: list[dict[str, Any]], device_types: set[str],
              known: TypeProperties, out: dict[str, QomObject]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for prop in sorted(listing, key=_index_order):
        kind = prop["type"]
        if not kind.startswith("child<"):
            continue
        child_type = kind[len("child<"):-1]
        if child_type != "container" and child_type not in device_types:
            continue   # memory regions, IRQs, buses: not what compat entries set
        child_path = f"{path}/{prop['name']}"
        m = _INDEXED.fullmatch(prop["name"])
        if m and child_type != "container":
            real = vm.cmd("qom-get", path=child_path, property="type")
            rank = seen[(m.group("base"), real)] = seen.get((m.group("base"), real), -1) + 1
            child_key = f"{key}/{m.group('base')}<{real}>#{rank}"
        else:
            child_key = f"{key}/{prop['name']}"
        child_listing = vm.cmd("qom-list", path=child_path)
        if child_type != "container":
            real = vm.cmd("qom-get", path=child_path, property="type")
            out[child_key] = _read(vm, child_path, real, known.names(vm, real, device=True),
                                   child_listing)
        _children(vm, child_path, child_key, child_listing, device_types, known, out)


def _index_order(prop: dict[str, Any]) -> tuple[str, int]:
    m = _INDEXED.fullmatch(prop["name"])
    return (m.group("base"), int(m.group("index"))) if m else (prop["name"], -1)


def _read(vm: Qemu, path: str, type_name: str, settable: frozenset[str],
          listing: list[dict[str, Any]]) -> QomObject:
    values, unreadable = {}, []
    for prop in listing:
        name = prop["name"]
        if name not in settable or prop["type"].startswith(_SKIP_TYPES):
            continue
        try:
            values[name] = vm.cmd("qom-get", path=path, property=name)
        except QemuError:
            unreadable.append(name)
    return QomObject(path, type_name, values, tuple(sorted(unreadable)))


def same_value(old: Any, new: Any) -> bool:
    """Equal, where a structure compares on what both sides have: the keys of a dict (10.2's
    `smp` gained `books`, `drawers` and `modules`; what 7.2 had is what matters) and the
    CPUID words of a list of them (a newer QEMU knows more leaves)."""
    if isinstance(old, dict) and isinstance(new, dict):
        return all(same_value(old[k], new[k]) for k in old.keys() & new.keys())
    if _cpuid_words(old) and _cpuid_words(new):
        a, b = _by_leaf(old), _by_leaf(new)
        return all(a[k] == b[k] for k in a.keys() & b.keys())
    return bool(old == new)


def _cpuid_words(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and \
        all(isinstance(w, dict) and "cpuid-register" in w for w in value)


def _by_leaf(words: list[dict[str, Any]]) -> dict[tuple[Any, ...], Any]:
    return {(w["cpuid-register"], w.get("cpuid-input-eax"), w.get("cpuid-input-ecx")):
            w.get("features") for w in words}
