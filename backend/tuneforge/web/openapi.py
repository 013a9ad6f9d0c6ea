"""Prints the API's OpenAPI schema (used to generate the frontend's typed client): python -m tuneforge.web.openapi"""

from __future__ import annotations

import json
import sys


def schema() -> dict:
    from tuneforge.config import Settings
    from tuneforge.web.app import create_app

    # A fixed, secret-free configuration: the schema must not depend on the machine it is dumped on.
    settings = Settings(
        environment="test", jwt_secret="x" * 48, encryption_keys=[], spa_dir=None, database_url=None
    )
    return create_app(settings).openapi()


if __name__ == "__main__":
    json.dump(schema(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
