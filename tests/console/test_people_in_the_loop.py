"""Issue 14's "done when", end to end on the running product (`python -m bot run`, a trained model) in
headless Chromium: a resident's emergency typed in the web chat → the responsible office's 企业微信 robot
(a local fake) receives exactly one message within seconds → a front-line staff member (township_staff)
claims the lead in the console; a web-chat handoff answered from the console reaches the resident without a reload and is
handed back; a WeChat handoff answered from the console reaches the fake WeChat API; an unclaimed lead
escalates to the county supervisor's robot once.

The web chat files a lead in the district (220104: place finding stops at counties), so the office told
and the front-line account are the district's; a township code (220104001) would see none of it.

Time is driven, not slept: the unclaimed lead is filed through LeadService's clock as of 61 minutes ago
(the life-threatening `not_claimed` step of knowledge/rules/queue.yaml is 1 hour), so the stack's own
escalation loop — run every second here — escalates it with the real clock, and its sender delivers it.
"""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from bot.api.places import region_label
from bot.db import create_db_engine, session_factory, utcnow
from bot.knowledge import rules as knowledge_rules
from bot.leads import LeadDraft, LeadService
from bot.leads.tables import lead_events, leads
from bot.notify.escalation import Escalator
from bot.notify.outbox import Outbox
from bot.settings import NotifyRoute
from tests.console.conftest import click_and_wait
from tests.console.test_webchat_browser import Chat, token_for
from tests.e2e.stack import MODEL, Stack
from tests.fakes.notify import FakeWeComRobot
from tests.fakes.wechat import AES_KEY, APP_ID, APP_SECRET, TOKEN, FakeWeChatApi, callback, text_xml

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

HOUSEHOLD_SECRET = "people-in-the-loop"
OFFICE_KEY, COUNTY_KEY = "office-robot-key", "county-robot-key"
EMERGENCY = "我家着火了，奶奶还困在屋里出不来"  # fire_trapped: life-threatening, notified at once
NOTIFIED_WITHIN = 10  # seconds from the message that files the lead to the robot's message
ESCALATE_EVERY = 1  # the stack's escalation loop, seconds


def lead_number(text: str) -> int:
    return int(re.search(r"#(\d+)", text).group(1))


def about(robot: FakeWeComRobot, lead_id: int):
    return [text for text in robot.texts() if lead_number(text) == lead_id]


@pytest.fixture
def product(tmp_path):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does) before the e2e tests")
    office, county, wechat = FakeWeComRobot(OFFICE_KEY), FakeWeComRobot(COUNTY_KEY), FakeWeChatApi()
    office.start()
    county.start()
    wechat.start_in_thread()
    routes = [
        dict(name="chaoyang-office", region="220104", channel="wecom_robot", key=OFFICE_KEY, webhook_base=office.url),
        dict(
            name="chaoyang-supervisor",
            region="220104",
            audience="supervisor",
            channel="wecom_robot",
            key=COUNTY_KEY,
            webhook_base=county.url,
        ),
    ]
    stack = Stack(tmp_path)
    stack.env.update(
        JIUZHU_WECHAT_TOKEN=TOKEN,
        JIUZHU_WECHAT_APP_ID=APP_ID,
        JIUZHU_WECHAT_APP_SECRET=APP_SECRET,
        JIUZHU_WECHAT_ENCODING_AES_KEY=AES_KEY,
        JIUZHU_WECHAT_API_BASE=wechat.url,
        JIUZHU_HOUSEHOLD_KEY_SECRET=HOUSEHOLD_SECRET,
        JIUZHU_NOTIFY_ROUTES=json.dumps(routes),
        JIUZHU_NOTIFY_CONSOLE_URL=stack.api_url,
        JIUZHU_NOTIFY_POLL_SECONDS="0.5",
        JIUZHU_NOTIFY_ESCALATE_EVERY_SECONDS=str(ESCALATE_EVERY),
    )
    stack.start()
    engine = create_db_engine(stack.env["JIUZHU_DATABASE_URL"])
    yield stack, session_factory(engine), [NotifyRoute(**r) for r in routes], office, county, wechat
    engine.dispose()
    if stack.proc.poll() is None:
        stack.stop()
    wechat.stop_thread()
    office.stop()
    county.stop()


def log_in(browser, stack, token):
    from selenium.webdriver.common.by import By

    browser.get(f"{stack.api_url}/console/login")
    browser.find_element(By.ID, "token").send_keys(token)
    click_and_wait(browser, browser.find_element(By.ID, "login"))


def history(sessions, lead_id):
    with sessions() as session:
        return session.execute(
            select(lead_events.c.kind, lead_events.c.actor).where(lead_events.c.lead_id == lead_id)
        ).all()


def test_people_in_the_loop(product, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    stack, sessions, routes, office, county, wechat = product
    timings = {}
    town = token_for(stack, "李干事", "--office", "朝阳区社会救助科", "--region", "220104", "--role", "township_staff")
    admin = token_for(stack, "市局管理员", "--office", "长春市民政局", "--region", "22", "--role", "admin")

    # 1. The resident's emergency in the web chat: the office's robot has one message about it, at once.
    browser.set_window_size(390, 844)  # a phone
    browser.get(f"{stack.rasa_url}/webhooks/webchat/chat?region=220104")
    chat = Chat(browser)
    chat.wait().until(lambda _d: chat.texts())
    sender = browser.execute_script("return sessionStorage.getItem('jiuzhu-sender')")
    chat.say(EMERGENCY)
    assert "119" in "\n".join(chat.texts()[-3:])
    # The lead is filed once the resident has answered the consent prompt (and where, if it asks).
    typed = time.monotonic()
    reply = chat.say("13912345678")
    if "发生在哪里" in reply:
        typed = time.monotonic()
        reply = chat.say("长春市朝阳区前进街道")
    assert "线索编号" in reply, reply
    office.wait_for(lambda: office.texts(), timeout=NOTIFIED_WITHIN)
    timings["filing message → robot"] = office.received[0]["at"] - typed
    with sessions() as session:
        lead_id, region = session.execute(
            select(leads.c.id, leads.c.region).where(leads.c.conversation_id == f"webchat:{sender}")
        ).one()
    message = office.texts()[0]
    assert lead_number(message) == lead_id and "危及生命" in message and "新线索" in message, message
    assert f"{stack.api_url}/console/leads/{lead_id}" in message
    assert region_label(region) in message and "吉林省长春市朝阳区" in message  # the name beside the code
    assert "139****5678" in message and "13912345678" not in message  # a group reads it: masked
    assert region.startswith("220104")
    assert not county.texts()

    # 2. A township staff member claims it in the console.
    chat_tab = browser.current_window_handle
    browser.switch_to.new_window("tab")
    browser.set_window_size(1280, 900)
    log_in(browser, stack, town)
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-lead="{lead_id}"]')
    assert "危及生命" in row.text
    click_and_wait(browser, row.find_element(By.TAG_NAME, "a"))
    click_and_wait(browser, browser.find_element(By.ID, "claim"))
    assert "已认领" in browser.find_element(By.ID, "state").text
    timings["filing message → claimed in the console"] = time.monotonic() - typed
    assert len(about(office, lead_id)) == 1, office.texts()  # still one, claimed
    console_tab = browser.current_window_handle

    # 3. The resident asks for a person; the staff member answers from the console; the resident reads it
    # without reloading; the resident's answer appears in the console; handed back, the assistant answers.
    browser.switch_to.window(chat_tab)
    chat.say("转人工")
    assert "转人工" in browser.find_element(By.ID, "status").text
    browser.switch_to.window(console_tab)
    browser.get(f"{stack.api_url}/console/handoffs")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f'tr[data-conversation="webchat:{sender}"] a'))
    click_and_wait(browser, browser.find_element(By.ID, "claim"))
    browser.find_element(By.ID, "reply").send_keys("您好，我是朝阳区民政局的工作人员，消防车到了吗？")
    replied = time.monotonic()
    click_and_wait(browser, browser.find_element(By.ID, "send"))
    browser.switch_to.window(chat_tab)
    WebDriverWait(browser, 40).until(lambda _d: chat.texts("staff"))
    timings["console reply → web chat"] = time.monotonic() - replied
    assert "消防车到了吗" in chat.texts("staff")[0] and "朝阳区社会救助科" in chat.texts("staff")[0]
    chat.say("到了，奶奶救出来了", answered=False)
    browser.switch_to.window(console_tab)
    WebDriverWait(browser, 20).until(lambda d: "奶奶救出来了" in d.find_element(By.ID, "messages").text)
    click_and_wait(browser, browser.find_element(By.ID, "resume"))
    browser.switch_to.window(chat_tab)
    WebDriverWait(browser, 40).until(lambda _d: chat.texts("system"))
    assert "智能助手继续" in chat.texts("system")[-1]
    assert "依据：" in chat.say("低保去哪里申请")

    # 4. A WeChat resident's handoff, answered from the console (an admin: WeChat gives no region).
    query, body = callback(text_xml("o_loop", "转人工", 940001), encrypted=True)
    assert requests.post(f"{stack.rasa_url}/webhooks/wechat/webhook", params=query, data=body, timeout=30).ok
    browser.switch_to.window(console_tab)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'form[action="/console/logout"] button'))
    log_in(browser, stack, admin)
    browser.get(f"{stack.api_url}/console/handoffs")
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-conversation="wechat:o_loop"]')
    assert "微信" in row.text
    click_and_wait(browser, row.find_element(By.TAG_NAME, "a"))
    click_and_wait(browser, browser.find_element(By.ID, "claim"))
    browser.find_element(By.ID, "reply").send_keys("您好，我是长春市民政局的工作人员")
    replied = time.monotonic()
    click_and_wait(browser, browser.find_element(By.ID, "send"))
    assert "长春市民政局的工作人员" in wechat.wait_for("o_loop", count=1)[0]
    timings["console reply → WeChat API"] = time.monotonic() - replied
    click_and_wait(browser, browser.find_element(By.ID, "resume"))
    assert wechat.wait_for("o_loop", count=2)[-1].startswith("工作人员已结束本次人工服务")
    assert len(office.texts()) == 1 and not county.texts()  # the handoffs notified nobody

    # 5. A life-threatening lead filed 61 minutes ago and never claimed: the stack escalates it once.
    steps, _ = knowledge_rules.escalation()
    unclaimed_for = timedelta(hours=steps["not_claimed"].hours["life_threatening"].value, minutes=1)
    filed_at = utcnow() - unclaimed_for
    service = LeadService(sessions, HOUSEHOLD_SECRET.encode(), clock=lambda: filed_at, outbox=Outbox(routes, 0))
    draft = LeadDraft(
        idempotency_key="hotline:loop-1",
        source_channel="hotline",
        cause="illness",
        severity="life_threatening",
        description="独居老人晕倒在家，邻居报告",
        region="220104",
        consent=False,
    )
    unclaimed = service.file(draft).lead.id
    filed = time.monotonic()
    county.wait_for(lambda: about(county, unclaimed), timeout=10 * ESCALATE_EVERY + 5)
    timings["overdue → county robot"] = time.monotonic() - filed
    escalation = about(county, unclaimed)[0]
    assert "督办" in escalation and "超时未认领" in escalation, escalation
    # More rounds of the stack's loop, another instance beside it, and a restart: nothing more.
    time.sleep(3 * ESCALATE_EVERY)
    assert Escalator(sessions, Outbox(routes, 0)).run_once() == 0
    assert stack.stop() == 0
    restarting = time.monotonic()
    stack.start()
    timings["restart"] = time.monotonic() - restarting
    time.sleep(3 * ESCALATE_EVERY + 1.5)  # and three of the sender's polls after them
    assert len(about(county, unclaimed)) == 1, county.texts()
    assert [lead_number(t) for t in county.texts()] == [unclaimed]  # the claimed emergency never escalated
    assert [kind for kind, _ in history(sessions, unclaimed)].count("escalated") == 1
    browser.get(f"{stack.api_url}/console/leads/{unclaimed}")
    assert sum("升级督办" in r.text for r in browser.find_elements(By.CSS_SELECTOR, "#history tbody tr")) == 1
    assert len(about(office, lead_id)) == 1  # the office heard of the emergency exactly once, to the end
    browser.save_screenshot(str(tmp_path / "people-in-the-loop.png"))
    assert stack.stop() == 0
    print("\npeople in the loop, seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
