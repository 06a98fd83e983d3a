"""Every Rasa route of the running product fuzzed: the REST, web-chat and WeChat webhooks (WeChat with a
valid signature), /model/parse and the tracker API, with and without the token. No body answers 5xx,
no process dies, and "你好" is still answered afterwards. CI sends ≥ 2,000 generated bodies per route
(`CI=true`); locally `JIUZHU_FUZZ_EXAMPLES` (default 40). The closing figures are printed.
"""

from __future__ import annotations

import itertools
import json
import random
import string
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, List, Tuple
from urllib.parse import quote

import pytest
import requests
import xmltodict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wechatpy.crypto import WeChatCrypto

from tests.fakes.wechat import ACCOUNT, AES_KEY, APP_ID, TOKEN, FakeWeChatApi, _sign, account_environment
from tests.test_fuzz_api import EXAMPLES, hostile_text, json_values

pytestmark = pytest.mark.e2e

RASA_TOKEN = "fuzz-token-" + "7" * 20
WORKERS = 6  # the product's own concurrency is what is tested, not the client's


def _collect(strategy, n: int) -> list:
    """n bodies drawn by hypothesis (its shrinking is of no use against a running server)."""
    found: list = []

    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(value):
        found.append(value)

    draw()
    return found


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


ids = st.one_of(
    hostile_text,
    st.sampled_from(["\ud83d", "webchat:0123456789abcdef01", "wechat:o_victim", "a b", "", "x" * 200, "../../x"]),
    st.from_regex(r"[A-Za-z0-9_-]{16,40}", fullmatch=True),
)
messages = st.one_of(
    hostile_text,
    st.sampled_from(["你好", "低保怎么申请", "我家3口人，月收入2000元", "/greet", "/nlu_fallback", "很" * 2001]),
    st.integers(),
    st.none(),
    json_values,
)
# What residents send: the bodies that pass the gate and reach the conversation.
plausible_sender = st.from_regex(r"[A-Za-z0-9_-]{16,40}", fullmatch=True)
plausible_text = st.text(
    alphabet="低保怎么申请我家口人月收入元你好转人工急救命残疾农村城市0123456789，。？ ", min_size=1, max_size=30
)
raw = st.one_of(
    st.binary(max_size=60),
    st.sampled_from([b"", b"null", b"[]", b"{", b'"x"', b"\xff\xfe", b'{"message": NaN}', b"[" * 3000 + b"]" * 3000]),
)


def chat_bodies(extra: Dict[str, st.SearchStrategy]) -> st.SearchStrategy:
    fields = st.fixed_dictionaries({"sender": ids, "message": messages}, optional=extra)
    plausible = st.fixed_dictionaries({"sender": plausible_sender, "message": plausible_text})
    return st.one_of(fields.map(_json), fields.map(_json), plausible.map(_json), json_values.map(_json), raw)


def parse_bodies() -> st.SearchStrategy:
    fields = st.fixed_dictionaries({"text": messages}, optional={"message_id": json_values})
    plausible = st.fixed_dictionaries({"text": plausible_text})
    return st.one_of(fields.map(_json), plausible.map(_json), json_values.map(_json), raw)


events = st.lists(
    st.fixed_dictionaries(
        {"event": st.one_of(st.sampled_from(["user", "bot", "slot", "action", "restart", "x"]), hostile_text)},
        optional={"text": messages, "name": hostile_text, "value": json_values, "timestamp": json_values},
    ),
    max_size=3,
)


plausible_events = st.one_of(
    st.just([{"event": "action", "name": "action_listen"}]),
    plausible_text.map(lambda t: [{"event": "user", "text": t}]),
    plausible_text.map(lambda t: {"event": "bot", "text": t}),
).map(_json)


names = st.one_of(
    st.sampled_from(["action_listen", "action_converse", "utter_greet", "greet", "ask_policy", "nope"]),
    hostile_text,
    json_values,
)
execute_bodies = st.fixed_dictionaries(
    {"name": names}, optional={"policy": st.one_of(hostile_text, json_values), "confidence": json_values}
)
trigger_bodies = st.fixed_dictionaries({"name": names}, optional={"entities": json_values})
message_bodies = st.fixed_dictionaries(
    {"text": messages, "sender": st.one_of(st.sampled_from(["user", "bot"]), json_values)},
    optional={"parse_data": json_values},
)


def wechat_callback(open_id: str, content: str, msg_id: int) -> Tuple[Dict[str, str], bytes]:
    """A callback WeChat could sign: hostile text inside, escaped as XML would carry it (controls as
    character references, which the XML parser refuses)."""
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else f"&#x{ord(ch):x};" for ch in content)
    text = text.replace("&", "&amp;").replace("&amp;#x", "&#x").replace("<", "&lt;")
    who = open_id.replace("&", "&amp;").replace("<", "&lt;")
    xml = (
        f"<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>{who}</FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType>text</MsgType>"
        f"<Content>{text}</Content><MsgId>{msg_id}</MsgId></xml>"
    )
    timestamp, nonce = str(int(time.time())), "".join(random.choices(string.digits, k=10))
    xml_bytes = xml.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    sealed = xmltodict.parse(WeChatCrypto(TOKEN, AES_KEY, APP_ID).encrypt_message(xml_bytes, nonce, timestamp))["xml"][
        "Encrypt"
    ]
    query = {
        "signature": _sign(TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": open_id.encode("utf-8", "replace").decode("utf-8"),
        "encrypt_type": "aes",
        "msg_signature": _sign(TOKEN, timestamp, nonce, sealed),
    }
    body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{sealed}]]></Encrypt></xml>"
    return query, body.encode("utf-8")


def _send(requests_: List[Callable[[], requests.Response]]) -> Dict[int, int]:
    def one(make):
        try:
            return make().status_code
        except requests.ConnectionError:
            return 0  # the server went away: counted, and fails the test below

    with ThreadPoolExecutor(WORKERS) as pool:
        statuses = list(pool.map(one, requests_))
    counts: Dict[int, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


@pytest.fixture
def product(stack):
    api = FakeWeChatApi()
    api.start_in_thread()
    stack.env.update(account_environment(api.url), JIUZHU_RASA_AUTH_TOKEN=RASA_TOKEN)
    stack.start()
    yield stack
    api.stop_thread()


def test_no_body_on_any_rasa_route_answers_5xx_or_stops_a_process(product):
    base = product.rasa_url
    n = EXAMPLES
    session = requests.Session()
    msg_ids = itertools.count(10**9)

    def post(path, body, **params):
        headers = {"Content-Type": "application/json"}
        return lambda: session.post(base + path, data=body, params=params, headers=headers, timeout=60)

    def get(path, **params):
        return lambda: session.get(base + path, params=params, timeout=60)

    def wechat(query_body):
        query, body = query_body
        return lambda: session.post(base + "/webhooks/wechat/webhook", params=query, data=body, timeout=60)

    route_bodies = {
        "POST /webhooks/rest/webhook[/]": [
            post("/webhooks/rest/webhook" + slash, b)
            for b, slash in _collect(st.tuples(chat_bodies({}), st.sampled_from(["", "", "/"])), n)
        ],
        "POST /webhooks/webchat/webhook": [
            post("/webhooks/webchat/webhook", b) for b in _collect(chat_bodies({"region": hostile_text}), n)
        ],
        # Signed when sent, not when drawn: WeChat's timestamp window would refuse them as replays.
        "POST /webhooks/wechat/webhook (signed)": lambda: [
            wechat(wechat_callback(o, c, next(msg_ids)))
            for o, c in _collect(
                st.tuples(st.one_of(ids, st.just("o_fuzz")), st.one_of(hostile_text, plausible_text)), n
            )
        ],
        "POST /model/parse[/] (token)": [
            post("/model/parse" + slash, b, token=RASA_TOKEN)
            for b, slash in _collect(st.tuples(parse_bodies(), st.sampled_from(["", "/"])), n)
        ],
        "POST /model/parse (no token)": [post("/model/parse", b) for b in _collect(parse_bodies(), n)],
        "GET /conversations/<id>/tracker (token)": [
            get(f"/conversations/{quote(i.encode('utf-8', 'surrogatepass'), safe='')}/tracker", token=RASA_TOKEN)
            for i in _collect(ids, n)
        ],
        "GET /conversations/<id>/tracker|story (no token)": [
            get(f"/conversations/{quote(i.encode('utf-8', 'surrogatepass'), safe='')}/{kind}")
            for i, kind in _collect(st.tuples(ids, st.sampled_from(["tracker", "story"])), n)
        ],
        "POST /conversations/<id>/tracker/events (token)": [
            post(f"/conversations/fuzz-{k}/tracker/events", b, token=RASA_TOKEN)
            for k, b in enumerate(
                _collect(st.one_of(events.map(_json), plausible_events, json_values.map(_json), raw), n)
            )
        ],
        "POST /conversations/<id>/messages (token)": [
            post(f"/conversations/fuzz-m{k}/messages", b, token=RASA_TOKEN)
            for k, b in enumerate(_collect(st.one_of(message_bodies.map(_json), raw), n))
        ],
        "POST /conversations/<id>/execute (token)": [
            post(f"/conversations/fuzz-x{k % 50}/execute", b, token=RASA_TOKEN)
            for k, b in enumerate(_collect(st.one_of(execute_bodies.map(_json), raw), n))
        ],
        "POST /conversations/<id>/trigger_intent (token)": [
            post(f"/conversations/fuzz-t{k % 50}/trigger_intent", b, token=RASA_TOKEN)
            for k, b in enumerate(_collect(st.one_of(trigger_bodies.map(_json), raw), n))
        ],
        "POST /conversations/<id>/predict (token)": [
            post(f"/conversations/{quote(i.encode('utf-8', 'surrogatepass'), safe='')}/predict", b"", token=RASA_TOKEN)
            for i in _collect(ids, n)
        ],
        "PUT /model (token, junk)": [
            (lambda body: lambda: session.put(base + "/model", data=body, params={"token": RASA_TOKEN}, timeout=60))(b)
            for b in _collect(st.one_of(json_values.filter(lambda v: not isinstance(v, dict)).map(_json), raw), n)
        ],
    }
    report = {}
    for route, calls in route_bodies.items():
        calls = calls() if callable(calls) else calls
        report[route] = (len(calls), _send(calls))
    print("\nRasa edge fuzz (bodies sent, answers by status):")
    for route, (sent, counts) in report.items():
        print(f"  {route}: {sent} → {dict(sorted(counts.items()))}")

    log = product.log.read_text(errors="replace")
    failures = [line for line in log.splitlines() if "Error" in line or "failed on" in line][-20:]
    for route, (sent, counts) in report.items():
        assert sent >= n, route
        assert not [s for s in counts if s >= 500 or s == 0], (route, counts, failures)
    # Without the token nothing is answered: 401, or a refusal of a URL too long to read at all.
    assert all(set(c) <= {401, 413, 414} for r, (sent, c) in report.items() if "no token" in r), report

    # Every process alive, none restarted, and the assistant still answers.
    assert product.proc.poll() is None
    assert "exited with code" not in log, log[-3000:]
    assert any("救助政策小助手" in text for text in product.say("fuzz-after", "你好"))
