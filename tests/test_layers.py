"""The package's layers, and a test that holds them.

Data flows one way. The map below is the architecture, read top to bottom: a module may
import its own layer and any layer below it, never one above. Every import counts, those
at module level and those inside functions; an import under `if TYPE_CHECKING:` does not
run and is left out (it is how a type from a higher layer is named without depending on it).

    edge      cli/ web/ federation/      talk to people and peers, and call services;
              app.py home.py __main__.py  and assemble a node (its hooks, routes, workers)
    service   services/ addresses.py     what edges call; one that needs the network is
                                          async and is handed a client
    store     store/                     all SQL, and what a node holds on disk: its
              node.py config.py           handle (node.py), settings and key files
              keystore.py
    core      sig/ log/ ld/ standing/    pure: no I/O, nothing above them
              payout/ and small modules
              (activities claims effort
              errors fields rate_limit
              untrusted urls)

Edges may import one another (web/keys.py names the federation workers' types, the CLI's
`serve` builds the application); the LAYERS list below is the same map, as data.

Besides the direction, four rules:

- cores do no I/O: no database, network, process or file modules, and `open()` /
  `Path.read_*` only in the modules listed in SHIPPED_DATA, which read files that ship
  with the package (the JSON-LD contexts, the vocabulary);
- only store/ speaks SQL: nothing else imports sqlite3 or sqlite_utils (node.py names the
  `Database` type only under TYPE_CHECKING) or holds an SQL statement;
- no cycle among module-level imports;
- a function-local import carries a comment saying why it is not at the top.
"""

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "fedcommons"

# Highest first. A prefix names a package and everything under it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("edge", ("fedcommons.cli", "fedcommons.web", "fedcommons.federation",
              "fedcommons.app", "fedcommons.home", "fedcommons.__main__")),
    # addresses.py is rules only, but parses numeric hosts with the socket library.
    ("service", ("fedcommons.services", "fedcommons.addresses")),
    # One module per source of peer production: they read files, git and (handed a client)
    # wikis, and yield items; only services call them.
    ("source", ("fedcommons.importers",)),
    ("store", ("fedcommons.store", "fedcommons.node", "fedcommons.config", "fedcommons.keystore")),
    ("core", (
        "fedcommons.sig", "fedcommons.log", "fedcommons.ld", "fedcommons.standing",
        "fedcommons.payout", "fedcommons.claims", "fedcommons.effort", "fedcommons.effort_rules", "fedcommons.activities",
        "fedcommons.fields", "fedcommons.urls", "fedcommons.errors", "fedcommons.untrusted",
        "fedcommons.rate_limit",
    )),
]
RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}

# Cores may not import these: they are I/O.
IO_MODULES = ("sqlite3", "sqlite_utils", "aiohttp", "socket", "ssl", "asyncio", "subprocess",
              "urllib.request", "http.client", "shutil", "tempfile")
# Pure modules that read files shipped inside the package, and only those.
SHIPPED_DATA = {"fedcommons.ld.loader", "fedcommons.ld.context"}
SQL_MODULES = ("sqlite3", "sqlite_utils")
SQL = re.compile(r"^\s*(SELECT\s.*\sFROM\s|INSERT\s+(OR\s+\w+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s"
                 r"|CREATE\s+(TABLE|INDEX|UNIQUE|VIEW|TRIGGER)\s|ALTER\s+TABLE\s|DROP\s+TABLE\s|PRAGMA\s|BEGIN\b)",
                 re.I | re.S)


def layer_of(module: str) -> str:
    """The layer a module belongs to: the longest matching prefix wins."""
    if module == "fedcommons":
        return "core"  # the package's __init__: its version, nothing else
    best, length = None, -1
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
                best, length = name, len(prefix)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


class Import:
    def __init__(self, target: str, line: int, local: bool, commented: bool):
        self.target, self.line, self.local, self.commented = target, line, local, commented


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    parts = module.split(".")
    parts = parts if is_package else parts[:-1]
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else []))


def imports_of(path: Path, known: set[str], package: Path = PACKAGE) -> list[Import]:
    """Every import that runs, module level or inside a function, with its line."""
    module = module_name(path, package)
    source = path.read_text()
    lines = source.splitlines()
    found: list[Import] = []

    def commented(node: ast.stmt) -> bool:
        # A why-comment on the import's line or the line above it.
        here = lines[node.lineno - 1]
        above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
        return "#" in here or above.startswith("#")

    def visit(node: ast.AST, local: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for other in child.orelse:
                    visit(other, local)
                continue
            inner = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(Import(alias.name, child.lineno, local, commented(child)))
            elif isinstance(child, ast.ImportFrom):
                base = _base(module, path.name == "__init__.py", child)
                for alias in child.names:
                    # `from pkg import name` imports a submodule when there is one by that name.
                    sub = f"{base}.{alias.name}"
                    target = sub if sub in known else base
                    found.append(Import(target, child.lineno, local, commented(child)))
            visit(child, inner)

    visit(ast.parse(source), False)
    return found


def package_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def graph() -> tuple[dict[str, Path], dict[str, list[Import]]]:
    modules = package_modules()
    known = set(modules)
    return modules, {m: imports_of(p, known) for m, p in modules.items()}


def own(target: str, known: set[str]) -> str | None:
    """The package module an import names, or None for anything outside the package."""
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target or None


def upward_imports(imports: dict[str, list[Import]], known: set[str]) -> list[str]:
    wrong = []
    for module, found in imports.items():
        for imp in found:
            target = own(imp.target, known)
            if target is None or target == module:
                continue
            # A package's __init__ runs when any of its modules loads; ignore that edge.
            if module.startswith(target + "."):
                continue
            if RANK[layer_of(target)] < RANK[layer_of(module)]:
                wrong.append(f"{module}:{imp.line} ({layer_of(module)}) imports "
                             f"{target} ({layer_of(target)})")
    return wrong


def find_cycles(imports: dict[str, list[Import]], known: set[str]) -> list[list[str]]:
    """Cycles among module-level imports, each once, by depth-first search."""
    edges = {m: sorted({t for i in found if not i.local and (t := own(i.target, known))
                        and t != m and not m.startswith(t + ".")})
             for m, found in imports.items()}
    cycles, state, stack = [], {}, []

    def visit(module: str) -> None:
        state[module] = "open"
        stack.append(module)
        for target in edges[module]:
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module)
    return cycles


def test_every_module_has_a_layer():
    for module in package_modules():
        layer_of(module)


def test_no_import_runs_against_the_layers():
    modules, imports = graph()
    assert upward_imports(imports, set(modules)) == []


def test_no_module_level_import_cycle():
    modules, imports = graph()
    assert find_cycles(imports, set(modules)) == []


def _names_any(target: str, modules: tuple[str, ...]) -> bool:
    return any(target == m or target.startswith(m + ".") for m in modules)


def io_in_core(module: str, source: str, found: list[Import]) -> list[str]:
    """What a core module does that is I/O: an I/O module imported, a file opened."""
    wrong = [f"{module}:{i.line} imports {i.target}" for i in found if _names_any(i.target, IO_MODULES)]
    if module not in SHIPPED_DATA:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and (
                (isinstance(node.func, ast.Name) and node.func.id == "open")
                or (isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("read_text", "read_bytes", "write_text", "write_bytes"))):
                wrong.append(f"{module}:{node.lineno} reads or writes a file")
    return wrong


def sql_outside_store(module: str, source: str, found: list[Import]) -> list[str]:
    """A database driver imported, or an SQL statement held, by a module outside store/."""
    wrong = [f"{module}:{i.line} imports {i.target}" for i in found if _names_any(i.target, SQL_MODULES)]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
            wrong.append(f"{module}:{node.lineno} holds SQL: {node.value.strip()[:40]!r}")
    return wrong


def test_cores_do_no_io():
    modules, imports = graph()
    assert [problem for module, found in imports.items() if layer_of(module) == "core"
            for problem in io_in_core(module, modules[module].read_text(), found)] == []


def test_only_the_store_speaks_sql():
    modules, imports = graph()
    # node.py, config.py and keystore.py sit in the store's layer but are not store/.
    assert [problem for module, found in imports.items() if not module.startswith("fedcommons.store.")
            for problem in sql_outside_store(module, modules[module].read_text(), found)] == []


def test_function_local_imports_say_why():
    modules, imports = graph()
    silent = [f"{m}:{i.line} imports {i.target}" for m, found in imports.items()
              for i in found if i.local and not i.commented]
    assert silent == []


# The checks themselves must be able to fail.

def _imports_from_source(tmp_path: Path, module: str, source: str) -> list[Import]:
    """The imports of `source` planted as `module` in a copy of the package's layout."""
    package = tmp_path / "fedcommons"
    path = package / Path(*module.split(".")[1:]).with_suffix(".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    return imports_of(path, set(package_modules()), package)


def test_a_planted_upward_import_is_found(tmp_path):
    known = set(package_modules())
    planted = _imports_from_source(
        tmp_path, "fedcommons.sig.keys",
        "def f():\n    from ..services.actors import pools  # planted\n")
    assert upward_imports({"fedcommons.sig.keys": planted}, known) == [
        "fedcommons.sig.keys:2 (core) imports fedcommons.services.actors.pools (service)"]
    typed = _imports_from_source(
        tmp_path, "fedcommons.sig.keys",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..web import routes\n")
    assert upward_imports({"fedcommons.sig.keys": typed}, known) == []


def test_a_planted_cycle_is_found():
    known = {"fedcommons.a", "fedcommons.b", "fedcommons.c"}
    imports = {
        "fedcommons.a": [Import("fedcommons.b", 1, False, False)],
        "fedcommons.b": [Import("fedcommons.c", 1, False, False)],
        "fedcommons.c": [Import("fedcommons.a", 1, False, False)],
    }
    assert find_cycles(imports, known) == [["fedcommons.a", "fedcommons.b", "fedcommons.c", "fedcommons.a"]]
    imports["fedcommons.c"] = [Import("fedcommons.a", 1, True, True)]
    assert find_cycles(imports, known) == []


def test_an_uncommented_local_import_is_found(tmp_path):
    found = _imports_from_source(tmp_path, "fedcommons.services.x",
                                 "def f():\n    from . import pools\n\n"
                                 "def g():\n    # breaks a cycle\n    from . import pools\n")
    assert [(i.line, i.local, i.commented) for i in found] == [(2, True, False), (6, True, True)]


def test_planted_io_and_sql_are_found(tmp_path):
    source = ("import sqlite3\n\n\ndef f(path):\n    return open(path).read()\n\n\n"
              "QUERY = 'SELECT id FROM actors WHERE name = ?'\n")
    found = _imports_from_source(tmp_path, "fedcommons.sig.keys", source)
    assert io_in_core("fedcommons.sig.keys", source, found) == [
        "fedcommons.sig.keys:1 imports sqlite3", "fedcommons.sig.keys:5 reads or writes a file"]
    assert sql_outside_store("fedcommons.sig.keys", source, found) == [
        "fedcommons.sig.keys:1 imports sqlite3", "fedcommons.sig.keys:8 holds SQL: 'SELECT id FROM actors WHERE name = ?'"]
