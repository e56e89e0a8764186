"""The package's shape: stages import one way, through each package's public API, with no
cycles; word lists live in the lexicon."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "assistant"
# the order data flows in; a stage may import the root modules and the stages before it
STAGES = ("ingest", "index", "search", "answer", "eval", "app")
ROOT_MODULES = ("records", "config", "lexicon", "data")


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, imported names, line) of every import in the module, function-level ones too."""
    is_pkg = path.name == "__init__.py"
    package = name if is_pkg else name.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names if a.name.startswith("assistant")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.startswith("assistant"):
                out.append((module, [a.name for a in node.names], node.lineno))
    return out


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _rank(stage: str | None) -> int:
    if stage is None or stage in ROOT_MODULES:
        return -1
    return STAGES.index(stage)


def test_every_module_belongs_to_a_stage_or_the_root():
    for name in MODULES:
        stage = _stage(name)
        assert stage is None or stage in STAGES or stage in ROOT_MODULES, f"{name}: not in a stage folder"


def test_stages_import_one_way():
    wrong = []
    for name, path in MODULES.items():
        src = _stage(name)
        for module, _names, line in _imports(name, path):
            dst = _stage(module)
            if src in ROOT_MODULES or src is None:
                if dst in STAGES:
                    wrong.append(f"{name}:{line} (root) imports the stage {module}")
            elif _rank(dst) > _rank(src):
                wrong.append(f"{name}:{line} imports the later stage {module}")
    assert not wrong, "\n".join(wrong)


def test_other_packages_are_reached_through_their_public_api():
    wrong = []
    for name, path in MODULES.items():
        src = _stage(name)
        for module, names, line in _imports(name, path):
            dst = _stage(module)
            if dst in STAGES and dst != src:
                if module != f"assistant.{dst}":
                    wrong.append(f"{name}:{line} imports {module} instead of assistant.{dst}")
                private = [n for n in names if n.startswith("_")]
                if private:
                    wrong.append(f"{name}:{line} imports private {private} from {module}")
            if any(n.startswith("_") and n != "__version__" for n in names) and dst != src:
                wrong.append(f"{name}:{line} imports a private name from {module}")
    assert not wrong, "\n".join(wrong)


def test_package_public_apis_exist():
    import importlib

    for stage in STAGES:
        pkg = importlib.import_module(f"assistant.{stage}")
        assert pkg.__doc__, f"assistant.{stage} has no docstring"
        for name in getattr(pkg, "__all__", ()):
            assert hasattr(pkg, name), f"assistant.{stage}.__all__ names {name}, which it does not have"


def test_no_import_cycles():
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in MODULES.items():
        for module, names, _line in _imports(name, path):
            targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES] or [module]
            for t in targets:
                if t in MODULES and t != name:
                    graph[name].add(t)
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, stack: list[str]) -> bool:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle.extend([*stack[stack.index(nxt) :], nxt] if nxt in stack else [node, nxt])
                return True
            if state.get(nxt) is None and visit(nxt, [*stack, nxt]):
                return True
        state[node] = 2
        return False

    for node in sorted(MODULES):
        if state.get(node) is None and visit(node, [node]):
            break
    assert not cycle, " → ".join(cycle)


def _hangul_lists(path: Path) -> list[tuple[int, list[str]]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            words = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            hangul = [w for w in words if w and all("가" <= ch <= "힣" or ch in " ·" for ch in w)]
            if len(hangul) >= 3 and len(hangul) == len(node.elts):
                out.append((node.lineno, hangul))
    return out


@pytest.mark.parametrize("stage", ["ingest", "index", "search", "answer"])
def test_word_lists_live_in_the_lexicon(stage):
    found = []
    for path in (PACKAGE / stage).rglob("*.py"):
        found += [f"{path.relative_to(PACKAGE)}:{line} {words}" for line, words in _hangul_lists(path)]
    assert not found, "word lists outside assistant/lexicon.py:\n" + "\n".join(found)
