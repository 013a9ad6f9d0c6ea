"""Walks every route of the OpenAPI schema, and the three WebSockets, with every kind of caller, and checks
each answer against docs/permissions.md: anonymous callers get 401, a role below the route's least role
403, other teams' members 404 (never 403), team A's owner asking with team B's ids 404, a read API token
403 for anything but GET, and whoever may call the route something else. Nothing of team A appears in
anything team B's owner can list.

One world (two teams with real datasets, a finished job with its model version and files, a template,
playground answers, a batch compare, a publication, an invitation, an API token); each call runs in a
savepoint rolled back afterwards, so deleting, leaving or handing over never spoils the next case.
A route missing from the table, or with a path parameter this test cannot fill, fails the test: add the
row to docs/permissions.md and the parameter to PARAMS below.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from tuneforge.teams.models import Role

from ..jobs.conftest import CHAT_ROWS
from ..jobs.test_jobs_api import _model_folder, _upload
from ..registry.test_registry import _launch, _run
from .matrix import Row, documented_rows

ROLES = ("viewer", "member", "admin", "owner")
# Callers, lowest first: team A's four roles, team A owner's read API token, the owner of team B, an
# account in no shared team (the one team A invited), and nobody.
PRINCIPALS = ("anonymous", "viewer", "member", "admin", "owner", "read_token", "other_team", "invitee")
READ_METHODS = {"GET", "HEAD"}
# Path parameters whose team-B value must answer 404 to team A's owner (the resource is another team's).
TEAM_SCOPED = {"team_id", "dataset_id", "version_id", "job_id", "template_id", "model_id", "turn_id",
               "generation_id", "batch_id", "publication_id", "invitation_id", "user_id"}
ARTIFACT = "adapter_config.json"
PUBLISHED_FILE = "model.q8_0.gguf"


@dataclass
class TeamWorld:
    """One team's resources, by path parameter."""

    ids: dict[str, str] = field(default_factory=dict)
    markers: set[str] = field(default_factory=set)  # what must never show in another team's answers


@dataclass
class World:
    a: TeamWorld
    b: TeamWorld
    headers: dict[str, dict[str, str]]  # principal -> Authorization header
    tokens: dict[str, str]  # principal -> the bearer token itself (for WebSockets)


def _id(key: str):
    return lambda team, path: team.ids[key]


# How the walk fills each path parameter, from a team's world: a route with a parameter not here fails
# the test (add it, with a real resource in the world).
PARAMS = {
    **{name: _id(name) for name in ("team_id", "dataset_id", "job_id", "template_id", "model_id", "turn_id",
                                    "generation_id", "batch_id", "publication_id", "invitation_id", "user_id",
                                    "token", "token_id")},
    "version_id": lambda team, path: team.ids["dataset_version_id" if "/datasets/" in path else "model_version_id"],
    "row": lambda team, path: "1",
    "path": lambda team, path: ARTIFACT,
    "name": lambda team, path: PUBLISHED_FILE,
    "tag": lambda team, path: "prod",
    "provider": lambda team, path: "huggingface",
}
# Required query parameters, likewise.
QUERY = {"ids": lambda team: f"{team.ids['model_version_id']},{team.ids['model_version_id']}", "search": lambda team: "llama"}


# -- the world ---------------------------------------------------------------------------------------


async def _team_world(app, client, owner, team_name: str, model_dir) -> TeamWorld:
    """Team A: a shared team owned by `owner` with one of everything, made through the API where it is
    quick (a real upload, a real job run by a stand-in trainer, so the version has files) and as rows where
    a worker would otherwise have to run."""
    world = TeamWorld()
    created = await client.post("/api/teams", json={"name": team_name}, headers=owner.headers)
    assert created.status_code == 201, created.text
    team_id = created.json()["id"]
    # Account.team_id (what _upload and _launch use) is the first team: this one from now on.
    owner.tokens["user"]["teams"].insert(0, {"id": team_id})
    dataset_name = f"{team_name.lower().replace(' ', '-')}-secret-sums"
    dataset_version_id = await _upload(client, owner, dataset_name, CHAT_ROWS)
    versions = await client.get(f"/api/teams/{team_id}/datasets", headers=owner.headers)
    dataset_id = next(d["id"] for d in _items(versions.json()) if d["name"] == dataset_name)

    job_id = await _launch(client, owner, dataset_version_id, base_model=str(model_dir), name=f"{team_name} bot")
    await _run(app, job_id)
    job = (await client.get(f"/api/jobs/{job_id}", headers=owner.headers)).json()
    assert job["status"] == "succeeded", (job["message"], job.get("stderr_tail"))
    version = (await client.get(f"/api/jobs/{job_id}/model-version", headers=owner.headers)).json()
    tagged = await client.put(f"/api/model-versions/{version['id']}/tags/prod", headers=owner.headers)
    assert tagged.status_code in (200, 204), tagged.text
    model_id = (await client.get(f"/api/model-versions/{version['id']}", headers=owner.headers)).json()["model_id"]

    # Team settings to remove: a team Hugging Face token and the team's Ollama server.
    for url, body in ((f"/api/teams/{team_id}/credentials/huggingface", {"token": "hf_teamtoken1234567890"}),
                      (f"/api/teams/{team_id}/ollama-url", {"url": app.state.settings.ollama_urls[0]})):
        saved = await client.put(url, json=body, headers=owner.headers)
        assert saved.status_code == 200, saved.text

    world.ids.update(team_id=team_id, dataset_id=dataset_id, dataset_version_id=dataset_version_id, job_id=job_id,
                     model_version_id=version["id"], model_id=model_id)
    async with app.state.sessionmaker() as session:
        await _playground_and_publication(session, world, owner.tokens["user"]["id"], team_name)
        await session.commit()
    world.markers.update(world.ids.values())
    world.markers.update({dataset_name, f"{team_name} bot", f"{team_name} recipe", team_name})
    return world


async def _mirror(app, client, owner, team_name: str, a: TeamWorld) -> TeamWorld:
    """Team B: copies of team A's rows (new ids, team B's), enough for its ids to exist; no second upload
    or job run (they are the slow part of the world)."""
    from sqlalchemy import inspect

    from tuneforge.datasets.models import Dataset, DatasetVersion
    from tuneforge.jobs.models import Job
    from tuneforge.registry.models import ModelVersion, RegisteredModel

    created = await client.post("/api/teams", json={"name": team_name}, headers=owner.headers)
    assert created.status_code == 201, created.text
    team_id = uuid.UUID(created.json()["id"])

    # Nothing of team A may stay in the copies (the leak check looks for it): ids become fresh ones.
    a_markers = sorted(a.markers, key=len, reverse=True)

    def scrub(value):
        if isinstance(value, (dict, list, str)):
            text = json.dumps(value)
            for marker in a_markers:
                text = text.replace(marker, str(uuid.uuid4()) if _is_uuid(marker) else team_name)
            return json.loads(text)
        return value

    async def copy(session, cls, row_id: str, **changes):
        row = await session.get(cls, uuid.UUID(row_id))
        # Generated columns (job.final_loss, …) are the database's to fill: never copied.
        values = {c.key: scrub(getattr(row, c.key)) for c in inspect(cls).column_attrs
                  if all(column.computed is None for column in c.columns)}
        values.update(id=uuid.uuid4(), **changes)
        twin = cls(**values)
        session.add(twin)
        await session.flush()
        return twin

    world = TeamWorld()
    async with app.state.sessionmaker() as session:
        dataset = await copy(session, Dataset, a.ids["dataset_id"], team_id=team_id, name=f"{team_name} data")
        version = await copy(session, DatasetVersion, a.ids["dataset_version_id"], dataset_id=dataset.id)
        job = await copy(session, Job, a.ids["job_id"], team_id=team_id, name=f"{team_name} bot",
                         dataset_version_id=version.id)
        model = await copy(session, RegisteredModel, a.ids["model_id"], team_id=team_id, name=f"{team_name} bot")
        model_version = await copy(session, ModelVersion, a.ids["model_version_id"], team_id=team_id,
                                   model_id=model.id, job_id=job.id)
        world.ids.update(team_id=str(team_id), dataset_id=str(dataset.id), dataset_version_id=str(version.id),
                         job_id=str(job.id), model_id=str(model.id), model_version_id=str(model_version.id))
        await _playground_and_publication(session, world, owner.tokens["user"]["id"], team_name)
        await session.commit()
    return world


async def _playground_and_publication(session, world: TeamWorld, owner_id: str, team_name: str) -> None:
    """A job template, a playground turn with its answer, a batch compare and a finished GGUF publication
    (with its file in storage), as rows."""
    from tuneforge.jobs.models import JobTemplate
    from tuneforge.playground.models import BatchCompare, BatchStatus, Generation, GenerationStatus, PlaygroundTurn
    from tuneforge.publishing.models import Publication, PublicationStatus, PublicationTarget
    from tuneforge.publishing.service import files_key
    from tuneforge.storage import get_storage

    team_id, user_id, version_id = uuid.UUID(world.ids["team_id"]), uuid.UUID(owner_id), world.ids["model_version_id"]
    template = JobTemplate(team_id=team_id, created_by=user_id, name=f"{team_name} recipe", config={})
    turn = PlaygroundTurn(team_id=team_id, user_id=user_id, params={}, messages=[{"role": "user", "content": "2 + 2?"}])
    session.add_all([template, turn])
    await session.flush()
    generation = Generation(team_id=team_id, turn_id=turn.id, slot=0, status=GenerationStatus.done, text="4",
                            target={"version_id": version_id, "base": False, "label": "bot v1"})
    batch = BatchCompare(team_id=team_id, user_id=user_id, targets=[], params={}, max_rows=1, status=BatchStatus.done)
    publication = Publication(team_id=team_id, version_id=uuid.UUID(version_id), user_id=user_id,
                              target=PublicationTarget.gguf, options={}, status=PublicationStatus.succeeded,
                              result={"files": [{"name": PUBLISHED_FILE, "quant_type": "q8_0", "size_bytes": 4,
                                                 "sha256": hashlib.sha256(b"GGUF").hexdigest()}]})
    session.add_all([generation, batch, publication])
    await session.flush()
    published = get_storage().path(f"{files_key(publication.id)}/{PUBLISHED_FILE}")
    published.parent.mkdir(parents=True, exist_ok=True)
    published.write_bytes(b"GGUF")
    world.ids.update(template_id=str(template.id), turn_id=str(turn.id), generation_id=str(generation.id),
                     batch_id=str(batch.id), publication_id=str(publication.id))


async def _join(client, owner, team_id: str, account, role: str) -> None:
    invited = await client.post(f"/api/teams/{team_id}/invitations", json={"email": account.email, "role": role},
                                headers=owner.headers)
    assert invited.status_code == 201, invited.text
    token = invited.json()["link"].removeprefix("/invitations/")
    accepted = await client.post(f"/api/invitations/{token}/accept", headers=account.headers)
    assert accepted.status_code == 200, accepted.text


async def _save_credential(app, settings, user_id: str) -> None:
    """A saved Hugging Face token for everyone, so that validating or deleting one finds something."""
    from tuneforge.credentials.models import Credential, Provider, VerificationStatus
    from tuneforge.security import SecretBox

    async with app.state.sessionmaker() as session:
        session.add(Credential(user_id=uuid.UUID(user_id), provider=Provider.huggingface, last4="7890",
                               ciphertext=SecretBox(settings.encryption_keys).encrypt(json.dumps({"token": "hf_x7890"})),
                               saved_at=datetime.now(UTC), status=VerificationStatus.valid))
        await session.commit()


@pytest.fixture
async def world(app, client, register, settings, tmp_path, monkeypatch) -> World:
    from tuneforge.web.ratelimit import limiter

    # Hundreds of calls in a minute: the rate limits are not what this test is about, nor the access log.
    monkeypatch.setattr(limiter, "enabled", False)
    quiet = {name: logging.getLogger(name).level for name in ("tuneforge.access", "httpx")}
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield await _world(app, client, register, settings, tmp_path, monkeypatch)
    finally:
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)


async def _world(app, client, register, settings, tmp_path, monkeypatch) -> World:
    from tuneforge.jobs.fanout import EventFanout

    # The WebSockets register with the fan-out; httpx runs no lifespan, so it is made here (not listening).
    app.state.fanout = EventFanout(dsn="", sessionmaker=app.state.sessionmaker)
    model_dir = _model_folder(tmp_path / "models" / "walk-llama")
    (model_dir / "model.safetensors").write_bytes(b"base weights")
    monkeypatch.setattr(settings, "model_dirs", [tmp_path / "models"])

    accounts = {role: await register(f"{role}-a@example.com", name=f"{role.title()} A") for role in ROLES}
    other = await register("owner-b@example.com", name="Owner B")
    invitee = await register("invitee@example.com", name="Ivy")
    a = await _team_world(app, client, accounts["owner"], "Team Alpha", model_dir)
    b = await _mirror(app, client, other, "Team Beta", a)
    for role in ("viewer", "member", "admin"):
        await _join(client, accounts["owner"], a.ids["team_id"], accounts[role], role)
    for account in (*accounts.values(), other, invitee):
        await _save_credential(app, settings, account.tokens["user"]["id"])

    # The members' user ids: the admin's target is the viewer; team B's is its owner.
    a.ids["user_id"] = accounts["viewer"].tokens["user"]["id"]
    b.ids["user_id"] = other.tokens["user"]["id"]
    a.markers.update(f"{role}-a@example.com" for role in ROLES)
    # An invitation to the invitee, and one of team B's (its id must answer 404 to team A).
    for team, inviter, email in ((a, accounts["owner"], invitee.email), (b, other, "someone-b@example.com")):
        invited = await client.post(f"/api/teams/{team.ids['team_id']}/invitations", json={"email": email, "role": "viewer"},
                                    headers=inviter.headers)
        assert invited.status_code == 201, invited.text
        team.ids["invitation_id"] = invited.json()["id"]
        team.ids["token"] = invited.json()["link"].removeprefix("/invitations/")
    # The API tokens: team A owner's read token is a caller; team B owner's token id must answer 404 to A.
    for team, account in ((a, accounts["owner"]), (b, other)):
        made = await client.post("/api/tokens", json={"name": "walk", "scope": "read"}, headers=account.headers)
        assert made.status_code == 201, made.text
        team.ids["token_id"] = made.json()["id"]
        if team is a:
            read_token = made.json()["token"]

    tokens = {role: accounts[role].tokens["access_token"] for role in ROLES}
    tokens.update(read_token=read_token, other_team=other.tokens["access_token"], invitee=invitee.tokens["access_token"])
    headers = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    headers["anonymous"] = {}
    return World(a=a, b=b, headers=headers, tokens=tokens)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _items(body):
    return body["items"] if isinstance(body, dict) and "items" in body else body


# -- what each caller should get --------------------------------------------------------------------

ALLOWED = "allowed"  # anything but 401, 403, 404 (and 5xx): the permission check let the call through

# Documented extra rules that decide who gets in, beyond the least role: principal -> expected answer.
SPECIAL: dict[tuple[str, str], dict[str, int | str]] = {
    # Only the account whose email was invited may accept or decline it.
    ("POST", "/api/invitations/{token}/accept"): {p: 403 for p in PRINCIPALS if p not in ("anonymous", "invitee")},
    ("POST", "/api/invitations/{token}/decline"): {p: 403 for p in PRINCIPALS if p not in ("anonymous", "invitee")},
    # Members delete only the datasets they created (team A's owner made this one); admins and owners any.
    ("DELETE", "/api/teams/{team_id}/datasets/{dataset_id}"): {"member": 403},
    # One's own tokens only: another account's token id answers 404.
    ("DELETE", "/api/tokens/{token_id}"): {p: 404 for p in ("viewer", "member", "admin", "other_team", "invitee")},
}


def expected(method: str, path: str, row: Row, principal: str) -> int | str:
    """The answer the table promises `principal` (team A's resources in the path)."""
    special = SPECIAL.get((method, path), {})
    if principal in special:
        return special[principal]
    if row.least == "anyone":
        return ALLOWED
    if principal == "anonymous":
        return 401
    if principal == "read_token":
        if method not in READ_METHODS and method != "WS":
            return 403
        if "password sign-in only" in row.extra:
            return 403
        principal = "owner"  # acts as its user
    if row.least == "signed in":
        return ALLOWED
    if principal in ("other_team", "invitee"):
        return 404
    return ALLOWED if Role(principal).rank >= Role(row.least).rank else 403


def _fill(path: str, team: TeamWorld, swap: str | None = None, other: TeamWorld | None = None) -> str:
    def value(match: re.Match) -> str:
        name = match[1].split(":")[0]
        return PARAMS[name](other if name == swap else team, path)

    return re.sub(r"\{([^}]+)\}", value, path)


def _params(path: str) -> list[str]:
    return [name.split(":")[0] for name in re.findall(r"\{([^}]+)\}", path)]


# An outside service that is not there (the Hub at an unreachable address in tests) answers 502/503: the
# permission check let the call through.
UNREACHABLE = (502, 503)


def _verdict(status: int | str, want: int | str) -> bool:
    if want == ALLOWED:
        return status == "open" or isinstance(status, int) and (status < 500 or status in UNREACHABLE) and status not in (401, 403, 404)
    return status == want


# -- calls -----------------------------------------------------------------------------------------


# Valid bodies where the 404 being checked comes after body validation (the service looks the id up).
BODIES = {("PATCH", "/api/teams/{team_id}/members/{user_id}"): {"role": "member"}}


async def _call(client, method: str, url: str, headers: dict, body: dict | None, query: dict) -> int | str:
    kwargs = {"headers": headers, "params": query}
    if body is not None:
        kwargs["json"] = body
    try:
        response = await asyncio.wait_for(client.request(method, url, **kwargs), timeout=30)
    except TimeoutError:
        return 504  # hung: a route must answer quickly even when an outside service is unreachable
    except Exception as exc:  # noqa: BLE001 — an unhandled error is a 500, reported with the others
        return f"500 ({type(exc).__name__}: {exc})"[:300]
    return response.status_code


async def _websocket(app, path: str, token: str | None) -> int | str:
    """Opens a WebSocket in-process (httpx has none) and signs in: "open" once the server sends its first
    message, else the close code."""
    inbox: asyncio.Queue = asyncio.Queue()
    outbox: asyncio.Queue = asyncio.Queue()
    scope = {"type": "websocket", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "ws",
             "server": ("testserver", 80), "client": ("127.0.0.1", 40000), "root_path": "", "path": path,
             "raw_path": path.encode(), "query_string": b"", "headers": [(b"host", b"testserver")], "subprotocols": [],
             "state": {}}
    await inbox.put({"type": "websocket.connect"})
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    try:
        first = await asyncio.wait_for(outbox.get(), timeout=10)
        if first["type"] == "websocket.close":
            return first.get("code", 1000)
        assert first["type"] == "websocket.accept", first
        await inbox.put({"type": "websocket.receive", "text": json.dumps({"type": "auth", "token": token})})
        message = await asyncio.wait_for(outbox.get(), timeout=10)
        if message["type"] == "websocket.close":
            return message.get("code", 1000)
        return "open"
    finally:
        await inbox.put({"type": "websocket.disconnect", "code": 1000})
        try:
            await asyncio.wait_for(task, timeout=10)
        except (TimeoutError, Exception):  # noqa: BLE001 — a socket that would not end is cancelled
            task.cancel()


def _websockets() -> list[str]:
    """The WebSocket routes (the OpenAPI schema has none): a new one is walked, and needs its row, too."""
    from fastapi.routing import APIWebSocketRoute

    from tuneforge.web.app import ROUTERS

    return ["/api" + route.path for router in ROUTERS for route in router.routes if isinstance(route, APIWebSocketRoute)]


def _routes(app) -> list[tuple[str, str, dict]]:
    routes = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            routes.append((method.upper(), path, operation))
    return routes


def _documented_path(table: dict, method: str, path: str) -> str:
    """The table writes Starlette's `{path:path}`; the schema writes `{path}`."""
    if (method, path) in table:
        return path
    return path.replace("{path}", "{path:path}")


def _query(operation: dict, team: TeamWorld) -> dict:
    query = {}
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query" and parameter.get("required"):
            assert parameter["name"] in QUERY, f"add required query parameter {parameter['name']!r} to QUERY"
            query[parameter["name"]] = QUERY[parameter["name"]](team)
    return query


# Reads first, then writes, then deletes: a delete may remove files (the rows come back with the savepoint).
ORDER = {"WS": 0, "GET": 1, "HEAD": 1, "POST": 2, "PUT": 2, "PATCH": 2, "DELETE": 3}


async def test_every_route_answers_every_caller_as_the_matrix_says(app, client, db, world):
    """(One test, one world: building it is most of the time.)"""
    leaks = await _leaks(app, client, world)
    table = documented_rows()
    sockets = _websockets()
    assert {"/api/ws/jobs/{job_id}", "/api/ws/teams/{team_id}", "/api/ws/generations/{generation_id}"} <= set(sockets)
    routes = _routes(app) + [("WS", path, {}) for path in sockets]
    missing = [f"{m} {p}" for m, p, _ in routes if (m, _documented_path(table, m, p)) not in table]
    unfillable = sorted({f"{m} {p}: {{{name}}}" for m, p, _ in routes for name in _params(p) if name not in PARAMS})
    assert unfillable == [], f"the walk cannot fill these path parameters (add them to PARAMS): {unfillable}"

    wrong: list[str] = []
    cases = 0
    for method, path, operation in sorted(routes, key=lambda r: ORDER[r[0]]):
        row = table.get((method, _documented_path(table, method, path)))
        if row is None:
            continue
        # Minimal bodies: the permission dependencies run before body validation, so a caller who may not
        # call the route gets 401/403/404, and one who may gets 422 (or the route's own answer).
        has_body = "application/json" in operation.get("requestBody", {}).get("content", {})
        body = BODIES.get((method, path), {}) if has_body else None
        query = _query(operation, world.a)
        calls = [(principal, _fill(path, world.a), world.headers[principal], expected(method, path, row, principal))
                 for principal in PRINCIPALS]
        if row.least in ROLES or (method, path) == ("DELETE", "/api/tokens/{token_id}"):
            # Team A's owner, with one of team B's ids at a time: 404, whichever id it is.
            for name in _params(path):
                if name in TEAM_SCOPED or name == "token_id":
                    calls.append((f"owner with team B's {name}", _fill(path, world.a, swap=name, other=world.b),
                                  world.headers["owner"], 404))
        for who, url, headers, want in calls:
            nested = await db.begin_nested()
            try:
                if method == "WS":
                    token = world.tokens.get("owner" if who.startswith("owner with") else who)
                    got = await _websocket(app, url, token)
                    want = {401: 4401, 404: 4404}.get(want, want) if isinstance(want, int) else want
                else:
                    got = await _call(client, method, url, headers, body, query)
            finally:
                await nested.rollback()
            cases += 1
            if not _verdict(got, want):
                wrong.append(f"{method} {path} as {who}: got {got}, the matrix says {want}")
    problems = [f"{route}: no row in docs/permissions.md's 'Every route' table (add one)" for route in missing]
    problems += wrong + leaks
    assert problems == [], f"{len(wrong)} of {cases} answers differ from docs/permissions.md:\n" + "\n".join(problems)
    assert cases > 8 * 100


async def _leaks(app, client, world: World) -> list[str]:
    """Team B's owner reads every list, feed, search and analytics route of their own team (and every GET
    route without an id): none of team A's ids, names or members' emails may appear. Team A's live feed
    refuses them; their own opens."""
    leaks = []
    read = 0
    for method, path, operation in _routes(app):
        if method != "GET" or set(_params(path)) - {"team_id"}:
            continue
        query = _query(operation, world.b)
        # Searches look for team A by name: they must still find only team B's.
        query.update({p["name"]: "Team Alpha" for p in operation.get("parameters", [])
                      if p["in"] == "query" and p["name"] in ("q", "search") and p["name"] not in query})
        response = await client.get(_fill(path, world.b), params=query, headers=world.headers["other_team"])
        read += 1
        found = sorted(marker for marker in world.a.markers if marker in response.text)
        if found:
            leaks.append(f"GET {path} ({response.status_code}) shows team A's {found} to team B")
    # Comparing team A's versions from team B's page shows nothing of them either.
    compare = await client.get(f"/api/teams/{world.b.ids['team_id']}/model-versions/compare",
                               params={"ids": f"{world.a.ids['model_version_id']},{world.b.ids['model_version_id']}"},
                               headers=world.headers["other_team"])
    if world.a.ids["model_version_id"] in compare.text or compare.status_code == 200:
        leaks.append(f"GET .../model-versions/compare with team A's version: {compare.status_code} {compare.text[:200]}")
    assert read >= 20
    if await _websocket(app, f"/api/ws/teams/{world.b.ids['team_id']}", world.tokens["other_team"]) != "open":
        leaks.append("team B's owner cannot open their own team's feed")
    if (code := await _websocket(app, f"/api/ws/teams/{world.a.ids['team_id']}", world.tokens["other_team"])) != 4404:
        leaks.append(f"team A's feed answers team B's owner with {code}, not 4404")
    return leaks
