"""Per-team limits (concurrent jobs, GPU-hours and Modal spend per month, storage), their meters, and
their enforcement before anything is queued or stored."""
