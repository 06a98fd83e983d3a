"""The Rasa fix in bot/channels/rasa_server.py checks action-server responses exactly as Rasa does."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot.channels.rasa_server import validate_action_results_with_one_validator

VALID = {"events": [{"event": "slot", "name": "region", "value": "220100"}], "responses": [{"text": "您好"}]}
INVALID = [{"events": [{"no_event_key": 1}]}, {"events": "not a list"}]


@pytest.fixture
def action(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    return RemoteAction("action_answer_policy", EndpointConfig("http://127.0.0.1:1"))


@pytest.mark.parametrize("result", INVALID)
def test_the_fix_refuses_what_rasa_refuses(action, result):
    with pytest.raises(ValidationError):
        action._validate_action_result(result)  # Rasa's own
    validate_action_results_with_one_validator()
    with pytest.raises(ValidationError) as error:
        action._validate_action_result(result)
    assert "Failed to validate Action server response" in error.value.message


def test_the_fix_accepts_what_rasa_accepts(action):
    assert action._validate_action_result(VALID) is True
    validate_action_results_with_one_validator()
    assert action._validate_action_result(VALID) is True
