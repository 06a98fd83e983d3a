"""Whole resident conversations through the REST channel of a running stack, played by the shared runner
(../shared/dialogues/run.py): our own corpus (tests/dialogues/residents.yml, written by an independent
tester apart from the training data) is a gate with a printed score. The floor is a ratchet at the
measured level; the issue's target is 90 %."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e

RUNNER = PROJECT_ROOT.parent / "shared" / "dialogues" / "run.py"
DIALOGUES = PROJECT_ROOT / "tests" / "dialogues"
# Share of dialogues fully passed, held where they stand (a ratchet; the target is 0.90).
# residents.yml was used to find and fix behaviour; residents_fresh.yml was written later by another
# tester and only measured, never tuned on: it is the honest figure.
FLOORS = {"residents.yml": 0.90, "residents_fresh.yml": 0.64}


@pytest.mark.parametrize("corpus", sorted(FLOORS))
def test_resident_dialogues_pass(stack, corpus):
    if not RUNNER.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{RUNNER} is missing: CI must have shared/ beside the project")
        pytest.skip(f"{RUNNER} is missing (shared/ is not beside this checkout)")
    stack.start()
    result = subprocess.run(
        [
            sys.executable,
            str(RUNNER),
            str(DIALOGUES / corpus),
            "--rest",
            f"{stack.rasa_url}/webhooks/rest/webhook",
            "--db",
            stack.env["JIUZHU_DATABASE_URL"],
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    print(result.stdout[-6000:])
    score = re.search(r"dialogues fully passed (\d+)/(\d+), checks passed (\d+)/(\d+)", result.stdout)
    assert score, result.stdout[-2000:] + result.stderr[-2000:]
    passed, total = int(score.group(1)), int(score.group(2))
    print(f"resident dialogues ({corpus}): {passed}/{total} fully passed, checks {score.group(3)}/{score.group(4)}")
    assert passed / total >= FLOORS[corpus]
