"""The package's layers: each module imports only its own layer's package or the layers below it.

Low to high: base (``paths``, ``errors``) < data < models, losses, latent priors < metrics, plots < training
< chapter helpers < course machinery < the command-line application. The check reads the source (every
``import``, including those inside functions), so it needs no TensorFlow and fails on any back-import or cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gancore"

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("gancore", "gancore.paths", "gancore.errors")),
    ("data", ("gancore.data",)),
    ("models and losses", ("gancore.models", "gancore.losses", "gancore.latent_priors")),
    ("metrics and plots", ("gancore.metrics", "gancore.plots")),
    ("training", ("gancore.training",)),
    ("chapter helpers", ("gancore.chapters",)),
    ("course machinery", ("gancore.course",)),
    ("application", ("gancore.app", "gancore.__main__")),
]
LAZY_MARK = "# lazy:"  # a function-local import of gancore must say why it is not at the top


def layer_of(module: str) -> int:
    """Index of the layer a dotted module name belongs to (the longest matching prefix wins)."""
    best, best_len = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    if best is None:
        raise AssertionError(f"{module} is in no layer; add it to LAYERS in tests/test_layers.py")
    return best


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_exists(name: str, root: Path = PACKAGE) -> bool:
    rel = Path(*name.split(".")[1:]) if "." in name else Path()
    return (root / rel).with_suffix(".py").exists() or (root / rel / "__init__.py").exists()


def imports_of(source: str, module: str, is_package: bool, root: Path = PACKAGE):
    """(imported gancore module, line number, inside a function, line text) for every import in ``source``."""
    tree = ast.parse(source)
    lines = source.splitlines()
    in_function: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            in_function.update(id(n) for n in ast.walk(node) if n is not node)
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".") if is_package else module.split(".")[:-1]
                parent = parent[: len(parent) - (node.level - 1)]
                base = ".".join(parent + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                targets.append(candidate if module_exists(candidate, root) else base)
        for target in targets:
            if target == "gancore" or target.startswith("gancore."):
                yield target, node.lineno, id(node) in in_function, lines[node.lineno - 1]


def import_graph(root: Path = PACKAGE):
    """{module: [(target, line number, local, text), ...]} over every .py file under ``root``."""
    graph = {}
    for path in sorted(root.rglob("*.py")):
        name = module_name(path, root)
        graph[name] = list(imports_of(path.read_text(), name, path.name == "__init__.py", root))
    return graph


def back_imports(graph) -> list[str]:
    problems = []
    for module, edges in graph.items():
        for target, line, _, _ in edges:
            if layer_of(target) > layer_of(module):
                problems.append(f"{module}:{line} imports {target} ({LAYERS[layer_of(module)][0]} -> "
                                f"{LAYERS[layer_of(target)][0]}, a higher layer)")
    return problems


def cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), ignoring a package's own __init__."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def successors(module):
        for target, *_ in graph.get(module, []):
            # a module importing its parent package only runs the parent's __init__: an edge like any other
            if target in graph and target != module:
                yield target

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for nxt in successors(module):
            if nxt not in index:
                visit(nxt)
                low[module] = min(low[module], low[nxt])
            elif nxt in on_stack:
                low[module] = min(low[module], index[nxt])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in graph:
        if module not in index:
            visit(module)
    return found


def unexplained_lazy_imports(graph) -> list[str]:
    return [f"{module}:{line}: {text.strip()}" for module, edges in graph.items()
            for target, line, local, text in edges if local and LAZY_MARK not in text]


@pytest.fixture(scope="module")
def graph():
    return import_graph()


def test_every_module_belongs_to_a_layer(graph):
    for module in graph:
        layer_of(module)


def test_no_module_imports_a_higher_layer(graph):
    assert back_imports(graph) == []


def test_no_import_cycle(graph):
    assert cycles(graph) == []


def test_function_local_imports_say_why(graph):
    assert unexplained_lazy_imports(graph) == []


def _fake_package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "gancore"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_checks_catch_a_back_import_a_cycle_and_a_silent_lazy_import(tmp_path):
    root = _fake_package(tmp_path, {
        "losses.py": "from gancore.chapters import maps\n",                      # core -> chapter helper
        "chapters/__init__.py": "", "chapters/maps.py": "",
        "data/__init__.py": "", "data/a.py": "from gancore.data import b\n",
        "data/b.py": "def f():\n    from gancore.data import a\n",               # a cycle, hidden in a function
        "training/__init__.py": "", "training/ok.py": "def f():\n    from gancore import plots  # lazy: reason\n",
        "plots.py": "",
    })
    graph = import_graph(root)
    assert back_imports(graph) == ["gancore.losses:1 imports gancore.chapters.maps "
                                   "(models and losses -> chapter helpers, a higher layer)"]
    assert cycles(graph) == [["gancore.data.a", "gancore.data.b"]]
    assert unexplained_lazy_imports(graph) == ["gancore.data.b:2: from gancore.data import a"]
