"""What the tests share: real QEMU trees (Debian source packages) and their builds, scratch
copies, running the CLI, and hand-written expectations.  Fixtures live in conftest.py."""
from __future__ import annotations

import fcntl
import signal
import time
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scaffold.version import Version

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
_trees: dict[str, Path] = {}


# The fetched QEMU trees and their builds are kept where scripts/ keep them (CI pays a full
# build once); qscaffold's own caches (file index, compiled templates) go under pytest's tmp
# for the tests, never into a maintainer's ~/.cache/qscaffold (pruning could evict theirs).
TREES_CACHE = os.environ.get("QSCAFFOLD_CACHE") or os.path.expanduser("~/.cache/qscaffold")


NOT_SERVED = 3   # scripts/fetch-qemu's exit status when the mirror does not serve a series
_missing: dict[str, int] = {}   # series the mirror does not serve -> tests skipped for it


def _fetch(*args: str) -> Path | None:
    if not shutil.which("apt-get") and not os.environ.get("CI"):
        pytest.skip("apt-get is not available here: real QEMU trees cannot be fetched")
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "fetch-qemu"), *args,
                           "--cache", TREES_CACHE], capture_output=True, text=True)
    if proc.returncode == NOT_SERVED:
        return None
    if proc.returncode != 0:
        pytest.fail(f"scripts/fetch-qemu {' '.join(args)} failed:\n{proc.stderr}")
    return Path(proc.stdout.strip().splitlines()[-1])


def real_tree(release: str) -> Path:
    """The unpacked Debian QEMU source tree for a major.minor (fetched once, cached).
    A series the mirror no longer serves skips the test, and the run ends with a loud
    line saying which coverage is missing (Debian drops series; CI must not fail for it)."""
    found = _trees.get(release) if release in _trees or release in _missing else _fetch(release)
    if found is None:
        _missing[release] = _missing.get(release, 0) + 1
        pytest.skip(f"MISSING COVERAGE: the mirror does not serve QEMU {release}")
    _trees[release] = found
    return found


SHARED = Path(os.environ.get("QSCAFFOLD_SHARED", REPO.parent / "shared"))   # ../shared
RHEL_PATCHES = SHARED / "downstream" / "rhel-9.2"
_rhel: dict[str, Path] = {}


def rhel_tree(scratch: Path, before: str = "") -> Path:
    """RHEL 9.2's tree: Debian's 7.2 source with the patches of ../shared applied in
    series order (../shared/downstream/rhel-9.2/README), made once per session; with
    `before`, only the patches before the one whose name starts so ("0018": the tree
    0018 applies to).  Without ../shared the test is skipped, and the run says so."""
    if not (RHEL_PATCHES / "series").is_file():
        _missing["RHEL 9.2 (../shared/downstream is absent)"] = \
            _missing.get("RHEL 9.2 (../shared/downstream is absent)", 0) + 1
        pytest.skip("MISSING COVERAGE: ../shared/downstream/rhel-9.2 is absent")
    if before not in _rhel:
        dest = scratch / f"rhel-9.2{'-before-' + before if before else ''}"
        shutil.copytree(real_tree("7.2"), dest, symlinks=True)
        for name in (RHEL_PATCHES / "series").read_text().split():
            if before and name.startswith(before):
                break
            apply_patch(dest, RHEL_PATCHES / name)
        _rhel[before] = dest
    return _rhel[before]


def apply_patch(root: Path, patch_file: Path) -> None:
    with open(patch_file, "rb") as patch:
        proc = subprocess.run(["patch", "-p1", "-s", "--fuzz=0"], stdin=patch, cwd=root,
                              capture_output=True)
    assert proc.returncode == 0, f"{patch_file.name}: {proc.stdout.decode()} {proc.stderr.decode()}"


def newest_tree() -> Path:
    """The tree of the newest series the mirror serves: the suite follows QEMU forward."""
    if "newest" not in _trees:
        found = _fetch("--newest")
        if found is None:
            pytest.fail("the mirror serves no QEMU source package at all")
        _trees["newest"] = found
    return _trees["newest"]


_build_lock: list = []   # the build cache's lock, once taken: held until the session ends


def hold_build_lock() -> None:
    """Take scripts/qemu-build's lock for the rest of the session: a test resets the work
    tree, edits it and builds it, and another session (a second test run, CI) sharing the
    cache must not do the same at once.  It waits for such a session to finish."""
    if _build_lock:
        return
    folder = Path(TREES_CACHE) / "build"
    folder.mkdir(parents=True, exist_ok=True)
    lock = open(folder / ".lock", "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"waiting for another run using {folder} (its lock: .lock)", file=sys.stderr)
        fcntl.flock(lock, fcntl.LOCK_EX)
    _build_lock.append(lock)


def build_tree(release: str, *args: str) -> tuple[Path, Path]:
    """scripts/qemu-build: (the git work tree, its configured build directory), cached."""
    hold_build_lock()
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "qemu-build"), release, *args,
                           "--cache", TREES_CACHE], capture_output=True, text=True,
                          env=dict(os.environ, QSCAFFOLD_BUILD_LOCK_HELD="1"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    src, build = proc.stdout.strip().splitlines()[-2:]
    return Path(src), Path(build)


def ninja(build: Path, *targets: str) -> None:
    proc = subprocess.run(["ninja", "-C", str(build), *targets], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]


def linked_copy(src: Path, dest: Path) -> Path:
    """A copy of a tree made of hard links: fast, and safe because qscaffold replaces files
    by rename (a file it writes gets a new inode; the cached tree is never modified)."""
    proc = subprocess.run(["cp", "-al", str(src), str(dest)], capture_output=True)
    if proc.returncode != 0:
        shutil.copytree(src, dest, symlinks=True)
    return dest


def changed_files(original: Path, copy: Path) -> set[str]:
    """Files of `copy` that are no longer the same inode (or content) as in `original`."""
    changed = set()
    for dirpath, dirnames, filenames in os.walk(copy):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            path = Path(dirpath, name)
            rel = path.relative_to(copy)
            orig = original / rel
            if not orig.exists():
                changed.add(str(rel))
            elif path.stat().st_ino != orig.stat().st_ino and path.read_bytes() != orig.read_bytes():
                changed.add(str(rel))
    return changed


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "scaffold", *args], cwd=cwd, capture_output=True,
                           env=full_env)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file's bytes (fixture-sized trees only), to prove a tree was left as it was."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            path = Path(dirpath, name)
            out[str(path.relative_to(root))] = path.read_bytes()
    return out


def expected_file(original: bytes, hunks: list[tuple[str, str]], path: str) -> bytes:
    """`original` with each hand-written (old, new) hunk applied; `old` must occur once."""
    text = original
    for old, new in hunks:
        assert text.count(old.encode()) == 1, f"{path}: expectation's old text must occur once"
        text = text.replace(old.encode(), new.encode())
    return text


def arrays(l: str, p: str, boards: str = "include/hw/boards.h",
           x86: bool = True) -> dict[str, list[tuple[str, str]]]:
    """New empty arrays for release l go right above the newest existing one, p."""
    def define(prefix):
        return (f"GlobalProperty {prefix}_compat_{p}[] =",
                f"GlobalProperty {prefix}_compat_{l}[] = {{}};\n"
                f"const size_t {prefix}_compat_{l}_len = G_N_ELEMENTS({prefix}_compat_{l});\n\n"
                f"GlobalProperty {prefix}_compat_{p}[] =")

    def declare(prefix):
        return (f"extern GlobalProperty {prefix}_compat_{p}[];",
                f"extern GlobalProperty {prefix}_compat_{l}[];\n"
                f"extern const size_t {prefix}_compat_{l}_len;\n\n"
                f"extern GlobalProperty {prefix}_compat_{p}[];")

    hunks = {"hw/core/machine.c": [define("hw")], boards: [declare("hw")]}
    if x86:
        hunks.update({"hw/i386/pc.c": [define("pc")], "include/hw/i386/pc.h": [declare("pc")]})
    return hunks


def current_layout(L: Version, N: Version, boards: str = "include/hw/boards.h",
                   families: tuple[str, ...] = ("arm", "m68k", "i440fx", "q35", "s390x", "spapr"),
                   extra: tuple[str, ...] = ()) -> dict[str, list[tuple[str, str]]]:
    """The 10.0-and-later layout, written by hand: expected hunks for bumping L to N.
    `extra` names further virt-shaped families (loongarch)."""
    l, n, p = L.underscored, N.underscored, L.prev().underscored
    la, lb, na, nb = L.major, L.minor, N.major, N.minor
    virt_old = f"""static void virt_machine_{l}_options(MachineClass *mc)
{{
}}
DEFINE_VIRT_MACHINE_AS_LATEST({la}, {lb})
"""
    virt_new = f"""static void virt_machine_{n}_options(MachineClass *mc)
{{
}}
DEFINE_VIRT_MACHINE_AS_LATEST({na}, {nb})

static void virt_machine_{l}_options(MachineClass *mc)
{{
    virt_machine_{n}_options(mc);
    compat_props_add(mc->compat_props, hw_compat_{l}, hw_compat_{l}_len);
}}
DEFINE_VIRT_MACHINE({la}, {lb})
"""

    def x86(prefix: str, macro: str) -> tuple[str, str]:
        old = f"""static void pc_{prefix}_machine_{l}_options(MachineClass *m)
{{
    pc_{prefix}_machine_options(m);
}}

DEFINE_{macro}_MACHINE_AS_LATEST({la}, {lb});
"""
        new = f"""static void pc_{prefix}_machine_{n}_options(MachineClass *m)
{{
    pc_{prefix}_machine_options(m);
}}

DEFINE_{macro}_MACHINE_AS_LATEST({na}, {nb});

static void pc_{prefix}_machine_{l}_options(MachineClass *m)
{{
    pc_{prefix}_machine_{n}_options(m);
    compat_props_add(m->compat_props, hw_compat_{l}, hw_compat_{l}_len);
    compat_props_add(m->compat_props, pc_compat_{l}, pc_compat_{l}_len);
}}

DEFINE_{macro}_MACHINE({la}, {lb});
"""
        return old, new

    s390_old = f"""static void ccw_machine_{l}_instance_options(MachineState *machine)
{{
}}

static void ccw_machine_{l}_class_options(MachineClass *mc)
{{
}}
DEFINE_CCW_MACHINE_AS_LATEST({la}, {lb});
"""
    s390_new = f"""static void ccw_machine_{n}_instance_options(MachineState *machine)
{{
}}

static void ccw_machine_{n}_class_options(MachineClass *mc)
{{
}}
DEFINE_CCW_MACHINE_AS_LATEST({na}, {nb});

static void ccw_machine_{l}_instance_options(MachineState *machine)
{{
    ccw_machine_{n}_instance_options(machine);
}}

static void ccw_machine_{l}_class_options(MachineClass *mc)
{{
    ccw_machine_{n}_class_options(mc);
    compat_props_add(mc->compat_props, hw_compat_{l}, hw_compat_{l}_len);
}}
DEFINE_CCW_MACHINE({la}, {lb});
"""
    spapr_old = f"""/*
 * pseries-{L}
 */
static void spapr_machine_{l}_class_options(MachineClass *mc)
{{
    /* Defaults for the latest behaviour inherited from the base class */
}}

DEFINE_SPAPR_MACHINE_AS_LATEST({la}, {lb});
"""
    spapr_new = f"""/*
 * pseries-{N}
 */
static void spapr_machine_{n}_class_options(MachineClass *mc)
{{
    /* Defaults for the latest behaviour inherited from the base class */
}}

DEFINE_SPAPR_MACHINE_AS_LATEST({na}, {nb});

/*
 * pseries-{L}
 */
static void spapr_machine_{l}_class_options(MachineClass *mc)
{{
    spapr_machine_{n}_class_options(mc);
    compat_props_add(mc->compat_props, hw_compat_{l}, hw_compat_{l}_len);
}}

DEFINE_SPAPR_MACHINE({la}, {lb});
"""
    by_family = {
        "arm": ("hw/arm/virt.c", (virt_old, virt_new)),
        "m68k": ("hw/m68k/virt.c", (virt_old, virt_new)),
        "loongarch": ("hw/loongarch/virt.c", (virt_old, virt_new)),
        "i440fx": ("hw/i386/pc_piix.c", x86("i440fx", "I440FX")),
        "q35": ("hw/i386/pc_q35.c", x86("q35", "Q35")),
        "s390x": ("hw/s390x/s390-virtio-ccw.c", (s390_old, s390_new)),
        "spapr": ("hw/ppc/spapr.c", (spapr_old, spapr_new)),
    }
    hunks = {by_family[f][0]: [by_family[f][1]] for f in families + extra}
    return {**hunks, **arrays(l, p, boards)}


USER = ("Test User", "test@example.com")


def git(root: Path, *args: str, env: dict | None = None) -> str:
    proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def init_repo(root: Path, commit: bool = True) -> Path:
    """`root` as a git repository with the test user (and, by default, one commit)."""
    git(root, "init", "-q", "-b", "master")
    git(root, "config", "user.name", USER[0])
    git(root, "config", "user.email", USER[1])
    if commit:
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "QEMU")
    return root


def one_line_error(proc) -> str:
    """The stderr of a failed run: exactly one `qscaffold: error: ` line, no traceback."""
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("qscaffold: error: "), err
    assert "Traceback" not in err
    return err


def packaged_qemu(target: str = "x86_64") -> Path:
    """scripts/qemu-packaged: Debian's QEMU (7.2 on bookworm), installed with apt if need be."""
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "qemu-packaged"), target],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return Path(proc.stdout.splitlines()[0])


# Every process this test session starts inherits this mark (QEMU too, through
# qscaffold): the session looks only for its own QEMUs, never another session's.
SESSION_MARK = f"QSCAFFOLD_TEST_SESSION={os.getpid()}-{os.urandom(4).hex()}"
os.environ[SESSION_MARK.split("=")[0]] = SESSION_MARK.split("=")[1]


def qemu_processes() -> list[str]:
    """Command lines of the QEMUs this session's qscaffold runs started that are still
    running (its monitor is a socketpair handed over as `-chardev socket,id=qmp,fd=N`;
    the session's mark is in their environment)."""
    out = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state == "Z" or not any(a.startswith(b"socket,id=qmp,fd=") for a in cmdline):
                continue
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if SESSION_MARK.encode() in environ:
            out.append(b" ".join(cmdline).decode(errors="replace"))
    return out


def on_terminal(args: list[str], until: bytes | None = None, seconds: float = 60,
                cwd: Path | None = None, env: dict | None = None,
                stdout_too: bool = False) -> tuple[bytes, float | None, int | None]:
    """Run qscaffold with its stderr (and, `stdout_too`, its stdout) on a pseudo-terminal
    (else stdout to a pipe, drained): what the terminal got, when `until` first showed
    (seconds from the start, or None), and the exit status (None: stopped with SIGINT
    after `until` showed, or at `seconds`)."""
    import pty
    import select

    master, slave = pty.openpty()
    start = time.monotonic()
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    proc = subprocess.Popen([sys.executable, "-m", "scaffold", *args], cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=slave if stdout_too else subprocess.PIPE, stderr=slave,
                            env=dict(base, **dict({"TERM": "xterm"}, **(env or {}))))
    os.close(slave)
    got, seen = b"", None
    try:
        while time.monotonic() - start < seconds:
            ready, _, _ = select.select([master] + ([proc.stdout] if proc.stdout else []), [],
                                        [], 0.1)
            if proc.stdout is not None and proc.stdout in ready:
                os.read(proc.stdout.fileno(), 65536)
            if master in ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:   # the other end closed: the process has ended
                    chunk = b""
                got += chunk
                if until is not None and seen is None and until in got:
                    seen = time.monotonic() - start
                    break
                if not chunk and proc.poll() is not None:
                    break
            elif proc.poll() is not None:
                break
    finally:
        code = proc.poll()
        if code is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
        os.close(master)
    return got, seen, code


def default_sigint() -> None:
    """Started from a background job (`nohup bash .ci/run &`), the suite inherits an
    ignored SIGINT, and so would every process it starts: the tests that send Ctrl-C
    would see it ignored.  A Python handler is reset to the default at exec: the children
    get SIGINT's default disposition, as from a terminal (issue 37, item 21)."""
    import signal

    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def ubuntu_on_10_2(root: Path, codename: str = "questing", release: str = "25.10",
                   through_pc_h: bool = False) -> None:
    """Ubuntu's shape, ported by hand to a 10.2 tree (issue 35's build proof): one type
    per family and release calling 10.2's newest upstream options, as Ubuntu's
    define-ubuntu-machine-types.patch does (../shared/downstream/ubuntu-22.04/README).
    10.2's DEFINE_I440FX_MACHINE(major, minor) names its types itself, so the port adds
    Ubuntu's 6.2 macro shape through pc.h's DEFINE_PC_MACHINE, as Ubuntu re-expressed
    spapr's and s390x's (DEFINE_*_MACHINE_NAMED); and upstream's newest i440fx stays
    `pc` but is no longer the default (QEMU asserts a single default).  With
    `through_pc_h`, the types register with pc.h's DEFINE_PC_MACHINE itself, no macro of
    Ubuntu's own."""
    for rel, family, alias, default, desc in (
            ("hw/i386/pc_piix.c", "i440fx", "ubuntu", True, "PC (i440FX + PIIX, 1996)"),
            ("hw/i386/pc_q35.c", "q35", "ubuntu-q35", False, "PC (Q35 + ICH9, 2009)")):
        path = root / rel
        text = path.read_text()
        macro = "DEFINE_I440FX_MACHINE" if family == "i440fx" else "DEFINE_Q35_MACHINE"
        init = f"pc_{family}_init"
        anchor = f"static void pc_{family}_machine_options(MachineClass *m)\n"
        assert text.count(anchor) == 1, rel
        if not through_pc_h:
            text = text.replace(anchor, (
                f"/* Ubuntu: its own machine types, named by the release's codename */\n"
                f"#define {macro}_NAMED(suffix, name, compatfn, optionfn) \\\n"
                f"    DEFINE_PC_MACHINE(suffix, name, {init}, optionfn)\n\n" + anchor))
        if family == "i440fx":
            latest = 'pc_i440fx_init, true, "pc", major, minor);'
            assert text.count(latest) == 1
            text = text.replace(latest, 'pc_i440fx_init, false, "pc", major, minor);')
        register, third = ("DEFINE_PC_MACHINE", init) if through_pc_h else (f"{macro}_NAMED", "NULL")
        last = f"{macro}(2, 6);\n"
        assert text.count(last) == 1, rel
        text = text.replace(last, last + (
            f"\nstatic void pc_{family}_{codename}_machine_options(MachineClass *m)\n{{\n"
            f"    pc_{family}_machine_10_2_options(m);\n"
            f'    m->desc = "Ubuntu {release} {desc}";\n'
            f'    m->alias = "{alias}";\n'
            + ("    m->is_default = true;\n" if default else "") +
            f"}}\n{register}({codename}, \"pc-{family}-{codename}\", {third},\n"
            f"{' ' * (len(register) + 1)}pc_{family}_{codename}_machine_options);\n"))
        path.write_text(text)
