"""The one model of a tree's versioned machine types.

Every family, upstream's (pc-q35-10.2...) or a vendor's (pc-q35-rhel9.2.0,
pc-q35-jammy...), is read as a `MachineFamily`: its `FamilySpec` (families.py) and its
`MachineType`s, newest first.  A type is what the code says of it: its name and version,
its options functions and what each calls and adds, whether it carries the family's
latest mark, its alias and whether it is the default.  Judges, the checklist and
`machines` ask these; planners that splice a family's file ask its syntax besides
(an upstream family's `VersionBlock`s, machines.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, Protocol, TypeVar
from collections.abc import Callable

from scaffold.reading import csyntax
from scaffold.reading.families import DownstreamVersion, FamilySpec
from scaffold.version import Version

if TYPE_CHECKING:
    from tree_sitter import Node

    from scaffold.reading.registrations import Registration

# A type's version: upstream's numbers (10.2), or a vendor's (rhel9.2.0, ubuntu-jammy).
VersionT = TypeVar("VersionT", Version, DownstreamVersion)


class CallSite:
    """A call made as a statement of an options function: `name(args);`.  Its arguments
    are read from its node when first asked (a chain judge asks them of one call of
    each function)."""

    __slots__ = ("name", "line", "_node", "_args")

    def __init__(self, name: str, line: int, node: Node | None = None,
                 args: tuple[str, ...] | None = None) -> None:
        self.name, self.line, self._node, self._args = name, line, node, args

    @property
    def args(self) -> tuple[str, ...]:
        """Its arguments, as written."""
        if self._args is None:
            from scaffold.reading.cmatch import arguments

            self._args = tuple(csyntax.utf8(a.text or b"") for a in arguments(self._node)) \
                if self._node is not None else ()
        return self._args


class OptionsFacts(NamedTuple):
    """One options function of a type, as its file defines it."""

    name: str
    line: int
    param: str               # its parameter's name (`mc`, `m`)
    calls: tuple[CallSite, ...]
    # the bugfix machine's options it goes through (q35 4.0 -> 4.0.1): its chain is there
    via: OptionsFacts | None = None


@dataclass(eq=False, repr=False)
class MachineType(Generic[VersionT]):
    """One versioned machine type, as its registration and options say."""

    name: str
    version: VersionT
    suffix: str            # "-sxxm" of pseries-rhel7.6.0-sxxm: a variant of its version
    line: int              # its registration's line (its block's, for an unregistered one)
    options: tuple[str, ...]   # its options functions, in the family's order
    latest: bool = False   # it carries the family's latest mark
    registration: Registration | None = None
    # base = "upstream": the upstream options function the type's options reach (itself,
    # or the first call of one, through its release's type for a variant), and its version
    upstream_options: str | None = None
    upstream_version: str | None = None
    # each options function the file defines, with its line, parameter and calls (what
    # the chain rule reads), and the arrays its compat_props_add statements add
    functions: dict[str, OptionsFacts] = field(default_factory=dict)
    adds: dict[str, list[str]] = field(default_factory=dict)   # arrays not local to it
    registered: int | None = None   # its registration's line and macro (None, "": none)
    macro: str = ""
    # its alias and whether it is the default, when the reader gives them as a function
    # read when first asked (an upstream family's may sit in a macro's definition, in a
    # part of the file the reading of its versions does not parse)
    settings: Callable[[], tuple[str | None, bool]] | None = None
    _alias: str | None = field(default=None, init=False)
    _default: bool = field(default=False, init=False)

    @property
    def calls(self) -> dict[str, list[str]]:
        """Each options function the file defines -> the functions its statements call."""
        return {name: [c.name for c in fn.calls] for name, fn in self.functions.items()}

    def _resolve(self) -> None:
        if self.settings is not None:
            self._alias, self._default = self.settings()
            self.settings = None

    @property
    def alias(self) -> str | None:
        """The alias the type's registration or options give it (`q35`, `virt`)."""
        self._resolve()
        return self._alias

    @alias.setter
    def alias(self, value: str | None) -> None:
        self._resolve()
        self._alias = value

    @property
    def default(self) -> bool:
        """Whether it is its binary's default machine."""
        self._resolve()
        return self._default

    @default.setter
    def default(self, value: bool) -> None:
        self._resolve()
        self._default = value


class MachineFamily(Protocol[VersionT]):
    """What every family is, upstream's or a vendor's: its data and its types."""

    @property
    def spec(self) -> FamilySpec: ...

    @property
    def name(self) -> str: ...

    @property
    def path(self) -> str: ...   # the file that registers its types

    @property
    def types(self) -> list[MachineType[VersionT]]: ...

    @property
    def newest(self) -> MachineType[VersionT]: ...


def class_options(family: MachineFamily[Any], t: MachineType[Any]) -> str:
    """The type's class options function, which adds its compat properties ("": none):
    upstream's by its options kind, a vendor's first (docs/families.md)."""
    kinds = family.spec.kinds
    index = next((i for i, k in enumerate(kinds) if k.adds_compat), 0) if kinds else 0
    return t.options[index] if index < len(t.options) else ""


def main_types(family: MachineFamily[Any]) -> list[MachineType[Any]]:
    """The family's types but variants (pseries-rhel7.6.0-sxxm), newest first."""
    return [t for t in family.types if not t.suffix]


@dataclass(eq=False, repr=False)
class VendorFamily:
    """A vendor's family: the types its registrations name with the vendor's version."""

    spec: FamilySpec
    types: list[MachineType[DownstreamVersion]] = field(default_factory=list)   # newest first
    memo: dict[str, Any] = field(default_factory=dict)   # what readers derived from it

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def path(self) -> str:
        return self.spec.file

    @property
    def newest(self) -> MachineType[DownstreamVersion]:
        return self.types[0]


VendorType = MachineType[DownstreamVersion]
UpstreamType = MachineType[Version]
