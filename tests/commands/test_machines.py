"""commands/machines.py: `run(MachinesOptions)`."""
from __future__ import annotations

import json

from scaffold.commands.machines import MachinesOptions, run


def test_the_families_of_a_tree_as_json(fixture_tree, capsys):
    root = fixture_tree("layout-11.2")
    assert run(MachinesOptions(repo=root, json=True)) == 0
    report = json.loads(capsys.readouterr().out)
    # hw/arm/virt.c: DEFINE_VIRT_MACHINE_AS_LATEST(11, 2), then 11.1 and 11.0
    arm = next(f for f in report["families"] if f["name"] == "arm")
    assert (arm["newest"], arm["oldest"], arm["count"], arm["layout"]) == ("11.2", "11.0", 3, "latest")
    # hw/i386/pc_piix.c also registers an Ubuntu codename type (pc-i440fx-resolute)
    assert report["command"] == "machines" and report["dialect"].startswith("downstream (ubuntu)")


def test_the_text_names_each_family_and_its_file(fixture_tree, capsys):
    root = fixture_tree("layout-11.2")
    assert run(MachinesOptions(repo=root)) == 0
    text = capsys.readouterr().out
    assert "hw/arm/virt.c" in text and "hw/i386/pc_q35.c" in text
