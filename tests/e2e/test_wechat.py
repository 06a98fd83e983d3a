"""End to end: WeChat callbacks, signed and encrypted as WeChat sends them, to the running product;
customer-service messages go to a local fake of the WeChat API server."""

from __future__ import annotations

import time

import pytest
import requests

from bot.policies import default_desk
from tests.fakes.wechat import (
    FakeWeChatApi,
    account_environment,
    callback,
    event_xml,
    read_reply,
    text_xml,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def wechat(stack):
    api = FakeWeChatApi()
    api.start_in_thread()
    stack.env.update(account_environment(api.url))
    stack.start()
    yield stack, api
    api.stop_thread()


def post(stack, query, body) -> requests.Response:
    return requests.post(f"{stack.rasa_url}/webhooks/wechat/webhook", params=query, data=body, timeout=10)


def reply_text(api, resp, query, open_id) -> str:
    """What the user sees: the passive reply, or what arrived through the customer-service API."""
    assert resp.status_code == 200, resp.text
    if resp.text == "success":
        return "\n".join(api.wait_for(open_id))
    return read_reply(resp.text, query)["Content"] + "".join("\n" + m for m in api.messages_to(open_id))


def test_wechat_messages_reach_the_assistant_and_get_the_right_reply(wechat):
    stack, api = wechat
    query, _ = callback(text_xml("o_e2e", "x", 1))
    assert (
        requests.get(
            f"{stack.rasa_url}/webhooks/wechat/webhook", params={**query, "echostr": "e2e-echo"}, timeout=10
        ).text
        == "e2e-echo"
    )

    # The EncodingAESKey is configured, so the account is in safe mode: every message is encrypted.
    question = "低保怎么申请"
    expected = default_desk().answer(question).text
    query, body = callback(text_xml("o_plain", question, 900001), encrypted=True)
    assert expected in reply_text(api, post(stack, query, body), query, "o_plain")

    question = "临时救助怎么申请"
    query, body = callback(text_xml("o_safe", question, 900002), encrypted=True)
    resp = post(stack, query, body)
    assert "<Encrypt>" in resp.text or resp.text == "success"
    assert default_desk().answer(question).text in reply_text(api, resp, query, "o_safe")

    # WeChat's retry of the same message (new signature, same MsgId) is processed once.
    again = post(stack, *callback(text_xml("o_plain", "低保怎么申请", 900001), encrypted=True))
    assert (again.status_code, again.text) == (200, "success")
    said = [e for e in stack.tracker("wechat:o_plain")["events"] if e["event"] == "user"]
    assert [e["text"] for e in said] == ["低保怎么申请"] and said[0]["input_channel"] == "wechat"

    welcome_query, welcome_body = callback(event_xml("o_new", "subscribe", 1700000200), encrypted=True)
    assert "救助政策小助手" in reply_text(api, post(stack, welcome_query, welcome_body), welcome_query, "o_new")

    forged = post(stack, *callback(text_xml("o_forged", "低保", 900003), encrypted=True, token="notOurToken"))
    assert forged.status_code == 403
    # Safe mode is configuration: a plaintext body is refused whatever the URL says.
    downgraded = post(stack, *callback(text_xml("o_forged", "低保", 900005)))
    assert downgraded.status_code == 400
    assert not [e for e in stack.tracker("wechat:o_forged")["events"] or [] if e["event"] == "user"]
    query, _ = callback(text_xml("o_bad", "x", 900004))
    assert post(stack, query, b"<xml><Content>").status_code == 400
    assert post(stack, query, b"x" * 70_000).status_code == 413

    # A resident's handoff on WeChat: a web-chat page or a REST caller that names their openid gets a
    # conversation of its own, neither paused with theirs nor in their transcript.
    open_id = "o_namespace_0123456789"
    post(stack, *callback(text_xml(open_id, "转人工", 900010), encrypted=True))
    deadline = time.monotonic() + 30
    while stack.open_handoff(f"wechat:{open_id}") is None and time.monotonic() < deadline:
        time.sleep(0.5)
    handoff = stack.open_handoff(f"wechat:{open_id}")
    assert handoff is not None
    page = requests.post(
        f"{stack.rasa_url}/webhooks/webchat/webhook", json={"sender": open_id, "message": "你好"}, timeout=30
    ).json()
    assert page["waiting_for_staff"] is False and page["messages"]
    assert any("救助政策小助手" in text for text in stack.say(open_id, "你好"))
    transcript = [line["text"] for line in stack.open_handoff(f"wechat:{open_id}").transcript]
    assert "你好" not in transcript
