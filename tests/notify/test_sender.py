"""The sender against local fakes of each receiving server, on SQLite and PostgreSQL: delivered once,
retried with backoff while a server is down, every attempt recorded, two senders never send a row twice,
and contact details only where the channel needs them."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import aiohttp
import pytest

from bot.db import create_db_engine, session_factory
from bot.leads import LeadService
from bot.notify.outbox import Outbox
from bot.settings import NotifyRoute
from bot.wechat import CustomerService, TokenStore, WeChatConfig
from tests.fakes.notify import FakeSmsGateway, FakeWeChatTemplateApi, FakeWeComRobot, counts
from tests.fakes.wechat import APP_ID, APP_SECRET
from tests.notify.common import (
    NOW,
    PHONE,
    SECRET,
    attempts,
    draft,
    drain,
    file_leads,
    make_sender,
    outbox_ids,
    outbox_rows,
    robot_route,
)


@pytest.fixture
def robot():
    fake = FakeWeComRobot()
    fake.start()
    yield fake
    fake.stop()


def all_sent(sessions):
    return lambda: all(row["state"] == "sent" for row in outbox_rows(sessions))


async def test_a_life_threatening_lead_reaches_the_robot_at_once_with_the_phone_masked(sessions, robot):
    routes = [robot_route(robot.url, mention_all=True)]
    (lead_id,) = file_leads(sessions, routes, 1)
    async with aiohttp.ClientSession() as http:
        assert await make_sender(sessions, routes, http).tick() == 1
    (text,) = robot.texts()
    assert f"#{lead_id}" in text and "危及生命" in text and "因病" in text
    assert "吉林省长春市朝阳区 乡镇（街道）220104001" in text  # the region by name beside its code
    assert "13900000000" not in text and "139****0000" in text  # a group reads it
    assert "刘女士" not in text and "刘**" in text
    assert robot.received[0]["mentioned"] == ["@all"]
    (row,) = outbox_rows(sessions)
    assert row["state"] == "sent" and row["attempts"] == 1 and row["lease_token"] is None
    assert [(a["ok"], a["outbox_id"]) for a in attempts(sessions)] == [(True, row["id"])]


async def test_other_leads_go_as_one_digest_under_2048_bytes_and_urgent_ones_alone(sessions, robot):
    routes = [robot_route(robot.url)]
    normal = file_leads(sessions, routes, 40, severity="normal")
    service = LeadService(sessions, SECRET, outbox=Outbox(routes, 0))
    urgent = service.file(draft("urgent-one", phone="13700000000")).lead.id
    async with aiohttp.ClientSession() as http:
        await drain(make_sender(sessions, routes, http), all_sent(sessions))
    texts = robot.texts()
    assert 2 <= len(texts) < 10, "40 normal leads in a few digests, not 40 messages"
    assert all(len(t.encode("utf-8")) <= 2048 for t in texts)
    assert f"#{urgent}" in texts[0] and "【线索汇总】" not in texts[0], "the life-threatening lead first, alone"
    assert all(t.startswith("【线索汇总】") for t in texts[1:])
    assert all("吉林省长春市朝阳区" in line for t in texts[1:] for line in t.splitlines()[1:-1])
    numbers = counts(robot.numbers(), outbox_ids(sessions))
    assert numbers == {"delivered": 41, "lost": 0, "duplicates": 0}
    assert len(normal) == 40


async def test_down_for_a_while_then_delivered_once_after_it_returns(sessions, robot):
    routes = [robot_route(robot.url)]
    file_leads(sessions, routes, 3)
    robot.down()
    async with aiohttp.ClientSession() as http:
        sender = make_sender(sessions, routes, http)
        for _ in range(3):  # each try fails and is recorded; the rows wait their backoff
            await sender.tick()
            await asyncio.sleep(1.1)
        failed = [a for a in attempts(sessions) if not a["ok"]]
        assert len(failed) >= 3 and all(a["error"] for a in failed)
        # The first send fails; the rest of that route waits without trying (the server is down).
        assert all(row["state"] == "pending" for row in outbox_rows(sessions))
        assert max(row["attempts"] for row in outbox_rows(sessions)) >= 2
        robot.up()
        await drain(sender, all_sent(sessions))
        for _ in range(5):
            await sender.tick()  # nothing is sent again
    result = counts(robot.numbers(), outbox_ids(sessions))
    print(
        f"\nrobot down then up: delivered {result['delivered']}, lost {result['lost']}, duplicates {result['duplicates']}"
    )
    assert result == {"delivered": 3, "lost": 0, "duplicates": 0}
    assert sum(1 for a in attempts(sessions) if a["ok"]) == 3


async def test_a_refused_message_is_retried_not_marked(sessions, robot):
    routes = [robot_route(robot.url, key="wrong-key")]
    file_leads(sessions, routes, 1)
    async with aiohttp.ClientSession() as http:
        assert await make_sender(sessions, routes, http).tick() == 0
    (row,) = outbox_rows(sessions)
    assert row["state"] == "pending" and "93000" in row["last_error"]
    assert row["not_before"] > NOW


async def test_two_senders_at_once_send_each_row_once(database_url, robot):
    engines = [create_db_engine(database_url) for _ in range(2)]
    try:
        sessions = [session_factory(e) for e in engines]
        routes = [robot_route(robot.url, name=f"robot-{n}", region=f"22010{n}") for n in range(4)]
        service = LeadService(sessions[0], SECRET, outbox=Outbox(routes, 0))
        for i in range(60):
            service.file(draft(f"both-{i}", region=f"22010{i % 4}001", phone=f"138{i:08d}"))
        robot.per_minute = 1000

        def run(s, name):  # each sender in its own thread, loop and connections
            async def go():
                async with aiohttp.ClientSession() as http:
                    sender = make_sender(s, routes, http, batch=5, per_minute=1000, name=name)
                    await drain(sender, all_sent(s), pause=0)

            asyncio.run(go())

        threads = [threading.Thread(target=run, args=(s, n)) for s, n in zip(sessions, "AB", strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        result = counts(robot.numbers(), outbox_ids(sessions[0]))
        print(
            f"\ntwo senders ({database_url.split(':')[0]}): delivered {result['delivered']}, lost {result['lost']}, duplicates {result['duplicates']}"
        )
        assert result == {"delivered": 60, "lost": 0, "duplicates": 0}
        senders = {a["sender"] for a in attempts(sessions[0])}
        assert len(attempts(sessions[0])) == 60 and senders == {"A", "B"}  # both sent, neither twice
    finally:
        for e in engines:
            e.dispose()


async def test_a_leased_row_is_not_another_senders_until_the_lease_expires(sessions, robot):
    routes = [robot_route(robot.url)]
    file_leads(sessions, routes, 1, clock=lambda: NOW)
    clock = {"now": NOW + timedelta(seconds=1)}
    async with aiohttp.ClientSession() as http:
        first = make_sender(sessions, routes, http, clock=lambda: clock["now"])
        second = make_sender(sessions, routes, http, clock=lambda: clock["now"])
        token, _, rows = first.claim()  # then "killed": never settles
        assert len(rows) == 1
        assert second.claim()[2] == []
        clock["now"] += timedelta(seconds=7)  # past the 6 s lease
        token2, _, again = second.claim()
        assert [r.item.outbox_id for r in again] == [r.item.outbox_id for r in rows]
        first.settle(token, rows, "late", None)  # the first one's late mark does not count
        assert outbox_rows(sessions)[0]["state"] == "pending"
        second.settle(token2, again, "m", None)
        assert outbox_rows(sessions)[0]["state"] == "sent"


async def test_sms_carries_the_phone_in_full_to_the_staff_members_own_phone(sessions):
    gateway = FakeSmsGateway()
    gateway.start()
    try:
        routes = [NotifyRoute(name="sms", region="220104", channel="sms", phones=["13800000001", "13800000002"])]
        LeadService(sessions, SECRET, outbox=Outbox(routes, 0)).file(draft("s1"))
        async with aiohttp.ClientSession() as http:
            sender = make_sender(sessions, routes, http, sms_url=f"{gateway.url}/sms/send")
            assert await sender.tick() == 1
        (entry,) = gateway.received
        assert entry["phones"] == ["13800000001", "13800000002"]
        assert PHONE in entry["text"] and "刘女士" in entry["text"]
        assert entry["reference"] == f"N{outbox_ids(sessions)[0]}"
        assert len(entry["text"].encode("utf-8")) <= 600
    finally:
        gateway.stop()


async def test_a_template_message_reaches_each_follower_once_with_a_fresh_token(sessions):
    wechat = FakeWeChatTemplateApi()
    wechat.start()
    try:
        routes = [
            NotifyRoute(
                name="tpl",
                region="2201",
                channel="wechat_template",
                open_ids=["o-staff-1", "o-staff-2"],
                template_id="T1",
            )
        ]
        LeadService(sessions, SECRET, outbox=Outbox(routes, 0)).file(draft("t1"))
        assert len(outbox_rows(sessions)) == 2  # one row per follower: a failure for one never repeats the other
        config = WeChatConfig("notify", APP_ID, APP_SECRET, None, wechat.url, mode="plaintext")
        async with aiohttp.ClientSession() as http:
            client = CustomerService(config, TokenStore(sessions))
            sender = make_sender(sessions, routes, http, wechat=client, wechat_api=wechat.url)
            assert await sender.tick() == 2
            wechat.tokens.revoke_all()  # refreshed elsewhere: the next send fetches a new token
            LeadService(sessions, SECRET, outbox=Outbox(routes, 0)).file(draft("t2", phone="13700000000"))
            assert await sender.tick() == 2
            await client.close()
        assert [len(wechat.to("o-staff-1")), len(wechat.to("o-staff-2"))] == [2, 2]
        data = wechat.to("o-staff-1")[0]["data"]
        assert data["keyword2"]["value"] == "危及生命" and PHONE not in wechat.to("o-staff-1")[0]["text"]
        assert wechat.to("o-staff-1")[0]["template_id"] == "T1"
    finally:
        wechat.stop()


def test_digests_are_held_back_before_a_life_threatening_lead_is(sessions):
    sender = make_sender(sessions, [], None, per_minute=20)
    for _ in range(16):
        sender._sent_at["r"].append(__import__("time").monotonic())
    assert sender._throttled("r", urgent=False) > 0
    assert sender._throttled("r", urgent=True) == 0
