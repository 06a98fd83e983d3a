"""Emergency detection on single messages written apart from the rules (tests/nlu/emergency_heldout.yml,
by an independent tester): recall and precision printed, and held at least where they stand (a ratchet:
raise the floors as the rules improve; the issue's targets are recall ≥ 0.98, precision ≥ 0.95)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.conversation.emergency import detect

NLU = Path(__file__).parents[1] / "nlu"
# (recall, precision) floors. emergency_heldout.yml was used to widen the rules by class, so its figures
# are optimistic; emergency_fresh.yml was written later by another tester and only measured: the honest
# figure, far from the target.
FLOORS = {"emergency_heldout.yml": (0.97, 0.95), "emergency_fresh.yml": (0.60, 0.84)}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_emergency_rules_on_held_out_messages(name):
    messages = yaml.safe_load((NLU / name).read_text(encoding="utf-8"))["messages"]
    found = [(m["emergency"], detect(m["text"]) is not None) for m in messages]
    tp = sum(1 for real, got in found if real and got)
    fp = sum(1 for real, got in found if got and not real)
    fn = sum(1 for real, got in found if real and not got)
    recall, precision = tp / (tp + fn), tp / (tp + fp)
    in_form = [m for m in messages if not m["emergency"] and m.get("context") == "in_form"]
    false_in_form = sum(1 for m in in_form if detect(m["text"]) is not None)
    print(
        f"\nemergency {name}: recall {recall:.3f}, precision {precision:.3f} ({len(messages)} messages); "
        f"false alarms on in-form answers {false_in_form}/{len(in_form)}"
    )
    recall_floor, precision_floor = FLOORS[name]
    assert recall >= recall_floor and precision >= precision_floor
