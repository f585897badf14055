"""compat add's and machine-option's advice: the A rules (the judging itself is done
where the entry is planned, planning/compat_edit.py, which makes findings of these)."""
from __future__ import annotations

from scaffold.rules.registry import Rule, register

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
