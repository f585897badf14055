"""Jinja2 templates for every piece of new C code (StrictUndefined: a typo fails loudly)."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffold.cache import cache_dir

if TYPE_CHECKING:
    import jinja2
    from jinja2.bccache import Bucket


def template_dir() -> Path:
    package = Path(__file__).resolve().parent.parent
    shipped = package / "templates"                      # inside the wheel
    return shipped if shipped.is_dir() else package.parent / "templates"


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(template_dir())),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              autoescape=False, auto_reload=False, bytecode_cache=_bytecode())


def _bytecode() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (keyed by each template's checksum): compiling
    the six templates costs more than a whole bump's planning."""
    import jinja2

    folder = cache_dir("jinja")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    class Cache(jinja2.FileSystemBytecodeCache):
        """A compiled template that does not load (cut short, damaged) is compiled again."""

        def load_bytecode(self, bucket: Bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except Exception:   # whatever the file holds, a cache is never trusted
                bucket.reset()
    return Cache(str(folder)) if os.access(folder, os.W_OK) else None


def render(template: str, **values: Any) -> str:
    """Render a template; the newline that ends the template file is not part of the code."""
    text: str = _env().get_template(template).render(**values)
    return text.removesuffix("\n")
