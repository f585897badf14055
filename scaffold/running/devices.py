"""The devices a proof puts into every machine type: a default matrix per target, or a
file of the same format.

One device per line, as QEMU arguments: the `-device` and the backends it needs
(`-blockdev`, `-netdev`).  `#` starts a comment.  A line whose device type one of the two
binaries lacks is left out (and listed).  Ids are added where a line has none, so every
device is found at /machine/peripheral/ID on both sides.
"""
from __future__ import annotations

import shlex
from typing import NamedTuple

from scaffold.errors import UsageError

# What guests use, that both a Debian 7.2 binary and a build without optional features
# have.  nvme is not here: 7.2's nvme blocks migration (a devices file can add it).
DEFAULT = {
    "x86_64": """
# storage
-blockdev driver=null-co,node-name=vblk0 -device virtio-blk-pci,drive=vblk0
-device virtio-scsi-pci,id=vscsi
-blockdev driver=null-co,node-name=sd0 -device scsi-hd,drive=sd0,bus=vscsi.0
-device ich9-ahci,id=ahci
-blockdev driver=null-co,node-name=hd0 -device ide-hd,drive=hd0,bus=ahci.0
# network
-netdev hubport,id=net0,hubid=0 -device virtio-net-pci,netdev=net0
-netdev hubport,id=net1,hubid=1 -device e1000,netdev=net1
-netdev hubport,id=net2,hubid=2 -device e1000e,netdev=net2
# virtio others
-device virtio-rng-pci
-device virtio-balloon-pci
-device virtio-serial-pci
-device virtio-gpu-pci
-device virtio-keyboard-pci
-device virtio-tablet-pci
# usb
-device qemu-xhci,id=xhci
-device usb-tablet,bus=xhci.0
-device usb-kbd,bus=xhci.0
-device usb-ehci,id=ehci
# the default display
-device VGA
""",
    "aarch64": """
-blockdev driver=null-co,node-name=vblk0 -device virtio-blk-pci,drive=vblk0
-device virtio-scsi-pci,id=vscsi
-blockdev driver=null-co,node-name=sd0 -device scsi-hd,drive=sd0,bus=vscsi.0
-netdev hubport,id=net0,hubid=0 -device virtio-net-pci,netdev=net0
-device virtio-rng-pci
-device virtio-balloon-pci
-device virtio-serial-pci
-device virtio-gpu-pci
-device virtio-keyboard-pci
-device qemu-xhci,id=xhci
-device usb-tablet,bus=xhci.0
""",
}


class Device(NamedTuple):
    driver: str          # the QOM type of the -device
    id: str
    args: tuple[str, ...]


def parse(text: str, source: str = "devices") -> list[Device]:
    out: list[Device] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            args = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"{source}:{number}: {exc}") from None
        at = [i for i, a in enumerate(args) if a == "-device"]
        if len(at) != 1 or at[0] + 1 >= len(args):
            raise UsageError(f"{source}:{number}: one `-device TYPE,...` per line")
        spec = args[at[0] + 1]
        driver, *options = spec.split(",")
        ids = [o[3:] for o in options if o.startswith("id=")]
        dev_id = ids[0] if ids else f"dev{len(out)}"
        if not ids:
            args[at[0] + 1] = f"{spec},id={dev_id}"
        out.append(Device(driver, dev_id, tuple(args)))
    return out


def default(target: str) -> list[Device]:
    if target not in DEFAULT:
        raise UsageError(f"no default device matrix for {target} ({', '.join(DEFAULT)}); "
                         "give one with --devices FILE")
    return parse(DEFAULT[target], f"default {target} matrix")
