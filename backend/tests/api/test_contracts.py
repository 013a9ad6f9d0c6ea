"""The API's contract is typed end to end: every response has a real model in the OpenAPI schema (the
SPA's client is generated from it), and no router or WebSocket handler runs SQL of its own — queries
live in each domain's repository, shared by the dependencies, WebSockets and services."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import tuneforge

PACKAGE = Path(tuneforge.__file__).parent
JSON = "application/json"


@pytest.fixture(scope="module")
def openapi() -> dict:
    from tuneforge.web.openapi import schema

    return schema()


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _free_form(schema: dict, components: dict) -> bool:
    """An object (or anything) the schema says nothing about: `{}`, or an object of additionalProperties."""
    schema = _resolve(schema, components)
    if any(key in schema for key in ("anyOf", "oneOf", "allOf")):
        return any(_free_form(s, components) for s in schema.get("anyOf", []) + schema.get("oneOf", []))
    if not schema or schema == {"title": schema.get("title")}:
        return True
    return schema.get("type") == "object" and not schema.get("properties") and schema.get("additionalProperties", True) in (True, {})


def _responses(openapi: dict):
    for path, operations in openapi["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            for code, response in operation.get("responses", {}).items():
                if code.startswith("2"):
                    yield f"{method.upper()} {path} {code}", response


def test_every_api_response_declares_a_model(openapi):
    components = openapi["components"]["schemas"]
    untyped = []
    checked = 0
    for name, response in _responses(openapi):
        content = response.get("content") or {}
        if JSON not in content:
            continue  # no body (204), or a file download / plain text
        checked += 1
        schema = content[JSON].get("schema", {})
        items = _resolve(schema, components)
        if items.get("type") == "array":
            schema = items.get("items", {})
        if _free_form(schema, components):
            untyped.append(name)
    assert checked > 30, "the walk found the JSON responses"
    assert untyped == [], f"responses without a model (give the route a return annotation or response_model): {untyped}"


def test_file_downloads_are_not_described_as_json(openapi):
    for path in ("/api/jobs/{job_id}/artifacts/{path}", "/api/jobs/{job_id}/artifacts.zip",
                 "/api/teams/{team_id}/datasets/{dataset_id}/versions/{version_id}/download"):
        content = openapi["paths"][path]["get"]["responses"]["200"].get("content") or {}
        assert JSON not in content, path


def test_the_free_form_check_catches_untyped_responses():
    components = {"Loose": {"type": "object", "additionalProperties": True, "title": "Loose"}}
    assert _free_form({}, components)
    assert _free_form({"type": "object", "additionalProperties": True}, components)
    assert _free_form({"$ref": "#/components/schemas/Loose"}, components)
    assert not _free_form({"type": "object", "properties": {"a": {"type": "string"}}}, components)
    assert not _free_form({"type": "string"}, components)


SQL = re.compile(r"\bselect\(|session\.get\(|session\.execute\(|session\.scalars?\(|\btext\(\"")


def test_routers_and_websockets_run_no_sql():
    files = sorted(PACKAGE.glob("*/router.py")) + [PACKAGE / "jobs" / "ws.py"]
    files += sorted(PACKAGE.glob("*/deps.py")) + [PACKAGE / "web" / "deps.py"]
    assert len(files) >= 8
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if SQL.search(line)
    ]
    assert offenders == [], "queries belong in the domain's repository.py:\n" + "\n".join(offenders)


def test_no_router_answers_an_untyped_dict():
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in sorted(PACKAGE.glob("*/router.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\)\s*->\s*dict\b", line) and "def _" not in line
    ]
    assert offenders == []
