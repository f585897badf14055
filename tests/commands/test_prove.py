"""commands/prove.py: `run(ProveOptions)` refuses what it cannot run, before any QEMU."""
from __future__ import annotations

import pytest

from scaffold.commands.prove import ProveOptions, run
from scaffold.errors import ScaffoldError


def test_an_old_binary_that_is_not_there(tmp_path):
    with pytest.raises(ScaffoldError, match="missing"):
        run(ProveOptions(old=tmp_path / "missing", new=tmp_path / "missing-too"))
