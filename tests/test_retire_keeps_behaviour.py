"""retire never changes what a kept machine type does (issue 26, item 1).

Judged apart from how retire decides: for every options or class_init function that
survives a step (isapc_machine_options, microvm_class_init...), its `X->field = value;` settings are the same before and after, except a removed field's
assignment in a class's own `*_class_init`; and every removed field was folded with the
one value all surviving code gave it (none: the zero of a zero-initialised class)."""
from __future__ import annotations

import re
import subprocess

import pytest

from helpers import real_tree
from scaffold.planning.retire import plan_retire
from scaffold.reading import csyntax
from scaffold.reading.tree import QemuTree
from scaffold.version import Version

ASSIGNMENT = re.compile(rb"\b\w+->(\w+)\s*=(?!=)\s*([^;]+);")
REMOVED = re.compile(r"No remaining machine type sets (\w+)::(\w+): remove it, and fold the "
                     r"code reading it with (\S+)\.")
ZERO = {"false", "0", "NULL"}
SETTERS = ("_options", "class_init")   # where machine types set their class fields


def _functions(data: bytes) -> dict[str, bytes]:
    out = {}
    for node in csyntax.top_level(csyntax.parse(data).root_node):
        if node.type == "function_definition":
            name = csyntax.function_name(node)
            if name:
                out[name] = node.text
    return out


def _settings(body: bytes) -> set[tuple[str, str]]:
    return {(m.group(1).decode(), b" ".join(m.group(2).split()).decode())
            for m in ASSIGNMENT.finditer(body)}


def _kept_behaviour(series) -> list[str]:
    """What each step changed of a kept machine type's settings or of a field's value."""
    wrong = []
    for step in series.steps:
        removed = {f: v for _, f, v in REMOVED.findall(step.summary)}
        for path, (old, new) in step.contents.items():
            before, after = _functions(old), _functions(new)
            for name in before.keys() & after.keys():
                if not name.endswith(SETTERS):   # readers are judged by their fold below
                    continue
                lost = _settings(before[name]) - _settings(after[name])
                gained = _settings(after[name]) - _settings(before[name])
                wrong += [f"{step.subject}: {path}: {name} now sets {f} = {v}" for f, v in gained]
                wrong += [f"{step.subject}: {path}: {name} no longer sets {f} = {v}"
                          for f, v in lost if f not in removed or not name.endswith("class_init")]
        for field, folded in removed.items():   # what every surviving function gave it
            values = set()
            for old, new in step.contents.values():
                before, after = _functions(old), _functions(new)
                values |= {v for name in before.keys() & after.keys()
                           for f, v in _settings(before[name]) if f == field}
            if values - {folded} or (not values and folded not in ZERO):
                wrong.append(f"{step.subject}: {field} folded with {folded}, but surviving "
                             f"code gives it {sorted(values) or 'zero'}")
    return wrong


def test_a_field_a_kept_unversioned_type_sets_stays(fixture_tree):
    """Upstream's tree of June 2024: isapc (not versioned, under #ifdef CONFIG_ISAPC) sets
    smbios_legacy_mode, read as `if (...) { ...; return; }`; only pc-i440fx-2.0 of the
    versioned types did.  The field, isapc's setting and the reader stay; the field only
    the retired type changed from the class's own default goes, folded with that default."""
    tree = QemuTree.open(fixture_tree("retire-kept-setter"))
    series = plan_retire(tree, Version(2, 0), names=["i440fx"], force=True)
    assert _kept_behaviour(series) == []
    [step] = [s for s in series.steps if "pc-i440fx-2.0" in s.subject]
    assert sorted(REMOVED.findall(step.summary)) == [
        ("PCMachineClass", "legacy_acpi_table_size", "0"),
        ("PCMachineClass", "smbios_uuid_encoded", "true")]
    old, new = step.contents["hw/i386/fw_cfg.c"]
    assert b"    if (pcmc->smbios_legacy_mode) {\n" in new
    assert b"smbios_swap_uuid" not in new and b"smbios_swap_uuid" in old
    old, new = step.contents["hw/i386/pc_piix.c"]
    isapc = _functions(new)["isapc_machine_options"]
    assert b"pcmc->smbios_legacy_mode = true;" in isapc and \
        b"pcmc->has_reserved_memory = false;" in isapc
    assert "include/hw/i386/pc.h" in step.contents
    header = step.contents["include/hw/i386/pc.h"][1]
    assert b"bool smbios_legacy_mode;" in header and b"bool smbios_uuid_encoded;" not in header
    # upstream's acpi_build() of June 2024 (issue 26, item 2): the fold leaves `pcmc`
    # unused, then `pcms`, which only it used, and `aml_len` set but never read
    # (-Wunused-but-set-variable): all go, with the comment about the statement that fed it
    old, new = step.contents["hw/i386/acpi-build.c"]
    body = new.decode().split("{", 1)[1]
    assert body == """
    GArray *tables_blob = tables->table_data;
    unsigned dsdt;

    /* DSDT is pointed to by FADT */
    dsdt = tables_blob->len;
    build_dsdt(tables_blob, tables->linker, machine);

    acpi_add_table(tables_blob, dsdt);

    /* Make sure we have a buffer in case we need to resize the tables. */
    acpi_align_size(tables_blob, ACPI_BUILD_TABLE_SIZE);
}
"""
    # and no advice to remove what isapc still sets
    assert not [f for f in series.followups if "smbios_legacy_mode" in f.message
                or "has_reserved_memory" in f.message]


@pytest.mark.realtree
@pytest.mark.parametrize("release, up_to, families", [
    ("7.2", "2.12", []),        # no lifecycle policy in 7.2: everything up to 2.12, forced
    ("7.2", "2.1", ["i440fx"]),
    ("10.0", "4.2", []),
    ("10.2", None, []),         # the policy's own series
])
def test_real_trees_keep_every_kept_machine_type_as_it_was(release, up_to, families):
    tree = QemuTree.open(real_tree(release))
    series = plan_retire(tree, Version.parse(up_to) if up_to else None, names=families,
                         force=up_to is not None)
    assert series.steps
    assert _kept_behaviour(series) == []
    # advice never names a field that a function the series keeps still sets, unless
    # that function is a class's own class_init
    deleted = {name for step in series.steps for old, new in step.contents.values()
               for name in _functions(old).keys() - _functions(new).keys()}
    for followup in series.followups:
        if followup.kind != "class-field":
            continue
        field = followup.message.split("::", 1)[1].split(":", 1)[0]
        grep = subprocess.run(["grep", "-rlE", "-e", rf"->{field}\s*=[^=]", "hw", "include", "target"],
                              cwd=tree.root, capture_output=True, text=True)
        assert grep.returncode in (0, 1), grep.stderr
        for path in grep.stdout.split():
            for name, body in _functions((tree.root / path).read_bytes()).items():
                if name not in deleted and not name.endswith("class_init"):
                    assert field not in {f for f, _ in _settings(body)}, (followup.message, name)


def test_the_judge_itself_sees_a_kept_type_changed():
    """The check above can fail: a step that drops isapc's setting is reported."""
    class Step:
        subject = "hw/i386/pc: Remove deprecated pc-i440fx-2.0 machine"
        summary = ("No remaining machine type sets PCMachineClass::smbios_legacy_mode: remove "
                   "it, and fold the code reading it with true.")
        contents = {"hw/i386/pc_piix.c": (
            b"static void isapc_machine_options(MachineClass *m)\n{\n"
            b"    pcmc->smbios_legacy_mode = true;\n    m->max_cpus = 1;\n}\n",
            b"static void isapc_machine_options(MachineClass *m)\n{\n    m->max_cpus = 1;\n}\n")}

    class Series:
        steps = [Step]
    assert _kept_behaviour(Series) == [
        "hw/i386/pc: Remove deprecated pc-i440fx-2.0 machine: hw/i386/pc_piix.c: "
        "isapc_machine_options no longer sets smbios_legacy_mode = true"]
