"""The held-out NLU evaluation: prepare the test file, then judge the results against the targets.

    python scripts/nlu_gate.py prepare results/heldout.yml   # heldout.yml + policy_heldout.yml (as ask_policy)
    rasa test nlu --nlu results/heldout.yml --out results/nlu
    python scripts/nlu_gate.py judge results/nlu

`judge` prints every figure it judged, so CI logs show them, and exits 1 below a target. It also
measures the policy search (bot/policies) on the labelled policy questions: which article answers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
POLICY_HELDOUT = ROOT / "tests" / "nlu" / "policy_heldout.yml"

# Targets (issue 5); raise them, never lower them to pass.
MIN_INTENT_WEIGHTED_F1 = 0.93
MIN_EMERGENCY_RECALL = 0.98
MIN_RESPONSE_SELECTION_ACCURACY = 0.90
MIN_POLICY_ARTICLE_ACCURACY = 0.85
MIN_MESSAGES = 200


def prepare(target: str) -> int:
    data = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))
    policy = yaml.safe_load(POLICY_HELDOUT.read_text(encoding="utf-8"))
    questions = [q for qs in policy.values() for q in qs]
    lines = HELDOUT.read_text(encoding="utf-8").rstrip("\n").splitlines()
    lines += ["", "- intent: ask_policy", "  examples: |"] + [f"    - {q}" for q in questions]
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_text("\n".join(lines) + "\n", encoding="utf-8")
    count = sum(len([line for line in item["examples"].splitlines() if line.strip()]) for item in data["nlu"]) + len(
        questions
    )
    print(f"held-out set: {count} messages → {target}")
    return 0 if count >= MIN_MESSAGES else 1


def policy_search() -> tuple:
    from bot.policies import default_desk
    from bot.policies.answers import MIN_SCORE

    desk = default_desk()
    policy = yaml.safe_load(POLICY_HELDOUT.read_text(encoding="utf-8"))
    right = wrong = refused = 0
    for article, questions in policy.items():
        for question in questions:
            best = desk.search(question, 1)
            if not best or best[0].score < MIN_SCORE:
                refused += 1
            elif best[0].article.id == article:
                right += 1
            else:
                wrong += 1
                print(f"  policy search: {question!r} → {best[0].article.id} (expected {article})")
    return right, wrong, refused


def judge(out_dir: str) -> int:
    out = Path(out_dir)
    intents = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    f1 = intents["weighted avg"]["f1-score"]
    support = intents["weighted avg"]["support"]
    failures = []
    print(
        f"held-out intent classification: weighted F1 {f1:.3f} on {support} messages (target ≥ {MIN_INTENT_WEIGHTED_F1})"
    )
    for name, row in sorted(intents.items()):
        if isinstance(row, dict) and name not in ("weighted avg", "macro avg", "micro avg"):
            print(
                f"  {name:<18} F1 {row['f1-score']:.3f}  precision {row['precision']:.3f}  recall {row['recall']:.3f}  support {row['support']}"
            )
    if f1 < MIN_INTENT_WEIGHTED_F1:
        failures.append(f"intent weighted F1 {f1:.3f} < {MIN_INTENT_WEIGHTED_F1}")
    if support < MIN_MESSAGES:
        failures.append(f"held-out set has {support} messages < {MIN_MESSAGES}")
    recall = intents.get("report_emergency", {}).get("recall", 0.0)
    print(f"emergency recall {recall:.3f} (target ≥ {MIN_EMERGENCY_RECALL})")
    if recall < MIN_EMERGENCY_RECALL:
        failures.append(f"emergency recall {recall:.3f} < {MIN_EMERGENCY_RECALL}")

    selection_file = out / "response_selection_report.json"
    if selection_file.exists():
        selection = json.loads(selection_file.read_text(encoding="utf-8"))
        accuracy = selection.get("accuracy", selection.get("micro avg", {}).get("f1-score", 0.0))
        print(
            f"held-out response selection (out_of_scope): accuracy {accuracy:.3f} (target ≥ {MIN_RESPONSE_SELECTION_ACCURACY})"
        )
        if accuracy < MIN_RESPONSE_SELECTION_ACCURACY:
            failures.append(f"response selection accuracy {accuracy:.3f} < {MIN_RESPONSE_SELECTION_ACCURACY}")
    else:
        failures.append(f"{selection_file} missing: was the ResponseSelector evaluated?")

    right, wrong, refused = policy_search()
    total = right + wrong + refused
    print(
        f"policy search: right article {right}/{total} ({right / total:.3f}), wrong {wrong}, "
        f"refused (asks to rephrase) {refused} (target right ≥ {MIN_POLICY_ARTICLE_ACCURACY})"
    )
    if right / total < MIN_POLICY_ARTICLE_ACCURACY:
        failures.append(f"policy search accuracy {right / total:.3f} < {MIN_POLICY_ARTICLE_ACCURACY}")

    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("prepare", "judge"):
        sys.exit(__doc__)
    sys.exit(prepare(sys.argv[2]) if sys.argv[1] == "prepare" else judge(sys.argv[2]))
