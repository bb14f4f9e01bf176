"""Proxies from outside the harness: installed packages and Python files.

Both register through `register_proxy`, into the one registry, and are then used like
built-ins; only their `ProxySpec.origin` differs.

- **Installed packages** declare entries in the entry-point group `harness.proxies`,
  each a module (`my_proxy = my_package.proxies`) or a registered proxy function
  (`my_proxy = my_package.proxies:my_proxy`). They are loaded once per process, on the
  first use of the registry (`get_proxy`, `list_proxies`). One that fails to import
  stops with a one-line `PluginError` naming its package; `HARNESS_SKIP_PLUGINS`
  (comma-separated entry-point or package names, `*` for all) leaves entries out.
- **Python files** (`--include PATH`, `include = [...]` in a run config): a `.py` file,
  or a folder whose `.py` files (not `_*.py`, not recursing) are loaded in name order.
  Each file runs once per process, as the module `harness_include_<sha256[:16]>`; its
  proxies' origin is the file's absolute path and sha256.

Worker processes load the same plugins: entry points by themselves, files because the
scoring plan carries their paths (`ScoringPlan.includes`).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

from harness.errors import HarnessError
from harness.proxies import base
from harness.proxies.base import ProxyOrigin, ProxySpec, registering_from

#: The entry-point group installed packages declare their proxies in.
ENTRY_POINT_GROUP = "harness.proxies"
#: Environment variable: entry-point or package names not to load (`*`: none at all).
SKIP_ENV = "HARNESS_SKIP_PLUGINS"


class PluginError(HarnessError):
    """A plugin (installed package or included file) cannot be loaded."""


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())


# -- installed packages ---------------------------------------------------------------

_state = {"loaded": False}
_failure: list[PluginError] = []


def load_entry_points() -> None:
    """Load every entry of the group `harness.proxies`, once per process.

    A failure is raised again by every later call, so no command runs with a plugin
    silently missing.
    """
    if _failure:
        raise _failure[0]
    if _state["loaded"]:
        return
    _state["loaded"] = True  # before loading: a plugin may itself use the registry
    skip = {s.strip() for s in os.environ.get(SKIP_ENV, "").split(",") if s.strip()}
    if "*" in skip:
        return
    entries = sorted(
        metadata.entry_points(group=ENTRY_POINT_GROUP),
        key=lambda ep: (_dist_name(ep), ep.name),
    )
    for entry in entries:
        if entry.name in skip or _dist_name(entry) in skip:
            continue
        try:
            _load_entry_point(entry)
        except PluginError as exc:
            _failure.append(exc)
            raise


def _dist_name(entry: metadata.EntryPoint) -> str:
    dist = getattr(entry, "dist", None)
    return dist.name if dist is not None else entry.module.split(".")[0]


def _load_entry_point(entry: metadata.EntryPoint) -> None:
    dist = getattr(entry, "dist", None)
    origin = ProxyOrigin(
        kind="package",
        name=_dist_name(entry),
        version=dist.version if dist is not None else "",
        entry_point=f"{entry.name} = {entry.value}",
    )
    where = (
        f"proxy plugin {entry.name!r} ({origin.describe()}, entry point "
        f"{ENTRY_POINT_GROUP}: {entry.value})"
    )
    top = entry.module.split(".")[0]
    try:
        with registering_from(origin, top):
            loaded = entry.load()
    except HarnessError as exc:  # a name clash: one line naming the package already
        raise PluginError(str(exc)) from None
    except SystemExit as exc:  # a plugin may not end the process that loads it
        raise PluginError(
            f"{where} called sys.exit({exc.code!r}) while loading: a plugin may not end "
            f"the process (fix or uninstall the package; {SKIP_ENV}={origin.name} skips it)"
        ) from None
    except Exception as exc:
        raise PluginError(
            f"{where} failed to load: {_one_line(exc)} (fix or uninstall the package; "
            f"{SKIP_ENV}={origin.name} skips it)"
        ) from None
    if not _registers_something(loaded):
        raise PluginError(
            f"{where} registers no proxy: the entry must name a module that registers "
            "proxies or a function decorated with harness.proxies.register_proxy"
        )


def _registers_something(loaded: Any) -> bool:
    specs = list(base.PROXIES.values())
    if isinstance(loaded, ModuleType):
        prefix = loaded.__name__
        return any(_module_of(s) == prefix or _module_of(s).startswith(prefix + ".") for s in specs)
    return any(s.compute is loaded for s in specs)


def _module_of(spec: ProxySpec) -> str:
    return getattr(spec.compute, "__module__", "") or ""


# -- origins of code registered outside a plugin load ----------------------------------


def origin_of_module(module: str) -> ProxyOrigin:
    """The origin of a proxy defined in `module`: the installed distribution whose files
    hold it, else its file (path and sha256), else the module name alone."""
    loaded = sys.modules.get(module)
    file = getattr(loaded, "__file__", None)
    if file is None:
        return ProxyOrigin(kind="module", name=module)
    path = Path(file).resolve()
    for dist_name in _distributions_of(module.split(".")[0]):
        try:
            dist = metadata.distribution(dist_name)
        except metadata.PackageNotFoundError:
            continue
        if path in _files_of(dist_name):
            return ProxyOrigin(kind="package", name=dist.name, version=dist.version)
    return file_origin(path)


def file_origin(path: Path) -> ProxyOrigin:
    data = path.read_bytes()
    return ProxyOrigin(kind="file", name=str(path), sha256=hashlib.sha256(data).hexdigest())


@functools.lru_cache(maxsize=1)
def _top_level_index() -> dict[str, list[str]]:
    return {k: list(v) for k, v in metadata.packages_distributions().items()}


def _distributions_of(top_level: str) -> list[str]:
    return _top_level_index().get(top_level, [])


@functools.lru_cache(maxsize=64)
def _files_of(dist_name: str) -> frozenset[Path]:
    dist = metadata.distribution(dist_name)
    return frozenset(
        Path(dist.locate_file(f)).resolve() for f in (dist.files or []) if f.suffix == ".py"
    )


# -- Python files ---------------------------------------------------------------------

#: resolved path -> sha256 of every file loaded in this process
_INCLUDED: dict[Path, str] = {}


def include_files(path: str | Path) -> list[Path]:
    """The `.py` files an `--include` PATH names (a file, or a folder's files), resolved."""
    given = Path(path).expanduser()
    if not given.exists():
        raise PluginError(f"include {path}: no such file or folder")
    if given.is_dir():
        files = sorted(f for f in given.glob("*.py") if not f.name.startswith("_"))
        if not files:
            raise PluginError(f"include {path}: the folder holds no .py files")
        return [f.resolve() for f in files]
    if given.suffix != ".py":
        raise PluginError(f"include {path}: not a .py file or a folder of them")
    return [given.resolve()]


def load_includes(paths: Iterable[str | Path]) -> list[Path]:
    """Load every file the include paths name (each once per process); the files, in order.

    An include that registers no proxy, or a file that fails to run, is a `PluginError`.
    """
    loaded: list[Path] = []
    for path in paths:
        files = include_files(path)
        before = set(base.PROXIES.items())
        fresh = False
        for file in files:
            fresh |= _load_file(file, str(path))
            loaded.append(file)
        if fresh and not _registered_from(files, before):
            raise PluginError(
                f"include {path}: registers no proxy (decorate a function with "
                "harness.proxies.register_proxy)"
            )
    return loaded


def _registered_from(files: list[Path], before: set[tuple[str, ProxySpec]]) -> bool:
    names = {str(f) for f in files}
    return any(
        spec.origin.kind == "file" and spec.origin.name in names
        for item in base.PROXIES.items()
        if item not in before
        for spec in [item[1]]
    )


def _load_file(file: Path, given: str) -> bool:
    """Run `file` as a module unless this process already ran this content; True if run."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise PluginError(f"include {given}: cannot read {file} ({exc.strerror or exc})") from None
    sha = hashlib.sha256(data).hexdigest()
    if _INCLUDED.get(file) == sha:
        return False
    name = f"harness_include_{sha[:16]}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise PluginError(f"include {given}: cannot load {file} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    origin = ProxyOrigin(kind="file", name=str(file), sha256=sha)
    try:
        with registering_from(origin, name):
            spec.loader.exec_module(module)
    except HarnessError as exc:  # a name clash: one line naming the file already
        del sys.modules[name]
        raise PluginError(str(exc)) from None
    except SystemExit as exc:  # a plugin may not end the process that loads it
        del sys.modules[name]
        raise PluginError(
            f"include {file} called sys.exit({exc.code!r}) while loading: a plugin may "
            "not end the process (raise an exception instead)"
        ) from None
    except Exception as exc:
        del sys.modules[name]
        raise PluginError(f"include {file} failed to load: {_one_line(exc)}") from None
    _INCLUDED[file] = sha
    return True


# -- provenance -----------------------------------------------------------------------


def proxy_origins(names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """{name: origin} of the proxies among `names` that are not plain built-ins; an
    override also records the built-in it replaces."""
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        spec = base.get_proxy(name)
        if spec.origin.builtin and spec.overridden is None:
            continue
        entry: dict[str, Any] = spec.origin.to_dict()
        if spec.overridden is not None:
            entry["overrides"] = {
                "origin": spec.overridden.origin.kind,
                "version": spec.overridden.version,
            }
            entry["store_version"] = spec.store_version
        out[name] = entry
    return out


def origin_notes(names: Iterable[str]) -> list[str]:
    """One results note per plugin proxy among `names` (and a louder one per override)."""
    notes = []
    for name, entry in proxy_origins(names).items():
        spec = base.get_proxy(name)
        if "overrides" in entry:
            notes.append(
                f"proxy {name} OVERRIDES the built-in {name} (version "
                f"{entry['overrides']['version']}): computed by {spec.origin.describe()}, "
                f"version {spec.version}, stored as version {spec.store_version}"
            )
        else:
            notes.append(f"proxy {name} (version {spec.version}) from {spec.origin.describe()}")
    return notes


def plugin_packages(names: Iterable[str]) -> dict[str, str]:
    """{distribution: version} of the installed packages that provide proxies in `names`."""
    out = {}
    for name in names:
        origin = base.get_proxy(name).origin
        if origin.kind == "package":
            out[origin.name] = origin.version
    return out
