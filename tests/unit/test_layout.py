"""The packages import one way only, floor by floor (DESIGN.md's layout):

    extensions, config · core · accounts · catalog, recipients · ledger ·
    procurement, allocation · audit, rationing · home, demo · app

A package may import its own floor's package itself and anything on a lower floor; never a higher
floor, and never a neighbour on its own floor (procurement and allocation know nothing of each
other). Every import counts, however it is written: at the top, inside a function, relative, or
under `if TYPE_CHECKING`. Pure modules (the quality rules, the solver, the validators) import no
Flask and no database.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FLOORS = [
    {"extensions", "config"},
    {"core"},
    {"accounts"},
    {"catalog", "recipients"},
    {"ledger"},
    {"procurement", "allocation"},
    {"audit", "rationing"},
    {"home", "demo"},
    {"app"},
]
FLOOR = {package: level for level, packages in enumerate(FLOORS) for package in packages}

# Modules that must stay importable without Flask or a database.
PURE = [
    "core/text.py",
    "catalog/vocabulary.py",
    "procurement/validators.py",
    "procurement/quality",  # a package, or one file
    "allocation/solver",  # a package
    "rationing/idcard.py",
    "rationing/lottery.py",
]
NOT_IN_PURE = {"flask", "flask_babel", "flask_login", "flask_wtf", "sqlalchemy", "extensions"}


def _modules(root: Path) -> list[tuple[str, Path]]:
    """(top-level package, file) for every Python file of the application under `root`."""
    found = []
    for package in FLOOR:
        single = root / f"{package}.py"
        if single.is_file():
            found.append((package, single))
        folder = root / package
        if folder.is_dir():
            found.extend((package, path) for path in sorted(folder.rglob("*.py")))
    return found


def _imported(root: Path, path: Path, package: str) -> list[tuple[int, str]]:
    """(line, top-level name) of every import in a file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside the package unless it climbs out of it
                depth = len(path.relative_to(root).parts) - 1
                top = package if node.level <= depth else (node.module or "").split(".")[0]
                names.append((node.lineno, top))
            elif node.module:
                names.append((node.lineno, node.module.split(".")[0]))
    return names


def layering_violations(root: Path) -> list[str]:
    wrong = []
    for package, path in _modules(root):
        for line, name in _imported(root, path, package):
            if name not in FLOOR or name == package:
                continue
            if FLOOR[name] >= FLOOR[package]:
                where = "a floor above" if FLOOR[name] > FLOOR[package] else "its own floor"
                wrong.append(f"{path.relative_to(root)}:{line} imports {name} ({where})")
    return wrong


def test_the_layout_has_the_packages_it_names():
    for package in FLOOR:
        assert (ROOT / f"{package}.py").is_file() or (ROOT / package / "__init__.py").is_file(), (
            package
        )


def test_packages_import_only_lower_floors():
    assert layering_violations(ROOT) == []


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_import_no_flask_and_no_database(module):
    target = ROOT / module
    if not target.exists():
        target = target.with_suffix(".py")
    paths = sorted(target.rglob("*.py")) if target.is_dir() else [target]
    assert paths and paths[0].is_file(), module
    package = module.split("/")[0]
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in paths
        for line, name in _imported(ROOT, path, package)
        if name in NOT_IN_PURE
    ]
    assert wrong == []


def test_the_check_finds_upward_and_sideways_imports_wherever_they_are(tmp_path):
    (tmp_path / "ledger").mkdir()
    (tmp_path / "ledger" / "bad.py").write_text(
        "def f():\n    from procurement.models import Supplier\n    from .models import x\n"
    )
    (tmp_path / "procurement").mkdir()
    (tmp_path / "procurement" / "views.py").write_text(
        "import typing\nif typing.TYPE_CHECKING:\n    import allocation.models\n"
        "from ledger import services\n"
    )
    assert layering_violations(tmp_path) == [
        "ledger/bad.py:2 imports procurement (a floor above)",
        "procurement/views.py:3 imports allocation (its own floor)",
    ]
