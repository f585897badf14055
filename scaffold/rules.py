"""The catalogue of rules: every kind of finding qscaffold reports, with why it matters.

C: `check`, the compat chain of versioned machine types.  A: `compat add`'s advice.
L: `lint`, each compat entry against the QOM model of the tree.
Each rule has fixtures that make it fire and stay quiet (tests/test_rules.py), and
docs/rules.md is this table (a test keeps them equal).
"""
from __future__ import annotations

from scaffold.findings import Rule

RULES = [
    # -- the chain: each version's options call the next newer version's first
    Rule("C101", "chain-missing", "error",
         "an options function does not call the next newer version's options",
         "Each versioned machine type is the next newer one plus compat properties. Without "
         "the call, the machine type loses every default set by newer versions: the guest "
         "sees different hardware, and migration from an older QEMU breaks (arm virt, 5.x)."),
    Rule("C102", "chain-base", "error",
         "an options function calls the family's base options instead of the newer version's",
         "The base options carry only what every version shares; the newer versions' settings "
         "are skipped, so the machine type changes under the guest (x86, the 7.0 bump)."),
    Rule("C103", "chain-wrong", "error",
         "an options function calls another version than the next newer one",
         "Skipping a version skips its compat arrays and settings; calling an older one loops "
         "or applies its arrays to newer types. Either changes what the guest sees."),
    Rule("C104", "chain-param", "error",
         "an options function passes something other than its own parameter down the chain",
         "The newer version's options must change this machine class; with another argument "
         "they change some other object and this machine type loses them."),
    Rule("C105", "chain-bugfix", "info",
         "an options function chains through a bugfix machine (q35 4.0 through 4.0.1)",
         "QEMU's q35 4.0 gets its compat properties through the 4.0.1 bugfix machine on "
         "purpose; the chain is checked through it."),
    # -- each version adds its own release's compat arrays, once
    Rule("C201", "compat-missing", "error",
         "an older version's options do not add its release's compat arrays",
         "hw_compat_X_Y and pc_compat_X_Y hold what changed after X.Y; the X.Y machine type "
         "must add them or the guest sees newer defaults and migration breaks (arm virt, 6.1)."),
    Rule("C202", "compat-duplicate", "warning",
         "an options function adds the same compat array more than once",
         "Adding the same values twice changes nothing a guest sees and builds; it is noise a "
         "merge usually left."),
    Rule("C203", "compat-foreign", "error",
         "an options function adds another version's compat array (or the newest adds any)",
         "The array then applies to the wrong machine types: those of a release that never "
         "had those defaults change, or the newest, which must have no compat properties."),
    # -- every version is complete and registered
    Rule("C301", "function-missing", "error",
         "a version lacks one of the family's options functions",
         "Families with class and instance options (pc, spapr, s390x) need both per version; "
         "the registration macro names both and the tree would not build."),
    Rule("C302", "registration-missing", "error",
         "a version has options functions but no registration macro",
         "A static options function nothing registers is unused: -Werror fails the build, and "
         "the machine type does not exist."),
    Rule("C303", "latest-missing", "error",
         "the newest version is not marked as the latest (alias/default)",
         "`-machine pc`, `virt` or the default machine would start an older machine type "
         "than the newest: a changed default for every guest started without a version."),
    Rule("C304", "latest-extra", "error",
         "more than one version is marked as the latest",
         "Two machine types claim the same alias: QEMU picks one by registration order, so "
         "the default machine type is not the one intended."),
    Rule("C305", "function-unregistered", "error",
         "an options function names a version newer than every registration",
         "Usually a typo in a function name. The static function is called by nothing, so "
         "-Werror fails the build; it is not a new release."),
    # -- compat arrays: defined, declared, sized, used
    Rule("C401", "array-len", "error", "a compat array has no _len constant after it",
         "compat_props_add() takes the array and its length; without X_len the call does not "
         "compile.", "warning when no machine type adds the array (nothing can fail to build)"),
    Rule("C402", "extern-missing", "error", "a compat array is defined but not declared",
         "Board files see the array through its extern in boards.h or pc.h; without it they do "
         "not compile.", "warning when no machine type adds the array"),
    Rule("C403", "definition-missing", "error", "a compat array is used but defined nowhere",
         "The extern compiles, but the reference does not link."),
    Rule("C404", "stale-declaration", "warning",
         "a compat array is declared but defined and used nowhere",
         "Dead text that compiles (8.1.50 to 9.2 carried some); `qscaffold retire` removes it."),
    Rule("C405", "extern-len", "error", "a compat array's declaration has no _len declaration",
         "Board files pass X_len to compat_props_add(); without its extern they do not compile.",
         "warning when no machine type adds the array"),
    Rule("C406", "array-undefined", "error",
         "an options function adds an array defined and declared nowhere",
         "The call does not compile."),
    Rule("C407", "array-unused", "info", "no machine type adds a compat array",
         "Left by a removal of machine types: harmless, and `qscaffold retire` removes it.",
         "warning when the array belongs to the newest machine types, which must have none"),
    # -- the tree's versions agree
    Rule("C501", "families-disagree", "error",
         "the families' newest machine types are of different releases",
         "A bump that skipped a family: that family's newest type is missing for the release, "
         "and its compat arrays go unused."),
    Rule("C502", "array-missing", "warning",
         "the release before the newest machine types has no compat array",
         "Changes made during the cycle need hw_compat/pc_compat of the previous release; "
         "`qscaffold bump` adds them."),
    Rule("C503", "bump-pending", "pending",
         "VERSION is past the newest machine types: the cycle's bump is due",
         "In a development cycle (VERSION X.Y.50) the X.Y+1 machine types should exist so that "
         "changes can be made compatible; this fails `check` until `qscaffold bump` runs."),
    Rule("C504", "version-behind", "warning",
         "the newest machine types are newer than VERSION implies",
         "Usually a bump made before VERSION moved; nothing breaks."),
    # -- what the reader saw and left alone
    Rule("C901", "family-unknown", "info",
         "a file registers versioned machine types of no family qscaffold knows",
         "A downstream or new family: qscaffold leaves it alone rather than guess its shape."),
    Rule("C902", "family-disabled", "info",
         "a family's registrations are disabled by `#if 0`",
         "Downstream trees disable upstream machine types this way; they are left alone."),
    # -- compat add's advice about the entry it writes
    Rule("A101", "stable-branch", "warning",
         "VERSION is a stable branch: the entry changes released machine types",
         "On a stable branch every compat array belongs to a released machine type; changing "
         "one changes what guests of that release see."),
    Rule("A102", "type-unknown", "warning",
         "the entry names a type this tree does not declare (--force)",
         "QEMU ignores a compat entry whose type does not exist: the entry does nothing."),
    Rule("A103", "property-unknown", "warning",
         "no type in this tree declares the entry's property (--force)",
         "QEMU applies compat properties with &error_abort: an entry on a type without the "
         "property aborts QEMU when such a device is created on an older machine type."),
    Rule("A104", "type-advice", "warning",
         "the entry names a transport proxy or variant, not the type that owns the property",
         "An entry on virtio-X-pci leaves the ccw and mmio transports out; the seed's advice: "
         "use virtio-X-device."),
    Rule("A105", "older-entry", "info",
         "an older array sets the same type and property",
         "Older arrays are added last, so their value still wins for their machine types."),
    Rule("A106", "newer-entry", "warning",
         "a newer array already sets the same type and property",
         "Older arrays are added last: the new entry replaces the newer array's value for the "
         "older machine types, which may not be what was meant."),
    Rule("A107", "affects", "info", "which machine types the entry changes",
         "A compat entry applies to its release's machine types and every older one."),
    Rule("A108", "already-present", "info",
         "the machine-option statements are already in the function",
         "Nothing to add: a re-run after a partial change, or a duplicate request."),

    # -- lint: is each compat entry right? (against the QOM model of the tree)
    Rule("L101", "entry-type-unknown", "error", "an entry names a type the tree does not register",
         "QEMU ignores a compat entry whose type does not exist: the old behaviour the entry "
         "was meant to keep is lost, silently, on every older machine type."),
    Rule("L102", "entry-property-missing", "error",
         "an entry's type (with its parents) has no such property, and the entry is not optional",
         "Compat properties are applied with &error_abort: creating such a device on an older "
         "machine type aborts QEMU. An entry on an abstract parent is fine when every "
         "concrete subtype has the property."),
    Rule("L103", "entry-value-invalid", "error", "an entry's value cannot be parsed by the property's kind",
         "The value is parsed when a device is created, with &error_abort: QEMU aborts."),
    Rule("L201", "entry-alias", "warning",
         "the type has the property only as an alias of a child device's (a virtio proxy)",
         "An entry on virtio-X-pci reaches virtio-X-device's property through the proxy's "
         "alias, so the ccw and mmio transports keep the new default: name the device."),
    Rule("L202", "entry-variant-only", "warning",
         "the entry names one subtype while the property sits on a parent with a few others",
         "virtio-X-pci, -transitional and -non-transitional share virtio-X-pci-base, qxl and "
         "qxl-vga share pci-qxl: an entry on one leaves the others with the new default. "
         "Quiet when the same array names the others too; parents with more than 8 concrete "
         "subtypes (pci-device) are not counted."),
    Rule("L203", "entry-conditional", "warning",
         "the property exists only under a build condition",
         "In a build without it the entry names a missing property: QEMU aborts there."),
    Rule("L204", "entry-duplicate", "warning", "the same type and property twice in one array",
         "The later value wins silently; one of the two is a mistake or noise."),
    Rule("L205", "entry-redundant", "warning",
         "an older array repeats the value the next newer array already sets",
         "Older arrays are added after newer ones, and the newer one applies to the older "
         "machine types too: the older entry changes nothing."),
    Rule("L206", "entry-wrong-release", "warning",
         "an entry added since --since REV sits in an array other than the one for the "
         "release before its cycle",
         "A change made during the X.Y cycle keeps the old behaviour on the machine types of "
         "the releases before it: it goes into the array of the release that just shipped. "
         "An older array is right only when the property itself changed in that older cycle "
         "(a late fix); lint looks for that in the property's own history."),
    Rule("L207", "option-wrong-release", "warning",
         "a statement added since --since REV sits in an older version's options function "
         "than the release before its cycle",
         "A machine-option change of the X.Y+1 cycle keeps the old behaviour on X.Y and older "
         "machine types, so it goes into X.Y's options function (qscaffold compat "
         "machine-option does that); in an older one, the X.Y types get the new behaviour."),
    Rule("L902", "entry-older-release", "info",
         "an entry added to an older release's array, explained by its property's history",
         "The property changed in that older cycle, so the older array is where the fix "
         "belongs."),
    Rule("L901", "entry-cannot-tell", "info", "the model cannot tell what an entry names",
         "A name built by code the model does not follow (a loop, a macro it cannot expand). "
         "Nothing is claimed about it; `qscaffold qom` shows what the model knows."),
]

_BY_NAME = {r.name: r for r in RULES}
_BY_CODE = {r.code: r for r in RULES}


def by_name(name: str) -> Rule:
    return _BY_NAME[name]


def lookup(code_or_name: str) -> Rule | None:
    return _BY_CODE.get(code_or_name.upper()) or _BY_NAME.get(code_or_name)


def table() -> str:
    """docs/rules.md's table."""
    rows = ["| Code | Name | Severity | What it reports |", "|---|---|---|---|"]
    for r in RULES:
        sev = f"{r.severity} ({r.otherwise})" if r.otherwise else r.severity
        rows.append(f"| {r.code} | `{r.name}` | {sev} | {r.summary} |")
    return "\n".join(rows) + "\n"
