"""The OpenAPI 3 document of /api/v1, with the household schema taken from the pydantic model."""
from __future__ import annotations

from functools import lru_cache

from bot.eligibility.inputs import Household

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
    "name": "date", "in": "query", "required": False,
    "description": "the date whose parameters apply (YYYY-MM-DD); default today",
    "schema": {"type": "string", "format": "date"},
}  # fmt: skip


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
            "uses_example_values": {"type": "boolean"},
            "notes": {"type": "array", "items": {"type": "string"}},
            "trace": {"type": "array", "items": {"type": "string"}},
        },
    }
    bad = _json("#/components/schemas/Error", "bad input: the field and what is wrong, in Chinese and English")
    return {
        "openapi": "3.0.3",
        "info": {"title": "jiuzhu 救助 API", "version": "1"},
        "paths": {
            "/api/v1/health": {"get": {"summary": "liveness", "responses": {"200": {"description": "ok"}}}},
            "/api/v1/screenings": {
                "post": {
                    "summary": "pre-screen a household (advice, not a decision)",
                    "parameters": [DATE_PARAM],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Household"}}}},
                    "responses": {"200": _json("#/components/schemas/ScreeningResult", "the screening"), "400": bad},
                }
            },
            "/api/v1/regions": {
                "get": {"summary": "regions with parameters", "responses": {"200": {"description": "list of {code, name, parent}"}}}
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
            "/api/v1/openapi.json": {"get": {"summary": "this document", "responses": {"200": {"description": "OpenAPI 3"}}}},
        },
        "components": {"schemas": schemas},
    }
