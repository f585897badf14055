"""compat add's and machine-option's advice: the A rules, and their judges.  The plan
(planning/compat_edit.py) asks them; whether a finding also refuses the change (an
unknown name without --force) is the plan's decision, not the rule's."""
from __future__ import annotations


from scaffold.reading.compat_arrays import ArrayPair, entry_nodes
from scaffold.reading.machines import Family
from scaffold.reading.qom.model import QomModel
from scaffold.rules.fixtures import by_hand, compat_add
from scaffold.rules.registry import Finding, Rule, register_for
from scaffold.version import Version, in_development

register = register_for("compat add")   # each rule of this module is compat add's

STABLE_BRANCH = register(Rule("A101", "stable-branch", "warning",
    "VERSION is a stable branch: the entry changes released machine types",
    "On a stable branch every compat array belongs to a released machine type; changing "
    "one changes what guests of that release see.",
    fixture=compat_add("virtio-blk-device", "queue-size", "1",
                      changes=(("VERSION", "11.2.50", "11.2.0"),))))
TYPE_UNKNOWN = register(Rule("A102", "type-unknown", "warning",
    "the entry names a type this tree does not declare (--force)",
    "QEMU ignores a compat entry whose type does not exist: the entry does nothing.",
    fixture=compat_add("no-such-device", "queue-size", "1")))
PROPERTY_UNKNOWN = register(Rule("A103", "property-unknown", "warning",
    "no type in this tree declares the entry's property (--force)",
    "QEMU applies compat properties with &error_abort: an entry on a type without the "
    "property aborts QEMU when such a device is created on an older machine type.",
    fixture=compat_add("virtio-blk-device", "no-such-prop", "1")))
TYPE_ADVICE = register(Rule("A104", "type-advice", "warning",
    "the entry names a transport proxy or variant, not the type that owns the property",
    "An entry on virtio-X-pci leaves the ccw and mmio transports out; the seed's advice: "
    "use virtio-X-device.",
    fixture=by_hand("test_rules::test_the_transport_advice_fires_on_a_proxy_only")))
OLDER_ENTRY = register(Rule("A105", "older-entry", "info",
    "an older array sets the same type and property",
    "Older arrays are added last, so their value still wins for their machine types.",
    fixture=compat_add("TYPE_PCI_BRIDGE", "x-pci-express-writeable-slt-bug", "false")))
NEWER_ENTRY = register(Rule("A106", "newer-entry", "warning",
    "a newer array already sets the same type and property",
    "Older arrays are added last: the new entry replaces the newer array's value for the "
    "older machine types, which may not be what was meant.",
    fixture=compat_add("migration", "zero-page-detection", "x", "11.0")))
AFFECTS = register(Rule("A107", "affects", "info", "which machine types the entry changes",
    "A compat entry applies to its release's machine types and every older one.",
    fixture=compat_add("virtio-blk-device", "queue-size", "1")))
ALREADY_PRESENT = register(Rule("A108", "already-present", "info",
    "the machine-option statements are already in the function",
    "Nothing to add: a re-run after a partial change, or a duplicate request.",
    fixture=by_hand("test_rules::test_already_present_statements_are_an_info")))


def judge_branch(version: tuple[int, int, int] | None, release: Version) -> list[Finding]:
    """A101: on a stable branch, every array belongs to released machine types."""
    if version is None or in_development(version):
        return []
    major, minor, micro = version
    return [STABLE_BRANCH.finding(f"VERSION {major}.{minor}.{micro} is a stable branch: this "
                                  f"changes the released {release} machine types")]


def type_unknown(device: str) -> Finding:
    """A102, when --force writes the entry anyway."""
    return TYPE_UNKNOWN.finding(f"{device} is not a type this tree declares (--force)")


def property_unknown(prop: str) -> Finding:
    """A103, when --force writes the entry anyway."""
    return PROPERTY_UNKNOWN.finding(f"no device in this tree declares a property {prop} (--force)")


def judge_type(model: QomModel, name: str) -> list[Finding]:
    """A104, for a type whose properties the model cannot tell: the advice its name
    gives (a transport proxy, a variant)."""
    return [TYPE_ADVICE.finding(a) for a in model.advice(name)]


def affects(families: list[Family], prefix: str, release: Version) -> Finding:
    """A107: which machine types an entry in <prefix>_compat_<release> reaches."""
    names = [f"{f.name} {f.spec.prefix}-{release}" for f in families
             if prefix in f.spec.arrays and any(b.version <= release for b in f.blocks)]
    return AFFECTS.finding(f"affects the {release} machine types and older: {', '.join(names)}")


def already_present(function: str, statements: str, path: str, line: int,
                    family: str) -> Finding:
    """A108: nothing to add."""
    return ALREADY_PRESENT.finding(f"{function} already has {statements}", path=path,
                                   line=line, family=family)


def judge_other_arrays(model: QomModel, pairs: list[ArrayPair], target: ArrayPair, newest: Version,
                       name: str, prop: str) -> list[Finding]:
    """A105 and A106: an older array that keeps its own value of the same type and
    property for its machine types, or a newer one whose value the new entry replaces
    for the older types (older arrays are added last)."""
    out = []
    for pair in pairs:
        if pair is target or pair.version >= newest:
            continue
        for e, _ in entry_nodes(pair)[1]:
            if (model.device_name(e.driver) or e.driver) != name or e.property_name != prop:
                continue
            where = f"({e.where})"
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
