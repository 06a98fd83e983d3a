"""End to end (issue #19): a resident agrees at a pre-screen's result to be re-screened; a county
supervisor raises the region's standard dated yesterday; `python -m bot rescreen` files exactly one lead
"标准调整后可能符合", the township's robot is told of it, and running it again files nothing."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import requests
from sqlalchemy import select

from bot.db import create_db_engine, session_factory
from bot.leads.tables import leads
from tests.console.test_webchat_browser import token_for
from tests.e2e.stack import MODEL, Stack
from tests.fakes.notify import FakeWeComRobot

pytestmark = pytest.mark.e2e
KEY = "rescreen-robot-key"


@pytest.fixture
def product(tmp_path):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does) before the e2e tests")
    robot = FakeWeComRobot(KEY)
    robot.start()
    stack = Stack(tmp_path)
    routes = [dict(name="nanguan", region="220102", channel="wecom_robot", key=KEY, webhook_base=robot.url)]
    stack.env.update(
        JIUZHU_NOTIFY_ROUTES=json.dumps(routes),
        JIUZHU_NOTIFY_POLL_SECONDS="0.5",
        JIUZHU_NOTIFY_DIGEST_SECONDS="1",
        JIUZHU_RESCREEN_EVERY_SECONDS="86400",  # this test runs it by hand
    )
    stack.start()
    yield stack, robot
    if stack.proc.poll() is None:
        stack.stop()
    robot.stop()


def test_a_raised_standard_reaches_the_household_that_agreed_once(product):
    stack, robot = product
    sender = "e2e-monitor"
    stack.say(sender, "帮我算算能不能吃低保 长春南关区 城里 两口人 一个月一千八")
    result = "\n".join(stack.say(sender, "没有"))
    assert "低保边缘" in result and "重新算一下" in result  # 900 per person on 长春's floor 770
    assert any("已经记下" in text for text in stack.say(sender, "可以"))
    stack.say("e2e-not-asked", "帮我算算能不能吃低保 长春南关区 城里 两口人 一个月一千八")
    stack.say("e2e-not-asked", "没有")  # the same household, but this resident did not agree

    token = token_for(stack, "科长", "--office", "南关区民政局", "--region", "220102", "--role", "county_supervisor")
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    entered = requests.post(
        f"{stack.api_url}/api/v1/regions/220102/standards",
        json={
            "parameter": "dibao_standard_urban",
            "value": 1000,
            "since": yesterday,
            "document": "南关民发〔2026〕1号",
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert entered.status_code == 201, entered.text

    run = stack.cli("rescreen")
    assert run.returncode == 0, run.stderr
    assert "leads filed 1" in run.stdout, run.stdout
    engine = create_db_engine(stack.env["JIUZHU_DATABASE_URL"])
    try:
        with session_factory(engine)() as session:
            filed = session.execute(select(leads.c.kind, leads.c.region, leads.c.conversation_id)).all()
        assert filed == [("standard_change", "220102", sender)]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not robot.received:
            time.sleep(0.5)
        assert len(robot.received) == 1 and "标准调整后可能符合" in robot.received[0]["text"]

        again = stack.cli("rescreen")
        assert again.returncode == 0 and "leads filed 0" in again.stdout, again.stdout
        with session_factory(engine)() as session:
            assert len(session.execute(select(leads.c.id)).all()) == 1
        time.sleep(2)
        assert len(robot.received) == 1
    finally:
        engine.dispose()
