"""The release's promise, tested: a guest started on a versioned machine type by an older
QEMU sees the same hardware on the newer one, and migrates into it.

For each machine type both binaries offer, the same command line starts both paused; the
properties of the machine and of every device are compared; then the old one migrates
into the new one over a unix socket in a private temporary folder (`--backward`: also the
new one into the old one).
"""
from __future__ import annotations

import os
import re
from fnmatch import fnmatchcase
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from scaffold import scratch
from scaffold.running.baseline import Known
from scaffold.running.devices import Device
from scaffold.running.qemu import Qemu, QemuError, QemuPool, firmware_dirs, wait_for
from scaffold.running.walk import QomObject, TypeProperties, same_value, walk

VERSIONED = re.compile(r".*-\d+\.\d+$")   # pc-q35-7.2, virt-10.2; not pc-q35-4.0.1
MIGRATION_TIMEOUT = 60.0


@dataclass(eq=False, repr=False)
class Binary:
    """A QEMU binary and what it offers, asked once on `-machine none`."""

    path: Path
    label: str              # old | new
    version: str = ""
    machines: list[str] = field(default_factory=list)     # versioned ones
    names: set[str] = field(default_factory=set)         # every machine type it offers
    devices: set[str] = field(default_factory=set)       # device types, abstract ones too
    properties: TypeProperties = field(default_factory=TypeProperties)

    @classmethod
    def inspect(cls, path: Path, label: str) -> "Binary":
        binary = cls(Path(path), label)
        with Qemu(binary.path, ["-machine", "none", "-nodefaults", "-display", "none", "-S"],
                  f"{label} binary") as vm:
            v = vm.cmd("query-version")["qemu"]
            binary.version = f"{v['major']}.{v['minor']}.{v['micro']}"
            for m in vm.cmd("query-machines"):
                binary.names.add(m["name"])
                if VERSIONED.fullmatch(m["name"]):
                    binary.machines.append(m["name"])
            binary.devices = {t["name"] for t in vm.cmd("qom-list-types", implements="device",
                                                          abstract=True)}
        return binary


class Difference(NamedTuple):
    machine: str
    key: str          # the device's place (see walk.walk)
    type: str
    property: str
    old: Any
    new: Any
    reason: str = ""  # the baseline's, when it explains this difference
    source: str = ""  # with the source tree: what its compat list says of the property

    def __str__(self) -> str:
        return (f"{self.machine}: {self.key} ({self.type}) {self.property}: "
                f"{_show(self.old)} -> {_show(self.new)}")


class Migration(NamedTuple):
    status: str                # ok | failed | blocked | skipped
    error: str = ""            # the destination's own words (or the source's)
    seconds: float = 0.0
    reason: str = ""           # the baseline's, when it explains the failure


@dataclass(eq=False, repr=False)
class MachineResult:
    machine: str
    differences: list[Difference] = field(default_factory=list)
    known: list[Difference] = field(default_factory=list)
    only_old: list[str] = field(default_factory=list)    # "key (type) property"
    only_new: list[str] = field(default_factory=list)
    migration: Migration = Migration("skipped")
    backward: Migration | None = None
    error: str = ""            # a binary did not start: QEMU's own words

    @property
    def failed(self) -> bool:
        """Anything not explained by the baseline."""
        def broken(m: Migration | None) -> bool:
            return m is not None and m.status in ("failed", "blocked") and not m.reason
        return bool(self.differences or self.error) or broken(self.migration) or \
            broken(self.backward)

    def as_json(self) -> dict[str, Any]:
        """docs/json.md: null, not "", where there is no reason or error."""
        def fields(record: NamedTuple) -> dict[str, Any]:
            return {k: (None if v == "" else v) for k, v in record._asdict().items()}
        return {"machine": self.machine, "error": self.error or None,
                "differences": [fields(d) for d in self.differences],
                "known": [fields(d) for d in self.known],
                "only_old": self.only_old, "only_new": self.only_new,
                "migration": fields(self.migration),
                "backward": fields(self.backward) if self.backward else None}


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value).replace("True", "true") \
        .replace("False", "false")


def shared_machines(old: Binary, new: Binary, patterns: list[str] | None) -> list[str]:
    both = sorted(set(old.machines) & set(new.machines), key=_machine_order)
    if patterns:
        both = [m for m in both if any(fnmatchcase(m, p) for p in patterns)]
    return both


def _machine_order(name: str) -> tuple[str, tuple[int, ...]]:
    stem, _, version = name.rpartition("-")
    return (stem, tuple(-int(x) for x in version.split(".")))   # newest first per family


def usable_devices(devices: list[Device], old: Binary, new: Binary) -> tuple[list[Device], list[str]]:
    """The devices both binaries have, and the types left out."""
    keep = [d for d in devices if d.driver in old.devices and d.driver in new.devices]
    ids = {d.id for d in keep}
    # a device on the bus of one that was left out goes too (scsi-hd without virtio-scsi)
    keep = [d for d in keep if all(a[4:].split(".")[0] in ids for part in d.args
                                   for a in part.split(",") if a.startswith("bus="))]
    left = sorted({d.driver for d in devices} - {d.driver for d in keep})
    return keep, left


def command_line(machine: str, devices: list[Device]) -> list[str]:
    args = ["-machine", f"{machine},accel=tcg", "-m", "128", "-S", "-nodefaults",
            "-display", "none", "-serial", "none", "-monitor", "none"]
    for directory in firmware_dirs():
        args += ["-L", directory]
    for device in devices:
        args += device.args
    return args


def prove_machine(old: Binary, new: Binary, machine: str, devices: list[Device],
                  baseline: list[Known], backward: bool,
                  qemus: QemuPool | None = None) -> MachineResult:
    result = MachineResult(machine)
    args = command_line(machine, devices)
    with scratch.folder("prove") as tmp:
        sock = os.path.join(tmp, "migrate.sock")
        started: list[Qemu] = []
        try:
            with Qemu(old.path, args, f"{machine} (old)", qemus) as src, \
                    Qemu(new.path, [*args, "-incoming", f"unix:{sock}"], f"{machine} (new)",
                         qemus) as dst:
                started += [src, dst]
                _compare(result, src, dst, old, new, baseline)
                result.migration = _migrate(src, dst, sock, machine, baseline)
            if backward:
                back = os.path.join(tmp, "backward.sock")
                with Qemu(new.path, args, f"{machine} (new)", qemus) as src, \
                        Qemu(old.path, [*args, "-incoming", f"unix:{back}"], f"{machine} (old)",
                             qemus) as dst:
                    started += [src, dst]
                    result.backward = _migrate(src, dst, back, machine, baseline)
        except QemuError as exc:
            result.error = str(exc)
        crashed = [vm for vm in started if vm.crashed]   # its exit status, checked after stop
        if crashed and not result.error:
            result.error = f"{crashed[0].name}: QEMU {crashed[0].ended}: " \
                f"{crashed[0].error_text() or 'no message'}"
    return result


def _compare(result: MachineResult, src: Qemu, dst: Qemu, old: Binary, new: Binary,
             baseline: list[Known]) -> None:
    before = walk(src, old.devices, old.properties)
    after = walk(dst, new.devices, new.properties)
    for key, a, b in _pairs(before, after, result):
        for prop in sorted(a.values.keys() | b.values.keys()):
            if prop not in b.values:
                result.only_old.append(f"{key} ({a.type}) {prop}")
            elif prop not in a.values:
                result.only_new.append(f"{key} ({b.type}) {prop}")
            elif not same_value(a.values[prop], b.values[prop]):
                diff = Difference(result.machine, key, b.type, prop, a.values[prop], b.values[prop])
                reason = next((k.reason for k in baseline
                               if k.explains(result.machine, b.type, prop, diff.old, diff.new)), "")
                if reason:
                    result.known.append(diff._replace(reason=reason))
                else:
                    result.differences.append(diff)


def _pairs(before: dict[str, QomObject], after: dict[str, QomObject], result: MachineResult
           ) -> Iterator[tuple[str, QomObject, QomObject]]:
    """(key, old object, new object): matched by place, then what moved (10.2 puts the
    RTC and the DMA controllers under the LPC bridge) by type, when each side has as many
    of that type left over; the rest exists on one side only."""
    for key in sorted(before.keys() & after.keys()):
        yield key, before[key], after[key]
    left_old = [k for k in sorted(before) if k not in after]
    left_new = [k for k in sorted(after) if k not in before]
    for type_name in sorted({before[k].type for k in left_old}):
        olds = [k for k in left_old if before[k].type == type_name]
        news = [k for k in left_new if after[k].type == type_name]
        if len(olds) == len(news):
            for old_key, new_key in zip(olds, news):
                yield new_key, before[old_key], after[new_key]
            left_old = [k for k in left_old if k not in olds]
            left_new = [k for k in left_new if k not in news]
    result.only_old += [f"{k} ({before[k].type})" for k in left_old]
    result.only_new += [f"{k} ({after[k].type})" for k in left_new]


def _migrate(src: Qemu, dst: Qemu, sock: str, machine: str, baseline: list[Known]) -> Migration:
    """Migrate `src` into `dst` (started with -incoming on `sock`); both sides' final word."""
    start = time.monotonic()
    if not wait_for(lambda: os.path.exists(sock) or not dst.alive(), 10.0):
        return _failure("failed", "the destination never listened", start, machine, baseline)
    if not dst.alive():
        return _failure("failed", dst.error_text() or "the destination exited", start, machine,
                        baseline)
    events = _migration_events(src) and _migration_events(dst)
    try:
        src.cmd("migrate", uri=f"unix:{sock}")
    except QemuError as exc:   # a device that blocks migration says so at once
        return _failure("blocked", str(exc).split(": ", 2)[-1], start, machine, baseline)
    status: dict[str, Any] = {}
    ended = ("completed", "failed", "cancelled")

    def source_done() -> bool:
        status.update(src.cmd("query-migrate"))
        return status.get("status") in ended

    if events:   # QMP's MIGRATION events, both sides: no polling
        if src.wait_event("MIGRATION", lambda d: d.get("status") in ended,
                          MIGRATION_TIMEOUT) is None:
            return _failure("failed", "timed out", start, machine, baseline)
        status.update(src.cmd("query-migrate"))
        # the source says completed before the destination has loaded: wait for it too,
        # and take its word: a load that fails says "failed" before the process exits
        landed = dst.wait_event("MIGRATION", lambda d: d.get("status") in ended,
                                MIGRATION_TIMEOUT)
        if landed is not None and landed.get("status") != "completed":
            dst.wait_exit(2.0)
            error = dst.error_text() or f"destination: {landed.get('status')}"
            return _failure("failed", error, start, machine, baseline)
        loaded = landed is not None or not dst.alive()
    else:   # a binary without the events capability: ask until it says
        if not wait_for(source_done, MIGRATION_TIMEOUT):
            return _failure("failed", "timed out", start, machine, baseline)

        def destination_done() -> bool:
            try:
                return bool(dst.cmd("query-status")["status"] != "inmigrate")
            except QemuError:   # it exited: a failed load ends the process
                return True

        loaded = wait_for(destination_done, MIGRATION_TIMEOUT)
    if not dst.alive() or status.get("status") != "completed" or not loaded:
        dst.wait_exit(2.0)
        error = dst.error_text() or status.get("error-desc") or f"source: {status.get('status')}"
        return _failure("failed", error, start, machine, baseline)
    return Migration("ok", seconds=round(time.monotonic() - start, 3))


def _migration_events(vm: Qemu) -> bool:
    """Ask for MIGRATION events (the `events` capability); False when the binary has no
    such capability."""
    try:
        vm.cmd("migrate-set-capabilities", capabilities=[{"capability": "events",
                                                          "state": True}])
        return True
    except QemuError:
        return False


def _failure(status: str, error: str, start: float, machine: str,
             baseline: list[Known]) -> Migration:
    reason = next((k.reason for k in baseline if k.explains_failure(machine, error)), "")
    return Migration(status, error, round(time.monotonic() - start, 3), reason)


def prove(old: Binary, new: Binary, machines: list[str], devices: list[Device],
          baseline: list[Known], backward: bool = False, jobs: int = 1,
          progress: Callable[[MachineResult], None] | None = None) -> list[MachineResult]:
    """Every machine type, `jobs` at a time; every QEMU ended whatever happens."""
    results: dict[str, MachineResult] = {}
    qemus = QemuPool()
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = [pool.submit(prove_machine, old, new, m, devices, baseline, backward, qemus)
                   for m in machines]
        for future in futures:
            result = future.result()
            results[result.machine] = result
            if progress is not None:
                progress(result)
    except BaseException:   # Ctrl-C or a bug: end every QEMU now, start no other
        qemus.stop_all(refuse_new=True)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        qemus.stop_all()
    return [results[m] for m in machines]
