"""commands/compat_machine_option.py: `run(MachineOptionOptions)`."""
from __future__ import annotations

import pytest

from scaffold.commands.compat_machine_option import MachineOptionOptions, run
from scaffold.errors import UsageError


def test_a_statement_goes_into_the_releases_options(fixture_tree):
    root = fixture_tree("layout-11.2")
    assert run(MachineOptionOptions(["mc->smp_props.prefer_sockets = true;"], families=["arm"],
                                    release="11.1", repo=root)) == 0
    text = (root / "hw/arm/virt.c").read_text()
    body = text[text.index("virt_machine_11_1_options(MachineClass"):text.index("DEFINE_VIRT_MACHINE(11, 1)")]
    assert "    mc->smp_props.prefer_sockets = true;\n" in body


def test_family_and_all_exclude_each_other(fixture_tree):
    with pytest.raises(UsageError, match="--family and --all exclude each other"):
        run(MachineOptionOptions(["x = 1;"], families=["arm"], every=True,
                                 repo=fixture_tree("layout-11.2")))
