"""One registry type for every kind of named thing (proxies, tables, spaces, ...).

A `Registry[T]` maps names to objects of one kind. It offers

- registration: `registry.register(name, obj)`, or `@registry.register(name)` as a
  decorator (it returns the object unchanged);
- a duplicate policy per kind: `"warn"` (the later one wins, with a warning),
  `"error"` (a `DuplicateNameError`) or `"replace"` (silently); a caller with a policy of
  its own (the proxies' plugin origins) resolves the clash itself and passes
  `replace=True`;
- lookup: `registry[name]` raises `harness.errors.UnknownNameError` with a did-you-mean,
  `registry.get(name)` returns None for an unknown name (the usual `Mapping` methods work);
- glob listing: `registry.names(pattern)`, sorted (`list(registry)` keeps registration order);
- lazy discovery of built-ins: `discover` (a callable, or module paths to import, e.g.
  `package_modules("harness.tables")`) runs once, on the first read, never on a write.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Literal, TypeVar, overload

from harness.errors import HarnessError, UnknownNameError

T = TypeVar("T")
Obj = TypeVar("Obj")

DuplicatePolicy = Literal["warn", "error", "replace"]
Discovery = Callable[[], Any] | Iterable[str]


class DuplicateNameError(HarnessError, ValueError):
    """A name is registered twice in a registry whose policy is `"error"`."""


def import_modules(*modules: str) -> Callable[[], None]:
    """A discovery step importing each of `modules` (dotted paths), in order."""

    def discover() -> None:
        for module in modules:
            importlib.import_module(module)

    return discover


def package_modules(package: str) -> Callable[[], list[str]]:
    """A discovery step importing every module of `package` not starting with `_`, in
    name order; it returns their short names."""

    def discover() -> list[str]:
        found = importlib.import_module(package)
        names = sorted(
            info.name
            for info in pkgutil.iter_modules(found.__path__)
            if not info.name.startswith("_")
        )
        for name in names:
            importlib.import_module(f"{package}.{name}")
        return names

    return discover


class Registry(Mapping[str, T]):
    """Names -> objects of one kind (`kind` names it in messages, e.g. "search space")."""

    def __init__(
        self,
        kind: str,
        *,
        discover: Discovery | None = None,
        on_duplicate: DuplicatePolicy = "warn",
        duplicate_message: str = "{kind} {name!r} registered twice; the later one wins",
    ) -> None:
        self.kind = kind
        self.on_duplicate: DuplicatePolicy = on_duplicate
        self.duplicate_message = duplicate_message
        if discover is None or callable(discover):
            self._discover = discover
        else:
            self._discover = import_modules(*discover)
        #: None: not yet; "running": in progress (a lookup inside it does not recurse);
        #: "done": finished. A discovery that raises is tried again on the next read.
        self._discovery: Literal["running", "done"] | None = None if self._discover else "done"
        self._items: dict[str, T] = {}

    # -- discovery ----------------------------------------------------------------------

    def discover(self) -> None:
        """Run the discovery of built-ins unless it ran (or is running) already."""
        if self._discovery is not None or self._discover is None:
            return
        self._discovery = "running"
        try:
            self._discover()
        except BaseException:
            self._discovery = None
            raise
        self._discovery = "done"

    @property
    def discovered(self) -> bool:
        """Whether the discovery of built-ins has run (True when there is none)."""
        return self._discovery == "done"

    # -- registration -------------------------------------------------------------------

    @overload
    def register(self, name: str) -> Callable[[Obj], Obj]: ...

    @overload
    def register(self, name: str, obj: T, *, replace: bool = False, stacklevel: int = 1) -> T: ...

    def register(
        self, name: str, obj: Any = None, *, replace: bool = False, stacklevel: int = 1
    ) -> Any:
        """Register `obj` as `name` and return it; without `obj`, a decorator doing so.

        A name already registered follows the registry's duplicate policy unless
        `replace` is true. `stacklevel` places a duplicate warning as `warnings.warn`
        does, counted from the caller of `register`.
        """
        if obj is None:

            def decorate(target: Obj) -> Obj:
                self.register(name, target, replace=replace, stacklevel=stacklevel + 1)
                return target

            return decorate
        if name in self._items and not replace:
            message = self.duplicate_message.format(kind=self.kind, name=name)
            if self.on_duplicate == "error":
                raise DuplicateNameError(message)
            if self.on_duplicate == "warn":
                warnings.warn(message, stacklevel=stacklevel + 1)
        self._items[name] = obj
        return obj

    def unregister(self, name: str) -> T | None:
        """Remove `name` (no error when absent); the object it named, or None."""
        return self._items.pop(name, None)

    def peek(self, name: str) -> T | None:
        """The object registered as `name`, or None, without running the discovery (for
        registration code that must not import the built-ins)."""
        return self._items.get(name)

    def snapshot(self) -> dict[str, T]:
        """A copy of the registered names and objects (no discovery), for `restore`."""
        return dict(self._items)

    def restore(self, saved: Mapping[str, T]) -> None:
        """Make the registry hold exactly `saved` (a `snapshot`)."""
        self._items.clear()
        self._items.update(saved)

    # -- lookup -------------------------------------------------------------------------

    def unknown(self, name: str) -> UnknownNameError:
        """The error for an unknown `name`: a did-you-mean over the registered names."""
        return UnknownNameError(self.kind, name, list(self._items))

    def __getitem__(self, name: str) -> T:
        self.discover()
        try:
            return self._items[name]
        except KeyError:
            raise self.unknown(name) from None

    def get(self, name: str, default: Any = None) -> Any:
        """The object registered as `name`, else `default` (no error)."""
        self.discover()
        return self._items.get(name, default)

    def __contains__(self, name: object) -> bool:
        self.discover()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        self.discover()
        return iter(list(self._items))

    def __len__(self) -> int:
        self.discover()
        return len(self._items)

    def names(self, pattern: str = "*") -> list[str]:
        """Registered names matching the shell-style `pattern` (case-sensitive), sorted."""
        self.discover()
        return sorted(n for n in self._items if fnmatch.fnmatchcase(n, pattern))

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self._items)} registered)"
