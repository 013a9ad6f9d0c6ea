"""The model registry: models (named lineages in a team), their versions (one per succeeded job), tags."""
