"""The hotline operator's page in headless Chromium: a call's assistance appears live while the
12345 system posts utterances, the lead is filed from the page, the wrap-up is edited."""

from __future__ import annotations

import pytest
import requests

from tests.console.conftest import click_and_wait

pytestmark = pytest.mark.browser


def test_an_operator_follows_a_call_files_the_lead_and_wraps_up(api_server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base, token = api_server
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"

    def say(seq, speaker, text):
        resp = api.post(
            f"{base}/api/v1/calls/c-live/utterances", json={"seq": seq, "speaker": speaker, "text": text}, timeout=10
        )
        assert resp.status_code == 200, resp.text

    assert api.post(f"{base}/api/v1/calls", json={"call_id": "c-live"}, timeout=10).status_code == 201
    say(0, "operator", "您好，12345热线")
    say(1, "caller", "我想问问临时救助怎么申请")

    browser.get(f"{base}/console/login")
    browser.find_element(By.ID, "token").send_keys(token)
    click_and_wait(browser, browser.find_element(By.ID, "login"))
    browser.get(f"{base}/console/calls")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "c-live"))
    suggestions = browser.find_element(By.ID, "suggestions").text
    assert "临时救助" in suggestions and "依据" in suggestions
    assert not browser.find_elements(By.ID, "urgency")

    # The operator starts typing while the caller goes on; the live panel updates by itself and
    # what was typed stays.
    browser.find_element(By.NAME, "place").send_keys("前进街道幸福小区")
    say(2, "caller", "我在长春朝阳区，家里三口人，昨晚着火了，房子都烧没了")
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.ID, "urgency"))
    assert "家庭人口" in browser.find_element(By.ID, "facts").text
    assert browser.find_element(By.ID, "next-question").text.strip() != "建议下一步询问\n暂无。"
    assert browser.find_element(By.NAME, "place").get_attribute("value") == "前进街道幸福小区"

    # 刷新 brings the lead draft into the form (region from what the caller said: 长春朝阳区 is a district).
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "刷新"))
    assert browser.find_element(By.NAME, "region").get_attribute("value") == "220104"
    assert "着火" in browser.find_element(By.NAME, "description").get_attribute("value")
    region = browser.find_element(By.NAME, "region")
    region.clear()
    region.send_keys("220104001")  # the operator makes the draft's region precise: 前进街道
    browser.find_element(By.NAME, "place").send_keys("前进街道幸福小区")
    browser.find_element(By.NAME, "phone").send_keys("13912345678")
    browser.find_element(By.NAME, "consent").click()
    click_and_wait(browser, browser.find_element(By.ID, "file-lead"))
    assert "已登记线索" in browser.find_element(By.CSS_SELECTOR, "[role=status]").text
    lead_id = api.get(f"{base}/api/v1/calls/c-live", timeout=10).json()["call"]["lead_id"]
    lead = api.get(f"{base}/api/v1/leads/{lead_id}", timeout=10).json()["lead"]
    assert (lead["cause"], lead["region"], lead["contact"]["phone"]) == ("disaster", "220104001", "13912345678")

    click_and_wait(browser, browser.find_element(By.ID, "end-call"))
    assert "紧急情况" in browser.find_element(By.ID, "summary").get_attribute("value")
    category = browser.find_element(By.ID, "category")
    assert category.get_attribute("value") == "急难求助"
    category.clear()
    category.send_keys("社会救助-临时救助申请")
    click_and_wait(browser, browser.find_element(By.ID, "save-wrap-up"))
    assert "小结已保存" in browser.page_source
    assert api.get(f"{base}/api/v1/calls/c-live", timeout=10).json()["call"]["category"] == "社会救助-临时救助申请"
    browser.save_screenshot(str(tmp_path / "call.png"))


def test_without_telephony_the_operator_starts_a_call_and_types_what_is_said(api_server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, token = api_server
    browser.get(f"{base}/console/login")
    browser.find_element(By.ID, "token").send_keys(token)
    click_and_wait(browser, browser.find_element(By.ID, "login"))
    browser.get(f"{base}/console/calls")
    call_id = browser.find_element(By.ID, "new-call-id")
    call_id.clear()
    call_id.send_keys("12345-20261125-0042")
    click_and_wait(browser, browser.find_element(By.ID, "start-call"))
    assert "通话已开始" in browser.find_element(By.CSS_SELECTOR, "[role=status]").text

    browser.find_element(By.ID, "said").send_keys("我想问问临时救助怎么申请")
    click_and_wait(browser, browser.find_element(By.ID, "say-submit"))
    suggestions = browser.find_element(By.ID, "suggestions").text
    assert "临时救助" in suggestions and "依据" in suggestions

    # A pasted stretch of the call: the lines' own marks say who spoke.
    Select(browser.find_element(By.ID, "speaker")).select_by_visible_text("话务员")
    browser.find_element(By.ID, "said").send_keys(
        "来电人：我在长春朝阳区，家里三口人，昨晚着火了，房子都烧没了\n话务员：您先别急"
    )
    click_and_wait(browser, browser.find_element(By.ID, "say-submit"))
    assert "已记录 2 句" in browser.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert "火灾" in browser.find_element(By.ID, "urgency").text
    transcript = browser.find_element(By.ID, "transcript").text
    assert "来电人 我在长春朝阳区" in transcript and "话务员 您先别急" in transcript
    region = browser.find_element(By.NAME, "region")
    assert region.get_attribute("value") == "220104"
    region.clear()
    region.send_keys("220104001")  # the operator's own township: 前进街道
    click_and_wait(browser, browser.find_element(By.ID, "file-lead"))
    assert "已登记线索" in browser.find_element(By.CSS_SELECTOR, "[role=status]").text
    lead_id = requests.get(
        f"{base}/api/v1/calls/12345-20261125-0042", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).json()["call"]["lead_id"]
    browser.get(f"{base}/console/leads/{lead_id}")
    assert browser.find_element(By.ID, "kind").text == "火灾"
    assert browser.find_element(By.ID, "region").text == "吉林省长春市朝阳区 乡镇（街道）220104001"
