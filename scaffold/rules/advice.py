"""compat add's and machine-option's advice: the A rules.  The judgement of the other
arrays is here; what depends on the plan being made (the type and property known, the
statements already there) is judged where the plan is made, planning/compat_edit.py, with
these rules' findings."""
from __future__ import annotations

from typing import Any

from scaffold.reading.compat_arrays import ArrayPair, entry_nodes
from scaffold.rules.registry import Finding, Rule, register
from scaffold.version import Version

STABLE_BRANCH = register(Rule("A101", "stable-branch", "warning",
    "VERSION is a stable branch: the entry changes released machine types",
    "On a stable branch every compat array belongs to a released machine type; changing "
    "one changes what guests of that release see."))
TYPE_UNKNOWN = register(Rule("A102", "type-unknown", "warning",
    "the entry names a type this tree does not declare (--force)",
    "QEMU ignores a compat entry whose type does not exist: the entry does nothing."))
PROPERTY_UNKNOWN = register(Rule("A103", "property-unknown", "warning",
    "no type in this tree declares the entry's property (--force)",
    "QEMU applies compat properties with &error_abort: an entry on a type without the "
    "property aborts QEMU when such a device is created on an older machine type."))
TYPE_ADVICE = register(Rule("A104", "type-advice", "warning",
    "the entry names a transport proxy or variant, not the type that owns the property",
    "An entry on virtio-X-pci leaves the ccw and mmio transports out; the seed's advice: "
    "use virtio-X-device."))
OLDER_ENTRY = register(Rule("A105", "older-entry", "info",
    "an older array sets the same type and property",
    "Older arrays are added last, so their value still wins for their machine types."))
NEWER_ENTRY = register(Rule("A106", "newer-entry", "warning",
    "a newer array already sets the same type and property",
    "Older arrays are added last: the new entry replaces the newer array's value for the "
    "older machine types, which may not be what was meant."))
AFFECTS = register(Rule("A107", "affects", "info", "which machine types the entry changes",
    "A compat entry applies to its release's machine types and every older one."))
ALREADY_PRESENT = register(Rule("A108", "already-present", "info",
    "the machine-option statements are already in the function",
    "Nothing to add: a re-run after a partial change, or a duplicate request."))


def judge_other_arrays(model: Any, pairs: list[ArrayPair], target: ArrayPair, newest: Version,
                       name: str, prop: str) -> list[Finding]:
    """A105 and A106: an older array that keeps its own value of the same type and
    property for its machine types, or a newer one whose value the new entry replaces
    for the older types (older arrays are added last)."""
    out = []
    for pair in pairs:
        if pair is target or pair.version >= newest:
            continue
        for e in entry_nodes(pair)[1]:
            if (model.device_name(e.device) or e.device) != name or e.property_name() != prop:
                continue
            where = f"({pair.file.rel}:{e.node.start_point[0] + 1})"
            if pair.version < target.version:
                out.append(OLDER_ENTRY.finding(
                    f"{pair.name} sets {name} {prop} = {e.value} {where}; it is added after "
                    f"{target.name}, so {pair.version} and older keep that value"))
            else:
                out.append(NEWER_ENTRY.finding(
                    f"the newer {pair.name} already sets {name} {prop} = {e.value} {where} "
                    f"for {pair.version} and older; {target.version} and older get the new "
                    "entry instead (older arrays are added last)"))
    return out
