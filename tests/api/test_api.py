"""The HTTP API over the same engine: worked examples, regions, parameters, and bad input → 400."""

from __future__ import annotations

import json

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.api.app import create_app


@pytest.fixture
async def client():
    async with TestClient(TestServer(create_app())) as client:
        yield client


WORKED = [
    ({"region": "220000", "area": "urban", "size": 3, "monthly_income": 1200, "assets_within_limit": True}, "dibao"),
    (
        {"region": "220000", "area": "urban", "size": 3, "monthly_income": 2400, "assets_within_limit": True},
        "near_dibao",
    ),
    (
        {
            "region": "220000",
            "area": "urban",
            "size": 4,
            "monthly_income": 6000,
            "assets_within_limit": True,
            "rigid_expense_12m": 50400,
            "income_12m": 72000,
        },
        "rigid_expense",
    ),
]


@pytest.mark.parametrize("household,primary", WORKED)
async def test_worked_examples_through_the_api(client, household, primary):
    resp = await client.post("/api/v1/screenings?date=2026-11-23", json=household)
    assert resp.status == 200
    body = await resp.json()
    assert body["primary"] == primary and body["decided"] is True
    assert any("民政部门" in note for note in body["notes"])
    assert body["uses_example_values"] is True


async def test_dibao_estimate_and_sources(client):
    resp = await client.post("/api/v1/screenings?date=2026-11-23", json=WORKED[0][0])
    body = await resp.json()
    dibao = next(f for f in body["findings"] if f["rule"] == "dibao")
    assert dibao["amounts"]["estimated_monthly"] == 480  # (吉林's lowest floor 560 − 400) × 3
    assert dibao["citations"]
    used = {p["name"]: p for p in body["parameters"]}
    standard = used["dibao_standard_urban"]
    assert (standard["example"], standard["basis"], standard["grade"], standard["region"]) == (
        False,
        "floor",
        "C",
        "220000",
    )
    assert standard["quote"] and standard["url"]
    assert body["standard"]["value"] == 560 and "不低于" in body["standard_used"]
    assert body["standard_ranges"] is None  # 400 per person is below the floor: 低保 whatever the standard
    assert "001_9f98747db78547d3.txt" in used["near_dibao_multiplier"]["source"]


async def test_need_info_names_the_next_question(client):
    resp = await client.post("/api/v1/screenings", json={"region": "220000"})
    body = await resp.json()
    assert body["decided"] is False and body["next_question"]["field"] == "size"
    assert "几口人" in body["next_question"]["text"]


async def test_regions_and_parameters_on_a_date(client):
    regions = await (await client.get("/api/v1/regions")).json()
    assert {"code": "220100", "name": "吉林省长春市", "parent": "220000"} in regions
    resp = await client.get("/api/v1/regions/220100/parameters?date=2024-04-02")
    body = await resp.json()
    assert body["chain"] == ["220100", "220000", "CN"]
    assert body["parameters"]["near_dibao_multiplier"]["value"] == 1.5
    resp = await client.get("/api/v1/regions/220100/parameters?date=2024-04-03")
    assert (await resp.json())["parameters"]["near_dibao_multiplier"]["value"] == 2


@pytest.mark.parametrize(
    "path,body,status,code,field",
    [
        ("/api/v1/screenings", b"{not json", 400, "invalid_json", None),
        ("/api/v1/screenings", b"[1, 2]", 400, "invalid_body", None),
        (
            "/api/v1/screenings",
            json.dumps({"region": "220000", "size": "三"}).encode(),
            400,
            "invalid_household",
            "size",
        ),
        (
            "/api/v1/screenings",
            json.dumps({"region": "220000", "members": [{"age": -3}]}).encode(),
            400,
            "invalid_household",
            "members[0].age",
        ),
        (
            "/api/v1/screenings",
            json.dumps({"region": "220000", "colour": "red"}).encode(),
            400,
            "invalid_household",
            "colour",
        ),
        ("/api/v1/screenings", json.dumps({"region": "999999"}).encode(), 400, "cannot_screen", None),
        ("/api/v1/screenings?date=2026-13-01", json.dumps({"region": "220000"}).encode(), 400, "invalid_date", None),
        (
            "/api/v1/screenings?date=2000-01-01",
            json.dumps({"region": "220000", "area": "urban", "size": 1, "monthly_income": 1}).encode(),
            400,
            "cannot_screen",
            None,
        ),
    ],
)
async def test_bad_input_is_a_400_with_field_and_chinese(client, path, body, status, code, field):
    resp = await client.post(path, data=body, headers={"Content-Type": "application/json"})
    assert resp.status == status
    error = (await resp.json())["error"]
    assert error["code"] == code and error["message_zh"]
    if field:
        assert field in [f["field"] for f in error["fields"]]


async def test_unknown_region_parameters_is_404_json(client):
    resp = await client.get("/api/v1/regions/000000/parameters")
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "unknown_region"


async def test_openapi_document_describes_the_household(client):
    doc = await (await client.get("/api/v1/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/screenings" in doc["paths"]
    assert "members" in doc["components"]["schemas"]["Household"]["properties"]
    assert "Member" in doc["components"]["schemas"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)
household_keys = st.sampled_from(
    [
        "region",
        "area",
        "size",
        "members",
        "monthly_income",
        "assets_within_limit",
        "rigid_expense_12m",
        "income_12m",
        "status",
        "emergency",
        "age",
        "disability_kind",
        "disability_grade",
    ]
)
fuzzed = st.one_of(
    json_values,
    st.dictionaries(household_keys, json_values, max_size=8),
    st.dictionaries(household_keys, json_values, max_size=8).map(lambda d: {**d, "region": "220000"}),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=fuzzed)
async def test_fuzzed_json_never_yields_a_500(client, payload):
    resp = await client.post(
        "/api/v1/screenings", data=json.dumps(payload), headers={"Content-Type": "application/json"}
    )
    assert resp.status in (200, 400), await resp.text()
