"""commands/compat_rebase.py: `run(RebaseOptions)`."""
from __future__ import annotations

import pytest

from scaffold.commands.compat_rebase import RebaseOptions, run
from scaffold.errors import ScaffoldError


def test_an_upstream_tree_has_no_vendor_to_rebase(fixture_tree):
    with pytest.raises(ScaffoldError):
        run(RebaseOptions("11.0", "11.2", repo=fixture_tree("layout-11.2"), dry_run=True))
