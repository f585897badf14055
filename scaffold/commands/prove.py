"""`qscaffold prove --old BINARY (--new BINARY | --build-dir DIR)`: every versioned machine
type both binaries offer, the same devices on both sides: properties compared, then a
migration old to new (and new to old with --backward).  Exit 1 on anything new."""
from __future__ import annotations

import json
import os
import re
import shlex
import sys
from fnmatch import fnmatchcase
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.errors import UsageError
from scaffold.jsondoc import SCHEMA
from scaffold.progress import Progress
from scaffold.userfiles import read_text
from scaffold.running import baseline as baseline_module
from scaffold.running import devices as devices_module
from scaffold.running.prove import (Binary, Difference, MachineResult, Migration, prove,
                                    shared_machines, usable_devices)


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
    repo: Path | None = None   # the new binary's source tree: the types come from it
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
    other = re.fullmatch(r"qemu-system-(\w+)", new_path.name)
    if other and other.group(1) != target:
        raise UsageError(f"{opts.old} (target {target}) and {new_path} (target "
                         f"{other.group(1)}) are QEMUs of two different targets: they have no "
                         "machine type in common")
    matrix = devices_module.parse(read_text(opts.devices, "--devices"), str(opts.devices)) \
        if opts.devices else devices_module.default(target)
    known = baseline_module.load(opts.baseline) if opts.baseline else []
    with Progress("asking both binaries for their machine types and devices"):
        old, new = Binary.inspect(opts.old, "old"), Binary.inspect(new_path, "new")
    machines = shared_machines(old, new, opts.machines)
    source = None
    lacking: list[str] = []
    from scaffold.commands.prove_source import Source, source_of_build

    repo = opts.repo or (source_of_build(opts.build_dir) if opts.build_dir else None)
    if repo is not None:   # --repo, or the tree the build directory was configured from
        source = Source(repo, target)
        machines, lacking = source.machines(old, new)
        if opts.machines:
            machines = [m for m in machines if any(fnmatchcase(m, p) for p in opts.machines)]
            lacking = [m for m in lacking if any(fnmatchcase(m, p) for p in opts.machines)]
    devices, left_out = usable_devices(matrix, old, new)
    only = sorted(set(old.machines) ^ set(new.machines))
    def say(text: str) -> None:   # the JSON report is all a --json run prints
        if not opts.json:
            print(f"qscaffold: {text}", file=sys.stderr)

    say(f"old {old.version} ({old.path}), new {new.version} ({new.path}): {len(machines)} "
        f"machine types, {len(devices)} devices")
    if left_out:
        say(f"devices one binary lacks, left out: {', '.join(left_out)}")
    if source is not None:
        say(f"machine types and compat lists from the source {source.tree.root}")
    if source is not None and lacking:
        more = f", and {len(lacking) - 6} more" if len(lacking) > 6 else ""
        say(f"{_count(len(lacking), 'type', 'types')} of the source a binary lacks, left "
            f"out: {', '.join(lacking[:6])}{more}")
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
    if source is not None:
        source.annotate(results)
    failed = any(r.failed for r in results)
    if opts.json:
        print(json.dumps({"schema": SCHEMA, "command": "prove",
                          "old": {"path": str(old.path), "version": old.version},
                          "new": {"path": str(new.path), "version": new.version},
                          "devices": [d.driver for d in devices], "left_out": left_out,
                          "only_one_binary": only, "failed": failed,
                          "machines": [r.as_json() for r in results]}, indent=2))
    else:
        print(render(results, only), end="")
    return 1 if failed else 0


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _summary(r: MachineResult) -> str:
    """One line for --verbose and the progress: what the table says in its row."""
    if r.error:
        return f"error: {r.error}"
    return "; ".join(f"{label} {cell}" for label, cell in
                     zip(("properties", "migration", "backward"), _cells(r)[1:]) if cell)


def _cells(r: MachineResult, notes: list[str] | None = None) -> list[str]:
    """machine type, properties, migration, backward: a row of the table; long errors go
    to `notes` and the row points at them ("failed, note 2")."""
    if r.error:
        return [r.machine, "did not start", _noted(f"{r.machine}: {r.error}", notes), ""]
    props = "same" if not r.differences else \
        _count(len(r.differences), "property differs", "properties differ")
    if r.known:
        props += f" ({len(r.known)} known)"
    cells = [r.machine, props, _migration(r.machine, r.migration, notes)]
    cells.append(_migration(r.machine, r.backward, notes) if r.backward is not None else "")
    return cells


def _noted(text: str, notes: list[str] | None) -> str:
    if notes is None:
        return text
    notes.append(text)
    return f"see note {len(notes)}"


def _migration(machine: str, m: Migration, notes: list[str] | None = None) -> str:
    if m.status == "ok":
        return f"ok ({m.seconds:.2f} s)"
    if m.status == "skipped":
        return "skipped"
    if m.reason:
        return f"{m.status} (known)"
    return f"{m.status}, " + _noted(f"{machine}: {m.error}", notes) if notes is not None \
        else f"{m.status}: {m.error}"


def _release(machine: str) -> str:
    return machine.rsplit("-", 1)[-1]


def _fixes(differences: list[Difference]) -> list[str]:
    """For each property that differs: the `compat add` that would restore the old value
    on the machine types that show it (the newest of them names the release), and a
    baseline stub to copy if the difference is meant."""
    groups: dict[tuple[str, str, str, str], list[str]] = {}
    for d in differences:
        groups.setdefault((d.type, d.property, _show_toml(d.old), _show_toml(d.new)),
                          []).append(d.machine)
    out = []
    for (type_name, prop, old, new), machines in groups.items():
        newest = max(machines, key=lambda m: tuple(int(x) for x in _release(m).split(".")))
        value = old.strip('"')
        out.append(f"  {type_name} {prop}: {old} -> {new} on "
                   f"{_count(len(set(machines)), 'machine type', 'machine types')} (newest "
                   f"{newest})")
        out.append(f"    restore: qscaffold compat add {type_name} {prop} {shlex.quote(value)} "
                   f"--release {_release(newest)}")
        family = newest.rsplit("-", 1)[0]
        out.append("    or, if it is meant, in the --baseline file:")
        out += [f"      {line}" for line in (
            "[[known]]", f"property = \"{prop}\"", f"type = \"{type_name}\"",
            f"machine = \"{family}-*\"", f"old = {old}", f"new = {new}",
            "reason = \"why the new value is right for old machine types\"")]
    return out


def _show_toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value))


def render(results: list[MachineResult], only: list[str]) -> str:
    notes: list[str] = []
    rows = [["machine type", "properties", "migration", "backward"]]
    rows += [_cells(r, notes) for r in results]
    if not any(r.backward is not None for r in results):
        rows = [row[:3] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    if notes:
        lines += [""] + [f"note {i}: {text}" for i, text in enumerate(notes, 1)]
    differences = [d for r in results for d in r.differences]
    if differences:
        lines += ["", "Differences (a compat entry missing or wrong):"]
        lines += [f"  {d}" + (f"\n    source: {d.source}" if d.source else "")
                  for d in differences]
        lines += ["", "What would restore each, or keep it as known (--baseline):"]
        lines += _fixes(differences)
    known: dict[tuple[str, str], list[Difference]] = {}
    for d in (d for r in results for d in r.known):
        known.setdefault((d.property, d.reason), []).append(d)
    failures: dict[str, list[str]] = {}
    for r in results:
        for m in (r.migration, r.backward):
            if m is not None and m.reason:
                failures.setdefault(m.reason, []).append(r.machine)
    if known or failures:
        lines += ["", "Known differences (--baseline):"]
        lines += [f"  {prop} on {_count(len(ds), 'device', 'devices')} of "
                  f"{_count(len({d.machine for d in ds}), 'machine type', 'machine types')}: "
                  f"{reason}" for (prop, reason), ds in known.items()]
        lines += [f"  migration failures on "
                  f"{_count(len(set(ms)), 'machine type', 'machine types')}: {reason}"
                  for reason, ms in failures.items()]
    one_side = sum(len(r.only_old) + len(r.only_new) for r in results)
    if one_side:
        lines += ["", f"info: {_count(one_side, 'property or device exists', 'properties or devices exist')} "
                  "in one binary only (--json lists them)"]
    if only:
        lines += [f"info: machine types only one binary offers: {', '.join(only)}"]
    failed = sum(1 for r in results if r.failed)
    lines += ["", f"prove: {_count(len(results), 'machine type', 'machine types')}, "
              f"{failed} with something new"]
    return "\n".join(lines) + "\n"
