"""commands/compat_add.py: `run(CompatAddOptions)`."""
from __future__ import annotations

from helpers import snapshot
from scaffold.commands.compat_add import CompatAddOptions, run


def test_a_dry_run_prints_the_entry_and_writes_nothing(fixture_tree, capfd):
    root = fixture_tree("layout-11.2")
    before = snapshot(root)
    # num-queues is virtio-blk-device's (hw/block/virtio-blk.c:7); hw_compat_11_1 is the
    # array of the last release, below the newest types (11.2)
    assert run(CompatAddOptions("virtio-blk-device", "num-queues", "1", release="11.1",
                                repo=root, dry_run=True)) == 0
    out = capfd.readouterr().out
    assert '+    { "virtio-blk-device", "num-queues", "1" },' in out
    assert "hw/core/machine.c" in out and snapshot(root) == before


def test_written_without_a_dry_run(fixture_tree):
    root = fixture_tree("layout-11.2")
    assert run(CompatAddOptions("virtio-blk-device", "num-queues", "1", release="11.1",
                                repo=root)) == 0
    text = (root / "hw/core/machine.c").read_text()
    array = text[text.index("hw_compat_11_1[]"):text.index("hw_compat_11_1_len")]
    assert '{ "virtio-blk-device", "num-queues", "1" },' in array
