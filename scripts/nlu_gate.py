"""Fail when the held-out NLU evaluation (`rasa test nlu --out DIR`) is below target.

Usage: python scripts/nlu_gate.py results/nlu
Prints the figures it judged, so CI logs show them.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

# Targets for the held-out set (tests/nlu/heldout.yml); raise them, never lower them to pass.
MIN_INTENT_WEIGHTED_F1 = 0.93
MIN_RESPONSE_SELECTION_ACCURACY = 0.90


def main(out_dir: str) -> int:
    out = Path(out_dir)
    intents = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    f1 = intents["weighted avg"]["f1-score"]
    support = intents["weighted avg"]["support"]
    failures = []
    print(f"held-out intent classification: weighted F1 {f1:.3f} on {support} messages (target ≥ {MIN_INTENT_WEIGHTED_F1})")
    for name, row in sorted(intents.items()):
        if isinstance(row, dict) and name not in ("weighted avg", "macro avg", "micro avg"):
            print(f"  {name:<16} F1 {row['f1-score']:.3f}  support {row['support']}")
    if f1 < MIN_INTENT_WEIGHTED_F1:
        failures.append(f"intent weighted F1 {f1:.3f} < {MIN_INTENT_WEIGHTED_F1}")

    selection_file = out / "response_selection_report.json"
    if selection_file.exists():
        selection = json.loads(selection_file.read_text(encoding="utf-8"))
        accuracy = selection.get("accuracy", selection.get("micro avg", {}).get("f1-score", 0.0))
        print(f"held-out response selection: accuracy {accuracy:.3f} (target ≥ {MIN_RESPONSE_SELECTION_ACCURACY})")
        if accuracy < MIN_RESPONSE_SELECTION_ACCURACY:
            failures.append(f"response selection accuracy {accuracy:.3f} < {MIN_RESPONSE_SELECTION_ACCURACY}")
    else:
        failures.append(f"{selection_file} missing: was the ResponseSelector evaluated?")

    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
