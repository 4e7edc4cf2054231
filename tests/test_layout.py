"""The package's folders show its design, and its imports keep to it.

Each concept lives in its own sub-package (the map is ``scalingzip/__init__.py``); the science never
imports the book's plumbing or the classroom tooling; the exact coders import nothing above them;
and every third-party package the code imports is declared in ``pyproject.toml``. These are read
from the source (its ``import`` statements, nested ones included), so a new module that breaks a
rule fails here, not in a reader's head.
"""

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "scalingzip"
SUBPACKAGES = {"coding", "nn", "compressors", "scaling", "data", "studies", "book", "classroom", "benchmarks"}
TOP_LEVEL_FILES = {"__init__.py", "__main__.py", "cli.py"}

# what each sub-package may import from the package (itself always); absent: anything
ALLOWED = {
    "coding": set(),
    "data": set(),
    "scaling": {"data"},
    "nn": {"scaling", "data", "coding"},
    "compressors": {"coding", "nn"},
    "studies": {"coding", "nn", "compressors", "scaling", "data"},
}
# the import name of each third-party package, and the distribution that provides it
DISTRIBUTIONS = {"yaml": "pyyaml", "otter": "otter-grader", "myst_nb": "myst-nb", "distributed": "dask",
                 "sklearn": "scikit-learn", "PIL": "pillow"}


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def dotted(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute, nested imports included."""
    found = set()
    package = dotted(path) if path.name == "__init__.py" else dotted(path).rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found |= {f"{module}.{a.name}" for a in node.names}  # `from pkg import submodule`
    return found


def room(module: str) -> str | None:
    """The sub-package a ``scalingzip.*`` module lives in (None for the top-level files)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in SUBPACKAGES) else None


def test_every_module_lives_in_a_subpackage_named_for_its_concept():
    flat = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in TOP_LEVEL_FILES)
    assert not flat, f"modules outside a sub-package: {flat}; put each in the sub-package of its concept"
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert folders == SUBPACKAGES, f"sub-packages changed: {sorted(folders ^ SUBPACKAGES)}; update the map in scalingzip/__init__.py and this test"
    described = (PACKAGE / "__init__.py").read_text(encoding="utf-8")
    missing = sorted(s for s in SUBPACKAGES if f"scalingzip.{s}`" not in described)
    assert not missing, f"the map in scalingzip/__init__.py does not describe: {missing}"


def test_no_two_modules_share_a_name():
    """One name per thing: a module's name says what it holds wherever it is imported from. (The
    benchmarks are named for what they measure, so they are left out.)"""
    seen: dict[str, list[str]] = {}
    for path in modules():
        if path.name != "__init__.py" and "benchmarks" not in path.parts:
            seen.setdefault(path.stem, []).append(dotted(path))
    shared = {name: where for name, where in seen.items() if len(where) > 1}
    assert not shared, f"modules sharing a name: {shared}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_only_down_the_layers(path):
    here = room(dotted(path))
    used = {m for m in imports(path) if m.startswith("scalingzip.")}
    rooms = {r for r in map(room, used) if r is not None and r != here}
    if here in ALLOWED:
        wrong = sorted(rooms - ALLOWED[here])
        assert not wrong, f"{dotted(path)} imports from {wrong}; {here}/ may import only from {sorted(ALLOWED[here]) or 'nothing of the package'}"
    if here not in {"book", "classroom", "benchmarks", None}:
        assert not rooms & {"book", "classroom"}, f"{dotted(path)}: the science must not import the book or classroom tooling"


def test_every_third_party_import_is_declared_in_pyproject():
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0].lower()
                for spec in project["dependencies"] + sum(project["optional-dependencies"].values(), [])}
    undeclared = {}
    for path in modules():
        for module in imports(path):
            top = module.split(".")[0]
            if top in sys.stdlib_module_names or top in ("scalingzip", "__future__", ""):
                continue
            dist = DISTRIBUTIONS.get(top, top).lower().replace("_", "-")
            if dist not in declared:
                undeclared.setdefault(dist, dotted(path))
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"
