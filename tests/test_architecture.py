"""The house of app/ (docs/architecture.md): what each package may import, no import cycle
(imports inside functions count), a short top, and a docstring on every package. Reads the
source only: no store, no keyring, no display."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOP = "(top)"  # the small shared ground: app/errors.py, clock.py, uktime.py, paths.py, ...

# package -> the packages it may import (besides itself). Arrows point down only.
MAY_IMPORT: dict[str, set[str]] = {
    TOP: set(),
    "protocol": {TOP},
    "store": {TOP},
    "domain": {TOP, "store"},
    "profile": {TOP, "store", "domain"},
    "pack": {TOP, "store", "domain", "profile"},
    "delivery": {TOP, "protocol", "store", "domain", "profile", "pack", "transfer"},
    "hub": {TOP, "protocol", "store", "domain", "profile", "pack", "delivery", "transfer"},
    "demo": {TOP, "store", "domain", "profile"},
    "export": {TOP, "store"},
    "sar": {TOP, "store", "domain", "profile", "pack"},
    "transfer": {TOP, "store", "domain", "profile", "pack"},
    "cli": {TOP, "protocol", "store", "domain", "profile", "pack", "delivery", "hub", "demo",
            "export", "sar", "transfer"},
}
# The pack's renderer works on a PackData alone; only its assembly reads the domain, and
# from_profile turns a child's profile into the pack's rows, la_form answers an LA's own form.
PACK_READERS = {"app.pack.assembly", "app.pack.from_profile", "app.pack.la_form"}
MAX_TOP_MODULES = 14
FRONTDOOR_MAY_IMPORT = {"app.protocol", "app.errors", "app.clock"}


def modules(package: str) -> dict[str, Path]:
    return {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
            for p in sorted((ROOT / package).rglob("*.py"))}


def imported(path: Path, name: str) -> Iterator[tuple[str, int]]:
    """Every module name ``path`` imports, at any depth (inside functions too), with its line."""
    is_pkg = path.name == "__init__.py"
    here = name if is_pkg else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = here.split(".")[: len(here.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            yield base, node.lineno
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


def graph() -> dict[str, set[str]]:
    mods = modules("app")
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for m, path in mods.items():
        for target, _ in imported(path, m):
            while target and target not in mods:
                target = target.rpartition(".")[0]
            if target and target != m and not m.startswith(target + "."):
                edges[m].add(target)
    return edges


def package_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 2 or (ROOT / "app" / parts[-1] / "__init__.py").exists():
        return parts[1]
    return TOP


def test_every_package_of_app_is_in_the_rules() -> None:
    packages = {p.parent.name for p in (ROOT / "app").glob("*/__init__.py")}
    assert packages == set(MAY_IMPORT) - {TOP}


def test_each_package_imports_only_the_packages_below_it() -> None:
    wrong = []
    for m, targets in graph().items():
        if m == "app":
            continue
        mine = package_of(m)
        allowed = MAY_IMPORT[mine] | {mine}
        if m.startswith("app.pack.") and m not in PACK_READERS:
            allowed = {TOP, "pack"}
        wrong += [f"{m} -> {t}" for t in sorted(targets)
                  if t != "app" and package_of(t) not in allowed]
    assert wrong == []


def test_no_module_of_app_sits_in_an_import_cycle() -> None:
    edges = graph()

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in edges[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    assert sorted(m for m in edges if m in reach(m)) == []


def test_app_keeps_a_short_top_and_a_docstring_on_every_package() -> None:
    top = sorted(p.name for p in (ROOT / "app").glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, top
    for init in [ROOT / "app" / "__init__.py", *(ROOT / "app").glob("*/__init__.py")]:
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 60, f"{init.relative_to(ROOT)} says what it owns"


def test_frontdoor_imports_only_the_protocol_of_the_core() -> None:
    wrong = []
    for m, path in modules("frontdoor").items():
        for target, line in imported(path, m):
            if target == "app" or not target.startswith("app."):
                continue
            if not any(target == ok or target.startswith(ok + ".")
                       for ok in FRONTDOOR_MAY_IMPORT):
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert wrong == []


def test_the_core_never_imports_qt() -> None:
    for package in ("app", "frontdoor"):
        for m, path in modules(package).items():
            qt = [t for t, _ in imported(path, m) if t.split(".")[0] in {"PySide6", "shiboken6"}]
            assert qt == [], m


def test_ui_uses_the_core_without_reaching_past_it() -> None:
    """No transaction opened in ui/, no database driver, no core import behind a guard: a
    renamed core function must fail here or in a test, not hide a button."""
    wrong = []
    for m, path in modules("ui").items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target, line in imported(path, m):
            if target.split(".")[0] in {"sqlcipher3", "sqlite3"}:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr == "tx":
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} opens a transaction")
            if isinstance(node, ast.Try) and any(
                    isinstance(h.type, ast.Name) and h.type.id in {"ImportError",
                                                                   "ModuleNotFoundError"}
                    for h in node.handlers):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} guards an import")
    assert wrong == []


def test_the_command_line_loads_the_pdf_libraries_only_to_make_a_pdf() -> None:
    # reportlab and pypdf took half of every command's start-up; they load where a PDF is made
    # (app/pack/__init__.py). A fresh interpreter, so nothing imported by other tests counts.
    import subprocess
    import sys

    probe = ("import sys; from app.cli.main import build_parser; build_parser(); "
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'reportlab', 'pypdf'}))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).resolve().parents[1]).stdout.strip()
    assert loaded == "[]"
