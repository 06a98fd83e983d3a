"""JSON logs (JIUZHU_LOG_FORMAT=json): one object a line, the conversation id, no ID or phone in full."""

from __future__ import annotations

import json
import subprocess
import sys

from bot.settings import PROJECT_ROOT, Settings
from bot.supervisor import action_argv, rasa_argv

SECRET_LINE = "居民身份证220104199001011234 电话13912345678"


def _apply(config: str) -> subprocess.CompletedProcess:
    """The config Rasa and rasa_sdk are given, applied as they apply it (logging.config.dictConfig)."""
    script = (
        "import logging, logging.config, yaml\n"
        "from bot.logs import conversation\n"
        f"logging.config.dictConfig(yaml.safe_load(open({str(PROJECT_ROOT / 'deploy' / config)!r})))\n"
        "with conversation('wx-openid-13912345678'):\n"
        f"    logging.getLogger('rasa.core').warning({SECRET_LINE!r})\n"
        "try:\n"
        f"    raise ValueError({SECRET_LINE!r})\n"
        "except ValueError:\n"
        "    logging.getLogger('actions').exception('failed')\n"
    )
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_ROOT)


def test_rasa_and_the_action_server_log_through_the_same_json_config():
    result = _apply("logging-json.yml")
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert len(lines) == 2, result.stderr
    first, second = lines
    assert first["level"] == "WARNING" and first["logger"] == "rasa.core" and "conversation_id" in first
    assert "13912345678" not in json.dumps(lines, ensure_ascii=False)
    assert "220104199001011234" not in json.dumps(lines, ensure_ascii=False)
    assert "ValueError" in second["exception"] and "conversation_id" not in second


def test_our_processes_log_json_lines_with_the_conversation():
    script = (
        "import logging\n"
        "from bot import logs\n"
        "logs.configure('INFO', 'json')\n"
        "with logs.conversation('resident-7'):\n"
        f"    logging.getLogger('jiuzhu').info({SECRET_LINE!r})\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_ROOT)
    (line,) = [json.loads(x) for x in result.stderr.splitlines() if x.startswith("{")]
    assert line["conversation_id"] == "resident-7" and "13912345678" not in line["message"]


def test_in_text_format_rasa_and_the_action_server_mask_too():
    result = _apply("logging-text.yml")
    assert "WARNING  rasa.core" in result.stderr and "ValueError" in result.stderr, result.stderr
    assert "13912345678" not in result.stderr and "220104199001011234" not in result.stderr


def test_each_format_reaches_rasa_and_the_action_server_as_their_own_parsers_read_it():
    """Parsed by Rasa's and rasa_sdk's own argument parsers (which spell the option differently)."""

    from rasa.__main__ import create_argument_parser as rasa_parser
    from rasa_sdk.endpoint import create_argument_parser

    for fmt in ("json", "text"):
        settings = Settings(log_format=fmt)
        parsed = rasa_parser().parse_args(rasa_argv(settings, "m.tar.gz")[3:])  # after `python -m module`
        assert parsed.logging_config_file.endswith(f"deploy/logging-{fmt}.yml")
        actions = create_argument_parser().parse_args(action_argv(settings)[3:])
        assert actions.logging_config_file.endswith(f"deploy/logging-{fmt}.yml")
