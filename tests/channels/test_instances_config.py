"""`--instances N` without starting anything: its requirements, the load balancer's configuration, and
the Rasa-side metrics' reading of a turn."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from rasa.shared.core.events import BotUttered, UserUttered

from bot.channels import rasa_metrics
from bot.settings import PROJECT_ROOT, Settings
from bot.supervisor import NotScalable, check_scalable, children, haproxy_config, instance_settings

PG = "postgresql://postgres@127.0.0.1:5432/jiuzhu"
REDIS = "redis://127.0.0.1:6379/0"


def test_several_instances_need_postgresql_and_redis():
    with pytest.raises(NotScalable, match="PostgreSQL"):
        check_scalable(Settings(_env_file=None, lock_store_url=REDIS), 2)
    with pytest.raises(NotScalable, match="Redis"):
        check_scalable(Settings(_env_file=None, database_url=PG), 2)
    check_scalable(Settings(_env_file=None, database_url=PG, lock_store_url=REDIS), 2)
    check_scalable(Settings(_env_file=None), 1)  # the single-process default needs neither


def test_the_command_refuses_clearly_without_the_shared_stores(tmp_path):
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"")
    env = {"PATH": "/usr/bin:/bin", "JIUZHU_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--instances", "2", "--model", str(model)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "多实例运行需要 PostgreSQL" in done.stderr and "Traceback" not in done.stderr


def test_each_instance_has_its_own_ports_and_its_own_action_server():
    settings = Settings(_env_file=None, database_url=PG, lock_store_url=REDIS, instance_port_base=21000)
    procs = children(settings, "m.tar.gz", 3, workdir=PROJECT_ROOT / "var" / "test-instances")
    rasa = [c for c in procs if c.name.startswith("rasa-")]
    ports = {instance_settings(settings, i).rasa_port for i in range(3)} | {
        instance_settings(settings, i).action_port for i in range(3)
    }
    assert len(ports) == 6 and settings.rasa_port not in ports
    for i, child in enumerate(rasa):
        own = instance_settings(settings, i)
        assert child.env["JIUZHU_ACTION_ENDPOINT"] == f"{own.action_url}/webhook"
        assert child.after_first == (i > 0)
    assert [c.name for c in procs if not c.name.startswith(("rasa-", "action-server-"))] == ["haproxy", "api", "notify"]


def test_the_balancer_fronts_every_instance_on_the_usual_port():
    settings = Settings(_env_file=None, instance_port_base=21000)
    config = haproxy_config(settings, 2)
    assert f"bind 127.0.0.1:{settings.rasa_port}" in config
    assert "server rasa1 127.0.0.1:21000 check" in config and "server rasa2 127.0.0.1:21002 check" in config
    assert "option httpchk GET /ready" in config and "$" not in config
    haproxy = shutil.which("haproxy") or shutil.which("/usr/sbin/haproxy")
    if haproxy is None:
        pytest.skip("haproxy not installed (make e2e-test installs it)")
    path = PROJECT_ROOT / "var" / "test-haproxy.cfg"
    path.parent.mkdir(exist_ok=True)
    path.write_text(config, encoding="utf-8")
    check = subprocess.run([haproxy, "-c", "-f", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def counts():
    return rasa_metrics.FALLBACKS._value.get(), rasa_metrics.HANDOFFS._value.get()


def test_a_turn_is_counted_as_fallback_or_handoff_by_what_it_uttered():
    before = counts()
    old_turn = [
        UserUttered("转人工", {"name": "request_human"}),
        BotUttered("好的", metadata={"utter_action": "utter_handoff"}),
    ]
    rasa_metrics.count_outcomes([*old_turn, UserUttered("你好", {"name": "greet"}), BotUttered("您好")])
    assert counts() == before  # the handoff belongs to an earlier turn
    rasa_metrics.count_outcomes(old_turn)
    assert counts() == (before[0], before[1] + 1)
    rasa_metrics.count_outcomes([UserUttered("嗯啊", {"name": "nlu_fallback"}), BotUttered("请换个说法")])
    assert counts() == (before[0] + 1, before[1] + 1)


def test_with_no_server_ready_the_balancer_answers_a_clear_503(tmp_path):
    import json
    import time

    import requests

    from tests.helpers import free_port

    haproxy = shutil.which("haproxy") or shutil.which("/usr/sbin/haproxy")
    if haproxy is None:
        pytest.skip("haproxy not installed (make e2e-test installs it)")
    # Instance ports where nothing listens: every check fails, as when the database is down everywhere.
    settings = Settings(_env_file=None, rasa_port=free_port(), instance_port_base=free_port())
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(settings, 2), encoding="utf-8")
    proc = subprocess.Popen([haproxy, "-db", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                resp = requests.post(
                    f"{settings.rasa_url}/webhooks/rest/webhook", json={"sender": "s", "message": "你好"}
                )
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "haproxy did not start"
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(10)
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    body = json.loads(resp.text)
    assert body["error"] == "unavailable" and "稍后再试" in body["message_zh"]


def test_a_tracker_store_failure_fails_the_message_instead_of_forgetting_the_conversation(tmp_path, monkeypatch):
    import asyncio

    from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    for name in ("retrieve", "retrieve_full_tracker", "save"):
        monkeypatch.setattr(FailSafeTrackerStore, name, getattr(FailSafeTrackerStore, name))  # restored after
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    tracker = DialogueStateTracker.from_events("s", [UserUttered("我家三口人")])
    failsafe = FailSafeTrackerStore(store)
    asyncio.run(failsafe.save(tracker))
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE events"))  # the database failing under the store
    assert asyncio.run(failsafe.retrieve("s")) is None  # Rasa's own: the conversation silently starts over

    rasa_metrics.fail_instead_of_forgetting()
    with pytest.raises(OperationalError):
        asyncio.run(failsafe.retrieve("s"))
    with pytest.raises(OperationalError):
        asyncio.run(failsafe.save(tracker))
    assert rasa_metrics.is_unavailable(OperationalError("SELECT 1", {}, Exception("down")))
