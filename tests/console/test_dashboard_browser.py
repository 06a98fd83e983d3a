"""Leads staff can act on, and the supervisor dashboard, in headless Chromium: the kind beside the cause,
region names, the lead's masked conversation, charts with their CSV, and a township account refused."""

from __future__ import annotations

import json
import time

import pytest
import requests

from bot.dashboard.tracker import events
from bot.db import create_db_engine
from tests.console.conftest import click_and_wait

pytestmark = pytest.mark.browser


def _file(base, token, key, **fields):
    body = {
        "idempotency_key": key,
        "source_channel": "wechat",
        "cause": "illness",
        "severity": "urgent",
        "description": "居民报告紧急情况",
        "region": "220104001",
        **fields,
    }
    resp = requests.post(f"{base}/api/v1/leads", headers={"Authorization": f"Bearer {token}"}, json=body, timeout=10)
    assert resp.status_code == 201, resp.text
    return resp.json()["lead"]["id"]


def _rasa_conversation(url, sender):
    """What Rasa's SQL tracker store keeps of a resident's chat (its `events` table, in our database)."""
    engine = create_db_engine(url)
    now = time.time()
    rows = [
        ("user", {"text": "我不想活了，我的电话是13912345678", "input_channel": "wechat"}),
        (
            "slot",
            {"name": "conversation", "value": {"region": "220104", "emergency": {"kind": "self_harm"}, "misses": 0}},
        ),
        ("bot", {"text": "听到您这样说，我很担心您。"}),
    ]
    with engine.begin() as conn:
        events.create(conn, checkfirst=True)
        for i, (type_name, data) in enumerate(rows):
            conn.execute(
                events.insert().values(
                    sender_id=sender,
                    type_name=type_name,
                    timestamp=now + i,
                    data=json.dumps({"event": type_name, **data}),
                )
            )
    engine.dispose()


def test_a_supervisor_acts_on_kinds_and_regions_reads_the_conversation_and_the_dashboard(
    supervised_server, browser, tmp_path
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, tokens, url = supervised_server
    self_harm = _file(
        base,
        tokens["county"],
        "wx-1",
        cause="other",
        kind="self_harm",
        severity="life_threatening",
        conversation_id="resident-7",
    )
    _file(base, tokens["county"], "wx-2", cause="disaster", kind="fire", region="220104002")
    _rasa_conversation(url, "resident-7")

    browser.get(f"{base}/console/login")
    browser.find_element(By.ID, "token").send_keys(tokens["county"])
    click_and_wait(browser, browser.find_element(By.ID, "login"))

    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-lead="{self_harm}"]')
    assert "其他 · 自伤风险" in row.find_element(By.CLASS_NAME, "cause").text
    assert row.find_element(By.CLASS_NAME, "region").text == "吉林省长春市朝阳区 乡镇（街道）220104001"
    Select(browser.find_element(By.NAME, "kind")).select_by_visible_text("自伤风险")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/console/'] button"))
    assert [r.get_attribute("data-lead") for r in browser.find_elements(By.CSS_SELECTOR, "#queue tbody tr")] == [
        str(self_harm)
    ]

    click_and_wait(browser, browser.find_element(By.LINK_TEXT, f"#{self_harm}"))
    assert browser.find_element(By.ID, "kind").text == "自伤风险"
    assert browser.find_element(By.ID, "region").text.startswith("吉林省长春市朝阳区")
    click_and_wait(browser, browser.find_element(By.ID, "conversation"))
    lines = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#transcript tbody tr")]
    assert len(lines) == 2 and "居民" in lines[0] and "我不想活了" in lines[0] and "助手" in lines[1]
    assert "13912345678" not in browser.page_source  # masked

    click_and_wait(browser, browser.find_element(By.ID, "nav-dashboard"))
    assert "统计看板" in browser.title and "吉林省长春市朝阳区（220104）" in browser.page_source
    kinds = browser.find_element(By.ID, "fig-by_kind")
    parts = {s.get_attribute("data-name"): s.size["height"] for s in kinds.find_elements(By.CSS_SELECTOR, ".seg")}
    assert set(parts) == {"自伤风险", "火灾"} and all(height > 20 for height in parts.values())  # drawn, not empty
    townships = browser.find_element(By.ID, "fig-open_by_township").text
    assert "乡镇（街道）220104001" in townships and "乡镇（街道）220104002" in townships
    conversations = browser.find_element(By.ID, "fig-conversations")
    assert conversations.find_elements(By.CSS_SELECTOR, ".seg[data-name='居民会话'][data-value='1']")
    assert "紧急情况 1" in conversations.find_element(By.CLASS_NAME, "facts").text
    browser.save_screenshot(str(tmp_path / "dashboard.png"))

    Select(browser.find_element(By.ID, "period")).select_by_visible_text("按周")
    click_and_wait(browser, browser.find_element(By.ID, "apply"))
    assert "周（起始日）" in browser.find_element(By.ID, "fig-by_cause").get_attribute("innerHTML")
    link = browser.find_element(By.CSS_SELECTOR, "#fig-by_kind a.csv").get_attribute("href")
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    csv_text = requests.get(link, cookies=cookies, timeout=10).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "周（起始日）,自伤风险,火灾,合计" and csv_text.splitlines()[-1].endswith(
        ",1,1,2"
    )

    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/console/logout'] button"))
    browser.find_element(By.ID, "token").send_keys(tokens["town"])
    click_and_wait(browser, browser.find_element(By.ID, "login"))
    assert not browser.find_elements(By.ID, "nav-dashboard")
    browser.get(f"{base}/console/dashboard")
    assert "督导人员" in browser.find_element(By.ID, "refused").text
