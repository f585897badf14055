"""`record`: the dataclass form for the tool's mutable records.

Files, trees, families, blocks and plans are located things, not values: two of them are
the same only if they are the same object, and their repr would print whole files.  So
they get no generated `__eq__`/`__repr__`, which also halves what a dataclass costs to
create when its module is imported (about 0.2 ms each, on every run; see issue 12).
Value types (Version, Edit, Finding...) are NamedTuples."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(eq_default=False, field_specifiers=())
def record(cls: type[T]) -> type[T]:
    """`@dataclass(eq=False, repr=False)`, in a form type checkers read as a dataclass."""
    return dataclass(eq=False, repr=False)(cls)
