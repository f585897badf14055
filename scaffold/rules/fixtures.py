"""How a rule shows itself: each Rule carries a Fixture (as a ruff rule names its test
case), and tests/test_rules.py runs every rule's fixture and compares what it reports
with the rule's snapshot (tests/snapshots/rules/CODE.txt, written once, read by a person,
then kept).

A fixture is a tree of tests/fixtures/ with the changes that break it: (file, text as
it is, text it becomes).  Unchanged, the tree is quiet for the rule.  A rule that text
changes cannot show (history, a real tree) names the test that shows it instead.
"""
from __future__ import annotations

from typing import NamedTuple

Change = tuple[str, str, str]   # (file, text as it is, text it becomes)


class Fixture(NamedTuple):
    tree: str                              # tests/fixtures/<tree>
    changes: tuple[Change, ...] = ()
    args: tuple[str, ...] = ()             # compat add: device, property, value[, release]
    by_hand: str = ""                      # "test_module::test_function" instead
    quiet_on: str = ""                     # fires on `tree` as it is, quiet on this one


# Files and texts of the fixture trees several rules change (layout-9.0: upstream's
# 9.0 shapes; layout-11.2: a development tree with 11.1 and 11.0 arrays).
ARM, Q35, S390 = "hw/arm/virt.c", "hw/i386/pc_q35.c", "hw/s390x/s390-virtio-ccw.c"
PIIX = "hw/i386/pc_piix.c"
MACHINE, BOARDS = "hw/core/machine.c", "include/hw/boards.h"
ADD_8_2 = "    compat_props_add(mc->compat_props, hw_compat_8_2, hw_compat_8_2_len);\n"
ADD_8_1 = "    compat_props_add(mc->compat_props, hw_compat_8_1, hw_compat_8_1_len);\n"
ARRAY_8_1 = ('GlobalProperty hw_compat_8_1[] = {\n'
             '    { TYPE_PCI_BRIDGE, "x-pci-express-writeable-slt-bug", "true" },\n};\n'
             'const size_t hw_compat_8_1_len = G_N_ELEMENTS(hw_compat_8_1);\n')
ARRAY_8_2 = ('GlobalProperty hw_compat_8_2[] = {\n'
             '    { "migration", "zero-page-detection", "legacy"},\n'
             '    { TYPE_VIRTIO_IOMMU_PCI, "granule", "4k" },\n};\n'
             'const size_t hw_compat_8_2_len = G_N_ELEMENTS(hw_compat_8_2);\n')
EXTERN_7_0 = ("#endif", "extern GlobalProperty hw_compat_7_0[];\n"
              "extern const size_t hw_compat_7_0_len;\n\n#endif")

# lint's fixture: qom-entries (a small QOM world: device, virtio-device, virtio-blk-device,
# virtio-pci and the virtio-blk-pci variants, e1000 registered by a loop), an entry
# added to hw_compat_11_0 after this one, which is right.
NEWER = '    { "virtio-blk-device", "num-queues", "1" },\n'


def check(*changes: Change) -> Fixture:
    """A check rule's fixture: layout-9.0 so changed."""
    return Fixture("layout-9.0", changes)


def with_entry(text: str) -> Fixture:
    """A lint rule's fixture: qom-entries with this entry added to hw_compat_11_0."""
    return Fixture("qom-entries", ((MACHINE, NEWER, NEWER + text),))


def compat_add(*args: str, changes: tuple[Change, ...] = ()) -> Fixture:
    """A compat add rule's fixture: `compat add ARGS --force` on layout-11.2."""
    return Fixture("layout-11.2", changes, args)


def by_hand(test: str, tree: str = "") -> Fixture:
    return Fixture(tree, by_hand=test)
