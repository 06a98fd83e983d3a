"""The residents' web chat and the staff takeover, end to end in headless Chromium on the running
product (a trained model, `python -m bot run`): a pre-screen to a verdict with quick replies, an
emergency, a handoff answered by staff from the console and handed back; then a WeChat resident's
handoff answered through the staff API, which reaches the fake WeChat API's customer-service endpoint."""

from __future__ import annotations

import re

import pytest
import requests

from tests.e2e.stack import MODEL, Stack
from tests.fakes.wechat import AES_KEY, APP_ID, APP_SECRET, TOKEN, FakeWeChatApi, callback, text_xml

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

# How the resident answers the pre-screen, by words of the question; a quick-reply button when offered.
ANSWERS = {"哪个省": "吉林长春", "城市": "城市", "存款": "没有"}


@pytest.fixture
def product(tmp_path):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does) before the e2e tests")
    api = FakeWeChatApi()
    api.start_in_thread()
    stack = Stack(tmp_path)
    stack.env.update(
        JIUZHU_WECHAT_TOKEN=TOKEN,
        JIUZHU_WECHAT_APP_ID=APP_ID,
        JIUZHU_WECHAT_APP_SECRET=APP_SECRET,
        JIUZHU_WECHAT_ENCODING_AES_KEY=AES_KEY,
        JIUZHU_WECHAT_API_BASE=api.url,
        JIUZHU_HOUSEHOLD_KEY_SECRET="webchat-e2e",
    )
    stack.start()
    yield stack, api
    if stack.proc.poll() is None:
        stack.stop()
    api.stop_thread()


def token_for(stack, *args) -> str:
    made = stack.cli("staff", "add", *args)
    assert made.returncode == 0, made.stderr
    return re.search(r"[A-Za-z0-9_\-]{40,}", made.stdout).group(0)


class Chat:
    """The resident's page, driven as a person would: type, press 发送 or a quick reply, read."""

    def __init__(self, driver):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver, self.By, self.wait = driver, By, lambda s=30: WebDriverWait(driver, s)

    def texts(self, kind="bot"):
        return [e.text for e in self.driver.find_elements(self.By.CSS_SELECTOR, f"#log .msg.{kind}")]

    def _settled(self, before):
        self.wait().until(lambda d: len(self.texts()) > before and d.find_element(self.By.ID, "send").is_enabled())
        return self.texts()[-1]

    def say(self, text, answered=True):
        before = len(self.texts())
        self.driver.find_element(self.By.ID, "input").send_keys(text)
        self.driver.find_element(self.By.ID, "send").click()
        if answered:
            return self._settled(before)
        self.wait().until(lambda d: text in self.texts("user")[-1] and d.find_element(self.By.ID, "send").is_enabled())
        return None

    def buttons(self):
        return [b.text for b in self.driver.find_elements(self.By.CSS_SELECTOR, "#log .choices button")]

    def press(self, title):
        before = len(self.texts())
        button = next(
            b for b in self.driver.find_elements(self.By.CSS_SELECTOR, "#log .choices button") if b.text == title
        )
        button.click()
        return self._settled(before)


def test_prescreen_emergency_and_a_handoff_answered_from_the_console(product, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.console.conftest import click_and_wait

    stack, wechat = product
    county = token_for(
        stack, "朝阳区民政局", "--office", "朝阳区民政局", "--region", "220104", "--role", "county_supervisor"
    )
    browser.set_window_size(390, 844)  # a phone
    browser.get(f"{stack.rasa_url}/webhooks/webchat/chat?region=220104")
    chat = Chat(browser)
    chat.wait().until(lambda _d: chat.texts())  # the assistant's welcome
    assert "救助政策小助手" in chat.texts()[0]
    sender = browser.execute_script("return sessionStorage.getItem('jiuzhu-sender')")

    # A pre-screen to a verdict, answering with the quick replies where the page offers them.
    reply = chat.say("三口人一个月一千二能吃低保吗")
    pressed = []
    for _ in range(8):
        if "可能符合" in reply:
            break
        answer = next(a for words, a in ANSWERS.items() if words in reply)
        if answer in chat.buttons():
            pressed.append(answer)
            reply = chat.press(answer)
        else:
            reply = chat.say(answer)
    assert "可能符合：最低生活保障" in reply, reply
    assert pressed, "no quick reply was offered for the pre-screen's questions"
    assert any(s.text.startswith("依据：") for s in browser.find_elements(By.CSS_SELECTOR, "#log .msg.bot .source"))
    assert not browser.find_elements(By.CSS_SELECTOR, "#log .msg.user")[-1].text.startswith("/")

    # An emergency: what to do now comes first; the lead is filed in the resident's district.
    chat.say("我家着火了，房子烧没了")
    said = "\n".join(chat.texts()[-3:])
    assert "119" in said and "手机号" in said, said
    assert "不用" in chat.buttons()  # the consent prompt's quick reply
    assert "发生在哪里" in chat.say("13912345678")
    chat.say("长春市朝阳区前进街道")
    leads = requests.get(f"{stack.api_url}/api/v1/leads", headers={"Authorization": f"Bearer {county}"}, timeout=10)
    assert any(lead["conversation_id"] == f"webchat:{sender}" for lead in leads.json()["leads"]), leads.text

    # A handoff: the page says a person will answer here; the bot is silent meanwhile.
    chat.say("转人工")
    status = browser.find_element(By.ID, "status")
    assert "转人工" in status.text

    chat_tab = browser.current_window_handle
    browser.switch_to.new_window("tab")
    browser.get(f"{stack.api_url}/console/login")
    browser.find_element(By.ID, "token").send_keys(county)
    click_and_wait(browser, browser.find_element(By.ID, "login"))
    browser.get(f"{stack.api_url}/console/handoffs")
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-conversation="webchat:{sender}"]')
    assert "紧急" in row.text and "网页对话" in row.text and "转人工" in row.text
    assert "13912345678" not in browser.page_source  # the transcript is masked
    click_and_wait(browser, row.find_element(By.TAG_NAME, "a"))
    click_and_wait(browser, browser.find_element(By.ID, "claim"))
    browser.find_element(By.ID, "reply").send_keys("您好，我是朝阳区民政局的工作人员，您家现在有地方住吗？")
    click_and_wait(browser, browser.find_element(By.ID, "send"))
    console_tab = browser.current_window_handle

    browser.switch_to.window(chat_tab)  # no reload: the reply is pushed to the page
    WebDriverWait(browser, 40).until(lambda _d: chat.texts("staff"))
    assert "您家现在有地方住吗" in chat.texts("staff")[0] and "朝阳区民政局" in chat.texts("staff")[0]
    chat.say("暂时住在亲戚家", answered=False)

    browser.switch_to.window(console_tab)  # the resident's message appears while the page is open
    WebDriverWait(browser, 20).until(lambda d: "暂时住在亲戚家" in d.find_element(By.ID, "messages").text)
    click_and_wait(browser, browser.find_element(By.ID, "resume"))
    assert "已交还智能助手" in browser.find_element(By.ID, "status").text

    browser.switch_to.window(chat_tab)
    WebDriverWait(browser, 40).until(lambda _d: chat.texts("system"))
    assert "智能助手继续" in chat.texts("system")[-1]
    assert "依据：" in chat.say("低保去哪里申请")  # the assistant answers again
    browser.save_screenshot(str(tmp_path / "webchat.png"))

    # WeChat: the same takeover reaches the resident through the customer-service API (the fake).
    admin = token_for(stack, "市局管理员", "--office", "长春市民政局", "--region", "22", "--role", "admin")
    headers = {"Authorization": f"Bearer {admin}"}
    query, body = callback(text_xml("o_takeover", "转人工", 930001), encrypted=True)
    assert requests.post(f"{stack.rasa_url}/webhooks/wechat/webhook", params=query, data=body, timeout=30).ok
    waiting = requests.get(f"{stack.api_url}/api/v1/handoffs", headers=headers, timeout=10).json()["handoffs"]
    handoff = next(h for h in waiting if h["conversation_id"] == "wechat:o_takeover")
    url = f"{stack.api_url}/api/v1/handoffs/{handoff['id']}"
    assert requests.post(f"{url}/claim", headers=headers, timeout=10).ok
    sent = requests.post(f"{url}/messages", json={"text": "您好，我是民政局的工作人员"}, headers=headers, timeout=30)
    assert sent.status_code == 201, sent.text
    assert "您好，我是民政局的工作人员" in wechat.wait_for("o_takeover", count=1)
    assert requests.post(f"{url}/resume", headers=headers, timeout=30).ok
    assert wechat.wait_for("o_takeover", count=2)[-1].startswith("工作人员已结束本次人工服务")
    assert stack.stop() == 0
