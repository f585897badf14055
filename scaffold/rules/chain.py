"""`qscaffold check`: verify the whole compat chain, version by version.

Each rule is a small function returning Findings.  The same rules run on the tree a
bump would write, before it is written.
"""
from __future__ import annotations

from typing import Any

from scaffold.rules.fixtures import PIIX, ADD_8_1, ADD_8_2, ARM, ARRAY_8_1, ARRAY_8_2, BOARDS, EXTERN_7_0, Fixture, MACHINE, Q35, S390, by_hand, check
from scaffold.rules.registry import Finding, Rule, failing, ordered, register
from scaffold.reading import compat_arrays
from scaffold.reading.families import Base, MarkKind
from scaffold.reading.machine_types import MachineFamily, MachineType, VendorType, main_types
from scaffold.reading.downstream import arrays_added
from scaffold.reading.reader import latest_holders, read_downstream, read_families
from scaffold.version import current_release, Version
from scaffold.reading.machines import Family, Note, OptionsFn, VersionBlock
from scaffold.reading.tree import QemuTree

def _finding(family: Family, block: VersionBlock | None, rule: Rule, message: str,
             fix: str = "", offset: int | None = None) -> Finding:
    if offset is None and block is not None:
        offset = block.start
    return rule.finding(message, fix, path=family.file.rel,
                        line=family.file.line(offset) if offset is not None else None,
                        family=family.name, version=str(block.version) if block else None)

# -- the rules this module judges (C: the compat chain of versioned machine types)

CHAIN_MISSING = register(Rule("C101", "chain-missing", "error",
    "an options function does not call the next newer version's options",
    "Each versioned machine type is the next newer one plus compat properties. Without "
    "the call, the machine type loses every default set by newer versions: the guest "
    "sees different hardware, and migration from an older QEMU breaks (arm virt, 5.x).",
    fixture=check((ARM, "    virt_machine_9_0_options(mc);\n", ""))))
CHAIN_BASE = register(Rule("C102", "chain-base", "error",
    "an options function calls the family's base options instead of the newer version's",
    "The base options carry only what every version shares; the newer versions' settings "
    "are skipped, so the machine type changes under the guest (x86, the 7.0 bump).",
    fixture=check((Q35, "    pc_q35_9_0_machine_options(m);\n", "    pc_q35_machine_options(m);\n"))))
CHAIN_WRONG = register(Rule("C103", "chain-wrong", "error",
    "an options function calls another version than the next newer one",
    "Skipping a version skips its compat arrays and settings; calling an older one loops "
    "or applies its arrays to newer types. Either changes what the guest sees.",
    fixture=check((ARM, "    virt_machine_8_2_options(mc);\n", "    virt_machine_9_0_options(mc);\n"))))
CHAIN_PARAM = register(Rule("C104", "chain-param", "error",
    "an options function passes something other than its own parameter down the chain",
    "The newer version's options must change this machine class; with another argument "
    "they change some other object and this machine type loses them.",
    fixture=check((ARM, "    virt_machine_8_2_options(mc);\n", "    virt_machine_8_2_options(NULL);\n"))))
CHAIN_BUGFIX = register(Rule("C105", "chain-bugfix", "info",
    "an options function chains through a bugfix machine (q35 4.0 through 4.0.1)",
    "QEMU's q35 4.0 gets its compat properties through the 4.0.1 bugfix machine on "
    "purpose; the chain is checked through it.",
    fixture=by_hand("test_rules::test_the_bugfix_chain_is_seen_on_real_qemu")))
COMPAT_MISSING = register(Rule("C201", "compat-missing", "error",
    "an older version's options do not add its release's compat arrays",
    "hw_compat_X_Y and pc_compat_X_Y hold what changed after X.Y; the X.Y machine type "
    "must add them or the guest sees newer defaults and migration breaks (arm virt, 6.1).",
    fixture=check((ARM, ADD_8_2, ""))))
COMPAT_DUPLICATE = register(Rule("C202", "compat-duplicate", "warning",
    "an options function adds the same compat array more than once",
    "Adding the same values twice changes nothing a guest sees and builds; it is noise a "
    "merge usually left.",
    fixture=check((ARM, ADD_8_2, ADD_8_2 * 2))))
COMPAT_FOREIGN = register(Rule("C203", "compat-foreign", "error",
    "an options function adds another version's compat array (or the newest adds any)",
    "The array then applies to the wrong machine types: those of a release that never "
    "had those defaults change, or the newest, which must have no compat properties.",
    fixture=check((ARM, "virt_machine_9_0_options(MachineClass *mc)\n{\n}",
                   "virt_machine_9_0_options(MachineClass *mc)\n{\n" + ADD_8_1 + "}"))))
FUNCTION_MISSING = register(Rule("C301", "function-missing", "error",
    "a version lacks one of the family's options functions",
    "Families with class and instance options (pc, spapr, s390x) need both per version; "
    "the registration macro names both and the tree would not build.",
    fixture=check((S390, "    ccw_machine_8_2_instance_options(machine);\n", ""),
                  (S390, "static void ccw_machine_8_1_instance_options(MachineState *machine)\n{\n",
                   "static void ccw_machine_8_1_other(MachineState *machine)\n{\n"))))
REGISTRATION_MISSING = register(Rule("C302", "registration-missing", "error",
    "a version has options functions but no registration macro",
    "A static options function nothing registers is unused: -Werror fails the build, and "
    "the machine type does not exist.",
    fixture=check((ARM, "DEFINE_VIRT_MACHINE(8, 2)\n", ""))))
LATEST_MISSING = register(Rule("C303", "latest-missing", "error",
    "the newest version is not marked as the latest (alias/default)",
    "`-machine pc`, `virt` or the default machine would start an older machine type "
    "than the newest: a changed default for every guest started without a version.",
    fixture=check((ARM, "DEFINE_VIRT_MACHINE_AS_LATEST(9, 0)", "DEFINE_VIRT_MACHINE(9, 0)"))))
LATEST_EXTRA = register(Rule("C304", "latest-extra", "error",
    "more than one version is marked as the latest",
    "Two machine types claim the same alias: QEMU picks one by registration order, so "
    "the default machine type is not the one intended.",
    fixture=check((ARM, "DEFINE_VIRT_MACHINE(8, 2)", "DEFINE_VIRT_MACHINE_AS_LATEST(8, 2)"))))
FUNCTION_UNREGISTERED = register(Rule("C305", "function-unregistered", "error",
    "an options function names a version newer than every registration",
    "Usually a typo in a function name. The static function is called by nothing, so "
    "-Werror fails the build; it is not a new release.",
    fixture=check((ARM, "virt_machine_8_1_options(MachineClass", "virt_machine_18_1_options(MachineClass"))))
ARRAY_LEN = register(Rule("C401", "array-len", "error", "a compat array has no _len constant after it",
    "compat_props_add() takes the array and its length; without X_len the call does not "
    "compile.", "warning when no machine type adds the array (nothing can fail to build)",
    other="warning",
    fixture=check((MACHINE, "const size_t hw_compat_8_2_len = G_N_ELEMENTS(hw_compat_8_2);\n", ""))))
EXTERN_MISSING = register(Rule("C402", "extern-missing", "error", "a compat array is defined but not declared",
    "Board files see the array through its extern in boards.h or pc.h; without it they do "
    "not compile.", "warning when no machine type adds the array",
    other="warning",
    fixture=check((BOARDS, "extern GlobalProperty hw_compat_8_2[];\nextern const size_t hw_compat_8_2_len;\n", ""))))
DEFINITION_MISSING = register(Rule("C403", "definition-missing", "error", "a compat array is used but defined nowhere",
    "The extern compiles, but the reference does not link.",
    fixture=check((MACHINE, ARRAY_8_1, ""))))
STALE_DECLARATION = register(Rule("C404", "stale-declaration", "warning",
    "a compat array is declared but defined and used nowhere",
    "Dead text that compiles (8.1.50 to 9.2 carried some); `qscaffold retire` removes it.",
    fixture=check((BOARDS, *EXTERN_7_0))))
EXTERN_LEN = register(Rule("C405", "extern-len", "error", "a compat array's declaration has no _len declaration",
    "Board files pass X_len to compat_props_add(); without its extern they do not compile.",
    "warning when no machine type adds the array",
    other="warning",
    fixture=check((BOARDS, "extern const size_t hw_compat_8_2_len;\n", ""))))
ARRAY_UNDEFINED = register(Rule("C406", "array-undefined", "error",
    "an options function adds an array defined and declared nowhere",
    "The call does not compile.",
    fixture=check((ARM, ADD_8_1, ADD_8_1.replace("8_1", "7_1")))))
ARRAY_UNUSED = register(Rule("C407", "array-unused", "info", "no machine type adds a compat array",
    "Left by a removal of machine types: harmless, and `qscaffold retire` removes it.",
    "warning when the array belongs to the newest machine types, which must have none",
    other="warning",
    fixture=check((MACHINE, ARRAY_8_1, ARRAY_8_1 + ARRAY_8_1.replace("8_1", "7_0")), (BOARDS, *EXTERN_7_0))))
FAMILIES_DISAGREE = register(Rule("C501", "families-disagree", "error",
    "the families' newest machine types are of different releases",
    "A bump that skipped a family: that family's newest type is missing for the release, "
    "and its compat arrays go unused.",
    fixture=check((ARM, "static void virt_machine_9_0_options(MachineClass *mc)\n{\n}\n"
                   "DEFINE_VIRT_MACHINE_AS_LATEST(9, 0)\n", ""),
                  (ARM, "    virt_machine_9_0_options(mc);\n", ""),
                  (ARM, "DEFINE_VIRT_MACHINE(8, 2)", "DEFINE_VIRT_MACHINE_AS_LATEST(8, 2)"),
                  (ARM, ADD_8_2, ""))))
ARRAY_MISSING = register(Rule("C502", "array-missing", "warning",
    "the release before the newest machine types has no compat array",
    "Changes made during the cycle need hw_compat/pc_compat of the previous release; "
    "`qscaffold bump` adds them.",
    fixture=check((MACHINE, ARRAY_8_2, ""))))
BUMP_PENDING = register(Rule("C503", "bump-pending", "pending",
    "VERSION is past the newest machine types: the cycle's bump is due",
    "In a development cycle (VERSION X.Y.50) the X.Y+1 machine types should exist so that "
    "changes can be made compatible; this fails `check` until `qscaffold bump` runs.",
    fixture=check(("VERSION", "9.0.0", "9.0.50"))))
VERSION_BEHIND = register(Rule("C504", "version-behind", "warning",
    "the newest machine types are newer than VERSION implies",
    "Usually a bump made before VERSION moved; nothing breaks.",
    fixture=check(("VERSION", "9.0.0", "8.1.50"))))
VERSION_UNREADABLE = register(Rule("C505", "version-unreadable", "warning",
    "VERSION is missing, unreadable or not a version: whether a bump is due cannot be told",
    "The tree's VERSION file (10.2.50) says where the cycle is; without it `check` cannot "
    "say that the cycle's bump is pending (C503) or that the types run ahead (C504).",
    fixture=check(("VERSION", "9.0.0", "nine"))))
DOWNSTREAM_BASE = register(Rule("C107", "downstream-base", "error",
    "a vendor type's options reach no upstream options function the tree defines",
    "A distribution that names its types by release (Ubuntu's pc-q35-jammy) makes each "
    "one a thin copy of the upstream type of the QEMU it shipped: its options call that "
    "upstream version's options. Without the call, or with a call of a version the tree "
    "no longer has, the type is not what it claims to be, or does not compile.",
    fixture=Fixture("ubuntu-codenames", ((Q35, "    pc_q35_6_2_machine_options(m);\n"
                                          "    m->desc = \"Ubuntu 22.04",
                                          "    m->desc = \"Ubuntu 22.04"),))))
DOWNSTREAM_VARIANT = register(Rule("C109", "downstream-variant-base", "warning",
    "a variant reaches another upstream version than its release's type",
    "A variant (pc-q35-jammy-hpb) is its release's type with one setting changed; if it "
    "calls another upstream version's options than that type, its guests see other "
    "hardware besides that setting. Ubuntu shipped pc-i440fx-hirsute-hpb on 5.1's options "
    "while pc-i440fx-hirsute has 5.2's: a shipped type keeps what it shipped, but a new "
    "variant should not repeat it.",
    fixture=Fixture("ubuntu-codenames", ((Q35, "    pc_q35_6_0_machine_options(m);\n"
                                          "    m->desc = \"Ubuntu 21.10 PC (Q35 + ICH9, +host",
                                          "    pc_q35_6_1_machine_options(m);\n"
                                          "    m->desc = \"Ubuntu 21.10 PC (Q35 + ICH9, +host"),))))
FAMILY_UNKNOWN = register(Rule("C901", "family-unknown", "warning",
    "a family's file registers a machine type no family reads",
    "A registration no family claims is neither checked nor bumped: a downstream's own "
    "types, or a family nobody described. Describe it in a families file "
    "(docs/families.md) so that qscaffold reads it; until then it is said, not dropped.",
    fixture=check((ARM, "DEFINE_VIRT_MACHINE(8, 2)\n", "DEFINE_VIRT_MACHINE(8, 2)\n\n"
                   "DEFINE_ACME_MACHINE(acme100, \"virt-acme1.0.0\", true);\n"))))
FAMILY_DISABLED = register(Rule("C902", "family-disabled", "info",
    "a family's registrations are disabled by `#if 0`",
    "Downstream trees disable upstream machine types this way; they are left alone.",
    fixture=Fixture("downstream-if0", quiet_on="layout-9.0")))
REGISTRATION_OTHER = register(Rule("C903", "registration-other", "info",
    "a family's file registers a machine type of no versioned family (isapc, xenfv)",
    "Upstream keeps a few unversioned machine types beside a versioned family; they have "
    "no compat chain, and qscaffold leaves them alone (the families data names them).",
    fixture=check((PIIX, "                      pc_i440fx_8_1_machine_options);\n",
                   "                      pc_i440fx_8_1_machine_options);\n\n"
                   "DEFINE_PC_MACHINE(isapc, \"isapc\", pc_init_isa, isapc_machine_options);\n"))))



def array_name(prefix: str, version: Version) -> str:
    return f"{prefix}_compat_{version.underscored}"


def _at(family: MachineFamily[Any], t: MachineType[Any], rule: Rule, message: str,
        fix: str = "", line: int | None = None) -> Finding:
    """A finding on one type of any family, at `line` (the type's own by default)."""
    return rule.finding(message, fix, path=family.path,
                        line=t.line if line is None else line, family=family.name,
                        version=str(t.version))


def _chain_call(family: MachineFamily[Any], name: str, options: set[str]) -> bool:
    """Whether a call is a link of the family's chain: another type's options (by name,
    for a family whose names carry the version: a type the file lost is still a link),
    or the family's base options."""
    return name in options or name in family.spec.base_options or \
        any(k.match(name) for k in family.spec.kinds)


def judge_chain(family: MachineFamily[Any], older: MachineType[Any],
                newer: MachineType[Any]) -> list[Finding]:
    """`older`'s options call `newer`'s of the same kind first, with their own parameter:
    every family whose types chain to their own newer ones (upstream's, RHEL's)."""
    out = []
    options = {o for t in family.types for o in t.options if o}
    for mine, theirs in zip(older.options, newer.options):
        fn = older.functions.get(mine)
        if fn is None or not theirs:
            continue
        if fn.via is not None:  # QEMU's q35 4.0 applies its compat props through 4.0.1
            out.append(_at(family, older, CHAIN_BUGFIX,
                           f"{fn.name} chains through the bugfix machine's {fn.via.name}",
                           "", fn.line))
            fn = fn.via
        calls = [c for c in fn.calls if _chain_call(family, c.name, options)]
        fix = f"call {theirs}({fn.param}) first"
        if not calls:
            out.append(_at(family, older, CHAIN_MISSING, f"{fn.name} does not call {theirs}",
                           fix, fn.line))
            continue
        first = calls[0]
        if first.name in family.spec.base_options:
            out.append(_at(family, older, CHAIN_BASE,
                           f"{fn.name} calls the base {first.name} instead of {theirs}", fix,
                           first.line))
        elif first.name != theirs:
            out.append(_at(family, older, CHAIN_WRONG,
                           f"{fn.name} calls {first.name} instead of {theirs}", fix, first.line))
        elif list(first.args) != [fn.param]:
            out.append(_at(family, older, CHAIN_PARAM,
                           f"{fn.name} passes ({', '.join(first.args)}) to {first.name}, not "
                           f"its own parameter {fn.param}", fix, first.line))
    return out


def judge_latest(family: MachineFamily[Any], handed: bool = False) -> list[Finding]:
    """The newest type carries the family's latest mark, and only it.  `handed`: a
    vendor's type holds an upstream family's mark (Ubuntu's pseries-jammy), so its
    newest upstream type rightly carries none."""
    main = main_types(family)
    if not main:
        return []
    if family.spec.vendor and family.spec.latest.kind is MarkKind.ALIAS and \
            not any(t.alias for t in family.types):
        return []   # no type sets an alias: which one is the latest cannot be told
    newest, out = main[0], []
    markers = [t for t in family.types if t.latest]
    if not newest.latest and (markers or not handed):
        out.append(_at(family, newest, LATEST_MISSING,
                       f"the newest version {newest.version} is not marked as the latest",
                       "move the latest/default marker to it"))
    for t in markers:
        if t is not newest:
            out.append(_at(family, t, LATEST_EXTRA,
                           f"{t.version}{t.suffix} is marked as the latest too", "unmark it",
                           t.registered))
    return out


def _compat_adds(fn: OptionsFn) -> list[tuple[str, Any]]:
    """Names of the hw_/pc_compat arrays a function adds, with the call statements."""
    out = []
    for call in fn.calls:
        if call.name == "compat_props_add":
            args = call.args
            if len(args) == 3 and compat_arrays.ARRAY_NAME.match(args[1]):
                out.append((args[1], call.stmt))
    return out


def judge_compat_props(family: Family, block: VersionBlock, newest: bool,
                       defined: set[str]) -> list[Finding]:
    """An older version adds its own release's arrays exactly once; the newest adds none.

    Only arrays the tree defines are wanted: the oldest machine types predate them."""
    out = []
    for kind in family.spec.kinds:
        fn = block.functions.get(kind.role)
        if fn is None:
            continue
        fn = family.bugfix_of(fn) or fn
        adds = _compat_adds(fn)
        wanted = [] if newest or not kind.adds_compat else \
            [n for p in family.spec.arrays for n in [array_name(p, block.version)] if n in defined]
        for name in wanted:
            count = sum(1 for added, _ in adds if added == name)
            line = f"compat_props_add({fn.param}->compat_props, {name}, {name}_len);"
            if count == 0:
                out.append(_finding(family, block, COMPAT_MISSING,
                                    f"{fn.name} does not add {name}", f"add `{line}`", fn.start))
            elif count > 1:
                out.append(_finding(family, block, COMPAT_DUPLICATE,
                                    f"{fn.name} adds {name} {count} times", "keep one", fn.start))
        own = {array_name(p, block.version) for p in family.spec.arrays} if kind.adds_compat else set()
        for name, node in adds:
            if name not in wanted and not (name in own and not newest and name not in defined):
                out.append(_finding(family, block, COMPAT_FOREIGN,
                                    f"{fn.name} adds {name}, which belongs to "
                                    f"{'no version: the newest has no arrays' if newest else 'another version'}",
                                    "remove that line", node.start_byte))
    return out


def judge_shape(family: Family, block: VersionBlock) -> list[Finding]:
    out = []
    for kind in family.spec.kinds:
        if kind.role not in block.functions:
            out.append(_finding(family, block, FUNCTION_MISSING,
                                f"no {kind.role} function for {block.version}"))
    if block.macro is None and block.version not in family.disabled_versions:
        out.append(_finding(family, block, REGISTRATION_MISSING,
                            f"{block.version} has options but no {family.spec.macro}() registration"))
    return out


def judge_family(tree: QemuTree, family: MachineFamily[Any], defined: set[str],
                 handed: bool = False) -> list[Finding]:
    """Every rule on one family, upstream's or a vendor's: its latest mark; its chain,
    to its own newer types or, for a vendor whose types call upstream's options (Ubuntu),
    to upstream's; and, for a family whose versions are numbers, what each version's
    block must hold (its functions, registration and compat arrays)."""
    out = judge_latest(family, handed)
    if family.spec.base is Base.UPSTREAM:
        out += _judge_upstream_base(tree, family)
    else:
        main = main_types(family)
        for newer, older in zip(main, main[1:]):
            out += judge_chain(family, older, newer)
    if isinstance(family, Family):
        out += _judge_blocks(family, defined)
    return out


def _judge_blocks(family: Family, defined: set[str]) -> list[Finding]:
    """A numbered family's versions, block by block (upstream's)."""
    out = []
    for fn in family.unregistered:   # static and called by nothing: -Werror fails
        out.append(_finding(family, None, FUNCTION_UNREGISTERED,
                            f"{fn.name} names a version newer than every {family.spec.macro}() "
                            "registration; nothing calls it", "fix the name (a typo?) or "
                            "register its version", fn.start))
    for i, block in enumerate(family.blocks):
        out += judge_shape(family, block)
        out += judge_compat_props(family, block, i == 0, defined)
    return out


def judge_arrays(tree: QemuTree, families: list[Family]) -> list[Finding]:
    out = []
    defs = compat_arrays.all_pairs(tree, extern=False)
    decls = compat_arrays.all_pairs(tree, extern=True)
    declared = {p.name: p for p in decls}
    defined = {p.name: p for p in defs}
    adds = [(f, fn, name, stmt) for f in families
            for fn in [fn for b in f.blocks for fn in b.functions.values()] + list(f.helpers.values())
            for name, stmt in _compat_adds(fn)]
    used = {name for _, _, name, _ in adds}

    def unused(name: str) -> bool:   # what nothing uses can neither fail to build nor link
        return name not in used

    for pair in defs:
        if pair.len_name is None:
            out.append(ARRAY_LEN.finding(
                f"{pair.name} has no {pair.name}_len after it",
                f"add `const size_t {pair.name}_len = G_N_ELEMENTS({pair.name});`",
                path=pair.file.rel, line=pair.line, other=unused(pair.name)))
        if pair.name not in declared:
            out.append(EXTERN_MISSING.finding(
                f"{pair.name} is defined but not declared",
                f"add `extern GlobalProperty {pair.name}[];` and its _len",
                path=pair.file.rel, line=pair.line, other=unused(pair.name)))
    for pair in decls:
        if pair.name not in defined:
            if pair.name in used:   # a reference to it would not link
                out.append(DEFINITION_MISSING.finding(
                    f"{pair.name} is used but defined nowhere (it would not link)",
                    "define it, or stop adding it", path=pair.file.rel, line=pair.line))
            else:                   # dead text, but it compiles (8.1.50 to 9.2 carried some)
                out.append(STALE_DECLARATION.finding(
                    f"stale declaration: {pair.name} is declared but defined nowhere and used "
                    "nowhere", "remove the extern lines (qscaffold retire does)",
                    path=pair.file.rel, line=pair.line))
        elif pair.len_name is None:
            out.append(EXTERN_LEN.finding(
                f"no `extern const size_t {pair.name}_len;` after the array's declaration",
                "add it", path=pair.file.rel, line=pair.line, other=unused(pair.name)))
    for family, fn, name, stmt in adds:   # neither defined nor declared: does not compile
        if name not in defined and name not in declared:
            out.append(_finding(family, None, ARRAY_UNDEFINED,
                                f"{fn.name} adds {name}, which is defined and declared "
                                "nowhere (it would not compile)",
                                f"define {name} (and its _len), or remove the line",
                                stmt.start_byte))
    newest = max((f.newest_block.version for f in families), default=None)
    downstream = bool(read_downstream(tree)[0])
    not_ours = []   # a downstream tree: upstream's arrays its own types do not add
    ours = arrays_added(tree) if downstream else set()
    for pair in defs:
        if pair.name not in used:
            newest_types = newest is not None and pair.version >= newest
            if downstream:
                if pair.name not in ours:
                    not_ours.append(pair)
                continue
            what = f"the newest machine types ({newest}) have no arrays" if newest_types \
                else "no machine type adds it (its machine types were removed)"
            out.append(ARRAY_UNUSED.finding(f"{pair.name}: {what}",
                                            "remove it" if newest_types else "",
                                            path=pair.file.rel, line=pair.line,
                                            other=newest_types))
    if not_ours:
        not_ours.sort(key=lambda p: (p.prefix, p.version))
        names = [p.name for p in not_ours]
        span = f"{names[0]} ... {names[-1]}" if len(names) > 2 else ", ".join(names)
        out.append(ARRAY_UNUSED.finding(
            f"{len(names)} upstream compat arrays ({span}) are not used by this tree's "
            "machine types: its own types add the vendor's arrays", path=not_ours[0].file.rel))
    return out


def judge_versions(tree: QemuTree, families: list[Family]) -> list[Finding]:
    out = []
    newest = {f.name: f.newest_block.version for f in families}
    if len(set(newest.values())) > 1:
        top = max(newest.values())
        for f in families:
            if newest[f.name] != top:
                out.append(_finding(f, f.newest_block, FAMILIES_DISAGREE,
                                    f"newest version is {newest[f.name]}, other families have {top}",
                                    f"qscaffold bump {top}"))
    if newest:
        top = max(newest.values())
        release = top.prev()
        pairs = compat_arrays.all_pairs(tree, extern=False)
        defined = {p.name for p in pairs}
        for prefix in sorted({p for f in families for p in f.spec.arrays}):
            if array_name(prefix, release) not in defined:
                home = max((p for p in pairs if p.prefix == prefix), default=None,
                           key=lambda p: p.version)   # where its siblings are defined
                out.append(ARRAY_MISSING.finding(
                    f"{array_name(prefix, release)} is not defined, but the {release} machine "
                    "types need it", f"qscaffold bump {top}",
                    path=home.file.rel if home else None))
    if tree.version is None and newest:
        path = tree.root / "VERSION"
        what = ("missing" if not path.exists() and not path.is_symlink() else
                "not a regular file" if not path.is_file() else "not a version (X.Y.Z)")
        out.append(VERSION_UNREADABLE.finding(f"VERSION is {what}: whether the cycle's bump "
                                              "is due cannot be told", path="VERSION"))
    if tree.version and newest:
        major, minor, micro = tree.version
        expected = current_release(tree.version)
        top = max(newest.values())
        if top < expected:
            out.append(BUMP_PENDING.finding(
                f"VERSION is {major}.{minor}.{micro} but the newest machine types are {top}: "
                f"the {expected} machine types are missing", f"qscaffold bump {expected}",
                path="VERSION"))
        elif top > expected:
            out.append(VERSION_BEHIND.finding(
                f"the newest machine types ({top}) are newer than VERSION "
                f"{major}.{minor}.{micro} implies ({expected})", path="VERSION"))
    return out


def reader_notes(notes: list[Note]) -> list[Finding]:
    """What the reader saw and left alone (reading/machines.py's notes), as findings."""
    rules = {"family-unknown": FAMILY_UNKNOWN, "family-disabled": FAMILY_DISABLED,
             "registration-other": REGISTRATION_OTHER}
    return [rules[n.kind].finding(n.message, path=n.path, line=n.line, family=n.family)
            for n in notes]


def check_tree(tree: QemuTree, families: list[Family] | None = None,
               warnings: bool = True) -> list[Finding]:
    """Every finding on the tree.  Without `warnings`, the judges that only warn (the
    reader's notes with `families` given, C111's effective compat of every vendor type)
    are not run: a plan's check of its own result wants errors (a RHEL bump: 0.25 s)."""
    out: list[Finding] = []
    if families is None:
        families, notes = read_families(tree)
        out += reader_notes(notes)   # what the reader saw and left alone
    defined = {p.name for p in compat_arrays.all_pairs(tree, extern=False)}
    holders = latest_holders(tree)
    for family in families:
        # a family's findings depend on its file and on which of its own arrays exist:
        # cached on the (immutable) family, so a series re-checks only what it changed
        own = frozenset(n for b in family.blocks for p in family.spec.arrays
                        for n in [array_name(p, b.version)] if n in defined)
        cache = family.memo.setdefault("findings", {})
        if own not in cache:
            cache[own] = judge_family(tree, family, defined, family.name in holders)
        out += cache[own]
    out += judge_arrays(tree, families)
    out += judge_versions(tree, families)
    out += judge_downstream(tree)
    from scaffold.rules import downstream_arrays   # a distribution's own arrays

    out += downstream_arrays.judge(tree)
    if warnings and read_downstream(tree)[0]:   # an upstream tree imports no effective compat
        from scaffold.rules import vendor_compat

        out += vendor_compat.judge(tree)
    return ordered(out)


def judge_downstream(tree: QemuTree) -> list[Finding]:
    """Every rule on each vendor family the tree registers (judge_family's)."""
    out: list[Finding] = []
    for family in read_downstream(tree)[0]:
        out += judge_family(tree, family, set())
    return out


def _judge_upstream_base(tree: QemuTree, family: MachineFamily[Any]) -> list[Finding]:
    """C107 and C109 on a family whose types call upstream's options (Ubuntu's)."""
    out: list[Finding] = []
    upstream = next((f for f in read_families(tree)[0] if f.name == family.spec.upstream), None)
    defined = {fn.name for b in upstream.blocks for fn in b.functions.values()} \
        if upstream is not None else set()
    by_version = {t.version: t for t in family.types if not t.suffix}
    known: dict[Any, Any] = {}   # C110's machine types and upstream lists, made once
    from scaffold.rules.vendor_compat import judge_calls

    for t in family.types:
        def finding(rule: Rule, message: str, fix: str, t: VendorType = t) -> Finding:
            return rule.finding(message, fix, path=family.spec.file, line=t.line,
                                family=family.name, version=str(t.version))

        if t.upstream_options is None:
            out.append(finding(DOWNSTREAM_BASE,
                               f"{t.name}'s options ({', '.join(t.options) or 'none'}) call no "
                               f"{family.spec.upstream} options function",
                               f"call the options of the {family.spec.upstream} version its "
                               "release shipped"))
        elif t.upstream_options not in defined:
            out.append(finding(DOWNSTREAM_BASE, f"{t.name} calls {t.upstream_options}, which "
                               "the tree does not define", "call a version the tree has"))
        if t.upstream_version is not None and upstream is not None:
            out += judge_calls(tree, family, upstream, t, finding, known)
        base = by_version.get(t.version)
        if t.suffix and base is not None and base.upstream_version and t.upstream_version \
                and base.upstream_version != t.upstream_version:
            out.append(finding(DOWNSTREAM_VARIANT,
                               f"{t.name} reaches {family.spec.upstream} {t.upstream_version}'s "
                               f"options, {base.name} {base.upstream_version}'s",
                               f"if not intended, call {base.options[0]}() as the other "
                               "variants do"))
    return out


__all__ = ["Finding", "check_tree", "failing"]
