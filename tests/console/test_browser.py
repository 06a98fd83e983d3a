"""The staff console end to end in headless Chromium (Debian's /usr/bin/chromium and chromedriver):
log in, see the lead filed through the API, claim it, resolve it, read its history."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests

from bot import migrate
from bot.db import create_db_engine, session_factory
from bot.leads import StaffRole, StaffService
from bot.settings import PROJECT_ROOT
from tests.helpers import free_port, require_or_skip

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def _require_browser():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        require_or_skip(f"{', '.join(missing)} missing: apt-get install chromium chromium-driver (make test does)")


@pytest.fixture
def api_server(tmp_path):
    url = f"sqlite:///{tmp_path / 'console.db'}"
    migrate.upgrade(url)
    engine = create_db_engine(url)
    _, token = StaffService(session_factory(engine)).create("李干事", "朝阳区前进街道", "220104001", StaffRole.township_staff)
    engine.dispose()
    port = free_port()
    env = dict(os.environ, JIUZHU_DATABASE_URL=url, JIUZHU_API_PORT=str(port), JIUZHU_LOG_LEVEL="WARNING",
               JIUZHU_HOUSEHOLD_KEY_SECRET="console-test")  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "bot", "api"], cwd=PROJECT_ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{base}/api/v1/health", timeout=2).ok:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("the API did not come up within 60 s")
        time.sleep(0.2)
    yield base, token
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)


@pytest.fixture
def browser(tmp_path):
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=1280,900"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def click_and_wait(driver, element):
    """Click something that submits or navigates, and wait until the next page has replaced this one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 10).until(expected_conditions.staleness_of(page))


def test_log_in_claim_resolve_and_see_the_history(api_server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    def submit(element_id):
        click_and_wait(browser, browser.find_element(By.ID, element_id))

    base, token = api_server
    filed = requests.post(
        f"{base}/api/v1/leads",
        headers={"Authorization": f"Bearer {token}"},
        json={"idempotency_key": "wx-123", "source_channel": "wechat", "cause": "illness", "severity": "urgent",
              "description": "老人突发脑梗住院，家里拿不出住院费", "region": "220104001", "place": "前进街道幸福小区"},
        timeout=10,
    )  # fmt: skip
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
