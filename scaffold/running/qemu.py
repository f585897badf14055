"""One QEMU process, talked to over QMP through qemu.qmp (QEMU's own library), and always
ended: on success, failure, timeout, Ctrl-C, and when qscaffold itself is killed.

The monitor is one end of a socketpair handed to QEMU as a file descriptor: no socket
file to clean up, and nothing listens on the network.

Each QEMU runs in a process group of its own (`setsid`, done by the C side of
subprocess: no Python runs in the child, which is safe while prove's threads run), and
is ended as a group: a wrapper script that does not `exec` QEMU is ended with it.  One
guard process per run holds a pipe from qscaffold and knows the groups: when the pipe
closes, however qscaffold ended (kill -9 included), it kills the groups still there.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from collections.abc import Callable
from typing import Any

from scaffold.errors import ScaffoldError

QMP_TIMEOUT = 30.0       # a QMP answer later than this: QEMU is stuck
GREETING_TIMEOUT = float(os.environ.get("QSCAFFOLD_QMP_GREETING", "30"))  # a monitor silent this long after the start: it never will answer
_ERROR_CHARS = 300   # what one line quotes of a process's stderr at the most

_GUARD = """
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
mark = ("QSCAFFOLD_QEMU_GUARD=" + sys.argv[1]).encode()
groups = set()
for line in sys.stdin:
    sign, group = line[:1], line[1:].strip()
    if group.isdigit():
        (groups.add if sign == "+" else groups.discard)(int(group))
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
for pid in os.listdir("/proc"):   # and whatever carries the run's mark, told or not yet
    try:
        if pid.isdigit() and mark in open(f"/proc/{pid}/environ", "rb").read().split(b"\\0"):
            os.kill(int(pid), signal.SIGKILL)
    except OSError:
        pass
"""


class _Guard:
    """The run's watchdog, started before the first QEMU: told each QEMU's process group,
    it kills those left when qscaffold's end of its pipe closes, and every process that
    carries the run's mark in its environment (set before QEMU is executed: a kill -9
    between QEMU's start and the telling leaves nothing behind)."""

    lock = threading.Lock()
    proc: subprocess.Popen[bytes] | None = None
    mark = f"{os.getpid()}-{time.time_ns()}"

    @classmethod
    def ensure(cls) -> dict[str, str]:
        """The guard running; the environment a QEMU of this run starts with."""
        with cls.lock:
            if cls.proc is None or cls.proc.poll() is not None:
                cls.proc = subprocess.Popen([sys.executable, "-S", "-c", _GUARD, cls.mark],
                                            stdin=subprocess.PIPE, start_new_session=True)
        return dict(os.environ, QSCAFFOLD_QEMU_GUARD=cls.mark)

    @classmethod
    def tell(cls, line: str) -> None:
        with cls.lock:
            if cls.proc is None or cls.proc.stdin is None:
                return
            try:
                cls.proc.stdin.write(f"{line}\n".encode())
                cls.proc.stdin.flush()
            except OSError:
                pass


class QemuError(ScaffoldError):
    """QEMU did not start, or a QMP command failed; the message is QEMU's own."""


def printable(text: str, limit: int = _ERROR_CHARS) -> str:
    """A process's words as one printable line: control characters and bytes that are no
    text escaped, lines joined, and cut at `limit` characters."""
    flat = " ".join(text.split())
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256
                    else f"\\u{ord(c):04x}" for c in flat)
    return shown if len(shown) <= limit else shown[:limit] + f"... ({len(shown)} characters)"


def exit_status(code: int | None) -> str:
    if code is None:
        return "still running"
    return f"killed by signal {-code}" if code < 0 else f"exit status {code}"


class Qemu:
    """`with Qemu(binary, args, name) as vm: vm.cmd("query-status")`."""

    def __init__(self, binary: Path, args: list[str], name: str,
                 pool: QemuPool | None = None):
        self.binary, self.args, self.name = Path(binary), list(args), name
        self.pool = pool
        self.proc: subprocess.Popen[bytes] | None = None
        self.qmp: Any = None
        self._stderr = tempfile.TemporaryFile()
        self._said = ""   # its stderr, once stopped
        self._killed = False   # ended by us (SIGKILL to its group), not by itself
        self.ended = ""        # how it ended, once stopped: "exit status 0", "killed by signal 6"

    def __enter__(self) -> "Qemu":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        from qemu.qmp.legacy import QEMUMonitorProtocol

        if self.pool is not None and self.pool.refusing():
            raise QemuError(f"{self.name}: not started (the run is stopping)")
        ours, theirs = socket.socketpair()
        fd = theirs.fileno()
        cmd = [str(self.binary), *self.args, "-chardev", f"socket,id=qmp,fd={fd}",
               "-mon", "chardev=qmp,mode=control"]
        env = _Guard.ensure()   # before QEMU exists: no moment when nothing guards it
        try:
            self.proc = subprocess.Popen(cmd, pass_fds=[fd], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=self._stderr,
                                         start_new_session=True, env=env)
        except OSError as exc:
            ours.close()
            raise QemuError(f"{self.name}: {self.binary} cannot run: {exc.strerror}") from None
        finally:
            theirs.close()
        _Guard.tell(f"+{self.proc.pid}")
        if self.pool is not None and not self.pool.add(self):
            self._kill()   # stop_all ran while this one was starting
        self.qmp = QEMUMonitorProtocol(ours)
        silent = threading.Timer(GREETING_TIMEOUT, self._kill)   # no greeting: it never will
        silent.daemon = True
        silent.start()
        try:
            self.qmp.connect()
            self.qmp.settimeout(QMP_TIMEOUT)
        except Exception:   # qemu.qmp's errors: QEMU exited, or was silent, before greeting
            timed_out = not silent.is_alive()
            silent.cancel()
            self.stop()
            why = f"its monitor did not answer within {GREETING_TIMEOUT:.0f} s" if timed_out \
                else f"it ended ({exit_status(self.proc.returncode)})"
            raise QemuError(f"{self.name}: {self.binary.name} did not start: {why}: "
                            f"{self.error_text() or 'no message'}; command: "
                            f"{printable(' '.join(cmd[:6]), 120)}") from None
        silent.cancel()

    @property
    def crashed(self) -> bool:
        """It ended by a signal nobody here sent (an abort, a segfault): worth saying."""
        return self.proc is not None and (self.proc.returncode or 0) < 0 and not self._killed

    def _kill(self) -> None:
        """SIGKILL to the process's whole group (a wrapper script and its QEMU)."""
        if self.proc is not None and self.proc.poll() is None:
            self._killed = True
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                self.proc.kill()

    def cmd(self, command: str, **args: Any) -> Any:
        from qemu.qmp import ExecuteError

        try:
            return self.qmp.cmd(command, **args)
        except ExecuteError as exc:
            raise QemuError(f"{self.name}: {command}: {exc}") from None
        except Exception as exc:   # EOF, timeout: the process died or hangs
            raise QemuError(f"{self.name}: {command}: QEMU stopped answering "
                            f"({self.error_text() or type(exc).__name__})") from None

    def wait_event(self, name: str, done: Callable[[dict[str, Any]], bool],
                   timeout: float) -> dict[str, Any] | None:
        """The first `name` event for which `done(data)` holds, from QMP's event stream
        (no polling); None when none came within `timeout` or the process went away."""
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            try:
                event = self.qmp.pull_event(wait=float(left))
            except Exception:   # qemu.qmp's timeout or end of stream: no such event
                return None
            data: dict[str, Any] = event.get("data", {}) if event else {}
            if event and event.get("event") == name and done(data):
                return data
        return None

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
        """What QEMU printed on stderr, as one printable line (its own words, cut short)."""
        if self._stderr.closed:   # stopped: what it had said was kept
            return self._said
        self._stderr.seek(0)
        text = self._stderr.read(64 * 1024).decode("utf-8", "backslashreplace")
        prefix = f"{self.binary.name}: "
        lines = [line.removeprefix(prefix).strip() for line in text.splitlines() if line.strip()]
        errors = [line for line in lines if not line.startswith("warning: ")]
        return printable("; ".join(errors or lines))   # warnings only if alone

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
                self._kill()
                self.proc.wait()
            self.ended = exit_status(self.proc.returncode)
            try:   # the group too: what a wrapper started must not outlive it
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            _Guard.tell(f"-{self.proc.pid}")
        if not self._stderr.closed:
            self._said = self.error_text()
            self._stderr.close()
        if self.qmp is not None:
            try:
                self.qmp.close()
            except Exception:   # the peer is gone already: nothing to say goodbye to
                pass
            self.qmp = None
        if self.pool is not None:
            self.pool.discard(self)


class QemuPool:
    """The QEMUs of one run (prove owns one): each registers while it runs, and
    `stop_all` ends them all (Ctrl-C, an error in another thread); once stopping, the
    pool refuses new processes, so a job still running starts no other."""

    def __init__(self) -> None:
        self._live: set[Qemu] = set()
        self._lock = threading.Lock()
        self._refusing = threading.Event()

    def add(self, vm: "Qemu") -> bool:
        """Register a started process; False when the pool is stopping (it is killed)."""
        with self._lock:
            self._live.add(vm)
            return not self._refusing.is_set()

    def discard(self, vm: "Qemu") -> None:
        with self._lock:
            self._live.discard(vm)

    def refusing(self) -> bool:
        return self._refusing.is_set()

    def stop_all(self, refuse_new: bool = False) -> None:
        with self._lock:
            if refuse_new:
                self._refusing.set()
            live = list(self._live)
        for vm in live:
            vm._kill()
        for vm in live:
            if vm.proc is not None:
                vm.proc.wait()

    def running(self) -> int:
        with self._lock:
            return sum(1 for vm in self._live if vm.alive())


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.01) -> bool:
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
