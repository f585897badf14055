"""`qscaffold lint`: is each compat entry right?  Every entry of every GlobalProperty array
a machine type applies, checked against the QOM model of the tree.

QEMU applies compat properties with &error_abort: an entry on a type without that
property aborts QEMU when such a device is created on an older machine type; an entry on
a type that does not exist does nothing.  Where the model cannot tell, lint says so
(info) and never reports an error.
"""
from __future__ import annotations

import bisect

import re
from collections.abc import Callable
from typing import NamedTuple

from scaffold.rules.fixtures import NEWER, by_hand, with_entry
from scaffold.rules.registry import EntryRef, Finding, Rule, ordered, register_for
from scaffold.reading.qom.entries import Entry
from scaffold.reading import csyntax
from scaffold.version import current_release, in_development, Version, parse_tree_version
from scaffold.reading.history import Added
from scaffold.reading.machines import Family
from scaffold.reading.qom.model import Prop, QomModel

register = register_for("lint")   # each rule of this module is lint's

VERSIONED = re.compile(r"(hw|pc)_compat_(\d+)_(\d+)$")
_INT_RANGES = {"uint8": (0, 2**8 - 1), "uint16": (0, 2**16 - 1), "uint32": (0, 2**32 - 1),
               "uint64": (0, 2**64 - 1), "int32": (-2**31, 2**31 - 1),
               "int64": (-2**63, 2**63 - 1)}
_SIZE = re.compile(r"\d+(?:\.\d+)?\s*[kKmMgGtTpPeE]?[bB]?")

# -- the rules this module judges (L: each compat entry against the QOM model)

ENTRY_TYPE_UNKNOWN = register(Rule("L101", "entry-type-unknown", "error", "an entry names a type the tree does not register",
    "QEMU ignores a compat entry whose type does not exist: the old behaviour the entry "
    "was meant to keep is lost, silently, on every older machine type.",
    fixture=with_entry('    { "virtio-blk-devicee", "num-queues", "1" },\n')))
ENTRY_PROPERTY_MISSING = register(Rule("L102", "entry-property-missing", "error",
    "an entry's type (with its parents) has no such property, and the entry is not optional",
    "Compat properties are applied with &error_abort: creating such a device on an older "
    "machine type aborts QEMU. An entry on an abstract parent is fine when every "
    "concrete subtype has the property.",
    fixture=with_entry('    { "virtio-blk-device", "num-queue", "1" },\n')))
ENTRY_VALUE_INVALID = register(Rule("L103", "entry-value-invalid", "error", "an entry's value cannot be parsed by the property's kind",
    "The value is parsed when a device is created, with &error_abort: QEMU aborts.",
    fixture=with_entry('    { "virtio-blk-device", "num-queues", "many" },\n')))
ENTRY_ALIAS = register(Rule("L201", "entry-alias", "warning",
    "the type has the property only as an alias of a child device's (a virtio proxy)",
    "An entry on virtio-X-pci reaches virtio-X-device's property through the proxy's "
    "alias, so the ccw and mmio transports keep the new default: name the device.",
    fixture=with_entry('    { "virtio-blk-pci", "queue-size", "64" },\n')))
ENTRY_VARIANT_ONLY = register(Rule("L202", "entry-variant-only", "warning",
    "the entry names one subtype while the property sits on a parent with a few others",
    "virtio-X-pci, -transitional and -non-transitional share virtio-X-pci-base, qxl and "
    "qxl-vga share pci-qxl: an entry on one leaves the others with the new default. "
    "Quiet when the same array names the others too; parents with more than 8 concrete "
    "subtypes (pci-device) are not counted.",
    fixture=with_entry('    { "virtio-blk-pci", "vectors", "3" },\n')))
ENTRY_CONDITIONAL = register(Rule("L203", "entry-conditional", "warning",
    "the property exists only under a build condition",
    "In a build without it the entry names a missing property: QEMU aborts there.",
    fixture=with_entry('    { "virtio-blk-device", "scsi", "true" },\n')))
ENTRY_DUPLICATE = register(Rule("L204", "entry-duplicate", "warning", "the same type and property twice in one array",
    "The later value wins silently; one of the two is a mistake or noise.",
    fixture=with_entry(NEWER)))
ENTRY_REDUNDANT = register(Rule("L205", "entry-redundant", "warning",
    "an older array repeats the value the next newer array already sets",
    "Older arrays are added after newer ones, and the newer one applies to the older "
    "machine types too: the older entry changes nothing.",
    fixture=with_entry('    { TYPE_VIRTIO_BLK, "queue-size", "128" },\n')))
ENTRY_WRONG_RELEASE = register(Rule("L206", "entry-wrong-release", "warning",
    "an entry added since --since REV sits in an array other than the one for the "
    "release before its cycle",
    "A change made during the X.Y cycle keeps the old behaviour on the machine types of "
    "the releases before it: it goes into the array of the release that just shipped. "
    "An older array is right only when the property itself changed in that older cycle "
    "(a late fix); lint looks for that in the property's own history.",
    fixture=by_hand("test_lint::test_since_names_an_entry_in_the_wrong_release_and_explains_a_late_fix")))
OPTION_WRONG_RELEASE = register(Rule("L207", "option-wrong-release", "warning",
    "a statement added since --since REV sits in an older version's options function "
    "than the release before its cycle",
    "A machine-option change of the X.Y+1 cycle keeps the old behaviour on X.Y and older "
    "machine types, so it goes into X.Y's options function (qscaffold compat "
    "machine-option does that); in an older one, the X.Y types get the new behaviour.",
    fixture=by_hand("test_lint::test_since_names_a_machine_option_in_an_older_version")))
ENTRY_OLDER_RELEASE = register(Rule("L902", "entry-older-release", "info",
    "an entry added to an older release's array, explained by its property's history",
    "The property changed in that older cycle, so the older array is where the fix "
    "belongs.",
    fixture=by_hand("test_lint::test_since_names_an_entry_in_the_wrong_release_and_explains_a_late_fix")))
ENTRY_CANNOT_TELL = register(Rule("L901", "entry-cannot-tell", "info", "the model cannot tell what an entry names",
    "A name built by code the model does not follow (a loop, a macro it cannot expand). "
    "Nothing is claimed about it; `qscaffold qom` shows what the model knows.",
    fixture=with_entry('    { "e1000", "mitigation", "off" },\n')))



def _finding(rule: Rule, entry: Entry, message: str, fix: str = "") -> Finding:
    value = csyntax.c_string(entry.value) if entry.value.startswith('"') else entry.value
    return rule.finding(f"{entry.array}: {entry.text}: {message}", fix, path=entry.path,
                        line=entry.line, entry=EntryRef(entry.array, entry.driver_name,
                                                        entry.property_name, value))


def lint(model: QomModel, entries: list[Entry]) -> list[Finding]:
    out: list[Finding] = []
    for entry in entries:
        out += judge_entry(model, entry, entries)
    out += _duplicates(model, entries)
    out += _redundant(model, entries)
    return ordered(out)


def _literal(model: QomModel, expr: str) -> list[str] | None:
    """What a C expression of an entry names (strings, macros); None: cannot tell."""
    return model.resolve(expr)


def judge_entry(model: QomModel, entry: Entry, entries: list[Entry]) -> list[Finding]:
    """lint's rules on one entry: what it names first (L901, L101), then whether the
    property is there (L102), then the judgements of a property that is (one function a
    rule, each quiet or one finding)."""
    named = _named(model, entry)
    if isinstance(named, Finding):
        return [named]
    type_name, prop = named
    found = model.property(type_name, prop)
    if found is None:
        missing = _property_missing(model, entry, type_name, prop)
        return [missing] if missing is not None else []
    owner, p = found
    subject = _Subject(model, entries, entry, type_name, prop, owner, p)
    found_all = [f for rule in (_alias, _variant_only, _conditional, _value_invalid)
                 if (f := rule(subject)) is not None]
    if any(f.kind == ENTRY_ALIAS.name for f in found_all):
        # the alias's owner covers every transport, the pci variants L202 names too: one fix
        found_all = [f for f in found_all if f.kind != ENTRY_VARIANT_ONLY.name]
    return found_all


_NAME_INSTEAD = re.compile(r"name (\S+) instead")


def corrected_type(finding: Finding) -> str | None:
    """The type L201's or L202's fix names instead of the entry's (the one that covers
    every transport), or None."""
    if finding.kind not in (ENTRY_ALIAS.name, ENTRY_VARIANT_ONLY.name):
        return None
    m = _NAME_INSTEAD.match(finding.fix)
    return m.group(1) if m else None


class _Subject(NamedTuple):
    """An entry whose type and property the model knows: what each rule looks at."""

    model: QomModel
    entries: list[Entry]
    entry: Entry
    type_name: str
    prop: str
    owner: str        # the type that defines the property
    p: Prop


def _named(model: QomModel, entry: Entry) -> Finding | tuple[str, str]:
    """(type, property) the entry names, or why they cannot be judged (L901, L101)."""
    types = _literal(model, entry.driver)
    props = _literal(model, entry.prop)
    if types is None or props is None:
        what = entry.driver if types is None else entry.prop
        return _finding(ENTRY_CANNOT_TELL, entry, f"the model cannot tell what {what} names")
    known = [t for t in types if t in model.types]
    if known:
        return known[0], props[0]
    if any(t in model.names for t in types):
        return _finding(ENTRY_CANNOT_TELL, entry, f"{types[0]} is registered by code the model "
                        "does not follow (a loop); its properties are not checked")
    return _finding(ENTRY_TYPE_UNKNOWN, entry, f"no type {types[0]} in this tree: the entry "
                    "does nothing", f"name an existing type (qscaffold qom --property {props[0]})")


def _property_missing(model: QomModel, entry: Entry, type_name: str, prop: str) -> Finding | None:
    """L102: the type has no such property (QEMU aborts), unless the entry is optional or
    every concrete subtype defines it."""
    if entry.optional:
        return None
    concrete = model.concrete(type_name)
    below = [t for t in concrete if model.property(t, prop)]
    if below and len(below) == len(concrete):
        return None   # every concrete subtype defines it (a shared macro): fine
    owners = model.owners(prop)
    if prop in model.unplaced and not owners:
        return _finding(ENTRY_CANNOT_TELL, entry, f"{prop} is defined in "
                        f"{model.unplaced[prop]}, which no type the model knows binds")
    if below:
        left = [t for t in concrete if t not in below]
        return _finding(ENTRY_PROPERTY_MISSING, entry, f"{prop} is defined on "
                        f"{', '.join(below[:4])} but not on {', '.join(left[:4])}, which "
                        f"{type_name} also covers: QEMU aborts when one is created",
                        "name the types that have it, or mark the entry .optional")
    where = f"; types that have it: {', '.join(owners[:5])}" if owners else \
        "; no type in this tree has it"
    return _finding(ENTRY_PROPERTY_MISSING, entry, f"{type_name} has no property {prop}{where}",
                    f"name the type that owns it (qscaffold qom --property {prop})")


def _alias(s: _Subject) -> Finding | None:
    """L201: a proxy's alias of its child's property leaves the other transports out."""
    alias_of = s.p.alias_of
    if alias_of is None or alias_of.type is None:
        return None
    target = alias_of.type
    if _also_set(s.model, s.entries, s.entry, target, s.prop):
        return None
    transports = [t for t in s.model.types if t != s.type_name and
                  any(target in s.model.types[a].alias_all for a in s.model.ancestors(t))]
    left = sorted(set(t for t in transports if not s.model.types[t].abstract))
    return _finding(ENTRY_ALIAS, s.entry, f"{s.type_name} has {s.prop} only as an alias of "
                    f"{target}'s; the entry leaves out "
                    f"{', '.join(left[:4]) or 'the other transports'}", f"name {target} instead")


def _variant_only(s: _Subject) -> Finding | None:
    """L202: one of a parent's few variants named, the others left out."""
    siblings = _siblings(s.model, s.owner, s.type_name)
    if not siblings:
        return None
    same = {(e.array, d) for e in s.entries for d in (_literal(s.model, e.driver) or [])
            if e.array == s.entry.array and _first(s.model, e.prop) == s.prop}
    left = [v for v in siblings if (s.entry.array, v) not in same and
            (s.entry.array, s.owner) not in same]
    if not left:
        return None
    return _finding(ENTRY_VARIANT_ONLY, s.entry, f"{s.prop} is defined on {s.owner}; the entry "
                    f"names {s.type_name} only and leaves out {', '.join(left)}",
                    f"name {s.owner} instead, or the others too")


def _conditional(s: _Subject) -> Finding | None:
    """L203: the property exists only in some builds."""
    if not s.p.cond or any(c.is_else for c in s.p.cond):
        return None
    return _finding(ENTRY_CONDITIONAL, s.entry, f"{s.owner}'s {s.prop} exists only under "
                    f"{' / '.join(map(str, s.p.cond))} ({s.p.where})", "check the entry applies in every build")


def _value_invalid(s: _Subject) -> Finding | None:
    """L103: the value does not parse as the property's kind (QEMU aborts)."""
    value = _literal(s.model, s.entry.value)
    if value is None or _parses(s.p.kind, value[0]):
        return None
    return _finding(ENTRY_VALUE_INVALID, s.entry, f"{value[0]!r} is not a value of {s.prop}'s "
                    f"kind {s.p.kind} ({s.p.where})", "write a valid value")


# An abstract parent with more concrete subtypes than this is a broad base (pci-device,
# device): an entry naming one of its devices is the norm, not a subtype left out.
_FEW = 8


def _siblings(model: QomModel, owner: str, type_name: str) -> list[str]:
    """The other concrete types that share `owner`'s property with `type_name`: the
    virtio-pci variants of a base, or the few concrete subtypes of an abstract parent."""
    base = model.types.get(owner)
    if base is None or owner == type_name:
        return []
    group = base.variants or (model.concrete(owner) if base.abstract else [])
    if type_name not in group or not 2 <= len(group) <= _FEW:
        return []
    return [t for t in group if t != type_name]


def _also_set(model: QomModel, entries: list[Entry], entry: Entry, target: str,
              prop: str) -> bool:
    """The same array sets `prop` on `target` (or a type it descends from) too."""
    above = set(model.ancestors(target))
    return any(e.array == entry.array and e.path == entry.path and
               set(_literal(model, e.driver) or []) & above and
               _first(model, e.prop) == prop for e in entries)


def _first(model: QomModel, expr: str) -> str | None:
    names = _literal(model, expr)
    return names[0] if names else None


def _parses(kind: str, value: str) -> bool:
    text = value.strip()
    if kind == "bool":
        return text.lower() in ("on", "off", "yes", "no", "true", "false")
    if kind in _INT_RANGES:
        try:
            number = int(text, 0)
        except ValueError:
            return False
        low, high = _INT_RANGES[kind]
        return low <= number <= high
    if kind in ("size", "size32"):
        return bool(_SIZE.fullmatch(text)) or text.startswith("0x")
    if kind == "OnOffAuto":
        return text in ("on", "off", "auto")
    return True   # strings, enums through a PropertyInfo: cannot tell, so accepted


def _key(model: QomModel, entry: Entry) -> tuple[str, str] | None:
    types, props = _literal(model, entry.driver), _literal(model, entry.prop)
    return (types[0], props[0]) if types and props else None


def _duplicates(model: QomModel, entries: list[Entry]) -> list[Finding]:
    out: list[Finding] = []
    seen: dict[tuple[str, str, int, tuple[str, str]], Entry] = {}
    for entry in entries:
        key = _key(model, entry)
        if key is None:
            continue
        scope = (entry.path, entry.array, entry.array_line, key)
        if scope in seen:
            first = seen[scope]
            out.append(_finding(ENTRY_DUPLICATE, entry, f"{key[0]} {key[1]} is "
                                f"set twice in {entry.array} (also line {first.line})",
                                "keep one"))
        else:
            seen[scope] = entry
    return out


def _redundant(model: QomModel, entries: list[Entry]) -> list[Finding]:
    """The same type, property and value in an older and a newer array of the same prefix:
    the newer one already applies to the older machine types."""
    versioned = []
    for entry in entries:
        m = VERSIONED.fullmatch(entry.array)
        key = _key(model, entry)
        if m and key is not None:
            version = (int(m.group(2)), int(m.group(3)))
            versioned.append((entry, m.group(1), version, key))
    # per (prefix, type, property): its entries sorted by version, so that the next newer
    # one is a bisection away (a scan of every entry for each made lint quadratic: 20,000
    # entries took two minutes)
    groups: dict[tuple[str, object], list[tuple[tuple[int, int], Entry]]] = {}
    for entry, prefix, version, key in versioned:
        groups.setdefault((prefix, key), []).append((version, entry))
    versions: dict[tuple[str, object], list[tuple[int, int]]] = {}
    for group_key, group in groups.items():
        group.sort()
        versions[group_key] = [v for v, _ in group]
    out = []
    for entry, prefix, version, key in versioned:
        value = csyntax.c_string(entry.value) if entry.value.startswith('"') else entry.value
        group = groups[(prefix, key)]
        at = bisect.bisect_right(versions[(prefix, key)], version)
        if at == len(group):
            continue
        v, e = group[at]
        other = csyntax.c_string(e.value) if e.value.startswith('"') else e.value
        if other == value:
            out.append(_finding(ENTRY_REDUNDANT, entry, f"the newer {e.array} sets "
                                f"{key[0]} {key[1]} = {other} too ({e.path}:{e.line}), and "
                                "applies to these machine types already", "remove this one"))
    return out


# (path, line) -> (the commit that last changed it, VERSION at that commit)


def judge_since(model: QomModel, entries: list[Entry], added: Added,
                changed_in: Callable[[str, Version], bool]) -> list[Finding]:
    """Entries added since a commit, in an array other than the one for the release before
    the cycle they were added in.  `added`: (path, line) -> (commit, VERSION then);
    `changed_in(prop, cycle)`: whether the property's own git history changed in that
    release's cycle."""
    out = []
    for entry in entries:
        found = added.get((entry.path, entry.line))
        m = VERSIONED.fullmatch(entry.array)
        if found is None or m is None:
            continue
        commit, version_text = found
        tree_version = parse_tree_version(version_text or "")
        if tree_version is None or not in_development(tree_version):
            continue   # a stable branch's backport: its arrays are released ones
        cycle = current_release(tree_version)
        expected = cycle.prev()
        release = Version(int(m.group(2)), int(m.group(3)))
        if release == expected:
            continue
        prop = _first(model, entry.prop) or entry.prop
        if changed_in(prop, release.next()):
            out.append(_finding(ENTRY_OLDER_RELEASE, entry, f"added in the {cycle} "
                                f"cycle ({commit[:12]}) to {entry.array}: right, {prop} "
                                f"changed in the {release.next()} cycle"))
            continue
        where = f"{m.group(1)}_compat_{expected.underscored}"
        out.append(_finding(ENTRY_WRONG_RELEASE, entry, f"added in the {cycle} "
                            f"cycle ({commit[:12]}, VERSION {'.'.join(map(str, tree_version))})"
                            f" to {entry.array}, but {prop}'s history shows no change in the "
                            f"{release.next()} cycle", f"a change of this cycle belongs in {where}"))
    return out


def judge_options_since(families: list[Family], added: Added) -> list[Finding]:
    """Statements changed after a commit in a versioned options function other than the
    one of the release before the cycle they were made in (compat machine-option's
    target).  The newest version's functions are the cycle's own machine types: left out."""
    out = []
    for family in families:
        newest = family.newest_block.version
        for block in family.blocks[1:]:
            for fn in block.functions.values():
                first, last = family.file.line(fn.start), family.file.line(fn.end)
                for line in range(first + 1, last):   # the body, not the signature
                    found = added.get((family.file.rel, line))
                    if found is None:
                        continue
                    tree_version = parse_tree_version(found[1] or "")
                    if tree_version is None or not in_development(tree_version):
                        continue
                    cycle = current_release(tree_version)
                    if block.version == cycle.prev() or cycle > newest:
                        continue
                    text = family.file.data.split(b"\n")[line - 1].decode("utf-8", "replace")
                    out.append(OPTION_WRONG_RELEASE.finding(
                        f"{fn.name}: `{text.strip()}` was added in the {cycle} cycle "
                        f"({found[0][:12]}) to the {block.version} machine types, not to "
                        f"{cycle.prev()}'s", f"qscaffold compat machine-option --release "
                        f"{cycle.prev()}", path=family.file.rel, line=line, family=family.name,
                        version=str(block.version)))
                    break   # one finding a function
    return out
