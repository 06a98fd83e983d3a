"""The deployment files (deploy/) cannot be built here (no registry), so they are linted: a schema for the
parts of compose.yaml and the Helm values we use, and every command, variable, port and health path in
them checked against the settings and the supervisor the tested stack runs on, so they cannot drift."""

from __future__ import annotations

import re
import shutil
import subprocess

import jsonschema
import pytest
import yaml

from bot.__main__ import build_parser
from bot.settings import PROJECT_ROOT, Settings
from bot.supervisor import RASA_CHECK_PATH, container_haproxy_config

DEPLOY = PROJECT_ROOT / "deploy"
DEFAULTS = Settings(_env_file=None)
SETTINGS_VARIABLES = {f"JIUZHU_{name.upper()}" for name in Settings.__fields__}

COMPOSE_SCHEMA = {
    "type": "object",
    "required": ["services"],
    "properties": {
        "name": {"type": "string"},
        "volumes": {"type": "object"},
        "services": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "object",
                "anyOf": [{"required": ["image"]}, {"required": ["build"]}],
                "properties": {
                    "image": {"type": "string"},
                    "command": {"type": "array", "items": {"type": "string"}},
                    "entrypoint": {"type": "array", "items": {"type": "string"}},
                    "environment": {"type": "object", "additionalProperties": {"type": ["string", "number"]}},
                    "ports": {"type": "array", "items": {"type": "string", "pattern": r"^\d+:\d+$"}},
                    "volumes": {"type": "array", "items": {"type": "string"}},
                    "restart": {"enum": ["no", "always", "on-failure", "unless-stopped"]},
                    "depends_on": {"type": "object"},
                    "deploy": {"type": "object", "properties": {"replicas": {"type": ["integer", "string"]}}},
                    "healthcheck": {
                        "type": "object",
                        "required": ["test"],
                        "properties": {"test": {"type": "array", "items": {"type": "string"}}},
                    },
                },
                "additionalProperties": False,
            },
        },
    },
}


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def helm() -> dict:
    return yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text(encoding="utf-8"))


def jiuzhu_services(doc: dict) -> dict:
    return {name: s for name, s in doc["services"].items() if s.get("image", "").startswith("jiuzhu")}


def assert_is_our_command(argv) -> None:
    build_parser().parse_args(list(argv))  # exits (SystemExit) on a command `python -m bot` does not have


def test_compose_file_matches_the_schema():
    jsonschema.validate(compose(), COMPOSE_SCHEMA)


def test_compose_commands_and_variables_are_the_products():
    doc = compose()
    services = jiuzhu_services(doc)
    assert {"migrate", "actions", "rasa", "api", "notify"} <= set(services)
    for name, service in services.items():
        assert_is_our_command(service["command"])
        unknown = {v for v in service.get("environment", {}) if v.startswith("JIUZHU_")} - SETTINGS_VARIABLES
        assert not unknown, f"{name}: {unknown} are not settings (bot/settings.py)"
    assert services["rasa"]["command"] == ["rasa-instance"] and services["actions"]["command"] == ["actions"]
    assert f"{DEFAULTS.rasa_port}{RASA_CHECK_PATH}" in " ".join(services["rasa"]["healthcheck"]["test"])
    assert f"{DEFAULTS.action_port}/health" in " ".join(services["actions"]["healthcheck"]["test"])
    assert services["api"]["ports"] == [f"{DEFAULTS.api_port}:{DEFAULTS.api_port}"]
    assert doc["services"]["haproxy"]["ports"] == [f"{DEFAULTS.rasa_port}:{DEFAULTS.rasa_port}"]
    # Shared stores: several Rasa servers need both (bot/supervisor.py check_scalable).
    env = services["rasa"]["environment"]
    assert env["JIUZHU_DATABASE_URL"].startswith("postgresql://") and env["JIUZHU_LOCK_STORE_URL"].startswith(
        "redis://"
    )
    assert env["JIUZHU_ACTION_HOST"] == "actions"
    # A public host needs the API token (bot/supervisor.py secured), from the deployment's secret.
    for name, service in services.items():
        assert "${JIUZHU_RASA_AUTH_TOKEN:?" in str(service["environment"].get("JIUZHU_RASA_AUTH_TOKEN")), name


def test_the_containers_balancer_is_the_tested_one_rendered_for_docker():
    committed = (DEPLOY / "haproxy.compose.cfg").read_text(encoding="utf-8")
    assert committed == container_haproxy_config(DEFAULTS), (
        "deploy/haproxy.compose.cfg drifted: regenerate it with bot.supervisor.container_haproxy_config"
    )
    assert "./haproxy.compose.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in compose()["services"]["haproxy"]["volumes"]


def test_docker_compose_accepts_the_file_where_the_client_exists(tmp_path):
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("no `docker compose` client here; the schema test above still ran")
    done = subprocess.run(
        [docker, "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"],
        env={"POSTGRES_PASSWORD": "x", "PATH": "/usr/bin:/bin:/usr/local/bin"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_helm_values_follow_rasas_chart_and_our_settings():
    values = helm()
    assert values["replicaCount"] >= 2 and values["applicationSettings"]["port"] == DEFAULTS.rasa_port
    assert values["command"] == ["python", "-m", "bot"]
    assert_is_our_command(values["args"])
    assert values["readinessProbe"]["httpGet"] == {"path": RASA_CHECK_PATH, "port": DEFAULTS.rasa_port}
    actions = values["rasa-action-server"]
    assert actions["applicationSettings"]["port"] == DEFAULTS.action_port
    assert_is_our_command(actions["args"])
    for env in (values["extraEnv"], actions["extraEnv"]):
        names = {e["name"] for e in env}
        assert names <= SETTINGS_VARIABLES, names - SETTINGS_VARIABLES
    assert "JIUZHU_RASA_AUTH_TOKEN" in (DEPLOY / "helm" / "values.yaml").read_text(encoding="utf-8")  # for the Secret


def test_dockerfile_is_python_310_with_the_lock_file():
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.10", text, re.M)
    assert "pip install --no-cache-dir -r requirements.lock" in text
    assert 'ENTRYPOINT ["python", "-m", "bot"]' in text
    for command in re.findall(r"python -m bot ([a-z-]+)", text):
        assert command in build_parser()._subparsers._group_actions[0].choices, command
