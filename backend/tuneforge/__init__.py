"""TuneForge: a self-hosted platform for fine-tuning language models."""

__version__ = "0.1.0"
