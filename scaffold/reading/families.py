"""The family model: every family of versioned machine types, upstream's and a
distribution's, is one `FamilySpec` read by one loader from the families files
(families/upstream.toml, the vendors' files beside it, a vendor's own file kept in the
tree: .qscaffold/families.toml, or one given with --families; docs/families.md).

A family is found in the tree by its registration macro (and, where several
architectures share a macro name, by the hw/<arch>/ folder it lives in).  What differs
from family to family is a field here, not a code path: how its types are named
(`machine`: over the version for upstream's numbered types, over the registration's
arguments for a vendor's), what its options functions are called, how its newest type
is marked, what its types' options call first (`base`).
"""
from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

from scaffold.errors import UsageError


SHIPPED = Path(__file__).resolve().parent.parent / "families"
UPSTREAM_FILE = SHIPPED / "upstream.toml"
IN_TREE = ".qscaffold/families.toml"
_LATEST = re.compile(r"macro|alias|arg:\d+\Z")

# Version placeholder in function-name patterns.
V = r"(?P<major>\d+)_(?P<minor>\d+)"


class DownstreamVersion(NamedTuple):
    """rhel9.2.0: a vendor's tag and three numbers (`qscaffold bump rhel9.2.0`); or, for a
    vendor that names its releases (Ubuntu), the vendor and a codename, ordered by the
    release the codename stands for: ubuntu-jammy is 22.04."""

    vendor: str
    major: int
    minor: int
    micro: int
    codename: str = ""

    def __str__(self) -> str:
        if self.codename:
            return f"{self.vendor}-{self.codename}"
        return f"{self.vendor}{self.major}.{self.minor}.{self.micro}"

    @property
    def release(self) -> str:
        """The release it stands for: "22.04" of ubuntu-jammy, "9.2.0" of rhel9.2.0."""
        if self.codename:
            return f"{self.major:02d}.{self.minor:02d}"
        return f"{self.major}.{self.minor}.{self.micro}"

    @classmethod
    def parse(cls, text: str, vendor: str | None = None) -> DownstreamVersion | None:
        m = re.fullmatch(r"([a-z]+)(\d+)\.(\d+)\.(\d+)", text)
        if m is None or (vendor is not None and m.group(1) != vendor):
            return None
        return cls(m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4)))


class VendorArrays(NamedTuple):
    """A vendor's compat arrays: name templates per upstream prefix ("hw", "pc"), and
    the comment put before each entry a rebase copies."""

    vendor: str
    names: dict[str, str]
    comment: str
    source: str

    def pattern(self, prefix: str) -> re.Pattern[str] | None:
        template = self.names.get(prefix)
        if template is None:
            return None
        parts = re.split(r"(\{major\}|\{minor\})", template)
        return re.compile("".join(r"(?P<major>\d+)" if p == "{major}" else
                                  r"(?P<minor>\d+)" if p == "{minor}" else re.escape(p)
                                  for p in parts) + r"\Z")


class OptionsKind(NamedTuple):
    """One per-version function: name patterns (current first), parameter type, role."""

    role: str              # "options", "class_options", "instance_options": the key in a block
    patterns: tuple[str, ...]
    param_type: str
    adds_compat: bool  # class-level options add the release's compat arrays

    def match(self, name: str, bugfix: bool = False) -> re.Match[str] | None:
        """The match of `name` against the patterns; with `bugfix`, a bugfix release's
        machine type (pc-q35-4.0.1): major_minor_micro in the name."""
        for pattern in _compiled(self.patterns, bugfix):
            m = pattern.fullmatch(name)
            if m:
                return m
        return None

    def match_bugfix(self, name: str) -> re.Match[str] | None:
        return self.match(name, bugfix=True)


_COMPILED: dict[tuple[tuple[str, ...], bool], list[re.Pattern[str]]] = {}


def _compiled(patterns: tuple[str, ...], bugfix: bool) -> list[re.Pattern[str]]:
    """Matchers run on every function of a family file: compile each pattern once."""
    key = (patterns, bugfix)
    if key not in _COMPILED:
        _COMPILED[key] = [re.compile(p.replace(V, V + r"_(?P<micro>\d+)") if bugfix else p)
                          for p in patterns]
    return _COMPILED[key]


class Base(StrEnum):
    """What a type's options call first: the next newer type's of its own family
    (upstream's and RHEL's chains), or the upstream options of the QEMU its release
    shipped (Ubuntu's)."""

    VENDOR = "vendor"       # its own family's next newer type ("own" in the data too)
    UPSTREAM = "upstream"


class MarkKind(StrEnum):
    """How a family marks its latest type: its registration's _AS_LATEST macro, an
    argument of the registration (`true`), or the alias its options set."""

    MACRO = "macro"
    ARG = "arg"
    ALIAS = "alias"


class LatestMark(NamedTuple):
    """A family's `latest` ("macro", "alias" or "arg:N"), read once."""

    kind: MarkKind
    argument: int = -1   # which argument, for ARG

    @classmethod
    def parse(cls, text: str) -> LatestMark:
        if text.startswith("arg:"):
            return cls(MarkKind.ARG, int(text[4:]))
        return cls(MarkKind(text))

    def __str__(self) -> str:
        return f"arg:{self.argument}" if self.kind is MarkKind.ARG else str(self.kind)


class FamilySpec(NamedTuple):
    """One family, upstream's or a vendor's, as its families file describes it."""

    name: str              # as findings, `machines` and commit messages name it
    file: str              # where it registers, relative to the tree's root
    macro: str             # its registration macro (the first of `macros`)
    machine: str           # its types' names: "pc-q35-{version}", or "{1}" (an argument)
    options: tuple[str, ...]   # its options functions' names, as `machine` (newest naming)
    source: str            # the file that describes it
    vendor: str = ""       # the vendor's version tag (rhel); "" for upstream's families
    # -- upstream's numbered families: versions are numbers, read by name patterns
    kinds: tuple[OptionsKind, ...] = ()   # options kinds, every naming (newest first)
    base_options: tuple[str, ...] = ()  # what the newest version's options may call
    # the compat array prefixes each release adds, and each older version: hw_compat_X_Y
    # (a vendor's family adds none at its bump: its arrays come at a rebase, [arrays])
    arrays: tuple[str, ...] = ()
    header: str | None = None           # a "/*\n * NAME-A.B\n */" comment heads each block
    lists: tuple[str, ...] = ()         # mailing lists in copy besides qemu-devel
    doc_arches: tuple[str, ...] = ()    # names in docs/about/deprecated.rst's list
    subsystem: str = ""                 # commit subject prefix; families sharing one retire together
    others: tuple[str, ...] = ()        # unversioned machine types its file registers too
    # -- a vendor's families: versions carry the vendor's tag, read from the type's name
    upstream: str = ""     # the upstream family whose file and arrays it shares
    latest: LatestMark = LatestMark(MarkKind.MACRO)   # how the newest type is marked
    alias: str | None = None   # what the registration macro aliases the latest type to
    # what `bump` needs (docs/families.md): the fields every type sets for itself, which a
    # new type takes with its own version; the functions and arrays only the newest
    # type's options call or add besides those read from the code; whether the family
    # gets new types (None: decided from the tree, a family whose newest type is of an
    # older major is frozen)
    own: tuple[str, ...] = ()
    newest: tuple[str, ...] = ()
    continued: bool | None = None
    base: Base = Base.VENDOR
    # the vendor's releases, when its types are named by codename: (codename, (YY, MM))
    releases: tuple[tuple[str, tuple[int, int]], ...] = ()
    desc: str | None = None   # how a new type's description names its release
    # every registration macro (`macro` is the first): a vendor that re-expressed its
    # registrations through another macro when upstream changed its own (Ubuntu's x86
    # types past 9.1, whose DEFINE_I440FX_MACHINE(major, minor) names types itself)
    macros: tuple[str, ...] = ()

    @property
    def is_upstream(self) -> bool:
        return not self.vendor

    @property
    def shipped(self) -> bool:
        """Whether the tool ships its description (else the vendor wrote it)."""
        return Path(self.source).parent in (SHIPPED, UPSTREAM_FILE.parent)

    @property
    def arch(self) -> str:
        """The hw/<arch>/ folder of its file."""
        return self.file.split("/")[1] if self.file.count("/") >= 2 else ""

    @property
    def prefix(self) -> str:
        """An upstream family's type names before the version: "pc-q35"."""
        return self.machine[:-len("-{version}")]

    def type_name(self, version: object) -> str:
        """An upstream family's type of `version`: pc-q35-10.2."""
        return f"{self.prefix}-{version}"

    @property
    def class_kind(self) -> OptionsKind:
        return next(k for k in self.kinds if k.adds_compat)

    def registers_with(self, macro: str) -> bool:
        """Whether a registration of `macro` (an _AS_LATEST, _BUGFIX... form too) may be
        the family's."""
        return any(macro == m or macro.startswith(m + "_") for m in self.macros or (self.macro,))

    def version_of(self, codename: str) -> DownstreamVersion | None:
        for name, (major, minor) in self.releases:
            if name == codename:
                return DownstreamVersion(self.vendor, major, minor, 0, name)
        return None

    def fill(self, template: str, args: list[str]) -> str | None:
        try:
            return template.format(*args)
        except (IndexError, KeyError, ValueError):
            return None


# -- the one loader -------------------------------------------------------------------------

def _kind(names: list[str], where: str) -> OptionsKind:
    """One options kind from its name templates: its role and parameter read from the
    name, as QEMU names them (ccw_machine_10_2_instance_options takes the MachineState
    and adds no compat; every other kind takes the MachineClass and adds the arrays)."""
    for name in names:
        if "{major}_{minor}" not in name:
            raise UsageError(f"{where}: {name!r} names no version ({{major}}_{{minor}})")
    role = next((r for r in ("instance_options", "class_options")
                 if names[0].endswith("_" + r)), "options")
    instance = role == "instance_options"
    return OptionsKind(role, tuple(n.replace("{major}_{minor}", V) for n in names),
                       "MachineState" if instance else "MachineClass", not instance)


def _strings(where: str, key: str, value: Any) -> tuple[str, ...]:
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise UsageError(f"{where}: `{key}` is a list of names")
    return tuple(value)


def family_spec(table: Any, path: Path, index: int, vendor: str = "") -> FamilySpec:
    """One [[family]] table, upstream's (no `vendor` in its file) or a vendor's: one
    format, checked field by field; a field of the wrong kind is one line naming the
    file and the family."""
    where = f"{path}: family {index + 1}"
    if not isinstance(table, dict):
        raise UsageError(f"{where}: a [[family]] table expected")
    needed = ("name", "file", "macro", "machine", "options") + \
        (("upstream", "latest") if vendor else ())
    missing = [k for k in needed if k not in table]
    if missing:
        raise UsageError(f"{where}: missing {', '.join(missing)}")
    where = f"{where} ({table['name']})"
    macros = table["macro"]
    macros = [macros] if isinstance(macros, str) else macros
    if not (isinstance(macros, list) and macros and all(isinstance(m, str) for m in macros)):
        raise UsageError(f"{where}: `macro` is a macro's name, or a list of them")
    if not all(isinstance(table[k], str) for k in needed if k not in ("options", "macro")):
        raise UsageError(f"{where}: every field but `options` and `macro` is a string")
    rel = table["file"]
    if rel.startswith("/") or ".." in rel.split("/") or not rel:
        raise UsageError(f"{where}: `file` is a path inside the tree, relative to its root, "
                         f"not {rel!r}")
    options = table["options"]
    if not (isinstance(options, list) and options and
            all(isinstance(o, str) or (isinstance(o, list) and o and
                                       all(isinstance(n, str) for n in o)) for o in options)):
        raise UsageError(f"{where}: `options` is a list of name templates")
    names = [[o] if isinstance(o, str) else list(o) for o in options]
    common: dict[str, Any] = {
        "name": table["name"], "file": rel, "macro": macros[0], "macros": tuple(macros),
        "machine": table["machine"], "options": tuple(n[0] for n in names),
        "source": str(path), "vendor": vendor,
        "lists": _strings(where, "lists", table.get("lists", [])),
        "doc_arches": _strings(where, "doc_arches", table.get("doc_arches", [])),
        "subsystem": table.get("subsystem", ""), "header": table.get("header")}
    if not vendor:
        return _upstream(table, where, names, common)
    return _vendor(table, where, names, common)


def _upstream(table: dict[str, Any], where: str, names: list[list[str]],
              common: dict[str, Any]) -> FamilySpec:
    """Upstream's: its types named by number, its options kinds by name pattern."""
    if not common["machine"].endswith("-{version}"):
        raise UsageError(f"{where}: `machine` ends in -{{version}}, not {common['machine']!r}")
    return FamilySpec(**common, kinds=tuple(_kind(n, where) for n in names),
                      base_options=_strings(where, "base_options", table.get("base_options", [])),
                      arrays=_strings(where, "arrays", table.get("arrays", ["hw"])),
                      others=_strings(where, "others", table.get("others", [])))


def _vendor(table: dict[str, Any], where: str, names: list[list[str]],
            common: dict[str, Any]) -> FamilySpec:
    """A vendor's: its types named by the registration's arguments."""
    if any(len(n) > 1 for n in names):
        raise UsageError(f"{where}: `options` is a list of name templates")
    if not _LATEST.fullmatch(table["latest"]):
        raise UsageError(f"{where}: `latest` is macro, alias or arg:N, "
                         f"not {table['latest']!r}")
    alias = table.get("alias")
    if alias is not None and not isinstance(alias, str):
        raise UsageError(f"{where}: `alias` is a string")
    continued = table.get("continued")
    if continued is not None and not isinstance(continued, bool):
        raise UsageError(f"{where}: `continued` is true or false")
    base = table.get("base", "vendor")
    if base not in tuple(Base):
        raise UsageError(f"{where}: `base` is vendor or upstream, not {base!r}")
    return FamilySpec(**common, upstream=table["upstream"],
                      latest=LatestMark.parse(table["latest"]), alias=alias,
                      own=_strings(where, "own", table.get("own", [])),
                      newest=_strings(where, "newest", table.get("newest", [])),
                      continued=continued, base=Base(base))


def _releases(path: Path, table: Any) -> tuple[tuple[str, tuple[int, int]], ...]:
    """[releases]: codename = "YY.MM", for a vendor whose types are named by codename."""
    if table is None:
        return ()
    if not isinstance(table, dict):
        raise UsageError(f'{path}: [releases] is a table of codename = "YY.MM"')
    out = []
    for name, release in table.items():
        m = re.fullmatch(r"(\d+)\.(\d+)", release) if isinstance(release, str) else None
        if m is None or not re.fullmatch(r"[a-z]+", name):
            raise UsageError(f'{path}: [releases] {name} = {release!r}: a codename in '
                             'lower-case letters and its release as "YY.MM"')
        out.append((name, (int(m.group(1)), int(m.group(2)))))
    if len({r for _, r in out}) != len(out):
        raise UsageError(f"{path}: [releases] names one release twice")
    return tuple(sorted(out, key=lambda r: r[1]))


def read_file(path: Path) -> list[FamilySpec]:
    """Every family a families file describes: upstream's when the file names no
    `vendor`, the vendor's otherwise."""
    data = toml(path)
    vendor = data.get("vendor", "")
    if path != UPSTREAM_FILE and (not isinstance(vendor, str) or
                                  not re.fullmatch(r"[a-z]+", vendor)):
        raise UsageError(f"{path}: `vendor` must be the version tag in lower-case letters "
                         "(rhel)")
    releases = _releases(path, data.get("releases"))
    desc = data.get("desc")
    if desc is not None and (not isinstance(desc, str) or "{release}" not in desc):
        raise UsageError(f"{path}: `desc` is a string with {{release}} in it")
    tables = data.get("family", [])
    if not isinstance(tables, list):
        raise UsageError(f"{path}: `family` is a list of [[family]] tables")
    return [family_spec(table, path, i, vendor)._replace(releases=releases, desc=desc)
            for i, table in enumerate(tables)]


_PARSED: dict[tuple[str, int, int], dict[str, Any]] = {}


def toml(path: Path) -> dict[str, Any]:
    """A families file, parsed once per run and version of the file (every tree a run
    makes, a plan's result too, reads the same files)."""
    try:
        st = path.stat()
    except OSError as e:
        raise UsageError(f"{path}: cannot read the families file ({e})") from None
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _PARSED:
        _PARSED[key] = _parse_toml(path)
    return _PARSED[key]


def _parse_toml(path: Path) -> dict[str, Any]:
    import tomllib   # imported when a families file is read

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot read the families file ({e})") from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path}: not a families file: {e}") from None
    except RecursionError:   # `[[[[...` thousands deep
        raise UsageError(f"{path}: not a families file: nested too deep") from None


# Read once, at import: upstream's families, which every command knows.
FAMILIES: tuple[FamilySpec, ...] = tuple(read_file(UPSTREAM_FILE))


# Machine types upstream registers in a family's file beside the versioned family, with no
# compat chain of their own: said as such (info), not as registrations nobody reads.
OTHER_TYPES: dict[str, tuple[str, ...]] = {s.file: s.others for s in FAMILIES if s.others}


def spec_for(macro: str, rel_path: str) -> FamilySpec | None:
    """The upstream family a registration macro belongs to, given the file that calls it."""
    parts = rel_path.split("/")
    arch = parts[1] if len(parts) > 2 and parts[0] == "hw" else None
    for spec in FAMILIES:  # _AS_LATEST, _BUGFIX, _TAGGED... belong to the family too
        if spec.registers_with(macro) and spec.arch == arch:
            return spec
    return None
