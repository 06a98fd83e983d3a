"""The layout: the core never imports Rasa (only bot/channels/ may, ARCHITECTURE.md), and the README's
"Layout" section names every top-level package and every folder of bot/ — and nothing that is gone."""

import ast
import re

from bot.settings import PROJECT_ROOT

FRAMEWORK = ("rasa", "rasa_sdk")
TOP_LEVEL = ("bot", "actions", "nlu_components", "knowledge", "tests", "bench", "scripts")


def imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_core_has_no_rasa_import():
    core = PROJECT_ROOT / "bot"
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)} imports {module}"
        for path in core.rglob("*.py")
        if "channels" not in path.relative_to(core).parts
        for module in imported_modules(path)
        if module.split(".")[0] in FRAMEWORK
    ]
    assert offenders == []


def readme_layout(text: str) -> dict:
    """Top-level entry → the entries indented under it, from the README's Layout block. An entry line
    lists names (comma-separated) before a gap of two spaces; deeper lines continue a description."""
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    tree: dict = {}
    current = None
    for line in block.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        names = [n.strip() for n in re.split(r"\s{2,}", line.strip(), maxsplit=1)[0].split(",")]
        if indent == 0:
            for name in names:
                tree.setdefault(name, set())
            current = names[0]
        elif indent == 2 and current is not None:
            tree[current].update(names)
    return tree


def test_readme_layout_parsing_sees_entries_and_nesting():
    text = "## Layout\n\n```\nbot/   core\n  a/, b.py   x\n                 more/ words\nc/   d\n```\n"
    assert readme_layout(text) == {"bot/": {"a/", "b.py"}, "c/": set()}


def test_readme_layout_matches_the_tree():
    tree = readme_layout((PROJECT_ROOT / "README.md").read_text(encoding="utf-8"))
    missing = [f"{name}/" for name in TOP_LEVEL if f"{name}/" not in tree]
    core = PROJECT_ROOT / "bot"
    folders = {f"{p.name}/" for p in core.iterdir() if p.is_dir() and p.name != "__pycache__"}
    missing += [f"bot/{name}" for name in sorted(folders - tree.get("bot/", set()))]
    assert missing == [], f"the README's Layout does not name {missing}"
    named = {name for name in tree.get("bot/", set()) if name.endswith("/")}
    assert sorted(named - folders) == [], "the README's Layout names folders of bot/ that do not exist"
    gone = [name for name in tree if name.endswith("/") and not (PROJECT_ROOT / name).is_dir()]
    assert gone == []
