"""Datasets: upload, detect, validate, version, preview and split."""
