"""`python -m bot run --instances 2` end to end: two Rasa servers and two action servers behind haproxy,
sharing PostgreSQL (tracker store, leads) and Redis (lock store)."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.db import create_db_engine
from bot.settings import PROJECT_ROOT
from tests.conftest import POSTGRES_ADMIN_URL
from tests.e2e.stack import MODEL, Stack
from tests.fakes.wechat import AES_KEY, APP_ID, APP_SECRET, TOKEN, FakeWeChatApi, callback, text_xml
from tests.helpers import require_or_skip

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

REDIS_URL = os.environ.get("JIUZHU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SCREEN_ANSWERS = {"哪个省": "吉林长春", "城市": "城里", "存款": "没有", "多少岁": "四十岁", "残疾": "没有"}


def free_range(count: int) -> int:
    """A base port with `count` free ports after it."""
    for _ in range(50):
        base = random.randrange(20000, 59000)
        if all(_free(base + i) for i in range(count)):
            return base
    raise RuntimeError("no free port range")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class CuttableProxy:
    """A TCP proxy in front of PostgreSQL that can drop every connection and refuse new ones for a
    while: the database restarting, as the stack sees it, without restarting a server others share."""

    def __init__(self, host: str, port: int):
        self.target, self.port, self.open = (host, port), _free_port(), True
        self.writers: set = set()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
            ready.set()
            self.loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(10)

    async def _handle(self, reader, writer) -> None:
        if not self.open:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}

        async def pipe(source, sink) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                sink.close()
                self.writers.discard(sink)

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        def close_all() -> None:
            self.open = False
            for writer in list(self.writers):
                writer.transport.abort()

        self.loop.call_soon_threadsafe(close_all)

    def restore(self) -> None:
        self.loop.call_soon_threadsafe(setattr, self, "open", True)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Instances(Stack):
    """The stack with `--instances N` on its own PostgreSQL database and Redis database."""

    def __init__(self, workdir, database_url: str, instances: int = 2):
        super().__init__(workdir)
        self.instances = instances
        self.env.update(
            JIUZHU_DATABASE_URL=database_url,
            JIUZHU_LOCK_STORE_URL=REDIS_URL,
            JIUZHU_LOCK_LEASE_SECONDS="5",  # a killed holder's conversation waits at most this
            JIUZHU_INSTANCE_PORT_BASE=str(free_range(2 * instances)),
        )

    def start(self, timeout: float = 600) -> None:
        out = open(self.log, "a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--instances", str(self.instances)],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"stack exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            if "jiuzhu is up" in self.log.read_text(errors="replace"):
                break
            time.sleep(1)
        else:
            self.stop()
            pytest.fail(f"stack not up after {timeout}s:\n{self.log.read_text()[-3000:]}")
        self.members = [
            {"url": url, "pid": int(pid)}
            for url, pid in re.findall(r"instance \d+: +Rasa (\S+) \(pid (\d+)\)", self.log.read_text())
        ]
        assert len(self.members) == self.instances

    def post(self, url: str, sender: str, message: str, timeout: float = 60) -> list:
        resp = requests.post(
            f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=timeout
        )
        resp.raise_for_status()
        return resp.json()

    def leads_by_conversation(self) -> dict:
        engine = create_db_engine(self.env["JIUZHU_DATABASE_URL"])
        try:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT conversation_id, count(*) FROM leads GROUP BY conversation_id"))
                return {conversation: count for conversation, count in rows}
        finally:
            engine.dispose()


@pytest.fixture
def instances(tmp_path):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does) before the e2e tests")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as error:
        require_or_skip(f"Redis unreachable at {REDIS_URL}: {error}")
    admin = create_db_engine(POSTGRES_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    name = f"jiuzhu_e2e_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any connection failure means "no server"
        admin.dispose()
        require_or_skip(f"PostgreSQL unreachable at {POSTGRES_ADMIN_URL}: {error}")
    direct = make_url(POSTGRES_ADMIN_URL).set(database=name)
    proxy = CuttableProxy(direct.host or "127.0.0.1", direct.port or 5432)
    url = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    stack = Instances(tmp_path, url)
    stack.database = proxy
    api = FakeWeChatApi()
    api.start_in_thread()
    stack.env.update(
        JIUZHU_WECHAT_TOKEN=TOKEN,
        JIUZHU_WECHAT_APP_ID=APP_ID,
        JIUZHU_WECHAT_APP_SECRET=APP_SECRET,
        JIUZHU_WECHAT_ENCODING_AES_KEY=AES_KEY,
        JIUZHU_WECHAT_API_BASE=api.url,
    )
    try:
        stack.start()
        yield stack
    finally:
        api.stop_thread()
        proxy.stop()
        if stack.proc is not None and stack.proc.poll() is None:
            stack.stop()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def texts(messages: list) -> str:
    return "\n".join(m["text"] for m in messages if m.get("text"))


def test_instances(instances):
    """One stack start (two Rasa model loads take minutes on 2 cores) for the three scenarios, in order."""
    a_prescreen_alternating_between_instances_keeps_its_answers(instances)
    a_wechat_retry_reaching_the_other_instance_is_answered_once(instances)
    twenty_messages_at_once_are_handled_one_at_a_time_none_lost(instances)
    an_instance_killed_under_load_loses_no_lead_and_files_none_twice(instances)
    metrics_and_readiness_report_what_happened(instances)
    a_database_restart_under_load_gives_clear_503s_and_retries_succeed(instances)


def a_prescreen_alternating_between_instances_keeps_its_answers(stack: Instances) -> None:
    sender = f"alt-{uuid.uuid4().hex[:8]}"
    urls = [m["url"] for m in stack.members]
    reply = texts(stack.post(urls[0], sender, "三口人一个月一千二能吃低保吗"))
    for turn in range(1, 14):
        if "【初步结果】" in reply:
            break
        answer = next((a for words, a in SCREEN_ANSWERS.items() if words in reply), None)
        assert answer is not None, f"unexpected question: {reply!r}"
        reply = texts(stack.post(urls[turn % 2], sender, answer))  # every other message on the other server
    assert "【初步结果】" in reply and "最低生活保障" in reply, reply
    assert turn >= 2, "the pre-screen must have crossed between the instances"


def a_wechat_retry_reaching_the_other_instance_is_answered_once(stack: Instances) -> None:
    open_id, msg_id = f"o_{uuid.uuid4().hex[:8]}", 700000 + random.randrange(100000)
    first, second = (f"{m['url']}/webhooks/wechat/webhook" for m in stack.members)
    query, body = callback(text_xml(open_id, "低保怎么申请", msg_id), encrypted=True)
    assert requests.post(first, params=query, data=body, timeout=10).status_code == 200
    # WeChat's retry (new signature, same MsgId) lands on the other server: taken already, not handled again.
    query, body = callback(text_xml(open_id, "低保怎么申请", msg_id), encrypted=True)
    again = requests.post(second, params=query, data=body, timeout=10)
    assert (again.status_code, again.text) == (200, "success")
    events = stack.tracker(f"wechat:{open_id}")["events"]  # the channel's namespace (bot/edge.py)
    assert [e["text"] for e in events if e["event"] == "user"] == ["低保怎么申请"]


def twenty_messages_at_once_are_handled_one_at_a_time_none_lost(stack: Instances) -> None:
    sender = f"burst-{uuid.uuid4().hex[:8]}"
    messages = [f"低保去哪里申请{'？' * (i % 3)}第{i}次问" for i in range(20)]
    with ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(lambda m: stack.post(stack.rasa_url, sender, m), messages))
    assert all(texts(r) for r in replies), "every message answered"
    events = stack.tracker(sender)["events"]
    said = [e["text"] for e in events if e["event"] == "user"]
    assert sorted(said) == sorted(messages), "no message lost or duplicated in the tracker"
    # One at a time: after each user message, the bot's answer to it, before the next user message.
    turns, current = [], None
    for event in events:
        if event["event"] == "user":
            current = {"text": event["text"], "bot": []}
            turns.append(current)
        elif event["event"] == "bot" and current is not None:
            if event.get("text"):
                current["bot"].append(event["text"])
    by_text = {m: texts(r) for m, r in zip(messages, replies, strict=True)}
    for turn in turns:
        assert "\n".join(turn["bot"]) == by_text[turn["text"]], "a reply came from another message's turn"


def emergency(stack: Instances, sender: str, phone: str, kill_at=None) -> dict:
    """An emergency through the load balancer; a message that fails (its server died under it) is sent
    again, as a channel retries. Returns the lead id and how many sends failed."""
    failures, custom = 0, {}
    for i, message in enumerate(["我家着火了，房子烧没了", "好的", phone, "长春市朝阳区前进街道"]):
        if kill_at is not None and i == 2:
            kill_at()
        for _attempt in range(20):
            try:
                replies = stack.post(stack.rasa_url, sender, message, timeout=30)
                break
            except requests.RequestException:
                failures += 1
                time.sleep(0.5)
        else:
            pytest.fail(f"{sender}: {message!r} never answered")
        for m in replies:
            custom.update(m.get("custom") or {})
    return {"lead": custom.get("lead_id"), "failures": failures}


def an_instance_killed_under_load_loses_no_lead_and_files_none_twice(stack: Instances) -> None:
    victim = stack.members[1]["pid"]
    killed = []

    def kill_once() -> None:
        if not killed:
            killed.append(time.monotonic())
            os.kill(victim, signal.SIGKILL)

    run = uuid.uuid4().hex[:6]
    senders = [f"kill-{run}-{i}" for i in range(12)]
    with ThreadPoolExecutor(12) as pool:
        results = list(
            pool.map(
                lambda i: emergency(
                    stack, senders[i], f"139{int(run, 16) % 10**4:04d}{i:04d}", kill_once if i == 0 else None
                ),
                range(12),
            )
        )
    assert killed, "the instance was killed during the load"
    assert all(r["lead"] for r in results), results
    leads = stack.leads_by_conversation()
    assert {s: leads.get(s) for s in senders} == {s: 1 for s in senders}, "one lead per emergency, none twice"
    # After the balancer noticed (two 1 s checks), every message is answered at the first try.
    after = [emergency(stack, f"after-{run}-{i}", f"138{int(run, 16) % 10**4:04d}{i:04d}") for i in range(4)]
    assert all(r["lead"] and r["failures"] == 0 for r in after), after


def metric(body: str, name: str) -> float:
    """The sum of a metric's samples named exactly `name` (all label sets)."""
    values = [float(v) for n, v in re.findall(r"^([a-z_]+)(?:\{[^}]*\})? (\S+)$", body, re.M) if n == name]
    assert values, f"{name} not in the scrape"
    return sum(values)


def metrics_and_readiness_report_what_happened(stack: Instances) -> None:
    first = stack.members[0]["url"]
    ready = requests.get(f"{first}/ready", timeout=10)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"model": "ok", "database": "ok", "redis": "ok"}
    rasa = requests.get(f"{first}/metrics", timeout=10)
    assert rasa.status_code == 200 and rasa.headers["Content-Type"].startswith("text/plain")
    assert metric(rasa.text, "jiuzhu_rasa_turns_total") >= 10  # this instance took its share of the turns
    assert metric(rasa.text, "jiuzhu_rasa_lock_wait_seconds_count") >= 10
    requests.get(f"{stack.api_url}/api/v1/health", timeout=10).raise_for_status()
    api_ready = requests.get(f"{stack.api_url}/api/v1/ready", timeout=10)
    assert api_ready.status_code == 200 and api_ready.json()["checks"] == {"database": "ok", "redis": "ok"}
    api = requests.get(f"{stack.api_url}/metrics", timeout=10).text
    assert metric(api, "jiuzhu_api_requests_total") >= 2  # the health and readiness requests, in any worker
    assert metric(api, "jiuzhu_leads_filed_total") >= 16  # the emergencies above, filed by both instances


def a_database_restart_under_load_gives_clear_503s_and_retries_succeed(stack: Instances) -> None:
    run = uuid.uuid4().hex[:6]
    questions = ["低保去哪里申请", "申请低保需要带什么材料", "特困人员的护理费怎么算", "临时救助怎么申请"]
    statuses: list = []

    end = time.monotonic() + 10  # load before, during (1.5 s → 5.5 s) and after the restart

    def converse(n: int) -> tuple:
        sender, answered = f"dbcut-{run}-{n}", []
        while time.monotonic() < end:
            question = questions[len(answered) % len(questions)]
            for _attempt in range(60):
                resp = requests.post(
                    f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": question}, timeout=60
                )
                statuses.append(resp.status_code)
                if resp.status_code == 503:
                    body = resp.json()  # a clear answer for programs and for people, never an HTML page
                    assert body["error"] == "unavailable" and body["message_zh"], body
                    time.sleep(0.5)
                    continue
                assert resp.status_code == 200 and texts(resp.json()), (resp.status_code, resp.text[:200])
                answered.append(question)
                break
            else:
                pytest.fail(f"{sender}: {question!r} never answered after the database came back")
        return sender, answered

    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(converse, n) for n in range(6)]
        time.sleep(1.5)
        stack.database.cut()  # every connection dropped, new ones refused: the database restarting
        time.sleep(4)
        stack.database.restore()
        conversations = [f.result() for f in futures]
    assert 503 in statuses, "the restart hit no request: the test proved nothing"
    assert set(statuses) <= {200, 503}, sorted(set(statuses))
    for sender, answered in conversations:  # nothing half-written: each answered message once, in order
        events = stack.tracker(sender)["events"]
        assert [e["text"] for e in events if e["event"] == "user"] == answered
