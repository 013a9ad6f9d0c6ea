from __future__ import annotations


async def events(client, account, team_id: str | None = None, **params) -> list[dict]:
    """Every event the account's view shows (the team's, or /audit/me), newest first, all pages."""
    url = f"/api/teams/{team_id}/audit" if team_id else "/api/audit/me"
    found, cursor = [], None
    while True:
        response = await client.get(url, params={**params, **({"cursor": cursor} if cursor else {}), "limit": 200},
                                    headers=account.headers)
        assert response.status_code == 200, response.text
        found += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return found


def one(found: list[dict], action: str, **match) -> dict:
    hits = [e for e in found if e["action"] == action and all(e.get(k) == v for k, v in match.items())]
    assert len(hits) == 1, (action, match, [(e["action"], e["outcome"], e["target_label"]) for e in found])
    return hits[0]
