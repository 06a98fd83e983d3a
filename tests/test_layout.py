"""The core never imports Rasa: only bot/channels/ may (ARCHITECTURE.md)."""

import ast

from bot.settings import PROJECT_ROOT

FRAMEWORK = ("rasa", "rasa_sdk")


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
