"""The OpenAPI 3 description of the Open311 API, served at /open311/v2/openapi.json (and run by schemathesis
in the tests). The schemas follow GeoReport v2's fields; the JSON answers are what is described here,
the XML answers carry the same fields as elements."""
from __future__ import annotations

from functools import lru_cache

NULLABLE_STRING = {"type": "string", "nullable": True}
DATE_TIME = {"type": "string", "format": "date-time"}


def _list(ref: str) -> dict:
    return {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}}


SCHEMAS = {
    "Error": {"type": "object", "required": ["code", "description"],
              "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}},
    "Service": {"type": "object", "required": ["service_code", "service_name", "metadata", "type"], "properties": {
        "service_code": {"type": "string"}, "service_name": {"type": "string"}, "description": NULLABLE_STRING,
        "metadata": {"type": "boolean"}, "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
        "keywords": NULLABLE_STRING, "group": NULLABLE_STRING}},
    "ServiceDefinition": {"type": "object", "required": ["service_code", "attributes"], "properties": {
        "service_code": {"type": "string"},
        "attributes": {"type": "array", "items": {
            "type": "object", "required": ["variable", "code", "datatype", "required"], "properties": {
                "variable": {"type": "boolean"}, "code": {"type": "string"},
                "datatype": {"type": "string", "enum": ["string", "number", "datetime", "text", "singlevaluelist",
                                                        "multivaluelist"]},
                "required": {"type": "boolean"}, "datatype_description": NULLABLE_STRING,
                "order": {"type": "integer", "nullable": True}, "description": NULLABLE_STRING,
                "values": {"type": "array", "items": {"type": "object", "required": ["key", "name"], "properties": {
                    "key": {"type": "string"}, "name": {"type": "string"}}}}}}}}},
    "ServiceRequest": {"type": "object", "required": ["service_request_id", "status", "service_code",
                                                      "requested_datetime"], "properties": {
        "service_request_id": {"type": "string"}, "status": {"type": "string", "enum": ["open", "closed"]},
        "status_notes": NULLABLE_STRING, "service_name": NULLABLE_STRING, "service_code": {"type": "string"},
        "description": {"type": "string", "nullable": True, "maxLength": 4000},
        "agency_responsible": NULLABLE_STRING, "service_notice": NULLABLE_STRING,
        "requested_datetime": DATE_TIME, "updated_datetime": {**DATE_TIME, "nullable": True},
        "expected_datetime": {**DATE_TIME, "nullable": True}, "address": NULLABLE_STRING,
        "address_id": NULLABLE_STRING, "zipcode": NULLABLE_STRING, "lat": {"type": "number", "nullable": True},
        "long": {"type": "number", "nullable": True}, "media_url": NULLABLE_STRING}},
    "Created": {"type": "object", "required": ["service_request_id"], "properties": {
        "service_request_id": {"type": "string"}, "service_notice": NULLABLE_STRING,
        "account_id": NULLABLE_STRING, "token": NULLABLE_STRING}},
    "Token": {"type": "object", "required": ["service_request_id", "token"], "properties": {
        "service_request_id": {"type": "string"}, "token": {"type": "string"}}},
    "RequestUpdate": {"type": "object", "required": ["update_id", "service_request_id", "status", "updated_datetime"],
                      "properties": {
        "update_id": {"type": "string"}, "service_request_id": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "closed", "fixed", "in_progress", "action_scheduled",
                                              "investigating", "reopen"]},
        "updated_datetime": DATE_TIME, "description": NULLABLE_STRING, "media_url": NULLABLE_STRING}},
    "PostedUpdate": {"type": "object", "required": ["update_id", "service_request_id"], "properties": {
        "update_id": {"type": "string"}, "service_request_id": {"type": "string"}}},
    "Discovery": {"type": "object", "required": ["endpoints"], "properties": {
        "changeset": {"type": "string"}, "contact": {"type": "string"}, "key_service": {"type": "string"},
        "endpoints": {"type": "array", "items": {"type": "object"}}}},
}


def _param(name: str, where: str = "query", *, required: bool = False, schema: dict | None = None,
           description: str = "") -> dict:
    return {"name": name, "in": where, "required": required, "schema": schema or {"type": "string"},
            "description": description}


FORMAT = _param("fmt", "path", required=True, schema={"type": "string", "enum": ["json", "xml"]},
                description="response format: json or xml")
API_KEY = _param("api_key", description="the channel's API key (python main.py channel add), here or in the "
                                         "X-Api-Key header; optional on reads (without it: the public view; with "
                                         "it: the channel's own cases in full), required on POST")
JURISDICTION = _param("jurisdiction_id", description="ignored: this endpoint serves one street")


def _responses(ok: dict, *errors: int) -> dict:
    errors = tuple(sorted({*errors, 400, 404}))  # 400: a parameter; 404: a format other than json or xml
    error_body = {"content": {"application/json": {"schema": _list("Error")},
                              "application/xml": {"schema": {"type": "string"}}}}
    found = {"200": {"description": "OK", "content": {"application/json": {"schema": ok},
                                                      "application/xml": {"schema": {"type": "string"}}}}}
    descriptions = {400: "a parameter is missing or not valid", 403: "api_key missing (POST) or not valid",
                    404: "not found"}
    return found | {str(code): {"description": descriptions[code], **error_body} for code in errors}


def _get(summary: str, parameters: list[dict], ok: dict, *errors: int) -> dict:
    return {"get": {"summary": summary, "parameters": [FORMAT, JURISDICTION, *parameters],
                    "responses": _responses(ok, *errors)}}


@lru_cache(maxsize=1)
def openapi() -> dict:
    dates = [_param("start_date", schema={"type": "string", "format": "date-time"}),
             _param("end_date", schema={"type": "string", "format": "date-time"})]
    form_fields = {name: {"type": "string"} for name in (
        "jurisdiction_id", "service_code", "address_string", "address_id", "email", "device_id", "account_id",
        "first_name", "last_name", "phone", "description", "media_url")}
    form_fields |= {"api_key": {"type": "string"}, "lat": {"type": "number"}, "long": {"type": "number"}}
    update_fields = {name: {"type": "string"} for name in (
        "api_key", "jurisdiction_id", "service_request_id", "update_id", "status", "description", "updated_datetime",
        "first_name", "last_name", "email", "phone", "media_url", "public")}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Gongzhi Open311 GeoReport v2", "version": "2.0",
                 "description": "The street's case store as Open311 GeoReport v2, with mySociety's "
                                "servicerequestupdates extension."},
        "servers": [{"url": "/open311/v2"}],
        "paths": {
            "/discovery.{fmt}": _get("service discovery", [], {"$ref": "#/components/schemas/Discovery"}),
            "/services.{fmt}": _get("list services", [], _list("Service")),
            "/services/{service_code}.{fmt}": _get(
                "service definition", [_param("service_code", "path", required=True)],
                {"$ref": "#/components/schemas/ServiceDefinition"}, 404),
            "/requests.{fmt}": {
                **_get("query service requests", [
                    API_KEY, _param("service_request_id", description="comma-delimited; the other filters are then ignored"),
                    _param("service_code", description="comma-delimited"),
                    *dates, _param("status", description="open, closed or both, comma-delimited")],
                    _list("ServiceRequest"), 400, 403),
                "post": {
                    "summary": "create a service request",
                    "parameters": [FORMAT],
                    "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
                        "type": "object", "properties": form_fields,
                        "additionalProperties": {"type": "string"}}}}},
                    "responses": _responses(_list("Created"), 400, 403)}},
            "/requests/{service_request_id}.{fmt}": _get(
                "one service request", [_param("service_request_id", "path", required=True), API_KEY],
                _list("ServiceRequest"), 403, 404),
            "/tokens/{token}.{fmt}": _get(
                "service request id from a token", [_param("token", "path", required=True), API_KEY],
                _list("Token"), 403, 404),
            "/servicerequestupdates.{fmt}": {
                **_get("status updates (mySociety extension)", [API_KEY, *dates], _list("RequestUpdate"), 400, 403),
                "post": {
                    "summary": "a channel's comment on a case it reported (mySociety extension, as FixMyStreet "
                               "posts it); public=true also tells the case's residents; REOPEN reopens",
                    "parameters": [FORMAT],
                    "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
                        "type": "object", "properties": update_fields,
                        "additionalProperties": {"type": "string"}}}}},
                    "responses": _responses(_list("PostedUpdate"), 400, 403, 404)}},
        },
        "components": {"schemas": SCHEMAS},
    }
