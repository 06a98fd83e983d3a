"""Emergency detection on single messages written apart from the rules and the detector's examples
(tests/nlu/*, by independent testers): recall and precision printed, and held at least where they stand
(a ratchet: raise the floors as detection improves; the issue's targets are recall ≥ 0.98, precision ≥ 0.95).

Two figures per file: the patterns alone (what files a lead without asking: precision matters most), and
what gets "what to do now" — the patterns, plus the learned detector on messages outside any prompt.
emergency_heldout.yml was used to widen the patterns by class, so its figures are optimistic;
emergency_fresh.yml was written later by another tester and only measured: the honest figure.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.conversation.emergency import detect, likely

NLU = Path(__file__).parents[1] / "nlu"
# (file, what is measured) → (recall floor, precision floor)
FLOORS = {
    ("emergency_heldout.yml", "patterns"): (0.97, 0.95),
    ("emergency_heldout.yml", "advice"): (0.99, 0.95),
    ("emergency_fresh.yml", "patterns"): (0.60, 0.84),
    ("emergency_fresh.yml", "advice"): (0.84, 0.87),
}


def _found(message: dict, measured: str) -> bool:
    if detect(message["text"]) is not None:
        return True
    return measured == "advice" and message.get("context") != "in_form" and likely(message["text"])


@pytest.mark.parametrize("name,measured", sorted(FLOORS))
def test_emergency_detection_on_held_out_messages(name, measured):
    messages = yaml.safe_load((NLU / name).read_text(encoding="utf-8"))["messages"]
    found = [(m["emergency"], _found(m, measured)) for m in messages]
    tp = sum(1 for real, got in found if real and got)
    fp = sum(1 for real, got in found if got and not real)
    fn = sum(1 for real, got in found if real and not got)
    recall, precision = tp / (tp + fn), tp / (tp + fp)
    in_form = [m for m in messages if not m["emergency"] and m.get("context") == "in_form"]
    false_in_form = sum(1 for m in in_form if _found(m, measured))
    print(
        f"\nemergency {name} ({measured}): recall {recall:.3f}, precision {precision:.3f} "
        f"({len(messages)} messages); false alarms on in-form answers {false_in_form}/{len(in_form)}"
    )
    recall_floor, precision_floor = FLOORS[(name, measured)]
    assert recall >= recall_floor and precision >= precision_floor
