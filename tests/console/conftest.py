"""Fixtures of the browser tests: the API in a subprocess with one staff member, and headless
Chromium (Debian's /usr/bin/chromium and chromedriver)."""

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
    _, token = StaffService(session_factory(engine)).create(
        "李干事", "朝阳区前进街道", "220104001", StaffRole.township_staff
    )
    engine.dispose()
    for base in _serve(url):
        yield base, token


@pytest.fixture
def supervised_server(tmp_path):
    """The API with a township's staff member and their county's supervisor; `url` is its database."""
    url = f"sqlite:///{tmp_path / 'console.db'}"
    migrate.upgrade(url)
    engine = create_db_engine(url)
    staff = StaffService(session_factory(engine))
    tokens = {
        "town": staff.create("李干事", "朝阳区前进街道", "220104001", StaffRole.township_staff)[1],
        "county": staff.create("王科长", "朝阳区民政局", "220104", StaffRole.county_supervisor)[1],
    }
    engine.dispose()
    for base in _serve(url):
        yield base, tokens, url


def _serve(url):
    port = free_port()
    env = dict(
        os.environ,
        JIUZHU_DATABASE_URL=url,
        JIUZHU_API_PORT=str(port),
        JIUZHU_LOG_LEVEL="WARNING",
        JIUZHU_HOUSEHOLD_KEY_SECRET="console-test",
    )
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
    yield base
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)


@pytest.fixture
def browser(tmp_path):
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def click_and_wait(driver, element):
    """Click something that submits or navigates, and wait until the next page has replaced this one."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced(_driver) -> bool:
        try:
            page.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:  # Chromium 156 says so in its own words, in a race with the unload
            if "does not belong to the document" in str(error):
                return True
            raise

    WebDriverWait(driver, 10).until(replaced)
