"""One QEMU process, talked to over QMP through qemu.qmp (QEMU's own library), and always
ended: on success, failure, timeout, Ctrl-C, and (through the parent-death signal) when
qscaffold itself is killed.

The monitor is one end of a socketpair handed to QEMU as a file descriptor: no socket
file to clean up, and nothing listens on the network.
"""
from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from scaffold.errors import ScaffoldError

QMP_TIMEOUT = 30.0   # a QMP answer later than this: QEMU is stuck
_LIVE: set["Qemu"] = set()   # every process not yet ended (ended on the way out)
_LIVE_LOCK = threading.Lock()
_REFUSING = threading.Event()   # set once the run is being stopped: no new process
PR_SET_PDEATHSIG = 1


class QemuError(ScaffoldError):
    """QEMU did not start, or a QMP command failed; the message is QEMU's own."""


def _die_with_parent() -> None:   # in the child, before exec (Linux)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


class Qemu:
    """`with Qemu(binary, args, name) as vm: vm.cmd("query-status")`."""

    def __init__(self, binary: Path, args: list[str], name: str):
        self.binary, self.args, self.name = Path(binary), list(args), name
        self.proc: subprocess.Popen | None = None
        self.qmp: Any = None
        self._stderr = tempfile.TemporaryFile()

    def __enter__(self) -> "Qemu":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        from qemu.qmp.legacy import QEMUMonitorProtocol

        if _REFUSING.is_set():
            raise QemuError(f"{self.name}: not started (the run is stopping)")
        ours, theirs = socket.socketpair()
        fd = theirs.fileno()
        cmd = [str(self.binary), *self.args, "-chardev", f"socket,id=qmp,fd={fd}",
               "-mon", "chardev=qmp,mode=control"]
        try:
            self.proc = subprocess.Popen(cmd, pass_fds=[fd], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=self._stderr,
                                         preexec_fn=_die_with_parent)
        except OSError as exc:
            ours.close()
            raise QemuError(f"{self.name}: {self.binary} cannot run: {exc.strerror}") from None
        finally:
            theirs.close()
        with _LIVE_LOCK:
            _LIVE.add(self)
            if _REFUSING.is_set():   # stop_all ran while this one was starting
                self.proc.kill()
        self.qmp = QEMUMonitorProtocol(ours)
        try:
            self.qmp.connect()
            self.qmp.settimeout(QMP_TIMEOUT)
        except Exception:   # QEMU exited before its monitor answered: its stderr says why
            self.stop()
            raise QemuError(f"{self.name}: {self.binary.name} did not start: "
                            f"{self.error_text() or 'no message'}") from None

    def cmd(self, command: str, **args) -> Any:
        from qemu.qmp import ExecuteError

        try:
            return self.qmp.cmd(command, **args)
        except ExecuteError as exc:
            raise QemuError(f"{self.name}: {command}: {exc}") from None
        except Exception as exc:   # EOF, timeout: the process died or hangs
            raise QemuError(f"{self.name}: {command}: QEMU stopped answering "
                            f"({self.error_text() or type(exc).__name__})") from None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_exit(self, timeout: float) -> bool:
        if self.proc is None:
            return True
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def error_text(self) -> str:
        """What QEMU printed on stderr, as one line (its own words)."""
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace")
        prefix = f"{self.binary.name}: "
        lines = [line.removeprefix(prefix).strip() for line in text.splitlines() if line.strip()]
        errors = [line for line in lines if not line.startswith("warning: ")]
        return "; ".join(errors or lines)   # warnings (deprecated types...) only if alone

    def stop(self) -> None:
        """End the process: `quit`, then SIGKILL if it lingers.  Idempotent."""
        if self.proc is not None and self.proc.poll() is None and self.qmp is not None:
            try:
                self.qmp.settimeout(2.0)
                self.qmp.cmd("quit")
            except Exception:
                pass
        if self.proc is not None:
            if not self.wait_exit(3.0):
                self.proc.kill()
                self.proc.wait()
        if self.qmp is not None:
            try:
                self.qmp.close()
            except Exception:   # the peer is gone already: nothing to say goodbye to
                pass
            self.qmp = None
        with _LIVE_LOCK:
            _LIVE.discard(self)


def allow_starts() -> None:
    _REFUSING.clear()


def stop_all(refuse_new: bool = False) -> None:
    """Kill every QEMU still running (Ctrl-C, or an error in another thread); with
    `refuse_new`, jobs still running start no other."""
    with _LIVE_LOCK:
        if refuse_new:
            _REFUSING.set()
        live = list(_LIVE)
    for vm in live:
        if vm.proc is not None and vm.proc.poll() is None:
            vm.proc.kill()
    for vm in live:
        if vm.proc is not None:
            vm.proc.wait()


def running() -> int:
    with _LIVE_LOCK:
        return sum(1 for vm in _LIVE if vm.alive())


def wait_for(predicate, timeout: float, interval: float = 0.01) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def firmware_dirs() -> list[str]:
    """Where Debian installs QEMU's firmware (seabios, ipxe): both binaries read the old
    binary's, so that a build with stand-in blobs runs and the ROMs match in size."""
    dirs = ["/usr/share/qemu", "/usr/share/seabios", "/usr/lib/ipxe/qemu"]
    return [d for d in dirs if os.path.isdir(d)]
