"""Where qscaffold keeps its caches: $QSCAFFOLD_CACHE, default ~/.cache/qscaffold (the
fetched QEMU trees, the file index, compiled templates; scripts/ use the same folder)."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir(*parts: str) -> Path:
    root = os.environ.get("QSCAFFOLD_CACHE") or os.path.expanduser("~/.cache/qscaffold")
    return Path(root, *parts)
