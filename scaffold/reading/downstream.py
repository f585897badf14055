"""A distribution's own versioned machine types (RHEL's pc-q35-rhel9.2.0...), read from
the tree with the vendor's families described as data (scaffold/families/*.toml, or a
file the vendor keeps in the tree: .qscaffold/families.toml; docs/families.md).

A family's registrations are the top-level calls of its macro in its file that `#if 0`
does not compile out and whose type name carries the vendor's version (the vendor tag
and three numbers).  What a type's options set is read by following its options function
and the functions of the file it calls, statement by statement: the newest type is the
one whose options leave the alias set, or the one its registration marks.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from tree_sitter import Node

if TYPE_CHECKING:
    from scaffold.reading.cmatch import Code

from scaffold.errors import UsageError
from scaffold.reading import csyntax
from scaffold.reading.registrations import Registration, of_file
from scaffold.reading.tree import QemuTree

SHIPPED = Path(__file__).resolve().parent.parent / "families"
IN_TREE = ".qscaffold/families.toml"
_LATEST = re.compile(r"macro|alias|arg:\d+\Z")


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


class Base(StrEnum):
    """What a vendor type's options call first: the next newer vendor type's (RHEL), or
    the upstream options of the QEMU its release shipped (Ubuntu)."""

    VENDOR = "vendor"
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


class DownstreamSpec(NamedTuple):
    """One downstream family, as its vendor's file describes it."""

    name: str
    vendor: str
    upstream: str          # the upstream family whose file and arrays it shares
    file: str
    macro: str
    machine: str           # the type's name, from the registration's arguments
    options: tuple[str, ...]
    latest: LatestMark     # how the newest type is marked
    source: str            # the file that describes it
    alias: str | None = None   # what the registration macro aliases the latest type to
    # what `bump` needs (docs/families.md): the fields every type sets for itself, which a
    # new type takes with its own version; the functions and arrays only the newest
    # type's options call or add; whether the family gets new types (None: decided from
    # the tree, a family whose newest type is of an older major is frozen)
    own: tuple[str, ...] = ()
    newest: tuple[str, ...] = ()
    continued: bool | None = None
    # "vendor": each older type's options call the next newer type's (RHEL); "upstream":
    # each type's options call the upstream options of the QEMU its release shipped
    # (Ubuntu), a variant its release's type's
    base: Base = Base.VENDOR
    # the vendor's releases, when its types are named by codename: (codename, (YY, MM))
    releases: tuple[tuple[str, tuple[int, int]], ...] = ()
    desc: str | None = None   # how a new type's description names its release
    # every registration macro (`macro` is the first): a vendor that re-expressed its
    # registrations through another macro when upstream changed its own (Ubuntu's x86
    # types past 9.1, whose DEFINE_I440FX_MACHINE(major, minor) names types itself)
    macros: tuple[str, ...] = ()

    def registers_with(self, macro: str) -> bool:
        """Whether a registration of `macro` (an _AS_LATEST form too) may be the family's."""
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


@dataclass(eq=False, repr=False)
class DownstreamType:
    name: str
    version: DownstreamVersion
    suffix: str            # "-sxxm" of pseries-rhel7.6.0-sxxm: a variant of its version
    line: int
    options: tuple[str, ...]
    latest: bool = False
    alias: str | None = None
    default: bool = False
    registration: Registration | None = None
    # base = "upstream": the upstream options function the type's options reach (itself,
    # or the first call of one, through its release's type for a variant), and its version
    upstream_options: str | None = None
    upstream_version: str | None = None
    # each options function (defined in the file) -> the functions its statements call,
    # and the arrays its compat_props_add statements add
    calls: dict[str, list[str]] = field(default_factory=dict)
    adds: dict[str, list[str]] = field(default_factory=dict)   # arrays not local to it


@dataclass(eq=False, repr=False)
class DownstreamFamily:
    spec: DownstreamSpec
    types: list[DownstreamType] = field(default_factory=list)   # newest first
    memo: dict[str, Any] = field(default_factory=dict)   # what readers derived from it

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def newest(self) -> DownstreamType:
        return self.types[0]


def with_families_file(tree: QemuTree, path: Path | None) -> QemuTree:
    """The tree, reading the families file `--families` names besides the others."""
    if path is not None:
        tree.memo["families-file"] = path.resolve()
    return tree


def load_specs(tree: QemuTree, extra: Path | None = None) -> list[DownstreamSpec]:
    """The families the tool ships, then the tree's own file, then one given by option
    (`extra`, or the tree's `families-file`: `--families FILE`): a family of the same
    name is replaced by the later description."""
    extra = extra or tree.memo.get("families-file")   # --families FILE
    key = ("specs", str(extra))
    if key not in tree.memo:
        tree.memo[key] = _load_specs(tree, extra)
    return list(tree.memo[key])


def _files(tree: QemuTree, extra: Path | None) -> list[Path]:
    from scaffold.userfiles import kept_file

    files = sorted(p for p in SHIPPED.glob("*.toml") if p.name != "upstream.toml")  # a vendor's
    if kept_file(tree.root / IN_TREE, IN_TREE):
        files.append(tree.root / IN_TREE)
    if extra is not None:
        if not kept_file(extra, f"--families {extra}"):
            raise UsageError(f"--families {extra}: no such file")
        files.append(extra)
    return files


def _load_specs(tree: QemuTree, extra: Path | None) -> list[DownstreamSpec]:
    specs: dict[str, DownstreamSpec] = {}
    for path in _files(tree, extra):
        for spec in _read_specs(path):
            specs[spec.name] = spec
    return list(specs.values())


def _read_specs(path: Path) -> list[DownstreamSpec]:
    data = _toml(path)
    vendor = data.get("vendor")
    if not isinstance(vendor, str) or not re.fullmatch(r"[a-z]+", vendor):
        raise UsageError(f"{path}: `vendor` must be the version tag in lower-case letters "
                         "(rhel)")
    releases = _releases(path, data.get("releases"))
    desc = data.get("desc")
    if desc is not None and (not isinstance(desc, str) or "{release}" not in desc):
        raise UsageError(f"{path}: `desc` is a string with {{release}} in it")
    out = []
    for i, family in enumerate(data.get("family", [])):
        out.append(_spec(path, vendor, i, family)._replace(releases=releases, desc=desc))
    return out


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


_PARSED: dict[tuple[str, int, int], dict[str, Any]] = {}


def _toml(path: Path) -> dict[str, Any]:
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


def vendor_arrays(tree: QemuTree, vendor: str) -> VendorArrays | None:
    """The vendor's arrays as its families files describe them (the last file that
    does, as for families)."""
    found = None
    for path in _files(tree, tree.memo.get("families-file")):
        data = _toml(path)
        arrays = data.get("arrays")
        if data.get("vendor") != vendor or arrays is None:
            continue
        if not isinstance(arrays, dict) or not all(isinstance(v, str) for v in arrays.values()):
            raise UsageError(f"{path}: [arrays] holds strings: hw, pc (name templates) and "
                             "comment")
        names = {k: v for k, v in arrays.items() if k != "comment"}
        found = VendorArrays(vendor, names, arrays.get("comment", "/* {array} from {upstream} */"),
                             str(path))
    return found


def _spec(path: Path, vendor: str, index: int, family: Any) -> DownstreamSpec:
    where = f"{path}: family {index + 1}"
    if not isinstance(family, dict):
        raise UsageError(f"{where}: a [[family]] table expected")
    needed = ("name", "upstream", "file", "macro", "machine", "options", "latest")
    missing = [k for k in needed if k not in family]
    if missing:
        raise UsageError(f"{where}: missing {', '.join(missing)}")
    options = family["options"]
    if not (isinstance(options, list) and options and all(isinstance(o, str) for o in options)):
        raise UsageError(f"{where} ({family['name']}): `options` is a list of name templates")
    macros = family["macro"]
    macros = [macros] if isinstance(macros, str) else macros
    if not (isinstance(macros, list) and macros and all(isinstance(m, str) for m in macros)):
        raise UsageError(f"{where} ({family['name']}): `macro` is a macro's name, or a list "
                         "of them")
    if not all(isinstance(family[k], str) for k in needed if k not in ("options", "macro")):
        raise UsageError(f"{where} ({family['name']}): every field but `options` and "
                         "`macro` is a string")
    if not _LATEST.fullmatch(family["latest"]):
        raise UsageError(f"{where} ({family['name']}): `latest` is macro, alias or arg:N, "
                         f"not {family['latest']!r}")
    alias = family.get("alias")
    if alias is not None and not isinstance(alias, str):
        raise UsageError(f"{where} ({family['name']}): `alias` is a string")
    lists = {}
    for key in ("own", "newest"):
        value = family.get(key, [])
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise UsageError(f"{where} ({family['name']}): `{key}` is a list of names")
        lists[key] = tuple(value)
    continued = family.get("continued")
    if continued is not None and not isinstance(continued, bool):
        raise UsageError(f"{where} ({family['name']}): `continued` is true or false")
    rel = family["file"]
    if not isinstance(rel, str) or rel.startswith("/") or ".." in rel.split("/") or not rel:
        raise UsageError(f"{where} ({family['name']}): `file` is a path inside the tree, "
                         f"relative to its root, not {rel!r}")
    base = family.get("base", "vendor")
    if base not in tuple(Base):
        raise UsageError(f"{where} ({family['name']}): `base` is vendor or upstream, "
                         f"not {base!r}")
    return DownstreamSpec(family["name"], vendor, family["upstream"], family["file"],
                          macros[0], family["machine"], tuple(options),
                          LatestMark.parse(family["latest"]), str(path), alias, lists["own"],
                          lists["newest"], continued, Base(base), macros=tuple(macros))


def bump_subject(tree: QemuTree, vendor: str) -> str:
    """The subject of a downstream bump's commit, `{version}` to fill: the vendor's
    `subject` (the last file that says one), else "hw: add {version} machine types"."""
    found = "hw: add {version} machine types"
    for path in _files(tree, tree.memo.get("families-file")):
        data = _toml(path)
        subject = data.get("subject")
        if data.get("vendor") != vendor or subject is None:
            continue
        if not isinstance(subject, str) or "{version}" not in subject:
            raise UsageError(f"{path}: `subject` is a string with {{version}} in it")
        found = subject
    return found


def parse_version(tree: QemuTree, text: str) -> DownstreamVersion | None:
    """A downstream version as a command names it: rhel9.2.0, or ubuntu-kinetic for a
    vendor whose families data lists its releases by codename (None: not downstream)."""
    numeric = DownstreamVersion.parse(text)
    if numeric is not None:
        return numeric
    m = re.fullmatch(r"([a-z]+)-([a-z]+)", text)
    if m is None:
        return None
    specs = [s for s in load_specs(tree) if s.vendor == m.group(1) and s.releases]
    if not specs:
        return None
    found = specs[0].version_of(m.group(2))
    if found is None:
        known = ", ".join(name for name, _ in specs[0].releases)
        raise UsageError(f"{text}: {m.group(2)!r} is not one of {m.group(1)}'s releases in "
                         f"{specs[0].source} ({known})")
    return found


def macros_for(tree: QemuTree, rel: str) -> tuple[str, ...]:
    """The registration macros the families data names in a file (the byte scan looks
    for them besides `DEFINE_*MACHINE*`)."""
    return tuple(sorted({m for s in load_specs(tree) if s.file == rel
                         for m in s.macros or (s.macro,)}))


# -- reading a family -----------------------------------------------------------------------

def read_family(tree: QemuTree, spec: DownstreamSpec) -> tuple[DownstreamFamily, set[int]]:
    """The family's types (newest first), and the lines of the registrations it claims."""
    family = DownstreamFamily(spec)
    if not (tree.root / spec.file).is_file():
        if Path(spec.source).parent != SHIPPED:   # the vendor's own file says it is there
            raise UsageError(f"{spec.source}: family {spec.name}: its file {spec.file} is "
                             "not in the tree")
        return family, set()
    file = tree.file(spec.file)
    claimed: set[int] = set()
    mine = []
    for reg in of_file(file, macros_for(tree, spec.file)):
        if not spec.registers_with(reg.macro):
            continue
        name = spec.fill(spec.machine, reg.args)
        found = _version_in(spec, name) if name else None
        if name is not None and found is not None:
            mine.append((reg, name, found[0], found[1]))
    if not mine:   # an upstream tree: nothing parsed
        return family, claimed
    from scaffold.reading.cmatch import arguments

    code = file.code   # parsing only a downstream tree's files
    functions = csyntax.functions(file.full_tree.root_node)
    for reg, name, version, suffix in mine:
        options = tuple(o for o in (spec.fill(t, reg.args) for t in spec.options) if o)
        t = DownstreamType(name, version, suffix, reg.line, options, registration=reg)
        t.alias, t.default = _settings(functions, code, options[0] if options else None)
        for fn in options:
            node = functions.get(fn)
            body = node.child_by_field_name("body") if node is not None else None
            if body is not None:
                called = [c for c in map(csyntax.macro_call, body.named_children) if c]
                t.calls[fn] = [name for name, _ in called]
                local = {n for c in body.named_children for n in csyntax.declared_names(c)}
                t.adds[fn] = [code.text(args[1]).strip() for name, call in called
                              if name == "compat_props_add"
                              for args in [arguments(call)] if len(args) > 1
                              and code.text(args[1]).strip() not in local]   # its own `compat[]`
        if spec.base is Base.UPSTREAM:
            t.upstream_options = _upstream_options(functions, spec, options)
            t.upstream_version = upstream_match(spec, t.upstream_options or "")
        mark = spec.latest
        if mark.kind is MarkKind.MACRO:
            t.latest = reg.macro.endswith("_AS_LATEST")
        elif mark.kind is MarkKind.ARG:
            t.latest = len(reg.args) > mark.argument and reg.args[mark.argument] in ("true", "1")
        else:
            t.latest = t.alias is not None
        if mark.kind is not MarkKind.ALIAS:   # the registration's macro marks the newest as the default
            t.default = t.default or t.latest
            t.alias = t.alias or (spec.alias if t.latest else None)
        family.types.append(t)
        claimed.add(reg.line)
    family.types.sort(key=lambda t: (t.version[1:], t.suffix == ""), reverse=True)
    return family, claimed


def _version_in(spec: DownstreamSpec, name: str) -> tuple[DownstreamVersion, str] | None:
    """The vendor's version a type's name ends in, and a variant's suffix after it:
    pseries-rhel7.6.0-sxxm is rhel7.6.0 and "-sxxm"; pc-q35-jammy-hpb (codenames) is
    ubuntu-jammy and "-hpb"."""
    m = _name_pattern(spec.vendor, tuple(c for c, _ in spec.releases)).search(name)
    if m is None:
        return None
    if spec.releases:
        found = spec.version_of(m.group("v"))
        return (found, m.group("suffix")) if found is not None else None
    version = DownstreamVersion.parse(m.group("v"))
    return (version, m.group("suffix")) if version else None


@lru_cache(maxsize=32)
def _name_pattern(vendor: str, codenames: tuple[str, ...]) -> re.Pattern[str]:
    """The vendor's version at the end of a type's name, then a variant's suffix: one
    pattern per vendor (a bump asks it of every registration of the family files)."""
    if codenames:
        return re.compile(rf"(?<![A-Za-z0-9])(?P<v>{'|'.join(codenames)})"
                          rf"(?P<suffix>(?:-[\w.]+)*)\Z")
    return re.compile(rf"(?P<v>{vendor}\d+\.\d+\.\d+)(?P<suffix>[-\w.]*)\Z")


def upstream_match(spec: DownstreamSpec, name: str) -> str | None:
    """"6.2" when `name` is one of the upstream family's versioned options functions."""
    from scaffold.reading.families import FAMILIES

    family = next((f for f in FAMILIES if f.name == spec.upstream), None)
    for kind in family.options if family is not None else ():
        m = kind.match(name)
        if m:
            return f"{int(m.group('major'))}.{int(m.group('minor'))}"
    return None


def _upstream_options(functions: dict[str | None, Node], spec: DownstreamSpec,
                      options: tuple[str, ...]) -> str | None:
    """The upstream options function a type's options reach: the options function itself
    (DEFINE_SPAPR_MACHINE_NAMED(6_2, ...) names spapr_machine_6_2_class_options), or the
    first one its body calls, through the file's other functions it calls first (a
    variant's call of its release's type's options, Ubuntu's pc_i440fx_wily helper)."""
    seen: set[str] = set()

    def reach(name: str, depth: int) -> str | None:
        if upstream_match(spec, name):
            return name
        node = functions.get(name)
        body = node.child_by_field_name("body") if node is not None else None
        if body is None or name in seen or depth > 8:
            return None
        seen.add(name)
        for statement in body.named_children:
            called = csyntax.macro_call(statement)
            found = reach(called[0], depth + 1) if called is not None else None
            if found is not None:
                return found
        return None

    return reach(options[0], 0) if options else None




_FIELDS = {"alias": "alias", "is_default": "default"}


def _assigned(statement: Node, code: "Code") -> dict[str, list[str]]:
    """`X->alias = V;` and `X->is_default = V;` in a statement (the branches of an `#ifdef`
    it is included): "alias"/"default" -> the values, in order, read by syntax."""
    from scaffold.reading.cmatch import field_assignments

    out: dict[str, list[str]] = {}
    for name, right in field_assignments(statement):
        key = _FIELDS.get(name)
        value = code.text(right).strip()
        if key == "alias" and (value == "NULL" or right.type == "string_literal"):
            out.setdefault(key, []).append(value)
        elif key == "default" and re.fullmatch(r"\w+", value):
            out.setdefault(key, []).append(value)
    return out


def _settings(functions: dict[str | None, Node], code: "Code",
              options: str | None) -> tuple[str | None, bool]:
    """(alias, is_default) as the options function leaves them, the functions of the
    file it calls followed in order (a newer type's options, the family's base)."""
    state: dict[str, str] = {}

    def run(name: str | None, depth: int) -> None:
        fn = functions.get(name)
        body = fn.child_by_field_name("body") if fn is not None else None
        if body is None or depth > 40:
            return
        for statement in body.named_children:
            called = csyntax.macro_call(statement)
            if called is not None and called[0] in functions:
                run(called[0], depth + 1)
            for key, values in _assigned(statement, code).items():
                # under #ifdef ... #else: what one configuration sets counts
                state[key] = next((v for v in values if v not in ("NULL", "false", "0")),
                                  values[-1])

    run(options, 0)
    alias = state.get("alias")
    return (csyntax.c_string(alias) if alias and alias != "NULL" else None,
            state.get("default", "false") in ("true", "1"))


def read_downstream(tree: QemuTree, extra: Path | None = None
                    ) -> tuple[list[DownstreamFamily], dict[str, set[int]]]:
    """The downstream families the tree registers, and per file the lines they claim.
    Read once per tree and families file."""
    extra = extra or tree.memo.get("families-file")
    key = ("downstream", str(extra))
    if key not in tree.memo:
        tree.memo[key] = _read_downstream(tree, extra)
    families, claimed = tree.memo[key]
    return list(families), dict(claimed)


def _read_downstream(tree: QemuTree, extra: Path | None
                     ) -> tuple[list[DownstreamFamily], dict[str, set[int]]]:
    families: list[DownstreamFamily] = []
    claimed: dict[str, set[int]] = {}
    owner: dict[tuple[str, int], str] = {}
    for spec in load_specs(tree, extra):
        family, lines = read_family(tree, spec)
        for line in sorted(lines):   # one registration, one family: else a bump edits it twice
            other = owner.setdefault((spec.file, line), spec.name)
            if other != spec.name:
                raise UsageError(f"families {other} and {spec.name} both claim this "
                                 "registration; make their macros or names tell them apart",
                                 path=spec.file, line=line, family=spec.name)
        if family.types:
            families.append(family)
            claimed.setdefault(spec.file, set()).update(lines)
    return families, claimed


class VendorArrayFact(NamedTuple):
    """A vendor array as the tree has it: its definition, `_len`, and extern pair."""

    name: str
    prefix: str
    version: tuple[int, int]
    defined: tuple[str, int] | None     # (path, line) of `GlobalProperty NAME[] =`
    has_len: bool
    declared: tuple[str, int] | None    # (path, line) of `extern GlobalProperty NAME[];`
    declared_len: bool


def vendor_array_facts(tree: QemuTree, arrays: VendorArrays) -> list[VendorArrayFact]:
    """Every vendor array the tree defines or declares, read by syntax from the files
    holding upstream's arrays where `#if 0` leaves code: `GlobalProperty NAME[] = {...}`
    and `const size_t NAME_len`, `extern GlobalProperty NAME[];` and `extern const size_t
    NAME_len;`, as upstream writes its own."""
    from scaffold.reading.cmatch import declaration_parts

    found: dict[str, dict[str, Any]] = {}
    for rels, extern in ((tree.array_defs, False), (tree.array_externs, True)):
        for rel in rels:
            file = tree.file(rel)
            code = file.code
            arrays_here: list[tuple[str, int]] = []
            lengths: set[str] = set()
            for node in csyntax.top_level(file.full_tree.root_node):
                if node.type != "declaration":
                    continue
                words = [code.text(c) for c in node.children
                         if c.type in ("storage_class_specifier", "type_qualifier")]
                kind, declared = declaration_parts(node, code)
                if kind == "size_t" and words == (["extern", "const"] if extern else ["const"]):
                    lengths |= {name for name, _, _ in declared}
                elif kind == "GlobalProperty" and words == (["extern"] if extern else []):
                    arrays_here += [(name, node.start_point[0] + 1) for name, is_array, init
                                    in declared if is_array and (init is None) == extern]
            for name, line in arrays_here:
                prefix = next((p for p in arrays.names if (pat := arrays.pattern(p)) and
                               pat.match(name)), None)
                if prefix is None:
                    continue
                fact = found.setdefault(name, {"prefix": prefix})
                has = f"{name}_len" in lengths
                if extern:
                    fact["declared"], fact["declared_len"] = (rel, line), has
                else:
                    fact["defined"], fact["has_len"] = (rel, line), has
    out = []
    for name, fact in sorted(found.items()):
        pattern = arrays.pattern(fact["prefix"])
        named = pattern.match(name) if pattern else None
        version = (int(named.group("major")), int(named.group("minor"))) if named else (0, 0)
        out.append(VendorArrayFact(name, fact["prefix"], version, fact.get("defined"),
                                   fact.get("has_len", False), fact.get("declared"),
                                   fact.get("declared_len", False)))
    return out


def arrays_added(tree: QemuTree) -> set[str]:
    """The compat arrays the downstream families' files add where `#if 0` leaves code
    (hw_compat_rhel_9_1, and any upstream array a downstream type adds itself): the
    arrays `compat_props_add(X->compat_props, ARRAY, ...)` calls name, read by syntax."""
    from scaffold.reading.cmatch import calls_named

    out: set[str] = set()
    for rel in sorted({spec.file for spec in load_specs(tree)}):
        if (tree.root / rel).is_file():
            file = tree.file(rel)
            for call in calls_named(file.full_tree.root_node, file.data, "compat_props_add"):
                args = call.args
                if len(args) > 2 and args[1].type == "identifier":
                    out.add(file.code.text(args[1]))
    return out


def latest_holders(tree: QemuTree) -> dict[str, DownstreamType]:
    """Upstream family -> the vendor's type that holds its latest mark: Ubuntu registers
    upstream's newest pseries with `false` and hands the flag, the alias and the default
    to pseries-jammy.  Upstream's newest is then rightly not the latest."""
    out: dict[str, DownstreamType] = {}
    for family in read_downstream(tree)[0]:
        latest = next((t for t in family.types if t.latest), None)
        if latest is not None:
            out.setdefault(family.spec.upstream, latest)
    return out


_VERSIONED_ARRAY = re.compile(r"\w*_\d+_\d+\w*\Z")   # hw_compat_rhel_9_2, pc_compat_7_1...


def newest_only(family: DownstreamFamily) -> set[str]:
    """The functions and arrays only the family's newest type's options call or add,
    read from the code: what the newest carries for being the newest (RHEL's
    pc_q35_machine_rhel_options, arm_rhel_compat, spapr's "RHEL defaults"), which a bump
    moves to the new type, whatever it is called.
    - With older types to compare with: every name the newest's options call or add and
      no older type's do (per options kind), but the other types' options (the chain).
    - Always: an array not named for a release that only the newest adds (a distro-wide
      array, arm_rhel_compat, even on a family's only type).
    An array named for a release stays with its type (hw_compat_rhel_9_2 of a newest that
    got its rebase arrays).  The family's data may name more (`newest`)."""
    if "newest-only" in family.memo:
        return set(family.memo["newest-only"])
    main = [t for t in family.types if not t.suffix]
    out = set(family.spec.newest)
    family.memo["newest-only"] = out
    if not main:
        return set(out)
    newest, older = main[0], main[1:]
    options = {o for t in family.types for o in t.options}
    for index, fn in enumerate(newest.options):
        added = set(newest.adds.get(fn, []))
        theirs: set[str] = set()
        for t in older:
            if index < len(t.options):
                theirs |= set(t.calls.get(t.options[index], []))
                theirs |= set(t.adds.get(t.options[index], []))
        out |= {a for a in added - theirs if not _VERSIONED_ARRAY.match(a)}
        if older:
            out |= set(newest.calls.get(fn, [])) - theirs - options - {"compat_props_add"}
    return set(out)
