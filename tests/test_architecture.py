"""The import rules of docs/architecture.md, checked on the source (no import is executed).

A room is a top-level module or package of `harness` (`harness.proxies`, `harness.store`,
...). ALLOWED says which other rooms each room may import at run time (imports under
`if TYPE_CHECKING:` are annotations only and are not counted). Besides, a private
module (`harness.<room>._name`) is imported only from inside its own room, and nothing
outside the shell imports the shell.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "harness"

#: The shared kernel: small modules every room may use; they import only each other.
KERNEL = frozenset(
    {"errors", "seeds", "schema", "provenance", "datadir", "devices", "outputs", "registry"}
)
#: The domain rooms; each may use the kernel and what is listed here.
DOMAIN = {
    "config": {"execution", "stats"},  # checks executor names and failure policies
    "spaces": set(),
    "tables": {"spaces"},
    "inputs": set(),
    "proxies": set(),
    "stats": set(),
    "store": set(),
    "results": {"stats"},  # the figure list: columns, checks, extras
}
#: The pipeline of `harness run` and its siblings.
PIPELINE = {
    "sampling": {"spaces", "tables"},
    "scoring": {"config", "inputs", "proxies", "spaces", "store", "tables"},
    "execution": {"scoring", "store"},
    "seed_figures": {"stats"},
    "leaderboard": {"proxies", "results", "stats", "tables"},
    "experiment": {
        "config", "execution", "inputs", "proxies", "results", "sampling", "scoring",
        "seed_figures", "stats", "store", "tables",
    },
    "ablation": {"config", "experiment", "results"},
}  # fmt: skip
#: Feature packages: built on the pipeline, never on the shell; `report` renders documents.
FEATURES = {
    "report": {"results", "stats"},
    "conformance": {"proxies", "scoring", "spaces", "stats"},
    "bench": {"execution", "inputs", "proxies", "scoring", "spaces"},
    "check": {"bench", "execution", "proxies", "spaces"},
    "search": {
        "config", "distill", "execution", "proxies", "results", "sampling", "scoring", "spaces",
        "stats", "store", "tables",
    },
    "distill": {
        "config", "inputs", "proxies", "report", "results", "scoring", "spaces", "stats",
        "store", "tables",
    },
    "combine": {
        "config", "experiment", "leaderboard", "proxies", "report", "results", "spaces",
        "stats", "tables",
    },
}  # fmt: skip
SHELL = {"commands": "everything but cli", "cli": {"commands", "config"}, "__main__": {"cli"}}

ALLOWED: dict[str, set[str]] = {
    **{room: set(KERNEL) for room in KERNEL},
    **{room: allowed | KERNEL for room, allowed in DOMAIN.items()},
    **{room: allowed | KERNEL for room, allowed in PIPELINE.items()},
    **{room: allowed | KERNEL for room, allowed in FEATURES.items()},
}


#: Front doors: another room imports a package room through the package itself or through
#: one of these public modules (an API of its own: a search space's encoding, the plugin
#: loader, a renderer of the lazily loaded report package, a command's pipeline).
PUBLIC_MODULES: dict[str, set[str]] = {
    "proxies": {"plugins", "combinations", "selection", "passes", "complexity"},
    "spaces": {"nb201", "nb201_distance", "nb201_network", "darts", "networks"},
    "tables": {"availability", "fetch"},
    "stats": {"pair_sampling"},
    "execution": {"threads"},
    "report": {
        "documents", "failure_policy", "gate", "latex", "leaderboard_table", "merge", "style",
        "sweeps", "target_matrix",
    },
    "bench": {"clock", "memory", "workload"},
    "search": {"report"},
    "distill": {"config", "experiment", "report"},
    "combine": {"config", "models", "report", "runner"},
}  # fmt: skip


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _room(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return "harness" if parts == ("__init__",) else parts[0]


def _dotted(path: Path) -> str:
    parts = ("harness", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(child) for stmt in node.body for child in ast.walk(stmt)}
    return skipped


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported dotted name) for every run-time import of a `harness` module."""
    package = _dotted(path) if path.name == "__init__.py" else _dotted(path).rpartition(".")[0]
    return imports_in(path.read_text(), package)


def imports_in(source: str, package: str) -> list[tuple[int, str]]:
    """The run-time `harness` imports of `source`, a module of `package`."""
    tree = ast.parse(source)
    skipped = _type_checking_nodes(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                found.append((node.lineno, f"{base}.{alias.name}" if base else alias.name))
    return [(line, name) for line, name in found if name.split(".")[0] == "harness"]


def _target_room(name: str) -> str | None:
    parts = name.split(".")
    if len(parts) < 2:
        return None
    head = parts[1]
    if (PACKAGE / head).is_dir() or (PACKAGE / f"{head}.py").exists():
        return head
    return None  # `from harness import __version__` and the like


def _below_the_shell() -> list[Path]:
    """Every module but the shell's and the package's front module (which may import any
    room)."""
    return [p for p in _modules() if _room(p) not in SHELL and _room(p) != "harness"]


@pytest.mark.parametrize("path", _below_the_shell(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_rooms_import_only_what_they_may(path: Path) -> None:
    room = _room(path)
    assert room in ALLOWED, f"room {room!r} is not in docs/architecture.md's table (ALLOWED)"
    bad = [
        f"{path.name}:{line} imports {name}"
        for line, name in imports_of(path)
        if (target := _target_room(name)) and target != room and target not in ALLOWED[room]
    ]
    assert not bad, f"{room} may import only {sorted(ALLOWED[room])}: " + "; ".join(bad)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_private_modules_stay_in_their_room(path: Path) -> None:
    room = _room(path)
    bad = [
        f"{path.name}:{line} imports {name}"
        for line, name in imports_of(path)
        if (target := _target_room(name)) and target != room
        and any(part.startswith("_") and not part.startswith("__") for part in name.split(".")[2:])
    ]  # fmt: skip
    assert not bad, "; ".join(bad)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_other_rooms_come_in_through_the_front_door(path: Path) -> None:
    room = _room(path)
    bad = []
    for line, name in imports_of(path):
        target = _target_room(name)
        parts = name.split(".")
        if not target or target == room or not (PACKAGE / target).is_dir() or len(parts) < 3:
            continue
        module = parts[2]
        is_module = (PACKAGE / target / f"{module}.py").exists() or (
            PACKAGE / target / module
        ).is_dir()
        if is_module and module not in PUBLIC_MODULES.get(target, set()):
            bad.append(f"{path.name}:{line} imports {name}")
    assert not bad, "not through a front door (the package or PUBLIC_MODULES): " + "; ".join(bad)


def test_only_the_shell_imports_the_shell() -> None:
    bad = [
        f"{path.relative_to(PACKAGE)}:{line} imports {name}"
        for path in _modules()
        if _room(path) not in SHELL
        for line, name in imports_of(path)
        if _target_room(name) in SHELL
    ]
    assert not bad, "; ".join(bad)


def test_commands_do_not_import_cli() -> None:
    bad = [
        f"{path.name}:{line}"
        for path in (PACKAGE / "commands").glob("*.py")
        for line, name in imports_of(path)
        if _target_room(name) == "cli"
    ]
    assert not bad, "; ".join(bad)


def test_the_checker_sees_what_it_must() -> None:
    """Absolute, relative, private and annotation-only imports are told apart."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "from harness.store import ScoreStore\n"
        "from ..execution._threads import torch_threads\n"
        "from . import base\n"
        "if TYPE_CHECKING:\n"
        "    from harness.tables import BenchmarkTable\n"
        "def f():\n"
        "    import harness.stats\n"
    )
    names = [name for _, name in imports_in(source, "harness.proxies")]
    assert names == [
        "harness.store.ScoreStore",
        "harness.execution._threads.torch_threads",
        "harness.proxies.base",
        "harness.stats",
    ]
    assert [_target_room(n) for n in names] == ["store", "execution", "proxies", "stats"]
    assert "store" not in ALLOWED["proxies"] and "stats" not in ALLOWED["proxies"]


def undeclared_deferred_imports(source: str) -> list[int]:
    """Lines of function-level imports that no `# deferred: <why>` comment explains (on
    the import, or above the run of imports it belongs to)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    skipped = _type_checking_nodes(tree)
    bad: list[int] = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for block in ast.walk(function):
            for field in ("body", "orelse", "finalbody", "handlers"):
                body = getattr(block, field, None)
                if not isinstance(body, list):
                    continue
                for index, node in enumerate(body):
                    if not isinstance(node, ast.Import | ast.ImportFrom) or id(node) in skipped:
                        continue
                    first = index
                    while first and isinstance(body[first - 1], ast.Import | ast.ImportFrom):
                        first -= 1
                    start = body[first].lineno - 1
                    while start and lines[start - 1].strip().startswith("#"):
                        start -= 1
                    if "# deferred" not in "\n".join(lines[start : node.end_lineno]):
                        bad.append(node.lineno)
    return sorted(set(bad))


def test_function_level_imports_say_why() -> None:
    """An import inside a function defers a heavy dependency (or breaks a cycle), and its
    `# deferred:` comment says which; any other import belongs at the top of the module."""
    bad = [
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in _modules()
        for line in undeclared_deferred_imports(path.read_text())
    ]
    assert not bad, "function-level imports without a '# deferred: ...' reason: " + ", ".join(bad)


def test_the_deferred_rule_sees_an_unexplained_import() -> None:
    source = (
        "def f():\n"
        "    # deferred: pulls in torch\n"
        "    import torch\n"
        "    import numpy\n"
        "\n"
        "def g():\n"
        "    x = 1\n"
        "    import json\n"
        "    try:\n"
        "        import psutil  # deferred: optional\n"
        "    except ImportError:\n"
        "        pass\n"
    )
    assert undeclared_deferred_imports(source) == [8]
