"""The staff console end to end in headless Chromium (Debian's /usr/bin/chromium and chromedriver):
log in, see the lead filed through the API, claim it, resolve it, read its history."""

from __future__ import annotations

import pytest
import requests

from tests.console.conftest import click_and_wait

pytestmark = pytest.mark.browser


def test_log_in_claim_resolve_and_see_the_history(api_server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    def submit(element_id):
        click_and_wait(browser, browser.find_element(By.ID, element_id))

    base, token = api_server
    filed = requests.post(
        f"{base}/api/v1/leads",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "idempotency_key": "wx-123",
            "source_channel": "wechat",
            "cause": "illness",
            "severity": "urgent",
            "description": "老人突发脑梗住院，家里拿不出住院费",
            "region": "220104001",
            "place": "前进街道幸福小区",
        },
        timeout=10,
    )
    assert filed.status_code == 201
    lead_id = filed.json()["lead"]["id"]

    browser.get(f"{base}/console/")
    assert "工作人员登录" in browser.page_source  # not logged in: sent to the login page
    browser.find_element(By.ID, "token").send_keys("wrong-token")
    submit("login")
    assert "令牌无效" in browser.page_source
    browser.find_element(By.ID, "token").send_keys(token)
    submit("login")

    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-lead="{lead_id}"]')
    assert "老人突发脑梗住院" in row.text and "紧急" in row.text and "剩余" in row.text
    click_and_wait(browser, row.find_element(By.TAG_NAME, "a"))

    submit("claim")
    assert "已认领" in browser.find_element(By.ID, "state").text

    Select(browser.find_element(By.ID, "to_state")).select_by_visible_text("核实中")
    browser.find_element(By.ID, "note").send_keys("约好今天下午入户")
    submit("move")
    assert browser.find_element(By.ID, "state").text == "核实中"

    Select(browser.find_element(By.ID, "to_state")).select_by_visible_text("已办结")
    submit("move")  # no outcome: refused with a reason
    assert "办结时请填写办理结果" in browser.page_source
    Select(browser.find_element(By.ID, "to_state")).select_by_visible_text("已办结")
    browser.find_element(By.ID, "outcome_input").send_keys("已发放临时救助金2000元")
    submit("move")
    assert browser.find_element(By.ID, "state").text == "已办结"
    assert browser.find_element(By.ID, "outcome").text == "已发放临时救助金2000元"

    history = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#history tbody tr")]
    assert len(history) == 4
    assert "登记" in history[0] and "认领" in history[1]
    assert "核实中" in history[2] and "约好今天下午入户" in history[2]
    assert "已办结" in history[3]
    browser.save_screenshot(str(tmp_path / "lead.png"))
