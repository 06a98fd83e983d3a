"""Staff keep the standards current (issue #19): who may enter one, what is refused, the history kept,
and a new value taking effect on its date in every process without a restart (real SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.api.app import create_app
from bot.eligibility import Household, screen
from bot.eligibility.engine import seed_book
from bot.hotline import CallService
from bot.leads import Forbidden, LeadService, StaffRole, StaffService
from bot.standards import LiveBook, StandardRefused, StandardsService

TODAY = dt.date(2026, 12, 7)
RAISE = {"parameter": "dibao_standard_urban", "value": 1000, "since": "2026-12-06", "document": "长民发〔2026〕9号"}


@pytest.fixture
def staff(sessions):
    service = StaffService(sessions)
    made = {
        name: service.create(name, "民政局", region, role)
        for name, region, role in (
            ("county", "220102", StaffRole.county_supervisor),
            ("city", "2201", StaffRole.county_supervisor),
            ("town", "220102001", StaffRole.township_staff),
            ("far", "371302", StaffRole.county_supervisor),
            ("admin", "37", StaffRole.admin),
        )
    }
    return {name: member for name, (member, _token) in made.items()} | {
        f"{name}_token": token for name, (_member, token) in made.items()
    }


def household(**more):
    return Household(region="220102", area="urban", size=2, monthly_income=1800, assets_within_limit=True, **more)


def test_an_entered_standard_applies_from_its_date_and_not_before(sessions, staff):
    book = LiveBook(seed_book(), sessions, refresh_seconds=0)
    entry = StandardsService(sessions).enter(staff["county"], book(), "220102", RAISE, today=TODAY)
    assert (entry.value, entry.since, entry.entered_by_name) == (Decimal(1000), dt.date(2026, 12, 6), "county")
    before = screen(household(), dt.date(2026, 12, 5), book())
    after = screen(household(), dt.date(2026, 12, 6), book())
    # 900 per person: 边缘 on 长春's floor 770 (with ranges), 低保 on the district's own 1000 (exact)
    assert before.primary == "near_dibao" and before.standard.basis == "floor" and before.standard_ranges
    assert after.primary == "dibao" and after.standard.origin == "staff" and after.standard_ranges is None
    assert after.standard.region == "220102" and "长民发〔2026〕9号" in after.standard.source
    assert after.findings[0].amounts["estimated_monthly"] == Decimal("200.00")


def test_another_process_sees_it_without_a_restart(sessions, staff):
    clock = [0.0]
    other = LiveBook(seed_book(), sessions, refresh_seconds=2, clock=lambda: clock[0])
    assert screen(household(), TODAY, other()).primary == "near_dibao"
    StandardsService(sessions).enter(staff["county"], other(), "220102", RAISE, today=TODAY)
    clock[0] = 1.0
    assert screen(household(), TODAY, other()).primary == "near_dibao"  # read at most every 2 s
    clock[0] = 2.5
    assert screen(household(), TODAY, other()).primary == "dibao"


def test_a_city_entry_reaches_its_districts_and_counties_with_files_of_their_own(sessions, staff):
    book = LiveBook(seed_book(), sessions, refresh_seconds=0)
    StandardsService(sessions).enter(staff["city"], book(), "220100", {**RAISE, "value": 980}, today=TODAY)
    assert book().value("220104", "dibao_standard_urban", TODAY).value == 980  # a district without a file
    assert book().value("220112", "dibao_standard_urban", TODAY).value == 660  # 双阳 keeps its own tier


@pytest.mark.parametrize(
    "who,region,change,field_or_forbidden",
    [
        ("town", "220102", {}, Forbidden),  # a township's staff report, they do not set standards
        ("far", "220102", {}, Forbidden),  # another county
        ("county", "220102", {"since": "2024-01-01"}, "since"),  # before the region's own latest value (set below)
        ("county", "220102", {"value": 12000}, "value"),  # an annual figure typed as monthly
        ("county", "220102", {"value": -5}, "value"),
        ("county", "220102", {"value": "一千"}, "value"),
        ("county", "220102", {"value": 1000.123}, "value"),
        ("county", "220102", {"document": " "}, "document"),
        ("county", "220102", {"url": "javascript:alert(1)"}, "url"),
        ("county", "220102", {"parameter": "near_dibao_multiplier"}, "parameter"),
        ("county", "220102", {"since": "明年"}, "since"),
        ("county", "220102", {"since": "2029-01-01"}, "since"),
        ("county", "220102", {"extra": 1}, "extra"),
        ("admin", "999999", {}, "region"),
    ],
)
def test_what_is_refused(sessions, staff, who, region, change, field_or_forbidden):
    service = StandardsService(sessions)
    body = {k: v for k, v in {**RAISE, **change}.items()}
    if field_or_forbidden == "since" and change.get("since") == "2024-01-01":
        service.enter(staff["county"], seed_book(), "220102", {**RAISE, "since": "2024-06-01"}, today=TODAY)
        book = LiveBook(seed_book(), sessions, refresh_seconds=0)()
    else:
        book = seed_book()
    before = len(service.entries())
    if field_or_forbidden is Forbidden:
        with pytest.raises(Forbidden):
            service.enter(staff[who], book, region, body, today=TODAY)
    else:
        with pytest.raises(StandardRefused) as refused:
            service.enter(staff[who], book, region, body, today=TODAY)
        assert refused.value.field == field_or_forbidden and refused.value.message_zh
    assert len(service.entries()) == before  # nothing stored


def test_history_is_kept_and_an_earlier_date_cannot_rewrite_it(sessions, staff):
    service = StandardsService(sessions)
    book = LiveBook(seed_book(), sessions, refresh_seconds=0)
    service.enter(staff["county"], book(), "220102", {**RAISE, "since": "2026-01-01", "value": 900}, today=TODAY)
    service.enter(staff["admin"], book(), "220102", RAISE, today=TODAY)
    with pytest.raises(StandardRefused):
        service.enter(staff["county"], book(), "220102", {**RAISE, "since": "2026-06-01"}, today=TODAY)
    values = [(e.value, e.since, e.entered_by_name) for e in service.entries("220102")]
    assert values == [(900, dt.date(2026, 1, 1), "county"), (1000, dt.date(2026, 12, 6), "admin")]
    assert book().value("220102", "dibao_standard_urban", dt.date(2026, 6, 1)).value == 900


@pytest.fixture
async def api(sessions, staff):
    leads = LeadService(sessions, b"x")
    app = create_app(leads=leads, staff=StaffService(sessions), calls=CallService(sessions, leads))
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_the_api_enters_shows_and_screens_with_it(api, staff):
    screening = {"region": "220102", "area": "urban", "size": 2, "monthly_income": 1800, "assets_within_limit": True}
    async with api.post("/api/v1/screenings?date=2026-12-07", json=screening) as resp:
        assert (await resp.json())["primary"] == "near_dibao"
    async with api.post("/api/v1/regions/220102/standards", json=RAISE) as resp:
        assert resp.status == 401
    auth = {"Authorization": f"Bearer {staff['town_token']}"}
    async with api.post("/api/v1/regions/220102/standards", json=RAISE, headers=auth) as resp:
        assert resp.status == 403 and (await resp.json())["error"]["message_zh"]
    auth = {"Authorization": f"Bearer {staff['county_token']}"}
    async with api.post("/api/v1/regions/220102/standards", json={**RAISE, "value": 99999}, headers=auth) as resp:
        body = await resp.json()
        assert resp.status == 400 and "value" in body["error"]["message"] and "合理范围" in body["error"]["message_zh"]
    async with api.post("/api/v1/regions/220102/standards", json=RAISE, headers=auth) as resp:
        assert resp.status == 201
        assert (await resp.json())["entered_by"]["name"] == "county"
    async with api.post("/api/v1/screenings?date=2026-12-07", json=screening) as resp:
        body = await resp.json()
        assert body["primary"] == "dibao" and body["standard"]["origin"] == "staff"
    async with api.get("/api/v1/regions/220102/standards?date=2026-12-07") as resp:
        shown = await resp.json()
    assert shown["in_force"]["dibao_standard_urban"]["value"] == 1000
    assert shown["in_force"]["dibao_standard_rural"]["origin"] == "seed"  # 长春's floor, inherited
    assert [e["document"] for e in shown["entered"]] == ["长民发〔2026〕9号"]
    async with api.get("/api/v1/regions/220100/standards") as resp:
        city = await resp.json()
    assert [v["origin"] for v in city["history"]["dibao_standard_urban"]] == ["seed"]
    assert city["history"]["dibao_standard_urban"][0]["grade"] == "C"


async def test_the_console_page_enters_and_shows_history(api, sessions, staff):
    from bot.api.auth import SESSION_COOKIE

    def cookie(who):
        return {"Cookie": f"{SESSION_COOKIE}={StaffService(sessions).open_session(staff[who])}"}

    async with api.get("/console/standards?region=220102", headers=cookie("town")) as resp:
        page = await resp.text()
    assert resp.status == 200 and "不低于此" in page and 'id="enter"' not in page  # read-only for a township
    form = {
        "region": "220102",
        "parameter": "dibao_standard_urban",
        "value": "12000",
        "since": "2026-12-06",
        "document": "长民发〔2026〕9号",
    }
    async with api.post("/console/standards", data=form, headers=cookie("county"), allow_redirects=True) as resp:
        assert "合理范围" in await resp.text()
    async with api.post(
        "/console/standards", data={**form, "value": "1000"}, headers=cookie("county"), allow_redirects=True
    ) as resp:
        page = await resp.text()
    assert "已录入" in page and "county" in page and "工作人员录入" in page and 'id="enter"' in page
