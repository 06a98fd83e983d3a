"""bot/knowledge: every knowledge/ file is read by one package and validated, and a wrong file names
the file, the key and the reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.knowledge import KNOWLEDGE_DIR, KnowledgeFileError, assistance, parameters, rules
from bot.knowledge.files import read_yaml, validated
from bot.knowledge.policies import load_articles
from bot.knowledge.regions import read_regions

ROOT = Path(__file__).resolve().parents[2]
# Which loader reads each file of knowledge/ (sources.yaml indexes the source documents for the tests).
READ_BY = {
    "parameters.yaml": "bot/knowledge/parameters.py",
    "regions/": "bot/knowledge/regions.py",
    "policies/": "bot/knowledge/policies.py",
    "rules/queue.yaml": "bot/knowledge/rules.py",
    "rules/emergency.yaml": "bot/knowledge/rules.py",
    "rules/emergency_examples.yaml": "bot/knowledge/rules.py",
    "rules/disability.yaml": "bot/knowledge/rules.py",
    "rules/eligibility.yaml": "bot/knowledge/rules.py",
    "assistance/": "bot/knowledge/assistance.py",
    "sources.yaml": "tests/policies/test_policies.py",
}


def test_every_knowledge_file_has_its_loader():
    for path in sorted(KNOWLEDGE_DIR.rglob("*.yaml")):
        relative = path.relative_to(KNOWLEDGE_DIR).as_posix()
        assert any(relative == key or (key.endswith("/") and relative.startswith(key)) for key in READ_BY), (
            f"knowledge/{relative} is read by no loader of bot/knowledge"
        )


def test_the_real_files_all_load():
    assert set(parameters.load_catalogue()) == set(parameters.CATALOGUE)
    assert "CN" in read_regions() and load_articles()
    assert set(rules.due_hours()) == {"life_threatening", "urgent", "normal"}
    assert rules.emergency_rules().kinds and rules.disability_rules()["severe"]
    assert any(e.emergency for e in rules.emergency_examples())
    assert set(rules.eligibility_citations()) == set(rules.ELIGIBILITY_RULES)
    specialised, temporary = assistance.catalogues()
    assert specialised and temporary


def test_no_module_outside_the_loader_reads_knowledge_itself():
    reads = re.compile(r"safe_load|[\"']knowledge[\"']")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("bot", "actions", "nlu_components")
        for path in (ROOT / folder).rglob("*.py")
        if "bot/knowledge/" not in path.as_posix() and reads.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_each_parameter_carries_its_unit_label_and_description_in_yaml():
    raw = read_yaml(parameters.CATALOGUE_FILE)
    for name, spec in parameters.CATALOGUE.items():
        assert (spec.unit, spec.label, spec.description) == (
            raw[name]["unit"],
            raw[name]["label"],
            raw[name]["description"],
        )
        assert spec.label and spec.description


@pytest.fixture
def rules_dir(tmp_path, monkeypatch):
    for path in (KNOWLEDGE_DIR / "rules").glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(rules, "RULES_DIR", tmp_path)
    for loader in (rules.due_hours, rules.emergency_rules, rules.disability_rules, rules.eligibility_citations):
        loader.cache_clear()
    yield tmp_path
    for loader in (rules.due_hours, rules.emergency_rules, rules.disability_rules, rules.eligibility_citations):
        loader.cache_clear()


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    "file,old,new,loader,key,reason",
    [
        (
            "queue.yaml",
            "  normal:\n    value: 168",
            "  normal:\n    value: -1",
            "due_hours",
            "due_hours.normal.value",
            "greater than 0",
        ),
        ("queue.yaml", "  normal:", "  normale:", "due_hours", "due_hours.normale", "unknown name"),
        (
            "emergency.yaml",
            '"不想.{0,2}活"',
            '"不想.{0,2活("',
            "emergency_rules",
            "kinds.self_harm.patterns.0",
            "regular expression",
        ),
        (
            "emergency.yaml",
            "severity: life_threatening",
            "severity: deadly",
            "emergency_rules",
            "kinds.self_harm.severity.deadly",
            "unknown name",
        ),
        (
            "disability.yaml",
            "intellectual: 3",
            "intellectual: 5",
            "disability_rules",
            "tekun_unable_to_work.worst_grade.intellectual",
            "less than or equal to 4",
        ),
        ("eligibility.yaml", "\ndibao:", "\ndibao_typo:", "eligibility_citations", "dibao", "no citations"),
        (
            "eligibility.yaml",
            "tekun:\n  rule:",
            "tekun:\n  rules:",
            "eligibility_citations",
            "tekun.rule",
            "field required",
        ),
    ],
)
def test_a_wrong_rules_file_names_the_file_key_and_reason(rules_dir, file, old, new, loader, key, reason):
    _replace(rules_dir / file, old, new)
    with pytest.raises(KnowledgeFileError) as error:
        getattr(rules, loader)()
    assert (error.value.file, error.value.key) == (file, key)
    assert reason in error.value.reason


def test_unparsable_yaml_names_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n", encoding="utf-8")
    with pytest.raises(KnowledgeFileError) as error:
        validated(bad, dict)
    assert (error.value.file, error.value.key) == ("bad.yaml", "(file)") and "YAML" in error.value.reason


def test_a_wrong_assistance_catalogue_is_refused(tmp_path, monkeypatch):
    for path in (KNOWLEDGE_DIR / "assistance").glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    _replace(tmp_path / "temporary.yaml", "kinds: [homeless]", "kinds: [homeles]")
    monkeypatch.setattr(assistance, "ASSISTANCE_DIR", tmp_path)
    assistance.catalogues.cache_clear()
    try:
        with pytest.raises(KnowledgeFileError) as error:
            assistance.catalogues()
    finally:
        assistance.catalogues.cache_clear()
    assert error.value.file == "temporary.yaml" and "homeles" in error.value.reason
