"""commands/retire.py: `run(RetireOptions)`."""
from __future__ import annotations

import json

from helpers import snapshot
from scaffold.commands.retire import RetireOptions, run


def test_a_dry_run_of_one_version_as_json(fixture_tree, capfd):
    root = fixture_tree("layout-11.2")
    before = snapshot(root)
    assert run(RetireOptions(up_to="11.0", families=["arm"], force=True, repo=root,
                             dry_run=True, format="json")) == 0
    doc = json.loads(capfd.readouterr().out)
    assert doc["retired"] == ["virt-11.0"]
    [step] = doc["steps"]
    [edit] = step["edits"]
    data = (root / "hw/arm/virt.c").read_bytes()
    # the whole 11.0 block and the blank line before it: the file still ends in one
    # newline, after DEFINE_VIRT_MACHINE(11, 1)
    assert data[edit["start"]:edit["end"]] == (
        b"\n\nstatic void virt_machine_11_0_options(MachineClass *mc)\n{\n"
        b"    virt_machine_11_1_options(mc);\n"
        b"    compat_props_add(mc->compat_props, hw_compat_11_0, hw_compat_11_0_len);\n"
        b"}\nDEFINE_VIRT_MACHINE(11, 0)") and edit["text"] == ""
    assert data[edit["end"]:] == b"\n"
    assert snapshot(root) == before
