"""The outbox row is written in the lead's own transaction, to the most specific region's routes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.leads import LeadService
from bot.leads.tables import leads
from bot.notify.outbox import Outbox, digest_window_end, routes_for
from bot.settings import NotifyRoute, Settings
from tests.notify.common import NOW, SECRET, draft, outbox_rows, robot_route


def sms(name, region, audience="office"):
    return NotifyRoute(name=name, region=region, channel="sms", phones=["13800000000"], audience=audience)


def test_the_most_specific_region_prefix_wins_and_keeps_all_its_routes():
    routes = [sms("city", "2201"), sms("county", "220104"), robot_route("http://x", "220104"), sms("all", "")]
    assert {r.name for r in routes_for(routes, "220104001", "office")} == {"county", "chaoyang-robot"}
    assert [r.name for r in routes_for(routes, "220102001", "office")] == ["city"]
    assert [r.name for r in routes_for(routes, "371302", "office")] == ["all"]
    assert routes_for(routes, "220104001", "supervisor") == []


def test_digest_windows_are_aligned_so_one_window_leaves_together():
    end = digest_window_end(NOW + timedelta(seconds=10), 300)
    assert end == NOW + timedelta(seconds=300)
    assert digest_window_end(NOW + timedelta(seconds=299), 300) == end
    assert digest_window_end(NOW, 0) == NOW


def test_filing_writes_one_row_per_route_life_threatening_due_at_once(sessions):
    routes = [robot_route("http://x"), sms("county-sms", "220104"), sms("city", "2201")]
    service = LeadService(sessions, SECRET, clock=lambda: NOW + timedelta(seconds=10), outbox=Outbox(routes, 300))
    urgent = service.file(draft("a", "life_threatening")).lead.id
    normal = service.file(draft("b", "normal", phone="13900000001")).lead.id
    again = service.file(draft("a", "life_threatening"))  # a retry files nothing, notifies nothing
    assert not again.created
    rows = outbox_rows(sessions)
    assert sorted((r["lead_id"], r["route"]) for r in rows) == sorted(
        [(urgent, "chaoyang-robot"), (urgent, "county-sms"), (normal, "chaoyang-robot"), (normal, "county-sms")]
    )
    for row in rows:
        assert row["state"] == "pending" and row["event"] == "filed"
        if row["lead_id"] == urgent:
            assert row["urgent"] and row["not_before"] == NOW + timedelta(seconds=10)
        else:
            assert not row["urgent"] and row["not_before"] == NOW + timedelta(seconds=300)


def test_a_lead_and_its_notification_commit_together_or_not_at_all(sessions):
    class Broken(Outbox):
        def enqueue(self, session, **kw):
            super().enqueue(session, **kw)
            raise RuntimeError("the database went away after the outbox insert")

    service = LeadService(sessions, SECRET, outbox=Broken([robot_route("http://x")], 0))
    with pytest.raises(RuntimeError):
        service.file(draft("c"))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(leads)) == 0
    assert outbox_rows(sessions) == []


def test_a_region_without_a_route_files_the_lead_and_writes_no_row(sessions):
    service = LeadService(sessions, SECRET, outbox=Outbox([robot_route("http://x", region="371302")], 0))
    assert service.file(draft("d")).created
    assert outbox_rows(sessions) == []


def test_routes_come_from_the_settings_as_json(monkeypatch):
    monkeypatch.setenv(
        "JIUZHU_NOTIFY_ROUTES",
        '[{"name": "r1", "region": "220104", "channel": "wecom_robot", "key": "SECRETKEY42"},'
        ' {"name": "s1", "region": "220104", "audience": "supervisor", "channel": "sms", "phones": ["13800000000"]}]',
    )
    routes = Settings().notify_routes
    assert [(r.name, r.audience) for r in routes] == [("r1", "office"), ("s1", "supervisor")]
    assert "SECRETKEY42" not in repr(routes[0])  # the key is a secret


@pytest.mark.parametrize(
    "routes, problem",
    [
        ('[{"name": "r", "channel": "wecom_robot"}]', "webhook key"),
        ('[{"name": "s", "channel": "sms"}]', "phones"),
        ('[{"name": "t", "channel": "wechat_template", "open_ids": ["o"]}]', "template_id"),
        (
            '[{"name": "a", "channel": "sms", "phones": ["13800000000"]}, {"name": "a", "channel": "sms", "phones": ["13800000000"]}]',
            "own name",
        ),
        ('[{"name": "r", "region": "22A", "channel": "sms", "phones": ["13800000000"]}]', "region"),
    ],
)
def test_a_route_missing_what_its_channel_needs_is_refused_at_start(monkeypatch, routes, problem):
    monkeypatch.setenv("JIUZHU_NOTIFY_ROUTES", routes)
    with pytest.raises(ValueError, match=problem):
        Settings()


def test_the_lease_must_outlast_a_send(monkeypatch):
    monkeypatch.setenv("JIUZHU_NOTIFY_LEASE_SECONDS", "10")
    monkeypatch.setenv("JIUZHU_NOTIFY_SEND_TIMEOUT_SECONDS", "10")
    with pytest.raises(ValueError, match="notify_lease_seconds"):
        Settings()
