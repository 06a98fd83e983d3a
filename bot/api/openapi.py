"""The OpenAPI 3 document of /api/v1, with the household schema taken from the pydantic model."""

from __future__ import annotations

from functools import lru_cache

from bot.eligibility.inputs import Household
from bot.leads.draft import LeadDraft

REF = "#/components/schemas/{model}"


def _error_schema() -> dict:
    return {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "message_zh"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string", "description": "precise, for programs"},
                    "message_zh": {"type": "string", "description": "for people"},
                    "fields": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "field": {"type": "string", "example": "members[0].age"},
                                "message": {"type": "string"},
                                "message_zh": {"type": "string"},
                            },
                        },
                    },
                },
            }
        },
    }


def _json(schema_ref: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": schema_ref}}}}


DATE_PARAM = {
    "name": "date",
    "in": "query",
    "required": False,
    "description": "the date whose parameters apply (YYYY-MM-DD); default today",
    "schema": {"type": "string", "format": "date"},
}


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    household = Household.schema(ref_template=REF)
    schemas = household.pop("definitions", {})
    schemas["Household"] = household
    schemas["Error"] = _error_schema()
    schemas["ScreeningResult"] = {
        "type": "object",
        "description": "primary category, findings with verdicts, reasons and citations, the next question, "
        "assistance, the parameters used with their sources, notes",
        "properties": {
            "decided": {"type": "boolean"},
            "primary": {"type": "string", "nullable": True, "enum": ["tekun", "dibao", "near_dibao", "rigid_expense"]},
            "summary": {"type": "string"},
            "findings": {"type": "array", "items": {"type": "object"}},
            "missing": {"type": "array", "items": {"type": "string"}},
            "next_question": {"type": "object", "nullable": True},
            "specialised_assistance": {"type": "array", "items": {"type": "object"}},
            "temporary_assistance": {"type": "array", "items": {"type": "object"}},
            "parameters": {"type": "array", "items": {"type": "object"}},
            "standard": {
                "type": "object",
                "nullable": True,
                "description": "the 低保标准 used: value, region it came from, basis (standard|floor|average), "
                "grade (A|B|C), source, url, quote, origin (seed|staff|stated)",
            },
            "standard_used": {"type": "string", "nullable": True, "description": "that standard in plain Chinese"},
            "standard_ranges": {
                "type": "object",
                "nullable": True,
                "description": "where the standard used is a floor, an average or old: the ranges of the real "
                "standard at which the verdict changes ({primary, low, high, low_included}) and their text",
            },
            "uses_example_values": {"type": "boolean"},
            "notes": {"type": "array", "items": {"type": "string"}},
            "trace": {"type": "array", "items": {"type": "string"}},
        },
    }
    draft = LeadDraft.schema(ref_template=REF)
    schemas.update(draft.pop("definitions", {}))
    schemas["LeadDraft"] = draft
    bad = _json("#/components/schemas/Error", "bad input: the field and what is wrong, in Chinese and English")
    err = lambda text: _json("#/components/schemas/Error", text)  # noqa: E731
    secured = {"security": [{"staffToken": []}]}
    lead_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    filters = [
        {"name": n, "in": "query", "required": False, "schema": {"type": "string"}, "description": d}
        for n, d in [
            ("state", "new|claimed|visiting|pending|resolved|closed|merged"),
            ("cause", "illness|schooling|…"),
            (
                "kind",
                "the emergency's kind group: self_harm|violence|fire|disaster|sudden_illness|accident|stranded|"
                "missing|sudden_loss|other (other also takes kinds no group names)",
            ),
            ("severity", "life_threatening|urgent|normal"),
            ("region", "code prefix"),
            ("overdue", "true|false"),
        ]
    ]
    lead_paths = {
        "/api/v1/leads": {
            "post": {
                **secured,
                "summary": "file a lead in the caller's region (idempotent per caller and idempotency_key; merged into "
                "the household's open lead when the caller may see it)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LeadDraft"}}},
                },
                "responses": {
                    "201": {"description": "filed"},
                    "200": {"description": "this caller filed this key before, with the same draft: the same lead"},
                    "400": bad,
                    "401": err("no or bad token"),
                    "403": err("the region is outside the caller's"),
                    "409": err("idempotency_conflict: this caller used the key for a different draft"),
                    "429": err("too many wrong tokens from this address; see Retry-After"),
                    "503": err("database unavailable: nothing was accepted, retry with the same key"),
                },
            },
            "get": {
                **secured,
                "summary": "leads the caller may see, most severe and soonest due first",
                "parameters": filters,
                "responses": {"200": {"description": "{leads: [...]}"}, "400": bad, "401": err("no or bad token")},
            },
        },
        "/api/v1/leads/export.csv": {
            "get": {
                **secured,
                "summary": "the same list as CSV (UTF-8 with BOM)",
                "parameters": filters,
                "responses": {"200": {"description": "text/csv"}},
            }
        },
        "/api/v1/leads/{id}": {
            "get": {
                **secured,
                "summary": "a lead with its history",
                "parameters": [lead_id],
                "responses": {
                    "200": {"description": "{lead, history}"},
                    "403": err("another region"),
                    "404": err("no such lead"),
                },
            }
        },
        "/api/v1/leads/{id}/claim": {
            "post": {
                **secured,
                "summary": "claim a new lead (atomic: one of concurrent claims wins)",
                "parameters": [lead_id],
                "responses": {"200": {"description": "claimed"}, "409": err("already claimed or changed")},
            }
        },
        "/api/v1/leads/{id}/transitions": {
            "post": {
                **secured,
                "summary": "move a lead: {to_state, note, outcome (required to resolve)}",
                "parameters": [lead_id],
                "responses": {
                    "200": {"description": "moved"},
                    "400": bad,
                    "409": err("not allowed from the current state"),
                },
            }
        },
        "/api/v1/leads/{id}/referrals": {
            "post": {
                **secured,
                "summary": "refer to a department: {department: 教育|医保|住建|人社|应急|残联, note}",
                "parameters": [lead_id],
                "responses": {"200": {"description": "recorded in the history"}, "400": bad},
            }
        },
        "/api/v1/leads/{id}/merge": {
            "post": {
                **secured,
                "summary": "merge into another open lead: {into, note}",
                "parameters": [lead_id],
                "responses": {"200": {"description": "merged"}, "409": err("not allowed")},
            }
        },
    }
    window = [
        {"name": "period", "in": "query", "required": False, "schema": {"type": "string", "enum": ["day", "week"]}},
        {
            "name": "days",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": 366},
            "description": "how far back; default 30 (day) or 84 (week)",
        },
    ]
    dashboard_paths = {
        "/api/v1/dashboard": {
            "get": {
                **secured,
                "summary": "supervisor figures for the caller's region (county supervisors and admins): leads by cause, "
                "kind, severity and township per period; due-time compliance and medians; open and overdue by "
                "township; conversations, pre-screens, verdicts, emergencies, fallback rate; handoffs and waiting "
                "time. A figure whose source is absent carries `missing`",
                "parameters": window,
                "responses": {
                    "200": {
                        "description": "{region, period, since, until, figures: [{key, title, columns, rows, note, missing}]}"
                    },
                    "400": bad,
                    "401": err("no or bad token"),
                    "403": err("dashboard_forbidden: township staff"),
                },
            }
        },
        "/api/v1/dashboard/export.csv": {
            "get": {
                **secured,
                "summary": "one figure (figure=by_cause|by_kind|by_severity|by_township|compliance|open_by_township|"
                "conversations|verdicts|handoffs) as CSV (UTF-8 with BOM, Chinese headers); without figure, all of them",
                "parameters": window
                + [{"name": "figure", "in": "query", "required": False, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "text/csv"}, "400": bad, "403": err("township staff")},
            }
        },
    }
    call_id = {"name": "call_id", "in": "path", "required": True, "schema": {"type": "string"}}
    call_paths = {
        "/api/v1/calls": {
            "post": {
                **secured,
                "summary": "start assisting a 12345 call: {call_id, operator} (idempotent)",
                "responses": {"201": {"description": "{call}"}, "400": bad, "401": err("no or bad token")},
            }
        },
        "/api/v1/calls/{call_id}": {
            "get": {
                **secured,
                "summary": "the call: summary, category, lead_id",
                "parameters": [call_id],
                "responses": {"200": {"description": "{call}"}, "404": err("no such call")},
            },
            "patch": {
                **secured,
                "summary": "the operator edits {summary, category}",
                "parameters": [call_id],
                "responses": {"200": {"description": "{call}"}, "400": bad, "404": err("no such call")},
            },
        },
        "/api/v1/calls/{call_id}/utterances": {
            "post": {
                **secured,
                "parameters": [call_id],
                "summary": "one utterance from ASR: {seq, speaker: caller|operator, text}; a resent seq is not heard twice",
                "responses": {
                    "200": {
                        "description": "{suggestions: [≤3 {article, title, text, citations, confidence}], next_question, "
                        "facts, urgency: {kind, severity, reason, advice} | null, lead_draft | null, screening}"
                    },
                    "400": bad,
                    "404": err("no such call"),
                    "409": err("the call has ended"),
                },
            }
        },
        "/api/v1/calls/{call_id}/end": {
            "post": {
                **secured,
                "summary": "end the call: suggested summary and ticket category",
                "parameters": [call_id],
                "responses": {"200": {"description": "{call}"}, "404": err("no such call")},
            }
        },
        "/api/v1/calls/{call_id}/lead": {
            "post": {
                **secured,
                "parameters": [call_id],
                "summary": "file the call's lead draft into the warning queue, with the operator's changes (any LeadDraft field "
                "but idempotency_key/source_channel/conversation_id); once per call. Without a region code "
                "(or with a place name instead) the lead is filed with region 000000 for an admin to route",
                "responses": {"201": {"description": "{lead_id}"}, "400": bad, "404": err("no such call")},
            }
        },
    }
    handoff_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    gone = err("handed back already, or claimed by someone else")
    handoff_paths = {
        "/api/v1/handoffs": {
            "get": {
                **secured,
                "summary": "conversations waiting for a person (转人工) in the caller's region: urgent first, newest first; "
                "each with its masked transcript. Requests without a region are for admins",
                "responses": {"200": {"description": "{handoffs: [{id, channel, urgent, region, transcript, …}]}"}},
            }
        },
        "/api/v1/handoffs/{id}": {
            "get": {
                **secured,
                "summary": "one request and the messages of the takeover after message `after` (the console polls this)",
                "parameters": [
                    handoff_id,
                    {"name": "after", "in": "query", "required": False, "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": {"description": "{handoff, messages}"},
                    "403": err("another region"),
                    "404": err("no such request"),
                },
            }
        },
        "/api/v1/handoffs/{id}/claim": {
            "post": {
                **secured,
                "parameters": [handoff_id],
                "summary": "take the conversation (one person at a time; claiming it again is a no-op)",
                "responses": {"200": {"description": "{handoff}"}, "403": err("another region"), "409": gone},
            }
        },
        "/api/v1/handoffs/{id}/messages": {
            "post": {
                **secured,
                "parameters": [handoff_id],
                "summary": "{text}: a reply to the resident in their channel (web chat: pushed to the page; WeChat: the "
                "customer-service API within 48 hours of the resident's latest message). Stored, marked with its author",
                "responses": {
                    "201": {"description": "{message}"},
                    "400": bad,
                    "403": err("another region"),
                    "409": err(
                        "not claimed by the caller, handed back, or the channel cannot carry it (WeChat's 48 hours)"
                    ),
                },
            }
        },
        "/api/v1/handoffs/{id}/resume": {
            "post": {
                **secured,
                "parameters": [handoff_id],
                "summary": "hand the conversation back to the assistant (Rasa's resume event), then tell the resident",
                "responses": {
                    "200": {"description": "{handoff}"},
                    "403": err("another region"),
                    "409": gone,
                    "503": err("Rasa did not resume: the request stays open, retry"),
                },
            }
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "jiuzhu 救助 API", "version": "1"},
        "paths": {
            "/api/v1/health": {"get": {"summary": "liveness", "responses": {"200": {"description": "ok"}}}},
            "/api/v1/screenings": {
                "post": {
                    "summary": "pre-screen a household (advice, not a decision)",
                    "parameters": [DATE_PARAM],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Household"}}},
                    },
                    "responses": {"200": _json("#/components/schemas/ScreeningResult", "the screening"), "400": bad},
                }
            },
            "/api/v1/regions": {
                "get": {
                    "summary": "regions with parameters",
                    "responses": {"200": {"description": "list of {code, name, parent}"}},
                }
            },
            "/api/v1/regions/{code}/parameters": {
                "get": {
                    "summary": "the parameter values in force on a date, each with its source",
                    "parameters": [
                        {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}},
                        DATE_PARAM,
                    ],
                    "responses": {
                        "200": {"description": "values with source, effective date and example flag"},
                        "400": bad,
                        "404": _json("#/components/schemas/Error", "no such region"),
                    },
                }
            },
            "/api/v1/regions/{code}/standards": {
                "get": {
                    "summary": "the region's 低保标准: in force on a date (with origin seed|staff), its history, what staff entered",
                    "parameters": [
                        {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}},
                        DATE_PARAM,
                    ],
                    "responses": {
                        "200": {"description": "in_force, history and entered"},
                        "400": bad,
                        "404": _json("#/components/schemas/Error", "no such region"),
                    },
                },
                "post": {
                    "summary": "enter a new standard (county supervisor or admin of the region); kept as history",
                    **secured,
                    "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["parameter", "value", "since", "document"],
                                    "properties": {
                                        "parameter": {
                                            "type": "string",
                                            "enum": ["dibao_standard_urban", "dibao_standard_rural"],
                                        },
                                        "value": {
                                            "type": "number",
                                            "description": "元/人·月, within the plausible range",
                                        },
                                        "since": {
                                            "type": "string",
                                            "format": "date",
                                            "description": "after the region's latest value",
                                        },
                                        "document": {"type": "string", "maxLength": 200, "description": "文号"},
                                        "url": {"type": "string", "maxLength": 500},
                                    },
                                    "additionalProperties": False,
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": {"description": "the entry, with who entered it and when"},
                        "400": bad,
                        "401": err("no valid staff token"),
                        "403": err("not a county supervisor or admin of this region"),
                    },
                },
            },
            "/api/v1/openapi.json": {
                "get": {"summary": "this document", "responses": {"200": {"description": "OpenAPI 3"}}}
            },
            **lead_paths,
            **dashboard_paths,
            **call_paths,
            **handoff_paths,
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "staffToken": {"type": "http", "scheme": "bearer", "description": "python -m bot staff add …"}
            },
        },
    }
