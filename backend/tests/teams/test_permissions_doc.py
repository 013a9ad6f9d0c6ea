"""docs/permissions.md is the one permission matrix: every teams route is in it, and every route it lists
with a team role names the role the route's dependency really requires (TeamMember(Role.x) or a
domain's `*_in_my_team(Role.x)`). The full walk of every route with every role is issue #12's next step."""

from __future__ import annotations

from fastapi.routing import APIRoute

from tuneforge.teams.models import Role
from tuneforge.web.app import ROUTERS

from .matrix import documented as _documented


def _required_role(route: APIRoute) -> str | None:
    """The highest team role among the route's dependencies (None: no team role checked there)."""
    found: list[Role] = []

    def walk(dependant) -> None:
        for sub in dependant.dependencies:
            for cell in getattr(sub.call, "__closure__", None) or ():
                try:
                    value = cell.cell_contents
                except ValueError:
                    continue
                if isinstance(value, Role):
                    found.append(value)
            walk(sub)

    walk(route.dependant)
    return max(found, key=lambda role: role.rank).value if found else None


def _routes():
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute):
                for method in route.methods:
                    yield method, "/api" + route.path, route


def test_every_teams_route_is_in_the_matrix():
    documented = _documented()
    teams = [(m, p) for m, p, route in _routes() if "teams" in route.tags]
    assert len(teams) >= 15
    missing = [f"{m} {p}" for m, p in teams if (m, p) not in documented]
    assert missing == [], f"add these routes to docs/permissions.md: {missing}"


def test_the_matrix_names_the_role_the_code_requires():
    documented = _documented()
    assert len(documented) > 50
    wrong = []
    for method, path, route in _routes():
        role = _required_role(route)
        written = documented.get((method, path))
        if role is not None and written is not None and written != role:
            wrong.append(f"{method} {path}: the doc says {written}, the code requires {role}")
    assert wrong == []
