"""Every JSON endpoint of the OpenAPI document, fuzzed on real SQLite and PostgreSQL: no body answers
5xx, and a refused body (4xx) stores nothing in any of our tables.

Bodies start from a valid request for the endpoint with fields replaced by hostile values (lone
surrogates, NUL and other controls, full-width and Arabic-Indic digits, NaN/Infinity, integers beyond 64
bits, nesting 30–1000 deep, over-long text, wrong types), or are arbitrary JSON or bytes. CI runs
≥ 2,000 bodies per endpoint (`CI=true`); locally `JIUZHU_FUZZ_EXAMPLES` (default 40).
"""

from __future__ import annotations

import json
import os
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from bot.api.app import create_app
from bot.api.openapi import openapi_document
from bot.db import metadata
from bot.handoff import HandoffService
from bot.hotline import CallService
from bot.leads import LeadService, StaffRole, StaffService

EXAMPLES = 2000 if os.environ.get("CI") == "true" else int(os.environ.get("JIUZHU_FUZZ_EXAMPLES", "40"))
JSON_METHODS = ("post", "put", "patch")
ENDPOINTS = sorted(
    (method, path)
    for path, operations in openapi_document()["paths"].items()
    for method in operations
    if method in JSON_METHODS
)
LEAD = {
    "idempotency_key": "fuzz-1",
    "source_channel": "staff",
    "cause": "illness",
    "severity": "urgent",
    "description": "家人突发重病",
    "region": "220104001",
    "place": "前进街道",
    "contact": {"name": "刘女士", "phone": "13912345678", "address": "幸福路12号"},
    "consent": True,
    "screening": {"members": [{"age": 40}]},
}
# A valid body per endpoint, the fuzzer's starting point; an endpoint not listed starts from {}.
VALID = {
    ("post", "/api/v1/leads"): LEAD,
    ("post", "/api/v1/regions/{code}/standards"): {
        "parameter": "dibao_standard_urban",
        "value": 900,
        "since": "2026-12-01",
        "document": "朝民发〔2026〕1号",
    },
    ("post", "/api/v1/leads/{id}/transitions"): {"to_state": "visiting", "note": "入户", "outcome": "已办"},
    ("post", "/api/v1/leads/{id}/referrals"): {"department": "医保", "note": "申请"},
    ("post", "/api/v1/leads/{id}/merge"): {"into": 1, "note": "同一户"},
    ("post", "/api/v1/calls"): {"call_id": "fuzz-call", "operator": "王"},
    ("patch", "/api/v1/calls/{call_id}"): {"summary": "来电咨询", "category": "低保"},
    ("post", "/api/v1/calls/{call_id}/utterances"): {"seq": 1, "speaker": "caller", "text": "我家有困难"},
    ("post", "/api/v1/calls/{call_id}/lead"): {k: v for k, v in LEAD.items() if k in ("cause", "severity", "region")},
    ("post", "/api/v1/screenings"): {"region": "220104", "size": 3, "monthly_income": 1200},
}

hostile_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["\ud800", "a\udfffb", "\x00", "a\x00b", "\x1b[2J", "\x7f", "\u0085", "220104\n", "２２０１０４"]),
    st.sampled_from(["٢٢٠١٠٤", "\u202e", "'; DROP TABLE leads;--", "=cmd|' /C calc'!A0", "很" * 2100, "k" * 300]),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x3FF), max_size=40),
)
hostile_numbers = st.one_of(
    st.integers(),
    st.sampled_from([2**63, 2**64 + 1, 2**70, -(2**63) - 1, 10**30, 0, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(st.none(), st.booleans(), hostile_numbers, hostile_text)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(hostile_text, children, max_size=3),
    max_leaves=12,
)
deep = st.integers(min_value=21, max_value=1200).map(lambda n: json.loads("[" * n + "]" * n) if n < 900 else None)


def _deep_raw(n: int) -> str:
    return "[" * n + "]" * n


def _with_fields(valid: dict):
    keys = sorted(set(valid) | {"contact", "screening", "to_state", "into", "seq", "note", "extra"})
    return st.dictionaries(st.sampled_from(keys), st.one_of(json_values, deep), max_size=4).map(
        lambda changes: {**valid, **changes}
    )


def bodies(endpoint):
    """Raw request bodies (bytes) for one endpoint."""
    valid = VALID.get(endpoint, {})
    as_json = st.one_of(_with_fields(valid), json_values, st.just(valid)).map(
        lambda value: json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    )
    raw = st.one_of(
        st.binary(max_size=60),
        st.integers(min_value=21, max_value=5000).map(lambda n: ('{"a": ' + _deep_raw(n) + "}").encode()),
        st.sampled_from([b'{"a": NaN}', b'{"description": Infinity}', b"\xff\xfe", b"", b"null", b"[]", b'"x"']),
    )
    return st.one_of(as_json, as_json, as_json, raw)


path_ids = st.one_of(
    st.just("{own}"),
    st.integers(min_value=0, max_value=2**80).map(str),
    st.sampled_from(["１", "٣", "-1", "1e3", "%00", "%ED%A0%80"]),
)


async def _row_counts(sessions) -> dict:
    with sessions() as session:
        return {name: session.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one() for name in metadata.tables}


@pytest.fixture
async def api(sessions):
    staff = StaffService(sessions)
    token = staff.create("李干事", "前进街道", "220104001", StaffRole.township_staff)[1]
    # Standards are entered by a county supervisor: their route is fuzzed with one, past the role check.
    supervisor = staff.create("王科长", "朝阳区民政局", "220104", StaffRole.county_supervisor)[1]
    leads = LeadService(sessions, b"fuzz-secret")
    app = create_app(
        leads=leads, staff=staff, calls=CallService(sessions, leads), handoff_service=HandoffService(sessions)
    )
    async with TestClient(TestServer(app)) as client:
        client.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        client.supervisor_headers = {**client.headers, "Authorization": f"Bearer {supervisor}"}
        client.sessions = sessions
        served = await (await client.get("/api/v1/openapi.json")).json()
        assert sorted((m, p) for p, ops in served["paths"].items() for m in ops if m in JSON_METHODS) == ENDPOINTS
        yield client


async def _own_ids(api) -> dict:
    lead = await api.post("/api/v1/leads", data=json.dumps({**LEAD, "idempotency_key": "own"}), headers=api.headers)
    call = await api.post("/api/v1/calls", data=json.dumps({"call_id": "own-call"}), headers=api.headers)
    assert lead.status in (200, 201) and call.status in (200, 201)
    return {"id": str((await lead.json())["lead"]["id"]), "call_id": "own-call"}


def test_every_json_endpoint_is_fuzzed():
    assert len(ENDPOINTS) >= 10 and ("post", "/api/v1/leads") in ENDPOINTS


COUNTS: dict = {}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e[0]} {e[1]}")
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data(), ident=path_ids)
async def test_no_body_yields_a_5xx_and_a_refusal_stores_nothing(api, endpoint, data, ident):
    method, template = endpoint
    if not hasattr(api, "own"):
        api.own = await _own_ids(api)
    raw = data.draw(bodies(endpoint), label="body")
    path = template
    for name in ("id", "call_id"):
        value = api.own[name] if ident == "{own}" else ident
        path = path.replace("{" + name + "}", value if value.startswith("%") else quote(value, safe=""))
    headers = api.headers
    if "{code}" in path:
        path, headers = (
            path.replace("{code}", "220104" if ident == "{own}" else quote(ident, safe="")),
            api.supervisor_headers,
        )
    before = await _row_counts(api.sessions)
    resp = await api.request(method.upper(), path, data=raw, headers=headers)
    answer = await resp.text()
    key = f"{method.upper()} {template} [{api.sessions.kw['bind'].dialect.name}]"
    COUNTS[key] = COUNTS.get(key, 0) + 1
    assert resp.status < 500, (resp.status, raw[:200], answer[:300])
    if resp.status >= 400:
        assert await _row_counts(api.sessions) == before, (resp.status, raw[:200])
    if resp.content_type == "application/json":
        json.loads(answer, parse_constant=lambda name: pytest.fail(f"bare {name} in the answer"))


def test_fuzz_counts_are_reported():
    """Runs after the fuzz cases (file order): how many bodies each endpoint got, for the report."""
    for key, count in sorted(COUNTS.items()):
        print(f"fuzz {key}: {count} bodies, none answered 5xx")
