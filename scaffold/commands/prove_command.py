"""`qscaffold prove --old BINARY (--new BINARY | --build-dir DIR)`: every versioned machine
type both binaries offer, the same devices on both sides: properties compared, then a
migration old to new (and new to old with --backward).  Exit 1 on anything new."""
from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.errors import UsageError
from scaffold.progress import Progress
from scaffold.userfiles import read_text
from scaffold.running import baseline as baseline_module
from scaffold.running import devices as devices_module
from scaffold.running.prove import Binary, MachineResult, prove, shared_machines, usable_devices


@dataclass(eq=False, repr=False)
class ProveOptions:
    old: Path
    new: Path | None = None
    build_dir: Path | None = None
    machines: list[str] = field(default_factory=list)
    devices: Path | None = None
    backward: bool = False
    baseline: Path | None = None
    jobs: int = 0
    json: bool = False
    verbose: bool = False


def _target(binary: Path) -> str:
    m = re.fullmatch(r"qemu-system-(\w+)", binary.name)
    if not m:
        raise UsageError(f"--old {binary}: not a qemu-system-TARGET binary")
    return m.group(1)


def new_binary(opts: ProveOptions, target: str) -> Path:
    if (opts.new is None) == (opts.build_dir is None):
        raise UsageError("give the new binary with --new BINARY or --build-dir DIR (one of them)")
    path = opts.new or opts.build_dir / f"qemu-system-{target}"   # type: ignore[operator]
    if not path.is_file() or not os.access(path, os.X_OK):
        raise UsageError(f"{path}: no such QEMU binary" + (" in the build directory (build "
                         f"qemu-system-{target} first)" if opts.build_dir else ""))
    return path


def run(opts: ProveOptions) -> int:
    if opts.jobs < 0:
        raise UsageError(f"--jobs {opts.jobs}: a number of machine types, 0 or more (0: one "
                         "per core)")
    if not opts.old.is_file() or not os.access(opts.old, os.X_OK):
        raise UsageError(f"--old {opts.old}: no such QEMU binary")
    target = _target(opts.old)
    new_path = new_binary(opts, target)
    matrix = devices_module.parse(read_text(opts.devices, "--devices"), str(opts.devices)) \
        if opts.devices else devices_module.default(target)
    known = baseline_module.load(opts.baseline) if opts.baseline else []
    with Progress("asking both binaries for their machine types and devices"):
        old, new = Binary.inspect(opts.old, "old"), Binary.inspect(new_path, "new")
    machines = shared_machines(old, new, opts.machines)
    devices, left_out = usable_devices(matrix, old, new)
    only = sorted(set(old.machines) ^ set(new.machines))
    say = (lambda text: print(f"qscaffold: {text}", file=sys.stderr)) if not opts.json else \
        (lambda text: None)
    say(f"old {old.version} ({old.path}), new {new.version} ({new.path}): {len(machines)} "
        f"machine types, {len(devices)} devices")
    if left_out:
        say(f"devices one binary lacks, left out: {', '.join(left_out)}")
    if not machines:
        raise UsageError("no versioned machine type both binaries offer"
                         + (" matches --machine" if opts.machines else ""))
    with Progress(f"proving {len(machines)} machine types", len(machines)) as bar:
        done: list[str] = []

        def progress(r: MachineResult) -> None:
            done.append(r.machine)
            if opts.verbose:
                bar.clear()
                say(f"{r.machine}: {_summary(r)}")
            bar.step(len(done), f"{r.machine}: {_summary(r)}")
        results = prove(old, new, machines, devices, known, opts.backward,
                        opts.jobs or os.cpu_count() or 1, progress)
    failed = any(r.failed for r in results)
    if opts.json:
        print(json.dumps({"old": {"path": str(old.path), "version": old.version},
                          "new": {"path": str(new.path), "version": new.version},
                          "devices": [d.driver for d in devices], "left_out": left_out,
                          "only_one_binary": only, "failed": failed,
                          "machines": [r.as_json() for r in results]}, indent=2))
    else:
        print(render(results, only), end="")
    return 1 if failed else 0


def _summary(r: MachineResult) -> str:
    if r.error:
        return f"error: {r.error}"
    props = "same" if not r.differences else f"{len(r.differences)} differ"
    if r.known:
        props += f" ({len(r.known)} known)"
    out = f"properties {props}; migration {_migration(r.migration)}"
    if r.backward is not None:
        out += f"; backward {_migration(r.backward)}"
    return out


def _migration(m) -> str:
    if m.status == "ok":
        return f"ok ({m.seconds:.2f} s)"
    text = f"{m.status}: {m.error}"
    return f"{text} (known, below)" if m.reason else text


def render(results: list[MachineResult], only: list[str]) -> str:
    width = max(len(r.machine) for r in results)
    lines = [f"{'machine type':<{width}}  result"]
    lines += [f"{r.machine:<{width}}  {_summary(r)}" for r in results]
    differences = [d for r in results for d in r.differences]
    if differences:
        lines += ["", "Differences (a compat entry missing or wrong):"]
        lines += [f"  {d}" for d in differences]
    known: dict[tuple[str, str], list] = {}
    for d in (d for r in results for d in r.known):
        known.setdefault((d.property, d.reason), []).append(d)
    failures: dict[str, list[str]] = {}
    for r in results:
        for m in (r.migration, r.backward):
            if m is not None and m.reason:
                failures.setdefault(m.reason, []).append(r.machine)
    if known or failures:
        lines += ["", "Known differences (--baseline):"]
        lines += [f"  {prop} on {len(ds)} devices of {len({d.machine for d in ds})} machine "
                  f"types: {reason}" for (prop, reason), ds in known.items()]
        lines += [f"  migration failures on {len(set(ms))} machine types: {reason}"
                  for reason, ms in failures.items()]
    one_side = sum(len(r.only_old) + len(r.only_new) for r in results)
    if one_side:
        lines += ["", f"info: {one_side} properties or devices exist in one binary only "
                  "(--json lists them)"]
    if only:
        lines += [f"info: machine types only one binary offers: {', '.join(only)}"]
    failed = sum(1 for r in results if r.failed)
    lines += ["", f"prove: {len(results)} machine types, {failed} with something new"]
    return "\n".join(lines) + "\n"
