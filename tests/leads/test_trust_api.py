"""Issue 12 through the staff API, on real SQLite and PostgreSQL: hostile bodies are a 400 (never a
5xx) and leave nothing stored, a filer stays in its region and owns its keys, and a database error
logs no personal data."""

from __future__ import annotations

import io
import json
import logging

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from bot.api.app import create_app
from bot.api.errors import dumps
from bot.leads import LeadService, StaffRole, StaffService

SECRET = b"trust-api-secret"
ID_NUMBER, PHONE = "110101199003074518", "13912345678"


@pytest.fixture
async def api(sessions):
    staff = StaffService(sessions)
    tokens = {
        name: staff.create(name, "办公室", region, role)[1]
        for name, region, role in [
            ("town", "220104001", StaffRole.township_staff),
            ("county", "220104", StaffRole.county_supervisor),
            ("shandong", "371302001", StaffRole.township_staff),
            ("admin", "22", StaffRole.admin),
        ]
    }
    async with TestClient(TestServer(create_app(leads=LeadService(sessions, SECRET), staff=staff))) as client:
        client.tokens = tokens
        client.sessions = sessions
        yield client


def auth(api, who):
    return {"Authorization": f"Bearer {api.tokens[who]}"}


def body(key="k-1", region="220104001", **extra):
    return {
        "idempotency_key": key,
        "source_channel": "staff",
        "cause": "illness",
        "severity": "urgent",
        "description": "家人突发重病",
        "region": region,
        **extra,
    }


def stored(api) -> int:
    with api.sessions() as session:
        return session.execute(text("SELECT COUNT(*) FROM leads")).scalar_one()


async def post_raw(api, path, raw: str, who="town"):
    headers = {**auth(api, who), "Content-Type": "application/json"}
    return await api.post(path, data=raw.encode("utf-8", "surrogatepass"), headers=headers)


# --- 5 and 7: poison and malformed input ------------------------------------------------------------------
POISON = {
    "lone surrogate in screening": json.dumps(body(screening={"x": "\ud800"})),
    "escaped lone surrogate": json.dumps(body(screening={"x": "a"})).replace('"a"', '"\\ud800"'),
    "NUL in the description": json.dumps(body(description="a\u0000b")),
    "escape in the place": json.dumps(body(place="前进\u001b[2J")),
    "NaN in screening": json.dumps(body(screening={"income": float("nan")})),
    "Infinity in screening": json.dumps(body(screening={"income": float("inf")})),
    "nested 1000 deep": json.dumps(body()).replace('"staff"', '"staff", "screening": ' + "[" * 1000 + "]" * 1000),
    "nested 25 deep": json.dumps(body(screening={"a": json.loads("[" * 25 + "]" * 25)})),
    "region with a newline": json.dumps(body(region="220104001\n")),
    "region in Arabic-Indic digits": json.dumps(body(region="٢٢٠١٠٤٠٠١")),
    "description too long": json.dumps(body(description="很" * 2001)),
    "place too long": json.dumps(body(place="很" * 201)),
    "key too long": json.dumps(body(key="k" * 201)),
    "description a number": json.dumps(body(description=12)),
    "description an object": json.dumps(body(description={"a": 1})),
    "contact name a list": json.dumps(body(contact={"name": ["x"]}, consent=True)),
    "screening integer beyond 64 bits": json.dumps(body(screening={"n": 2**70})),
    "screening huge": json.dumps(body(screening={"n": "很" * 30_000})),
}


@pytest.mark.parametrize("name", sorted(POISON))
async def test_poison_is_refused_with_a_chinese_400_and_nothing_is_stored(api, name):
    resp = await post_raw(api, "/api/v1/leads", POISON[name])
    answer = await resp.json()
    assert resp.status == 400, (resp.status, answer)
    assert answer["error"]["code"] and answer["error"]["message_zh"]
    assert stored(api) == 0
    for who in ("town", "county", "admin"):
        listed = await api.get("/api/v1/leads", headers=auth(api, who))
        assert listed.status == 200
        export = await api.get("/api/v1/leads/export.csv", headers=auth(api, who))
        assert export.status == 200


@pytest.mark.parametrize(
    "path,payload",
    [
        ("/api/v1/leads/{big}", None),
        ("/api/v1/leads/{big}/claim", {}),
        ("/api/v1/leads/{big}/transitions", {"to_state": "claimed"}),
        ("/api/v1/leads/{big}/merge", {"into": 1}),
        ("/api/v1/leads/{id}/merge", {"into": 2**70}),
        ("/api/v1/leads/{id}/merge", {"into": -1}),
        ("/api/v1/leads/{id}/transitions", {"to_state": ["new"]}),
        ("/api/v1/leads/{id}/transitions", {"to_state": "visiting", "note": {"a": 1}}),
        ("/api/v1/leads/{id}/transitions", {"to_state": "visiting", "note": "a\u0000"}),
        ("/api/v1/leads/{id}/transitions", {"to_state": "resolved", "outcome": 5}),
        ("/api/v1/leads/{id}/transitions", {"to_state": "resolved", "outcome": "很" * 2001}),
        ("/api/v1/leads/{id}/referrals", {"department": ["医保"]}),
        ("/api/v1/leads/{id}/referrals", {"department": "医保", "note": "很" * 2001}),
    ],
)
async def test_ids_and_fields_out_of_range_are_a_400(api, path, payload):
    filed = await api.post("/api/v1/leads", json=body(), headers=auth(api, "town"))
    lead_id = (await filed.json())["lead"]["id"]
    await api.post(f"/api/v1/leads/{lead_id}/claim", headers=auth(api, "town"))
    url = path.format(big=2**70, id=lead_id)
    resp = await (
        api.get(url, headers=auth(api, "town"))
        if payload is None
        else api.post(url, json=payload, headers=auth(api, "town"))
    )
    assert resp.status == 400, (resp.status, await resp.text())
    assert (await resp.json())["error"]["message_zh"]
    lead = await (await api.get(f"/api/v1/leads/{lead_id}", headers=auth(api, "town"))).json()
    assert lead["lead"]["state"] == "claimed" and len(lead["history"]) == 2


def test_responses_never_carry_nan():
    out = dumps({"a": float("nan"), "b": [float("inf"), 1.5], "c": "\ud800"})
    assert "NaN" not in out and "Infinity" not in out
    assert json.loads(out)["a"] is None
    out.encode("utf-8")  # a lone surrogate goes out escaped, not as an unencodable character


# --- 1 and 2: keys and regions --------------------------------------------------------------------------
async def test_replaying_another_regions_key_reveals_nothing(api):
    first = await api.post(
        "/api/v1/leads",
        json=body("wx-7", contact={"name": "刘女士", "phone": PHONE}, consent=True),
        headers=auth(api, "town"),
    )
    assert first.status == 201
    replay = await api.post("/api/v1/leads", json=body("wx-7", region="371302001"), headers=auth(api, "shandong"))
    answer = await replay.json()
    assert replay.status == 201 and answer["lead"]["id"] != (await first.json())["lead"]["id"]
    assert PHONE not in json.dumps(answer) and "刘女士" not in json.dumps(answer, ensure_ascii=False)


async def test_filing_into_another_region_is_403_and_stores_nothing(api):
    resp = await api.post("/api/v1/leads", json=body(region="220104001"), headers=auth(api, "shandong"))
    assert resp.status == 403 and (await resp.json())["error"]["message_zh"]
    assert stored(api) == 0


async def test_a_replay_with_another_payload_is_409(api):
    assert (await api.post("/api/v1/leads", json=body("r"), headers=auth(api, "town"))).status == 201
    assert (await api.post("/api/v1/leads", json=body("r"), headers=auth(api, "town"))).status == 200
    changed = await api.post("/api/v1/leads", json=body("r", severity="normal"), headers=auth(api, "town"))
    assert changed.status == 409 and (await changed.json())["error"]["code"] == "idempotency_conflict"


async def test_a_phone_in_another_province_is_neither_revealed_nor_escalated(api):
    jilin = await api.post(
        "/api/v1/leads",
        json=body("j", severity="normal", contact={"phone": PHONE}, consent=True),
        headers=auth(api, "town"),
    )
    jilin_id = (await jilin.json())["lead"]["id"]
    probe = await api.post(
        "/api/v1/leads",
        json=body("p", region="371302001", severity="life_threatening", contact={"phone": PHONE}, consent=True),
        headers=auth(api, "shandong"),
    )
    assert (await probe.json())["merged_into"] is None
    lead = await (await api.get(f"/api/v1/leads/{jilin_id}", headers=auth(api, "town"))).json()
    assert lead["lead"]["severity"] == "normal"


# --- 8: no personal data in logs ------------------------------------------------------------------------
_REFUSE_INSERTS = {
    "sqlite": ["CREATE TRIGGER refuse_leads BEFORE INSERT ON leads BEGIN SELECT RAISE(ABORT, 'forced failure'); END"],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION refuse_leads() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'forced failure'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_leads BEFORE INSERT ON leads FOR EACH ROW EXECUTE FUNCTION refuse_leads()",
    ],
}


async def test_a_database_error_logs_no_id_number_or_phone(api, caplog):
    said = f"身份证{ID_NUMBER}，电话{PHONE}"
    with api.sessions.begin() as session:
        for statement in _REFUSE_INSERTS[session.bind.dialect.name]:
            session.execute(text(statement))
    root, captured = logging.getLogger(), io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setLevel(logging.DEBUG)
    root.addHandler(handler)
    caplog.set_level(logging.DEBUG)  # SQLAlchemy's own statement log included
    try:
        resp = await api.post(
            "/api/v1/leads",
            json=body(
                key=said,
                description=said,
                place=said[:60],
                conversation_id=said,
                screening={"said": said},
                contact={"name": said[:50], "phone": PHONE, "address": said, "id_number": ID_NUMBER},
                consent=True,
            ),
            headers=auth(api, "town"),
        )
    finally:
        root.removeHandler(handler)
    assert resp.status == 503  # the forced failure really happened and was logged
    logged = caplog.text + captured.getvalue() + "".join(repr(r.__dict__) for r in caplog.records)
    assert "forced failure" in logged
    for secret in (ID_NUMBER, PHONE, "19900307"):
        assert secret not in logged
