"""Personal API tokens: named, read or write, expiring, revocable credentials for scripts and the CLI
(`Authorization: Bearer tfp_...`). Only the sha256 of a token is stored; the token is shown once."""
