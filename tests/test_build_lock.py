"""scripts/qemu-build takes turns on its cache (issue 26, item 6): a second run waits for
the lock the first holds instead of building the same directory at once."""
from __future__ import annotations

import fcntl
import subprocess
import sys
import time

from helpers import REPO


def test_a_second_run_waits_for_the_lock(tmp_path):
    (tmp_path / "build").mkdir()
    with open(tmp_path / "build" / ".lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        waiting = subprocess.Popen([sys.executable, str(REPO / "scripts" / "qemu-build"), "10.2",
                                    "--cache", str(tmp_path)], stderr=subprocess.PIPE,
                                   stdout=subprocess.DEVNULL, text=True,
                                   env={"PATH": "/usr/bin:/bin"})
        try:
            time.sleep(2)
            assert waiting.poll() is None, waiting.stderr.read()   # still waiting
        finally:
            waiting.kill()
            _, err = waiting.communicate()
    assert "waiting for another run using" in err and ".lock" in err
