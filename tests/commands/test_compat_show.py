"""commands/compat_show.py: `run(CompatShowOptions)`."""
from __future__ import annotations

import json

from scaffold.commands.compat_show import CompatShowOptions, run


def test_a_type_applies_its_releases_array(fixture_tree, capsys):
    # pc-q35-11.1's options add hw_compat_11_1 (two entries, hw/core/machine.c:12-13)
    # and pc_compat_11_1, which is empty (hw/i386/pc.c:12)
    root = fixture_tree("layout-11.2")
    assert run(CompatShowOptions("pc-q35-11.1", repo=root, json=True)) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(e["property"], e["value"], e["array"], e["location"]["line"])
            for e in doc["entries"]] == [("zero-page-detection", "legacy", "hw_compat_11_1", 12),
                                         ("granule", "4k", "hw_compat_11_1", 13)]
    assert doc["command"] == "compat show" and doc["target"] == "x86_64"
