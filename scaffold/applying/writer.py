"""Write a plan's new file contents: all or nothing.

Each file is replaced atomically (a temporary file in the same folder, then a rename),
keeping its mode.  If anything fails before the end, every file already written is
put back as it was.
"""
from __future__ import annotations

import os
import signal
import stat
import tempfile
from pathlib import Path

from scaffold.errors import ScaffoldError

# Test hooks: after this many files are written, die by SIGKILL (to prove that a re-run
# completes the bump) or fail with an I/O error (to prove that the rollback works).
_KILL_AFTER = "QSCAFFOLD_TEST_KILL_AFTER_WRITES"
_FAIL_AFTER = "QSCAFFOLD_TEST_FAIL_AFTER_WRITES"


def refuse_unwritable(root: Path, paths: list[str]) -> None:
    """Refuse read-only files up front (by their mode: root may write anything)."""
    for rel in paths:
        path = root / rel
        if path.is_symlink():   # replacing it would turn the link into a copy, and git
            # would record C source as the link's target: edit real files only
            raise ScaffoldError(f"file is a symbolic link (to {os.readlink(path)}); qscaffold "
                                "edits real files only: replace the link by its target's "
                                "content, or run on the tree it points into; nothing was "
                                "changed", path=rel)
        mode = path.stat().st_mode
        if not mode & 0o222 or not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
            raise ScaffoldError("file is read-only; nothing was changed", path=rel)


def atomic_write(path: Path, data: bytes) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".qscaffold")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_all(root: Path, contents: dict[str, tuple[bytes, bytes]]) -> None:
    """Write every file's new bytes, or none of them."""
    refuse_unwritable(root, list(contents))
    for rel, (old, _) in contents.items():
        if (root / rel).read_bytes() != old:
            raise ScaffoldError("file changed while the plan was made; nothing was changed", path=rel)
    kill_after = int(os.environ.get(_KILL_AFTER, "0") or 0)
    fail_after = int(os.environ.get(_FAIL_AFTER, "0") or 0)
    written: list[str] = []
    failed = ""
    try:
        for failed, (_, new) in contents.items():
            if fail_after and len(written) == fail_after:
                raise OSError(5, "Input/output error (test hook)")
            atomic_write(root / failed, new)
            written.append(failed)
            if kill_after and len(written) == kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
    except BaseException as exc:
        for rel in written:   # only bytes this run wrote: never another run's
            if (root / rel).read_bytes() == contents[rel][1]:
                atomic_write(root / rel, contents[rel][0])
        if isinstance(exc, OSError):
            raise ScaffoldError(f"write failed ({exc.strerror}); every file was restored",
                                path=failed) from exc
        raise
