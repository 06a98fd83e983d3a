"""`python -m bot.channels.rasa_server ARGS…` is `python -m rasa ARGS…` with one fix of Rasa 3.6 applied first.

Rasa validates every action-server response with `jsonschema.validate(result, schema)`, and that
function first checks the (constant) schema against the JSON-Schema meta-schema, every time. py-spy
on the Rasa server during bench/wechat: two thirds of its CPU went there, which pushed WeChat answers
past the passive-reply window. The fix validates against a validator built once for the same schema:
the same check of the same response, without re-checking the schema.
"""

from __future__ import annotations

import sys
from functools import lru_cache


def validate_action_results_with_one_validator() -> None:
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._validate_action_result

    @lru_cache(maxsize=1)
    def validator():
        schema = RemoteAction.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)  # once, where Rasa did it per response
        return cls(schema)

    def _validate_action_result(self, result) -> bool:
        try:
            validator().validate(result)
            return True
        except ValidationError:
            return original(self, result)  # Rasa's own path, for its error message

    RemoteAction._validate_action_result = _validate_action_result


def main() -> None:
    validate_action_results_with_one_validator()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
