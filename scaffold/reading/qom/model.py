"""The QOM model of a tree: every type the C source registers, its parent, whether it is
abstract, and its properties (own, inherited, or aliases of a child's), with where each
is defined, its kind, its literal default and its build condition.

Built from every file's facts (facts.py), cached per file by mtime and size.  What the
model cannot resolve (a type name built by code it does not understand) it counts and
names; it never guesses, and a question about it gets "cannot tell" (None).
"""
from __future__ import annotations

import os
import pickle
import re
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable
from typing import NamedTuple

from scaffold.progress import Progress
from scaffold.cache import cache_dir
from scaffold.reading.file_index import RACY_NS, FileIndex, walk
from scaffold.reading import csyntax
from scaffold.reading.qom import facts as facts_module
from scaffold.reading.qom.entries import Entry
from scaffold.reading.qom.facts import (Conds, FileFacts, FunctionFact, Functional, Location,
                                        MacroItem, PropFact, PropItem, TypeFact, VirtioFact)
from scaffold.reading.qom.preprocessor import resolve_expr, substitute

SKIP_DIRS = frozenset({".git", "tests", "roms", "subprojects", "linux-headers", "python",
                       "build", "docs", "scripts", "pc-bios", "contrib", "tools", "pythondeps",
                       "rust"})
_TRANSPORT = re.compile(r"(virtio-[a-z0-9-]+?)-(pci|ccw|mmio)(?:-base|-transitional|-non-transitional)?")
# Facts cached by an older extractor are read again: the key is the extractor's source.
_HERE = Path(__file__).parent
_MODEL_VERSION = zlib.crc32(Path(__file__).read_bytes() + (_HERE / "preprocessor.py").read_bytes())
_CACHE_VERSION = zlib.crc32(b"".join((_HERE / name).read_bytes()
                                     for name in ("facts.py", "entries.py", "../cmatch.py")))


FnOf = Callable[[str | None, str], tuple[str, FunctionFact] | None]
ArrayOf = Callable[[str, str], tuple[str, list[PropItem]] | None]


class Alias(NamedTuple):
    """What a property forwards to: a child's property (`virtio-blk-device num-queues`
    for virtio-blk-pci's num-queues); `type` None when the child's type is not known
    (an object_property_add_alias() whose target the model cannot tell)."""

    type: str | None
    prop: str

    def __str__(self) -> str:
        return f"{self.type or '?'} {self.prop}"

@dataclass(eq=False, repr=False)
class Prop:
    name: str
    kind: str
    where: Location
    default: str | None = None
    cond: Conds = ()
    alias_of: "Alias | None" = None   # when this is an alias of a child's property


@dataclass(eq=False, repr=False)
class QomType:
    name: str
    parent: str | None
    where: Location
    abstract: bool = False
    interfaces: list[str] = field(default_factory=list)
    props: dict[str, Prop] = field(default_factory=dict)
    alias_all: list[str] = field(default_factory=list)   # every property of these types
    cond: Conds = ()
    variants: list[str] = field(default_factory=list)    # virtio-pci: the generated types


@dataclass(eq=False, repr=False)
class QomModel:
    types: dict[str, QomType] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)   # what the model could not tell
    defines: dict[str, list[str]] = field(default_factory=dict)
    functional: dict[str, Functional] = field(default_factory=dict)   # NAME(x) body
    entries: list[Entry] = field(default_factory=list)   # every GlobalProperty entry (entries.py)
    # properties of Property arrays no type the model knows binds: where one of them is
    # asked about, the model cannot tell (the binding is code it does not follow)
    unplaced: dict[str, str] = field(default_factory=dict)
    define_where: dict[str, str] = field(default_factory=dict)   # macro -> the file defining it
    macro_props: set[str] = field(default_factory=set)   # names DEFINE_PROP macros define
    _bound: set[tuple[str, str]] = field(default_factory=set)   # (file, array) bound to a type

    def files_defining(self, prop: str) -> list[str]:
        """The files where a property of that name is defined (for any type), or where a
        macro defining it lives: where its history is."""
        files = {p.where.path for t in self.types.values()
                 for name, p in t.props.items() if name == prop and not p.alias_of}
        return sorted(f for f in files if f)
    _resolved: dict[str, list[str] | None] = field(default_factory=dict)
    _resolved_sets: dict[str, set[str]] = field(default_factory=dict)
    _children: dict[str, list[str]] = field(default_factory=dict)   # parent -> its types
    files: int = 0
    names: set[str] = field(default_factory=set)   # name-like literals of registering files

    # -- questions ------------------------------------------------------------------------

    def resolve(self, expr: str) -> list[str] | None:
        """The type name(s) a C expression names; None when the model cannot tell."""
        if expr not in self._resolved:
            self._resolved[expr] = resolve_expr(expr.strip(), self.defines, 0, self.functional)
        return self._resolved[expr]

    def ancestors(self, name: str) -> list[str]:
        out, seen = [], set()
        while name in self.types and name not in seen:
            seen.add(name)
            out.append(name)
            parent = self.types[name].parent
            if parent is None:
                break
            name = parent
        return out

    def subtypes(self, name: str) -> list[str]:
        """Every type below `name` (children, their children...)."""
        if name not in self.types:
            return []
        if not self._children:
            for t, qt in self.types.items():
                if qt.parent is not None:
                    self._children.setdefault(qt.parent, []).append(t)
        out, stack = {name}, [name]
        while stack:
            for child in self._children.get(stack.pop(), ()):
                if child not in out:
                    out.add(child)
                    stack.append(child)
        out.discard(name)
        return sorted(out)

    def concrete(self, name: str) -> list[str]:
        return [t for t in [name, *self.subtypes(name)] if t in self.types
                and not self.types[t].abstract]

    def property(self, type_name: str, prop: str, depth: int = 0) -> tuple[str, Prop] | None:
        """(owning type, Prop) of `prop` on `type_name` or an ancestor; aliases of all of
        a child's properties (virtio proxies) give an alias Prop."""
        for t in self.ancestors(type_name):
            found = self.types[t].props.get(prop)
            if found is not None:
                return t, found
            for child in self.types[t].alias_all:
                if depth < 3:
                    inner = self.property(child, prop, depth + 1)
                    if inner is not None:
                        owner, p = inner
                        return t, Prop(prop, p.kind, p.where, p.default, p.cond,
                                       alias_of=Alias(owner, prop))
        return None

    def all_properties(self, type_name: str) -> dict[str, tuple[str, Prop]]:
        out: dict[str, tuple[str, Prop]] = {}
        for t in reversed(self.ancestors(type_name)):
            for child in self.types[t].alias_all:
                for name, (owner, p) in self.all_properties(child).items():
                    out[name] = (t, Prop(name, p.kind, p.where, p.default, p.cond,
                                         alias_of=Alias(owner, name)))
            for name, p in self.types[t].props.items():
                out[name] = (t, p)
        return out

    # -- what compat add asks before writing an entry -----------------------------------

    def device_name(self, device: str) -> str | None:
        """A device as written in C (`"virtio-net-device"`, `TYPE_VIRTIO_NET`) -> its name,
        when the tree declares it (a type, a name a registering file writes, a #define)."""
        device = device.strip()
        if device.startswith('"') and device.endswith('"'):
            return device[1:-1]
        names = self.resolve(device) if re.fullmatch(r"[A-Z][A-Z0-9_]*", device) else None
        if names:
            return names[0]
        return device if self.declares(device) else None

    def declares(self, name: str) -> bool:
        if name in self.types or name in self.names:
            return True
        if "declared" not in self._resolved_sets:
            self._resolved_sets["declared"] = {n for macro in self.defines
                                               if macro.startswith("TYPE_")
                                               for n in self.resolve(macro) or []}
        return name in self._resolved_sets["declared"]

    def property_names(self) -> set[str]:
        """Every property name the tree defines anywhere (types, unbound arrays, macros)."""
        if "props" not in self._resolved_sets:
            self._resolved_sets["props"] = {p for t in self.types.values() for p in t.props} \
                | set(self.unplaced) | self.macro_props
        return self._resolved_sets["props"]

    def advice(self, name: str) -> list[str]:
        """Why another type may be the better target (the seed article's two cases), by
        name, for a type whose properties the model cannot tell."""
        out = []
        m = _TRANSPORT.fullmatch(name)
        if m:
            stem, transport = m.group(1), m.group(2)
            general = next((n for n in (f"{stem}-device", stem) if self.declares(n)), None)
            if general:
                out.append(f"{name} applies to the {transport} transport only; {general} covers "
                           "every transport (pci, ccw, mmio): use it unless the change is "
                           f"{transport}-specific")
        parent = self.types[name].parent if name in self.types else None
        if parent in self.types and self.types[parent].variants and parent != name:
            out.append(f"{name} does not cover its transitional variants; {parent} is the parent "
                       "of all of them")
        return out

    def owners(self, prop: str) -> list[str]:
        """Types that define `prop` themselves (not inherited, not aliased)."""
        return sorted(t for t, qt in self.types.items() if prop in qt.props
                      and qt.props[prop].alias_of is None)


def _key(files: list[tuple[str, os.stat_result]]) -> int:
    # the finished model also depends on how it is built: this module's source is in the key
    return zlib.crc32(repr((_CACHE_VERSION, _MODEL_VERSION, [(rel, st.st_mtime_ns, st.st_size)
                                                             for rel, st in files])).encode())


class Resolver(NamedTuple):
    """What naming a type needs of the model, and no more: its macros.  A tenth of the
    model's size, so that `compat show` does not load the whole model (issue 36's 2x)."""

    defines: dict[str, list[str]]
    functional: dict[str, Functional]

    def resolve(self, expr: str) -> list[str] | None:
        """As QomModel.resolve: the type name(s) a C expression names, or None."""
        return resolve_expr(expr.strip(), self.defines, 0, self.functional)


def load_resolver(root: Path) -> Resolver:
    """The tree's macros for naming types, cached beside the model under the same key."""
    files = list(_c_files(root))
    key = _key(files)
    path = _cache_file(root, ".resolver")
    cached = _read(path, key)
    if isinstance(cached, Resolver) and isinstance(cached.defines, dict):
        return cached
    model = load(root)
    resolver = Resolver(model.defines, model.functional)
    if all(st.st_mtime_ns < time.time_ns() - RACY_NS for _, st in files):
        _write(path, key, resolver)
    return resolver


def load(root: Path) -> QomModel:
    """The model of the tree at `root`.  Facts are kept by content, found through the
    tree's file index (`_all_facts`); the finished model is cached by the files' stamps,
    for a tree none of whose files changed (a warm run only stats)."""
    files = list(_c_files(root))
    racy = time.time_ns() - RACY_NS
    key = _key(files)
    whole = _cache_file(root, ".model")
    cached = _read(whole, key)
    if isinstance(cached, QomModel) and isinstance(cached.types, dict):
        return cached
    facts = _all_facts(root, files)
    with Progress("building the QOM model of the tree"):
        model = build(facts)
    if all(st.st_mtime_ns < racy for _, st in files):
        _write(whole, key, model)
    return model


def _cache_file(root: Path, suffix: str) -> Path:
    key = zlib.crc32(str(root.resolve()).encode())
    return cache_dir() / f"qom-{key:08x}{suffix}"


def _read(path: Path, key: int) -> object:
    """What `_write` stored under `key`, or None (missing, of another key, damaged)."""
    try:
        data = path.read_bytes()
        if int.from_bytes(data[:4], "little") != key:
            return None
        return pickle.loads(data[4:])
    except Exception:   # a cache cut short or damaged fails in pickle's many ways: rebuilt
        return None


def _write(path: Path, key: int, value: object) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(key.to_bytes(4, "little") + pickle.dumps(value, protocol=5))
        os.replace(tmp, path)
    except OSError:   # a read-only cache only costs time
        pass


def _all_facts(root: Path, files: list[tuple[str, os.stat_result]]) -> dict[str, FileFacts]:
    """Every file's facts: found by the content digest the tree's file index remembers
    for the file's stamp (file_index.py), else by the digest of its bytes, read again,
    else extracted (`_ByContent` keeps them)."""
    index = FileIndex(root, "content")
    digests = {rel: hit[5] for rel, st in files
               if (hit := index.entry(rel, st)) is not None and hit[5] is not None}
    by_content = _ByContent(root)
    misses = sum(1 for rel, _ in files if digests.get(rel) not in by_content.local)
    out: dict[str, FileFacts] = {}
    with Progress("reading the tree's QOM types" + (" (first run, cached after)"
                                                    if not by_content.local else ""),
                  misses, misses > 100) as progress:
        read = 0
        for rel, st in files:
            key = digests.get(rel)
            known, facts = by_content.get(key) if key is not None else (False, None)
            if not known:
                read += 1
                progress.step(read, f"reading the tree's QOM types: {rel}")
                try:
                    data = (root / rel).read_bytes()
                except OSError:   # unreadable: it names nothing the model can use
                    continue
                key = by_content.key(rel, data)
                known, facts = by_content.get(key)
                if not known:
                    facts = facts_module.extract(data, rel)
                by_content.put(key, facts)
            index.note(rel, st, digest=key)
            if facts:
                out[rel] = facts
    index.save()
    by_content.save()
    return out


class _ByContent:
    """Facts by file content (blake2b of path and bytes): the tree's own (`local`, its
    files' digests only: what a rebuilt model loads), and every tree's (`shared`, read
    only when the tree's own lack a digest): a fresh clone of a tree seen before (a CI
    job's checkout, a second worktree) has new stamps and the same bytes, so its files
    are read and hashed (0.2 s for QEMU), not extracted again (7 s)."""

    KEEP = 60_000   # shared entries: about six trees' worth

    def __init__(self, root: Path) -> None:
        self.local_path = _cache_file(root, ".facts")
        self.shared_path = cache_dir() / "qom-content.facts"
        cached = _read(self.local_path, _CACHE_VERSION)
        self.local: dict[bytes, FileFacts | None] = cached if isinstance(cached, dict) else {}
        self.shared: dict[bytes, FileFacts | None] | None = None   # loaded when needed
        self.used: dict[bytes, FileFacts | None] = {}
        self.new = False   # extracted here: the shared store learns it

    @staticmethod
    def key(rel: str, data: bytes) -> bytes:
        import hashlib   # 3 ms to import: only when a file is read

        return hashlib.blake2b(rel.encode("utf-8", "surrogateescape") + b"\0" + data,
                               digest_size=16).digest()

    def get(self, key: bytes) -> tuple[bool, FileFacts | None]:
        for store in (self.local, self._shared() if key not in self.local else {}):
            if key in store:
                hit = store[key]
                if hit is None or isinstance(hit, FileFacts):
                    self.used[key] = hit
                    return True, hit
        return False, None

    def _shared(self) -> dict[bytes, FileFacts | None]:
        if self.shared is None:
            cached = _read(self.shared_path, _CACHE_VERSION)
            self.shared = cached if isinstance(cached, dict) else {}
        return self.shared

    def put(self, key: bytes, facts: FileFacts | None) -> None:
        if key not in self.used:
            self.new = True
        self.used[key] = facts

    def save(self) -> None:
        if self.used.keys() != self.local.keys():   # the tree's files, as they are now
            _write(self.local_path, _CACHE_VERSION, self.used)
        if self.new:
            shared = self._shared()
            kept = dict(self.used)
            for key, facts in shared.items():   # the others, as far as KEEP allows
                if len(kept) >= self.KEEP:
                    break
                kept.setdefault(key, facts)
            _write(self.shared_path, _CACHE_VERSION, kept)


SUFFIXES = (".c", ".h", ".c.inc", ".h.inc")


def _c_files(root: Path) -> list[tuple[str, os.stat_result]]:
    """(path, stat) of every C file of the tree but those of SKIP_DIRS, in walk order."""
    tops = sorted(e.name for e in os.scandir(root) if e.is_dir() and e.name not in SKIP_DIRS
                  and not e.name.startswith("."))
    return [(rel, st) for _, rel, st, _ in walk(
        root, tops, SUFFIXES, "qscaffold reads no file through a link (its types would be "
        "left out of the QOM model)", SKIP_DIRS)]


def build(all_facts: dict[str, FileFacts]) -> QomModel:
    model = QomModel(files=len(all_facts))
    for rel, facts in all_facts.items():
        for name, values in facts.defines.items():
            if name not in model.define_where or (rel.startswith("include/") and not
                                                 model.define_where[name].startswith("include/")):
                model.define_where[name] = rel   # a header is where an #include can reach
            known = model.defines.setdefault(name, [])
            known += [v for v in values if v not in known]
        model.functional.update(facts.functional)
    functions: dict[str, list[tuple[str, FunctionFact]]] = {}
    arrays: dict[str, list[tuple[str, list[PropItem]]]] = {}
    macros: dict[str, list[PropItem]] = {}
    for rel, facts in all_facts.items():
        for name, fn in facts.functions.items():
            functions.setdefault(name, []).append((rel, fn))
        for name, props in facts.arrays.items():
            arrays.setdefault(name, []).append((rel, props))
        macros.update(facts.macros)
        model.macro_props.update(p.name for props in facts.macros.values()
                                 for p in props if isinstance(p, PropFact) and p.name)
        model.unresolved += [f"{rel}: {u}" for u in facts.unresolved]
        model.names.update(facts.strings)
        model.entries += facts.entries

    def fn_of(name: str | None, rel: str) -> tuple[str, FunctionFact] | None:
        found = functions.get(name or "", [])
        same = [f for f in found if f[0] == rel]
        return (same or found)[0] if found else None

    def array_of(name: str, rel: str) -> tuple[str, list[PropItem]] | None:
        found = arrays.get(name, [])
        same = [a for a in found if a[0] == rel]
        return (same or found)[0] if found else None

    builder = _Builder(model, fn_of, array_of, macros)
    for rel, facts in all_facts.items():
        for info in facts.types:
            if isinstance(info, MacroItem):   # a TypeInfo written by a macro: expand it
                expanded = _expand_item(model, info, facts.functional)
                if expanded is None:
                    continue
                info = expanded
            builder.add_type(model.resolve(info.name), info.parent, rel, info,
                             info.class_init, info.instance_init)
        for virtio in facts.virtio:
            builder.add_virtio(rel, virtio)
        if facts.cpu_models:
            _add_cpu_models(model, rel, facts)
    for name, found in arrays.items():
        for rel, props in found:
            if (rel, name) not in model._bound:
                for p in _expand(props, macros, 0):
                    for n in ([p.name] if p.name else model.resolve(p.expr) or []):
                        model.unplaced.setdefault(n, f"{rel}:{p.line} ({name})")
    return model


class _Builder:
    """Types and their properties, from the facts of every file."""

    def __init__(self, model: QomModel, fn_of: FnOf, array_of: ArrayOf,
                 macros: dict[str, list[PropItem]]) -> None:
        self.model, self.fn_of, self.array_of, self.macros = model, fn_of, array_of, macros

    def add_type(self, names: list[str] | None, parent_expr: str | None, rel: str,
                 info: TypeFact, class_init: str | None, instance_init: str | None) -> list[str]:
        model = self.model
        if names is None:
            model.unresolved.append(f"{rel}:{info.line}: a type named {info.name}")
            return []
        parents = model.resolve(parent_expr) if parent_expr else [None]
        parent = parents[0] if parents else None
        for name in names:
            qt = model.types.setdefault(name, QomType(name, parent, Location(rel, info.line)))
            qt.parent = qt.parent or parent
            qt.abstract = qt.abstract or info.abstract
            qt.cond = info.cond
            qt.interfaces += [i for e in info.interfaces for i in model.resolve(e) or []]
            for init in (class_init, instance_init):
                self.apply_calls(qt, init, rel, set())
        return names

    def add_virtio(self, rel: str, info: VirtioFact) -> None:
        """virtio_pci_types_register(): the generic type gets disable-legacy/-modern
        (virtio_pci_generic_class_init); without a base_name its base gets them."""
        model = self.model
        generic = model.resolve(info.generic_name) if info.generic_name else None
        base = model.resolve(info.base_name) if info.base_name else None
        if base is None and generic:
            base = [f"{generic[0]}-base-type"]
        if not base:
            model.unresolved.append(f"{rel}:{info.line}: a virtio-pci type")
            return
        generic_init = "virtio_pci_generic_class_init"
        own = info.class_init if info.base_name else generic_init
        self.add_type(base, info.parent or "TYPE_VIRTIO_PCI", rel,
                      TypeFact(info.base_name or "", info.parent, info.line, info.cond, True),
                      own, info.instance_init)
        variants = []
        for key, expr in (("generic", info.generic_name), ("transitional", info.transitional_name),
                          ("non-transitional", info.non_transitional_name)):
            for name in (model.resolve(expr) if expr else None) or []:
                qt = model.types.setdefault(name, QomType(name, base[0], Location(rel, info.line)))
                variants.append(name)
                init = (generic_init if info.base_name else info.class_init) \
                    if key == "generic" else None
                self.apply_calls(qt, init, rel, set())
        model.types[base[0]].variants = variants

    def apply_calls(self, qt: QomType, name: str | None, rel: str,
                    seen: set[tuple[str, str | None]]) -> None:
        """A class_init or instance_init, and the helpers it calls that add properties."""
        found = self.fn_of(name, rel)
        if found is None or (found[0], name) in seen or len(seen) > 12:
            return
        seen.add((found[0], name))
        self.apply(qt, *found)
        for callee in found[1].calls:   # only functions with facts are followed
            if callee != name:
                self.apply_calls(qt, callee, found[0], seen)

    def apply(self, qt: QomType, rel: str, fn: FunctionFact) -> None:
        model = self.model
        for array in fn.arrays:
            got = self.array_of(array, rel)
            if got is None:
                model.unresolved.append(f"{rel}:{fn.line}: properties {array} (not found)")
                continue
            model._bound.add((got[0], array))
            guard = fn.guard(array)
            for p in _expand(got[1], self.macros, 0):
                cond = p.cond + (guard,) if guard else p.cond
                names = [p.name] if p.name else model.resolve(p.expr)
                if not names:
                    model.unresolved.append(f"{got[0]}:{p.line}: a property named by {p.expr}")
                for n in names or []:
                    qt.props.setdefault(n, Prop(n, p.kind, Location(got[0], p.line),
                                                p.default, cond))
        for added in (*fn.class_props, *fn.object_props):
            names = [added.name] if added.name else model.resolve(added.expr)
            if not names:
                model.unresolved.append(f"{rel}:{added.line}: a property named by {added.expr}")
            for n in names or []:
                qt.props.setdefault(n, Prop(n, added.kind, Location(rel, added.line),
                                            cond=fn.cond))
        for a in fn.aliases:
            qt.props.setdefault(a.name, Prop(a.name, "alias", Location(rel, a.line),
                                             alias_of=Alias(None, a.target)))
        for expr in fn.alias_all:
            names = model.resolve(expr)
            if names:
                qt.alias_all += [n for n in names if n not in qt.alias_all]
            else:
                model.unresolved.append(f"{rel}:{fn.line}: the child type {expr}")


def _add_cpu_models(model: QomModel, rel: str, facts: FileFacts) -> None:
    feature_names = sorted({n for n in facts.features if n})
    for suffix in ("x86_64-cpu", "i386-cpu"):
        if suffix not in model.types:
            model.types[suffix] = QomType(suffix, None, Location(rel))
        for name in facts.cpu_models:
            model.types.setdefault(f"{name}-{suffix}",
                                   QomType(f"{name}-{suffix}", suffix, Location(rel)))
        for feat in feature_names:   # QEMU accepts both spellings of a feature
            for spelling in {feat, feat.replace("_", "-"), feat.replace("-", "_")}:
                model.types[suffix].props.setdefault(
                    spelling, Prop(spelling, "bool", Location(rel)))


def _expand_item(model: QomModel, info: MacroItem,
                 local: dict[str, Functional]) -> TypeFact | None:
    """A TypeInfo item a macro writes, read from the macro's body with the arguments; the
    file's own macro first (riscv and hexagon each #define a DEFINE_CPU)."""
    macro = local.get(info.macro) or model.functional.get(info.macro)
    if macro is None or not macro.body.startswith("{") or not macro.takes(len(info.args)):
        return None
    fact = facts_module.type_info_of(substitute(macro, info.args))
    if fact is None:
        return None
    return TypeFact(fact.name, fact.parent, info.line, info.cond, fact.abstract,
                    fact.class_init, fact.instance_init, fact.interfaces)


def _expand(props: list[PropItem], macros: dict[str, list[PropItem]],
            depth: int) -> list[PropFact]:
    """The DEFINE_PROP items of an array, the macros among them expanded (when known)."""
    out = []
    for p in props:
        if isinstance(p, PropFact):
            out.append(p)
        elif p.macro in macros and depth < 4:
            for q in _expand(macros[p.macro], macros, depth + 1):
                name, expr = q.name, q.expr
                if q.param is not None:   # the property's name is the caller's argument
                    first = p.first or ""
                    name = csyntax.c_string(first) if first.startswith('"') else None
                    expr = first
                out.append(PropFact(name, expr, q.kind, q.default, p.line, p.cond + q.cond))
    return out
